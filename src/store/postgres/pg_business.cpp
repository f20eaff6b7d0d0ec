// PostgresBusinessStore: the business rows (business-api.md), each change written in one transaction
// with the message it causes (PgEnqueueOne, the same routine as POST /send-message).
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "business/local_time.h"
#include "common/errors.h"
#include "store/business_store.h"
#include "store/postgres/pg_connection.h"
#include "store/postgres/pg_rows.h"
#include "store/postgres/pg_store.h"

namespace notify {
namespace {

constexpr const char* kInsertCustomer =
    "INSERT INTO customers (id, name, phone, area, language, whatsapp_opt_in, time_zone, source, notification_id,"
    " created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
constexpr const char* kSelectCustomerById =
    "SELECT id, name, phone, area, language, whatsapp_opt_in, time_zone, source, notification_id, created_at"
    " FROM customers WHERE id = $1";
constexpr const char* kSelectCustomerByPhone =
    "SELECT id, name, phone, area, language, whatsapp_opt_in, time_zone, source, notification_id, created_at"
    " FROM customers WHERE phone = $1";
constexpr const char* kUpdateCustomerFromEvent =
    "UPDATE customers SET name = COALESCE($2, name), language = COALESCE($3, language) WHERE id = $1";
constexpr const char* kCustomerPhoneTaken = "SELECT 1 FROM customers WHERE phone = $1";

constexpr const char* kInsertOrder =
    "INSERT INTO orders (id, customer_id, items, amount, delivery_date, notification_id, created_at)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7)";
constexpr const char* kSelectOrderById =
    "SELECT id, customer_id, items, amount, delivery_date, notification_id, created_at FROM orders WHERE id = $1";
constexpr const char* kSelectOrdersOfCustomer =
    "SELECT id, customer_id, items, amount, delivery_date, notification_id, created_at FROM orders"
    " WHERE customer_id = $1 ORDER BY created_at, id COLLATE \"C\"";

constexpr const char* kInsertSubscription =
    "INSERT INTO subscriptions (id, customer_id, plan, start_date, pause_from, pause_until, notification_id,"
    " created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
constexpr const char* kUpdateSubscriptionPause =
    "UPDATE subscriptions SET pause_from = $2, pause_until = $3, notification_id = COALESCE($4, notification_id),"
    " updated_at = $5 WHERE id = $1";
constexpr const char* kSelectSubscriptionById =
    "SELECT id, customer_id, plan, start_date, pause_from, pause_until, notification_id, created_at, updated_at"
    " FROM subscriptions WHERE id = $1";
constexpr const char* kSelectSubscriptionsOfCustomer =
    "SELECT id, customer_id, plan, start_date, pause_from, pause_until, notification_id, created_at, updated_at"
    " FROM subscriptions WHERE customer_id = $1 ORDER BY created_at, id COLLATE \"C\"";

constexpr const char* kInsertPayment =
    "INSERT INTO payments (id, customer_id, kind, amount, method, reference, due_date, notification_id, created_at)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)";
constexpr const char* kSelectPaymentById =
    "SELECT id, customer_id, kind, amount, method, reference, due_date, notification_id, created_at FROM payments"
    " WHERE id = $1";
constexpr const char* kSelectPaymentsOfCustomer =
    "SELECT id, customer_id, kind, amount, method, reference, due_date, notification_id, created_at FROM payments"
    " WHERE customer_id = $1 ORDER BY created_at, id COLLATE \"C\"";

constexpr const char* kInsertDelivery =
    "INSERT INTO deliveries (id, customer_id, order_id, date, status, reason, notification_id, created_at)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
constexpr const char* kSelectDeliveryById =
    "SELECT id, customer_id, order_id, date, status, reason, notification_id, created_at FROM deliveries"
    " WHERE id = $1";
constexpr const char* kSelectDeliveriesOfCustomer =
    "SELECT id, customer_id, order_id, date, status, reason, notification_id, created_at FROM deliveries"
    " WHERE customer_id = $1 ORDER BY created_at, id COLLATE \"C\"";

constexpr const char* kInsertInbox =
    "INSERT INTO inbox_messages (id, event_id, phone, customer_id, text, command, action, detail, notification_id,"
    " received_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";
constexpr const char* kSelectInbox =
    "SELECT seq, id, event_id, phone, customer_id, text, command, action, detail, notification_id, received_at"
    " FROM inbox_messages WHERE ($1::bigint IS NULL OR received_at >= $1::bigint)"
    " AND ($2::bigint IS NULL OR seq < $2::bigint)"
    " ORDER BY seq DESC LIMIT $3";

// Dates are stored as their ISO text, as in the SQLite store.
Date DateColumn(const PgResult& r, int row, int column, std::string_view operation) {
    const std::string text = r.Text(row, column);
    auto date = ParseIsoDate(text);
    if (!date) ThrowPgUnavailable(operation, "a stored date is not YYYY-MM-DD: '" + text + "'");
    return *date;
}

std::optional<Date> OptDateColumn(const PgResult& r, int row, int column, std::string_view operation) {
    if (r.IsNull(row, column)) return std::nullopt;
    return DateColumn(r, row, column, operation);
}

PgParams& OptDate(PgParams& params, const std::optional<Date>& date) {
    return date ? params.Text(FormatIsoDate(*date)) : params.Null();
}

Customer ReadCustomer(const PgResult& r, int row, std::string_view) {
    Customer customer;
    customer.id = r.Text(row, 0);
    customer.name = r.Text(row, 1);
    customer.phone = r.Text(row, 2);
    customer.area = r.Text(row, 3);
    customer.language = r.Text(row, 4);
    customer.whatsapp_opt_in = r.Bool(row, 5);
    customer.time_zone = r.Text(row, 6);
    customer.source = r.Text(row, 7);
    customer.notification_id = r.OptText(row, 8);
    customer.created_at = r.Int(row, 9);
    return customer;
}

std::string ItemsToJson(const std::vector<OrderItem>& items) {
    nlohmann::json array = nlohmann::json::array();
    for (const OrderItem& item : items) {
        array.push_back({{"name", item.name}, {"quantity", item.quantity}, {"unit_price", item.unit_price}});
    }
    return array.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::vector<OrderItem> ItemsFromJson(const std::string& text, std::string_view operation) {
    const nlohmann::json array = nlohmann::json::parse(text, nullptr, false);
    if (!array.is_array()) ThrowPgUnavailable(operation, "an order's stored items are not a JSON array");
    std::vector<OrderItem> items;
    for (const nlohmann::json& item : array) {
        if (!item.is_object() || !item.contains("name") || !item.contains("quantity") || !item.contains("unit_price")) {
            ThrowPgUnavailable(operation, "an order's stored item lacks name, quantity or unit_price");
        }
        items.push_back(
            {item["name"].get<std::string>(), item["quantity"].get<std::int64_t>(), item["unit_price"].get<Paise>()});
    }
    return items;
}

Order ReadOrder(const PgResult& r, int row, std::string_view operation) {
    Order order;
    order.id = r.Text(row, 0);
    order.customer_id = r.Text(row, 1);
    order.items = ItemsFromJson(r.Text(row, 2), operation);
    order.amount = r.Int(row, 3);
    order.delivery_date = DateColumn(r, row, 4, operation);
    order.notification_id = r.OptText(row, 5);
    order.created_at = r.Int(row, 6);
    return order;
}

Subscription ReadSubscription(const PgResult& r, int row, std::string_view operation) {
    Subscription subscription;
    subscription.id = r.Text(row, 0);
    subscription.customer_id = r.Text(row, 1);
    subscription.plan = r.Text(row, 2);
    subscription.start_date = DateColumn(r, row, 3, operation);
    const auto from = OptDateColumn(r, row, 4, operation);
    const auto until = OptDateColumn(r, row, 5, operation);
    if (from && until) subscription.pause = Pause{*from, *until};
    subscription.notification_id = r.OptText(row, 6);
    subscription.created_at = r.Int(row, 7);
    subscription.updated_at = r.Int(row, 8);
    return subscription;
}

Payment ReadPayment(const PgResult& r, int row, std::string_view operation) {
    Payment payment;
    payment.id = r.Text(row, 0);
    payment.customer_id = r.Text(row, 1);
    payment.kind = r.View(row, 2) == "due" ? Payment::Kind::kDue : Payment::Kind::kReceived;
    payment.amount = r.Int(row, 3);
    payment.method = r.Text(row, 4);
    payment.reference = r.Text(row, 5);
    payment.due_date = OptDateColumn(r, row, 6, operation);
    payment.notification_id = r.OptText(row, 7);
    payment.created_at = r.Int(row, 8);
    return payment;
}

Delivery ReadDelivery(const PgResult& r, int row, std::string_view operation) {
    Delivery delivery;
    delivery.id = r.Text(row, 0);
    delivery.customer_id = r.Text(row, 1);
    delivery.order_id = r.OptText(row, 2);
    delivery.date = DateColumn(r, row, 3, operation);
    delivery.delivered = r.View(row, 4) == "delivered";
    delivery.reason = r.Text(row, 5);
    delivery.notification_id = r.OptText(row, 6);
    delivery.created_at = r.Int(row, 7);
    return delivery;
}

InboxMessage ReadInbox(const PgResult& r, int row, std::string_view) {
    InboxMessage inbox;
    inbox.seq = r.Int(row, 0);
    inbox.id = r.Text(row, 1);
    inbox.event_id = r.Text(row, 2);
    inbox.phone = r.Text(row, 3);
    inbox.customer_id = r.OptText(row, 4);
    inbox.text = r.Text(row, 5);
    inbox.command = r.Text(row, 6);
    inbox.action = r.Text(row, 7);
    inbox.detail = r.Text(row, 8);
    inbox.notification_id = r.OptText(row, 9);
    inbox.received_at = r.Int(row, 10);
    return inbox;
}

template <typename Row, typename ReadRow>
std::optional<Row> SelectOne(PgPool& pool, const char* sql, std::string_view key, ReadRow read,
                             std::string_view operation) {
    return PgRead(pool, [&](PgConnection& c) -> std::optional<Row> {
        const PgResult r = c.Run(sql, PgParams().Text(key), operation);
        if (r.Rows() == 0) return std::nullopt;
        return read(r, 0, operation);
    });
}

template <typename Row, typename ReadRow>
std::vector<Row> SelectAll(PgPool& pool, const char* sql, std::string_view key, ReadRow read,
                           std::string_view operation) {
    return PgRead(pool, [&](PgConnection& c) {
        const PgResult r = c.Run(sql, PgParams().Text(key), operation);
        std::vector<Row> rows;
        for (int i = 0; i < r.Rows(); ++i) rows.push_back(read(r, i, operation));
        return rows;
    });
}

[[noreturn]] void ThrowCustomerExists() {
    throw Error(ErrorKind::kConflict, "customer_exists", "a customer with this phone number exists", "phone");
}

// Writes one change; `notification_id` is the message written with it, when there is one.
class ChangeWriter {
public:
    ChangeWriter(PgConnection& c, const std::optional<std::string>& notification_id, std::string_view operation)
        : c_(c), notification_id_(notification_id), operation_(operation) {}

    void operator()(const NewCustomer& change) {
        const Customer& customer = change.customer;
        if (c_.Run(kCustomerPhoneTaken, PgParams().Text(customer.phone), operation_).Rows() > 0) ThrowCustomerExists();
        PgParams params;
        params.Text(customer.id)
            .Text(customer.name)
            .Text(customer.phone)
            .Text(customer.area)
            .Text(customer.language)
            .Bool(customer.whatsapp_opt_in)
            .Text(customer.time_zone)
            .Text(customer.source)
            .OptText(notification_id_)
            .Int(customer.created_at);
        try {
            c_.Run(kInsertCustomer, params, operation_);
        } catch (const PgStatementError& error) {
            // Another transaction took the phone after the check above: the same conflict.
            if (error.sqlstate() == kUniqueViolation && error.constraint() == "customers_phone_unique") {
                ThrowCustomerExists();
            }
            throw;
        }
    }

    void operator()(const NewOrder& change) {
        const Order& order = change.order;
        c_.Run(kInsertOrder,
               PgParams()
                   .Text(order.id)
                   .Text(order.customer_id)
                   .Text(ItemsToJson(order.items))
                   .Int(order.amount)
                   .Text(FormatIsoDate(order.delivery_date))
                   .OptText(notification_id_)
                   .Int(order.created_at),
               operation_);
    }

    void operator()(const NewSubscription& change) {
        const Subscription& subscription = change.subscription;
        PgParams params;
        params.Text(subscription.id)
            .Text(subscription.customer_id)
            .Text(subscription.plan)
            .Text(FormatIsoDate(subscription.start_date));
        OptDate(params, subscription.pause ? std::optional<Date>(subscription.pause->from) : std::nullopt);
        OptDate(params, subscription.pause ? std::optional<Date>(subscription.pause->until) : std::nullopt);
        params.OptText(notification_id_).Int(subscription.created_at).Int(subscription.updated_at);
        c_.Run(kInsertSubscription, params, operation_);
    }

    void operator()(const SubscriptionPauseChange& change) {
        PgParams params;
        params.Text(change.subscription_id);
        OptDate(params, change.pause ? std::optional<Date>(change.pause->from) : std::nullopt);
        OptDate(params, change.pause ? std::optional<Date>(change.pause->until) : std::nullopt);
        params.OptText(notification_id_).Int(change.at);
        if (c_.Run(kUpdateSubscriptionPause, params, operation_).Affected() == 0) {
            throw Error(ErrorKind::kNotFound, "not_found", "no subscription with id " + change.subscription_id);
        }
    }

    void operator()(const NewPayment& change) {
        const Payment& payment = change.payment;
        PgParams params;
        params.Text(payment.id)
            .Text(payment.customer_id)
            .Text(payment.kind == Payment::Kind::kDue ? "due" : "received")
            .Int(payment.amount)
            .Text(payment.method)
            .Text(payment.reference);
        OptDate(params, payment.due_date);
        params.OptText(notification_id_).Int(payment.created_at);
        c_.Run(kInsertPayment, params, operation_);
    }

    void operator()(const NewDelivery& change) {
        const Delivery& delivery = change.delivery;
        c_.Run(kInsertDelivery,
               PgParams()
                   .Text(delivery.id)
                   .Text(delivery.customer_id)
                   .OptText(delivery.order_id)
                   .Text(FormatIsoDate(delivery.date))
                   .Text(delivery.delivered ? "delivered" : "missed")
                   .Text(delivery.reason)
                   .OptText(notification_id_)
                   .Int(delivery.created_at),
               operation_);
    }

    void operator()(const ReplyReceived& change) {
        if (change.pause_change) (*this)(*change.pause_change);
        if (change.opt_out) {
            PgUpsertOptOut(c_, change.opt_out->phone, change.opt_out->opted_out,
                           change.event.occurred_at.value_or(change.event.received_at), operation_);
        }
        const InboxMessage& inbox = change.inbox;
        c_.Run(kInsertInbox,
               PgParams()
                   .Text(inbox.id)
                   .Text(inbox.event_id)
                   .Text(inbox.phone)
                   .OptText(inbox.customer_id)
                   .Text(inbox.text)
                   .Text(inbox.command)
                   .Text(inbox.action)
                   .Text(inbox.detail)
                   .OptText(notification_id_)
                   .Int(inbox.received_at),
               operation_);
    }

    void operator()(const EventMessage& change) {
        if (!change.name && !change.language) return;
        c_.Run(kUpdateCustomerFromEvent,
               PgParams().Text(change.customer_id).OptText(change.name).OptText(change.language), operation_);
    }

private:
    PgConnection& c_;
    const std::optional<std::string>& notification_id_;
    std::string_view operation_;
};

}  // namespace

BusinessWriteResult PostgresBusinessStore::WriteBusiness(const BusinessChange& change,
                                                         const std::optional<OutboxMessage>& notification) {
    constexpr const char* kOperation = "business write";
    return PgWrite(pool_, kOperation, [&](PgConnection& c) {
        BusinessWriteResult result;
        // A reply claims its event id before anything else: a second delivery stops here.
        if (const auto* reply = std::get_if<ReplyReceived>(&change)) {
            if (!PgInsertWebhookEvent(c, reply->event, {}, "applied", kOperation)) {
                result.duplicate = true;
                return result;
            }
        }
        std::optional<std::string> notification_id;
        if (notification) {
            result.notification =
                PgEnqueueOne(c, notification->message, notification->next_attempt_at, std::nullopt, kOperation);
            notification_id = result.notification->message.id;
        }
        std::visit(ChangeWriter(c, notification_id, kOperation), change);
        return result;
    });
}

std::optional<Customer> PostgresBusinessStore::GetCustomer(std::string_view id) {
    return SelectOne<Customer>(pool_, kSelectCustomerById, id, ReadCustomer, "get customer");
}

std::optional<Customer> PostgresBusinessStore::FindCustomerByPhone(std::string_view e164) {
    return SelectOne<Customer>(pool_, kSelectCustomerByPhone, e164, ReadCustomer, "find customer by phone");
}

std::optional<Order> PostgresBusinessStore::GetOrder(std::string_view id) {
    return SelectOne<Order>(pool_, kSelectOrderById, id, ReadOrder, "get order");
}

std::optional<Subscription> PostgresBusinessStore::GetSubscription(std::string_view id) {
    return SelectOne<Subscription>(pool_, kSelectSubscriptionById, id, ReadSubscription, "get subscription");
}

std::optional<Payment> PostgresBusinessStore::GetPayment(std::string_view id) {
    return SelectOne<Payment>(pool_, kSelectPaymentById, id, ReadPayment, "get payment");
}

std::optional<Delivery> PostgresBusinessStore::GetDelivery(std::string_view id) {
    return SelectOne<Delivery>(pool_, kSelectDeliveryById, id, ReadDelivery, "get delivery");
}

std::vector<Order> PostgresBusinessStore::ListOrders(std::string_view customer_id) {
    return SelectAll<Order>(pool_, kSelectOrdersOfCustomer, customer_id, ReadOrder, "list orders");
}

std::vector<Subscription> PostgresBusinessStore::ListSubscriptions(std::string_view customer_id) {
    return SelectAll<Subscription>(pool_, kSelectSubscriptionsOfCustomer, customer_id, ReadSubscription,
                                   "list subscriptions");
}

std::vector<Payment> PostgresBusinessStore::ListPayments(std::string_view customer_id) {
    return SelectAll<Payment>(pool_, kSelectPaymentsOfCustomer, customer_id, ReadPayment, "list payments");
}

std::vector<Delivery> PostgresBusinessStore::ListDeliveries(std::string_view customer_id) {
    return SelectAll<Delivery>(pool_, kSelectDeliveriesOfCustomer, customer_id, ReadDelivery, "list deliveries");
}

InboxPage PostgresBusinessStore::Inbox(const InboxQuery& query) {
    constexpr const char* kOperation = "read inbox";
    return PgRead(pool_, [&](PgConnection& c) {
        const PgResult r =
            c.Run(kSelectInbox, PgParams().OptInt(query.since).OptInt(query.before_seq).Int(query.limit + 1),
                  kOperation);  // one more tells whether there is a next page
        InboxPage page;
        for (int i = 0; i < r.Rows(); ++i) page.items.push_back(ReadInbox(r, i, kOperation));
        if (static_cast<int>(page.items.size()) > query.limit) {
            page.items.pop_back();
            page.next_before_seq = page.items.back().seq;
        }
        return page;
    });
}

}  // namespace notify
