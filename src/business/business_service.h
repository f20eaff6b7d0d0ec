#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "business/model.h"
#include "business/notification_rules.h"
#include "common/clock.h"
#include "common/random.h"
#include "notify/templates.h"
#include "store/business_store.h"
#include "store/store.h"

namespace notify {

class QueueProcessor;

// The message a business call caused, or why there is none.
struct Notified {
    std::optional<Message> message;
    std::optional<NotificationReason> reason;
};

template <typename Row>
struct BusinessResult {
    Row row;
    Notified notification;
    Date customer_today{};  // the customer's date at the call, in their time zone: what a row's state is as of
};

struct CustomerInput {
    std::string name;
    std::string phone;  // as given; validated here
    std::string area;
    std::string language = "en";
    bool whatsapp_opt_in = false;
    std::string time_zone = std::string(kDefaultTimeZone);
};

struct OrderInput {
    std::string customer_id;
    std::vector<OrderItem> items;
    Date delivery_date{};
};

struct PaymentInput {
    std::string customer_id;
    Paise amount = 0;
    std::string method;
    std::string reference;
};

struct PaymentDueInput {
    std::string customer_id;
    Paise amount_due = 0;
    Date due_date{};
};

struct DeliveryInput {
    std::string customer_id;
    std::optional<std::string> order_id;
    Date date{};
    bool delivered = true;
    std::string reason;
};

// POST /api/notifications/events.
struct EventInput {
    std::string type;
    std::string phone;
    std::string name;
    std::optional<std::string> language;
    Context data;
    std::optional<std::string> idempotency_key;
};

struct EventResult {
    Customer customer;
    Notified notification;
    bool duplicate = false;  // the idempotency key was seen: the first message, nothing new written
};

// A customer's reply as the webhook parsed it.
struct ReplyInput {
    WebhookEventRecord event;
    std::string phone;  // E.164
    std::string text;
};

struct ReplyOutcome {
    bool duplicate = false;
    InboxMessage inbox;
    std::optional<Message> message;  // the confirmation or help text written with it
};

// The business use cases: each validates what the store must know (the customer, the order),
// decides the message with PlanNotification, and writes the row and its message in one
// transaction (BusinessStore::WriteBusiness). Handlers parse, call one method, and answer.
class BusinessService {
public:
    BusinessService(Store& store, QueueProcessor& processor, const Clock& clock, RandomSource& random,
                    std::string default_region);

    BusinessResult<Customer> CreateCustomer(const CustomerInput& input);
    BusinessResult<Order> CreateOrder(const OrderInput& input);
    BusinessResult<Subscription> CreateSubscription(const std::string& customer_id, const std::string& plan,
                                                    Date start_date);
    BusinessResult<Subscription> PauseSubscription(const std::string& id, const Pause& pause);
    BusinessResult<Subscription> ResumeSubscription(const std::string& id);
    BusinessResult<Payment> RecordPayment(const PaymentInput& input);
    BusinessResult<Payment> RecordPaymentDue(const PaymentDueInput& input);
    BusinessResult<Delivery> RecordDelivery(const DeliveryInput& input);

    EventResult Publish(const EventInput& input);
    ReplyOutcome HandleReply(const ReplyInput& input);

    // Reads; not_found naming `field` when absent.
    Customer RequireCustomer(const std::string& id, const std::string& field);
    Subscription RequireSubscription(const std::string& id);
    // Today in the customer's time zone.
    Date TodayFor(const std::string& customer_id);
    Date TodayIn(std::string_view time_zone) const;

    BusinessStore& rows() { return business_; }

private:
    // Plans, builds and writes `change` with the template's message for `customer`.
    // `settings` is read once per call by the caller and passed down, so one call sees one version of them.
    template <typename Row, typename Change>
    BusinessResult<Row> Write(const Settings& settings, Row row, Change change, const Customer& customer,
                              std::string_view template_name, Context context,
                              std::optional<std::string> idempotency_key = std::nullopt);
    std::optional<OutboxMessage> PlanMessage(const Settings& settings, const Customer& customer,
                                             std::string_view template_name, Context context,
                                             std::optional<std::string> idempotency_key, Notified& notified,
                                             bool apply_rollout = true);
    Notified Settle(const std::optional<OutboxMessage>& planned, const BusinessWriteResult& written, Notified notified);
    std::string NewId(std::string_view prefix);
    Payment NewPaymentRow(const Customer& customer, Payment::Kind kind, Paise amount);

    Store& store_;
    BusinessStore& business_;
    QueueProcessor& processor_;
    const Clock& clock_;
    RandomSource& random_;
    std::string default_region_;
};

}  // namespace notify
