// The queue processor driven one pass at a time, with a manual clock, a scripted provider and a
// real SQLite store in a temporary directory: no sleeps, no network.
#include "queue/processor.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <deque>
#include <filesystem>
#include <functional>
#include <mutex>
#include <set>
#include <thread>

#include "notify/ids.h"
#include "providers/provider.h"
#include "queue/dispatcher.h"
#include "support/queue_fixtures.h"
#include "support/scripted_provider.h"
#include "support/temp_sqlite_store.h"

namespace notify {
namespace {

using test_support::kStart;
using test_support::Permanent;
using test_support::Retryable;
using test_support::ScriptedProvider;

class ProcessorTest : public ::testing::Test {
protected:
    ProcessorTest() {
        ThroughputOptions unlimited;
        unlimited.rate_per_second = 0;
        dispatcher_ = std::make_unique<Dispatcher>(*store_, provider_, clock_, random_, policy_, unlimited);
        ProcessorOptions options = test_support::TestProcessorOptions(2, 3000);
        options.batch = 8;
        processor_ = std::make_unique<QueueProcessor>(*store_, *dispatcher_, clock_, options);
    }
    std::string Enqueue(const std::string& phone = "+919876543210") {
        const Message m = test_support::WelcomeMessage(NewMessageId(clock_.NowMs(), random_), phone, clock_.NowMs());
        store_->Enqueue(m, clock_.NowMs(), std::nullopt);
        return m.id;
    }
    Message Get(const std::string& id) { return *store_->GetMessage(id); }

    ManualClock clock_{kStart};
    SeededRandom random_{1};
    ScriptedProvider provider_{clock_};
    RetryPolicy policy_{3, 1000, 8000};
    test_support::TempSqliteStore store_{"notifyd-processor"};  // outlives the two below
    std::unique_ptr<Dispatcher> dispatcher_;
    std::unique_ptr<QueueProcessor> processor_;
};

TEST_F(ProcessorTest, OnePassSendsEverythingDue) {
    const auto a = Enqueue("+919876543210");
    const auto b = Enqueue("+919876543211");
    const PassResult pass = processor_->RunOnce(false);
    EXPECT_EQ(pass.processed, 2);
    EXPECT_EQ(pass.sent, 2);
    EXPECT_EQ(pass.remaining, 0);
    EXPECT_EQ(Get(a).status, MessageStatus::kSent);
    EXPECT_EQ(Get(b).provider_message_id, "prov-" + b);
    EXPECT_EQ(store_->ListAttempts(a).size(), 1u);
}

TEST_F(ProcessorTest, StatusReportsHowLongTheLastPassThatClaimedWorkTook) {
    EXPECT_FALSE(processor_->Status().last_pass_ms);
    processor_->RunOnce(false);  // nothing due: no pass that claimed work yet
    EXPECT_FALSE(processor_->Status().last_pass_ms);
    provider_.send_takes_ms = 250;
    Enqueue("+919876543210");
    Enqueue("+919876543211");
    processor_->RunOnce(false);
    EXPECT_EQ(processor_->Status().last_pass_ms, 500);
    processor_->RunOnce(false);  // an empty pass leaves the last one's duration
    EXPECT_EQ(processor_->Status().last_pass_ms, 500);
}

TEST_F(ProcessorTest, RetryableFailureWaitsForItsBackoffUnlessForced) {
    provider_.script = {Retryable()};
    const auto id = Enqueue();
    const PassResult first = processor_->RunOnce(false);
    EXPECT_EQ(first.retry_scheduled, 1);
    EXPECT_EQ(first.remaining, 1);
    const Message waiting = Get(id);
    EXPECT_EQ(waiting.status, MessageStatus::kQueued);
    EXPECT_EQ(waiting.attempts, 1);
    EXPECT_EQ(waiting.last_error, "HTTP 503");
    ASSERT_TRUE(waiting.next_attempt_at.has_value());
    // Full jitter: the first retry is somewhere in [now, now + base].
    EXPECT_GE(*waiting.next_attempt_at, clock_.NowMs());
    EXPECT_LE(*waiting.next_attempt_at, clock_.NowMs() + policy_.base_delay_ms);

    clock_.Set(*waiting.next_attempt_at - 1);
    if (*waiting.next_attempt_at > kStart) {
        EXPECT_EQ(processor_->RunOnce(false).processed, 0);  // not due yet
    }
    EXPECT_EQ(processor_->RunOnce(true).sent, 1);  // forced
    EXPECT_EQ(Get(id).status, MessageStatus::kSent);
    EXPECT_EQ(Get(id).attempts, 2);
}

TEST_F(ProcessorTest, DueRetryIsTakenOnceItsTimeComes) {
    provider_.script = {Retryable()};
    const auto id = Enqueue();
    processor_->RunOnce(false);
    clock_.Set(*Get(id).next_attempt_at);
    EXPECT_EQ(processor_->RunOnce(false).sent, 1);
    EXPECT_EQ(Get(id).status, MessageStatus::kSent);
}

TEST_F(ProcessorTest, MaxAttemptsEndsInFailedWithTheLastError) {
    provider_.script = {Retryable(500), Retryable(502), Retryable(503)};
    const auto id = Enqueue();
    for (int i = 0; i < 3; ++i) processor_->RunOnce(true);
    const Message failed = Get(id);
    EXPECT_EQ(failed.status, MessageStatus::kFailed);
    EXPECT_EQ(failed.attempts, 3);
    EXPECT_EQ(failed.last_error, "HTTP 503");
    EXPECT_TRUE(failed.failed_at.has_value());
    EXPECT_EQ(store_->QueueDepth(), 0);
    EXPECT_EQ(processor_->RunOnce(true).processed, 0);
}

TEST_F(ProcessorTest, PermanentFailureFailsAtOnce) {
    provider_.script = {Permanent()};
    const auto id = Enqueue();
    const PassResult pass = processor_->RunOnce(false);
    EXPECT_EQ(pass.failed, 1);
    EXPECT_EQ(Get(id).status, MessageStatus::kFailed);
    EXPECT_EQ(Get(id).attempts, 1);
    EXPECT_EQ(provider_.sent_ids.size(), 1u);
}

TEST_F(ProcessorTest, RecipientWhoOptedOutAfterQueueingIsSuppressedNotSent) {
    const auto id = Enqueue("+919876543210");
    store_->SetOptOut("+919876543210", true, clock_.NowMs());
    const PassResult pass = processor_->RunOnce(false);
    EXPECT_EQ(pass.processed, 1);
    EXPECT_EQ(pass.suppressed, 1);
    EXPECT_EQ(pass.failed, 0);
    EXPECT_EQ(pass.remaining, 0);
    EXPECT_TRUE(provider_.sent_ids.empty());
    EXPECT_EQ(Get(id).status, MessageStatus::kSuppressed);
}

TEST_F(ProcessorTest, PausedSettingSendsNothing) {
    Settings settings = store_->GetSettings();
    settings.paused = true;
    store_->PutSettings(settings);
    Enqueue();
    const PassResult pass = processor_->RunOnce(true);
    EXPECT_TRUE(pass.paused);
    EXPECT_EQ(pass.processed, 0);
    EXPECT_EQ(pass.remaining, 1);
    EXPECT_TRUE(provider_.sent_ids.empty());
}

TEST_F(ProcessorTest, NoMessageIsSentAfterItsLeaseHasRunOut) {
    // Each send takes 1.5 s of a 3 s lease with a 1 s budget per send. Sending the whole claimed
    // batch in a row would send the third message after its lease expired, when another worker
    // could take it too. A spy worker tries to claim, at every send, the message being sent.
    provider_.send_takes_ms = 1500;
    std::vector<std::string> stolen;
    provider_.on_send = [&](const std::string& id) {
        // expires_at == now: the spy's own claim ends at once and blocks nobody.
        for (const auto& m : store_->ClaimDue(clock_.NowMs(), 100, Lease{"spy", clock_.NowMs()}, true)) {
            if (m.id == id) stolen.push_back(id);
        }
    };
    ProcessorOptions options = test_support::TestProcessorOptions(1, 3000, "slow");
    options.batch = 8;
    QueueProcessor slow(*store_, *dispatcher_, clock_, options);
    for (int i = 0; i < 4; ++i) Enqueue("+91987654321" + std::to_string(i));
    const PassResult pass = slow.RunOnce(false);
    EXPECT_EQ(pass.sent, 4);
    EXPECT_EQ(pass.remaining, 0);
    EXPECT_TRUE(stolen.empty()) << "sent after its lease expired: " << stolen.front();
    std::set<std::string> unique(provider_.sent_ids.begin(), provider_.sent_ids.end());
    EXPECT_EQ(unique.size(), 4u);
}

TEST_F(ProcessorTest, ADeadWorkersLeaseIsTakenAgainAfterItExpires) {
    const auto id = Enqueue();
    // A worker that claimed the entry and died: its lease stands until it expires.
    ASSERT_EQ(store_->ClaimDue(clock_.NowMs(), 10, Lease{"dead", clock_.NowMs() + 3000}, false).size(), 1u);
    EXPECT_EQ(processor_->RunOnce(true).processed, 0);
    clock_.Advance(3001);
    EXPECT_EQ(processor_->RunOnce(false).sent, 1);
    EXPECT_EQ(Get(id).status, MessageStatus::kSent);
    EXPECT_EQ(provider_.sent_ids, std::vector<std::string>{id});
}

int ThreadsInThisProcess() {
    int count = 0;
    for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator("/proc/self/task")) ++count;
    return count;
}

// Holds each send until `callers` sends are in progress at once (bounded, so that a bug cannot
// hang the suite), and notes the most threads this process had meanwhile.
class GatheringProvider final : public Provider {
public:
    explicit GatheringProvider(int callers) : callers_(callers) {}
    std::string Name() const override { return "gathering"; }
    SendOutcome Send(const OutboundMessage& message) override {
        std::unique_lock lock(mutex_);
        most_threads = std::max(most_threads, ThreadsInThisProcess());
        ++in_flight;
        most_in_flight = std::max(most_in_flight, in_flight);
        if (in_flight >= callers_) all_in_.notify_all();
        all_in_.wait_for(lock, std::chrono::seconds(5), [&] { return in_flight >= callers_ || released_; });
        released_ = true;  // once gathered, nobody waits again
        --in_flight;
        return test_support::Accepted(message.id);
    }

    int most_threads = 0;
    int in_flight = 0;
    int most_in_flight = 0;

private:
    const int callers_;
    bool released_ = false;
    std::mutex mutex_;
    std::condition_variable all_in_;
};

TEST_F(ProcessorTest, PassesMadeAtOnceShareAFixedPoolInsteadOfStartingThreads) {
    constexpr int kCallers = 8;
    for (int i = 0; i < kCallers * 8; ++i) Enqueue("+9198765432" + std::to_string(10 + i));
    GatheringProvider provider(kCallers);
    ThroughputOptions unlimited;
    unlimited.rate_per_second = 0;
    Dispatcher dispatcher(*store_, provider, clock_, random_, policy_, unlimited);
    ProcessorOptions options;
    options.concurrency = 2;  // a pool of one helper
    options.batch = 8;
    options.owner = "gather";
    QueueProcessor processor(*store_, dispatcher, clock_, options);
    const int before = ThreadsInThisProcess();  // the pool is made with the processor

    std::vector<std::thread> callers;
    std::vector<PassResult> passes(kCallers);
    for (int c = 0; c < kCallers; ++c) callers.emplace_back([&, c] { passes[c] = processor.RunOnce(false); });
    for (auto& caller : callers) caller.join();

    int sent = 0;
    for (const PassResult& pass : passes) sent += pass.sent;
    EXPECT_EQ(sent, kCallers * 8);
    EXPECT_GE(provider.most_in_flight, kCallers);  // every pass was sending at the same time
    // The callers' own threads, and none per call: the pool was already counted.
    EXPECT_LE(provider.most_threads, before + kCallers);
}

}  // namespace
}  // namespace notify
