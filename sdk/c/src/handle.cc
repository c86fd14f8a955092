#include "handle.h"

#include <ferry/codes.h>

#include "wire.h"

namespace ferry::sdk {

std::vector<uint8_t> encode_unregister(const std::string& client_id) {
  flatbuffers::FlatBufferBuilder fbb(64);
  return finish_core(fbb, fbc::CreateUnregisterClientRequest(fbb, fbb.CreateString(client_id)));
}

void unregister_everywhere(Handle& h) {
  Error e;
  int unused = 0;
  e = h.call<int>(h.s.request_timeout_ms + 500, [&h](std::shared_ptr<Promise<int>> p) {
    auto addrs = h.io->broker_addresses();
    if (addrs.empty()) return p->set({});
    auto left = std::make_shared<size_t>(addrs.size());
    for (const auto& a : addrs)
      h.io->request(a, FERRY_CODE_UNREGISTER_CLIENT, encode_unregister(h.s.client_id), {},
                    h.s.request_timeout_ms, false, [p, left](const net::Response&) {
                      if (--*left == 0) p->set({});
                    });
  }, &unused);
  if (!e.ok()) h.io->log(FERRY_LOG_INFO, "unregister: " + e.message);
}

}  // namespace ferry::sdk
