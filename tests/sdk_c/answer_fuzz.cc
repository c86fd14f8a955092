// libFuzzer target for libferry's readers of what brokers and name servers
// answer. A garbled or hostile answer is refused, or read strictly inside its
// own bytes; it never crashes the client, and never makes it allocate by a
// count the peer chose. The first input byte picks the shape:
//   0  the rest, raw, as every answer type the client reads (verified copy,
//      inline or spilled, then moved: the moved copy reads the same);
//   1  a well-formed TopicRoute built from the input, maybe one byte
//      flipped, through read_ns + parse_route (queue counts included);
//   2  a well-formed SendResponse built the same way;
//   3  the rest as a pull answer's records, through decode_records.
#include <flatbuffers/flatbuffers.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "message.h"
#include "route.h"
#include "wire.h"

namespace {

using namespace ferry::sdk;

// Bytes taken from the input in order; zeros once it runs out.
struct Cursor {
  const uint8_t* p;
  size_t n;
  uint8_t byte() {
    if (n == 0) return 0;
    --n;
    return *p++;
  }
  uint32_t u32() { return uint32_t{byte()} << 24 | uint32_t{byte()} << 16 | uint32_t{byte()} << 8 | byte(); }
  std::string text() {
    size_t len = byte() % 24;
    std::string s;
    for (size_t i = 0; i < len; ++i) s.push_back(static_cast<char>('a' + byte() % 26));
    return s;
  }
};

void need(bool ok) {
  if (!ok) std::abort();
}

bool inside(const void* p, size_t len, const uint8_t* begin, size_t size) {
  if (len == 0) return true;
  const auto* b = static_cast<const uint8_t*>(p);
  return b >= begin && len <= size && static_cast<size_t>(b - begin) <= size - len;
}

// The route the client would adopt: never more queues than the entries
// allow, every queue key on a broker that has a master.
void check_route(const fbn::TopicRoute& r) {
  Route out = parse_route(r);
  const size_t entries = r.queues() ? r.queues()->size() : 0;
  need(out.write_queues.size() <= entries * kMaxQueuesPerBroker);
  need(out.read_queues.size() <= entries * kMaxQueuesPerBroker);
  for (const auto& q : out.write_queues) need(out.masters.count(q.broker) == 1);
  for (const auto& q : out.read_queues) need(out.masters.count(q.broker) == 1);
}

// Reads every field the client reads, then checks a moved copy reads the same.
template <class T, class Walk>
void read_as(std::span<const uint8_t> payload, const char* ident, Walk walk) {
  auto d = read_payload<T>(payload, ident);
  if (!d) return;
  const std::string first = walk(*d.root);
  Decoded<T> moved = std::move(d);
  need(static_cast<bool>(moved) && !d);
  need(walk(*moved.root) == first);
}

std::string walk_send(const fbc::SendResponse& r) {
  std::string s = str(r.topic());
  if (r.results())
    for (const auto* x : *r.results()) {
      s += str(x->offset_msg_id()) + '|' + str(x->uniq_key()) + '|' + std::to_string(x->queue_id()) + '|' +
           std::to_string(x->queue_offset()) + ';';
    }
  return s;
}

std::string walk_pull(const fbc::PullResponse& r) {
  std::string s = std::to_string(r.next_offset()) + '/' + std::to_string(r.count());
  if (r.queue_offsets())
    for (uint64_t o : *r.queue_offsets()) s += ',' + std::to_string(o);
  return s;
}

std::string walk_heartbeat(const fbc::HeartbeatResponse& r) {
  std::string s = std::to_string(r.client_expiry_ms());
  if (r.resend_subscriptions())
    for (const auto* g : *r.resend_subscriptions()) s += ',' + str(g);
  return s;
}

std::string walk_route(const fbn::TopicRoute& r) {
  check_route(r);
  Route out = parse_route(r);
  std::string s = out.topic + '/' + std::to_string(out.write_queues.size()) + '/' +
                  std::to_string(out.read_queues.size());
  for (const auto& [name, addr] : out.masters) s += ',' + name + '=' + addr;
  return s;
}

std::string walk_routes(const fbn::TopicRoutes& r) {
  std::string s = std::to_string(r.answered());
  if (r.routes())
    for (const auto* t : *r.routes())
      if (t && t->topic()) s += ';' + walk_route(*t);
  if (r.not_found())
    for (const auto* n : *r.not_found()) s += '!' + str(n);
  return s;
}

void raw(std::span<const uint8_t> payload) {
  // A heap copy of exactly the payload, so ASan sees any read past it.
  std::vector<uint8_t> copy(payload.begin(), payload.end());
  std::span<const uint8_t> p(copy);
  read_as<fbc::SendResponse>(p, "FRCO", walk_send);
  read_as<fbc::PullResponse>(p, "FRCO", walk_pull);
  read_as<fbc::HeartbeatResponse>(p, "FRCO", walk_heartbeat);
  read_as<fbn::TopicRoute>(p, "FNSV", walk_route);
  read_as<fbn::TopicRoutes>(p, "FNSV", walk_routes);
}

// Flips one byte of a finished buffer (or none), position and mask from c.
std::vector<uint8_t> garble(const flatbuffers::FlatBufferBuilder& fbb, Cursor& c) {
  std::vector<uint8_t> buf(fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize());
  const uint8_t how = c.byte();
  if (how & 1) buf[c.u32() % buf.size()] ^= static_cast<uint8_t>(c.byte() | 1);
  if (how & 2) buf.resize(c.u32() % buf.size());  // cut short
  return buf;
}

void built_route(Cursor c) {
  flatbuffers::FlatBufferBuilder fbb;
  std::vector<flatbuffers::Offset<fbn::BrokerData>> brokers;
  for (size_t b = 0, nb = c.byte() % 4; b < nb; ++b) {
    std::vector<flatbuffers::Offset<fbn::BrokerAddress>> addrs;
    for (size_t a = 0, na = c.byte() % 3; a < na; ++a) {
      auto addr = fbb.CreateString("127.0.0.1:" + std::to_string(c.u32() % 65536));
      addrs.push_back(fbn::CreateBrokerAddress(fbb, c.byte() % 3, addr));
    }
    auto cluster = fbb.CreateString(c.text());
    auto name = fbb.CreateString("b" + std::to_string(b));
    brokers.push_back(fbn::CreateBrokerData(fbb, cluster, name, fbb.CreateVector(addrs)));
  }
  std::vector<flatbuffers::Offset<fbn::QueueData>> queues;
  for (size_t q = 0, nq = c.byte() % 4; q < nq; ++q) {
    auto name = fbb.CreateString("b" + std::to_string(c.byte() % 5));
    // Counts are anything the peer says, not only what ferryd would send.
    const uint32_t rq = (c.byte() & 1) ? c.u32() : c.byte();
    const uint32_t wq = (c.byte() & 1) ? c.u32() : c.byte();
    queues.push_back(fbn::CreateQueueData(fbb, name, rq, wq, c.byte() % 8));
  }
  auto topic = fbb.CreateString(c.text());
  fbb.Finish(fbn::CreateTopicRoute(fbb, topic, fbb.CreateVector(queues), fbb.CreateVector(brokers)), "FNSV");
  auto buf = garble(fbb, c);
  read_as<fbn::TopicRoute>(buf, "FNSV", walk_route);
}

void built_send(Cursor c) {
  flatbuffers::FlatBufferBuilder fbb;
  std::vector<flatbuffers::Offset<fbc::SendResult>> results;
  // Up to 40 results: answers both below and above the inline copy's size.
  for (size_t i = 0, n = c.byte() % 40; i < n; ++i) {
    auto id = fbb.CreateString(c.text());
    auto key = fbb.CreateString(c.text());
    results.push_back(fbc::CreateSendResult(fbb, id, key, static_cast<int32_t>(c.u32()), c.u32(), c.u32()));
  }
  auto topic = fbb.CreateString(c.text());
  fbb.Finish(fbc::CreateSendResponse(fbb, topic, fbb.CreateVector(results)), "FRCO");
  auto buf = garble(fbb, c);
  read_as<fbc::SendResponse>(buf, "FRCO", walk_send);
}

void records(std::span<const uint8_t> payload, bool pooled) {
  auto keep = std::make_shared<std::vector<uint8_t>>(payload.begin(), payload.end());
  const uint8_t* data = keep->data();
  const size_t len = keep->size();
  std::shared_ptr<BlockPool> pool = pooled ? std::make_shared<BlockPool>() : nullptr;
  std::string why;
  auto msgs = decode_records(keep, data, len, "broker-a", &why, pool.get());
  // Never more slots than records the bytes could hold.
  need(msgs.size() <= len / FERRY_RECORD_FIXED_V4);
  size_t total = 0;
  for (const auto& m : msgs) {
    need(m->received && m->rec.total_size >= FERRY_RECORD_FIXED_V4);
    total += m->rec.total_size;
    for (ferry_slice s : {m->rec.body, m->rec.topic, m->rec.properties, m->rec.born_host, m->rec.store_host})
      need(inside(s.data, s.len, data, len));
    need(m->offset_msg_id_len <= sizeof m->offset_msg_id);
    need(m->broker_name() == "broker-a");
  }
  need(total <= len);
  msgs.clear();  // every slot released: the block is freed or pooled here
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  std::span<const uint8_t> rest(data + 1, size - 1);
  switch (data[0] % 4) {
    case 0: raw(rest); break;
    case 1: built_route(Cursor{rest.data(), rest.size()}); break;
    case 2: built_send(Cursor{rest.data(), rest.size()}); break;
    default:
      records(rest, false);
      records(rest, true);
      break;
  }
  return 0;
}
