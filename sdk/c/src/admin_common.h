#pragma once
// What every admin call shares (admin.cc, admin_groups.cc): the handle, one
// request to a broker or the name servers with its answer copied out of the
// loop, routes, a target's master addresses, JSON out.
// Threads: the caller's (each call blocks on the admin's I/O thread).
#include <ferry/codes.h>
#include <ferry/namesrv_codes.h>

#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "handle.h"
#include "json.h"
#include "message.h"
#include "wire.h"

struct ferry_admin : ferry::sdk::Handle {};

namespace ferry::sdk::admin {

// A raw answer copied out of the loop.
struct Answer {
  ferry_status status = FERRY_OK;
  std::string message;
  std::vector<uint8_t> payload;
  std::shared_ptr<const void> buffer;
  std::span<const uint8_t> attachment;
};

// One request to an address (or to the name servers when addr is empty); a
// non-OK answer becomes the Error, naming who answered.
Error ask(ferry_admin* a, const std::string& addr, uint32_t code, std::vector<uint8_t> payload, Answer* out);
Error route_of(ferry_admin* a, const std::string& topic, std::shared_ptr<const Route>* out);
// Master addresses of a target: "host:port" itself, or a cluster's masters.
Error targets(ferry_admin* a, const std::string& target, std::vector<std::string>* out);
// Every master the name servers know: broker name -> address.
Error all_masters(ferry_admin* a, std::map<std::string, std::string>* out);
// The broker address ("a.b.c.d:port") and commit offset an offset message
// id names (32 hex digits: IPv4 brokers).
Error parse_offset_id(const std::string& id, std::string* addr, uint64_t* commit_offset);
// *out = a malloc'd copy of the document (ferry_string_free).
ferry_status json_out(const Json& j, char** out, char* errbuf, size_t errlen);

// The argument check of the calls that take a group and answer with JSON
// (`topic` too when the call needs one): each required, *json cleared.
inline ferry_status group_json_args(const char* group, char** json, char* errbuf, size_t errlen,
                                    const char* const* topic = nullptr) {
  FERRY_REQUIRE_ARG(group, "group");
  if (topic) FERRY_REQUIRE_ARG(*topic, "topic");
  FERRY_REQUIRE_ARG(json, "json_out");
  *json = nullptr;
  return FERRY_OK;
}

// The shape of every admin call: no exception crosses (guarded), the
// handle and then the call's arguments are checked (`args` returns non-OK
// to refuse; FERRY_REQUIRE_ARG works in it), the handle must be running,
// then `body` does the call's work.
template <class Args, class Body>
ferry_status entry(ferry_admin* a, char* errbuf, size_t errlen, Args&& args, Body&& body) {
  return guarded(errbuf, errlen, [&]() -> ferry_status {
    FERRY_REQUIRE_ARG(a, "admin");
    ferry_status st = args();
    if (st != FERRY_OK) return st;
    st = a->check_running(errbuf, errlen);
    if (st != FERRY_OK) return st;
    return body();
  });
}

// Asks brokers (name -> address) one by one: `each(name, addr)` sends and
// reads one request; its first failure stops the loop and is returned.
template <class Each>
Error each_broker(const std::map<std::string, std::string>& brokers, Each&& each) {
  for (const auto& [name, addr] : brokers) {
    Error e = each(name, addr);
    if (!e.ok()) return e;
  }
  return {};
}

}  // namespace ferry::sdk::admin
