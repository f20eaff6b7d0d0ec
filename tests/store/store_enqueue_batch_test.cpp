// Store::EnqueueBatch on every store (StoreFixtures): the rules of Enqueue per item, results in input
// order with seq ascending, one message per idempotency key within the batch, and all or nothing.

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "common/errors.h"
#include "store/store.h"
#include "store_fixtures.h"
#include "store_test_support.h"

namespace notify::store_test {
namespace {

constexpr TimeMs kDue = kT0 + 5'000;

template <typename Fixture>
class StoreEnqueueBatchTest : public ::testing::Test {
protected:
    void SetUp() override { store_ = Fixture::Open(dir_.path()); }

    std::vector<EnqueueResult> Batch(const std::vector<Message>& messages, TimeMs due = kDue) {
        return store_->EnqueueBatch(messages, due);
    }

    std::int64_t MessageCount() { return store_->Stats(StatsQuery{}).all.total; }

    TempDir dir_;
    std::unique_ptr<Store> store_;
};

TYPED_TEST_SUITE(StoreEnqueueBatchTest, StoreFixtures, StoreFixtureNames);

Message Keyed(const std::string& id, const std::string& key, const std::string& phone = kPhone1) {
    Message m = MakeMessage(id, kT0, "delivery_reminder", phone);
    m.idempotency_key = key;
    return m;
}

// Every field but seq (a store's numbering differs between write paths).
void ExpectSameMessage(const Message& got, const Message& expected, const std::string& where) {
    EXPECT_EQ(got.id, expected.id) << where;
    EXPECT_EQ(got.phone, expected.phone) << where;
    EXPECT_EQ(got.message_type, expected.message_type) << where;
    EXPECT_EQ(got.provider_template_name, expected.provider_template_name) << where;
    EXPECT_EQ(got.language, expected.language) << where;
    EXPECT_EQ(got.parameters, expected.parameters) << where;
    EXPECT_EQ(got.text, expected.text) << where;
    EXPECT_EQ(got.context_json, expected.context_json) << where;
    EXPECT_EQ(got.status, expected.status) << where;
    EXPECT_EQ(got.provider_message_id, expected.provider_message_id) << where;
    EXPECT_EQ(got.attempts, expected.attempts) << where;
    EXPECT_EQ(got.last_error, expected.last_error) << where;
    EXPECT_EQ(got.idempotency_key, expected.idempotency_key) << where;
    EXPECT_EQ(got.created_at, expected.created_at) << where;
    EXPECT_EQ(got.updated_at, expected.updated_at) << where;
    EXPECT_EQ(got.sent_at, expected.sent_at) << where;
    EXPECT_EQ(got.delivered_at, expected.delivered_at) << where;
    EXPECT_EQ(got.read_at, expected.read_at) << where;
    EXPECT_EQ(got.failed_at, expected.failed_at) << where;
    EXPECT_EQ(got.next_attempt_at, expected.next_attempt_at) << where;
}

TYPED_TEST(StoreEnqueueBatchTest, ResultsFollowTheInputOrderAndSeqAscendsWithIt) {
    // Ids descending, so that neither id nor creation time gives the input order by accident.
    std::vector<Message> messages;
    for (int i = 0; i < 120; ++i) {
        Message m = MakeMessage("z" + std::to_string(1000 - i), kT0 - i, i % 3 ? "delivery_reminder" : "welcome",
                                i % 2 ? kPhone1 : kPhone2);
        m.parameters = {"Asha \"Didi\"", "back\\slash", "{braces, comma}", "NULL", ""};
        m.context_json = R"({"note":"a \"quoted\" {value}"})";
        if (i % 4 == 0) m.text = "free text, \"quoted\"";
        if (i % 5 == 0) m.updated_at = 0;  // stored as created_at
        messages.push_back(m);
    }
    const std::vector<EnqueueResult> results = this->Batch(messages);
    ASSERT_EQ(results.size(), messages.size());
    std::int64_t last_seq = 0;
    for (std::size_t i = 0; i < results.size(); ++i) {
        const std::string where = "item " + std::to_string(i);
        EXPECT_TRUE(results[i].created) << where;
        EXPECT_GT(results[i].message.seq, last_seq) << where;
        last_seq = results[i].message.seq;
        Message expected = messages[i];
        if (expected.updated_at == 0) expected.updated_at = expected.created_at;
        expected.next_attempt_at = kDue;
        ExpectSameMessage(results[i].message, expected, where);
        const std::optional<Message> stored = this->store_->GetMessage(messages[i].id);
        ASSERT_TRUE(stored.has_value()) << where;
        EXPECT_EQ(stored->seq, results[i].message.seq) << where;
        ExpectSameMessage(*stored, results[i].message, where);
    }
    // History (newest first by seq) lists the batch in reverse input order.
    HistoryQuery query;
    query.limit = 200;
    std::vector<std::string> newest_first = Ids(this->store_->History(query).items);
    std::vector<std::string> input = Ids(std::vector<Message>(messages.rbegin(), messages.rend()));
    EXPECT_EQ(newest_first, input);
}

TYPED_TEST(StoreEnqueueBatchTest, AKeyRepeatedWithinTheBatchStoresTheFirstItemOnly) {
    const std::vector<Message> messages = {Keyed("a", "k1"),          MakeMessage("b", kT0), Keyed("c", "k1", kPhone2),
                                           Keyed("d", "k2", kPhone2), Keyed("e", "k2"),      Keyed("f", "k1")};
    const std::vector<EnqueueResult> results = this->Batch(messages);
    ASSERT_EQ(results.size(), 6U);
    EXPECT_TRUE(results[0].created);
    EXPECT_TRUE(results[1].created);
    EXPECT_TRUE(results[3].created);
    for (const auto& [later, first] : std::vector<std::pair<std::size_t, std::size_t>>{{2, 0}, {4, 3}, {5, 0}}) {
        const std::string where = "item " + std::to_string(later);
        EXPECT_FALSE(results[later].created) << where;
        EXPECT_EQ(results[later].message.id, messages[first].id) << where;
        EXPECT_EQ(results[later].message.seq, results[first].message.seq) << where;
        ExpectSameMessage(results[later].message, results[first].message, where);
        EXPECT_FALSE(this->store_->GetMessage(messages[later].id).has_value()) << where;
    }
    EXPECT_EQ(results[2].message.phone, kPhone1);
    EXPECT_EQ(results[4].message.phone, kPhone2);
    EXPECT_EQ(this->MessageCount(), 3);
    EXPECT_EQ(this->store_->QueueDepth(), 3);
}

TYPED_TEST(StoreEnqueueBatchTest, AKeyStoredBeforeTheBatchReturnsTheStoredMessage) {
    const EnqueueResult before = this->store_->Enqueue(Keyed("m0", "k1"), kT0, std::nullopt);
    ASSERT_TRUE(before.created);

    const std::vector<EnqueueResult> results =
        this->Batch({Keyed("x", "k1", kPhone2), MakeMessage("y", kT0), Keyed("z", "k1")});
    ASSERT_EQ(results.size(), 3U);
    for (const std::size_t i : {0U, 2U}) {
        EXPECT_FALSE(results[i].created);
        EXPECT_EQ(results[i].message.id, "m0");
        EXPECT_EQ(results[i].message.seq, before.message.seq);
        ExpectSameMessage(results[i].message, before.message, "item " + std::to_string(i));
        EXPECT_EQ(results[i].message.next_attempt_at, kT0);  // its own entry, not the batch's time
    }
    EXPECT_TRUE(results[1].created);
    EXPECT_GT(results[1].message.seq, before.message.seq);
    EXPECT_FALSE(this->store_->GetMessage("x").has_value());
    EXPECT_FALSE(this->store_->GetMessage("z").has_value());
    EXPECT_EQ(this->MessageCount(), 2);
    EXPECT_EQ(this->store_->QueueDepth(), 2);
}

TYPED_TEST(StoreEnqueueBatchTest, OptedOutNumbersAreSuppressedAndOnlyQueuedItemsAreClaimable) {
    ASSERT_TRUE(this->store_->SetOptOut(kPhone1, true, kT0));
    const std::string kPhone3 = "+919800000003";
    ASSERT_TRUE(this->store_->SetOptOut(kPhone3, true, kT0));
    ASSERT_TRUE(this->store_->SetOptOut(kPhone3, false, kT0 + 1));  // START after STOP: not opted out

    const std::vector<EnqueueResult> results = this->Batch({
        MakeMessage("a", kT0, "delivery_reminder", kPhone1),
        MakeMessage("b", kT0, "delivery_reminder", kPhone2),
        MakeMessage("c", kT0, "welcome", kPhone1),
        MakeMessage("d", kT0, "welcome", kPhone2, MessageStatus::kSkippedRollout),
        MakeMessage("e", kT0, "welcome", kPhone3),
    });
    ASSERT_EQ(results.size(), 5U);
    const std::vector<MessageStatus> statuses = {MessageStatus::kSuppressed, MessageStatus::kQueued,
                                                 MessageStatus::kSuppressed, MessageStatus::kSkippedRollout,
                                                 MessageStatus::kQueued};
    for (std::size_t i = 0; i < results.size(); ++i) {
        const std::string where = "item " + std::to_string(i);
        EXPECT_TRUE(results[i].created) << where;
        EXPECT_EQ(results[i].message.status, statuses[i]) << where;
        EXPECT_EQ(this->store_->GetMessage(results[i].message.id)->status, statuses[i]) << where;
        const bool queued = statuses[i] == MessageStatus::kQueued;
        EXPECT_EQ(results[i].message.next_attempt_at, queued ? std::optional<TimeMs>(kDue) : std::nullopt) << where;
    }
    EXPECT_EQ(this->store_->QueueDepth(), 2);
    // Due at next_attempt_at, not before.
    EXPECT_TRUE(this->store_->ClaimDue(kDue - 1, 100, Lease{"w", kDue + 60'000}, false).empty());
    EXPECT_EQ(Ids(this->store_->ClaimDue(kDue, 100, Lease{"w", kDue + 60'000}, false)),
              (std::vector<std::string>{"b", "e"}));
    EXPECT_EQ(this->store_->Stats(StatsQuery{}).all.suppressed, 2);
}

TYPED_TEST(StoreEnqueueBatchTest, CountersAndResultsEqualThoseOfEnqueuingOneByOne) {
    const TempDir other_dir;
    const std::unique_ptr<Store> one_by_one = TypeParam::Open(other_dir.path());
    for (Store* store : {this->store_.get(), one_by_one.get()}) {
        ASSERT_TRUE(store->SetOptOut(kPhone2, true, kT0));
        Message earlier = MakeMessage("earlier", kT0, "welcome");
        earlier.idempotency_key = "held";
        ASSERT_TRUE(store->Enqueue(earlier, kT0, std::nullopt).created);
    }
    // Hours apart, several types and statuses, repeated and held keys, an opted-out number.
    const std::vector<MessageStatus> statuses = {MessageStatus::kQueued, MessageStatus::kSuppressed,
                                                 MessageStatus::kSkippedRollout, MessageStatus::kQueued};
    const std::vector<std::string> types = {"delivery_reminder", "welcome", "payment_reminder"};
    std::vector<Message> messages;
    for (int i = 0; i < 40; ++i) {
        Message m = MakeMessage("n" + std::to_string(i), kT0 + i * 37 * 60'000, types[static_cast<std::size_t>(i) % 3],
                                i % 5 == 0 ? kPhone2 : kPhone1, statuses[static_cast<std::size_t>(i) % 4]);
        if (i % 7 == 0) m.idempotency_key = "k" + std::to_string(i % 3);
        if (i == 11) m.idempotency_key = "held";
        messages.push_back(m);
    }
    const std::vector<EnqueueResult> batch = this->Batch(messages);
    ASSERT_EQ(batch.size(), messages.size());
    for (std::size_t i = 0; i < messages.size(); ++i) {
        const EnqueueResult single = one_by_one->Enqueue(messages[i], kDue, std::nullopt);
        const std::string where = "item " + std::to_string(i);
        EXPECT_EQ(batch[i].created, single.created) << where;
        ExpectSameMessage(batch[i].message, single.message, where);
    }
    Statistics got = this->store_->Stats(StatsQuery{});
    const Statistics expected = one_by_one->Stats(StatsQuery{});
    ExpectSameCounts(got.all, expected.all, "all");
    EXPECT_EQ(got.by_type.size(), expected.by_type.size());
    for (const auto& [type, counts] : expected.by_type) ExpectSameCounts(got.by_type[type], counts, type);
    const StatsQuery hours{kT0 + 3'600'000, kT0 + 10 * 3'600'000};
    ExpectSameCounts(this->store_->Stats(hours).all, one_by_one->Stats(hours).all, "hours");
    EXPECT_EQ(this->store_->QueueDepth(), one_by_one->QueueDepth());
}

TYPED_TEST(StoreEnqueueBatchTest, ABatchThatFailsPartWayStoresNothing) {
    ASSERT_TRUE(this->store_->Enqueue(MakeMessage("stored", kT0), kT0, std::nullopt).created);
    const Statistics stats_before = this->store_->Stats(StatsQuery{});

    // The last item repeats the id of a stored message; then one repeating an id within the batch.
    const std::vector<std::vector<Message>> failing = {
        {MakeMessage("a", kT0), Keyed("b", "k1"), MakeMessage("c", kT0, "welcome", kPhone2),
         MakeMessage("stored", kT0)},
        {MakeMessage("a", kT0), Keyed("b", "k1"), MakeMessage("a", kT0 + 1)},
    };
    for (const std::vector<Message>& batch : failing) {
        EXPECT_THROW(this->Batch(batch), StoreUnavailable);
        EXPECT_FALSE(this->store_->GetMessage("a").has_value());
        EXPECT_FALSE(this->store_->GetMessage("b").has_value());
        EXPECT_FALSE(this->store_->GetMessage("c").has_value());
        EXPECT_EQ(this->store_->QueueDepth(), 1);
        ExpectSameCounts(this->store_->Stats(StatsQuery{}).all, stats_before.all, "after a failed batch");
    }
    // The key the failed batches carried is free: nothing of them holds it.
    const std::vector<EnqueueResult> results = this->Batch({Keyed("b2", "k1")});
    ASSERT_EQ(results.size(), 1U);
    EXPECT_TRUE(results[0].created);
    EXPECT_EQ(results[0].message.id, "b2");
}

TYPED_TEST(StoreEnqueueBatchTest, AnEmptyBatchWritesNothing) {
    EXPECT_TRUE(this->Batch({}).empty());
    EXPECT_EQ(this->MessageCount(), 0);
}

}  // namespace
}  // namespace notify::store_test
