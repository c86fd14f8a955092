#pragma once
// The filter plugins the core may use, by expression type, and a cache of
// compiled subscriptions so a pull does not compile its expression again.
// A compiled filter is shared: a pull running on a worker keeps it alive
// even if the cache drops it meanwhile.
#include <ferry/filter.h>
#include <ferry/storage.h>

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "env.h"

namespace ferry::core {

class CompiledFilter {
 public:
  CompiledFilter(const ferry_filter_ops* ops, void* inst, void* compiled);
  ~CompiledFilter();
  CompiledFilter(const CompiledFilter&) = delete;
  CompiledFilter& operator=(const CompiledFilter&) = delete;
  // What storage.read_queue takes; valid while this object lives.
  const ferry_read_filter* read_filter() const { return &read_filter_; }

 private:
  static int tag_trampoline(void* self, int64_t tag_hash);
  static int record_trampoline(void* self, const void* record, size_t len);

  const ferry_filter_ops* ops_;
  void* inst_;
  void* compiled_;
  ferry_read_filter read_filter_;
};

class FilterSet {
 public:
  struct Plugin {
    const ferry_filter_ops* ops;
    void* inst;
  };
  FilterSet(Env& env, std::vector<Plugin> plugins);

  // Compile (or find cached) `expression` of `type` ("TAG" when empty).
  // *out stays null for "match everything" (a TAG expression "" or "*").
  // FERRY_E_BAD_SUBSCRIPTION with *why for a malformed expression or a type
  // no loaded filter plugin serves.
  ferry_status get(std::string_view type, std::string_view expression,
                   std::shared_ptr<const CompiledFilter>* out, std::string* why);

  size_t cached() const { return cache_.size(); }

 private:
  static constexpr size_t kMaxCached = 4096;
  Env& env_;
  std::vector<Plugin> plugins_;
  std::map<std::string, std::shared_ptr<const CompiledFilter>, std::less<>> cache_;  // type \0 expression
  std::string key_;  // scratch: avoids a string per lookup after warm-up
};

}  // namespace ferry::core
