// Store::PurgeOlderThan, RETENTION_DAYS' delete: only old finished messages and old webhook events,
// in batches of at most `limit`, leaving the queue as it was and the statistics agreeing with what is kept.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "store/store.h"
#include "store_fixtures.h"
#include "store_test_support.h"

namespace notify::store_test {
namespace {

constexpr TimeMs kDay = 86'400'000;

template <typename Fixture>
class StoreRetentionTest : public ::testing::Test {
protected:
    void SetUp() override { store_ = Fixture::Open(dir_.path()); }

    void Stored(const std::string& id, TimeMs created_at, MessageStatus status = MessageStatus::kQueued) {
        ASSERT_TRUE(
            store_->Enqueue(MakeMessage(id, created_at, "delivery_reminder", kPhone1, status), created_at, {}).created);
    }

    // A queued message taken and sent, with its attempt on record.
    void Sent(const std::string& id, TimeMs created_at) {
        Stored(id, created_at);
        const Lease lease{"sender", created_at + 60'000};
        ASSERT_EQ(store_->ClaimDue(created_at, 100, lease, false).size(), 1u);
        AttemptResult result;
        result.attempt = MakeAttempt(id, 1, created_at, AttemptOutcome::kAccepted);
        result.attempt.provider_message_id = "prov-" + id;
        result.next = AttemptResult::Next::kSent;
        result.now = created_at;
        result.lease_owner = lease.owner;
        ASSERT_TRUE(store_->CompleteAttempt(result));
    }

    void Event(const std::string& id, TimeMs received_at) {
        store_->RecordWebhookEvent(WebhookEventRecord{id, "message", received_at, std::nullopt}, std::nullopt);
    }

    TempDir dir_;
    std::unique_ptr<Store> store_;
};

TYPED_TEST_SUITE(StoreRetentionTest, StoreFixtures, StoreFixtureNames);

TYPED_TEST(StoreRetentionTest, OnlyOldFinishedMessagesAndOldEventsGo) {
    this->Sent("old-sent", kT0);
    this->Stored("old-suppressed", kT0, MessageStatus::kSuppressed);
    this->Sent("new-sent", kT0 + 10 * kDay);
    this->Stored("old-queued", kT0 + 1);  // still waiting: never deleted, however old
    this->Event("old-event", kT0);
    this->Event("new-event", kT0 + 10 * kDay);
    const std::int64_t total_before = this->store_->Stats(StatsQuery{}).all.total;

    const PurgeResult purged = this->store_->PurgeOlderThan(kT0 + kDay, 100);
    EXPECT_EQ(purged.messages, 2u);
    EXPECT_EQ(purged.webhook_events, 1u);
    EXPECT_FALSE(this->store_->GetMessage("old-sent"));
    EXPECT_TRUE(this->store_->ListAttempts("old-sent").empty());  // its attempt went with it
    EXPECT_FALSE(this->store_->GetMessage("old-suppressed"));
    EXPECT_TRUE(this->store_->GetMessage("old-queued"));
    EXPECT_TRUE(this->store_->GetMessage("new-sent"));
    EXPECT_EQ(this->store_->ListAttempts("new-sent").size(), 1u);
    EXPECT_EQ(this->store_->QueueDepth(), 1);
    // Statistics count the messages kept, so that every range (counters, or the index for a part
    // of an hour) agrees with history.
    EXPECT_EQ(this->store_->Stats(StatsQuery{}).all.total, total_before - 2);
    StatsQuery old_day;
    old_day.since = kT0 - kDay;
    old_day.until = kT0 + 30'000;                          // a part of an hour: counted from the index
    EXPECT_EQ(this->store_->Stats(old_day).all.total, 1);  // old-queued

    // A redelivered old event is no longer known, a new one still is.
    EXPECT_EQ(this->store_->RecordWebhookEvent(WebhookEventRecord{"new-event", "message", kT0 + 11 * kDay, {}}, {}),
              WebhookOutcome::kDuplicate);
    EXPECT_EQ(this->store_->PurgeOlderThan(kT0 + kDay, 100).messages, 0u);
}

TYPED_TEST(StoreRetentionTest, AtMostLimitGoPerCallOldestFirst) {
    for (int i = 0; i < 5; ++i) this->Stored("s" + std::to_string(i), kT0 + i, MessageStatus::kSuppressed);
    EXPECT_EQ(this->store_->PurgeOlderThan(kT0 + kDay, 2).messages, 2u);
    EXPECT_FALSE(this->store_->GetMessage("s0"));
    EXPECT_FALSE(this->store_->GetMessage("s1"));
    EXPECT_TRUE(this->store_->GetMessage("s2"));
    EXPECT_EQ(this->store_->PurgeOlderThan(kT0 + kDay, 2).messages, 2u);
    EXPECT_EQ(this->store_->PurgeOlderThan(kT0 + kDay, 2).messages, 1u);
    EXPECT_EQ(this->store_->PurgeOlderThan(kT0 + kDay, 2).messages, 0u);
    EXPECT_EQ(this->store_->PurgeOlderThan(kT0 + kDay, 0).messages, 0u);
}

}  // namespace
}  // namespace notify::store_test
