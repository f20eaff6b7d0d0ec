// GET /health's store check: at most one ping a second, one at a time, a failure seen within a second.
#include "api/store_ping.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "common/errors.h"

namespace notify {
namespace {

constexpr TimeMs kStart = 1'800'000'000'000;

TEST(StorePing, PingsAtMostOncePerIntervalAndAnswersFromMemoryBetween) {
    ManualClock clock(kStart);
    int pings = 0;
    StorePing ping([&] { ++pings; }, clock, 1000);
    for (int i = 0; i < 1000; ++i) EXPECT_TRUE(ping.Ok());
    EXPECT_EQ(pings, 1);
    clock.Advance(999);
    EXPECT_TRUE(ping.Ok());
    EXPECT_EQ(pings, 1);
    clock.Advance(1);
    EXPECT_TRUE(ping.Ok());
    EXPECT_EQ(pings, 2);
}

TEST(StorePing, AStoreThatGoesDownShowsWithinOneIntervalAndRecoveryToo) {
    ManualClock clock(kStart);
    bool down = false;
    StorePing ping(
        [&] {
            if (down) throw StoreUnavailable("database is locked");
        },
        clock, 1000);
    EXPECT_TRUE(ping.Ok());
    down = true;
    clock.Advance(1000);
    EXPECT_FALSE(ping.Ok());
    EXPECT_FALSE(ping.Ok());
    down = false;
    clock.Advance(1000);
    EXPECT_TRUE(ping.Ok());
}

TEST(StorePing, OnlyOneCallerPingsWhileOthersUseTheLastAnswer) {
    ManualClock clock(kStart);
    std::mutex mutex;
    std::condition_variable changed;
    bool inside = false;
    bool release = false;
    std::atomic<int> pings{0};
    StorePing ping(
        [&] {
            ++pings;
            std::unique_lock lock(mutex);
            inside = true;
            changed.notify_all();
            changed.wait(lock, [&] { return release; });
        },
        clock, 1000);
    std::thread slow([&] { EXPECT_TRUE(ping.Ok()); });
    {
        std::unique_lock lock(mutex);
        changed.wait(lock, [&] { return inside; });
    }
    // The first ping is still running: these answer at once from memory and ping nothing.
    for (int i = 0; i < 100; ++i) EXPECT_TRUE(ping.Ok());
    EXPECT_EQ(pings.load(), 1);
    {
        std::lock_guard lock(mutex);
        release = true;
    }
    changed.notify_all();
    slow.join();
    EXPECT_EQ(pings.load(), 1);
}

}  // namespace
}  // namespace notify
