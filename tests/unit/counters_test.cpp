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

TEST(Counters, ChangesOfAGroupSumToOneChangePerRowAndCancellingOnesDrop) {
    std::vector<CounterChange> group;
    for (int i = 0; i < 3; ++i) {
        for (CounterChange& c : CounterChangesForInsert(kCreated + i, "welcome", MessageStatus::kQueued)) {
            group.push_back(c);
        }
    }
    // One of them is sent: -1 queued, +1 sent on each grain.
    for (CounterChange& c :
         CounterChangesForStatus(kCreated, "welcome", MessageStatus::kSending, MessageStatus::kSent)) {
        group.push_back(c);
    }
    // A message inserted and then counted out again cancels to nothing.
    for (CounterChange& c : CounterChangesForInsert(kCreated, "payment_reminder", MessageStatus::kQueued)) {
        group.push_back(c);
    }
    for (CounterChange c : CounterChangesForInsert(kCreated, "payment_reminder", MessageStatus::kQueued)) {
        c.delta = -c.delta;
        group.push_back(c);
    }
    const std::vector<CounterChange> summed = SumCounterChanges(group);
    ASSERT_EQ(summed.size(), 6u);  // (hour, day, total) x (queued, sent) of welcome
    std::int64_t queued = 0;
    std::int64_t sent = 0;
    for (const CounterChange& c : summed) {
        EXPECT_EQ(c.key.message_type, "welcome");
        (c.key.status == MessageStatus::kQueued ? queued : sent) += c.delta;
    }
    EXPECT_EQ(queued, 3 * 2);  // 2 per grain
    EXPECT_EQ(sent, 3 * 1);
}

}  // namespace
}  // namespace notify
