// PROCESS CRASH: a child appends under a flush plugin and reports every
// acknowledged message through a pipe; the parent SIGKILLs it at a random
// moment (sometimes before it got going, i.e. during recovery), verifies the
// log in-process, and starts it again. Nothing acknowledged may be lost,
// under sync and async flush alike (a process crash keeps the page cache).
// Rounds: FERRY_CRASH_ROUNDS (default 20); seed: FERRY_CRASH_SEED.
#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "ferry_test/child_process.h"
#include "ferry_test/paths.h"
#include "ferry_test/temp_dir.h"
#include "log_verifier.h"

namespace ferry::test::crash {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

int env_int(const char* name, int def) {
  const char* v = std::getenv(name);
  return v && *v ? std::atoi(v) : def;
}

// Read what is available on fd until `until`; false once EOF was seen.
bool drain(int fd, std::string* buf, Clock::time_point until) {
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now()).count();
    if (left < 0) left = 0;
    pollfd p{fd, POLLIN, 0};
    int r = ::poll(&p, 1, static_cast<int>(left));
    if (r <= 0) return true;  // time is up (or EINTR): still open
    char chunk[8192];
    ssize_t n = ::read(fd, chunk, sizeof(chunk));
    if (n <= 0) return false;  // EOF: every writer is gone
    buf->append(chunk, static_cast<size_t>(n));
  }
}

class ProcessCrash : public ::testing::TestWithParam<std::string> {};

TEST_P(ProcessCrash, NothingAcknowledgedIsLost) {
  const std::string mode = GetParam();
  if (!std::filesystem::exists(PluginHandle::library_path("storage", "mmaplog"))) {
    GTEST_SKIP() << "ferry_storage_mmaplog.so is not built yet";
  }
  const int rounds = env_int("FERRY_CRASH_ROUNDS", 20);
  const unsigned seed = static_cast<unsigned>(env_int("FERRY_CRASH_SEED", static_cast<int>(std::random_device{}())));
  std::mt19937 rng(seed);
  SCOPED_TRACE("mode " + mode + ", FERRY_CRASH_SEED=" + std::to_string(seed));
  TempDir dir("ferry-crash");
  const std::string data = dir.str() + "/data";
  ASSERT_EQ(::mkdir(data.c_str(), 0755), 0);
  std::vector<Acked> acked;
  const auto test_deadline = Clock::now() + std::chrono::seconds(60 + 20 * rounds);
  uint64_t first_seq = 0;

  for (int round = 0; round < rounds; ++round) {
    ASSERT_LT(Clock::now(), test_deadline) << "out of time at round " << round;
    int fds[2];
    ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
    ASSERT_EQ(::fcntl(fds[1], F_SETFD, 0), 0);  // the child inherits the write end
    size_t before = acked.size();
    std::string buf;
    bool eof = false;
    {
      ChildProcess child({bin_path("ferry_crash_appender"), "--data", data, "--flush", mode, "--first-seq",
                          std::to_string(first_seq), "--report-fd", std::to_string(fds[1]), "--threads", "4",
                          "--max-seconds", "60"},
                         dir.str() + "/child-" + std::to_string(round) + ".log");
      ::close(fds[1]);
      // One round in five dies young (often inside recovery); the others
      // once acks flow, after a random further while.
      bool young = std::uniform_int_distribution<int>(0, 4)(rng) == 0;
      if (!young) {
        auto until = Clock::now() + 15s;
        while (!eof && acked.size() == before && Clock::now() < until) {
          eof = !drain(fds[0], &buf, Clock::now() + 20ms);
          parse_acks(&buf, &acked);
        }
        ASSERT_GT(acked.size(), before) << "round " << round << ": no ack within 15 s\n" << child.log();
      }
      int ms = young ? std::uniform_int_distribution<int>(0, 60)(rng)
                     : std::uniform_int_distribution<int>(0, 250)(rng);
      if (!eof) eof = !drain(fds[0], &buf, Clock::now() + std::chrono::milliseconds(ms));
      ASSERT_TRUE(child.running()) << "round " << round << ": child exited early\n" << child.log();
      child.kill_now();
    }
    // The child is reaped: read what it wrote before it died.
    while (!eof) eof = !drain(fds[0], &buf, Clock::now() + 1s);
    ::close(fds[0]);
    parse_acks(&buf, &acked);
    first_seq += 10'000'000;  // seqs stay unique across rounds

    VerifyReport rep = verify_log(data, acked);
    ASSERT_TRUE(rep.ok()) << "round " << round << " (" << acked.size() << " acked so far): " << rep.text();
  }
  RecordProperty("acked", static_cast<int>(acked.size()));
  std::printf("[ mode %s ] %d rounds, %zu acknowledged messages verified, seed %u\n", mode.c_str(), rounds,
              acked.size(), seed);
}

INSTANTIATE_TEST_SUITE_P(FlushModes, ProcessCrash, ::testing::Values("sync", "async"),
                         [](const auto& p) { return p.param; });

}  // namespace
}  // namespace ferry::test::crash
