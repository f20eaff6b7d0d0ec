// The dispatcher's pacing (sending held after a stop-all fault, Retry-After, the recipient gap)
// with a manual clock, a scripted provider and a real SQLite store: no sleeps, no network.
#include "queue/dispatcher.h"

#include <gtest/gtest.h>

#include <deque>
#include <mutex>

#include "notify/ids.h"
#include "providers/provider.h"
#include "queue/processor.h"
#include "support/queue_fixtures.h"
#include "support/scripted_provider.h"
#include "support/temp_sqlite_store.h"

namespace notify {
namespace {

constexpr TimeMs kProbeMs = 30000;

using test_support::kStart;
using test_support::Retryable;
using test_support::ScriptedProvider;

SendOutcome WalletEmpty() {
    SendOutcome o;
    o.kind = SendOutcome::Kind::kRetryable;
    o.http_status = 400;
    o.error = "HTTP 400 CHAT_4001 Insufficient wallet balance";
    o.stops_all_sending = true;
    return o;
}

SendOutcome BadCredentials() {
    SendOutcome o;
    o.kind = SendOutcome::Kind::kPermanent;
    o.http_status = 401;
    o.error = "HTTP 401 Unauthorized";
    o.stops_all_sending = true;
    return o;
}

SendOutcome TooManyRequests(int seconds) {
    SendOutcome o;
    o.kind = SendOutcome::Kind::kRetryable;
    o.http_status = 429;
    o.error = "HTTP 429";
    o.retry_after = std::chrono::seconds(seconds);
    return o;
}

class DispatcherTest : public ::testing::Test {
protected:
    DispatcherTest() {
        ThroughputOptions throughput;
        throughput.rate_per_second = 0;  // the token bucket has its own tests; here it never waits
        throughput.probe_interval_ms = kProbeMs;
        dispatcher_ =
            std::make_unique<Dispatcher>(*store_, provider_, clock_, random_, RetryPolicy{1, 1000, 8000}, throughput);
        processor_ = std::make_unique<QueueProcessor>(*store_, *dispatcher_, clock_,
                                                      test_support::TestProcessorOptions(1, 60000));
    }

    // Stored and leased to "test", as an immediate send leaves it.
    Message Leased(const std::string& phone = "+919876543210") {
        const Message m = test_support::WelcomeMessage(NewMessageId(clock_.NowMs(), random_), phone, clock_.NowMs());
        return store_->Enqueue(m, clock_.NowMs(), Lease{"test", clock_.NowMs() + 60000}).message;
    }
    Message Get(const std::string& id) { return *store_->GetMessage(id); }

    ManualClock clock_{kStart};
    SeededRandom random_{1};
    ScriptedProvider provider_;
    test_support::TempSqliteStore store_{"notifyd-dispatcher"};  // outlives the two below
    std::unique_ptr<Dispatcher> dispatcher_;
    std::unique_ptr<QueueProcessor> processor_;
};

TEST_F(DispatcherTest, AFreeTextMessageReachesTheProviderWithItsTextFromTheQueue) {
    Message m = test_support::WelcomeMessage(NewMessageId(clock_.NowMs(), random_), "+919876543210", clock_.NowMs());
    m.message_type = "help_reply";
    m.parameters.clear();
    m.text = "Reply SKIP, PAUSE 3 or RESUME.";
    store_->Enqueue(m, clock_.NowMs(), std::nullopt);
    // The processor claims it from the store: the text must survive the round trip.
    EXPECT_EQ(processor_->RunOnce(false).sent, 1);
    ASSERT_EQ(provider_.sent.size(), 1u);
    EXPECT_EQ(provider_.sent[0].text, "Reply SKIP, PAUSE 3 or RESUME.");
    EXPECT_EQ(Get(m.id).status, MessageStatus::kSent);
}

TEST_F(DispatcherTest, ATemplateMessageReachesTheProviderWithoutTextInItsLanguage) {
    Message m = test_support::WelcomeMessage(NewMessageId(clock_.NowMs(), random_), "+919876543210", clock_.NowMs());
    m.language = "hi";
    store_->Enqueue(m, clock_.NowMs(), std::nullopt);
    EXPECT_EQ(processor_->RunOnce(false).sent, 1);
    ASSERT_EQ(provider_.sent.size(), 1u);
    EXPECT_FALSE(provider_.sent[0].text.has_value());
    EXPECT_EQ(provider_.sent[0].language, "hi");
    EXPECT_EQ(provider_.sent[0].parameters, std::vector<std::string>{"Asha"});
}

TEST_F(DispatcherTest, AStopAllFaultHoldsSendingAndDoesNotCountTowardMaxAttempts) {
    provider_.script = {WalletEmpty()};
    const Message m = Leased();
    const DispatchResult result = dispatcher_->Dispatch(m, "test", false);
    EXPECT_FALSE(result.deferred);
    EXPECT_EQ(result.after, AfterAttempt::kRetry);  // MAX_ATTEMPTS is 1, yet not failed
    EXPECT_EQ(Get(m.id).status, MessageStatus::kQueued);
    ASSERT_EQ(store_->ListAttempts(m.id).size(), 1u);
    EXPECT_TRUE(store_->ListAttempts(m.id)[0].stops_all_sending);

    const SendingStatus status = dispatcher_->Status();
    ASSERT_TRUE(status.fault);
    EXPECT_EQ(status.fault->since, kStart);
    EXPECT_EQ(status.next_probe_at, kStart + kProbeMs);
    EXPECT_EQ(dispatcher_->Gate(kStart).kind, SendGate::Kind::kClosed);
    EXPECT_EQ(dispatcher_->Gate(kStart).reopens_at, kStart + kProbeMs);
}

TEST_F(DispatcherTest, BadCredentialsArePermanentYetOnlyHoldTheMessage) {
    provider_.script = {BadCredentials()};
    const Message m = Leased();
    EXPECT_EQ(dispatcher_->Dispatch(m, "test", false).after, AfterAttempt::kRetry);
    EXPECT_EQ(Get(m.id).status, MessageStatus::kQueued);
    EXPECT_TRUE(dispatcher_->Status().fault);
}

TEST_F(DispatcherTest, WhileHeldNothingReachesTheProviderUntilTheProbeAndItsSuccessResumes) {
    provider_.script = {WalletEmpty()};
    const Message first = Leased();
    dispatcher_->Dispatch(first, "test", false);

    // An immediate send is queued untried; so is a queued message before the probe is due.
    const Message immediate = Leased("+919876543211");
    const DispatchResult held = dispatcher_->Dispatch(immediate, "test", false);
    EXPECT_TRUE(held.deferred);
    EXPECT_EQ(held.after, AfterAttempt::kRetry);
    EXPECT_EQ(Get(immediate.id).status, MessageStatus::kQueued);
    EXPECT_TRUE(store_->ListAttempts(immediate.id).empty());
    EXPECT_EQ(provider_.sent_ids.size(), 1u);
    const PassResult early = processor_->RunOnce(true);
    EXPECT_TRUE(early.held);
    EXPECT_EQ(early.processed, 0);
    EXPECT_EQ(provider_.sent_ids.size(), 1u);

    // The probe: exactly one message, and its success lifts the hold.
    clock_.Set(kStart + kProbeMs);
    EXPECT_EQ(dispatcher_->Gate(clock_.NowMs()).kind, SendGate::Kind::kProbe);
    const PassResult probe = processor_->RunOnce(false);
    EXPECT_EQ(probe.processed, 1);
    EXPECT_EQ(probe.sent, 1);
    EXPECT_EQ(provider_.sent_ids.size(), 2u);
    EXPECT_FALSE(dispatcher_->Status().fault);

    const PassResult rest = processor_->RunOnce(false);
    EXPECT_EQ(rest.sent, 1);
    EXPECT_EQ(Get(first.id).status, MessageStatus::kSent);
    EXPECT_EQ(Get(immediate.id).status, MessageStatus::kSent);
    EXPECT_EQ(Get(first.id).attempts, 2);  // one refused while held, one accepted; MAX_ATTEMPTS is 1
}

TEST_F(DispatcherTest, AFailedProbeKeepsTheHoldAndAnAdminCanLiftIt) {
    provider_.script = {WalletEmpty(), WalletEmpty()};
    dispatcher_->Dispatch(Leased(), "test", false);
    clock_.Set(kStart + kProbeMs);
    EXPECT_EQ(processor_->RunOnce(false).processed, 1);
    ASSERT_TRUE(dispatcher_->Status().fault);
    EXPECT_EQ(dispatcher_->Status().next_probe_at, kStart + 2 * kProbeMs);

    dispatcher_->ClearHold("admin test");
    EXPECT_FALSE(dispatcher_->Status().fault);
    EXPECT_EQ(processor_->RunOnce(false).sent, 1);
}

TEST_F(DispatcherTest, AServerErrorAfterHeldAttemptsStillHasItsOwnAttempts) {
    // MAX_ATTEMPTS is 1: the wallet refusal is not counted, so the 500 is the one counted attempt.
    provider_.script = {WalletEmpty(), Retryable(500)};
    const Message m = Leased();
    dispatcher_->Dispatch(m, "test", false);
    dispatcher_->ClearHold("admin test");
    const auto claimed = store_->ClaimDue(clock_.NowMs(), 1, Lease{"test", clock_.NowMs() + 60000}, false);
    ASSERT_EQ(claimed.size(), 1u);
    EXPECT_EQ(dispatcher_->Dispatch(claimed[0], "test", true).after, AfterAttempt::kFailed);
    EXPECT_EQ(Get(m.id).status, MessageStatus::kFailed);
    EXPECT_EQ(Get(m.id).last_error, "HTTP 500");
}

TEST_F(DispatcherTest, RetryAfterStopsEveryProviderCallUntilItHasPassed) {
    provider_.script = {TooManyRequests(5)};
    const Message first = Leased();
    dispatcher_->Dispatch(first, "test", false);  // MAX_ATTEMPTS is 1: it fails, the pause stays
    EXPECT_EQ(dispatcher_->Status().throttled_until, kStart + 5000);
    EXPECT_EQ(dispatcher_->Gate(kStart).kind, SendGate::Kind::kClosed);

    const Message second = Leased("+919876543211");
    const DispatchResult deferred = dispatcher_->Dispatch(second, "test", false);
    EXPECT_TRUE(deferred.deferred);
    EXPECT_EQ(deferred.next_attempt_at, kStart + 5000);
    EXPECT_EQ(Get(second.id).next_attempt_at, kStart + 5000);
    EXPECT_TRUE(processor_->RunOnce(true).held);
    EXPECT_EQ(provider_.sent_ids.size(), 1u);

    clock_.Set(kStart + 5000);
    EXPECT_EQ(dispatcher_->Gate(clock_.NowMs()).kind, SendGate::Kind::kOpen);
    EXPECT_EQ(processor_->RunOnce(false).sent, 1);
    EXPECT_EQ(Get(second.id).status, MessageStatus::kSent);
}

TEST_F(DispatcherTest, ASecondMessageToOnePhoneWithinTheGapIsRescheduledNotAttempted) {
    Settings settings = store_->GetSettings();
    settings.recipient_min_gap_seconds = 6;
    store_->PutSettings(settings);

    EXPECT_EQ(dispatcher_->Dispatch(Leased(), "test", false).after, AfterAttempt::kSent);
    clock_.Advance(1000);
    const Message second = Leased();
    const DispatchResult result = dispatcher_->Dispatch(second, "test", false);
    EXPECT_TRUE(result.deferred);
    EXPECT_EQ(result.next_attempt_at, kStart + 6000);
    EXPECT_EQ(Get(second.id).next_attempt_at, kStart + 6000);
    EXPECT_EQ(Get(second.id).attempts, 0);
    EXPECT_EQ(dispatcher_->Dispatch(Leased("+919876543211"), "test", false).after, AfterAttempt::kSent);

    clock_.Set(kStart + 6000);
    EXPECT_EQ(processor_->RunOnce(false).sent, 1);
    EXPECT_EQ(Get(second.id).status, MessageStatus::kSent);
}

TEST_F(DispatcherTest, AFailedSendDoesNotStartTheRecipientGap) {
    Settings settings = store_->GetSettings();
    settings.recipient_min_gap_seconds = 6;
    store_->PutSettings(settings);
    provider_.script = {Retryable(500)};
    dispatcher_->Dispatch(Leased(), "test", false);
    EXPECT_EQ(dispatcher_->Dispatch(Leased(), "test", false).after, AfterAttempt::kSent);
}

}  // namespace
}  // namespace notify
