#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "business/model.h"
#include "store/store.h"

namespace notify {

// The message a business write causes, written in the same transaction (the outbox): due at
// next_attempt_at (later than now while quiet hours hold it), or stored with a final status
// (skipped_rollout) and no queue entry. The rules of Store::Enqueue apply (opt-out, idempotency key).
struct OutboxMessage {
    Message message;
    TimeMs next_attempt_at = 0;
};

// What one business write changes. The row's notification_id is set by the store to the message
// it writes with it.
struct NewCustomer {
    Customer customer;
};
struct NewOrder {
    Order order;
};
struct NewSubscription {
    Subscription subscription;
};
// Replaces the subscription's pause (nullopt: none) as of `at`.
struct SubscriptionPauseChange {
    std::string subscription_id;
    std::optional<Pause> pause;
    TimeMs at = 0;
};
struct NewPayment {
    Payment payment;
};
struct NewDelivery {
    Delivery delivery;
};
// A customer's reply: recorded under its webhook event id first, so that a second delivery of the
// same event changes nothing. With pause_change, the subscription's pause is replaced; with opt_out,
// the number's opt-out is set as of the event's time.
struct ReplyReceived {
    WebhookEventRecord event;
    InboxMessage inbox;
    std::optional<SubscriptionPauseChange> pause_change;
    std::optional<OptOutChange> opt_out;
};
// An event from a backend that keeps its own rows (POST /api/notifications/events): its message, and
// the known customer's name and language when the event gives new ones.
struct EventMessage {
    std::string customer_id;
    std::optional<std::string> name;
    std::optional<std::string> language;
};
using BusinessChange = std::variant<NewCustomer, NewOrder, NewSubscription, SubscriptionPauseChange, NewPayment,
                                    NewDelivery, ReplyReceived, EventMessage>;

struct BusinessWriteResult {
    bool duplicate = false;                     // a ReplyReceived whose event was seen: nothing written
    std::optional<EnqueueResult> notification;  // the message, when one was given and written
};

enum class BusinessKind { kCustomer, kOrder, kSubscription, kPayment, kDelivery };

// The business API's persistence: one write method for every change and its message, and reads.
// Failures to reach the database throw StoreUnavailable. A NewCustomer whose phone is taken throws
// Error(kConflict, "customer_exists", field "phone"); a SubscriptionPauseChange for an unknown id
// throws not_found; then nothing was written.
class BusinessStore {
public:
    virtual ~BusinessStore() = default;

    virtual BusinessWriteResult WriteBusiness(const BusinessChange& change,
                                              const std::optional<OutboxMessage>& notification) = 0;

    virtual std::optional<Customer> GetCustomer(std::string_view id) = 0;
    virtual std::optional<Customer> FindCustomerByPhone(std::string_view e164) = 0;
    virtual std::optional<Order> GetOrder(std::string_view id) = 0;
    virtual std::optional<Subscription> GetSubscription(std::string_view id) = 0;
    virtual std::optional<Payment> GetPayment(std::string_view id) = 0;
    virtual std::optional<Delivery> GetDelivery(std::string_view id) = 0;

    // A customer's rows, oldest first.
    virtual std::vector<Order> ListOrders(std::string_view customer_id) = 0;
    virtual std::vector<Subscription> ListSubscriptions(std::string_view customer_id) = 0;
    virtual std::vector<Payment> ListPayments(std::string_view customer_id) = 0;
    virtual std::vector<Delivery> ListDeliveries(std::string_view customer_id) = 0;

    // Replies, newest first.
    virtual InboxPage Inbox(const InboxQuery& query) = 0;
};

}  // namespace notify
