#pragma once
// A TAG subscription expression: "*" (everything) or "TagA || TagB".
// Parsing is separate from the plugin entry points so it can be tested
// without loading the .so.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ferry::filter_tag {

struct TagExpression {
  bool all = false;
  std::vector<std::string> tags;   // distinct, as written
  std::vector<int64_t> hashes;     // ferry_tag_hash of each tag, sorted, distinct

  // Stage 1: 1 keep (all), 0 drop, -1 hash matches (stage 2 confirms).
  int match_hash(int64_t hash) const;
  // Stage 2: is `tag` one of the tags?
  bool match_tag(std::string_view tag) const;
};

// False with *why for a malformed expression ("empty tag between '||' at
// byte 5", "tag 'a b' contains whitespace", ...).
bool parse_tag_expression(std::string_view text, TagExpression* out, std::string* why);

}  // namespace ferry::filter_tag
