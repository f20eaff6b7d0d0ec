// The pacing of provider calls that nodes on one PostgreSQL database share (PostgresPacingStore
// under MakeSharedSendPacing): three stores on one database stand for three nodes, each with its
// own connections, deciding at once.

#include <gtest/gtest.h>

#include <atomic>
#include <latch>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "queue/send_pacing.h"
#include "store/postgres/pg_store.h"
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

}  // namespace
}  // namespace notify::store_test
