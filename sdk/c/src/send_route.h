#pragma once
// What a send needs of a topic's route, laid out for the send path: the
// writable queues inline as (broker, queue id), each broker (name and
// master address) interned once per client. With 10,000 topics sent to
// round robin, every per-topic byte a send touches is a cache miss: the old
// path copied a shared_ptr<Route> (an atomic on the topic's control block,
// three times per send), read the queue vector and searched the route's own
// broker -> address map. Now a send finds the topic's SendRoute through a
// topic handle, or by name through a flat index (SendRouteIndex), and reads
// one or two lines of it, kept in first-use order (SendRouteArena). [loop]
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "route.h"

namespace ferry::sdk {

// A broker group's master as the routes name it.
struct BrokerRef {
  std::string name;
  std::string addr;  // "host:port"
};

// Interned (name, address) pairs. References stay valid for the table's
// life (a send in flight keeps one without a count); the table only grows,
// by one entry per master address a route ever named — a handful. [loop]
class BrokerTable {
 public:
  uint32_t intern(const std::string& name, const std::string& addr);
  const BrokerRef& operator[](uint32_t i) const { return refs_[i]; }
  size_t size() const { return refs_.size(); }

 private:
  std::deque<BrokerRef> refs_;  // stable addresses
  std::map<std::pair<std::string, std::string>, uint32_t> index_;
};

struct SendQueue {
  uint32_t broker = 0;  // into the client's BrokerTable
  int32_t queue_id = 0;
};

// A topic's writable queues, in Route::write_queues's order (so queue
// numbering and round robin are unchanged). Up to kInline live in the
// object itself; more go to the heap. A value: copyable for a retry.
class SendRoute {
 public:
  static constexpr size_t kInline = 8;
  SendRoute() = default;
  SendRoute(const Route& r, BrokerTable& brokers);
  size_t size() const { return n_; }
  bool empty() const { return n_ == 0; }
  const SendQueue& operator[](size_t i) const { return n_ <= kInline ? inline_[i] : more_[i]; }

 private:
  uint32_t n_ = 0;
  SendQueue inline_[kInline]{};
  std::vector<SendQueue> more_;  // all of them, when n_ > kInline
};

// Topic name -> SendRoute*, open addressing on a 64-bit hash of the name
// (linear probing, at most half full). Entries are never removed (as the
// route cache's); a name points at the cache's key. A send by name reads one
// slot line and compares the name, instead of walking a std::map of
// 10,000 nodes. [loop]
class SendRouteIndex {
 public:
  const SendRoute* find(std::string_view topic) const;
  // topic (not present yet) and route outlive the index.
  void insert(const std::string* topic, const SendRoute* route);

 private:
  struct Slot {
    uint64_t hash = 0;
    const std::string* name = nullptr;
    const SendRoute* route = nullptr;
  };
  static uint64_t hash_of(std::string_view s);
  void grow();
  void place(const Slot& s);  // into the first free slot of its probe run
  std::vector<Slot> slots_;
  size_t used_ = 0;
};

// SendRoutes in the order their topics were first routed, in chunks that
// only grow: a client sending round robin over many topics reads them as one
// stream (prefetched) instead of one scattered map node each, and a pointer
// stays valid for the arena's life. [loop]
class SendRouteArena {
 public:
  SendRoute* make();

 private:
  std::vector<std::unique_ptr<SendRoute[]>> chunks_;
  size_t used_ = 0, cap_ = 0;  // of the last chunk
};

}  // namespace ferry::sdk
