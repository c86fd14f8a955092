#include "admin_common.h"

namespace ferry::sdk::admin {

namespace net = ferry::net;

namespace {

uint64_t wait_budget(const Handle& h) { return h.s.request_timeout_ms * (h.s.name_servers.size() + 2) + 1000; }

Answer to_answer(const net::Response& r) {
  Answer a;
  a.status = r.status;
  a.message = std::string(r.message);
  a.payload.assign(r.payload.begin(), r.payload.end());
  a.buffer = r.retain_buffer();
  a.attachment = r.attachment;
  return a;
}

}  // namespace

// One request to an address (or to the name servers when addr is empty).
Error ask(ferry_admin* a, const std::string& addr, uint32_t code, std::vector<uint8_t> payload, Answer* out) {
  Error e = a->call<Answer>(wait_budget(*a), [a, addr, code, payload = std::move(payload)](std::shared_ptr<Promise<Answer>> p) mutable {
    auto fn = [p](const net::Response& r) { p->set({}, to_answer(r)); };
    if (addr.empty()) a->io->ns_request(code, std::move(payload), fn);
    else a->io->request(addr, code, std::move(payload), {}, a->s.request_timeout_ms, false, fn);
  }, out);
  if (!e.ok()) return e;
  if (out->status != FERRY_OK)
    return Error{out->status, (addr.empty() ? std::string("name server") : addr) + ": " +
                                  (out->message.empty() ? ferry_status_str(out->status) : out->message)};
  return {};
}

Error route_of(ferry_admin* a, const std::string& topic, std::shared_ptr<const Route>* out) {
  return a->call<std::shared_ptr<const Route>>(wait_budget(*a), [a, topic](auto p) {
    a->io->route(topic, true, [p](const Error& e, std::shared_ptr<const Route> r) { p->set(e, r); });
  }, out);
}

// Master addresses of a target: "host:port" itself, or a cluster's masters.
Error targets(ferry_admin* a, const std::string& target, std::vector<std::string>* out) {
  if (target.find(':') != std::string::npos) {
    out->push_back(target);
    return {};
  }
  flatbuffers::FlatBufferBuilder fbb(64);
  Answer ans;
  Error e = ask(a, "", FERRY_NAMESRV_GET_CLUSTER_INFO, finish_ns(fbb, fbn::CreateGetClusterInfo(fbb, fbb.CreateString(target))), &ans);
  if (!e.ok()) return e;
  auto d = read_ns<fbn::ClusterInfo>(ans.payload);
  if (!d) return {FERRY_E_BAD_FRAME, "unreadable ClusterInfo"};
  if (d->clusters())
    for (const auto* c : *d->clusters()) {
      if (str(c->name()) != target || !c->brokers()) continue;
      for (const auto* b : *c->brokers())
        if (b->addresses())
          for (const auto* ad : *b->addresses())
            if (ad->broker_id() == 0) out->push_back(str(ad->address()));
    }
  if (out->empty()) return {FERRY_E_NOT_FOUND, "'" + target + "' is neither host:port nor a cluster with live masters"};
  return {};
}

Error parse_offset_id(const std::string& id, std::string* addr, uint64_t* commit_offset) {
  if (id.size() != 32 || id.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos)
    return {FERRY_E_INVALID_ARGUMENT, "offset message id '" + id + "' must be 32 hex digits (IPv4 brokers)"};
  unsigned long ip = std::strtoul(id.substr(0, 8).c_str(), nullptr, 16);
  unsigned long port = std::strtoul(id.substr(8, 8).c_str(), nullptr, 16);
  *addr = std::to_string((ip >> 24) & 255) + "." + std::to_string((ip >> 16) & 255) + "." +
          std::to_string((ip >> 8) & 255) + "." + std::to_string(ip & 255) + ":" + std::to_string(port);
  *commit_offset = std::strtoull(id.substr(16).c_str(), nullptr, 16);
  return {};
}

ferry_status json_out(const Json& j, char** out, char* errbuf, size_t errlen) {
  char* s = static_cast<char*>(std::malloc(j.str().size() + 1));
  if (!s) return fail(errbuf, errlen, FERRY_E_NO_MEMORY, "out of memory");
  std::memcpy(s, j.str().c_str(), j.str().size() + 1);
  *out = s;
  return FERRY_OK;
}

Error all_masters(ferry_admin* a, std::map<std::string, std::string>* out) {
  flatbuffers::FlatBufferBuilder fbb(64);
  Answer ans;
  Error e = ask(a, "", FERRY_NAMESRV_GET_CLUSTER_INFO, finish_ns(fbb, fbn::CreateGetClusterInfo(fbb)), &ans);
  if (!e.ok()) return e;
  auto d = read_ns<fbn::ClusterInfo>(ans.payload);
  if (d && d->clusters())
    for (const auto* c : *d->clusters())
      if (c->brokers())
        for (const auto* b : *c->brokers())
          if (b->addresses())
            for (const auto* ad : *b->addresses())
              if (ad->broker_id() == 0) (*out)[str(b->broker_name())] = str(ad->address());
  return {};
}

}  // namespace ferry::sdk::admin
