#include "notify/enqueue_rules.h"

#include <gtest/gtest.h>

namespace notify {
namespace {

TEST(EnqueueRules, AQueuedMessageGetsAnEntryAndALeasedOneIsSending) {
    const EnqueueDecision plain = DecideEnqueue(MessageStatus::kQueued, false, false);
    EXPECT_EQ(plain.status, MessageStatus::kQueued);
    EXPECT_TRUE(plain.queue_entry);
    EXPECT_FALSE(plain.leased);

    const EnqueueDecision immediate = DecideEnqueue(MessageStatus::kQueued, false, true);
    EXPECT_EQ(immediate.status, MessageStatus::kSending);
    EXPECT_TRUE(immediate.queue_entry);
    EXPECT_TRUE(immediate.leased);
}

TEST(EnqueueRules, AnOptedOutRecipientMakesItSuppressedWithoutEntryOrLease) {
    for (const bool claim : {false, true}) {
        for (const MessageStatus status : {MessageStatus::kQueued, MessageStatus::kSending}) {
            const EnqueueDecision d = DecideEnqueue(status, true, claim);
            EXPECT_EQ(d.status, MessageStatus::kSuppressed);
            EXPECT_FALSE(d.queue_entry);
            EXPECT_FALSE(d.leased);
        }
    }
}

TEST(EnqueueRules, FinalStatusesAreStoredAsGivenWithoutEntry) {
    for (const MessageStatus status : {MessageStatus::kSuppressed, MessageStatus::kSkippedRollout}) {
        for (const bool opted_out : {false, true}) {
            const EnqueueDecision d = DecideEnqueue(status, opted_out, true);
            EXPECT_EQ(d.status, status);
            EXPECT_FALSE(d.queue_entry);
            EXPECT_FALSE(d.leased);
            EXPECT_FALSE(NeedsQueueEntry(status));
        }
    }
    EXPECT_TRUE(NeedsQueueEntry(MessageStatus::kQueued));
    EXPECT_TRUE(NeedsQueueEntry(MessageStatus::kSending));
}

}  // namespace
}  // namespace notify
