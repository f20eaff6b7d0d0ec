// Store::EnqueueAsync, the write POST /send-message answers from: the same rules as Enqueue, each
// callback exactly once and only when the message is durable, beside synchronous writers.

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/errors.h"
#include "store/sqlite/sqlite_store.h"
#include "store/store.h"
#include "store_fixtures.h"
#include "store_test_support.h"

namespace notify::store_test {
namespace {

// Waits for the outcome of one asynchronous enqueue.
EnqueueOutcome EnqueueAndWait(Store& store, const Message& message, TimeMs due) {
    std::promise<EnqueueOutcome> answered;
    store.EnqueueAsync(message, due, [&answered](EnqueueOutcome outcome) { answered.set_value(std::move(outcome)); });
    auto future = answered.get_future();
    if (future.wait_for(std::chrono::seconds(30)) != std::future_status::ready) {
        ADD_FAILURE() << "EnqueueAsync never called back";
        return {};
    }
    return future.get();
}

template <typename Fixture>
class StoreAsyncEnqueueTest : public ::testing::Test {
protected:
    void SetUp() override { store_ = Fixture::Open(dir_.path()); }

    TempDir dir_;
    std::unique_ptr<Store> store_;
};

TYPED_TEST_SUITE(StoreAsyncEnqueueTest, StoreFixtures, StoreFixtureNames);

TYPED_TEST(StoreAsyncEnqueueTest, TheMessageIsStoredAndQueuedWhenDoneIsCalled) {
    const EnqueueOutcome outcome = EnqueueAndWait(*this->store_, MakeMessage("m1", kT0), kT0);
    ASSERT_FALSE(outcome.error);
    ASSERT_TRUE(outcome.result);
    EXPECT_TRUE(outcome.result->created);
    EXPECT_EQ(outcome.result->message.status, MessageStatus::kQueued);
    auto stored = this->store_->GetMessage("m1");
    ASSERT_TRUE(stored);
    EXPECT_EQ(stored->status, MessageStatus::kQueued);
    EXPECT_EQ(this->store_->QueueDepth(), 1);
    EXPECT_EQ(this->store_->Stats(StatsQuery{}).all.queued, 1);
}

TYPED_TEST(StoreAsyncEnqueueTest, FollowsTheOptOutAndIdempotencyRulesOfEnqueue) {
    ASSERT_TRUE(this->store_->SetOptOut(kPhone2, true, kT0));
    const EnqueueOutcome opted_out = EnqueueAndWait(*this->store_, MakeMessage("out", kT0, "x", kPhone2), kT0);
    ASSERT_TRUE(opted_out.result);
    EXPECT_EQ(opted_out.result->message.status, MessageStatus::kSuppressed);

    Message first = MakeMessage("first", kT0);
    first.idempotency_key = "order-7";
    Message second = MakeMessage("second", kT0 + 1);
    second.idempotency_key = "order-7";
    ASSERT_TRUE(EnqueueAndWait(*this->store_, first, kT0).result->created);
    const EnqueueOutcome repeated = EnqueueAndWait(*this->store_, second, kT0 + 1);
    ASSERT_TRUE(repeated.result);
    EXPECT_FALSE(repeated.result->created);
    EXPECT_EQ(repeated.result->message.id, "first");
    EXPECT_FALSE(this->store_->GetMessage("second"));
    EXPECT_EQ(this->store_->QueueDepth(), 1);  // the suppressed one waits for nothing
}

TYPED_TEST(StoreAsyncEnqueueTest, AFailedWriteIsReportedToItsCallerAlone) {
    ASSERT_TRUE(EnqueueAndWait(*this->store_, MakeMessage("taken", kT0), kT0).result);
    // A repeated id breaks the primary key: that write fails, the next one is kept.
    std::promise<EnqueueOutcome> failed;
    std::promise<EnqueueOutcome> kept;
    this->store_->EnqueueAsync(MakeMessage("taken", kT0 + 1), kT0,
                               [&failed](EnqueueOutcome outcome) { failed.set_value(std::move(outcome)); });
    this->store_->EnqueueAsync(MakeMessage("fresh", kT0 + 1), kT0,
                               [&kept](EnqueueOutcome outcome) { kept.set_value(std::move(outcome)); });
    const EnqueueOutcome failure = failed.get_future().get();
    ASSERT_TRUE(failure.error);
    EXPECT_FALSE(failure.result);
    EXPECT_THROW(std::rethrow_exception(failure.error), StoreUnavailable);
    const EnqueueOutcome success = kept.get_future().get();
    EXPECT_FALSE(success.error);
    EXPECT_TRUE(this->store_->GetMessage("fresh"));
    EXPECT_EQ(this->store_->QueueDepth(), 2);
}

// Asynchronous and waiting writers share the group commit: nobody is left waiting for a leader, and
// every message is stored once.
TYPED_TEST(StoreAsyncEnqueueTest, AsynchronousAndWaitingWritersTogetherEachFinishOnce) {
    constexpr int kThreads = 6;
    constexpr int kPerThread = 60;
    std::atomic<int> callbacks{0};
    std::atomic<int> errors{0};
    std::mutex done_mutex;
    std::condition_variable all_done;
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
        threads.emplace_back([&, t] {
            for (int i = 0; i < kPerThread; ++i) {
                const Message m = MakeMessage("t" + std::to_string(t) + "-" + std::to_string(i), kT0 + i);
                if (t % 2 == 0) {
                    this->store_->Enqueue(m, kT0, std::nullopt);
                    continue;
                }
                this->store_->EnqueueAsync(m, kT0, [&](EnqueueOutcome outcome) {
                    if (outcome.error || !outcome.result || !outcome.result->created) ++errors;
                    std::lock_guard lock(done_mutex);
                    ++callbacks;
                    all_done.notify_all();
                });
            }
        });
    }
    for (auto& thread : threads) thread.join();
    const int async_writes = (kThreads / 2) * kPerThread;
    {
        std::unique_lock lock(done_mutex);
        ASSERT_TRUE(
            all_done.wait_for(lock, std::chrono::seconds(30), [&] { return callbacks.load() >= async_writes; }));
    }
    EXPECT_EQ(callbacks.load(), async_writes);
    EXPECT_EQ(errors.load(), 0);
    EXPECT_EQ(this->store_->QueueDepth(), kThreads * kPerThread);
    EXPECT_EQ(this->store_->Stats(StatsQuery{}).all.total, kThreads * kPerThread);
}

// Shutting down answers every write that was accepted: none is dropped without its callback.
TEST(SqliteAsyncEnqueue, DestroyingTheStoreFinishesThePendingWritesFirst) {
    TempDir dir;
    const std::string path = (dir.path() / "n.db").string();
    std::atomic<int> stored{0};
    constexpr int kWrites = 200;
    {
        SqliteStore store(path);
        store.Migrate();
        for (int i = 0; i < kWrites; ++i) {
            store.EnqueueAsync(MakeMessage("m" + std::to_string(i), kT0 + i), kT0, [&stored](EnqueueOutcome outcome) {
                if (outcome.result && outcome.result->created) ++stored;
            });
        }
    }
    EXPECT_EQ(stored.load(), kWrites);
    SqliteStore reopened(path);
    EXPECT_EQ(reopened.QueueDepth(), kWrites);
}

}  // namespace
}  // namespace notify::store_test
