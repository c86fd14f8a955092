#include "tag_expression.h"

#include <ferry/record.h>

#include <algorithm>

namespace ferry::filter_tag {
namespace {

bool space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return s;
}

}  // namespace

int TagExpression::match_hash(int64_t hash) const {
  if (all) return 1;
  return std::binary_search(hashes.begin(), hashes.end(), hash) ? -1 : 0;
}

bool TagExpression::match_tag(std::string_view tag) const {
  if (all) return true;
  return std::find(tags.begin(), tags.end(), tag) != tags.end();
}

bool parse_tag_expression(std::string_view text, TagExpression* out, std::string* why) {
  *out = TagExpression{};
  std::string_view whole = trim(text);
  if (whole.empty() || whole == "*") {
    out->all = true;
    return true;
  }
  size_t pos = 0;
  while (true) {
    size_t bar = text.find("||", pos);
    std::string_view part = text.substr(pos, bar == std::string_view::npos ? std::string_view::npos : bar - pos);
    std::string_view tag = trim(part);
    if (tag.empty()) {
      *why = "empty tag at byte " + std::to_string(pos) + " of '" + std::string(text) +
             "' (write 'TagA || TagB', or '*' for every tag)";
      return false;
    }
    if (tag == "*") {
      *why = "'*' cannot be combined with other tags in '" + std::string(text) + "'";
      return false;
    }
    for (char c : tag) {
      if (space(c) || c == '|' || c == FERRY_PROP_NAME_VALUE_SEP || c == FERRY_PROP_SEP ||
          static_cast<unsigned char>(c) < 0x20) {
        *why = "tag '" + std::string(tag) + "' contains a space, '|' or a control character";
        return false;
      }
    }
    if (std::find(out->tags.begin(), out->tags.end(), tag) == out->tags.end())
      out->tags.emplace_back(tag);
    if (bar == std::string_view::npos) break;
    pos = bar + 2;
  }
  for (const auto& t : out->tags) out->hashes.push_back(ferry_tag_hash(ferry_slice{t.data(), t.size()}));
  std::sort(out->hashes.begin(), out->hashes.end());
  out->hashes.erase(std::unique(out->hashes.begin(), out->hashes.end()), out->hashes.end());
  return true;
}

}  // namespace ferry::filter_tag
