// The business store's contract (src/store/business_store.h), through the public interface only, for
// every store in StoreFixtures: each business row and the message it causes are written in one
// transaction (the outbox), both or neither.
#include "store/business_store.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "common/errors.h"
#include "store_fixtures.h"
#include "store_test_support.h"

namespace notify::store_test {
namespace {

Date D(int y, unsigned m, unsigned d) { return Date{std::chrono::year{y}, std::chrono::month{m}, std::chrono::day{d}}; }

Customer MakeCustomer(const std::string& id, const std::string& phone) {
    Customer customer;
    customer.id = id;
    customer.name = "Asha";
    customer.phone = phone;
    customer.area = "Indiranagar";
    customer.language = "hi";
    customer.whatsapp_opt_in = true;
    customer.created_at = kT0;
    return customer;
}

OutboxMessage Outbox(const std::string& id, const std::string& type, TimeMs due = kT0) {
    return OutboxMessage{MakeMessage(id, kT0, type), due};
}

WebhookEventRecord Event(const std::string& id) { return WebhookEventRecord{id, "message.received", kT0, kT0}; }

template <typename Fixture>
class BusinessStoreTest : public ::testing::Test {
protected:
    void SetUp() override {
        store_ = Fixture::Open(dir_.path());
        rows_ = &store_->Business();
    }

    Customer AddCustomer(const std::string& id, const std::string& phone = kPhone1) {
        const Customer customer = MakeCustomer(id, phone);
        rows_->WriteBusiness(NewCustomer{customer}, std::nullopt);
        return customer;
    }

    TempDir dir_;
    std::unique_ptr<Store> store_;
    BusinessStore* rows_ = nullptr;
};

TYPED_TEST_SUITE(BusinessStoreTest, StoreFixtures, StoreFixtureNames);

TYPED_TEST(BusinessStoreTest, ACustomerAndItsWelcomeAreWrittenTogether) {
    const BusinessWriteResult result =
        this->rows_->WriteBusiness(NewCustomer{MakeCustomer("cus_1", kPhone1)}, Outbox("m1", "welcome"));
    ASSERT_TRUE(result.notification);
    EXPECT_TRUE(result.notification->created);
    const auto customer = this->rows_->GetCustomer("cus_1");
    ASSERT_TRUE(customer);
    EXPECT_EQ(customer->phone, kPhone1);
    EXPECT_EQ(customer->language, "hi");
    EXPECT_EQ(customer->notification_id, "m1");
    EXPECT_EQ(this->rows_->FindCustomerByPhone(kPhone1)->id, "cus_1");
    EXPECT_FALSE(this->rows_->FindCustomerByPhone(kPhone2));
    const auto message = this->store_->GetMessage("m1");
    ASSERT_TRUE(message);
    EXPECT_EQ(message->status, MessageStatus::kQueued);
    EXPECT_EQ(this->store_->QueueDepth(), 1);
}

TYPED_TEST(BusinessStoreTest, AFailedBusinessWriteLeavesNoMessage) {
    this->AddCustomer("cus_1", kPhone1);
    try {
        this->rows_->WriteBusiness(NewCustomer{MakeCustomer("cus_2", kPhone1)}, Outbox("m2", "welcome"));
        FAIL() << "a second customer with the same phone was written";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), "customer_exists");
        EXPECT_EQ(e.field(), "phone");
    }
    EXPECT_FALSE(this->store_->GetMessage("m2"));
    EXPECT_FALSE(this->rows_->GetCustomer("cus_2"));
    EXPECT_EQ(this->store_->QueueDepth(), 0);

    // A pause of a subscription that does not exist: not_found, and its message is not kept either.
    EXPECT_THROW(
        this->rows_->WriteBusiness(SubscriptionPauseChange{"sub_missing", Pause{D(2026, 1, 2), D(2026, 1, 3)}, kT0},
                                   Outbox("m3", "subscription_paused")),
        Error);
    EXPECT_FALSE(this->store_->GetMessage("m3"));
}

TYPED_TEST(BusinessStoreTest, OrdersKeepItemsAndExactAmounts) {
    this->AddCustomer("cus_1");
    Order order;
    order.id = "ord_1";
    order.customer_id = "cus_1";
    order.items = {{"Milk 1L", 30, 6800}, {"Paneer 200g", 1, 9000}};
    order.amount = 30 * 6800 + 9000;
    order.delivery_date = D(2026, 1, 28);
    order.created_at = kT0;
    this->rows_->WriteBusiness(NewOrder{order}, Outbox("m1", "order_confirmation"));
    const auto read = this->rows_->GetOrder("ord_1");
    ASSERT_TRUE(read);
    EXPECT_EQ(read->amount, 213000);
    ASSERT_EQ(read->items.size(), 2u);
    EXPECT_EQ(read->items[0].name, "Milk 1L");
    EXPECT_EQ(read->items[0].quantity, 30);
    EXPECT_EQ(read->items[0].unit_price, 6800);
    EXPECT_EQ(read->delivery_date, D(2026, 1, 28));
    EXPECT_EQ(read->notification_id, "m1");
    EXPECT_EQ(this->rows_->ListOrders("cus_1").size(), 1u);
    EXPECT_TRUE(this->rows_->ListOrders("cus_other").empty());
}

TYPED_TEST(BusinessStoreTest, SubscriptionPausesAreReplacedAndCleared) {
    this->AddCustomer("cus_1");
    Subscription subscription;
    subscription.id = "sub_1";
    subscription.customer_id = "cus_1";
    subscription.plan = "Milk 1L daily";
    subscription.start_date = D(2026, 1, 1);
    subscription.created_at = kT0;
    subscription.updated_at = kT0;
    this->rows_->WriteBusiness(NewSubscription{subscription}, std::nullopt);
    EXPECT_FALSE(this->rows_->GetSubscription("sub_1")->pause);
    EXPECT_FALSE(this->rows_->GetSubscription("sub_1")->notification_id);

    this->rows_->WriteBusiness(SubscriptionPauseChange{"sub_1", Pause{D(2026, 1, 5), D(2026, 1, 7)}, kT0 + 1},
                               Outbox("m1", "subscription_paused"));
    auto read = this->rows_->GetSubscription("sub_1");
    ASSERT_TRUE(read->pause);
    EXPECT_EQ(read->pause->from, D(2026, 1, 5));
    EXPECT_EQ(read->pause->until, D(2026, 1, 7));
    EXPECT_EQ(read->notification_id, "m1");
    EXPECT_EQ(read->updated_at, kT0 + 1);

    // Without a message the last one stays the row's notification.
    this->rows_->WriteBusiness(SubscriptionPauseChange{"sub_1", std::nullopt, kT0 + 2}, std::nullopt);
    read = this->rows_->GetSubscription("sub_1");
    EXPECT_FALSE(read->pause);
    EXPECT_EQ(read->notification_id, "m1");
    EXPECT_EQ(this->rows_->ListSubscriptions("cus_1").size(), 1u);
}

TYPED_TEST(BusinessStoreTest, PaymentsAndDeliveriesRoundTrip) {
    this->AddCustomer("cus_1");
    Payment received;
    received.id = "pay_1";
    received.customer_id = "cus_1";
    received.amount = 102050;
    received.method = "upi";
    received.reference = "UPI-778";
    received.created_at = kT0;
    Payment due = received;
    due.id = "pay_2";
    due.kind = Payment::Kind::kDue;
    due.method.clear();
    due.reference.clear();
    due.due_date = D(2026, 2, 5);
    due.created_at = kT0 + 1;
    this->rows_->WriteBusiness(NewPayment{received}, Outbox("m1", "payment_received"));
    this->rows_->WriteBusiness(NewPayment{due}, Outbox("m2", "payment_reminder"));
    const auto payments = this->rows_->ListPayments("cus_1");
    ASSERT_EQ(payments.size(), 2u);
    EXPECT_EQ(payments[0].kind, Payment::Kind::kReceived);
    EXPECT_EQ(payments[0].reference, "UPI-778");
    EXPECT_EQ(payments[1].kind, Payment::Kind::kDue);
    EXPECT_EQ(payments[1].due_date, D(2026, 2, 5));
    EXPECT_EQ(this->rows_->GetPayment("pay_2")->amount, 102050);

    Delivery missed;
    missed.id = "dlv_1";
    missed.customer_id = "cus_1";
    missed.date = D(2026, 1, 28);
    missed.delivered = false;
    missed.reason = "gate locked";
    missed.created_at = kT0;
    this->rows_->WriteBusiness(NewDelivery{missed}, Outbox("m3", "delivery_missed"));
    const auto read = this->rows_->GetDelivery("dlv_1");
    ASSERT_TRUE(read);
    EXPECT_FALSE(read->delivered);
    EXPECT_EQ(read->reason, "gate locked");
    EXPECT_FALSE(read->order_id);
    EXPECT_EQ(read->notification_id, "m3");
    EXPECT_EQ(this->rows_->ListDeliveries("cus_1").size(), 1u);
}

TYPED_TEST(BusinessStoreTest, AReplyIsAppliedOnceHoweverOftenItArrives) {
    this->AddCustomer("cus_1");
    Subscription subscription;
    subscription.id = "sub_1";
    subscription.customer_id = "cus_1";
    subscription.plan = "Milk";
    subscription.start_date = D(2026, 1, 1);
    this->rows_->WriteBusiness(NewSubscription{subscription}, std::nullopt);

    ReplyReceived reply;
    reply.event = Event("evt-1");
    reply.inbox.id = "rpl_1";
    reply.inbox.event_id = "evt-1";
    reply.inbox.phone = kPhone1;
    reply.inbox.customer_id = "cus_1";
    reply.inbox.text = "PAUSE 3";
    reply.inbox.command = "pause";
    reply.inbox.action = "paused";
    reply.inbox.received_at = kT0;
    reply.pause_change = SubscriptionPauseChange{"sub_1", Pause{D(2026, 1, 5), D(2026, 1, 7)}, kT0};
    const BusinessWriteResult first = this->rows_->WriteBusiness(reply, Outbox("m1", "subscription_paused"));
    EXPECT_FALSE(first.duplicate);
    ASSERT_TRUE(first.notification);

    reply.inbox.id = "rpl_2";  // the same event again, as MyOperator's retry would bring it
    reply.pause_change->pause = Pause{D(2026, 1, 9), D(2026, 1, 9)};
    const BusinessWriteResult second = this->rows_->WriteBusiness(reply, Outbox("m2", "subscription_paused"));
    EXPECT_TRUE(second.duplicate);
    EXPECT_FALSE(second.notification);
    EXPECT_FALSE(this->store_->GetMessage("m2"));
    EXPECT_EQ(this->rows_->GetSubscription("sub_1")->pause->from, D(2026, 1, 5));
    const InboxPage page = this->rows_->Inbox(InboxQuery{});
    ASSERT_EQ(page.items.size(), 1u);
    EXPECT_EQ(page.items[0].id, "rpl_1");
    EXPECT_EQ(page.items[0].notification_id, "m1");
}

TYPED_TEST(BusinessStoreTest, AStopReplySetsTheOptOutInItsTransaction) {
    ReplyReceived reply;
    reply.event = Event("evt-stop");
    reply.inbox = {"rpl_1", "evt-stop", kPhone2, std::nullopt, "STOP", "stop", "opted_out", "", std::nullopt, kT0, 0};
    reply.opt_out = OptOutChange{kPhone2, true};
    this->rows_->WriteBusiness(reply, std::nullopt);
    EXPECT_TRUE(this->store_->IsOptedOut(kPhone2));
    EXPECT_FALSE(this->store_->IsOptedOut(kPhone1));
}

TYPED_TEST(BusinessStoreTest, TheInboxPagesNewestFirst) {
    for (int i = 0; i < 5; ++i) {
        ReplyReceived reply;
        const std::string n = std::to_string(i);
        reply.event = Event("evt-" + n);
        reply.inbox = {"rpl_" + n,   "evt-" + n,     kPhone1, std::nullopt, "hello " + n, "other", "kept", "",
                       std::nullopt, kT0 + i * 1000, 0};
        this->rows_->WriteBusiness(reply, std::nullopt);
    }
    InboxQuery query;
    query.limit = 2;
    InboxPage page = this->rows_->Inbox(query);
    ASSERT_EQ(page.items.size(), 2u);
    EXPECT_EQ(page.items[0].id, "rpl_4");
    EXPECT_EQ(page.items[1].id, "rpl_3");
    ASSERT_TRUE(page.next_before_seq);
    query.before_seq = page.next_before_seq;
    page = this->rows_->Inbox(query);
    EXPECT_EQ(page.items[0].id, "rpl_2");
    query.before_seq.reset();
    query.since = kT0 + 3000;
    query.limit = 50;
    page = this->rows_->Inbox(query);
    EXPECT_EQ(page.items.size(), 2u);
    EXPECT_FALSE(page.next_before_seq);
}

TYPED_TEST(BusinessStoreTest, ASkippedRolloutMessageIsKeptWithoutAQueueEntry) {
    OutboxMessage outbox = Outbox("m1", "welcome");
    outbox.message.status = MessageStatus::kSkippedRollout;
    const BusinessWriteResult result = this->rows_->WriteBusiness(NewCustomer{MakeCustomer("cus_1", kPhone1)}, outbox);
    ASSERT_TRUE(result.notification);
    EXPECT_EQ(result.notification->message.status, MessageStatus::kSkippedRollout);
    EXPECT_EQ(this->store_->QueueDepth(), 0);
}

TYPED_TEST(BusinessStoreTest, AMessageHeldByQuietHoursIsNotDueBeforeItsTime) {
    this->rows_->WriteBusiness(NewCustomer{MakeCustomer("cus_1", kPhone1)},
                               Outbox("m1", "delivery_reminder", kT0 + 3'600'000));
    EXPECT_TRUE(this->store_->ClaimDue(kT0 + 1000, 10, Lease{"w", kT0 + 60'000}, false).empty());
    EXPECT_EQ(this->store_->ClaimDue(kT0 + 3'600'000, 10, Lease{"w", kT0 + 3'700'000}, false).size(), 1u);
}

}  // namespace
}  // namespace notify::store_test
