// BusinessService over a real SQLite store, an injected clock and a scripted provider: the use cases
// of business-api.md, with the queue processor driven one pass at a time (no sleeps).
#include "business/business_service.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "business/local_time.h"
#include "common/errors.h"
#include "queue/dispatcher.h"
#include "queue/processor.h"
#include "support/queue_fixtures.h"
#include "support/scripted_provider.h"
#include "support/temp_sqlite_store.h"

namespace notify {
namespace {

using test_support::ScriptedProvider;

constexpr const char* kKolkata = "Asia/Kolkata";

Date D(int y, unsigned m, unsigned d) { return Date{std::chrono::year{y}, std::chrono::month{m}, std::chrono::day{d}}; }

// Wall-clock time in Kolkata on 2027-01-15 (hh:mm) as the injected clock's value.
TimeMs Ist(int hour, int minute, Date date = D(2027, 1, 15)) {
    return FromLocalTime(date, hour * 60 + minute, kKolkata);
}

class BusinessServiceTest : public ::testing::Test {
protected:
    BusinessServiceTest()
        : dispatcher_(*store_, provider_, clock_, random_, RetryPolicy{3, 1000, 8000}, ThroughputOptions{}),
          processor_(*store_, dispatcher_, clock_, test_support::TestProcessorOptions(1, 60000)),
          business_(*store_, processor_, clock_, random_, "IN") {}

    Customer AddCustomer(const std::string& phone = "+919876543210", std::string language = "en",
                         bool opted_in = true) {
        CustomerInput input;
        input.name = "Asha";
        input.phone = phone;
        input.area = "Indiranagar";
        input.language = std::move(language);
        input.whatsapp_opt_in = opted_in;
        return business_.CreateCustomer(input).row;
    }

    Subscription AddSubscription(const Customer& customer) {
        return business_.CreateSubscription(customer.id, "Milk 1L daily", D(2027, 1, 10)).row;
    }

    void SetSettings(const std::function<void(Settings&)>& change) {
        Settings settings = store_->GetSettings();
        change(settings);
        store_->PutSettings(settings);
    }

    ReplyOutcome Reply(const std::string& text, const std::string& event_id,
                       const std::string& phone = "+919876543210") {
        return business_.HandleReply(
            {WebhookEventRecord{event_id, "message.received", clock_.NowMs(), clock_.NowMs()}, phone, text});
    }

    nlohmann::json ContextOf(const std::string& message_id) {
        return nlohmann::json::parse(store_->GetMessage(message_id)->context_json);
    }

    test_support::TempSqliteStore store_{"notifyd-business"};
    ManualClock clock_{Ist(10, 0)};
    SeededRandom random_{11};
    ScriptedProvider provider_;
    Dispatcher dispatcher_;
    QueueProcessor processor_;
    BusinessService business_;
};

TEST_F(BusinessServiceTest, AnOptedInCustomerIsWelcomedAndAnotherIsNot) {
    CustomerInput input;
    input.name = "Asha";
    input.phone = "98765 43210";
    input.whatsapp_opt_in = true;
    const auto welcomed = business_.CreateCustomer(input);
    EXPECT_EQ(welcomed.row.phone, "+919876543210");
    ASSERT_TRUE(welcomed.notification.message);
    EXPECT_EQ(welcomed.notification.message->message_type, "welcome");
    EXPECT_EQ(welcomed.row.notification_id, welcomed.notification.message->id);

    input.phone = "+919812345678";
    input.whatsapp_opt_in = false;
    const auto silent = business_.CreateCustomer(input);
    EXPECT_FALSE(silent.notification.message);
    EXPECT_EQ(silent.notification.reason, NotificationReason::kCustomerNotOptedIn);
    EXPECT_EQ(store_->QueueDepth(), 1);

    input.phone = "not a phone";
    EXPECT_THROW(business_.CreateCustomer(input), Error);
}

TEST_F(BusinessServiceTest, TheCustomersLanguagePicksTheVariant) {
    const Customer hindi = AddCustomer("+919876543210", "hi");
    const auto order = business_.CreateOrder(OrderInput{hindi.id, {{"Milk 1L", 1, 6800}}, D(2027, 1, 16)});
    ASSERT_TRUE(order.notification.message);
    EXPECT_EQ(order.notification.message->language, "hi");
    const Customer english = AddCustomer("+919812345678", "en");
    const auto other = business_.CreateOrder(OrderInput{english.id, {{"Milk 1L", 1, 6800}}, D(2027, 1, 16)});
    EXPECT_EQ(other.notification.message->language, "en");
}

TEST_F(BusinessServiceTest, AnOrderSumsItsItemsInPaiseAndShowsRupees) {
    const Customer customer = AddCustomer();
    OrderInput input{customer.id, {{"Milk 1L", 15, 6800}}, D(2027, 1, 16)};
    const auto result = business_.CreateOrder(input);
    EXPECT_EQ(result.row.amount, 102000);
    ASSERT_TRUE(result.notification.message);
    const nlohmann::json context = ContextOf(result.notification.message->id);
    EXPECT_EQ(context["amount"],
              "\xE2\x82\xB9"
              "1,020.00");
    EXPECT_EQ(context["order_id"], result.row.id);
    EXPECT_EQ(context["delivery_date"], FormatDisplayDate(D(2027, 1, 16)));
    EXPECT_EQ(context["customer_name"], "Asha");
}

TEST_F(BusinessServiceTest, UnknownCustomerOrOrderIsNotFoundAndWritesNothing) {
    try {
        business_.CreateOrder(OrderInput{"cus_nobody", {{"Milk", 1, 100}}, D(2027, 1, 16)});
        FAIL();
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::kNotFound);
        EXPECT_EQ(e.field(), "customer_id");
    }
    const Customer customer = AddCustomer();
    const std::int64_t depth = store_->QueueDepth();
    try {
        business_.RecordDelivery(DeliveryInput{customer.id, std::string("ord_nothing"), D(2027, 1, 15), true, ""});
        FAIL();
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::kNotFound);
        EXPECT_EQ(e.field(), "order_id");
    }
    EXPECT_EQ(store_->QueueDepth(), depth);
    EXPECT_TRUE(store_->Business().ListDeliveries(customer.id).empty());
}

TEST_F(BusinessServiceTest, AProviderThatIsDownNeverFailsTheBusinessCall) {
    const Customer customer = AddCustomer();
    provider_.script.assign(5, test_support::Retryable(503));
    const auto payment = business_.RecordPayment(PaymentInput{customer.id, 50000, "upi", "UPI-1"});
    ASSERT_TRUE(payment.notification.message);
    processor_.RunOnce(true);
    EXPECT_TRUE(store_->Business().GetPayment(payment.row.id));
    const auto message = store_->GetMessage(payment.notification.message->id);
    EXPECT_EQ(message->status, MessageStatus::kQueued);  // waiting for its retry, not lost
    EXPECT_GE(message->attempts, 1);
}

TEST_F(BusinessServiceTest, SwitchesDecideWhetherAMessageIsWritten) {
    const Customer customer = AddCustomer();
    SetSettings([](Settings& s) { s.enabled = false; });
    auto result = business_.RecordPaymentDue(PaymentDueInput{customer.id, 25050, D(2027, 1, 20)});
    EXPECT_EQ(result.notification.reason, NotificationReason::kNotificationsDisabled);
    EXPECT_TRUE(store_->Business().GetPayment(result.row.id));  // the business write happened

    SetSettings([](Settings& s) {
        s.enabled = true;
        s.rollout_percent = 0;
    });
    result = business_.RecordPaymentDue(PaymentDueInput{customer.id, 25050, D(2027, 1, 20)});
    ASSERT_TRUE(result.notification.message);
    EXPECT_EQ(result.notification.message->status, MessageStatus::kSkippedRollout);

    SetSettings([](Settings& s) { s.rollout_percent = 100; });
    Template reminder = *store_->GetTemplate("payment_reminder");
    reminder.enabled = false;
    store_->UpdateTemplate(reminder);
    result = business_.RecordPaymentDue(PaymentDueInput{customer.id, 25050, D(2027, 1, 20)});
    EXPECT_EQ(result.notification.reason, NotificationReason::kTemplateDisabled);
}

TEST_F(BusinessServiceTest, QuietHoursHoldAReminderAcrossMidnightUntilTheyEnd) {
    const Customer customer = AddCustomer();
    SetSettings([](Settings& s) { s.quiet_hours = QuietHours{21 * 60, 7 * 60}; });
    Template reminder = *store_->GetTemplate("payment_reminder");
    reminder.quiet_hours = true;  // the seeded default; set here so the test does not depend on it
    store_->UpdateTemplate(reminder);

    clock_.Set(Ist(23, 30));
    const auto due = business_.RecordPaymentDue(PaymentDueInput{customer.id, 25050, D(2027, 1, 20)});
    const auto payment = business_.RecordPayment(PaymentInput{customer.id, 25050, "cash", ""});
    ASSERT_TRUE(due.notification.message && payment.notification.message);

    processor_.RunOnce(false);
    EXPECT_EQ(store_->GetMessage(due.notification.message->id)->status, MessageStatus::kQueued);
    EXPECT_EQ(store_->GetMessage(payment.notification.message->id)->status, MessageStatus::kSent);  // not held

    clock_.Set(Ist(6, 59, D(2027, 1, 16)));
    processor_.RunOnce(false);
    EXPECT_EQ(store_->GetMessage(due.notification.message->id)->status, MessageStatus::kQueued);
    clock_.Set(Ist(7, 0, D(2027, 1, 16)));
    processor_.RunOnce(false);
    EXPECT_EQ(store_->GetMessage(due.notification.message->id)->status, MessageStatus::kSent);
}

TEST_F(BusinessServiceTest, RolloutKeepsTheSameCustomersInsideAsItGrows) {
    std::vector<std::string> phones;
    for (int i = 0; i < 300; ++i) phones.push_back("+9198" + std::to_string(10000000 + i * 7919));
    std::map<int, std::set<std::string>> inside;
    for (int percent : {5, 25, 100}) {
        SetSettings([percent](Settings& s) { s.rollout_percent = percent; });
        for (const std::string& phone : phones) {
            EventInput event{
                "delivery.scheduled", phone, "Ravi", std::nullopt, {{"delivery_date", "16 Jan 2027"}, {"area", "HSR"}},
                std::nullopt};
            const EventResult result = business_.Publish(event);
            ASSERT_TRUE(result.notification.message);
            if (result.notification.message->status != MessageStatus::kSkippedRollout) inside[percent].insert(phone);
        }
    }
    EXPECT_TRUE(std::includes(inside[25].begin(), inside[25].end(), inside[5].begin(), inside[5].end()));
    EXPECT_EQ(inside[100].size(), phones.size());
    EXPECT_GT(inside[25].size(), 40u);  // 75 expected
    EXPECT_LT(inside[25].size(), 115u);
    EXPECT_LT(inside[5].size(), inside[25].size());
}

TEST_F(BusinessServiceTest, AnEventCreatesItsCustomerOnceAndHonoursItsIdempotencyKey) {
    EventInput event{"order.created",
                     "+919876543210",
                     "Asha",
                     std::string("hi"),
                     {{"order_id", "A-17"}, {"delivery_date", "16 Jan"}, {"amount", "₹68.00"}},
                     std::string("ord-17")};
    const EventResult first = business_.Publish(event);
    ASSERT_TRUE(first.notification.message);
    EXPECT_FALSE(first.duplicate);
    EXPECT_EQ(first.customer.source, "event");
    EXPECT_EQ(first.customer.language, "hi");
    const EventResult again = business_.Publish(event);
    EXPECT_TRUE(again.duplicate);
    EXPECT_EQ(again.notification.message->id, first.notification.message->id);
    EXPECT_EQ(again.customer.id, first.customer.id);

    event.data.erase("amount");
    event.phone = "+919812345678";
    event.idempotency_key = "ord-18";
    try {
        business_.Publish(event);
        FAIL();
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), "missing_context");
        EXPECT_EQ(e.field(), "data.amount");
        EXPECT_NE(std::string(e.what()).find("data.amount"), std::string::npos) << e.what();
    }
    EXPECT_FALSE(store_->Business().FindCustomerByPhone("+919812345678"));  // nothing written

    event.type = "order.shipped";
    EXPECT_THROW(business_.Publish(event), Error);
}

TEST_F(BusinessServiceTest, PauseRepliesActFromTheNextDeliveryDayOnEitherSideOfTheCutOff) {
    const Customer customer = AddCustomer();
    const Subscription subscription = AddSubscription(customer);

    clock_.Set(Ist(21, 59));
    ReplyOutcome outcome = Reply("Pause 3", "evt-1");
    EXPECT_EQ(outcome.inbox.action, "paused");
    auto read = store_->Business().GetSubscription(subscription.id);
    ASSERT_TRUE(read->pause);
    EXPECT_EQ(read->pause->from, D(2027, 1, 16));
    EXPECT_EQ(read->pause->until, D(2027, 1, 18));
    ASSERT_TRUE(outcome.message);
    EXPECT_EQ(outcome.message->message_type, "subscription_paused");
    EXPECT_EQ(ContextOf(outcome.message->id)["pause_from"], FormatDisplayDate(D(2027, 1, 16)));

    outcome = Reply("RESUME", "evt-2");
    EXPECT_EQ(outcome.inbox.action, "resumed");
    EXPECT_FALSE(store_->Business().GetSubscription(subscription.id)->pause);
    ASSERT_TRUE(outcome.message);
    EXPECT_EQ(outcome.message->message_type, "subscription_resumed");

    clock_.Set(Ist(22, 0));
    outcome = Reply("skip", "evt-3");
    read = store_->Business().GetSubscription(subscription.id);
    EXPECT_EQ(read->pause->from, D(2027, 1, 17));
    EXPECT_EQ(read->pause->until, D(2027, 1, 17));

    // A SKIP next to that pause joins it rather than replacing it.
    clock_.Set(Ist(21, 0, D(2027, 1, 17)));
    Reply("skip", "evt-4");
    read = store_->Business().GetSubscription(subscription.id);
    EXPECT_EQ(read->pause->from, D(2027, 1, 17));
    EXPECT_EQ(read->pause->until, D(2027, 1, 18));
}

TEST_F(BusinessServiceTest, AReplyIsConfirmedWhateverTheRolloutShare) {
    const Customer customer = AddCustomer();
    AddSubscription(customer);
    SetSettings([](Settings& s) { s.rollout_percent = 0; });
    const ReplyOutcome outcome = Reply("PAUSE 2", "evt-1");
    ASSERT_TRUE(outcome.message);
    EXPECT_EQ(outcome.message->status, MessageStatus::kQueued);
}

TEST_F(BusinessServiceTest, AnEventGivesAKnownCustomerItsNewNameAndLanguage) {
    const Customer customer = AddCustomer("+919876543210", "en");
    EventInput event{"delivery.scheduled",
                     "+919876543210",
                     "Asha Devi",
                     std::string("hi"),
                     {{"delivery_date", "16 Jan"}, {"area", "HSR"}},
                     std::nullopt};
    const EventResult result = business_.Publish(event);
    EXPECT_EQ(result.customer.id, customer.id);
    EXPECT_EQ(result.notification.message->language, "hi");
    const auto stored = store_->Business().GetCustomer(customer.id);
    EXPECT_EQ(stored->language, "hi");
    EXPECT_EQ(stored->name, "Asha Devi");
}

TEST_F(BusinessServiceTest, ADuplicateReplyIsAppliedOnce) {
    const Customer customer = AddCustomer();
    AddSubscription(customer);
    const std::int64_t before = store_->Stats(StatsQuery{}).all.total;
    EXPECT_FALSE(Reply("PAUSE 2", "evt-dup").duplicate);
    EXPECT_TRUE(Reply("PAUSE 2", "evt-dup").duplicate);
    EXPECT_EQ(store_->Stats(StatsQuery{}).all.total, before + 1);  // one confirmation
    EXPECT_EQ(store_->Business().Inbox(InboxQuery{}).items.size(), 1u);
}

TEST_F(BusinessServiceTest, HelpAndUnknownWordsAreAnsweredWithTheHelpText) {
    const Customer customer = AddCustomer("+919876543210", "hi");
    AddSubscription(customer);
    ReplyOutcome outcome = Reply("what time is delivery?", "evt-1");
    EXPECT_EQ(outcome.inbox.action, "help_sent");
    EXPECT_EQ(outcome.inbox.command, "other");
    ASSERT_TRUE(outcome.message);
    EXPECT_EQ(outcome.message->message_type, "help_reply");
    ASSERT_TRUE(outcome.message->text);
    EXPECT_EQ(*outcome.message->text, ReplyHelpText("hi"));
    EXPECT_EQ(Reply("HELP", "evt-2").inbox.command, "help");
}

TEST_F(BusinessServiceTest, ALongReplyIsKeptCutAtACharacterBoundary) {
    std::string text;
    for (int i = 0; i < 1000; ++i) text += "\xE0\xA4\xA8";  // न, three bytes each
    const ReplyOutcome outcome = Reply(text, "evt-long", "+919999999999");
    const std::string& kept = outcome.inbox.text;
    EXPECT_LE(kept.size(), 2000u);
    EXPECT_GT(kept.size(), 1990u);
    EXPECT_EQ(kept.size() % 3, 0u);  // whole characters only
    EXPECT_EQ(store_->Business().Inbox(InboxQuery{}).items.at(0).text, kept);
}

TEST_F(BusinessServiceTest, AReplyFromAnUnknownNumberChangesNothingAndIsKept) {
    const ReplyOutcome outcome = Reply("PAUSE 3", "evt-1", "+919999999999");
    EXPECT_EQ(outcome.inbox.action, "kept");
    EXPECT_FALSE(outcome.inbox.customer_id);
    EXPECT_FALSE(outcome.message);
    EXPECT_EQ(store_->Business().Inbox(InboxQuery{}).items.size(), 1u);
    EXPECT_EQ(store_->Stats(StatsQuery{}).all.total, 0);
}

TEST_F(BusinessServiceTest, ACustomerWithoutASubscriptionGetsTheHelpText) {
    AddCustomer();
    const ReplyOutcome outcome = Reply("SKIP", "evt-1");
    EXPECT_EQ(outcome.inbox.action, "help_sent");
    ASSERT_TRUE(outcome.message);
    EXPECT_TRUE(outcome.message->text);
}

TEST_F(BusinessServiceTest, StopAndStartOptTheNumberOutAndBackIn) {
    AddCustomer();
    EXPECT_EQ(Reply("STOP", "evt-1").inbox.action, "opted_out");
    EXPECT_TRUE(store_->IsOptedOut("+919876543210"));
    clock_.Advance(1000);
    EXPECT_EQ(Reply("start", "evt-2").inbox.action, "opted_in");
    EXPECT_FALSE(store_->IsOptedOut("+919876543210"));
}

TEST_F(BusinessServiceTest, ThePauseByApiIsCheckedAndConfirmed) {
    const Customer customer = AddCustomer();
    const Subscription subscription = AddSubscription(customer);
    EXPECT_THROW(business_.PauseSubscription(subscription.id, Pause{D(2027, 1, 20), D(2027, 1, 18)}), Error);
    EXPECT_THROW(business_.PauseSubscription(subscription.id, Pause{D(2027, 1, 1), D(2027, 1, 14)}), Error);
    EXPECT_THROW(business_.PauseSubscription("sub_nothing", Pause{D(2027, 1, 16), D(2027, 1, 18)}), Error);
    const auto paused = business_.PauseSubscription(subscription.id, Pause{D(2027, 1, 15), D(2027, 1, 18)});
    ASSERT_TRUE(paused.notification.message);
    EXPECT_EQ(paused.notification.message->message_type, "subscription_paused");
    EXPECT_TRUE(SubscriptionStateOn(paused.row, D(2027, 1, 15)).paused);
    EXPECT_FALSE(SubscriptionStateOn(paused.row, D(2027, 1, 19)).paused);
    EXPECT_FALSE(SubscriptionStateOn(paused.row, D(2027, 1, 19)).pause);
}

}  // namespace
}  // namespace notify
