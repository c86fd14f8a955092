#include "record_builder.h"

#include <ferry/record.h>

namespace ferry::test {
namespace {

void be32(std::string& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((v >> shift) & 0xff));
}
void be64(std::string& out, uint64_t v) {
  be32(out, static_cast<uint32_t>(v >> 32));
  be32(out, static_cast<uint32_t>(v));
}

}  // namespace

std::string build_record(const std::string& topic, const std::string& body,
                         const std::vector<std::pair<std::string, std::string>>& properties) {
  std::string props;
  for (const auto& [name, value] : properties)
    props += name + FERRY_PROP_NAME_VALUE_SEP + value + FERRY_PROP_SEP;
  uint32_t total = static_cast<uint32_t>(FERRY_RECORD_FIXED_V4 + 4 + body.size() + 1 +
                                         topic.size() + 2 + props.size());
  std::string r;
  be32(r, total);
  be32(r, FERRY_RECORD_MAGIC);
  be32(r, 0);            // body crc (filters do not check it)
  be32(r, 0);            // queue id
  be32(r, 0);            // flag
  be64(r, 0);            // queue offset
  be64(r, 0);            // physical offset
  be32(r, 0);            // sys flag: IPv4 hosts
  be64(r, 1);            // born timestamp
  be32(r, 0x7f000001);   // born host 127.0.0.1
  be32(r, 1234);         //   port
  be64(r, 2);            // store timestamp
  be32(r, 0x7f000001);   // store host
  be32(r, 10911);        //   port
  be32(r, 0);            // reconsume times
  be64(r, 0);            // prepared transaction offset
  be32(r, static_cast<uint32_t>(body.size()));
  r += body;
  r.push_back(static_cast<char>(topic.size()));
  r += topic;
  r.push_back(static_cast<char>((props.size() >> 8) & 0xff));
  r.push_back(static_cast<char>(props.size() & 0xff));
  r += props;
  return r;
}

}  // namespace ferry::test
