#pragma once
// The long polls a Core holds (pull.cc): by queue key, for the dispatcher's
// wake-ups, and by connection, so a connection's close costs what that
// connection holds rather than a walk over every held pull (with many
// consumers connecting and leaving, each close was O(all held)).
// `Job` (Core::PullJob) carries `key` (its queue key) and, kept here,
// `held_list` / `held_slot`: its connection's list and its place in it
// (removal is a swap with the last, no lookup). Loop thread only.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <unordered_map>
#include <utility>
#include <vector>

namespace ferry::core {

template <class Job>
class HeldPulls {
 public:
  using Taken = std::vector<std::unique_ptr<Job>>;

  size_t size() const { return by_key_.size(); }
  bool empty() const { return by_key_.empty(); }

  void add(std::unique_ptr<Job> job, uint64_t conn) {
    std::vector<Job*>& mine = by_conn_[conn];  // kept (and its address) until the close
    job->held_list = &mine;
    job->held_slot = mine.size();
    mine.push_back(job.get());
    const uint64_t key = job->key;
    by_key_.emplace(key, std::move(job));
  }

  // Every job held under `key` moves to `out`.
  void take_key(uint64_t key, Taken* out) {
    auto [b, e] = by_key_.equal_range(key);
    for (auto it = b; it != e; ++it) out->push_back(release(it));
    by_key_.erase(b, e);
  }

  // The jobs under `key` for which pred(job) holds move to `out`.
  template <class Pred>
  void take_key_if(uint64_t key, Pred pred, Taken* out) {
    auto [b, e] = by_key_.equal_range(key);
    for (auto it = b; it != e;) {
      if (pred(*it->second)) {
        out->push_back(release(it));
        it = by_key_.erase(it);
      } else {
        ++it;
      }
    }
  }

  // Every job for which pred(job) holds moves to `out`: a walk over all of
  // them (deadlines, a deleted topic).
  template <class Pred>
  void take_if(Pred pred, Taken* out) {
    for (auto it = by_key_.begin(); it != by_key_.end();) {
      if (pred(*it->second)) {
        out->push_back(release(it));
        it = by_key_.erase(it);
      } else {
        ++it;
      }
    }
  }

  // The jobs of connection `conn` move to `out`, and its list goes.
  void take_conn(uint64_t conn, Taken* out) {
    auto mine = by_conn_.find(conn);
    if (mine == by_conn_.end()) return;
    for (Job* j : mine->second) {
      auto [b, e] = by_key_.equal_range(j->key);
      for (auto it = b; it != e; ++it) {
        if (it->second.get() != j) continue;
        j->held_list = nullptr;
        out->push_back(std::move(it->second));
        by_key_.erase(it);
        break;
      }
    }
    by_conn_.erase(mine);
  }

  void take_all(Taken* out) {
    for (auto& [key, job] : by_key_) {
      job->held_list = nullptr;
      out->push_back(std::move(job));
    }
    by_key_.clear();
    by_conn_.clear();
  }

  // Connections with a list (tests: a closed one has none).
  size_t connections() const { return by_conn_.size(); }

 private:
  // Out of its connection's list (swap with the last); the map entry stays
  // for the caller to erase.
  std::unique_ptr<Job> release(typename std::unordered_multimap<uint64_t, std::unique_ptr<Job>>::iterator it) {
    Job* j = it->second.get();
    std::vector<Job*>& mine = *j->held_list;
    mine[j->held_slot] = mine.back();
    mine[j->held_slot]->held_slot = j->held_slot;
    mine.pop_back();
    j->held_list = nullptr;
    return std::move(it->second);
  }

  // by queue key hash (a collision only costs a spurious re-read)
  std::unordered_multimap<uint64_t, std::unique_ptr<Job>> by_key_;
  std::unordered_map<uint64_t, std::vector<Job*>> by_conn_;
};

}  // namespace ferry::core
