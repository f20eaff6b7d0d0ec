// The behaviour every Store implementation must show, run once per fixture in StoreFixtures.
// Only the public Store interface is used here; tests of one implementation's files and
// internals live beside it (sqlite_store_test.cpp).

#include <gtest/gtest.h>

#include <atomic>
#include <latch>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "common/errors.h"
#include "store/store.h"
#include "store_fixtures.h"
#include "store_test_support.h"

namespace notify::store_test {
namespace {

template <typename Fixture>
class StoreContractTest : public ::testing::Test {
protected:
    void SetUp() override { store_ = Fixture::Open(dir_.path()); }

    Message Enqueue(const Message& m, TimeMs due) {
        EnqueueResult result = store_->Enqueue(m, due, std::nullopt);
        EXPECT_TRUE(result.created);
        return result.message;
    }

    // Messages stored, whatever their status.
    std::int64_t MessageCount() { return store_->Stats(StatsQuery{}).all.total; }

    // Claims the one due message and completes one attempt with the given ending.
    void Finish(const std::string& id, AttemptResult::Next next, TimeMs now) {
        ASSERT_EQ(Ids(store_->ClaimDue(now, 100, Lease{"finisher", now + 60'000}, false)),
                  std::vector<std::string>{id});
        AttemptResult result;
        const bool sent = next == AttemptResult::Next::kSent;
        result.attempt = MakeAttempt(id, 1, now, sent ? AttemptOutcome::kAccepted : AttemptOutcome::kPermanent);
        result.next = next;
        result.now = now;
        result.lease_owner = "finisher";
        ASSERT_TRUE(store_->CompleteAttempt(result));
    }

    // The attempt that schedules a retry of `id` at next_attempt_at, made under owner's lease.
    static AttemptResult Retry(const std::string& id, TimeMs now, TimeMs next_attempt_at, const std::string& owner) {
        AttemptResult retry;
        retry.attempt = MakeAttempt(id, 1, now, AttemptOutcome::kRetryable);
        retry.next = AttemptResult::Next::kRetry;
        retry.next_attempt_at = next_attempt_at;
        retry.now = now;
        retry.lease_owner = owner;
        return retry;
    }

    TempDir dir_;
    std::unique_ptr<Store> store_;
};

TYPED_TEST_SUITE(StoreContractTest, StoreFixtures, StoreFixtureNames);

TYPED_TEST(StoreContractTest, EnqueueAndGetRoundTripEveryField) {
    Message m = MakeMessage("m1", kT0);
    m.parameters = {"Asha \"Didi\"", "२८ जनवरी", "HSR Layout, Sector 2"};
    m.context_json = R"({"customer_name":"Asha \"Didi\"","note":"<b>not html</b>"})";
    m.idempotency_key = "order-42-reminder";

    const EnqueueResult result = this->store_->Enqueue(m, kT0 + 5, std::nullopt);
    EXPECT_TRUE(result.created);
    EXPECT_GT(result.message.seq, 0);
    EXPECT_EQ(result.message.next_attempt_at, kT0 + 5);

    const std::optional<Message> got = this->store_->GetMessage("m1");
    ASSERT_TRUE(got.has_value());
    EXPECT_EQ(got->seq, result.message.seq);
    EXPECT_EQ(got->id, "m1");
    EXPECT_EQ(got->phone, kPhone1);
    EXPECT_EQ(got->message_type, "delivery_reminder");
    EXPECT_EQ(got->provider_template_name, "delivery_reminder");
    EXPECT_EQ(got->language, "en");
    EXPECT_EQ(got->parameters, m.parameters);
    EXPECT_EQ(got->context_json, m.context_json);
    EXPECT_EQ(got->status, MessageStatus::kQueued);
    EXPECT_EQ(got->provider_message_id, "");
    EXPECT_EQ(got->attempts, 0);
    EXPECT_EQ(got->last_error, "");
    EXPECT_EQ(got->idempotency_key, "order-42-reminder");
    EXPECT_EQ(got->created_at, kT0);
    EXPECT_EQ(got->updated_at, kT0);
    EXPECT_FALSE(got->sent_at || got->delivered_at || got->read_at || got->failed_at);
    EXPECT_EQ(got->next_attempt_at, kT0 + 5);

    EXPECT_FALSE(this->store_->GetMessage("nope").has_value());
}

TYPED_TEST(StoreContractTest, RepeatedIdempotencyKeyReturnsTheFirstMessageAndWritesNothing) {
    Message first = MakeMessage("m1", kT0);
    first.idempotency_key = "k1";
    const Message stored = this->Enqueue(first, kT0);

    Message again = MakeMessage("m2", kT0 + 1000, "payment_reminder", kPhone2);
    again.idempotency_key = "k1";
    const EnqueueResult repeat = this->store_->Enqueue(again, kT0 + 1000, std::nullopt);
    EXPECT_FALSE(repeat.created);
    EXPECT_EQ(repeat.message.id, "m1");
    EXPECT_EQ(repeat.message.seq, stored.seq);
    EXPECT_EQ(repeat.message.phone, kPhone1);
    EXPECT_EQ(repeat.message.next_attempt_at, kT0);

    EXPECT_FALSE(this->store_->GetMessage("m2").has_value());
    EXPECT_EQ(this->MessageCount(), 1);
    EXPECT_EQ(this->store_->QueueDepth(), 1);

    // Messages without a key never collide.
    this->Enqueue(MakeMessage("m3", kT0), kT0);
    this->Enqueue(MakeMessage("m4", kT0), kT0);
    EXPECT_EQ(this->MessageCount(), 3);
}

TYPED_TEST(StoreContractTest, SuppressedAndSkippedMessagesGetNoQueueEntry) {
    const Message suppressed =
        this->Enqueue(MakeMessage("s1", kT0, "welcome", kPhone1, MessageStatus::kSuppressed), kT0);
    const Message skipped =
        this->Enqueue(MakeMessage("s2", kT0, "welcome", kPhone1, MessageStatus::kSkippedRollout), kT0);
    EXPECT_FALSE(suppressed.next_attempt_at.has_value());
    EXPECT_FALSE(skipped.next_attempt_at.has_value());
    EXPECT_EQ(this->store_->QueueDepth(), 0);
    EXPECT_EQ(this->store_->GetMessage("s1")->status, MessageStatus::kSuppressed);
    EXPECT_EQ(this->store_->GetMessage("s2")->status, MessageStatus::kSkippedRollout);
    EXPECT_TRUE(this->store_->ClaimDue(kT0, 10, Lease{"w", kT0 + 1000}, true).empty());
}

TYPED_TEST(StoreContractTest, ClaimDueLeasesAnEntryOnceUntilTheLeaseExpires) {
    this->Enqueue(MakeMessage("m1", kT0), kT0 + 1000);

    EXPECT_TRUE(this->store_->ClaimDue(kT0 + 999, 10, Lease{"a", kT0 + 61'000}, false).empty());  // not due yet

    const std::vector<Message> claimed = this->store_->ClaimDue(kT0 + 1000, 10, Lease{"a", kT0 + 61'000}, false);
    ASSERT_EQ(Ids(claimed), std::vector<std::string>{"m1"});
    EXPECT_EQ(claimed[0].status, MessageStatus::kSending);
    EXPECT_EQ(this->store_->GetMessage("m1")->status, MessageStatus::kSending);

    EXPECT_TRUE(this->store_->ClaimDue(kT0 + 1000, 10, Lease{"b", kT0 + 61'000}, false).empty());
    EXPECT_TRUE(this->store_->ClaimDue(kT0 + 60'999, 10, Lease{"b", kT0 + 120'000}, true).empty());

    // The worker holding it died: at expiry another takes it over.
    EXPECT_EQ(Ids(this->store_->ClaimDue(kT0 + 61'000, 10, Lease{"b", kT0 + 121'000}, false)),
              std::vector<std::string>{"m1"});
    EXPECT_EQ(this->store_->QueueDepth(), 1);
}

TYPED_TEST(StoreContractTest, ForceClaimsRetriesNotYetDueButNotLeasedOnes) {
    this->Enqueue(MakeMessage("m1", kT0), kT0);
    ASSERT_EQ(this->store_->ClaimDue(kT0, 10, Lease{"a", kT0 + 60'000}, false).size(), 1u);
    ASSERT_TRUE(this->store_->CompleteAttempt(this->Retry("m1", kT0, kT0 + 3'600'000, "a")));

    EXPECT_TRUE(this->store_->ClaimDue(kT0, 10, Lease{"a", kT0 + 60'000}, false).empty());
    EXPECT_EQ(Ids(this->store_->ClaimDue(kT0, 10, Lease{"a", kT0 + 60'000}, true)), std::vector<std::string>{"m1"});
    EXPECT_TRUE(this->store_->ClaimDue(kT0, 10, Lease{"b", kT0 + 60'000}, true).empty());
}

TYPED_TEST(StoreContractTest, ForceLeavesAMessageNeverAttemptedUntilItsTime) {
    // Held by quiet hours until the morning: an operator's forced pass must not wake the customer.
    this->Enqueue(MakeMessage("m1", kT0), kT0 + 3'600'000);
    this->Enqueue(MakeMessage("m2", kT0), kT0);
    EXPECT_EQ(Ids(this->store_->ClaimDue(kT0, 10, Lease{"a", kT0 + 7'200'000}, true)), std::vector<std::string>{"m2"});
    EXPECT_EQ(Ids(this->store_->ClaimDue(kT0 + 3'600'000, 10, Lease{"b", kT0 + 3'660'000}, true)),
              std::vector<std::string>{"m1"});
}

TYPED_TEST(StoreContractTest, ClaimDueTakesOldestDueFirstUpToTheLimit) {
    this->Enqueue(MakeMessage("m1", kT0), kT0 + 300);
    this->Enqueue(MakeMessage("m2", kT0), kT0 + 100);
    this->Enqueue(MakeMessage("m3", kT0), kT0 + 200);
    EXPECT_EQ(Ids(this->store_->ClaimDue(kT0 + 1000, 2, Lease{"a", kT0 + 60'000}, false)),
              (std::vector<std::string>{"m2", "m3"}));
    EXPECT_EQ(Ids(this->store_->ClaimDue(kT0 + 1000, 2, Lease{"b", kT0 + 60'000}, false)),
              std::vector<std::string>{"m1"});
    EXPECT_TRUE(this->store_->ClaimDue(kT0 + 1000, 0, Lease{"c", kT0 + 60'000}, true).empty());
}

TYPED_TEST(StoreContractTest, EnqueueWithAClaimLeasesTheEntryAtOnce) {
    const EnqueueResult result = this->store_->Enqueue(MakeMessage("m1", kT0), kT0, Lease{"request", kT0 + 30'000});
    EXPECT_EQ(result.message.status, MessageStatus::kSending);
    EXPECT_EQ(this->store_->GetMessage("m1")->status, MessageStatus::kSending);
    EXPECT_TRUE(this->store_->ClaimDue(kT0 + 10, 10, Lease{"processor", kT0 + 60'000}, true).empty());
    EXPECT_EQ(Ids(this->store_->ClaimDue(kT0 + 30'000, 10, Lease{"processor", kT0 + 90'000}, false)),
              std::vector<std::string>{"m1"});
}

TYPED_TEST(StoreContractTest, CompleteAttemptSentRecordsTheAttemptAndLeavesTheQueue) {
    this->Enqueue(MakeMessage("m1", kT0), kT0);
    ASSERT_EQ(this->store_->ClaimDue(kT0, 10, Lease{"a", kT0 + 60'000}, false).size(), 1u);

    AttemptResult result;
    result.attempt = MakeAttempt("m1", 1, kT0 + 10, AttemptOutcome::kAccepted);
    result.next = AttemptResult::Next::kSent;
    result.now = kT0 + 52;
    result.lease_owner = "a";
    EXPECT_TRUE(this->store_->CompleteAttempt(result));

    const Message m = *this->store_->GetMessage("m1");
    EXPECT_EQ(m.status, MessageStatus::kSent);
    EXPECT_EQ(m.provider_message_id, "wamid.m1");
    EXPECT_EQ(m.sent_at, kT0 + 52);
    EXPECT_EQ(m.attempts, 1);
    EXPECT_EQ(m.last_error, "");
    EXPECT_EQ(m.updated_at, kT0 + 52);
    EXPECT_FALSE(m.failed_at.has_value());
    EXPECT_FALSE(m.next_attempt_at.has_value());
    EXPECT_EQ(this->store_->QueueDepth(), 0);

    const std::vector<Attempt> attempts = this->store_->ListAttempts("m1");
    ASSERT_EQ(attempts.size(), 1u);
    EXPECT_EQ(attempts[0].message_id, "m1");
    EXPECT_EQ(attempts[0].number, 1);
    EXPECT_EQ(attempts[0].started_at, kT0 + 10);
    EXPECT_EQ(attempts[0].latency_ms, 42);
    EXPECT_EQ(attempts[0].outcome, AttemptOutcome::kAccepted);
    EXPECT_EQ(attempts[0].http_status, 200);
    EXPECT_EQ(attempts[0].error, "");
    EXPECT_EQ(attempts[0].provider_message_id, "wamid.m1");
    EXPECT_TRUE(this->store_->ListAttempts("unknown").empty());
}

TYPED_TEST(StoreContractTest, CompleteAttemptRetryReschedulesThenFailedEndsIt) {
    this->Enqueue(MakeMessage("m1", kT0), kT0);
    ASSERT_EQ(this->store_->ClaimDue(kT0, 10, Lease{"a", kT0 + 60'000}, false).size(), 1u);

    AttemptResult retry = this->Retry("m1", kT0 + 100, kT0 + 30'000, "a");
    retry.attempt.started_at = kT0;
    EXPECT_TRUE(this->store_->CompleteAttempt(retry));

    Message m = *this->store_->GetMessage("m1");
    EXPECT_EQ(m.status, MessageStatus::kQueued);
    EXPECT_EQ(m.attempts, 1);
    EXPECT_EQ(m.last_error, "HTTP 503: upstream unavailable");
    EXPECT_EQ(m.next_attempt_at, kT0 + 30'000);
    EXPECT_EQ(m.updated_at, kT0 + 100);
    EXPECT_EQ(this->store_->QueueDepth(), 1);

    // The lease was freed: the retry is taken when due, long before the old lease would expire.
    EXPECT_TRUE(this->store_->ClaimDue(kT0 + 29'999, 10, Lease{"b", kT0 + 90'000}, false).empty());
    ASSERT_EQ(this->store_->ClaimDue(kT0 + 30'000, 10, Lease{"b", kT0 + 90'000}, false).size(), 1u);

    AttemptResult failed;
    failed.attempt = MakeAttempt("m1", 2, kT0 + 30'000, AttemptOutcome::kPermanent);
    failed.attempt.error = "131026: recipient not on WhatsApp";
    failed.next = AttemptResult::Next::kFailed;
    failed.now = kT0 + 30'050;
    failed.lease_owner = "b";
    EXPECT_TRUE(this->store_->CompleteAttempt(failed));

    m = *this->store_->GetMessage("m1");
    EXPECT_EQ(m.status, MessageStatus::kFailed);
    EXPECT_EQ(m.attempts, 2);
    EXPECT_EQ(m.last_error, "131026: recipient not on WhatsApp");
    EXPECT_EQ(m.failed_at, kT0 + 30'050);
    EXPECT_FALSE(m.sent_at.has_value());
    EXPECT_FALSE(m.next_attempt_at.has_value());
    EXPECT_EQ(this->store_->QueueDepth(), 0);

    const std::vector<Attempt> attempts = this->store_->ListAttempts("m1");
    ASSERT_EQ(attempts.size(), 2u);
    EXPECT_EQ(attempts[0].number, 1);
    EXPECT_EQ(attempts[0].outcome, AttemptOutcome::kRetryable);
    EXPECT_EQ(attempts[1].number, 2);
    EXPECT_EQ(attempts[1].outcome, AttemptOutcome::kPermanent);
}

// The queue processor's workers record their attempts at once (PostgreSQL writes them as groups in
// one transaction): each is applied once, a lost lease still answers false, and the counters add up.
TYPED_TEST(StoreContractTest, ManyWorkersCompletingAttemptsAtOnceEachApplyOnceAndTheCountersAddUp) {
    constexpr int kWorkers = 8;
    constexpr int kPerWorker = 15;
    constexpr int kMessages = kWorkers * kPerWorker;
    for (int i = 0; i < kMessages; ++i) this->Enqueue(MakeMessage("m" + std::to_string(i), kT0 + i), kT0);
    ASSERT_EQ(this->store_->ClaimDue(kT0 + kMessages, kMessages, Lease{"w", kT0 + 60'000}, false).size(),
              static_cast<std::size_t>(kMessages));

    // Message i ends sent (i % 4 == 0 or 3), retried (1) or failed (2); every tenth is recorded
    // under a lease it does not hold.
    std::atomic<int> wrong_answers{0};
    std::latch go(kWorkers);
    std::vector<std::thread> workers;
    for (int w = 0; w < kWorkers; ++w) {
        workers.emplace_back([&, w] {
            go.arrive_and_wait();
            for (int k = 0; k < kPerWorker; ++k) {
                const int i = w * kPerWorker + k;
                const std::string id = "m" + std::to_string(i);
                AttemptResult result;
                const int ending = i % 4;
                result.next = ending == 1   ? AttemptResult::Next::kRetry
                              : ending == 2 ? AttemptResult::Next::kFailed
                                            : AttemptResult::Next::kSent;
                result.attempt =
                    MakeAttempt(id, 1, kT0 + 1000,
                                result.next == AttemptResult::Next::kSent
                                    ? AttemptOutcome::kAccepted
                                    : (ending == 1 ? AttemptOutcome::kRetryable : AttemptOutcome::kPermanent));
                result.next_attempt_at = kT0 + 90'000;
                result.now = kT0 + 2000;
                const bool lease_held = i % 10 != 0;
                result.lease_owner = lease_held ? "w" : "somebody-else";
                if (this->store_->CompleteAttempt(result) != lease_held) ++wrong_answers;
            }
        });
    }
    for (auto& worker : workers) worker.join();
    EXPECT_EQ(wrong_answers.load(), 0);

    int sent = 0, retried = 0, failed = 0, lost = 0;
    for (int i = 0; i < kMessages; ++i) {
        const std::string id = "m" + std::to_string(i);
        const Message m = *this->store_->GetMessage(id);
        EXPECT_EQ(this->store_->ListAttempts(id).size(), 1u) << id;  // recorded whatever the lease
        if (i % 10 == 0) {
            ++lost;
            EXPECT_EQ(m.status, MessageStatus::kSending) << id;  // the lease holder's to move
        } else if (i % 4 == 1) {
            ++retried;
            EXPECT_EQ(m.status, MessageStatus::kQueued) << id;
            EXPECT_EQ(m.next_attempt_at, kT0 + 90'000) << id;
        } else if (i % 4 == 2) {
            ++failed;
            EXPECT_EQ(m.status, MessageStatus::kFailed) << id;
        } else {
            ++sent;
            EXPECT_EQ(m.status, MessageStatus::kSent) << id;
            EXPECT_EQ(m.provider_message_id, "wamid." + id) << id;
        }
    }
    const Statistics stats = this->store_->Stats(StatsQuery{});
    EXPECT_EQ(stats.all.total, kMessages);
    EXPECT_EQ(stats.all.sent, sent);
    EXPECT_EQ(stats.all.failed, failed);
    EXPECT_EQ(stats.all.queued, retried + lost);  // queued or sending
    EXPECT_EQ(this->store_->QueueDepth(), retried + lost);
}

TYPED_TEST(StoreContractTest, ALateRetryFromAnExpiredLeaseDoesNotUndoTheSend) {
    this->Enqueue(MakeMessage("m1", kT0), kT0);
    ASSERT_EQ(this->store_->ClaimDue(kT0, 10, Lease{"slow", kT0 + 100}, false).size(), 1u);
    ASSERT_EQ(this->store_->ClaimDue(kT0 + 100, 10, Lease{"fast", kT0 + 60'000}, false).size(), 1u);

    AttemptResult sent;
    sent.attempt = MakeAttempt("m1", 1, kT0 + 100, AttemptOutcome::kAccepted);
    sent.next = AttemptResult::Next::kSent;
    sent.now = kT0 + 150;
    sent.lease_owner = "fast";
    EXPECT_TRUE(this->store_->CompleteAttempt(sent));

    AttemptResult late;
    late.attempt = MakeAttempt("m1", 1, kT0, AttemptOutcome::kRetryable);
    late.next = AttemptResult::Next::kRetry;
    late.next_attempt_at = kT0 + 30'000;
    late.now = kT0 + 200;
    late.lease_owner = "slow";
    EXPECT_FALSE(this->store_->CompleteAttempt(late));  // slow's lease is gone with the entry

    const Message m = *this->store_->GetMessage("m1");
    EXPECT_EQ(m.status, MessageStatus::kSent);
    EXPECT_EQ(m.last_error, "");
    EXPECT_EQ(m.provider_message_id, "wamid.m1");
    EXPECT_EQ(this->store_->QueueDepth(), 0);  // not queued to be sent a second time
    EXPECT_EQ(this->store_->ListAttempts("m1").size(), 2u);
}

TYPED_TEST(StoreContractTest, RequeueOnlyTakesFailedMessages) {
    EXPECT_FALSE(this->store_->Requeue("unknown", kT0));

    this->Enqueue(MakeMessage("queued", kT0), kT0 + 3'600'000);
    EXPECT_FALSE(this->store_->Requeue("queued", kT0));

    this->Enqueue(MakeMessage("sent", kT0), kT0);
    this->Finish("sent", AttemptResult::Next::kSent, kT0);
    EXPECT_FALSE(this->store_->Requeue("sent", kT0));

    this->Enqueue(MakeMessage("failed", kT0), kT0);
    this->Finish("failed", AttemptResult::Next::kFailed, kT0);
    ASSERT_EQ(this->store_->GetMessage("failed")->status, MessageStatus::kFailed);

    EXPECT_TRUE(this->store_->Requeue("failed", kT0 + 500));
    const Message m = *this->store_->GetMessage("failed");
    EXPECT_EQ(m.status, MessageStatus::kQueued);
    EXPECT_EQ(m.last_error, "HTTP 503: upstream unavailable");
    EXPECT_EQ(m.next_attempt_at, kT0 + 500);
    EXPECT_EQ(m.updated_at, kT0 + 500);
    EXPECT_FALSE(this->store_->Requeue("failed", kT0 + 600));  // queued now

    EXPECT_EQ(Ids(this->store_->ClaimDue(kT0 + 500, 10, Lease{"a", kT0 + 60'000}, false)),
              std::vector<std::string>{"failed"});
}

TYPED_TEST(StoreContractTest, ReleaseLeasesFreesOnlyTheOwnersEntries) {
    this->Enqueue(MakeMessage("m1", kT0), kT0);
    this->Enqueue(MakeMessage("m2", kT0), kT0 + 1);
    ASSERT_EQ(Ids(this->store_->ClaimDue(kT0 + 1, 1, Lease{"a", kT0 + 60'000}, false)), std::vector<std::string>{"m1"});
    ASSERT_EQ(Ids(this->store_->ClaimDue(kT0 + 1, 1, Lease{"b", kT0 + 60'000}, false)), std::vector<std::string>{"m2"});

    EXPECT_EQ(this->store_->ReleaseLeases("a", {"m1", "m2"}, kT0 + 5), 1u);
    EXPECT_EQ(this->store_->GetMessage("m1")->status, MessageStatus::kQueued);
    EXPECT_EQ(this->store_->GetMessage("m1")->next_attempt_at, kT0 + 5);
    EXPECT_EQ(this->store_->GetMessage("m2")->status, MessageStatus::kSending);
    EXPECT_EQ(Ids(this->store_->ClaimDue(kT0 + 5, 10, Lease{"c", kT0 + 60'000}, false)),
              std::vector<std::string>{"m1"});
}

TYPED_TEST(StoreContractTest, HistoryIsNewestFirstWithFiltersAndedTogether) {
    // m0..m4: phone 1, delivery_reminder; m5..m7: phone 2, payment_reminder; m3 and m6 suppressed.
    for (int i = 0; i < 8; ++i) {
        const bool second = i >= 5;
        const MessageStatus status = (i == 3 || i == 6) ? MessageStatus::kSuppressed : MessageStatus::kQueued;
        this->Enqueue(
            MakeMessage("m" + std::to_string(i), kT0 + i * 1000, second ? "payment_reminder" : "delivery_reminder",
                        second ? kPhone2 : kPhone1, status),
            kT0 + 100'000);
    }

    HistoryPage all = this->store_->History(HistoryQuery{});
    EXPECT_EQ(Ids(all.items), (std::vector<std::string>{"m7", "m6", "m5", "m4", "m3", "m2", "m1", "m0"}));
    EXPECT_FALSE(all.next_before_seq.has_value());
    for (std::size_t i = 1; i < all.items.size(); ++i) EXPECT_GT(all.items[i - 1].seq, all.items[i].seq);
    EXPECT_EQ(all.items[0].next_attempt_at, kT0 + 100'000);  // queued: from its queue entry
    EXPECT_FALSE(all.items[1].next_attempt_at.has_value());  // suppressed: none

    HistoryQuery by_phone;
    by_phone.phone = kPhone2;
    EXPECT_EQ(Ids(this->store_->History(by_phone).items), (std::vector<std::string>{"m7", "m6", "m5"}));

    HistoryQuery by_type;
    by_type.message_type = "delivery_reminder";
    EXPECT_EQ(Ids(this->store_->History(by_type).items), (std::vector<std::string>{"m4", "m3", "m2", "m1", "m0"}));

    HistoryQuery by_status;
    by_status.status = MessageStatus::kSuppressed;
    EXPECT_EQ(Ids(this->store_->History(by_status).items), (std::vector<std::string>{"m6", "m3"}));

    HistoryQuery window;  // [since, until)
    window.since = kT0 + 2000;
    window.until = kT0 + 5000;
    EXPECT_EQ(Ids(this->store_->History(window).items), (std::vector<std::string>{"m4", "m3", "m2"}));

    HistoryQuery combined;
    combined.phone = kPhone1;
    combined.status = MessageStatus::kQueued;
    combined.since = kT0 + 1000;
    EXPECT_EQ(Ids(this->store_->History(combined).items), (std::vector<std::string>{"m4", "m2", "m1"}));

    HistoryQuery nothing;
    nothing.phone = kPhone2;
    nothing.message_type = "delivery_reminder";
    EXPECT_TRUE(this->store_->History(nothing).items.empty());
}

TYPED_TEST(StoreContractTest, HistoryPagesWithTheCursorAcrossPages) {
    for (int i = 0; i < 7; ++i) this->Enqueue(MakeMessage("m" + std::to_string(i), kT0 + i), kT0);
    this->Enqueue(MakeMessage("other", kT0 + 100, "welcome", kPhone2), kT0);  // filtered out below

    HistoryQuery query;
    query.phone = kPhone1;
    query.limit = 3;
    std::vector<std::vector<std::string>> pages;
    for (int guard = 0; guard < 10; ++guard) {
        const HistoryPage page = this->store_->History(query);
        pages.push_back(Ids(page.items));
        if (!page.next_before_seq) break;
        EXPECT_EQ(*page.next_before_seq, page.items.back().seq);
        query.before_seq = page.next_before_seq;
    }
    EXPECT_EQ(pages, (std::vector<std::vector<std::string>>{{"m6", "m5", "m4"}, {"m3", "m2", "m1"}, {"m0"}}));

    // A last page that is exactly full has no cursor.
    HistoryQuery exact;
    exact.phone = kPhone1;
    exact.limit = 7;
    EXPECT_FALSE(this->store_->History(exact).next_before_seq.has_value());
    exact.limit = 6;
    EXPECT_TRUE(this->store_->History(exact).next_before_seq.has_value());
}

TYPED_TEST(StoreContractTest, StatsFromHourlyCountersMatchCountingEveryMessage) {
    // 30 messages, one every 97 minutes, so ranges cut hours at both ends; statuses vary and
    // change after enqueue, which the counters must follow.
    constexpr TimeMs kStep = 97 * 60'000;
    const std::vector<MessageStatus> statuses = {MessageStatus::kQueued, MessageStatus::kSent, MessageStatus::kRead,
                                                 MessageStatus::kFailed, MessageStatus::kSuppressed};
    for (int i = 0; i < 30; ++i) {
        this->Enqueue(MakeMessage("h" + std::to_string(i), kT0 + i * kStep, i % 2 ? "welcome" : "delivery_reminder",
                                  kPhone1, statuses[static_cast<std::size_t>(i) % statuses.size()]),
                      kT0);
    }
    // Queued ones are sent now (status changes from queued to sending to sent).
    const TimeMs now = kT0 + 100 * kStep;
    for (const auto& m : this->store_->ClaimDue(now, 100, Lease{"w", now + 60'000}, false)) {
        AttemptResult result;
        result.attempt = MakeAttempt(m.id, 1, now, AttemptOutcome::kAccepted);
        result.next = AttemptResult::Next::kSent;
        result.now = now;
        result.lease_owner = "w";
        EXPECT_TRUE(this->store_->CompleteAttempt(result));
    }
    auto brute_force = [&](TimeMs since, TimeMs until) {
        StatusCounts counts;
        for (int i = 0; i < 30; ++i) {
            const Message m = *this->store_->GetMessage("h" + std::to_string(i));
            if (m.created_at < since || m.created_at >= until) continue;
            ++counts.total;
            counts.sent += m.status == MessageStatus::kSent || m.status == MessageStatus::kRead;
            counts.read += m.status == MessageStatus::kRead;
            counts.delivered += m.status == MessageStatus::kRead;
            counts.failed += m.status == MessageStatus::kFailed;
            counts.suppressed += m.status == MessageStatus::kSuppressed;
            counts.queued += m.status == MessageStatus::kQueued || m.status == MessageStatus::kSending;
        }
        return counts;
    };
    const std::vector<std::pair<TimeMs, TimeMs>> ranges = {{0, kT0 + 1000 * kStep},
                                                           {kT0 + 1, kT0 + 29 * kStep},
                                                           {kT0 + 3 * kStep + 5, kT0 + 17 * kStep},
                                                           {kT0 + 10 * kStep, kT0 + 10 * kStep + 1},
                                                           {kT0 + 5 * kStep - 1, kT0 + 5 * kStep + 3'600'001}};
    for (const auto& [since, until] : ranges) {
        const StatusCounts expected = brute_force(since, until);
        const StatusCounts got = this->store_->Stats(StatsQuery{since, until}).all;
        EXPECT_EQ(got.total, expected.total) << since << ".." << until;
        EXPECT_EQ(got.sent, expected.sent) << since << ".." << until;
        EXPECT_EQ(got.read, expected.read);
        EXPECT_EQ(got.delivered, expected.delivered);
        EXPECT_EQ(got.failed, expected.failed);
        EXPECT_EQ(got.suppressed, expected.suppressed);
        EXPECT_EQ(got.queued, expected.queued);
    }
    EXPECT_EQ(this->store_->Stats(StatsQuery{}).all.queued, 0);
    EXPECT_EQ(this->store_->Stats(StatsQuery{}).all.sent, 18);  // 6 queued now sent, 6 sent, 6 read
}

TYPED_TEST(StoreContractTest, StatsCountPerTheContractDefinitions) {
    // Every status once for delivery_reminder, created kT0 + 0..7; two more for payment_reminder.
    const std::vector<MessageStatus> statuses = {
        MessageStatus::kQueued, MessageStatus::kSending, MessageStatus::kSent,       MessageStatus::kDelivered,
        MessageStatus::kRead,   MessageStatus::kFailed,  MessageStatus::kSuppressed, MessageStatus::kSkippedRollout};
    for (std::size_t i = 0; i < statuses.size(); ++i) {
        this->Enqueue(MakeMessage("d" + std::to_string(i), kT0 + static_cast<TimeMs>(i), "delivery_reminder", kPhone1,
                                  statuses[i]),
                      kT0);
    }
    this->Enqueue(MakeMessage("p0", kT0 + 100, "payment_reminder", kPhone2, MessageStatus::kSent), kT0);
    this->Enqueue(MakeMessage("p1", kT0 + 101, "payment_reminder", kPhone2, MessageStatus::kFailed), kT0);

    const Statistics stats = this->store_->Stats(StatsQuery{});
    EXPECT_EQ(stats.all.total, 10);
    EXPECT_EQ(stats.all.queued, 2);     // queued + sending
    EXPECT_EQ(stats.all.sent, 4);       // sent + delivered + read
    EXPECT_EQ(stats.all.delivered, 2);  // delivered + read
    EXPECT_EQ(stats.all.read, 1);
    EXPECT_EQ(stats.all.failed, 2);
    EXPECT_EQ(stats.all.suppressed, 1);
    EXPECT_EQ(stats.all.skipped_rollout, 1);

    ASSERT_EQ(stats.by_type.size(), 2u);
    const StatusCounts& delivery = stats.by_type.at("delivery_reminder");
    EXPECT_EQ(delivery.total, 8);
    EXPECT_EQ(delivery.queued, 2);
    EXPECT_EQ(delivery.sent, 3);
    EXPECT_EQ(delivery.delivered, 2);
    EXPECT_EQ(delivery.read, 1);
    EXPECT_EQ(delivery.failed, 1);
    const StatusCounts& payment = stats.by_type.at("payment_reminder");
    EXPECT_EQ(payment.total, 2);
    EXPECT_EQ(payment.sent, 1);
    EXPECT_EQ(payment.failed, 1);
    EXPECT_EQ(payment.queued, 0);

    // [since, until): kT0 + 2 (sent) .. kT0 + 4 (read) and nothing of payment_reminder.
    StatsQuery window;
    window.since = kT0 + 2;
    window.until = kT0 + 5;
    const Statistics windowed = this->store_->Stats(window);
    EXPECT_EQ(windowed.all.total, 3);
    EXPECT_EQ(windowed.all.sent, 3);
    EXPECT_EQ(windowed.all.delivered, 2);
    EXPECT_EQ(windowed.all.read, 1);
    EXPECT_EQ(windowed.all.queued, 0);
    EXPECT_EQ(windowed.by_type.size(), 1u);

    StatsQuery later;
    later.since = kT0 + 100;
    EXPECT_EQ(this->store_->Stats(later).all.total, 2);
    StatsQuery empty;
    empty.until = kT0;
    EXPECT_EQ(this->store_->Stats(empty).all.total, 0);
    EXPECT_TRUE(this->store_->Stats(empty).by_type.empty());
}

TYPED_TEST(StoreContractTest, QueueDepthAndNextDueAtFollowLeases) {
    EXPECT_EQ(this->store_->QueueDepth(), 0);
    EXPECT_FALSE(this->store_->NextDueAt().has_value());

    this->Enqueue(MakeMessage("m1", kT0), kT0 + 500);
    this->Enqueue(MakeMessage("m2", kT0), kT0 + 200);
    EXPECT_EQ(this->store_->QueueDepth(), 2);
    EXPECT_EQ(this->store_->NextDueAt(), kT0 + 200);

    // m2 leased until kT0 + 10000: it counts from its lease expiry, so m1 is next.
    ASSERT_EQ(Ids(this->store_->ClaimDue(kT0 + 200, 1, Lease{"a", kT0 + 10'000}, false)),
              std::vector<std::string>{"m2"});
    EXPECT_EQ(this->store_->NextDueAt(), kT0 + 500);

    ASSERT_EQ(Ids(this->store_->ClaimDue(kT0 + 500, 1, Lease{"a", kT0 + 700}, false)), std::vector<std::string>{"m1"});
    EXPECT_EQ(this->store_->NextDueAt(), kT0 + 700);
    EXPECT_EQ(this->store_->QueueDepth(), 2);  // leased entries still wait

    AttemptResult sent;
    sent.attempt = MakeAttempt("m1", 1, kT0 + 500, AttemptOutcome::kAccepted);
    sent.next = AttemptResult::Next::kSent;
    sent.now = kT0 + 600;
    sent.lease_owner = "a";
    EXPECT_TRUE(this->store_->CompleteAttempt(sent));
    EXPECT_EQ(this->store_->QueueDepth(), 1);
    EXPECT_EQ(this->store_->NextDueAt(), kT0 + 10'000);
}

TYPED_TEST(StoreContractTest, SettingsStartAtTheDefaultsAndRoundTrip) {
    const Settings defaults = this->store_->GetSettings();
    EXPECT_TRUE(defaults.enabled);
    EXPECT_FALSE(defaults.paused);
    EXPECT_EQ(defaults.rollout_percent, 100);
    EXPECT_EQ(defaults.recipient_min_gap_seconds, 0);

    Settings changed;
    changed.enabled = false;
    changed.paused = true;
    changed.rollout_percent = 25;
    changed.recipient_min_gap_seconds = 60;
    changed.updated_at = kT0;
    changed.updated_by = "ops-admin";
    this->store_->PutSettings(changed);

    const Settings got = this->store_->GetSettings();
    EXPECT_FALSE(got.enabled);
    EXPECT_TRUE(got.paused);
    EXPECT_EQ(got.rollout_percent, 25);
    EXPECT_EQ(got.recipient_min_gap_seconds, 60);
    EXPECT_EQ(got.updated_at, kT0);
    EXPECT_EQ(got.updated_by, "ops-admin");
}

TYPED_TEST(StoreContractTest, TokensAreFoundByTheirHash) {
    this->store_->InsertToken(
        ApiToken{"deploy-bot", Role::kOperator, std::string(64, 'a'), kT0, std::nullopt, std::nullopt});
    this->store_->InsertToken(
        ApiToken{"dashboard", Role::kViewer, std::string(64, 'b'), kT0 + 1, std::nullopt, std::nullopt});

    const std::optional<ApiToken> bot = this->store_->FindTokenByHash(std::string(64, 'a'));
    ASSERT_TRUE(bot.has_value());
    EXPECT_EQ(bot->name, "deploy-bot");
    EXPECT_EQ(bot->role, Role::kOperator);
    EXPECT_EQ(bot->created_at, kT0);
    EXPECT_EQ(this->store_->FindTokenByHash(std::string(64, 'b'))->role, Role::kViewer);
    EXPECT_FALSE(this->store_->FindTokenByHash(std::string(64, 'c')).has_value());
}

TYPED_TEST(StoreContractTest, TokensAreListedOldestFirstWithExpiryAndLastUse) {
    ApiToken expiring = Token("contractor", Role::kOperator, 'b', kT0 + 1);
    expiring.expires_at = kT0 + 90LL * 86'400'000;
    this->store_->InsertToken(Token("wallboard", Role::kViewer, 'a', kT0));
    this->store_->InsertToken(expiring);

    const auto tokens = this->store_->ListTokens();
    ASSERT_EQ(tokens.size(), 2u);
    EXPECT_EQ(tokens[0].name, "wallboard");
    EXPECT_EQ(tokens[0].role, Role::kViewer);
    EXPECT_EQ(tokens[0].created_at, kT0);
    EXPECT_FALSE(tokens[0].expires_at);
    EXPECT_FALSE(tokens[0].last_used_at);
    EXPECT_EQ(tokens[1].name, "contractor");
    EXPECT_EQ(tokens[1].expires_at, expiring.expires_at);
    EXPECT_EQ(this->store_->FindTokenByHash(std::string(64, 'b'))->expires_at, expiring.expires_at);
}

TYPED_TEST(StoreContractTest, RevokingDeletesTheTokensOfThatNameOnly) {
    this->store_->InsertToken(Token("wallboard", Role::kViewer, 'a', kT0));
    this->store_->InsertToken(Token("backend", Role::kOperator, 'b', kT0));
    EXPECT_EQ(this->store_->RevokeTokens("backend"), 1);
    EXPECT_FALSE(this->store_->FindTokenByHash(std::string(64, 'b')));
    EXPECT_TRUE(this->store_->FindTokenByHash(std::string(64, 'a')));
    EXPECT_EQ(this->store_->RevokeTokens("backend"), 0);
    EXPECT_EQ(this->store_->RevokeTokens("nobody"), 0);
    EXPECT_EQ(this->store_->ListTokens().size(), 1u);
}

TYPED_TEST(StoreContractTest, TokenLastUseIsRecordedAndNeverMovesBack) {
    this->store_->InsertToken(Token("backend", Role::kOperator, 'a', kT0));
    this->store_->RecordTokenUse(std::string(64, 'a'), kT0 + 60'000);
    EXPECT_EQ(this->store_->FindTokenByHash(std::string(64, 'a'))->last_used_at, kT0 + 60'000);
    this->store_->RecordTokenUse(std::string(64, 'a'), kT0 + 1'000);  // a slower node, later
    EXPECT_EQ(this->store_->ListTokens()[0].last_used_at, kT0 + 60'000);
    this->store_->RecordTokenUse(std::string(64, 'z'), kT0);  // unknown (revoked meanwhile): nothing happens
    EXPECT_EQ(this->store_->ListTokens().size(), 1u);
}

TYPED_TEST(StoreContractTest, UpdateTemplateRoundTripsAndUnknownIsNotFound) {
    Template t = *this->store_->GetTemplate("delivery_reminder");
    t.provider_template_name = "delivery_reminder_v2";
    t.language = "hi";
    t.variables = {"customer_name", "area", "delivery_date"};
    t.body = "Namaste {{customer_name}}, {{area}}: {{delivery_date}}";
    t.enabled = false;
    t.updated_at = kT0;
    this->store_->UpdateTemplate(t);

    const Template got = *this->store_->GetTemplate("delivery_reminder");
    EXPECT_EQ(got.provider_template_name, "delivery_reminder_v2");
    EXPECT_EQ(got.language, "hi");
    EXPECT_EQ(got.variables, t.variables);
    EXPECT_EQ(got.body, t.body);
    EXPECT_FALSE(got.enabled);
    EXPECT_EQ(got.updated_at, kT0);
    EXPECT_FALSE(this->store_->GetTemplate("no_such_template").has_value());

    t.name = "no_such_template";
    try {
        this->store_->UpdateTemplate(t);
        FAIL() << "expected not found";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::kNotFound);
    }
}

TYPED_TEST(StoreContractTest, ConcurrentWritersAndReadersSeeConsistentCounts) {
    constexpr int kWriters = 4;
    constexpr int kPerWriter = 50;
    std::atomic<bool> stop{false};
    std::atomic<int> reader_errors{0};
    std::vector<std::thread> readers;
    for (int r = 0; r < 3; ++r) {
        readers.emplace_back([&] {
            while (!stop.load()) {
                try {
                    const std::int64_t depth = this->store_->QueueDepth();
                    const Statistics stats = this->store_->Stats(StatsQuery{});
                    this->store_->History(HistoryQuery{});
                    if (depth < 0 || stats.all.total > kWriters * kPerWriter) ++reader_errors;
                    // A range read as several counters must see one snapshot of them.
                    const Statistics part = this->store_->Stats(StatsQuery{kT0 + 10, std::nullopt});
                    std::int64_t by_type = 0;
                    for (const auto& [type, counts] : part.by_type) by_type += counts.total;
                    if (part.all.total < 0 || part.all.total > kWriters * (kPerWriter - 10) ||
                        by_type != part.all.total) {
                        ++reader_errors;
                    }
                } catch (const std::exception&) {
                    ++reader_errors;
                }
            }
        });
    }
    std::vector<std::thread> writers;
    for (int w = 0; w < kWriters; ++w) {
        writers.emplace_back([&, w] {
            for (int i = 0; i < kPerWriter; ++i) {
                this->Enqueue(MakeMessage("w" + std::to_string(w) + "-" + std::to_string(i), kT0 + i), kT0 + i);
            }
        });
    }
    for (std::thread& t : writers) t.join();
    stop = true;
    for (std::thread& t : readers) t.join();

    EXPECT_EQ(reader_errors.load(), 0);
    EXPECT_EQ(this->store_->QueueDepth(), kWriters * kPerWriter);
    EXPECT_EQ(this->store_->Stats(StatsQuery{}).all.total, kWriters * kPerWriter);
    std::size_t claimed = 0;
    for (int i = 0; i < kWriters; ++i) {
        claimed += this->store_->ClaimDue(kT0 + 1000, 1000, Lease{"x", kT0 + 9000}, false).size();
    }
    EXPECT_EQ(claimed, static_cast<std::size_t>(kWriters * kPerWriter));  // each entry exactly once
}

TYPED_TEST(StoreContractTest, StatusReportsMoveTheMessageAndKeepItsHistory) {
    this->Enqueue(MakeMessage("m1", kT0), kT0);
    this->Finish("m1", AttemptResult::Next::kSent, kT0 + 10);

    const StatusReportResult delivered =
        this->store_->ApplyStatusReport(Event("e1", kT0 + 1000), Report(MessageStatus::kDelivered, kT0 + 900));
    EXPECT_EQ(delivered.outcome, WebhookOutcome::kApplied);
    ASSERT_TRUE(delivered.message);
    EXPECT_EQ(delivered.message->status, MessageStatus::kDelivered);
    EXPECT_TRUE(delivered.event.applied);

    this->store_->ApplyStatusReport(Event("e2", kT0 + 2000, "message.read"), Report(MessageStatus::kRead, kT0 + 1900));
    const Message m = *this->store_->GetMessage("m1");
    EXPECT_EQ(m.status, MessageStatus::kRead);
    EXPECT_EQ(m.sent_at, kT0 + 10);
    EXPECT_EQ(m.delivered_at, kT0 + 900);
    EXPECT_EQ(m.read_at, kT0 + 1900);
    EXPECT_EQ(m.updated_at, kT0 + 2000);

    const std::vector<StatusEvent> events = this->store_->ListStatusEvents("m1");
    ASSERT_EQ(events.size(), 2u);
    EXPECT_EQ(events[0].event_id, "e1");
    EXPECT_EQ(events[0].status, MessageStatus::kDelivered);
    EXPECT_EQ(events[0].occurred_at, kT0 + 900);
    EXPECT_EQ(events[0].received_at, kT0 + 1000);
    EXPECT_EQ(events[1].status, MessageStatus::kRead);
    EXPECT_TRUE(this->store_->ListStatusEvents("unknown").empty());

    const Statistics stats = this->store_->Stats(StatsQuery{});
    EXPECT_EQ(stats.all.sent, 1);
    EXPECT_EQ(stats.all.delivered, 1);
    EXPECT_EQ(stats.all.read, 1);
}

TYPED_TEST(StoreContractTest, ARepeatedEventIdIsADuplicateAndChangesNothing) {
    this->Enqueue(MakeMessage("m1", kT0), kT0);
    this->Finish("m1", AttemptResult::Next::kSent, kT0 + 10);
    ASSERT_EQ(
        this->store_->ApplyStatusReport(Event("e1", kT0 + 100), Report(MessageStatus::kDelivered, kT0 + 90)).outcome,
        WebhookOutcome::kApplied);
    // The same event id again, even claiming another status: nothing happens.
    const StatusReportResult again =
        this->store_->ApplyStatusReport(Event("e1", kT0 + 200), Report(MessageStatus::kRead, kT0 + 190));
    EXPECT_EQ(again.outcome, WebhookOutcome::kDuplicate);
    EXPECT_FALSE(again.message);
    EXPECT_EQ(this->store_->GetMessage("m1")->status, MessageStatus::kDelivered);
    EXPECT_EQ(this->store_->ListStatusEvents("m1").size(), 1u);
    // Event ids are shared by status and other events.
    EXPECT_EQ(this->store_->RecordWebhookEvent(Event("e1", kT0 + 300, "message.received"), std::nullopt),
              WebhookOutcome::kDuplicate);
}

TYPED_TEST(StoreContractTest, RacingDeliveriesOfOneEventApplyItOnce) {
    this->Enqueue(MakeMessage("m1", kT0), kT0);
    this->Finish("m1", AttemptResult::Next::kSent, kT0 + 10);
    constexpr int kThreads = 8;
    std::atomic<int> applied{0};
    std::latch start(kThreads);
    std::vector<std::thread> threads;
    for (int i = 0; i < kThreads; ++i) {
        threads.emplace_back([&] {
            start.arrive_and_wait();
            const auto result =
                this->store_->ApplyStatusReport(Event("same", kT0 + 100), Report(MessageStatus::kDelivered, kT0 + 90));
            if (result.outcome == WebhookOutcome::kApplied) ++applied;
        });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(applied.load(), 1);
    EXPECT_EQ(this->store_->ListStatusEvents("m1").size(), 1u);
}

TYPED_TEST(StoreContractTest, UnknownProviderIdIsRecordedAndReportedAsSuch) {
    const StatusReportResult result =
        this->store_->ApplyStatusReport(Event("e1", kT0), Report(MessageStatus::kDelivered, kT0, "nobody"));
    EXPECT_EQ(result.outcome, WebhookOutcome::kUnknownMessage);
    EXPECT_FALSE(result.message);
    EXPECT_EQ(
        this->store_->ApplyStatusReport(Event("e1", kT0), Report(MessageStatus::kDelivered, kT0, "nobody")).outcome,
        WebhookOutcome::kDuplicate);
}

TYPED_TEST(StoreContractTest, LateAndFailedReportsFollowTheStatusRules) {
    this->Enqueue(MakeMessage("m1", kT0), kT0);
    this->Finish("m1", AttemptResult::Next::kSent, kT0 + 10);
    this->store_->ApplyStatusReport(Event("r", kT0 + 300), Report(MessageStatus::kRead, kT0 + 200));
    const StatusReportResult late =
        this->store_->ApplyStatusReport(Event("d", kT0 + 400), Report(MessageStatus::kDelivered, kT0 + 100));
    EXPECT_EQ(late.message->status, MessageStatus::kRead);
    StatusReport failure = Report(MessageStatus::kFailed, kT0 + 500);
    failure.reason = "131026: undeliverable";
    const StatusReportResult failed = this->store_->ApplyStatusReport(Event("f", kT0 + 500), failure);
    EXPECT_EQ(failed.outcome, WebhookOutcome::kApplied);
    EXPECT_FALSE(failed.event.applied);

    const Message m = *this->store_->GetMessage("m1");
    EXPECT_EQ(m.status, MessageStatus::kRead);
    EXPECT_EQ(m.delivered_at, kT0 + 100);
    EXPECT_EQ(m.read_at, kT0 + 200);
    EXPECT_FALSE(m.failed_at);
    EXPECT_EQ(m.last_error, "");
    const std::vector<StatusEvent> events = this->store_->ListStatusEvents("m1");
    ASSERT_EQ(events.size(), 3u);
    EXPECT_TRUE(events[1].applied);  // it filled delivered_at
    EXPECT_FALSE(events[2].applied);
    EXPECT_NE(events[2].note.find("131026"), std::string::npos) << events[2].note;
    EXPECT_EQ(this->store_->Stats(StatsQuery{}).all.failed, 0);

    // A failure of a message only sent fails it, with the reason, and the statistics follow.
    this->Enqueue(MakeMessage("m2", kT0 + 1), kT0 + 1);
    this->Finish("m2", AttemptResult::Next::kSent, kT0 + 20);
    StatusReport second = Report(MessageStatus::kFailed, kT0 + 600, "wamid.m2");
    second.reason = "CHAT_4001: insufficient wallet balance";
    this->store_->ApplyStatusReport(Event("f2", kT0 + 600), second);
    const Message m2 = *this->store_->GetMessage("m2");
    EXPECT_EQ(m2.status, MessageStatus::kFailed);
    EXPECT_EQ(m2.failed_at, kT0 + 600);
    EXPECT_EQ(m2.last_error, "CHAT_4001: insufficient wallet balance");
    const Statistics stats = this->store_->Stats(StatsQuery{});
    EXPECT_EQ(stats.all.failed, 1);
    EXPECT_EQ(stats.all.sent, 1);
    EXPECT_EQ(stats.all.delivered, 1);
}

TYPED_TEST(StoreContractTest, OptOutsFollowTheLatestChange) {
    EXPECT_FALSE(this->store_->IsOptedOut(kPhone1));
    EXPECT_TRUE(this->store_->SetOptOut(kPhone1, true, kT0 + 100));
    EXPECT_TRUE(this->store_->IsOptedOut(kPhone1));
    EXPECT_FALSE(this->store_->IsOptedOut(kPhone2));
    // An older START (delivered late) does not undo the newer STOP.
    EXPECT_FALSE(this->store_->SetOptOut(kPhone1, false, kT0 + 50));
    EXPECT_TRUE(this->store_->IsOptedOut(kPhone1));
    EXPECT_TRUE(this->store_->SetOptOut(kPhone1, false, kT0 + 200));
    EXPECT_FALSE(this->store_->IsOptedOut(kPhone1));
}

TYPED_TEST(StoreContractTest, AnInboundEventAndItsOptOutAreOneDeDuplicatedWrite) {
    WebhookEventRecord stop = Event("in-1", kT0 + 100, "message.received");
    stop.occurred_at = kT0 + 90;
    EXPECT_EQ(this->store_->RecordWebhookEvent(stop, OptOutChange{kPhone1, true}), WebhookOutcome::kApplied);
    EXPECT_TRUE(this->store_->IsOptedOut(kPhone1));
    EXPECT_TRUE(this->store_->SetOptOut(kPhone1, false, kT0 + 95));
    // The STOP delivered again must not opt the customer out a second time.
    EXPECT_EQ(this->store_->RecordWebhookEvent(stop, OptOutChange{kPhone1, true}), WebhookOutcome::kDuplicate);
    EXPECT_FALSE(this->store_->IsOptedOut(kPhone1));
    EXPECT_EQ(this->store_->RecordWebhookEvent(Event("other", kT0, "conversation.closed"), std::nullopt),
              WebhookOutcome::kApplied);
}

TYPED_TEST(StoreContractTest, MarkSuppressedTakesAQueuedMessageOutOfTheQueue) {
    this->Enqueue(MakeMessage("m1", kT0), kT0);
    ASSERT_EQ(this->store_->ClaimDue(kT0, 10, Lease{"a", kT0 + 60'000}, false).size(), 1u);
    EXPECT_TRUE(this->store_->MarkSuppressed("m1", kT0 + 5));
    const Message m = *this->store_->GetMessage("m1");
    EXPECT_EQ(m.status, MessageStatus::kSuppressed);
    EXPECT_EQ(m.updated_at, kT0 + 5);
    EXPECT_FALSE(m.last_error.empty());
    EXPECT_EQ(this->store_->QueueDepth(), 0);
    EXPECT_EQ(this->store_->Stats(StatsQuery{}).all.suppressed, 1);
    // Not again, and never a message already sent.
    EXPECT_FALSE(this->store_->MarkSuppressed("m1", kT0 + 6));
    this->Enqueue(MakeMessage("m2", kT0), kT0);
    this->Finish("m2", AttemptResult::Next::kSent, kT0 + 10);
    EXPECT_FALSE(this->store_->MarkSuppressed("m2", kT0 + 11));
    EXPECT_EQ(this->store_->GetMessage("m2")->status, MessageStatus::kSent);
}

TYPED_TEST(StoreContractTest, AQueuedMessageToAnOptedOutNumberIsStoredSuppressedWithoutEntryOrClaim) {
    ASSERT_TRUE(this->store_->SetOptOut(kPhone1, true, kT0));
    const EnqueueResult queued = this->store_->Enqueue(MakeMessage("m1", kT0), kT0, std::nullopt);
    ASSERT_TRUE(queued.created);
    EXPECT_EQ(queued.message.status, MessageStatus::kSuppressed);
    EXPECT_FALSE(queued.message.next_attempt_at.has_value());
    // An immediate send's claim is not taken either: there is nothing to send.
    const EnqueueResult immediate =
        this->store_->Enqueue(MakeMessage("m2", kT0), kT0, Lease{"immediate", kT0 + 60'000});
    EXPECT_EQ(immediate.message.status, MessageStatus::kSuppressed);
    EXPECT_EQ(this->store_->GetMessage("m2")->status, MessageStatus::kSuppressed);
    EXPECT_EQ(this->store_->QueueDepth(), 0);
    // Another number, and the same one after START, are queued as usual.
    EXPECT_EQ(this->Enqueue(MakeMessage("m3", kT0, "delivery_reminder", kPhone2), kT0).status, MessageStatus::kQueued);
    ASSERT_TRUE(this->store_->SetOptOut(kPhone1, false, kT0 + 1));
    EXPECT_EQ(this->Enqueue(MakeMessage("m4", kT0 + 2), kT0 + 2).status, MessageStatus::kQueued);
    EXPECT_EQ(this->store_->QueueDepth(), 2);
    EXPECT_EQ(this->store_->Stats(StatsQuery{}).all.suppressed, 2);
}

TYPED_TEST(StoreContractTest, SettingsAndTemplatesReadAfterAWriteShowTheWrite) {
    // Both are kept in memory after the first read; a write must not leave the old copy behind.
    ASSERT_TRUE(this->store_->GetSettings().enabled);
    Settings settings = this->store_->GetSettings();
    settings.enabled = false;
    settings.recipient_min_gap_seconds = 30;
    this->store_->PutSettings(settings);
    EXPECT_FALSE(this->store_->GetSettings().enabled);
    EXPECT_EQ(this->store_->GetSettings().recipient_min_gap_seconds, 30);

    Template t = *this->store_->GetTemplate("payment_reminder");
    t.enabled = false;
    this->store_->UpdateTemplate(t);
    EXPECT_FALSE(this->store_->GetTemplate("payment_reminder")->enabled);
    // A failed update changes nothing, in the file or in memory.
    t.name = "no_such_template";
    EXPECT_THROW(this->store_->UpdateTemplate(t), Error);
    EXPECT_FALSE(this->store_->GetTemplate("no_such_template").has_value());
    EXPECT_FALSE(this->store_->GetTemplate("payment_reminder")->enabled);
}

// ---- Leases

// Worker A's lease expires mid-send and worker B claims the entry. Whatever A reports afterwards
// (retry, sent, failed, or a release) must not overwrite B's lease or the message: each call says
// it was not applied, and A's attempt is still on record.
TYPED_TEST(StoreContractTest, AnExpiredLeaseOwnerCannotOverwriteTheNewOwnersState) {
    this->Enqueue(MakeMessage("m1", kT0), kT0);
    ASSERT_EQ(Ids(this->store_->ClaimDue(kT0, 10, Lease{"A", kT0 + 1000}, false)), std::vector<std::string>{"m1"});
    ASSERT_EQ(Ids(this->store_->ClaimDue(kT0 + 1000, 10, Lease{"B", kT0 + 61'000}, false)),
              std::vector<std::string>{"m1"});

    for (const AttemptResult::Next next :
         {AttemptResult::Next::kRetry, AttemptResult::Next::kSent, AttemptResult::Next::kFailed}) {
        AttemptResult stale;
        const bool sent = next == AttemptResult::Next::kSent;
        stale.attempt = MakeAttempt("m1", 1, kT0, sent ? AttemptOutcome::kAccepted : AttemptOutcome::kRetryable);
        stale.next = next;
        stale.next_attempt_at = kT0 + 2000;
        stale.now = kT0 + 1500;
        stale.lease_owner = "A";
        EXPECT_FALSE(this->store_->CompleteAttempt(stale));
    }
    EXPECT_EQ(this->store_->ReleaseLeases("A", {"m1"}, kT0 + 1600), 0u);

    Message m = *this->store_->GetMessage("m1");
    EXPECT_EQ(m.status, MessageStatus::kSending);  // B is sending it
    EXPECT_EQ(m.attempts, 0);
    EXPECT_EQ(m.last_error, "");
    EXPECT_EQ(m.provider_message_id, "");
    EXPECT_EQ(this->store_->QueueDepth(), 1);
    EXPECT_EQ(this->store_->ListAttempts("m1").size(), 3u);  // A's calls happened: they stay on record
    // B's lease holds: nobody else can claim the entry before it expires.
    EXPECT_TRUE(this->store_->ClaimDue(kT0 + 60'999, 10, Lease{"C", kT0 + 120'000}, true).empty());

    AttemptResult fresh;
    fresh.attempt = MakeAttempt("m1", 1, kT0 + 1000, AttemptOutcome::kAccepted);
    fresh.next = AttemptResult::Next::kSent;
    fresh.now = kT0 + 1100;
    fresh.lease_owner = "B";
    EXPECT_TRUE(this->store_->CompleteAttempt(fresh));
    m = *this->store_->GetMessage("m1");
    EXPECT_EQ(m.status, MessageStatus::kSent);
    EXPECT_EQ(m.provider_message_id, "wamid.m1");
    EXPECT_EQ(this->store_->QueueDepth(), 0);
    // B is done: completing again under B applies nothing.
    EXPECT_FALSE(this->store_->CompleteAttempt(fresh));
}

// A lease that expired but that nobody took over is still its owner's.
TYPED_TEST(StoreContractTest, AnExpiredLeaseNobodyTookIsStillTheOwners) {
    this->Enqueue(MakeMessage("m1", kT0), kT0);
    ASSERT_EQ(this->store_->ClaimDue(kT0, 10, Lease{"A", kT0 + 1000}, false).size(), 1u);
    AttemptResult retry = this->Retry("m1", kT0 + 5000, kT0 + 9000, "A");
    retry.attempt.started_at = kT0;
    EXPECT_TRUE(this->store_->CompleteAttempt(retry));
    EXPECT_EQ(this->store_->GetMessage("m1")->status, MessageStatus::kQueued);
    EXPECT_EQ(this->store_->NextDueAt(), kT0 + 9000);
}

// /health reads the depth on every call: it must follow every write path that adds or removes
// a queued message, since it is kept from counters rather than counted.
TYPED_TEST(StoreContractTest, QueueDepthFollowsEveryWritePath) {
    this->Enqueue(MakeMessage("m1", kT0), kT0);
    this->Enqueue(MakeMessage("m2", kT0), kT0 + 10'000);  // not due in this test
    this->Enqueue(MakeMessage("m3", kT0, "welcome"), kT0 + 10'000);
    this->Enqueue(MakeMessage("s1", kT0, "welcome", kPhone1, MessageStatus::kSuppressed), kT0);
    EXPECT_EQ(this->store_->QueueDepth(), 3);
    ASSERT_EQ(Ids(this->store_->ClaimDue(kT0, 10, Lease{"A", kT0 + 1000}, false)), std::vector<std::string>{"m1"});
    EXPECT_EQ(this->store_->QueueDepth(), 3);  // sending still waits
    EXPECT_EQ(this->store_->ReleaseLeases("A", {"m1"}, kT0), 1u);
    EXPECT_EQ(this->store_->QueueDepth(), 3);
    ASSERT_TRUE(this->store_->MarkSuppressed("m3", kT0));
    EXPECT_EQ(this->store_->QueueDepth(), 2);
    this->Finish("m1", AttemptResult::Next::kFailed, kT0 + 1);
    EXPECT_EQ(this->store_->QueueDepth(), 1);
    ASSERT_TRUE(this->store_->Requeue("m1", kT0 + 2));
    EXPECT_EQ(this->store_->QueueDepth(), 2);
    this->Finish("m1", AttemptResult::Next::kSent, kT0 + 3);
    EXPECT_EQ(this->store_->QueueDepth(), 1);
    EXPECT_TRUE(this->store_->SetOptOut(kPhone2, true, kT0));
    this->store_->Enqueue(MakeMessage("o1", kT0, "welcome", kPhone2), kT0, std::nullopt);
    EXPECT_EQ(this->store_->QueueDepth(), 1);  // stored suppressed
}

}  // namespace
}  // namespace notify::store_test
