#pragma once
// Start order of plugin instances from their declared requirements (by
// kind), whatever order the config lists them in. A requirement on a kind
// depends on every instance of that kind. Stable: instances with no order
// between them keep their config order. Shutdown walks the result backwards.
#include <cstdint>
#include <string>
#include <vector>

#include "loader/plugin_library.h"

namespace ferry::loader {

struct GraphNode {
  std::string instance;  // config name, e.g. "registry"
  std::string library;   // for messages, e.g. "ferry_routing_namesrv"
  uint32_t kind;
  std::vector<Requirement> requirements;
};

struct GraphResult {
  std::vector<size_t> order;        // indexes into the input, requirements first
  struct Error {
    size_t node;  // the instance the error is about
    std::string message;
  };
  std::vector<Error> errors;  // missing requirements and cycles
};

GraphResult order_instances(const std::vector<GraphNode>& nodes);

}  // namespace ferry::loader
