#include "admin_config.h"

#include <ferry/codes.h>
#include <ferry/wire/core_generated.h>

namespace ferry {

std::vector<uint8_t> encode_broker_config(const std::vector<ConfigSection>& sections) {
  namespace fb = ::ferry::wire::core;
  flatbuffers::FlatBufferBuilder fbb(4096);
  std::vector<flatbuffers::Offset<fb::ConfigEntry>> entries;
  for (const ConfigSection& s : sections) {
    auto section = fbb.CreateString(s.name);
    for (const auto& [key, entry] : s.values->all())
      entries.push_back(fb::CreateConfigEntry(fbb, section, fbb.CreateString(key),
                                              fbb.CreateString(config::value_text(entry.type, entry.value))));
  }
  fbb.Finish(fb::CreateBrokerConfigResponse(fbb, fbb.CreateVector(entries)), FERRY_CORE_FILE_IDENTIFIER);
  return {fbb.GetBufferPointer(), fbb.GetBufferPointer() + fbb.GetSize()};
}

}  // namespace ferry
