#pragma once
// Conversion between the plain values (types.h) and the FNSV payloads of
// abi/wire/namesrv.fbs. Every decode verifies the buffer first (on an
// aligned copy when the slice is misaligned) and answers a bad payload with
// FERRY_E_INVALID_ARGUMENT and a message naming the request; nothing in a
// payload is trusted before the verifier has passed it.
#include <flatbuffers/flatbuffers.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "ferry/abi.h"
#include "types.h"

namespace ferry::namesrv {

using Buffer = flatbuffers::DetachedBuffer;

inline ferry_slice as_slice(const Buffer& b) { return ferry_slice{b.data(), b.size()}; }

struct UnregisterRequest {
  std::string cluster;
  std::string broker_name;
  int64_t broker_id = 0;
  std::string address;
};

struct ListTopicsRequest {
  std::string start_after;
  uint32_t max_count = 0;  // 0: server default
};

// ---- requests ----
Buffer encode_register(const BrokerIdentity& broker, uint64_t round_id, uint32_t chunk_index,
                       uint32_t chunk_count, uint64_t topics_version,
                       std::span<const TopicConfig> topics);
Outcome decode_register(ferry_slice payload, RegisterChunk* out);

Buffer encode_heartbeat(const BrokerIdentity& broker, uint64_t topics_version);
Outcome decode_heartbeat(ferry_slice payload, BrokerIdentity* broker, uint64_t* topics_version);

Buffer encode_unregister(const UnregisterRequest& req);
Outcome decode_unregister(ferry_slice payload, UnregisterRequest* out);

Buffer encode_get_route(std::string_view topic);
Outcome decode_get_route(ferry_slice payload, std::string* topic);

// Many topics' routes in one request (GET_ROUTES). An empty name is refused.
Buffer encode_get_routes(std::span<const std::string> topics);
Outcome decode_get_routes(ferry_slice payload, std::vector<std::string>* topics);

// An empty payload is valid for these two and means "defaults".
Buffer encode_get_cluster_info(std::string_view cluster);
Outcome decode_get_cluster_info(ferry_slice payload, std::string* cluster);
Buffer encode_list_topics(const ListTopicsRequest& req);
Outcome decode_list_topics(ferry_slice payload, ListTopicsRequest* out);

// ---- answers ----
Buffer encode_register_answer(const RegisterAnswer& a);
Outcome decode_register_answer(ferry_slice payload, RegisterAnswer* out);

Buffer encode_route(const TopicRoute& r);
Outcome decode_route(ferry_slice payload, TopicRoute* out);

// A TopicRoutes answer, built route by route into one buffer so the server
// can stop adding once size() nears the frame limit.
class RoutesWriter {
 public:
  RoutesWriter();
  ~RoutesWriter();
  void add(const TopicRoute& r);
  void not_found(std::string_view topic);
  size_t size() const;  // bytes built so far
  Buffer finish(uint32_t answered);

 private:
  std::unique_ptr<flatbuffers::FlatBufferBuilder> fbb_;
  std::vector<flatbuffers::uoffset_t> routes_, not_found_;
};

struct RoutesAnswer {
  std::vector<TopicRoute> routes;
  std::vector<std::string> not_found;
  uint32_t answered = 0;
};
Outcome decode_routes(ferry_slice payload, RoutesAnswer* out);

Buffer encode_clusters(const std::vector<ClusterView>& clusters);
Outcome decode_clusters(ferry_slice payload, std::vector<ClusterView>* out);

Buffer encode_topic_page(const TopicPage& page);
Outcome decode_topic_page(ferry_slice payload, TopicPage* out);

// Upper bound of the bytes one topic adds to a RegisterBroker buffer (string,
// table, vtable, vector slot, alignment), and of everything else in it.
size_t register_topic_cost(const TopicConfig& t);
size_t register_fixed_cost(const BrokerIdentity& broker);

}  // namespace ferry::namesrv
