#pragma once
// Types shared by the core's implementation files (not part of its API).
#include <chrono>
#include <deque>
#include <memory>
#include <string>
#include <string_view>

#include "core.h"
#include "wire.h"

namespace ferry::core {

// A send (or put-through-core) waiting for min(durable, replicated) to pass
// `end`, the commit offset just past its last record.
struct Core::Pending {
  uint64_t end = 0;
  // Topic-table generation this send created (auto-create); the ack also
  // waits until the table is saved past it. 0 = none.
  uint64_t topic_generation = 0;
  std::chrono::steady_clock::time_point appended_at;  // for the ack latency histogram
  uint64_t deadline_ms = 0;  // monotonic
  RequestPtr req;            // a producer's send, or
  ferry_put_fn put_fn = nullptr;  // a plugin's put_message
  void* put_user_data = nullptr;
  Response response;         // prepared at append time (ids, queue offsets), or
  bool compact = false;      // a single-message send: `answer` is encoded at ack
  SendAnswer answer;
  ferry_append_result put_result{};
  std::string put_msg_id;
};

// A pull in progress: decoded once, retried on wake-ups while held.
struct Core::PullJob {
  RequestPtr req;
  Decoded<fb::PullRequest> payload;
  std::string_view topic;   // views into the payload (alive with req)
  int32_t queue_id = 0;
  uint64_t offset = 0;
  uint32_t max_count = 0;
  uint32_t max_bytes = 0;
  std::shared_ptr<const CompiledFilter> filter;
  uint64_t deadline_ms = 0;  // monotonic; 0 = do not hold
  uint64_t key = 0;
  std::unique_ptr<ErrorSlot> err;
  // Part of a chain (PullRequest.chain Head/Follows) of this generation:
  // its answer starts the Follows pull behind it (pull_chain.cc).
  // The chain is found again by (chain_hash, chain) when answered: the
  // request's connection id and payload are gone once it is answered.
  bool chained = false;
  uint64_t chain_gen = 0;
  uint64_t chain_hash = 0;
  const void* chain = nullptr;  // identity only, never dereferenced unchecked
  uint64_t hold_ms = 0;  // a Follows pull's hold starts when it is read
};

// One connection's chain of pulls on a group/topic/queue (pull_chain.cc).
struct Core::PullChain {
  uint64_t hash = 0;  // its key in chains_
  uint64_t conn_id = 0;
  std::string group, topic;
  int32_t queue_id = 0;
  uint64_t gen = 0;        // bumped by a Head or a supersede: older pulls' answers are ignored
  bool busy = false;       // a pull of this generation is being read or held
  bool known = false;      // next_offset is where the last answered pull ended
  uint64_t next_offset = 0;
  std::deque<std::unique_ptr<PullJob>> waiting;  // Follows pulls, in arrival order
};

inline void respond_error(Request& req, ferry_status s, std::string why) {
  req.respond(Response::error(s, std::move(why)));
}

inline std::string bad_payload(std::string_view table) {
  return "payload is not a valid " + std::string(table) + " (abi/wire/core.fbs)";
}

}  // namespace ferry::core
