#pragma once
// The ferry_host_api table handed to every plugin instance (ferry/host.h).
#include <ferry/host.h>

namespace ferry::host {

// Static storage; valid for the life of the process.
const ferry_host_api* host_api();

}  // namespace ferry::host
