#include "notify/counters.h"

#include <gtest/gtest.h>

#include <vector>

namespace notify {
namespace {

constexpr TimeMs kCreated = 1'700'000'000'000;  // hour 472222, day 19675

TEST(Counters, AnInsertAddsOneToItsHourDayAndTotalCounters) {
    const std::vector<CounterChange> changes = CounterChangesForInsert(kCreated, "welcome", MessageStatus::kSending);
    const std::vector<CounterChange> expected = {
        {{CounterGrain::kHour, 472222, "welcome", MessageStatus::kQueued}, 1},
        {{CounterGrain::kDay, 19675, "welcome", MessageStatus::kQueued}, 1},
        {{CounterGrain::kTotal, 0, "welcome", MessageStatus::kQueued}, 1},
    };
    EXPECT_EQ(changes, expected);
}

TEST(Counters, QueuedAndSendingAreCountedAlike) {
    EXPECT_TRUE(CounterChangesForStatus(kCreated, "welcome", MessageStatus::kQueued, MessageStatus::kSending).empty());
    EXPECT_TRUE(CounterChangesForStatus(kCreated, "welcome", MessageStatus::kSending, MessageStatus::kQueued).empty());
    EXPECT_TRUE(CounterChangesForStatus(kCreated, "welcome", MessageStatus::kSent, MessageStatus::kSent).empty());
    EXPECT_EQ(CounterStatus(MessageStatus::kSending), MessageStatus::kQueued);
    EXPECT_EQ(CounterStatus(MessageStatus::kDelivered), MessageStatus::kDelivered);
}

TEST(Counters, AStatusChangeMovesOneFromTheOldCountersToTheNew) {
    const std::vector<CounterChange> changes =
        CounterChangesForStatus(kCreated, "payment_reminder", MessageStatus::kSending, MessageStatus::kSent);
    ASSERT_EQ(changes.size(), 6u);
    std::int64_t sum = 0;
    for (const CounterChange& c : changes) {
        sum += c.delta;
        EXPECT_EQ(c.key.message_type, "payment_reminder");
        EXPECT_EQ(c.key.status, c.delta < 0 ? MessageStatus::kQueued : MessageStatus::kSent);
    }
    EXPECT_EQ(sum, 0);
}

TEST(Counters, StatusCountsFollowTheContractClasses) {
    StatusCounts counts;
    AddToStatusCounts(counts, MessageStatus::kQueued, 1);
    AddToStatusCounts(counts, MessageStatus::kSending, 2);
    AddToStatusCounts(counts, MessageStatus::kSent, 4);
    AddToStatusCounts(counts, MessageStatus::kDelivered, 8);
    AddToStatusCounts(counts, MessageStatus::kRead, 16);
    AddToStatusCounts(counts, MessageStatus::kFailed, 32);
    AddToStatusCounts(counts, MessageStatus::kSuppressed, 64);
    AddToStatusCounts(counts, MessageStatus::kSkippedRollout, 128);
    EXPECT_EQ(counts.total, 255);
    EXPECT_EQ(counts.queued, 3);
    EXPECT_EQ(counts.sent, 28);
    EXPECT_EQ(counts.delivered, 24);
    EXPECT_EQ(counts.read, 16);
    EXPECT_EQ(counts.failed, 32);
    EXPECT_EQ(counts.suppressed, 64);
    EXPECT_EQ(counts.skipped_rollout, 128);
}

}  // namespace
}  // namespace notify
