#include "names.h"

namespace ferry::core {
namespace {

bool allowed(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '-' || c == '%' || c == '|';
}

std::string printable(char c) {
  auto u = static_cast<unsigned char>(c);
  if (u >= 0x20 && u < 0x7f) return std::string("'") + c + "'";
  static const char kHex[] = "0123456789abcdef";
  return std::string("\\x") + kHex[u >> 4] + kHex[u & 15];
}

}  // namespace

ferry_status check_name(std::string_view kind, std::string_view name, std::string* why) {
  if (name.empty()) {
    *why = std::string(kind) + " name is empty";
    return FERRY_E_INVALID_NAME;
  }
  if (name.size() > kMaxNameLength) {
    *why = std::string(kind) + " name is " + std::to_string(name.size()) + " bytes; the limit is " +
           std::to_string(kMaxNameLength);
    return FERRY_E_INVALID_NAME;
  }
  for (size_t i = 0; i < name.size(); ++i) {
    if (!allowed(name[i])) {
      std::string shown(name.substr(0, 64));
      for (auto& c : shown)
        if (static_cast<unsigned char>(c) < 0x20) c = '?';
      *why = std::string(kind) + " name '" + shown + "' has invalid character " + printable(name[i]) +
             " at " + std::to_string(i) + "; allowed: letters, digits, _ - % |";
      return FERRY_E_INVALID_NAME;
    }
  }
  return FERRY_OK;
}

bool is_system_topic(std::string_view name) {
  return name.starts_with(kRetryPrefix) || name.starts_with(kDlqPrefix) ||
         name.starts_with(kSystemPrefix) || name == kScheduleTopic;
}

}  // namespace ferry::core
