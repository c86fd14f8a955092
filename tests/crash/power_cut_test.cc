// POWER CUT: mmaplog (linked in, every file operation through a FaultIo)
// under the sync flush plugin (loaded as a .so), fed by several appender
// threads. At a random moment the power goes: from then on no file
// operation succeeds, the FaultIo's record of what the last successful
// fdatasync/msync covered is taken, and after the instance is gone every
// byte past those prefixes is thrown away or garbled (torn pages included).
// Recovery must then return every acknowledged message byte-identical with
// contiguous queue offsets. A kill -9 cannot catch an early ack (the page
// cache survives it); this test does.
// Rounds per garble mode: FERRY_POWERCUT_ROUNDS (default 3), cumulative on
// one log; seed: FERRY_CRASH_SEED. Garbage and torn pages go into every
// file — commit-log segments, consume queues, index — past its durable
// prefix (recovery checks consume-queue entries against the log and
// rebuilds them); FERRY_POWERCUT_GARBLE_ALL=0 limits them to the commit
// log and zeroes the other files instead.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include "append_path.h"
#include "crash_config.h"
#include "fault_io.h"
#include "ferry_test/child_process.h"
#include "ferry_test/fake_host.h"
#include "ferry_test/temp_dir.h"
#include "log_verifier.h"
#include "mmaplog.h"
#include "power_cut.h"

namespace ferry::test::crash {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;
using ferry::mmaplog::FaultIo;

int env_int(const char* name, int def) {
  const char* v = std::getenv(name);
  return v && *v ? std::atoi(v) : def;
}

struct RoundResult {
  size_t acked_before_cut = 0;
  std::map<std::string, uint64_t> durable;
};

// Run appenders until the cut; append every ack that came before it.
// staged: a loop thread ends turns (storage end_turn, then WRITE) every
// ~100 us while the appenders append without publishing — records wait in
// mmaplog's staging buffer across appends, as under the kernel's loop.
RoundResult run_until_power_cut(const std::string& data, std::vector<Acked>* acked, uint64_t first_seq,
                                std::mt19937_64& rng, bool staged = false) {
  RoundResult out;
  FakeHost::Options o;
  o.data_dir = data;
  FakeHost host(o);
  auto io = std::make_shared<FaultIo>();
  PluginHandle storage(host, ferry::mmaplog::descriptor());
  ferry_error err;
  ferry_status st = storage.create_with(
      [&](const ferry_host_api* api, ferry_host* h, void** inst, ferry_error* e) {
        return ferry::mmaplog::create_with_io(api, h, io, inst, e);
      },
      "store", storage_config(), &err);
  if (st != FERRY_OK) throw std::runtime_error("mmaplog create (recovery): " + err.message);
  if (storage.start(&err) != FERRY_OK) throw std::runtime_error("mmaplog start: " + err.message);
  const auto* sops = storage.ops<ferry_storage_ops>();
  host.publish_write(sops->write_offset(storage.instance()));
  auto flush = std::make_unique<PluginHandle>(host, "flush", "sync");
  flush->create_and_start("flush", {});
  AppendPath path(host, sops, storage.instance());

  std::mutex m;  // orders "ack recorded" against "power is off"
  bool cut = false;
  std::atomic<uint64_t> next{first_seq};
  std::atomic<size_t> new_acks{0};
  auto stop_at = Clock::now() + 30s;
  std::atomic<bool> appenders_done{false};
  std::thread turner;
  if (staged) {
    path.end_turn();  // the first turn's end: staging on from here
    turner = std::thread([&] {
      while (!appenders_done.load()) {
        path.end_turn();
        std::this_thread::sleep_for(100us);
      }
    });
  }
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      while (Clock::now() < stop_at) {
        {
          std::lock_guard g(m);
          if (cut) return;
        }
        TestMessage msg(next.fetch_add(1), kBodyBytes, kQueues);
        Sent s = staged ? path.append(msg.view(), false) : path.send(msg.view());
        if (staged && s.status == FERRY_OK) s.status = host.wait_ack(s.end);
        if (s.status != FERRY_OK) return;  // after the cut: the fault
        std::lock_guard g(m);
        if (cut) return;
        acked->push_back({msg.seq(), s.result.commit_offset, s.result.size, s.result.queue_id,
                          s.result.queue_offset});
        new_acks++;
      }
    });
  }
  // Let acks flow, then cut at a random moment.
  wait_until([&] { return new_acks.load() >= 300; }, 20s);
  std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 150));
  {
    std::lock_guard g(m);
    cut = true;
    out.acked_before_cut = new_acks.load();
  }
  for (auto op : {FaultIo::Op::Open, FaultIo::Op::Pwrite, FaultIo::Op::Ftruncate, FaultIo::Op::Fdatasync,
                  FaultIo::Op::Msync, FaultIo::Op::Rename, FaultIo::Op::Unlink}) {
    FaultIo::Rule r;
    r.op = op;
    io->add_rule(r);
  }
  out.durable = io->synced_prefixes();
  for (auto& th : threads) th.join();
  appenders_done = true;
  if (turner.joinable()) turner.join();
  flush.reset();  // the flusher has faulted on the dead disk; stop returns
  // The storage's threads stop without syncing or checkpointing, the abort
  // marker stays; stop/destroy (the handle's destructor) touch no disk.
  host.run_on_loop([&] { ferry::mmaplog::abandon_for_test(storage.instance()); });
  return out;
}

class PowerCut : public ::testing::TestWithParam<Garble> {
 protected:
  void run(bool staged);
};

TEST_P(PowerCut, EveryAcknowledgedMessageSurvives) { run(false); }

// The same with turn staging: an ack still means written and synced.
TEST_P(PowerCut, EveryAcknowledgedMessageSurvivesWithTurnStaging) { run(true); }

void PowerCut::run(bool staged) {
  const Garble mode = GetParam();
  const int rounds = env_int("FERRY_POWERCUT_ROUNDS", 3);
  const bool garble_all = env_int("FERRY_POWERCUT_GARBLE_ALL", 1) != 0;
  const auto seed = static_cast<uint64_t>(env_int("FERRY_CRASH_SEED", static_cast<int>(std::random_device{}())));
  std::mt19937_64 rng(seed);
  SCOPED_TRACE(std::string("garble ") + garble_name(mode) + ", FERRY_CRASH_SEED=" + std::to_string(seed));
  TempDir dir("ferry-powercut");
  std::vector<Acked> acked;
  uint64_t log_on_disk = 0;  // what the previous round recovered and closed cleanly
  for (int round = 0; round < rounds; ++round) {
    RoundResult r = run_until_power_cut(dir.str(), &acked, static_cast<uint64_t>(round) * 10'000'000, rng, staged);
    ASSERT_GT(r.acked_before_cut, 0u) << "round " << round << ": nothing was acknowledged";
    ASSERT_FALSE(r.durable.empty());
    CutStats cs = power_cut(dir.str(), r.durable, mode, rng, garble_all ? "" : "/commitlog/", log_on_disk);
    VerifyReport rep = verify_log(dir.str(), acked);
    ASSERT_TRUE(rep.ok()) << "round " << round << " (" << acked.size() << " acked, " << cs.bytes_lost
                          << " bytes past the durable prefixes lost in " << cs.files << " files): "
                          << rep.text() << "  files at the cut:\n" << cs.listing;
    log_on_disk = rep.write_offset;
    std::printf("[ %s round %d ] %zu acked before the cut, %llu bytes lost in %llu files, %llu records read back\n",
                garble_name(mode), round, r.acked_before_cut, static_cast<unsigned long long>(cs.bytes_lost),
                static_cast<unsigned long long>(cs.files), static_cast<unsigned long long>(rep.records_read));
  }
}

INSTANTIATE_TEST_SUITE_P(Modes, PowerCut,
                         ::testing::Values(Garble::Truncate, Garble::Zero, Garble::Garbage, Garble::Torn),
                         [](const auto& p) { return std::string(garble_name(p.param)); });

}  // namespace
}  // namespace ferry::test::crash
