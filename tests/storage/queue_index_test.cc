// Consume queues (entry format, file naming and roll, lazy sparse files, LRU
// of mappings under 100,000 queues) and the key index (collisions, rollover).
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>

#include "store_harness.h"

namespace ferry::storage_test {
namespace {

using Op = mmaplog::FaultIo::Op;

uint64_t be(const std::string& s, size_t off, int n) {
  uint64_t v = 0;
  for (int i = 0; i < n; ++i) v = (v << 8) | static_cast<unsigned char>(s[off + i]);
  return v;
}

// Mappings of files under `dir` (the store's own: segments, queue files,
// index). Only those are the store's to bound: the process's other mappings
// grow with its heap, and a sanitizer runtime maps its own memory as the
// 100,000 queues' objects are allocated (TSan added ~400).
size_t mapping_count(const std::string& dir) {
  std::ifstream maps("/proc/self/maps");
  size_t n = 0;
  std::string line;
  while (std::getline(maps, line)) {
    size_t at = line.find(" /");  // the path column, when there is one
    if (at != std::string::npos && line.compare(at + 1, dir.size(), dir) == 0) ++n;
  }
  return n;
}

// Open descriptors of files under `dir`.
size_t fd_count(const std::string& dir) {
  size_t n = 0;
  for (const auto& e : std::filesystem::directory_iterator("/proc/self/fd")) {
    std::error_code ec;
    std::string target = std::filesystem::read_symlink(e.path(), ec).string();
    if (!ec && target.compare(0, dir.size(), dir) == 0) ++n;
  }
  return n;
}

TEST(ConsumeQueue, EntriesAreTwentyBigEndianBytesInFilesNamedByByteOffset) {
  Harness h;
  h.open_ok();
  std::vector<OwnedMessage> msgs;
  for (int i = 0; i < 40; ++i)
    msgs.emplace_back("orders", 2, "b" + std::to_string(i),
                      std::vector<std::pair<std::string, std::string>>{{"TAGS", "tag" + std::to_string(i % 3)}});
  auto res = h.append_ok(msgs);
  ASSERT_TRUE(h.wait_dispatched());
  std::string err;
  ASSERT_EQ(h.store->checkpoint_now(&err), FERRY_OK) << err;
  std::string dir = h.opt.dir + "/consumequeue/orders/2/";
  // 16 entries per file: 0, 16*20, 32*20.
  for (const char* f : {"00000000000000000000", "00000000000000000320", "00000000000000000640"}) {
    ASSERT_TRUE(std::filesystem::exists(dir + f)) << f;
    EXPECT_EQ(std::filesystem::file_size(dir + f), 320u);
  }
  EXPECT_FALSE(std::filesystem::exists(dir + "00000000000000000960"));
  for (int i = 0; i < 40; ++i) {
    std::string file = dir + mmaplog::Segment::file_name((i / 16) * 320);
    std::string e = Harness::peek(file, (i % 16) * 20, 20);
    EXPECT_EQ(be(e, 0, 8), res[i].commit_offset);
    EXPECT_EQ(be(e, 8, 4), res[i].size);
    std::string tag = "tag" + std::to_string(i % 3);
    EXPECT_EQ(static_cast<int64_t>(be(e, 12, 8)), ferry_tag_hash(sl(tag)));
  }
  // Queues that never received a message have no files at all.
  EXPECT_FALSE(std::filesystem::exists(h.opt.dir + "/consumequeue/orders/0"));
}

TEST(ConsumeQueue, FilesAreCreatedSparse) {
  Harness h;
  h.opt.queue_file_entries = 300'000;
  h.open_ok();
  h.append_ok(messages("t", 0, 3));
  ASSERT_TRUE(h.wait_dispatched());
  std::string err;
  ASSERT_EQ(h.store->checkpoint_now(&err), FERRY_OK) << err;  // writes the buffered entries
  std::string f = h.opt.dir + "/consumequeue/t/0/00000000000000000000";
  EXPECT_EQ(std::filesystem::file_size(f), 6'000'000u);
  struct stat st {};
  ASSERT_EQ(::stat(f.c_str(), &st), 0);
  EXPECT_LT(static_cast<uint64_t>(st.st_blocks) * 512, 256u * 1024);  // not 6 MB on disk
}

TEST(ConsumeQueue, TopicNamesThatAreNotSafeFileNamesAreHexEncoded) {
  Harness h;
  h.open_ok();
  h.append_ok(messages("../evil/t", 0, 2));
  ASSERT_TRUE(h.wait_dispatched());
  EXPECT_FALSE(std::filesystem::exists(h.opt.dir + "/evil"));
  EXPECT_EQ(h.read("../evil/t", 0, 0).bodies().size(), 2u);
  h.close();
  h.open_ok();  // and the name comes back on reload
  uint64_t mn = 0, mx = 0;
  h.store->queue_range("../evil/t", 0, &mn, &mx);
  EXPECT_EQ(mx, 2u);
}

TEST(ConsumeQueue, HundredThousandQueuesStayWithinTheMappingBound) {
  // 100,000 queue files: on tmpfs when available, the subject is the
  // mapping bound, not the disk's file-creation speed.
  std::string shm_dir;
  if (std::filesystem::is_directory("/dev/shm"))
    shm_dir = "/dev/shm/ferry-cq-test-" + std::to_string(::getpid());
  struct Cleanup {
    std::string dir;
    ~Cleanup() {
      if (!dir.empty()) std::filesystem::remove_all(dir);
    }
  } cleanup{shm_dir};
  Harness h;
  if (!shm_dir.empty()) h.opt.dir = shm_dir;
  h.opt.max_mapped_queue_files = 64;
  h.opt.max_open_queue_files = 64;
  h.opt.segment_size = 16u << 20;
  h.open_ok();
  constexpr int kTopics = 1000, kQueues = 100;
  std::vector<OwnedMessage> batch;
  std::vector<ferry_append_result> res;
  for (int t = 0; t < kTopics; ++t) {
    batch.clear();
    for (int q = 0; q < kQueues; ++q)
      batch.emplace_back("topic" + std::to_string(t), q, "t" + std::to_string(t) + "q" + std::to_string(q));
    ASSERT_EQ(h.append(batch, &res), FERRY_OK);
  }
  ASSERT_TRUE(test::wait_until([&] { return h.store->dispatched_offset() >= h.store->write_offset(); },
                               std::chrono::seconds(120), std::chrono::milliseconds(10)));
  EXPECT_EQ(h.store->queues().count(), 100'000u);
  EXPECT_LE(h.store->queues().cache_size(), 64u);
  // Segments (a few) + at most 64 queue files + index: far below one per queue.
  const size_t store_maps = mapping_count(h.opt.dir);
  EXPECT_GT(store_maps, 0u);  // the count sees the store's files at all
  EXPECT_LE(store_maps, 64u + 16u);
  // The dispatcher writes through descriptors, as bounded.
  EXPECT_LE(h.store->queues().open_files(), 64u);
  const size_t store_fds = fd_count(h.opt.dir);
  EXPECT_GT(store_fds, 0u);
  EXPECT_LE(store_fds, 64u + 16u);
  for (int t = 0; t < kTopics; t += 97) {
    for (int q = 0; q < kQueues; q += 13) {
      Result r = h.read("topic" + std::to_string(t), q, 0);
      ASSERT_EQ(r->count, 1u);
      EXPECT_EQ(str(decode(r->records[0]).body), "t" + std::to_string(t) + "q" + std::to_string(q));
    }
  }
  EXPECT_LE(h.store->queues().cache_size(), 64u);
  // A restart loads all 100,000 queues and their offsets.
  h.close();
  h.open_ok();
  EXPECT_EQ(h.store->queues().count(), 100'000u);
  EXPECT_LE(h.store->queues().cache_size(), 64u);
  auto more = h.append_ok({OwnedMessage("topic999", 99, "again")});
  EXPECT_EQ(more[0].queue_offset, 1u);
}

// Every entry of three interleaved queues, read back by commit offset.
void expect_queues(Harness& h, const std::vector<std::pair<std::string, int32_t>>& queues,
                   const std::vector<std::vector<uint64_t>>& offsets) {
  for (size_t i = 0; i < queues.size(); ++i) {
    Result r = h.read(queues[i].first, queues[i].second, 0);
    ASSERT_EQ(r->count, offsets[i].size()) << queues[i].first << "/" << queues[i].second;
    for (size_t k = 0; k < r->count; ++k)
      EXPECT_EQ(static_cast<uint64_t>(decode(r->records[k]).physical_offset), offsets[i][k]);
  }
}

TEST(ConsumeQueue, EntriesAreWrittenWithoutMappingsAndReadBackAfterARestartAndACrash) {
  // The dispatcher writes entries with pwrite through at most
  // max_open_queue_files descriptors (2 here: three queues churn them),
  // one write per run of a queue file; files roll every 16 entries.
  Harness h;
  h.opt.max_open_queue_files = 2;
  h.open_ok();
  const std::vector<std::pair<std::string, int32_t>> queues = {{"a", 0}, {"a", 1}, {"b", 3}};
  std::vector<std::vector<uint64_t>> offsets(queues.size());
  auto send = [&](int rounds) {
    std::vector<OwnedMessage> msgs;
    for (int i = 0; i < rounds; ++i)
      for (auto& [t, q] : queues) msgs.emplace_back(t, q, t + std::to_string(q) + "-" + std::to_string(i));
    auto res = h.append_ok(msgs);
    for (size_t i = 0; i < res.size(); ++i) offsets[i % queues.size()].push_back(res[i].commit_offset);
  };
  send(40);
  ASSERT_TRUE(h.wait_dispatched());
  EXPECT_EQ(h.store->queues().cache_size(), 0u);  // no mapping made to write
  EXPECT_LE(h.store->queues().open_files(), 2u);
  expect_queues(h, queues, offsets);
  // Checkpointed, then more entries the crash leaves to recovery.
  std::string err;
  ASSERT_EQ(h.store->checkpoint_now(&err), FERRY_OK) << err;
  send(9);
  ASSERT_TRUE(h.wait_dispatched());
  h.crash();
  h.open_ok();
  ASSERT_TRUE(h.wait_dispatched());
  expect_queues(h, queues, offsets);
  // Offsets continue after recovery, and after a clean restart.
  send(1);
  ASSERT_TRUE(h.wait_dispatched());
  h.close();
  h.open_ok();
  expect_queues(h, queues, offsets);
  uint64_t mn = 0, mx = 0;
  h.store->queue_range("b", 3, &mn, &mx);
  EXPECT_EQ(mx, 50u);
}

TEST(ConsumeQueue, ACheckpointMakesEveryWrittenEntryDurable) {
  // Entries written with pwrite are covered by the checkpoint's sync: one
  // fdatasync per dirty file for a few files, one syncfs past 64.
  for (int queues : {3, 100}) {
    SCOPED_TRACE(std::to_string(queues) + " queues");
    Harness h;
    h.opt.max_open_queue_files = 16;
    h.open_ok();
    std::vector<OwnedMessage> msgs;
    for (int round = 0; round < 2; ++round)
      for (int q = 0; q < queues; ++q) msgs.emplace_back("d", q, "m" + std::to_string(round));
    h.append_ok(msgs);
    ASSERT_TRUE(h.wait_dispatched());
    const std::string file = "/" + mmaplog::Segment::file_name(0);
    for (int q = 0; q < queues; ++q)
      EXPECT_EQ(h.io->synced_prefix(h.opt.dir + "/consumequeue/d/" + std::to_string(q) + file), 0u);
    std::string err;
    ASSERT_EQ(h.store->checkpoint_now(&err), FERRY_OK) << err;
    for (int q = 0; q < queues; ++q)
      EXPECT_GE(h.io->synced_prefix(h.opt.dir + "/consumequeue/d/" + std::to_string(q) + file), 40u)
          << "queue " << q;
  }
}

TEST(ConsumeQueue, BufferedEntriesAreReadableBeforeTheyAreWrittenSurviveACrashAndACheckpointWritesThem) {
  // A few entries per queue stay in memory across batches (readable from
  // there), are rebuilt from the commit log after a crash, and are on file
  // and durable after a checkpoint; a page's worth goes out at once.
  Harness h;
  h.opt.queue_file_entries = 1000;
  h.open_ok();
  const std::vector<std::pair<std::string, int32_t>> queues = {{"a", 0}, {"a", 1}, {"b", 3}};
  std::vector<std::vector<uint64_t>> offsets(queues.size());
  auto send = [&](int rounds) {
    for (int i = 0; i < rounds; ++i) {  // one batch per round: entries cross batches
      std::vector<OwnedMessage> msgs;
      for (auto& [t, q] : queues) msgs.emplace_back(t, q, t + std::to_string(q) + "-" + std::to_string(i));
      auto res = h.append_ok(msgs);
      for (size_t k = 0; k < res.size(); ++k) offsets[k].push_back(res[k].commit_offset);
      ASSERT_TRUE(h.wait_dispatched());
    }
  };
  auto file_of = [&](size_t i) {
    return h.opt.dir + "/consumequeue/" + queues[i].first + "/" + std::to_string(queues[i].second) +
           "/" + mmaplog::Segment::file_name(0);
  };
  send(5);
  EXPECT_EQ(h.store->queues().pending_bytes(), 3u * 5 * 20);
  for (size_t i = 0; i < queues.size(); ++i)
    EXPECT_FALSE(std::filesystem::exists(file_of(i))) << "buffered, not written: " << file_of(i);
  expect_queues(h, queues, offsets);  // from memory
  // Crash: the buffered entries were never written; recovery rebuilds them.
  h.crash();
  h.open_ok();
  ASSERT_TRUE(h.wait_dispatched());
  expect_queues(h, queues, offsets);
  send(2);
  expect_queues(h, queues, offsets);
  // A checkpoint writes and syncs them all.
  std::string err;
  ASSERT_EQ(h.store->checkpoint_now(&err), FERRY_OK) << err;
  EXPECT_EQ(h.store->queues().pending_bytes(), 0u);
  for (size_t i = 0; i < queues.size(); ++i) {
    EXPECT_GE(h.io->synced_prefix(file_of(i)), 7u * 20) << file_of(i);
    for (size_t k = 0; k < offsets[i].size(); ++k)
      EXPECT_EQ(be(Harness::peek(file_of(i), k * 20, 20), 0, 8), offsets[i][k]) << i << "/" << k;
  }
  expect_queues(h, queues, offsets);  // from file
  // A crash after the checkpoint keeps them; a clean restart too.
  send(1);
  h.crash();
  h.open_ok();
  ASSERT_TRUE(h.wait_dispatched());
  expect_queues(h, queues, offsets);
  h.close();
  h.open_ok();
  expect_queues(h, queues, offsets);
  // A page's worth of one queue in one batch goes to the file at once.
  std::vector<OwnedMessage> many;
  for (int i = 0; i < 300; ++i) many.emplace_back("c", 0, "c" + std::to_string(i));
  auto res = h.append_ok(many);
  ASSERT_TRUE(h.wait_dispatched());
  EXPECT_EQ(h.store->queues().pending_bytes(), 0u);
  const std::string c_file = h.opt.dir + "/consumequeue/c/0/" + mmaplog::Segment::file_name(0);
  EXPECT_EQ(be(Harness::peek(c_file, 299 * 20, 20), 0, 8), res[299].commit_offset);
}

TEST(ConsumeQueue, OneReadServesEntriesFromFileAndFromSeveralRunsOfTheBuffer) {
  // A read walks the queue's file, then its buffer, which it copies out a
  // run (ConsumeQueues::Cursor::kRun) at a time: every entry comes back once,
  // in order, wherever the read starts.
  Harness h;
  h.open_ok();
  const int kBatches = 30, kPerBatch = 10;  // 10-entry runs stay buffered until a page fills
  std::vector<std::string> want;
  for (int b = 0; b < kBatches; ++b) {
    std::vector<OwnedMessage> msgs;
    for (int i = 0; i < kPerBatch; ++i) {
      want.push_back("r" + std::to_string(b * kPerBatch + i));
      msgs.emplace_back("r", 0, want.back());
    }
    h.append_ok(msgs);
    ASSERT_TRUE(h.wait_dispatched());
  }
  const uint64_t buffered = h.store->queues().pending_bytes() / 20;
  ASSERT_GT(buffered, uint64_t{mmaplog::ConsumeQueues::Cursor::kRun}) << "the buffer spans several runs";
  ASSERT_LT(buffered, want.size()) << "part of the queue is on file";
  for (uint64_t from : {uint64_t{0}, want.size() - buffered - 3, want.size() - buffered + 70}) {
    auto bodies = h.read("r", 0, from).bodies();
    ASSERT_EQ(bodies.size(), want.size() - from) << "from " << from;
    for (size_t k = 0; k < bodies.size(); ++k) ASSERT_EQ(bodies[k], want[from + k]) << "from " << from;
  }
}

TEST(ConsumeQueue, AFailedWriteOfBufferedEntriesFailsTheCheckpointAndLosesNothing) {
  Harness h;
  h.open_ok();
  h.io->add_rule({Op::Pwrite, "/consumequeue/b/", EIO, 0, 1});
  std::vector<OwnedMessage> msgs;
  for (int i = 0; i < 10; ++i)
    for (const char* t : {"a", "b"}) msgs.emplace_back(t, 0, std::string(t) + std::to_string(i));
  h.append_ok(msgs);
  ASSERT_TRUE(h.wait_dispatched());
  std::string err;
  EXPECT_EQ(h.store->checkpoint_now(&err), FERRY_E_IO);
  EXPECT_NE(err.find("cannot write consume queue"), std::string::npos) << err;
  EXPECT_NE(err.find("/consumequeue/b/"), std::string::npos) << err;
  EXPECT_EQ(h.io->injected(), 1);
  for (const char* t : {"a", "b"}) EXPECT_EQ(h.read(t, 0, 0).bodies().size(), 10u) << t;
  // The next checkpoint writes them.
  ASSERT_EQ(h.store->checkpoint_now(&err), FERRY_OK) << err;
  EXPECT_EQ(h.store->queues().pending_bytes(), 0u);
  h.crash();
  h.open_ok();
  ASSERT_TRUE(h.wait_dispatched());
  for (const char* t : {"a", "b"}) {
    auto bodies = h.read(t, 0, 0).bodies();
    ASSERT_EQ(bodies.size(), 10u) << t;
    for (int i = 0; i < 10; ++i) EXPECT_EQ(bodies[i], std::string(t) + std::to_string(i));
  }
}

// VmFlags of the mapping of `path` in /proc/self/smaps ("" when not mapped).
std::string vm_flags_of(const std::string& path) {
  std::ifstream smaps("/proc/self/smaps");
  std::string line;
  bool in = false;
  while (std::getline(smaps, line)) {
    if (line.size() > path.size() && line.compare(line.size() - path.size(), path.size(), path) == 0)
      in = true;
    else if (in && line.rfind("VmFlags:", 0) == 0)
      return line;
  }
  return "";
}

TEST(ConsumeQueue, OnlyFilesStillBeingWrittenLoseReadAhead) {
  // A fault in a sparse file being written must not read around (it would
  // zero-fill the file); a full file keeps read-ahead for readers.
  Harness h;
  h.opt.queue_file_entries = 16;
  h.open_ok();
  std::vector<OwnedMessage> msgs;
  for (int i = 0; i < 40; ++i) msgs.emplace_back("adv", 0, "m" + std::to_string(i));
  h.append_ok(msgs);
  ASSERT_TRUE(h.wait_dispatched());
  h.close();
  h.open_ok();  // recovery maps the last file only
  Result r = h.read("adv", 0, 0, 1);  // a reader maps the first, full file
  ASSERT_EQ(r->count, 1u);
  const std::string dir = h.opt.dir + "/consumequeue/adv/0/";
  const std::string full = vm_flags_of(dir + mmaplog::Segment::file_name(0));
  const std::string last = vm_flags_of(dir + mmaplog::Segment::file_name(2 * 16 * 20));
  ASSERT_FALSE(full.empty());
  ASSERT_FALSE(last.empty());
  EXPECT_EQ(full.find(" rr"), std::string::npos) << full;  // rr: MADV_RANDOM
  EXPECT_NE(last.find(" rr"), std::string::npos) << last;
}

TEST(KeyIndex, CollisionsInOneSlotReturnOnlyTheMatchingRecords) {
  Harness h;
  h.opt.index_slots = 1;  // every key in the same chain
  h.open_ok();
  std::vector<OwnedMessage> msgs;
  for (int i = 0; i < 100; ++i)
    msgs.emplace_back("t", 0, "v" + std::to_string(i),
                      std::vector<std::pair<std::string, std::string>>{{"KEYS", "key-" + std::to_string(i)}});
  h.append_ok(msgs);
  ASSERT_TRUE(h.wait_dispatched());
  for (int i : {0, 1, 50, 99}) {
    Result r;
    ASSERT_EQ(h.store->query_key("t", "key-" + std::to_string(i), 0, INT64_MAX / 2, 10, &r.r), FERRY_OK);
    ASSERT_EQ(r->count, 1u) << i;
    EXPECT_EQ(str(decode(r->records[0]).body), "v" + std::to_string(i));
  }
  // Same hash, different text: Java's hashCode("Aa") == hashCode("BB").
  std::vector<OwnedMessage> twins;
  twins.emplace_back("x", 0, "Aa", std::vector<std::pair<std::string, std::string>>{{"KEYS", "Aa"}});
  twins.emplace_back("x", 0, "BB", std::vector<std::pair<std::string, std::string>>{{"KEYS", "BB"}});
  EXPECT_EQ(mmaplog::KeyIndex::key_hash("x", "Aa"), mmaplog::KeyIndex::key_hash("x", "BB"));
  h.append_ok(twins);
  ASSERT_TRUE(h.wait_dispatched());
  Result r;
  ASSERT_EQ(h.store->query_key("x", "BB", 0, INT64_MAX / 2, 10, &r.r), FERRY_OK);
  ASSERT_EQ(r->count, 1u);
  EXPECT_EQ(str(decode(r->records[0]).body), "BB");
}

TEST(KeyIndex, FilesRollOverAndQueriesSpanThem) {
  Harness h;
  h.opt.index_entries = 16;
  h.open_ok();
  std::vector<OwnedMessage> msgs;
  for (int i = 0; i < 100; ++i)
    msgs.emplace_back("t", 0, "v" + std::to_string(i),
                      std::vector<std::pair<std::string, std::string>>{
                          {"KEYS", i % 10 == 0 ? "common" : "k" + std::to_string(i)}});
  h.append_ok(msgs);
  ASSERT_TRUE(h.wait_dispatched());
  EXPECT_GE(h.store->index().file_count(), 6u);
  EXPECT_GE(std::distance(std::filesystem::directory_iterator(h.opt.dir + "/index"),
                          std::filesystem::directory_iterator()), 6);
  Result all;
  ASSERT_EQ(h.store->query_key("t", "common", 0, INT64_MAX / 2, 100, &all.r), FERRY_OK);
  auto bodies = all.bodies();
  ASSERT_EQ(bodies.size(), 10u);
  EXPECT_EQ(bodies.front(), "v90");  // newest first
  EXPECT_EQ(bodies.back(), "v0");
  Result few;
  ASSERT_EQ(h.store->query_key("t", "common", 0, INT64_MAX / 2, 3, &few.r), FERRY_OK);
  EXPECT_EQ(few->count, 3u);
  Result old;
  ASSERT_EQ(h.store->query_key("t", "k1", 0, INT64_MAX / 2, 3, &old.r), FERRY_OK);
  EXPECT_EQ(old->count, 1u);
  // After a restart the files are read back.
  h.close();
  h.open_ok();
  Result again;
  ASSERT_EQ(h.store->query_key("t", "k77", 0, INT64_MAX / 2, 3, &again.r), FERRY_OK);
  EXPECT_EQ(again->count, 1u);
}

// Unique keys carry a counter: consecutive messages of many interleaved
// topics must land in neighbouring slots (slot by the key's hash alone), not
// all over the slot table (by topic#key: ~400 of its 977 pages here).
TEST(KeyIndex, ConsecutiveKeysOfManyTopicsFillNeighbouringSlots) {
  Harness h;
  h.opt.index_slots = 1'000'000;  // 4 MB of slots, 977 pages
  h.opt.index_entries = 2048;
  h.open_ok();
  std::vector<OwnedMessage> msgs;
  char key[16];
  for (int i = 0; i < 1000; ++i) {
    std::snprintf(key, sizeof key, "K%08X", i);
    msgs.emplace_back("topic-" + std::to_string(i % 100), 0, "v" + std::to_string(i),
                      std::vector<std::pair<std::string, std::string>>{{"KEYS", key}});
  }
  h.append_ok(msgs);
  ASSERT_TRUE(h.wait_dispatched());
  std::vector<std::string> files;
  for (auto& e : std::filesystem::directory_iterator(h.opt.dir + "/index")) files.push_back(e.path());
  ASSERT_EQ(files.size(), 1u);
  std::string slots = Harness::peek(files[0], 40, size_t{h.opt.index_slots} * 4);
  std::set<size_t> pages;
  for (size_t i = 0; i < slots.size(); i += 4)
    if (be(slots, i, 4) != 0) pages.insert(i / 4096);
  EXPECT_LE(pages.size(), 16u);
  EXPECT_EQ(be(Harness::peek(files[0], 32, 4), 0, 4), 0x80000000u | h.opt.index_slots);
  // The same key in two topics shares a slot; each query gets its own topic's record.
  std::vector<OwnedMessage> same;
  same.emplace_back("a", 0, "in-a", std::vector<std::pair<std::string, std::string>>{{"KEYS", "order-1"}});
  same.emplace_back("b", 0, "in-b", std::vector<std::pair<std::string, std::string>>{{"KEYS", "order-1"}});
  h.append_ok(same);
  ASSERT_TRUE(h.wait_dispatched());
  for (const char* t : {"a", "b"}) {
    Result r;
    ASSERT_EQ(h.store->query_key(t, "order-1", 0, INT64_MAX / 2, 10, &r.r), FERRY_OK);
    ASSERT_EQ(r->count, 1u) << t;
    EXPECT_EQ(str(decode(r->records[0]).body), std::string("in-") + t);
  }
  Result r;
  ASSERT_EQ(h.store->query_key("topic-7", "K00000007", 0, INT64_MAX / 2, 10, &r.r), FERRY_OK);
  ASSERT_EQ(r->count, 1u);
  EXPECT_EQ(str(decode(r->records[0]).body), "v7");
}

// Index files written before key slots (top bit of slot_count clear) chose
// the slot by the topic#key hash: they stay queryable, and new entries go to
// a new file rather than mixing the two slot choices in one.
TEST(KeyIndex, FilesWithTopicKeySlotsStayQueryable) {
  Harness h;
  h.opt.index_slots = 16;
  h.opt.index_entries = 16;
  h.open_ok();
  std::vector<OwnedMessage> msgs;
  msgs.emplace_back("t", 0, "old", std::vector<std::pair<std::string, std::string>>{{"KEYS", "k"}});
  auto res = h.append_ok(msgs);
  ASSERT_TRUE(h.wait_dispatched());
  h.close();
  // Rewrite the index as the previous format would have: one entry for t#k.
  const int32_t hash = mmaplog::KeyIndex::key_hash("t", "k");
  ASSERT_NE(static_cast<uint32_t>(hash) % 16, static_cast<uint32_t>(mmaplog::KeyIndex::slot_hash("k")) % 16);
  std::filesystem::remove_all(h.opt.dir + "/index");
  std::filesystem::create_directories(h.opt.dir + "/index");
  std::string f(40 + 16 * 4 + 16 * 20, '\0');
  auto put = [&f](size_t off, uint64_t v, int n) {
    for (int i = n - 1; i >= 0; --i, v >>= 8) f[off + i] = static_cast<char>(v & 0xff);
  };
  put(0, 0, 8);                                   // begin_ts
  put(8, static_cast<uint64_t>(INT64_MAX / 4), 8);  // end_ts
  put(16, 0, 8);
  put(24, res[0].commit_offset, 8);
  put(32, 16, 4);  // slot_count, top bit clear
  put(36, 2, 4);   // count: entry 1 used
  put(40 + (static_cast<uint32_t>(hash) % 16) * 4, 1, 4);
  const size_t e = 40 + 16 * 4 + 20;
  put(e, static_cast<uint32_t>(hash), 4);
  put(e + 4, res[0].commit_offset, 8);
  std::ofstream(h.opt.dir + "/index/" + mmaplog::Segment::file_name(0), std::ios::binary) << f;
  h.open_ok();
  std::vector<OwnedMessage> more;
  more.emplace_back("t", 0, "new", std::vector<std::pair<std::string, std::string>>{{"KEYS", "k2"}});
  h.append_ok(more);
  ASSERT_TRUE(h.wait_dispatched());
  EXPECT_EQ(h.store->index().file_count(), 2u);
  Result old;
  ASSERT_EQ(h.store->query_key("t", "k", 0, INT64_MAX / 2, 10, &old.r), FERRY_OK);
  ASSERT_EQ(old->count, 1u);
  EXPECT_EQ(str(decode(old->records[0]).body), "old");
  Result fresh;
  ASSERT_EQ(h.store->query_key("t", "k2", 0, INT64_MAX / 2, 10, &fresh.r), FERRY_OK);
  ASSERT_EQ(fresh->count, 1u);
  EXPECT_EQ(str(decode(fresh->records[0]).body), "new");
}

}  // namespace
}  // namespace ferry::storage_test
