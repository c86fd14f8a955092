#pragma once
// The kernel's own keys ([kernel] and [broker]), declared in the same
// ferry_config_key form as plugins' keys so one validator and one
// --print-schema serve both.
#include <core/config.h>

#include "config/schema.h"
#include "config/values.h"

namespace ferry::config {

const Schema& kernel_schema();
const Schema& broker_schema();
// [core]: the messaging core's own declaration (kernel/core/config.h).
const Schema& core_schema();

// The core's settings from validated [core] values (defaults applied).
core::CoreConfig core_config(const Values& values);

}  // namespace ferry::config
