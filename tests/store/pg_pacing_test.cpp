// What nodes on one PostgreSQL database share: the pacing of provider calls (PostgresPacingStore
// under MakeSharedSendPacing) and the wake-up on new work (LISTEN/NOTIFY). Stores on one database
// stand for nodes, each with its own connections, deciding at once.

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <latch>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "queue/send_pacing.h"
#include "store/postgres/pg_store.h"
#include "store_test_support.h"
#include "support/pg_cluster.h"

namespace notify::store_test {
namespace {

using test_support::PgCluster;
constexpr TimeMs kStart = 1'700'000'000'000;
constexpr int kNodes = 3;

struct Nodes {
    Nodes() {
        const std::string url = PgCluster::Instance().CreateDatabase();
        for (int i = 0; i < kNodes; ++i) {
            stores.push_back(std::make_unique<PostgresStore>(url));
            stores.back()->Migrate();
        }
    }
    std::vector<std::unique_ptr<PostgresStore>> stores;
};

// Runs fn(node) on kNodes threads released together.
template <typename Fn>
void AtOnce(Fn fn) {
    std::latch start(kNodes);
    std::vector<std::thread> threads;
    for (int node = 0; node < kNodes; ++node) {
        threads.emplace_back([&, node] {
            start.arrive_and_wait();
            fn(node);
        });
    }
    for (auto& thread : threads) thread.join();
}

TEST(PostgresSharedPacing, ThreeNodesTakingTokensAtOnceGetOneBucketsWorthBetweenThem) {
    Nodes nodes;
    const ManualClock clock(kStart);
    std::vector<std::unique_ptr<SendPacing>> pacers;
    for (auto& store : nodes.stores) pacers.push_back(MakeSharedSendPacing(*store->SharedPacing(), 10, 30000, clock));
    std::atomic<int> granted{0};
    AtOnce([&](int node) {
        for (int i = 0; i < 20; ++i) {
            if (pacers[node]->TryAcquireToken(kStart) == 0) ++granted;
        }
    });
    EXPECT_EQ(granted.load(), 10);  // rate 10/s: a burst of 10 for all three, not 30
    EXPECT_EQ(pacers[0]->TryAcquireToken(kStart), 100);
    EXPECT_EQ(pacers[1]->TryAcquireToken(kStart + 100), 0);
}

TEST(PostgresSharedPacing, OneRecipientSlotAmongNodesReservingAtOnce) {
    Nodes nodes;
    const ManualClock clock(kStart);
    std::atomic<int> reserved{0};
    std::atomic<int> refused_until_gap_end{0};
    AtOnce([&](int node) {
        PacingStore& pacing = *nodes.stores[node]->SharedPacing();
        const auto gap_ends = pacing.ReserveRecipient("+919876543210", kStart + node, 6000);
        if (!gap_ends) {
            ++reserved;
        } else if (*gap_ends >= kStart + 6000) {
            ++refused_until_gap_end;
        }
    });
    EXPECT_EQ(reserved.load(), 1);
    EXPECT_EQ(refused_until_gap_end.load(), kNodes - 1);
}

TEST(PostgresSharedPacing, AHoldStartedOnOneNodeIsSeenByTheOthersAndSurvivesTheirRestart) {
    Nodes nodes;
    const ManualClock clock(kStart);
    auto first = MakeSharedSendPacing(*nodes.stores[0]->SharedPacing(), 0, 30000, clock);
    EXPECT_TRUE(first->OnStopAll("wallet empty", kStart));
    auto second = MakeSharedSendPacing(*nodes.stores[1]->SharedPacing(), 0, 30000, clock);
    EXPECT_EQ(second->AdmitHold(kStart + 1, true), SendingHold::Admission::kHeld);
    const SendPacing::Look look = second->Peek(kStart + 1);
    ASSERT_TRUE(look.fault.has_value());
    EXPECT_EQ(look.fault->error, "wallet empty");
    EXPECT_EQ(look.fault->since, kStart);
    EXPECT_TRUE(second->ClearHold());
    PacingState state = nodes.stores[2]->SharedPacing()->ReadPacing();
    EXPECT_FALSE(state.fault_error.has_value());
}

// Counts WatchNewWork's calls; waits (bounded) for the next.
class WakeCounter {
public:
    void Wake() {
        std::lock_guard lock(mutex_);
        ++count_;
        changed_.notify_all();
    }
    bool WaitBeyond(int seen, std::chrono::milliseconds limit) {
        std::unique_lock lock(mutex_);
        return changed_.wait_for(lock, limit, [&] { return count_ > seen; });
    }
    int count() {
        std::lock_guard lock(mutex_);
        return count_;
    }

private:
    std::mutex mutex_;
    std::condition_variable changed_;
    int count_ = 0;
};

TEST(PostgresNewWork, AMessageQueuedOnOneNodeWakesTheOthersListener) {
    Nodes nodes;
    WakeCounter wakes;
    const auto watch = nodes.stores[0]->WatchNewWork([&] { wakes.Wake(); });
    ASSERT_NE(watch, nullptr);
    ASSERT_TRUE(wakes.WaitBeyond(0, std::chrono::seconds(10)));  // once when it starts listening
    const int before = wakes.count();
    nodes.stores[1]->Enqueue(MakeMessage("msg-from-node-1", kStart), kStart, std::nullopt);
    EXPECT_TRUE(wakes.WaitBeyond(before, std::chrono::seconds(10)));
}

TEST(PostgresNewWork, NoWakeWithoutNewWorkAndNoneAfterTheWatchEnds) {
    Nodes nodes;
    WakeCounter wakes;
    {
        const auto watch = nodes.stores[0]->WatchNewWork([&] { wakes.Wake(); });
        ASSERT_TRUE(wakes.WaitBeyond(0, std::chrono::seconds(10)));
        // Changing settings queues nothing: no wake.
        nodes.stores[1]->PutSettings(nodes.stores[1]->GetSettings());
        EXPECT_FALSE(wakes.WaitBeyond(1, std::chrono::milliseconds(300)));
    }
    const int after_end = wakes.count();
    nodes.stores[1]->Enqueue(MakeMessage("msg-after-the-watch", kStart), kStart, std::nullopt);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    EXPECT_EQ(wakes.count(), after_end);
}

}  // namespace
}  // namespace notify::store_test
