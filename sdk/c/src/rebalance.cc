#include "rebalance.h"

#include <algorithm>
#include <map>

namespace ferry::sdk {
namespace {

uint64_t fnv1a(const std::string& s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ull;
  // final avalanche so nearby strings spread over the ring
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  return h;
}

}  // namespace

std::vector<QueueKey> allocate_queues(Strategy strategy, const std::vector<QueueKey>& all,
                                      const std::vector<std::string>& members_in, const std::string& me) {
  std::vector<std::string> members = members_in;
  std::sort(members.begin(), members.end());
  members.erase(std::unique(members.begin(), members.end()), members.end());
  auto it = std::find(members.begin(), members.end(), me);
  if (it == members.end() || all.empty()) return {};
  size_t index = static_cast<size_t>(it - members.begin());
  size_t n = members.size(), q = all.size();
  std::vector<QueueKey> out;
  switch (strategy) {
    case Strategy::kAverage: {
      // Contiguous blocks; the first q % n members get one extra.
      size_t mod = q % n;
      size_t size = q <= n ? 1 : (mod > 0 && index < mod ? q / n + 1 : q / n);
      size_t start = (mod > 0 && index < mod) ? index * size : index * size + mod;
      if (q <= n) start = index;
      for (size_t i = 0; i < size && start + i < q; ++i) out.push_back(all[start + i]);
      break;
    }
    case Strategy::kRoundRobin:
      for (size_t i = index; i < q; i += n) out.push_back(all[i]);
      break;
    case Strategy::kConsistentHash: {
      // 16 virtual nodes per member; a queue goes to the next node clockwise.
      std::map<uint64_t, size_t> ring;
      for (size_t m = 0; m < n; ++m)
        for (int v = 0; v < 16; ++v) ring[fnv1a(members[m] + "#" + std::to_string(v))] = m;
      for (const auto& k : all) {
        auto node = ring.lower_bound(fnv1a(k.text()));
        if (node == ring.end()) node = ring.begin();
        if (node->second == index) out.push_back(k);
      }
      break;
    }
  }
  return out;
}

}  // namespace ferry::sdk
