#include "ferry/net/thread_slice.h"

#include <sched.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace ferry::net {
namespace {

// The kernel's struct sched_attr (include/uapi/linux/sched/types.h, size 56
// with util_min/util_max); glibc < 2.41 has no wrapper, so it is spelled here.
struct SchedAttr {
  uint32_t size;
  uint32_t sched_policy;
  uint64_t sched_flags;
  int32_t sched_nice;
  uint32_t sched_priority;
  uint64_t sched_runtime;  // SCHED_OTHER: the requested slice in ns (0 = default)
  uint64_t sched_deadline;
  uint64_t sched_period;
  uint32_t sched_util_min;
  uint32_t sched_util_max;
};

}  // namespace

int set_thread_slice(uint32_t slice_us) {
#ifdef SYS_sched_setattr
  const auto tid = static_cast<id_t>(::syscall(SYS_gettid));
  // sched_setattr sets the nice value too: pass the thread's own so a
  // lowered-priority thread stays lowered (getpriority can return -1 as a
  // value; errno tells it from an error).
  errno = 0;
  int nice = ::getpriority(PRIO_PROCESS, tid);
  if (nice == -1 && errno != 0) nice = 0;
  SchedAttr a{};
  a.size = sizeof a;
  a.sched_policy = SCHED_OTHER;
  a.sched_nice = nice;
  a.sched_runtime = static_cast<uint64_t>(slice_us) * 1000;
  if (::syscall(SYS_sched_setattr, 0, &a, 0u) != 0) return errno != 0 ? errno : EINVAL;
  return 0;
#else
  (void)slice_us;
  return ENOSYS;
#endif
}

uint64_t thread_slice_ns() {
  std::FILE* f = std::fopen("/proc/thread-self/sched", "r");
  if (f == nullptr) return 0;
  char line[256];
  unsigned long long ns = 0;
  while (std::fgets(line, sizeof line, f) != nullptr) {
    if (std::strncmp(line, "se.slice", 8) != 0) continue;
    const char* colon = std::strchr(line, ':');
    if (colon != nullptr) ns = std::strtoull(colon + 1, nullptr, 10);
    break;
  }
  std::fclose(f);
  return ns;
}

}  // namespace ferry::net
