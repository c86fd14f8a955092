// The writer's own dispatch (storage.h, dispatch_inline): records below the
// given VISIBLE are made readable (no file write) and reported on the
// calling thread before it returns, the dispatcher indexes them after; the call declines — and wakes the dispatcher, which then does
// the work — when the pages are not mapped for reading yet or the backlog is
// long. The store's own VISIBLE (Env::visible) is held at an atomic the test
// raises, so the dispatcher thread dispatches only when the test lets it.
#include <atomic>
#include <mutex>
#include <thread>

#include "store_harness.h"

namespace ferry::storage_test {
namespace {

struct Inline : Harness {
  std::atomic<uint64_t> visible{0};
  std::mutex mu;
  std::vector<std::thread::id> listener_threads;  // one per report
  size_t reported = 0;

  void open_held(mmaplog::WriteMode mode) {
    opt.write_mode = mode;
    mmaplog::Env e = env();
    e.visible = [this] { return visible.load(); };
    store.reset();
    ASSERT_EQ(mmaplog::Store::open(opt, io, e, &store, &open_error), FERRY_OK) << open_error;
    store->set_dispatch_listener(&Inline::on_dispatch, this);
    store->start();
  }
  static void on_dispatch(void* self, const ferry_dispatch_entry*, size_t count, uint64_t) {
    auto* h = static_cast<Inline*>(self);
    std::lock_guard lk(h->mu);
    h->listener_threads.push_back(std::this_thread::get_id());
    h->reported += count;
  }
  size_t reported_on(std::thread::id t) {
    std::lock_guard lk(mu);
    size_t n = 0;
    for (auto id : listener_threads) n += id == t;
    return n;
  }
  size_t reported_count() {
    std::lock_guard lk(mu);
    return reported;
  }
};

TEST(DispatchInline, ReportsOnTheCallingThreadAndMakesTheRecordsReadable) {
  Inline h;
  h.open_held(mmaplog::WriteMode::Mmap);
  h.append_ok(messages("t", 0, 3));
  h.append_ok(messages("t", 1, 2));
  const uint64_t end = h.store->write_offset();
  EXPECT_EQ(h.store->dispatched_offset(), 0u);  // the dispatcher is held at VISIBLE 0
  ASSERT_TRUE(h.store->dispatch_inline(end));
  EXPECT_EQ(h.reported_count(), 5u);
  EXPECT_EQ(h.reported_on(std::this_thread::get_id()), h.listener_threads.size());
  EXPECT_EQ(h.read("t", 0, 0).r->count, 3u);
  EXPECT_EQ(h.read("t", 1, 0).r->count, 2u);
  // The dispatcher (woken) puts their keys in the index; then they count
  // as dispatched, though VISIBLE holds it back from dispatching itself.
  ASSERT_TRUE(h.wait_dispatched(end));
  // Nothing new: done at once, no report.
  EXPECT_TRUE(h.store->dispatch_inline(end));
  EXPECT_EQ(h.reported_count(), 5u);
  // Only below the VISIBLE it is given.
  auto more = h.append_ok(messages("t", 0, 2));
  ASSERT_TRUE(h.store->dispatch_inline(more[0].commit_offset + more[0].size));
  EXPECT_EQ(h.read("t", 0, 0).r->count, 4u);
}

TEST(DispatchInline, PagesNotMappedForReadingGoToTheDispatcher) {
  Inline h;
  h.open_held(mmaplog::WriteMode::Pwrite);
  h.append_ok(messages("t", 0, 4));
  const uint64_t end = h.store->write_offset();
  // Nothing of the log is populated for reading yet: declined, untouched.
  EXPECT_FALSE(h.store->dispatch_inline(end));
  EXPECT_EQ(h.store->dispatched_offset(), 0u);
  EXPECT_EQ(h.reported_count(), 0u);
  // The dispatcher (woken by the decline) maps and dispatches once VISIBLE lets it.
  h.visible.store(end);
  h.store->on_visible();
  ASSERT_TRUE(h.wait_dispatched(end));
  ASSERT_TRUE(test::wait_until([&] { return h.reported_count() == 4u; }, std::chrono::seconds(10),
                               std::chrono::milliseconds(1)));
  EXPECT_EQ(h.reported_on(std::this_thread::get_id()), 0u);
  // Later records in the piece it mapped are the caller's to dispatch.
  h.append_ok(messages("t", 0, 2));
  const uint64_t end2 = h.store->write_offset();
  ASSERT_TRUE(h.store->dispatch_inline(end2));
  EXPECT_EQ(h.reported_on(std::this_thread::get_id()), 1u);
  EXPECT_EQ(h.read("t", 0, 0).r->count, 6u);
}

// The caller never writes a file: entries go to the queues' memory buffers
// (past a page too: the dispatcher writes them), keys to the index later.
// With every write, open, map and sync failing, 300 entries of one queue —
// a page and a half, which the dispatcher would write at once — are still
// made readable and reported by the caller.
TEST(DispatchInline, WritesNoFile) {
  Inline h;
  h.open_held(mmaplog::WriteMode::Mmap);
  h.append_ok(messages("t", 0, 300));
  const uint64_t end = h.store->write_offset();
  using Op = mmaplog::FaultIo::Op;
  for (Op op : {Op::Pwrite, Op::Open, Op::Mmap, Op::Msync, Op::Fdatasync, Op::Ftruncate,
                Op::Populate, Op::PopulateRead, Op::WriteZeros})
    h.io->add_rule({op, ""});
  ASSERT_TRUE(h.store->dispatch_inline(end));
  EXPECT_EQ(h.reported_count(), 300u);
  EXPECT_EQ(h.reported_on(std::this_thread::get_id()), h.listener_threads.size());
  EXPECT_EQ(h.read("t", 0, 0, 1000).r->count, 300u);
  h.io->clear_rules();
  h.store->on_visible();
  ASSERT_TRUE(h.wait_dispatched(end));
  EXPECT_EQ(h.read("t", 0, 0, 1000).r->count, 300u);
  // A checkpoint writes the buffers; the queue reads back from its file.
  std::string error;
  ASSERT_EQ(h.store->checkpoint_now(&error), FERRY_OK) << error;
  EXPECT_EQ(h.read("t", 0, 250, 1000).r->count, 50u);
}

TEST(DispatchInline, ALongBacklogIsLeftToTheDispatcher) {
  Inline h;
  h.opt.segment_size = 1 << 20;
  h.open_held(mmaplog::WriteMode::Mmap);
  for (int i = 0; i < 8; ++i) h.append_ok(messages("t", 0, 50, 1000));  // ~400 KiB
  const uint64_t end = h.store->write_offset();
  EXPECT_FALSE(h.store->dispatch_inline(end));
  EXPECT_EQ(h.store->dispatched_offset(), 0u);
  h.visible.store(end);
  h.store->on_visible();
  ASSERT_TRUE(h.wait_dispatched(end));
  EXPECT_EQ(h.read("t", 0, 0).r->count, 400u);
  EXPECT_EQ(h.reported_on(std::this_thread::get_id()), 0u);
}

TEST(DispatchInline, DeclinesAfterStop) {
  Inline h;
  h.open_held(mmaplog::WriteMode::Mmap);
  h.append_ok(messages("t", 0, 1));
  const uint64_t end = h.store->write_offset();
  h.store->stop();
  EXPECT_FALSE(h.store->dispatch_inline(end));
  EXPECT_EQ(h.reported_count(), 0u);
}

}  // namespace
}  // namespace ferry::storage_test
