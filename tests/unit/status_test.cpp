#include "notify/status.h"

#include <gtest/gtest.h>

namespace notify {
namespace {

constexpr TimeMs kT0 = 1'700'000'000'000;

Message SentMessage() {
    Message m;
    m.id = "msg-1";
    m.status = MessageStatus::kSent;
    m.provider_message_id = "pm-1";
    m.created_at = kT0;
    m.updated_at = kT0;
    m.sent_at = kT0;
    return m;
}

Message Apply(const Message& m, MessageStatus incoming, TimeMs at, std::string_view reason = {}) {
    return WithTransition(m, ApplyProviderStatus(m, incoming, at, reason), at + 5);
}

TEST(StatusRank, OrdersTheLifeOfAMessage) {
    EXPECT_EQ(StatusRank(MessageStatus::kQueued), StatusRank(MessageStatus::kSending));
    EXPECT_LT(StatusRank(MessageStatus::kSending), StatusRank(MessageStatus::kSent));
    EXPECT_LT(StatusRank(MessageStatus::kSent), StatusRank(MessageStatus::kFailed));
    EXPECT_LT(StatusRank(MessageStatus::kFailed), StatusRank(MessageStatus::kDelivered));
    EXPECT_LT(StatusRank(MessageStatus::kDelivered), StatusRank(MessageStatus::kRead));
    EXPECT_FALSE(StatusRank(MessageStatus::kSuppressed));
    EXPECT_FALSE(StatusRank(MessageStatus::kSkippedRollout));
}

TEST(ApplyProviderStatus, DeliveredThenReadMovesForwardAndStampsEach) {
    const Message delivered = Apply(SentMessage(), MessageStatus::kDelivered, kT0 + 100);
    EXPECT_EQ(delivered.status, MessageStatus::kDelivered);
    EXPECT_EQ(delivered.delivered_at, kT0 + 100);
    EXPECT_EQ(delivered.updated_at, kT0 + 105);
    const Message read = Apply(delivered, MessageStatus::kRead, kT0 + 200);
    EXPECT_EQ(read.status, MessageStatus::kRead);
    EXPECT_EQ(read.delivered_at, kT0 + 100);
    EXPECT_EQ(read.read_at, kT0 + 200);
    EXPECT_EQ(read.sent_at, kT0);
}

TEST(ApplyProviderStatus, ALateDeliveredAfterReadKeepsReadButFillsDeliveredAt) {
    const Message read = Apply(SentMessage(), MessageStatus::kRead, kT0 + 200);
    EXPECT_EQ(read.status, MessageStatus::kRead);
    EXPECT_FALSE(read.delivered_at);  // not invented from the read time

    const StatusTransition t = ApplyProviderStatus(read, MessageStatus::kDelivered, kT0 + 100);
    EXPECT_EQ(t.status, MessageStatus::kRead);
    EXPECT_FALSE(t.status_changed);
    EXPECT_EQ(t.delivered_at, kT0 + 100);
    EXPECT_TRUE(t.ChangesMessage());
    EXPECT_NE(t.note.find("late"), std::string::npos) << t.note;
    const Message after = WithTransition(read, t, kT0 + 300);
    EXPECT_EQ(after.status, MessageStatus::kRead);
    EXPECT_EQ(after.delivered_at, kT0 + 100);
    EXPECT_EQ(after.read_at, kT0 + 200);
}

TEST(ApplyProviderStatus, AStatusNeverMovesBackwards) {
    Message m = Apply(SentMessage(), MessageStatus::kRead, kT0 + 200);
    for (MessageStatus incoming : {MessageStatus::kSent, MessageStatus::kDelivered, MessageStatus::kFailed}) {
        const StatusTransition t = ApplyProviderStatus(m, incoming, kT0 + 300);
        EXPECT_EQ(t.status, MessageStatus::kRead) << ToString(incoming);
        EXPECT_FALSE(t.status_changed);
    }
}

TEST(ApplyProviderStatus, FailedAfterDeliveredIsNotedButDoesNotUndoDelivery) {
    const Message delivered = Apply(SentMessage(), MessageStatus::kDelivered, kT0 + 100);
    const StatusTransition t =
        ApplyProviderStatus(delivered, MessageStatus::kFailed, kT0 + 200, "131026: undeliverable");
    EXPECT_EQ(t.status, MessageStatus::kDelivered);
    EXPECT_FALSE(t.status_changed);
    EXPECT_FALSE(t.failed_at);
    EXPECT_FALSE(t.last_error);
    EXPECT_FALSE(t.ChangesMessage());
    EXPECT_NE(t.note.find("after delivery"), std::string::npos) << t.note;
    EXPECT_NE(t.note.find("131026: undeliverable"), std::string::npos) << t.note;
    EXPECT_EQ(WithTransition(delivered, t, kT0 + 300).updated_at, delivered.updated_at);
}

TEST(ApplyProviderStatus, FailedAfterSentFailsTheMessageWithTheReason) {
    const StatusTransition t = ApplyProviderStatus(SentMessage(), MessageStatus::kFailed, kT0 + 50, "131026: nope");
    EXPECT_EQ(t.status, MessageStatus::kFailed);
    EXPECT_TRUE(t.status_changed);
    EXPECT_EQ(t.failed_at, kT0 + 50);
    EXPECT_EQ(t.last_error, "131026: nope");
    EXPECT_TRUE(t.note.empty());

    const StatusTransition no_reason = ApplyProviderStatus(SentMessage(), MessageStatus::kFailed, kT0 + 50);
    ASSERT_TRUE(no_reason.last_error);
    EXPECT_FALSE(no_reason.last_error->empty());
}

TEST(ApplyProviderStatus, DeliveredAfterFailedMeansItArrived) {
    const Message failed = Apply(SentMessage(), MessageStatus::kFailed, kT0 + 50);
    const Message delivered = Apply(failed, MessageStatus::kDelivered, kT0 + 100);
    EXPECT_EQ(delivered.status, MessageStatus::kDelivered);
    EXPECT_EQ(delivered.delivered_at, kT0 + 100);
    EXPECT_EQ(delivered.failed_at, kT0 + 50);  // the report stays on record
}

TEST(ApplyProviderStatus, ALateSentKeepsTheLaterStatus) {
    const Message failed = Apply(SentMessage(), MessageStatus::kFailed, kT0 + 50);
    const StatusTransition t = ApplyProviderStatus(failed, MessageStatus::kSent, kT0 + 10);
    EXPECT_EQ(t.status, MessageStatus::kFailed);
    EXPECT_FALSE(t.ChangesMessage());  // sent_at was already set by our own send
}

TEST(ApplyProviderStatus, RepeatedStatusKeepsTheFirstTimestamp) {
    const Message delivered = Apply(SentMessage(), MessageStatus::kDelivered, kT0 + 100);
    const StatusTransition t = ApplyProviderStatus(delivered, MessageStatus::kDelivered, kT0 + 900);
    EXPECT_FALSE(t.ChangesMessage());
    EXPECT_EQ(t.note, "repeated status");
}

TEST(ApplyProviderStatus, SentFillsSentAtWhenMissing) {
    Message m = SentMessage();
    m.sent_at.reset();
    const StatusTransition t = ApplyProviderStatus(m, MessageStatus::kSent, kT0 + 7);
    EXPECT_EQ(t.sent_at, kT0 + 7);
    EXPECT_FALSE(t.status_changed);
}

TEST(ApplyProviderStatus, QueuedOrSendingMovesForward) {
    Message m = SentMessage();
    m.status = MessageStatus::kSending;
    m.sent_at.reset();
    const StatusTransition t = ApplyProviderStatus(m, MessageStatus::kDelivered, kT0 + 7);
    EXPECT_EQ(t.status, MessageStatus::kDelivered);
    EXPECT_TRUE(t.status_changed);
}

TEST(ApplyProviderStatus, MessagesNeverSentAreLeftAlone) {
    for (MessageStatus final_status : {MessageStatus::kSuppressed, MessageStatus::kSkippedRollout}) {
        Message m = SentMessage();
        m.status = final_status;
        const StatusTransition t = ApplyProviderStatus(m, MessageStatus::kDelivered, kT0 + 7);
        EXPECT_EQ(t.status, final_status);
        EXPECT_FALSE(t.ChangesMessage());
        EXPECT_FALSE(t.note.empty());
    }
}

TEST(ApplyProviderStatus, NonProviderStatusesChangeNothing) {
    const StatusTransition t = ApplyProviderStatus(SentMessage(), MessageStatus::kQueued, kT0 + 7);
    EXPECT_FALSE(t.ChangesMessage());
    EXPECT_EQ(t.status, MessageStatus::kSent);
}

TEST(StatusEventNote, SaysWhyNothingMovedOrWhatFailureWasRecorded) {
    const StatusTransition failed =
        ApplyProviderStatus(SentMessage(), MessageStatus::kFailed, kT0 + 50, "131026: nope");
    EXPECT_EQ(StatusEventNote(failed), "131026: nope");
    const StatusTransition repeated = ApplyProviderStatus(SentMessage(), MessageStatus::kSent, kT0 + 60);
    EXPECT_EQ(StatusEventNote(repeated), "repeated status");
    Message read = SentMessage();
    read.status = MessageStatus::kRead;
    const StatusTransition late = ApplyProviderStatus(read, MessageStatus::kDelivered, kT0 + 70);
    EXPECT_NE(StatusEventNote(late).find("late event"), std::string::npos);
    const StatusTransition delivered = ApplyProviderStatus(SentMessage(), MessageStatus::kDelivered, kT0 + 80);
    EXPECT_EQ(StatusEventNote(delivered), "");
}

TEST(ApplyProviderStatus, AFailureReasonIsCutWithoutSplittingACharacter) {
    const std::string reason = std::string(499, 'x') + "\u20b9";  // a 3-byte character across byte 500
    const StatusTransition t = ApplyProviderStatus(SentMessage(), MessageStatus::kFailed, kT0 + 50, reason);
    ASSERT_TRUE(t.last_error);
    EXPECT_EQ(*t.last_error, std::string(499, 'x'));
}

}  // namespace
}  // namespace notify
