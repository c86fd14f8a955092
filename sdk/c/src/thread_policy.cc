#include "thread_policy.h"

#include <sched.h>

#include <cerrno>

namespace ferry::sdk {

int apply_thread_policy(ThreadPolicy p) {
#ifdef SCHED_BATCH
  if (p != ThreadPolicy::kBatch) return 0;
  // pid 0 = the calling thread only; sched_setscheduler keeps the nice value.
  sched_param param{};
  return ::sched_setscheduler(0, SCHED_BATCH, &param) == 0 ? 0 : errno;
#else
  return p == ThreadPolicy::kBatch ? ENOTSUP : 0;
#endif
}

}  // namespace ferry::sdk
