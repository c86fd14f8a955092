// RecyclePool (sdk/c/src/recycle_pool.h): the producer's send-op pool.
// Objects and their control blocks come back, cleared; the idle count is
// bounded; the pool outlives its owner while objects are out; acquire and
// release from several threads at once.
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "../../sdk/c/src/recycle_pool.h"

namespace ferry::sdk::test {
namespace {

struct Obj {
  std::string text;
  int recycled = 0;
  static inline std::atomic<int> live{0};
  Obj() { ++live; }
  ~Obj() { --live; }
  void recycle() {
    text.clear();  // keeps capacity
    ++recycled;
  }
};

TEST(RecyclePool, ReturnsTheSameObjectClearedWithItsCapacity) {
  auto pool = RecyclePool<Obj>::create(4);
  auto a = pool->acquire();
  a->text.assign(100, 'x');
  Obj* first = a.get();
  size_t cap = a->text.capacity();
  a.reset();
  EXPECT_EQ(1u, pool->idle_for_test());
  auto b = pool->acquire();
  EXPECT_EQ(first, b.get());
  EXPECT_TRUE(b->text.empty());
  EXPECT_EQ(cap, b->text.capacity());
  EXPECT_EQ(1, b->recycled);
  auto c = b;  // shared as usual: returned once, when the last copy drops
  b.reset();
  EXPECT_EQ(0u, pool->idle_for_test());
  c.reset();
  EXPECT_EQ(1u, pool->idle_for_test());
}

TEST(RecyclePool, KeepsAtMostItsCapacityIdle) {
  int before = Obj::live.load();
  {
    auto pool = RecyclePool<Obj>::create(4);
    std::vector<std::shared_ptr<Obj>> out;
    for (int i = 0; i < 10; ++i) out.push_back(pool->acquire());
    EXPECT_EQ(before + 10, Obj::live.load());
    out.clear();
    EXPECT_EQ(4u, pool->idle_for_test());
    EXPECT_EQ(before + 4, Obj::live.load());  // the other six were freed
  }
  EXPECT_EQ(before, Obj::live.load());  // the pool frees its idle objects
}

TEST(RecyclePool, OutlivesItsOwnerWhileObjectsAreOut) {
  int before = Obj::live.load();
  auto pool = RecyclePool<Obj>::create(2);
  auto a = pool->acquire();
  pool.reset();  // the owner (a producer) is gone; `a` still holds the pool
  a->text = "still usable";
  a.reset();  // returns to the pool, which then goes with its last object
  EXPECT_EQ(before, Obj::live.load());
}

TEST(RecyclePool, AcquireAndReleaseFromManyThreads) {
  int before = Obj::live.load();
  {
    auto pool = RecyclePool<Obj>::create(64);
    constexpr int kThreads = 4, kRounds = 20000;
    // Each thread acquires batches and swaps them with whatever batch
    // another thread left: objects are mostly released on a thread other
    // than the one that acquired them (as user -> I/O -> callback thread).
    std::mutex mu;
    std::vector<std::shared_ptr<Obj>> exchange;
    std::vector<std::thread> ts;
    std::atomic<long> sum{0};
    for (int t = 0; t < kThreads; ++t) {
      ts.emplace_back([&] {
        std::vector<std::shared_ptr<Obj>> batch;
        for (int i = 0; i < kRounds; ++i) {
          auto o = pool->acquire();
          EXPECT_TRUE(o->text.empty());
          o->text = std::to_string(i);
          sum += static_cast<long>(o->text.size());
          batch.push_back(std::move(o));
          if (batch.size() == 32) {
            {
              std::lock_guard lock(mu);
              batch.swap(exchange);
            }
            batch.clear();
          }
        }
      });
    }
    for (auto& t : ts) t.join();
    exchange.clear();
    EXPECT_GT(sum.load(), 0);
    EXPECT_LE(pool->idle_for_test(), 64u);
  }
  EXPECT_EQ(before, Obj::live.load());
}

}  // namespace
}  // namespace ferry::sdk::test
