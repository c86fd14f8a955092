#pragma once
// One plugin instance: a registry (name server) or a registration (broker
// side). plugin.cc builds the one the config's `mode` names and forwards the
// ABI's lifecycle and routing ops to it. Every method runs on the loop thread.
#include "ferry/routing.h"
#include "types.h"

namespace ferry::namesrv {

class Instance {
 public:
  virtual ~Instance() = default;
  virtual Outcome start() = 0;
  // Stop taking work; may send last requests whose answers arrive before
  // the destructor runs.
  virtual void stop() = 0;
  virtual void info(ferry_routing_info* out) const = 0;
  virtual void on_topics_changed() {}
};

}  // namespace ferry::namesrv
