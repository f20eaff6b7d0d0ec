// RETENTION_DAYS: the cut-off, a purge in batches to the end, and the background loop.
#include "queue/retention.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <thread>

#include "store/store_test_support.h"
#include "support/temp_sqlite_store.h"

namespace notify {
namespace {

constexpr TimeMs kDay = 86'400'000;
constexpr TimeMs kNow = 1'800'000'000'000;

// Final (nothing to send), so purgeable once old.
Message Finished(const std::string& id, TimeMs created_at) {
    return store_test::MakeMessage(id, created_at, "delivery_reminder", store_test::kPhone1,
                                   MessageStatus::kSuppressed);
}

TEST(RetentionCutoff, IsWholeDaysBeforeNowAndNothingWhenOff) {
    EXPECT_EQ(RetentionCutoff(kNow, 180), kNow - 180 * kDay);
    EXPECT_EQ(RetentionCutoff(kNow, 1), kNow - kDay);
    EXPECT_LT(RetentionCutoff(kNow, 0), 0);  // before any message
}

class RetentionTest : public ::testing::Test {
protected:
    void SetUp() override {
        for (int i = 0; i < 7; ++i) store_->Enqueue(Finished("old" + std::to_string(i), kNow - 40 * kDay + i), 0, {});
        store_->Enqueue(Finished("recent", kNow - 5 * kDay), 0, {});
    }
    test_support::TempSqliteStore store_;
    ManualClock clock_{kNow};
};

TEST_F(RetentionTest, APurgeGoesOnInBatchesUntilNothingOldIsLeft) {
    Retention retention(*store_, clock_, RetentionOptions{.days = 30, .batch = 3});
    const PurgeResult purged = retention.RunOnce();
    EXPECT_EQ(purged.messages, 7u);
    EXPECT_FALSE(store_->GetMessage("old6"));
    EXPECT_TRUE(store_->GetMessage("recent"));
    EXPECT_EQ(retention.RunOnce().messages, 0u);

    clock_.Advance(30 * kDay);  // a month later the recent one is old too
    EXPECT_EQ(retention.RunOnce().messages, 1u);
}

TEST_F(RetentionTest, ZeroDaysKeepsEverything) {
    Retention retention(*store_, clock_, RetentionOptions{.days = 0, .batch = 3});
    EXPECT_EQ(retention.RunOnce().messages, 0u);
    retention.Start();  // no thread: nothing to do
    retention.Stop();
    EXPECT_TRUE(store_->GetMessage("old0"));
}

TEST_F(RetentionTest, TheBackgroundLoopPurgesAtStartAndStopsAtOnce) {
    Retention retention(*store_, clock_, RetentionOptions{.days = 30, .batch = 2, .interval_ms = 3'600'000});
    retention.Start();
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (store_->GetMessage("old6") && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    EXPECT_FALSE(store_->GetMessage("old6"));
    const auto before_stop = std::chrono::steady_clock::now();
    retention.Stop();  // does not sit out the hour
    EXPECT_LT(std::chrono::steady_clock::now() - before_stop, std::chrono::seconds(5));
    EXPECT_TRUE(store_->GetMessage("recent"));
}

}  // namespace
}  // namespace notify
