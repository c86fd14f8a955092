#include "codec.h"

#include <cstring>
#include <memory>

#include "namesrv_generated.h"

namespace ferry::namesrv {

namespace fb = ::ferry::wire::namesrv;

namespace {

// The payload of a frame sits wherever the envelope put it; the verifier
// checks alignment, so a misaligned payload is verified (and read) from an
// 8-byte aligned copy.
class AlignedView {
 public:
  explicit AlignedView(ferry_slice s) : size_(s.len) {
    const auto* p = static_cast<const uint8_t*>(s.data);
    if (reinterpret_cast<uintptr_t>(p) % alignof(uint64_t) == 0) {
      data_ = p;
      return;
    }
    copy_ = std::make_unique<uint64_t[]>((s.len + 7) / 8);
    std::memcpy(copy_.get(), p, s.len);
    data_ = reinterpret_cast<const uint8_t*>(copy_.get());
  }
  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }

 private:
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
  std::unique_ptr<uint64_t[]> copy_;
};

// Verify `s` as a T with the FNSV identifier. On success *root points into
// `view`, which the caller keeps alive while reading.
template <class T>
Outcome verify(ferry_slice s, const char* what, const AlignedView& view, const T** root) {
  if (s.len == 0 || s.data == nullptr)
    return Outcome::fail(FERRY_E_INVALID_ARGUMENT, std::string(what) + ": empty payload");
  if (s.len >= FLATBUFFERS_MAX_BUFFER_SIZE)
    return Outcome::fail(FERRY_E_INVALID_ARGUMENT, std::string(what) + ": payload too large");
  flatbuffers::Verifier::Options opts;
  // A chunk holds one table per topic: allow as many tables as could fit.
  opts.max_tables = static_cast<flatbuffers::uoffset_t>(s.len / 4 + 64);
  flatbuffers::Verifier v(view.data(), view.size(), opts);
  if (!v.VerifyBuffer<T>(fb::RegisterBrokerIdentifier()))
    return Outcome::fail(FERRY_E_INVALID_ARGUMENT,
                         std::string(what) + ": payload is not a valid FNSV " + what + " table (" +
                             std::to_string(s.len) + " bytes)");
  *root = flatbuffers::GetRoot<T>(view.data());
  return {};
}

std::string str(const flatbuffers::String* s) { return s ? s->str() : std::string(); }

BrokerIdentity identity_from(const fb::Broker* b) {
  return BrokerIdentity{str(b->cluster()), str(b->broker_name()), b->broker_id(),
                        str(b->address()), str(b->ha_address())};
}

flatbuffers::Offset<fb::Broker> build_broker(flatbuffers::FlatBufferBuilder& fbb,
                                             const BrokerIdentity& b) {
  return fb::CreateBrokerDirect(fbb, b.cluster.c_str(), b.broker_name.c_str(), b.broker_id,
                                b.address.c_str(), b.ha_address.c_str());
}

template <class T>
Buffer finish(flatbuffers::FlatBufferBuilder& fbb, flatbuffers::Offset<T> root) {
  fbb.Finish(root, fb::RegisterBrokerIdentifier());
  return fbb.Release();
}

flatbuffers::Offset<fb::BrokerData> build_group(flatbuffers::FlatBufferBuilder& fbb,
                                                const GroupView& g) {
  std::vector<flatbuffers::Offset<fb::BrokerAddress>> members;
  members.reserve(g.members.size());
  for (const MemberView& m : g.members)
    members.push_back(fb::CreateBrokerAddressDirect(fbb, m.broker_id, m.address.c_str(),
                                                    m.ha_address.c_str(), m.last_heartbeat_ms,
                                                    m.topic_count));
  return fb::CreateBrokerDataDirect(fbb, g.cluster.c_str(), g.broker_name.c_str(), &members);
}

GroupView group_from(const fb::BrokerData* d) {
  GroupView g;
  g.cluster = str(d->cluster());
  g.broker_name = str(d->broker_name());
  if (d->addresses())
    for (const fb::BrokerAddress* a : *d->addresses())
      g.members.push_back(MemberView{a->broker_id(), str(a->address()), str(a->ha_address()),
                                     a->last_heartbeat_ms(), a->topic_count()});
  return g;
}

}  // namespace

// ---- requests ----

Buffer encode_register(const BrokerIdentity& broker, uint64_t round_id, uint32_t chunk_index,
                       uint32_t chunk_count, uint64_t topics_version,
                       std::span<const TopicConfig> topics) {
  flatbuffers::FlatBufferBuilder fbb(4096);
  std::vector<flatbuffers::Offset<fb::TopicConfig>> offs;
  offs.reserve(topics.size());
  for (const TopicConfig& t : topics)
    offs.push_back(fb::CreateTopicConfig(fbb, fbb.CreateString(t.name), t.read_queues,
                                         t.write_queues, t.perm, t.flags));
  auto vec = fbb.CreateVector(offs);
  auto b = build_broker(fbb, broker);
  return finish(fbb, fb::CreateRegisterBroker(fbb, b, round_id, chunk_index, chunk_count,
                                              topics_version, vec));
}

Outcome decode_register(ferry_slice payload, RegisterChunk* out) {
  AlignedView view(payload);
  const fb::RegisterBroker* r = nullptr;
  if (Outcome o = verify(payload, "RegisterBroker", view, &r); !o.ok()) return o;
  out->broker = identity_from(r->broker());
  out->round_id = r->round_id();
  out->chunk_index = r->chunk_index();
  out->chunk_count = r->chunk_count();
  out->topics_version = r->topics_version();
  out->topics.clear();
  if (r->topics()) {
    out->topics.reserve(r->topics()->size());
    for (const fb::TopicConfig* t : *r->topics())
      out->topics.push_back(TopicConfig{t->name()->str(), t->read_queues(), t->write_queues(),
                                        t->perm(), t->flags()});
  }
  return {};
}

Buffer encode_heartbeat(const BrokerIdentity& broker, uint64_t topics_version) {
  flatbuffers::FlatBufferBuilder fbb(256);
  auto b = build_broker(fbb, broker);
  return finish(fbb, fb::CreateBrokerHeartbeat(fbb, b, topics_version));
}

Outcome decode_heartbeat(ferry_slice payload, BrokerIdentity* broker, uint64_t* topics_version) {
  AlignedView view(payload);
  const fb::BrokerHeartbeat* h = nullptr;
  if (Outcome o = verify(payload, "BrokerHeartbeat", view, &h); !o.ok()) return o;
  *broker = identity_from(h->broker());
  *topics_version = h->topics_version();
  return {};
}

Buffer encode_unregister(const UnregisterRequest& req) {
  flatbuffers::FlatBufferBuilder fbb(256);
  return finish(fbb, fb::CreateUnregisterBrokerDirect(fbb, req.cluster.c_str(),
                                                      req.broker_name.c_str(), req.broker_id,
                                                      req.address.c_str()));
}

Outcome decode_unregister(ferry_slice payload, UnregisterRequest* out) {
  AlignedView view(payload);
  const fb::UnregisterBroker* u = nullptr;
  if (Outcome o = verify(payload, "UnregisterBroker", view, &u); !o.ok()) return o;
  *out = UnregisterRequest{str(u->cluster()), str(u->broker_name()), u->broker_id(),
                           str(u->address())};
  return {};
}

Buffer encode_get_route(std::string_view topic) {
  flatbuffers::FlatBufferBuilder fbb(128);
  auto t = fbb.CreateString(topic.data(), topic.size());
  return finish(fbb, fb::CreateGetRoute(fbb, t));
}

Outcome decode_get_route(ferry_slice payload, std::string* topic) {
  AlignedView view(payload);
  const fb::GetRoute* g = nullptr;
  if (Outcome o = verify(payload, "GetRoute", view, &g); !o.ok()) return o;
  *topic = g->topic()->str();
  if (topic->empty()) return Outcome::fail(FERRY_E_INVALID_ARGUMENT, "GetRoute: topic is empty");
  return {};
}

Buffer encode_get_cluster_info(std::string_view cluster) {
  flatbuffers::FlatBufferBuilder fbb(128);
  auto c = fbb.CreateString(cluster.data(), cluster.size());
  return finish(fbb, fb::CreateGetClusterInfo(fbb, c));
}

Outcome decode_get_cluster_info(ferry_slice payload, std::string* cluster) {
  cluster->clear();
  if (payload.len == 0) return {};
  AlignedView view(payload);
  const fb::GetClusterInfo* g = nullptr;
  if (Outcome o = verify(payload, "GetClusterInfo", view, &g); !o.ok()) return o;
  *cluster = str(g->cluster());
  return {};
}

Buffer encode_list_topics(const ListTopicsRequest& req) {
  flatbuffers::FlatBufferBuilder fbb(128);
  auto s = fbb.CreateString(req.start_after);
  return finish(fbb, fb::CreateListTopics(fbb, s, req.max_count));
}

Outcome decode_list_topics(ferry_slice payload, ListTopicsRequest* out) {
  *out = ListTopicsRequest{};
  if (payload.len == 0) return {};
  AlignedView view(payload);
  const fb::ListTopics* l = nullptr;
  if (Outcome o = verify(payload, "ListTopics", view, &l); !o.ok()) return o;
  out->start_after = str(l->start_after());
  out->max_count = l->max_count();
  return {};
}

// ---- answers ----

Buffer encode_register_answer(const RegisterAnswer& a) {
  flatbuffers::FlatBufferBuilder fbb(128);
  return finish(fbb, fb::CreateRegisterBrokerResultDirect(fbb, a.round_complete, a.topics_known,
                                                          a.master_address.c_str(),
                                                          a.master_ha_address.c_str()));
}

Outcome decode_register_answer(ferry_slice payload, RegisterAnswer* out) {
  AlignedView view(payload);
  const fb::RegisterBrokerResult* r = nullptr;
  if (Outcome o = verify(payload, "RegisterBrokerResult", view, &r); !o.ok()) return o;
  *out = RegisterAnswer{r->round_complete(), r->topics_known(), str(r->master_address()),
                        str(r->master_ha_address())};
  return {};
}

namespace {

flatbuffers::Offset<fb::TopicRoute> build_route(flatbuffers::FlatBufferBuilder& fbb, const TopicRoute& r) {
  std::vector<flatbuffers::Offset<fb::QueueData>> queues;
  for (const QueueData& q : r.queues)
    queues.push_back(fb::CreateQueueDataDirect(fbb, q.broker_name.c_str(), q.read_queues,
                                               q.write_queues, q.perm, q.flags));
  std::vector<flatbuffers::Offset<fb::BrokerData>> groups;
  for (const GroupView& g : r.groups) groups.push_back(build_group(fbb, g));
  return fb::CreateTopicRouteDirect(fbb, r.topic.c_str(), &queues, &groups);
}

TopicRoute route_from(const fb::TopicRoute* r) {
  TopicRoute out;
  out.topic = r->topic()->str();
  if (r->queues())
    for (const fb::QueueData* q : *r->queues())
      out.queues.push_back(QueueData{q->broker_name()->str(), q->read_queues(), q->write_queues(),
                                     q->perm(), q->flags()});
  if (r->brokers())
    for (const fb::BrokerData* d : *r->brokers()) out.groups.push_back(group_from(d));
  return out;
}

}  // namespace

Buffer encode_route(const TopicRoute& r) {
  flatbuffers::FlatBufferBuilder fbb(1024);
  return finish(fbb, build_route(fbb, r));
}

Outcome decode_route(ferry_slice payload, TopicRoute* out) {
  AlignedView view(payload);
  const fb::TopicRoute* r = nullptr;
  if (Outcome o = verify(payload, "TopicRoute", view, &r); !o.ok()) return o;
  *out = route_from(r);
  return {};
}

Buffer encode_get_routes(std::span<const std::string> topics) {
  flatbuffers::FlatBufferBuilder fbb(64 + topics.size() * 32);
  std::vector<flatbuffers::Offset<flatbuffers::String>> names;
  names.reserve(topics.size());
  for (const std::string& t : topics) names.push_back(fbb.CreateString(t));
  return finish(fbb, fb::CreateGetRoutesDirect(fbb, &names));
}

Outcome decode_get_routes(ferry_slice payload, std::vector<std::string>* topics) {
  topics->clear();
  AlignedView view(payload);
  const fb::GetRoutes* g = nullptr;
  if (Outcome o = verify(payload, "GetRoutes", view, &g); !o.ok()) return o;
  if (!g->topics()) return {};
  topics->reserve(g->topics()->size());
  for (const flatbuffers::String* t : *g->topics()) {
    if (!t || t->size() == 0)
      return Outcome::fail(FERRY_E_INVALID_ARGUMENT,
                           "GetRoutes: topic " + std::to_string(topics->size()) + " is empty");
    topics->push_back(t->str());
  }
  return {};
}

RoutesWriter::RoutesWriter() : fbb_(std::make_unique<flatbuffers::FlatBufferBuilder>(4096)) {}
RoutesWriter::~RoutesWriter() = default;

void RoutesWriter::add(const TopicRoute& r) { routes_.push_back(build_route(*fbb_, r).o); }

void RoutesWriter::not_found(std::string_view topic) {
  not_found_.push_back(fbb_->CreateString(topic.data(), topic.size()).o);
}

size_t RoutesWriter::size() const { return fbb_->GetSize(); }

Buffer RoutesWriter::finish(uint32_t answered) {
  std::vector<flatbuffers::Offset<fb::TopicRoute>> routes(routes_.begin(), routes_.end());
  std::vector<flatbuffers::Offset<flatbuffers::String>> missing(not_found_.begin(), not_found_.end());
  return ::ferry::namesrv::finish(*fbb_, fb::CreateTopicRoutesDirect(*fbb_, &routes, &missing, answered));
}

Outcome decode_routes(ferry_slice payload, RoutesAnswer* out) {
  *out = RoutesAnswer{};
  AlignedView view(payload);
  const fb::TopicRoutes* r = nullptr;
  if (Outcome o = verify(payload, "TopicRoutes", view, &r); !o.ok()) return o;
  if (r->routes())
    for (const fb::TopicRoute* t : *r->routes()) out->routes.push_back(route_from(t));
  if (r->not_found())
    for (const flatbuffers::String* t : *r->not_found()) out->not_found.push_back(str(t));
  out->answered = r->answered();
  return {};
}

Buffer encode_clusters(const std::vector<ClusterView>& clusters) {
  flatbuffers::FlatBufferBuilder fbb(1024);
  std::vector<flatbuffers::Offset<fb::Cluster>> cs;
  for (const ClusterView& c : clusters) {
    std::vector<flatbuffers::Offset<fb::BrokerData>> groups;
    for (const GroupView& g : c.groups) groups.push_back(build_group(fbb, g));
    cs.push_back(fb::CreateClusterDirect(fbb, c.name.c_str(), &groups));
  }
  return finish(fbb, fb::CreateClusterInfoDirect(fbb, &cs));
}

Outcome decode_clusters(ferry_slice payload, std::vector<ClusterView>* out) {
  AlignedView view(payload);
  const fb::ClusterInfo* ci = nullptr;
  if (Outcome o = verify(payload, "ClusterInfo", view, &ci); !o.ok()) return o;
  out->clear();
  if (ci->clusters())
    for (const fb::Cluster* c : *ci->clusters()) {
      ClusterView v;
      v.name = c->name()->str();
      if (c->brokers())
        for (const fb::BrokerData* d : *c->brokers()) v.groups.push_back(group_from(d));
      out->push_back(std::move(v));
    }
  return {};
}

Buffer encode_topic_page(const TopicPage& page) {
  flatbuffers::FlatBufferBuilder fbb(1024);
  auto names = fbb.CreateVectorOfStrings(page.topics);
  return finish(fbb, fb::CreateTopicList(fbb, names, page.more));
}

Outcome decode_topic_page(ferry_slice payload, TopicPage* out) {
  AlignedView view(payload);
  const fb::TopicList* l = nullptr;
  if (Outcome o = verify(payload, "TopicList", view, &l); !o.ok()) return o;
  *out = TopicPage{};
  if (l->topics())
    for (const flatbuffers::String* s : *l->topics()) out->topics.push_back(s->str());
  out->more = l->more();
  return {};
}

size_t register_topic_cost(const TopicConfig& t) {
  // string: length word + bytes + NUL + padding (<= len + 8); table: soffset,
  // name offset and four uints (24); a vtable if not shared (16); the vector
  // slot (4); alignment slack (8).
  return t.name.size() + 60;
}

size_t register_fixed_cost(const BrokerIdentity& b) {
  // Identity strings, the Broker and RegisterBroker tables with their
  // vtables, root offset, identifier and vector length, with slack.
  return b.cluster.size() + b.broker_name.size() + b.address.size() + b.ha_address.size() + 256;
}

}  // namespace ferry::namesrv
