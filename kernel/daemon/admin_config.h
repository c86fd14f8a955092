#pragma once
// FERRY_CODE_BROKER_CONFIG: the running configuration as a
// BrokerConfigResponse (abi/wire/core.fbs) — every key of [kernel],
// [broker], [core] and each [plugins.<instance>] with its effective value
// (defaults applied, --set overrides included), rendered as TOML would
// write it. Answered by the kernel: the core does not know the file.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "config/values.h"

namespace ferry {

struct ConfigSection {
  std::string name;  // "kernel", "broker", "core", "plugins.<instance>"
  const config::Values* values;
};

// The encoded BrokerConfigResponse payload (file identifier FRCO).
std::vector<uint8_t> encode_broker_config(const std::vector<ConfigSection>& sections);

}  // namespace ferry
