// Admin listings of consumer groups: which groups this broker knows (live
// members or committed offsets) and who the members of one group are.
// Read-only, on the loop; answers are built from the client table and the
// offset store as they are now.
#include <set>

#include "core_internal.h"

namespace ferry::core {
namespace {

flatbuffers::Offset<flatbuffers::Vector<flatbuffers::Offset<fb::Subscription>>> subscriptions_to_wire(
    flatbuffers::FlatBufferBuilder& fbb, const std::vector<SubscriptionData>& subs) {
  std::vector<flatbuffers::Offset<fb::Subscription>> out;
  out.reserve(subs.size());
  for (const auto& s : subs)
    out.push_back(fb::CreateSubscription(fbb, fbb.CreateString(s.topic), fbb.CreateString(s.expression_type),
                                         fbb.CreateString(s.expression)));
  return fbb.CreateVector(out);
}

}  // namespace

void Core::handle_group_list(RequestPtr req) {
  if (!read_payload<fb::GroupListRequest>(req->payload()))
    return respond_error(*req, FERRY_E_INVALID_ARGUMENT, bad_payload("GroupListRequest"));
  // Both sources, merged by name: a group with members but no commit yet, a
  // group whose consumers are all offline but whose offsets remain.
  std::set<std::string> names;
  for (auto& g : clients_.consumer_group_names()) names.insert(std::move(g));
  for (auto& g : offsets_.groups()) names.insert(std::move(g));
  flatbuffers::FlatBufferBuilder fbb(256 + names.size() * 96);
  std::vector<flatbuffers::Offset<fb::GroupInfo>> out;
  out.reserve(names.size());
  for (const auto& name : names) {
    auto members = clients_.group_clients(name);
    std::set<std::string> topics;
    for (const auto& m : members)
      for (const auto& s : m.subscriptions) topics.insert(s.topic);
    auto committed = offsets_.topics_of(name);
    topics.insert(committed.begin(), committed.end());
    std::vector<flatbuffers::Offset<flatbuffers::String>> tv;
    for (const auto& t : topics) tv.push_back(fbb.CreateString(t));
    auto model = members.empty() ? fb::ConsumeModel::Clustering
                                 : static_cast<fb::ConsumeModel>(members.front().consume_model);
    out.push_back(fb::CreateGroupInfo(fbb, fbb.CreateString(name), static_cast<uint32_t>(members.size()), model,
                                      fbb.CreateVector(tv), !committed.empty()));
  }
  Response r;
  finish_into(fbb, fb::CreateGroupListResponse(fbb, fbb.CreateVector(out)), &r);
  req->respond(std::move(r));
}

void Core::handle_consumer_connections(RequestPtr req) {
  auto p = read_payload<fb::ConsumerConnectionsRequest>(req->payload());
  if (!p) return respond_error(*req, FERRY_E_INVALID_ARGUMENT, bad_payload("ConsumerConnectionsRequest"));
  std::string_view group = sv(p->group());
  auto members = clients_.group_clients(group);
  if (members.empty())
    return respond_error(*req, FERRY_E_GROUP_NOT_FOUND,
                         "consumer group '" + std::string(group) + "' has no live member on this broker");
  uint64_t now = env_.monotonic_ms();
  flatbuffers::FlatBufferBuilder fbb(256 + members.size() * 256);
  std::vector<flatbuffers::Offset<fb::ClientConnection>> out;
  out.reserve(members.size());
  for (const auto& m : members) {
    auto subs = subscriptions_to_wire(fbb, m.subscriptions);
    out.push_back(fb::CreateClientConnection(
        fbb, fbb.CreateString(m.client_id), fbb.CreateString(m.peer), fbb.CreateString(m.language),
        fbb.CreateString(m.version), static_cast<fb::ConsumeModel>(m.consume_model),
        now > m.last_seen_ms ? now - m.last_seen_ms : 0, subs));
  }
  Response r;
  finish_into(fbb, fb::CreateConsumerConnectionsResponse(fbb, fbb.CreateString(group), fbb.CreateVector(out)), &r);
  req->respond(std::move(r));
}

}  // namespace ferry::core
