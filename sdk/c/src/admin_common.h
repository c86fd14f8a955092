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
// *out = a malloc'd copy of the document (ferry_string_free).
ferry_status json_out(const Json& j, char** out, char* errbuf, size_t errlen);

}  // namespace ferry::sdk::admin
