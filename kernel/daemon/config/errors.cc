#include "config/errors.h"

#include <algorithm>

namespace ferry::config {

std::string ConfigError::text() const {
  std::string out = where.file;
  if (where.line > 0)
    out += ":" + std::to_string(where.line) + ":" + std::to_string(where.column);
  return out + ": " + message;
}

void ErrorList::add(Location where, std::string message) {
  // Kept in file order (validation walks tables in key order, not line
  // order); errors of one position keep the order they were found in.
  auto before = [&](const ConfigError& e) {
    if (e.where.file != where.file) return false;
    return e.where.line > where.line ||
           (e.where.line == where.line && e.where.column > where.column);
  };
  auto at = std::find_if(errors_.begin(), errors_.end(), before);
  errors_.insert(at, {std::move(where), std::move(message)});
}

std::string ErrorList::text() const {
  std::string out;
  for (const ConfigError& e : errors_) out += e.text() + "\n";
  return out;
}

}  // namespace ferry::config
