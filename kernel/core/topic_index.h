#pragma once
// TopicTable's lookup by name for the hot paths (send, pull, every
// TopicTable::find): a flat open-addressing table of (hash, entry) pairs,
// linear probing, at most half full. The table's std::map stays the owner
// (entries never move) and the order for paged listing; a walk down it cost
// ~14 dependent node reads per send at 10,000 topics (docs/benchmarks.md,
// "Session 11 (topics)"), a probe here is one slot line and the entry.
// Loop thread only, like the table.
#include <cstdint>
#include <cstring>
#include <string_view>
#include <vector>

namespace ferry::core {

struct TopicConfig;

class TopicIndex {
 public:
  // 64-bit hash of a topic name: 8 bytes a step, then a final mix.
  static uint64_t hash(std::string_view s) {
    uint64_t h = 0x9e3779b97f4a7c15ull ^ s.size();
    const char* p = s.data();
    size_t n = s.size();
    for (; n >= 8; p += 8, n -= 8) {
      uint64_t w;
      std::memcpy(&w, p, 8);
      h = (h ^ w) * 0xff51afd7ed558ccdull;
      h ^= h >> 32;
    }
    if (n > 0) {
      uint64_t w = 0;
      std::memcpy(&w, p, n);
      h = (h ^ w) * 0xc4ceb9fe1a85ec53ull;
    }
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdull;
    h ^= h >> 29;
    return h;
  }

  // The entry named `name` (hash = hash(name)), or nullptr. `name_of`
  // reads an entry's name (TopicConfig is incomplete here).
  template <typename NameOf>
  const TopicConfig* find(std::string_view name, uint64_t h, NameOf name_of) const {
    if (slots_.empty()) return nullptr;
    const size_t mask = slots_.size() - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
      const Slot& s = slots_[i];
      if (!s.t) return nullptr;
      if (s.hash == h && name_of(*s.t) == name) return s.t;
    }
  }

  // For prefetches ahead of a find(…, h, …) (Core::peek): the home slot's
  // address, and — once that line is in cache — the entry it leads to (the
  // first slot of hash `h`; the name is not compared); nullptr when none.
  // The caller prefetches: GCC 12 finds a helper whose only statement is a
  // __builtin_prefetch pure and drops the call.
  const void* home_slot(uint64_t h) const {
    return slots_.empty() ? nullptr : &slots_[h & (slots_.size() - 1)];
  }
  const TopicConfig* entry_of(uint64_t h) const {
    if (slots_.empty()) return nullptr;
    const size_t mask = slots_.size() - 1;
    for (size_t i = h & mask, probes = 0; probes < 4; i = (i + 1) & mask, ++probes) {
      const Slot& s = slots_[i];
      if (!s.t) return nullptr;
      if (s.hash == h) return s.t;
    }
    return nullptr;
  }

  // `t` must not be indexed yet.
  void insert(const TopicConfig* t, uint64_t h) {
    if ((size_ + 1) * 2 > slots_.size()) grow();
    place(t, h);
    ++size_;
  }

  // Remove `t` (indexed under `h`); backward shift keeps probes unbroken.
  void erase(const TopicConfig* t, uint64_t h) {
    if (slots_.empty()) return;
    const size_t mask = slots_.size() - 1;
    size_t i = h & mask;
    while (slots_[i].t != t) {
      if (!slots_[i].t) return;
      i = (i + 1) & mask;
    }
    for (size_t j = (i + 1) & mask;; j = (j + 1) & mask) {
      if (!slots_[j].t) break;
      const size_t home = slots_[j].hash & mask;
      // Move j back to the hole at i when its home is not in (i, j].
      if (((j - home) & mask) >= ((j - i) & mask)) {
        slots_[i] = slots_[j];
        i = j;
      }
    }
    slots_[i] = Slot{};
    --size_;
  }

  void clear() {
    slots_.clear();
    size_ = 0;
  }
  size_t size() const { return size_; }

 private:
  struct Slot {
    uint64_t hash = 0;
    const TopicConfig* t = nullptr;  // nullptr: empty
  };

  void place(const TopicConfig* t, uint64_t h) {
    const size_t mask = slots_.size() - 1;
    size_t i = h & mask;
    while (slots_[i].t) i = (i + 1) & mask;
    slots_[i] = Slot{h, t};
  }

  void grow() {
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(old.empty() ? 64 : old.size() * 2, Slot{});
    for (const Slot& s : old)
      if (s.t) place(s.t, s.hash);
  }

  std::vector<Slot> slots_;  // power-of-two size
  size_t size_ = 0;
};

}  // namespace ferry::core
