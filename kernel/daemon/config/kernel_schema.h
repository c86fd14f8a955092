#pragma once
// The kernel's own keys ([kernel] and [broker]), declared in the same
// ferry_config_key form as plugins' keys so one validator and one
// --print-schema serve both.
#include "config/schema.h"

namespace ferry::config {

const Schema& kernel_schema();
const Schema& broker_schema();

}  // namespace ferry::config
