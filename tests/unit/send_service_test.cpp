// The send use case without a server: a real SQLite store in a temporary directory, a scripted
// provider, a manual clock and a seeded random source. No sleeps, no network.
#include "queue/send_service.h"

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <memory>
#include <nlohmann/json.hpp>

#include "flaky_store.h"
#include "notify/ids.h"
#include "queue/dispatcher.h"
#include "queue/processor.h"
#include "support/queue_fixtures.h"
#include "support/scripted_provider.h"
#include "support/temp_sqlite_store.h"

namespace notify {
namespace {

constexpr const char* kPhone = "+919876543210";

using test_support::FlakyStore;
using test_support::kStart;
using test_support::Permanent;
using test_support::ScriptedProvider;

class SendServiceTest : public ::testing::Test {
protected:
    SendServiceTest() { Build(0); }

    void Build(int rate_per_second) {
        sender_.reset();
        processor_.reset();
        ThroughputOptions throughput;
        throughput.rate_per_second = rate_per_second;
        dispatcher_ =
            std::make_unique<Dispatcher>(store_, provider_, clock_, random_, RetryPolicy{3, 1000, 8000}, throughput);
        processor_ = std::make_unique<QueueProcessor>(store_, *dispatcher_, clock_,
                                                      test_support::TestProcessorOptions(1, 60000));
        sender_ = std::make_unique<SendService>(store_, *dispatcher_, *processor_, clock_, random_);
    }

    static SendRequest Request(bool immediate, std::optional<std::string> key = std::nullopt,
                               const std::string& phone = kPhone) {
        SendRequest request;
        request.phone.e164 = phone;
        request.message_type = "delivery_reminder";
        request.context = {{"customer_name", "Asha"}, {"delivery_date", "Jan 28"}, {"area", "Indiranagar"}};
        request.immediate = immediate;
        request.idempotency_key = std::move(key);
        return request;
    }

    void SetEnabled(bool enabled) {
        Settings settings = store_.GetSettings();
        settings.enabled = enabled;
        store_.PutSettings(settings);
    }

    Message Get(const std::string& id) { return *store_.GetMessage(id); }

    ManualClock clock_{kStart};
    SeededRandom random_{42};
    ScriptedProvider provider_;
    test_support::TempSqliteStore sqlite_{"notifyd-send"};
    FlakyStore store_{*sqlite_};  // forwards to sqlite_, declared (so made) before it and outlived by it
    std::unique_ptr<Dispatcher> dispatcher_;
    std::unique_ptr<QueueProcessor> processor_;
    std::unique_ptr<SendService> sender_;
};

TEST_F(SendServiceTest, AQueuedSendIsStoredWithAnIdFromTheInjectedRandomSource) {
    SeededRandom same_seed{42};
    const std::string expected_id = NewMessageId(kStart, same_seed);
    const SendResult result = sender_->Send(Request(false));
    EXPECT_EQ(result.disposition, SendDisposition::kQueued);
    EXPECT_EQ(result.message.id, expected_id);
    EXPECT_EQ(result.message.status, MessageStatus::kQueued);
    EXPECT_EQ(result.message.parameters, (std::vector<std::string>{"Asha", "Jan 28", "Indiranagar"}));
    EXPECT_EQ(Get(expected_id).status, MessageStatus::kQueued);
    EXPECT_TRUE(provider_.sent_ids.empty());
    EXPECT_EQ(store_.QueueDepth(), 1);
}

// Waits for an asynchronous send's answer (the store's commit thread gives it).
struct AsyncAnswer {
    std::optional<SendResult> result;
    std::exception_ptr error;
};
AsyncAnswer SendQueuedAndWait(SendService& sender, const SendRequest& request) {
    std::promise<AsyncAnswer> answered;
    sender.SendQueuedAsync(request, [&answered](std::optional<SendResult> result, std::exception_ptr error) {
        answered.set_value(AsyncAnswer{std::move(result), error});
    });
    auto future = answered.get_future();
    if (future.wait_for(std::chrono::seconds(30)) != std::future_status::ready) {
        ADD_FAILURE() << "SendQueuedAsync never answered";
        return {};
    }
    return future.get();
}

TEST_F(SendServiceTest, AnAsynchronousQueuedSendAnswersWhatSendWouldHave) {
    SeededRandom same_seed{42};
    const std::string expected_id = NewMessageId(kStart, same_seed);
    const AsyncAnswer queued = SendQueuedAndWait(*sender_, Request(false, "order-1"));
    ASSERT_FALSE(queued.error);
    ASSERT_TRUE(queued.result);
    EXPECT_EQ(queued.result->disposition, SendDisposition::kQueued);
    EXPECT_EQ(queued.result->message.id, expected_id);
    EXPECT_EQ(Get(expected_id).status, MessageStatus::kQueued);  // durable before the answer

    const AsyncAnswer repeated = SendQueuedAndWait(*sender_, Request(false, "order-1"));
    ASSERT_TRUE(repeated.result);
    EXPECT_EQ(repeated.result->disposition, SendDisposition::kDuplicate);
    EXPECT_EQ(repeated.result->message.id, expected_id);

    const std::string other = "+919812345678";
    ASSERT_TRUE(store_.SetOptOut(other, true, kStart));
    const AsyncAnswer suppressed = SendQueuedAndWait(*sender_, Request(false, std::nullopt, other));
    ASSERT_TRUE(suppressed.result);
    EXPECT_EQ(suppressed.result->disposition, SendDisposition::kSuppressed);
    EXPECT_TRUE(provider_.sent_ids.empty());
    EXPECT_EQ(store_.QueueDepth(), 1);
}

TEST_F(SendServiceTest, AnAsynchronousSendRefusedByTheChecksThrowsAndStoresNothing) {
    bool called = false;
    const auto never = [&called](std::optional<SendResult>, std::exception_ptr) { called = true; };
    SetEnabled(false);
    EXPECT_THROW(sender_->SendQueuedAsync(Request(false), never), Error);
    SetEnabled(true);
    SendRequest unknown = Request(false);
    unknown.message_type = "no_such_template";
    EXPECT_THROW(sender_->SendQueuedAsync(unknown, never), Error);
    EXPECT_FALSE(called);
    EXPECT_EQ(store_.QueueDepth(), 0);
}

TEST_F(SendServiceTest, AnImmediateSendGoesOutAndAnswersTheSentMessage) {
    const SendResult result = sender_->Send(Request(true));
    EXPECT_EQ(result.disposition, SendDisposition::kFinished);
    EXPECT_EQ(result.message.status, MessageStatus::kSent);
    EXPECT_EQ(result.message.provider_message_id, "prov-" + result.message.id);
    EXPECT_EQ(provider_.sent_ids, std::vector<std::string>{result.message.id});
    EXPECT_EQ(store_.QueueDepth(), 0);
}

TEST_F(SendServiceTest, TheRequestedLanguagePicksTheVariantSent) {
    SendRequest request = Request(true);
    request.language = "hi";
    const SendResult hi = sender_->Send(request);
    EXPECT_EQ(hi.message.language, "hi");
    EXPECT_EQ(store_.GetMessage(hi.message.id)->language, "hi");
    ASSERT_EQ(provider_.sent.size(), 1u);
    EXPECT_EQ(provider_.sent[0].language, "hi");
    // The parameters are the same in every language.
    EXPECT_EQ(provider_.sent[0].parameters, (std::vector<std::string>{"Asha", "Jan 28", "Indiranagar"}));
}

TEST_F(SendServiceTest, ALanguageTheTemplateLacksFallsBackToEnglishAndNoneIsTheDefault) {
    SendRequest request = Request(false);
    request.language = "ta";
    EXPECT_EQ(sender_->Send(request).message.language, "en");
    EXPECT_EQ(sender_->Send(Request(false)).message.language, "en");
}

TEST_F(SendServiceTest, AnImmediateSendRefusedForGoodIsFinishedAsFailed) {
    provider_.script = {Permanent()};
    const SendResult result = sender_->Send(Request(true));
    EXPECT_EQ(result.disposition, SendDisposition::kFinished);
    EXPECT_EQ(result.message.status, MessageStatus::kFailed);
}

TEST_F(SendServiceTest, ARepeatedIdempotencyKeyReturnsTheFirstMessageAndSendsNothingMore) {
    const SendResult first = sender_->Send(Request(true, "order-17"));
    const SendResult again = sender_->Send(Request(true, "order-17"));
    EXPECT_EQ(again.disposition, SendDisposition::kDuplicate);
    EXPECT_EQ(again.message.id, first.message.id);
    EXPECT_EQ(again.message.status, MessageStatus::kSent);
    EXPECT_EQ(provider_.sent_ids.size(), 1u);
}

TEST_F(SendServiceTest, AnOptedOutRecipientIsSuppressedAndNothingIsSent) {
    store_.SetOptOut(kPhone, true, kStart - 1000);
    const SendResult result = sender_->Send(Request(true));
    EXPECT_EQ(result.disposition, SendDisposition::kSuppressed);
    EXPECT_EQ(result.message.status, MessageStatus::kSuppressed);
    EXPECT_TRUE(provider_.sent_ids.empty());
}

TEST_F(SendServiceTest, RefusedRequestsStoreNothing) {
    SendRequest unknown = Request(false);
    unknown.message_type = "no_such_template";
    try {
        sender_->Send(unknown);
        FAIL() << "an unknown template was accepted";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), "unknown_message_type");
        EXPECT_EQ(e.field(), "message_type");
    }
    SendRequest missing = Request(false);
    missing.context.erase("area");
    try {
        sender_->Send(missing);
        FAIL() << "a missing context variable was accepted";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), "missing_context");
    }
    SetEnabled(false);
    try {
        sender_->Send(Request(true));
        FAIL() << "a send was accepted while notifications are disabled";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), "notifications_disabled");
    }
    EXPECT_EQ(store_.QueueDepth(), 0);
    EXPECT_TRUE(store_.History(HistoryQuery{}).items.empty());
    EXPECT_TRUE(provider_.sent_ids.empty());
}

TEST_F(SendServiceTest, AnImmediateSendWithoutARateLimitTokenIsQueuedAtOnceWithoutWaiting) {
    Build(1);  // one provider call a second
    ASSERT_EQ(sender_->Send(Request(true, std::nullopt, "+919876543210")).disposition, SendDisposition::kFinished);
    const TimeMs before = clock_.NowMs();
    const SendResult second = sender_->Send(Request(true, std::nullopt, "+919876543211"));
    EXPECT_EQ(second.disposition, SendDisposition::kQueued);
    EXPECT_EQ(second.message.status, MessageStatus::kQueued);
    EXPECT_EQ(clock_.NowMs(), before);  // the handler did not wait for the token
    EXPECT_EQ(provider_.sent_ids.size(), 1u);
    // Due when the token is: the queue processor sends it then.
    EXPECT_EQ(second.message.next_attempt_at, before + 1000);
    clock_.Advance(1000);
    EXPECT_EQ(processor_->RunOnce(false).sent, 1);
    EXPECT_EQ(Get(second.message.id).status, MessageStatus::kSent);
}

TEST_F(SendServiceTest, ARecordThatFailsAFewTimesIsRetriedInPlaceAndTheClientHearsSent) {
    store_.fail_completes = Dispatcher::kRecordTries - 1;
    const SendResult result = sender_->Send(Request(true));
    EXPECT_EQ(result.disposition, SendDisposition::kFinished);
    EXPECT_EQ(result.message.status, MessageStatus::kSent);
    EXPECT_EQ(Get(result.message.id).status, MessageStatus::kSent);
    EXPECT_EQ(store_.complete_calls.load(), Dispatcher::kRecordTries);
    EXPECT_EQ(provider_.sent_ids.size(), 1u);
    // Backed off on the injected clock (25 + 50 + 100 ms), not by sleeping.
    EXPECT_EQ(clock_.NowMs(), kStart + 175);
}

TEST_F(SendServiceTest, ASentMessageWhoseRecordKeepsFailingIsNeverResentNorAnswered503) {
    store_.fail_completes = Dispatcher::kRecordTries + 2;
    const SendResult result = sender_->Send(Request(true));
    EXPECT_EQ(result.disposition, SendDisposition::kRecordPending);
    EXPECT_EQ(result.message.status, MessageStatus::kSent);
    EXPECT_EQ(result.message.provider_message_id, "prov-" + result.message.id);
    EXPECT_EQ(dispatcher_->PendingRecords(), 1u);
    EXPECT_EQ(Get(result.message.id).status, MessageStatus::kSending);  // still leased, not queued again

    // Long after the lease: the processor writes the record before it claims anything, and while
    // that fails it claims nothing, so the message is not sent a second time.
    clock_.Advance(120000);
    EXPECT_THROW(processor_->RunOnce(true), StoreUnavailable);
    EXPECT_THROW(processor_->RunOnce(true), StoreUnavailable);
    EXPECT_EQ(provider_.sent_ids.size(), 1u);
    const PassResult pass = processor_->RunOnce(true);  // the store has recovered
    EXPECT_EQ(pass.processed, 0);
    EXPECT_EQ(dispatcher_->PendingRecords(), 0u);
    const Message stored = Get(result.message.id);
    EXPECT_EQ(stored.status, MessageStatus::kSent);
    EXPECT_EQ(stored.provider_message_id, "prov-" + result.message.id);
    EXPECT_EQ(provider_.sent_ids.size(), 1u);
    EXPECT_EQ(store_.QueueDepth(), 0);
}

TEST_F(SendServiceTest, ABatchKeepsGoodItemsReportsBadOnesAloneAndHoldsIdempotencyKeys) {
    store_.SetOptOut("+919876543219", true, kStart - 1000);
    const SendResult earlier = sender_->Send(Request(false, "known-key"));

    std::vector<BatchItem> items(7);
    items[0].request = Request(true);  // immediate is ignored in a batch: queued
    items[1].error = InvalidInput("invalid_phone", "phone is not a valid number", "phone");
    items[2].request = Request(false);
    items[2].request->message_type = "no_such_template";
    items[3].request = Request(false, "twice-in-batch", "+919876543212");
    items[4].request = Request(false, "twice-in-batch", "+919876543213");
    items[5].request = Request(false, "known-key");
    items[6].request = Request(false, std::nullopt, "+919876543219");
    const std::vector<BatchItemResult> results = sender_->SendBatch(items);

    ASSERT_EQ(results.size(), 7u);
    ASSERT_TRUE(results[0].message);
    EXPECT_EQ(results[0].message->status, MessageStatus::kQueued);
    ASSERT_TRUE(results[1].error);
    EXPECT_EQ(results[1].error->code(), "invalid_phone");
    ASSERT_TRUE(results[2].error);
    EXPECT_EQ(results[2].error->code(), "unknown_message_type");
    ASSERT_TRUE(results[3].message && results[4].message);
    EXPECT_EQ(results[3].message->id, results[4].message->id);
    EXPECT_EQ(results[4].message->phone, "+919876543212");  // the first message of the key
    ASSERT_TRUE(results[5].message);
    EXPECT_EQ(results[5].message->id, earlier.message.id);
    ASSERT_TRUE(results[6].message);
    EXPECT_EQ(results[6].message->status, MessageStatus::kSuppressed);

    EXPECT_TRUE(provider_.sent_ids.empty());  // nothing sent within the request
    EXPECT_EQ(store_.QueueDepth(), 3);        // the earlier one, item 0, items 3/4 as one
    EXPECT_EQ(Get(results[0].message->id).status, MessageStatus::kQueued);
}

TEST_F(SendServiceTest, ABatchWhileNotificationsAreDisabledIsRefusedWhole) {
    SetEnabled(false);
    std::vector<BatchItem> items(1);
    items[0].request = Request(false);
    try {
        sender_->SendBatch(items);
        FAIL() << "a batch was accepted while notifications are disabled";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), "notifications_disabled");
    }
    EXPECT_EQ(store_.QueueDepth(), 0);
}

TEST_F(SendServiceTest, RetryRequeuesOnlyAFailedMessage) {
    provider_.script = {Permanent()};
    const SendResult failed = sender_->Send(Request(true));
    ASSERT_EQ(failed.message.status, MessageStatus::kFailed);
    const Message requeued = sender_->Retry(failed.message.id);
    EXPECT_EQ(requeued.status, MessageStatus::kQueued);
    try {
        sender_->Retry(failed.message.id);
        FAIL() << "a queued message was retried";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), "not_retryable");
    }
    try {
        sender_->Retry("01NOSUCHMESSAGE0000000000");
        FAIL() << "an unknown id was retried";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::kNotFound);
    }
}

}  // namespace
}  // namespace notify
