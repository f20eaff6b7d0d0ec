// BusinessService under concurrent callers, over a real SQLite store (a ThreadSanitizer suite):
// first events for one new number racing each other make one customer, and a reply that MyOperator
// delivers several times at once is applied once.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "business/business_service.h"
#include "common/errors.h"
#include "queue/dispatcher.h"
#include "queue/processor.h"
#include "support/queue_fixtures.h"
#include "support/scripted_provider.h"
#include "support/temp_sqlite_store.h"

namespace notify {
namespace {

constexpr int kThreads = 8;

class BusinessConcurrencyTest : public ::testing::Test {
protected:
    BusinessConcurrencyTest()
        : dispatcher_(*store_, provider_, clock_, random_, RetryPolicy{3, 1000, 8000}, ThroughputOptions{}),
          processor_(*store_, dispatcher_, clock_, test_support::TestProcessorOptions(1, 60000)),
          business_(*store_, processor_, clock_, random_, "IN") {}

    // Runs body(i) on kThreads threads released together.
    void RunTogether(const std::function<void(int)>& body) {
        std::atomic<bool> go{false};
        std::vector<std::thread> threads;
        for (int i = 0; i < kThreads; ++i) {
            threads.emplace_back([&, i] {
                while (!go.load()) std::this_thread::yield();
                body(i);
            });
        }
        go = true;
        for (auto& thread : threads) thread.join();
    }

    test_support::TempSqliteStore store_{"notifyd-business-race"};
    ManualClock clock_{test_support::kStart};
    SystemRandom random_;
    test_support::ScriptedProvider provider_;
    Dispatcher dispatcher_;
    QueueProcessor processor_;
    BusinessService business_;
};

TEST_F(BusinessConcurrencyTest, FirstEventsForOneNewNumberMakeOneCustomer) {
    std::vector<std::string> customer_ids(kThreads);
    std::atomic<int> failures{0};
    RunTogether([&](int i) {
        try {
            EventInput event{
                "order.created",
                "+919876543210",
                "Asha",
                std::nullopt,
                {{"order_id", "A-" + std::to_string(i)}, {"delivery_date", "16 Jan"}, {"amount", "₹68.00"}},
                "order-" + std::to_string(i)};
            customer_ids[i] = business_.Publish(event).customer.id;
        } catch (const Error&) {
            failures.fetch_add(1);
        }
    });
    EXPECT_EQ(failures.load(), 0);
    for (const std::string& id : customer_ids) EXPECT_EQ(id, customer_ids[0]);
    EXPECT_EQ(store_->Stats(StatsQuery{}).all.total, kThreads);  // every event's message
}

TEST_F(BusinessConcurrencyTest, OneReplyDeliveredManyTimesAtOnceIsAppliedOnce) {
    CustomerInput input;
    input.name = "Asha";
    input.phone = "+919876543210";
    input.whatsapp_opt_in = true;
    const Customer customer = business_.CreateCustomer(input).row;
    business_.CreateSubscription(customer.id, "Milk",
                                 Date{std::chrono::year{2027}, std::chrono::January, std::chrono::day{1}});
    const std::int64_t before = store_->Stats(StatsQuery{}).all.total;
    std::atomic<int> applied{0};
    RunTogether([&](int) {
        const ReplyOutcome outcome =
            business_.HandleReply({WebhookEventRecord{"evt-same", "message.received", clock_.NowMs(), clock_.NowMs()},
                                   customer.phone, "PAUSE 3"});
        if (!outcome.duplicate) applied.fetch_add(1);
    });
    EXPECT_EQ(applied.load(), 1);
    EXPECT_EQ(store_->Stats(StatsQuery{}).all.total, before + 1);
    EXPECT_EQ(store_->Business().Inbox(InboxQuery{}).items.size(), 1u);
}

}  // namespace
}  // namespace notify
