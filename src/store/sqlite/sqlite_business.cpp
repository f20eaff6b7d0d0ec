// SqliteStore's business rows (business-api.md): each change is written in one transaction with
// the message it causes (EnqueueOne, the same routine as POST /send-message), so that both or
// neither are on disk.
#include <sqlite3.h>

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>

#include "common/errors.h"
#include "store/business_store.h"
#include "store/sqlite/sqlite_store_internal.h"

namespace notify {
namespace {

constexpr const char* kInsertCustomer =
    "INSERT INTO customers (id, name, phone, area, language, whatsapp_opt_in, time_zone, source, notification_id,"
    " created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)";
constexpr const char* kSelectCustomerById =
    "SELECT id, name, phone, area, language, whatsapp_opt_in, time_zone, source, notification_id, created_at"
    " FROM customers WHERE id = ?1";
constexpr const char* kSelectCustomerByPhone =
    "SELECT id, name, phone, area, language, whatsapp_opt_in, time_zone, source, notification_id, created_at"
    " FROM customers WHERE phone = ?1";
constexpr const char* kUpdateCustomerFromEvent =
    "UPDATE customers SET name = COALESCE(?2, name), language = COALESCE(?3, language) WHERE id = ?1";
constexpr const char* kCustomerPhoneTaken = "SELECT 1 FROM customers WHERE phone = ?1";

constexpr const char* kInsertOrder =
    "INSERT INTO orders (id, customer_id, items_json, amount, delivery_date, notification_id, created_at)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
constexpr const char* kSelectOrderById =
    "SELECT id, customer_id, items_json, amount, delivery_date, notification_id, created_at FROM orders WHERE id = ?1";
constexpr const char* kSelectOrdersOfCustomer =
    "SELECT id, customer_id, items_json, amount, delivery_date, notification_id, created_at FROM orders"
    " WHERE customer_id = ?1 ORDER BY created_at, id";

constexpr const char* kInsertSubscription =
    "INSERT INTO subscriptions (id, customer_id, plan, start_date, pause_from, pause_until, notification_id,"
    " created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";
constexpr const char* kUpdateSubscriptionPause =
    "UPDATE subscriptions SET pause_from = ?2, pause_until = ?3, notification_id = COALESCE(?4, notification_id),"
    " updated_at = ?5 WHERE id = ?1";
constexpr const char* kSelectSubscriptionById =
    "SELECT id, customer_id, plan, start_date, pause_from, pause_until, notification_id, created_at, updated_at"
    " FROM subscriptions WHERE id = ?1";
constexpr const char* kSelectSubscriptionsOfCustomer =
    "SELECT id, customer_id, plan, start_date, pause_from, pause_until, notification_id, created_at, updated_at"
    " FROM subscriptions WHERE customer_id = ?1 ORDER BY created_at, id";

constexpr const char* kInsertPayment =
    "INSERT INTO payments (id, customer_id, kind, amount, method, reference, due_date, notification_id, created_at)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";
constexpr const char* kSelectPaymentById =
    "SELECT id, customer_id, kind, amount, method, reference, due_date, notification_id, created_at FROM payments"
    " WHERE id = ?1";
constexpr const char* kSelectPaymentsOfCustomer =
    "SELECT id, customer_id, kind, amount, method, reference, due_date, notification_id, created_at FROM payments"
    " WHERE customer_id = ?1 ORDER BY created_at, id";

constexpr const char* kInsertDelivery =
    "INSERT INTO deliveries (id, customer_id, order_id, date, status, reason, notification_id, created_at)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
constexpr const char* kSelectDeliveryById =
    "SELECT id, customer_id, order_id, date, status, reason, notification_id, created_at FROM deliveries"
    " WHERE id = ?1";
constexpr const char* kSelectDeliveriesOfCustomer =
    "SELECT id, customer_id, order_id, date, status, reason, notification_id, created_at FROM deliveries"
    " WHERE customer_id = ?1 ORDER BY created_at, id";

constexpr const char* kInsertInbox =
    "INSERT INTO inbox_messages (id, event_id, phone, customer_id, text, command, action, detail, notification_id,"
    " received_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)";
constexpr const char* kSelectInbox =
    "SELECT seq, id, event_id, phone, customer_id, text, command, action, detail, notification_id, received_at"
    " FROM inbox_messages WHERE (?1 IS NULL OR received_at >= ?1) AND (?2 IS NULL OR seq < ?2)"
    " ORDER BY seq DESC LIMIT ?3";

// Dates are stored as their ISO text, which the migration's columns and every reader agree on.
Date DateColumn(const Statement& row, int column, std::string_view operation) {
    const std::string text = row.Text(column);
    auto date = ParseIsoDate(text);
    if (!date) ThrowUnavailable(operation, "a stored date is not YYYY-MM-DD: '" + text + "'");
    return *date;
}

std::optional<Date> OptDateColumn(const Statement& row, int column, std::string_view operation) {
    if (row.IsNull(column)) return std::nullopt;
    return DateColumn(row, column, operation);
}

void BindOptDate(Statement& statement, int index, const std::optional<Date>& date) {
    if (date) {
        statement.BindText(index, FormatIsoDate(*date));
    } else {
        statement.BindNull(index);
    }
}

Customer ReadCustomer(const Statement& row, std::string_view) {
    Customer customer;
    customer.id = row.Text(0);
    customer.name = row.Text(1);
    customer.phone = row.Text(2);
    customer.area = row.Text(3);
    customer.language = row.Text(4);
    customer.whatsapp_opt_in = row.Int(5) != 0;
    customer.time_zone = row.Text(6);
    customer.source = row.Text(7);
    customer.notification_id = row.OptText(8);
    customer.created_at = row.Int(9);
    return customer;
}

std::string ItemsToJson(const std::vector<OrderItem>& items) {
    nlohmann::json array = nlohmann::json::array();
    for (const OrderItem& item : items) {
        array.push_back({{"name", item.name}, {"quantity", item.quantity}, {"unit_price", item.unit_price}});
    }
    return array.dump();
}

std::vector<OrderItem> ItemsFromJson(const std::string& text, std::string_view operation) {
    const nlohmann::json array = nlohmann::json::parse(text, nullptr, false);
    if (!array.is_array()) ThrowUnavailable(operation, "an order's stored items are not a JSON array");
    std::vector<OrderItem> items;
    for (const nlohmann::json& item : array) {
        if (!item.is_object() || !item.contains("name") || !item.contains("quantity") || !item.contains("unit_price")) {
            ThrowUnavailable(operation, "an order's stored item lacks name, quantity or unit_price");
        }
        items.push_back(
            {item["name"].get<std::string>(), item["quantity"].get<std::int64_t>(), item["unit_price"].get<Paise>()});
    }
    return items;
}

Order ReadOrder(const Statement& row, std::string_view operation) {
    Order order;
    order.id = row.Text(0);
    order.customer_id = row.Text(1);
    order.items = ItemsFromJson(row.Text(2), operation);
    order.amount = row.Int(3);
    order.delivery_date = DateColumn(row, 4, operation);
    order.notification_id = row.OptText(5);
    order.created_at = row.Int(6);
    return order;
}

Subscription ReadSubscription(const Statement& row, std::string_view operation) {
    Subscription subscription;
    subscription.id = row.Text(0);
    subscription.customer_id = row.Text(1);
    subscription.plan = row.Text(2);
    subscription.start_date = DateColumn(row, 3, operation);
    const auto from = OptDateColumn(row, 4, operation);
    const auto until = OptDateColumn(row, 5, operation);
    if (from && until) subscription.pause = Pause{*from, *until};
    subscription.notification_id = row.OptText(6);
    subscription.created_at = row.Int(7);
    subscription.updated_at = row.Int(8);
    return subscription;
}

Payment ReadPayment(const Statement& row, std::string_view operation) {
    Payment payment;
    payment.id = row.Text(0);
    payment.customer_id = row.Text(1);
    payment.kind = row.Text(2) == "due" ? Payment::Kind::kDue : Payment::Kind::kReceived;
    payment.amount = row.Int(3);
    payment.method = row.Text(4);
    payment.reference = row.Text(5);
    payment.due_date = OptDateColumn(row, 6, operation);
    payment.notification_id = row.OptText(7);
    payment.created_at = row.Int(8);
    return payment;
}

Delivery ReadDelivery(const Statement& row, std::string_view operation) {
    Delivery delivery;
    delivery.id = row.Text(0);
    delivery.customer_id = row.Text(1);
    delivery.order_id = row.OptText(2);
    delivery.date = DateColumn(row, 3, operation);
    delivery.delivered = row.Text(4) == "delivered";
    delivery.reason = row.Text(5);
    delivery.notification_id = row.OptText(6);
    delivery.created_at = row.Int(7);
    return delivery;
}

InboxMessage ReadInbox(const Statement& row, std::string_view) {
    InboxMessage inbox;
    inbox.seq = row.Int(0);
    inbox.id = row.Text(1);
    inbox.event_id = row.Text(2);
    inbox.phone = row.Text(3);
    inbox.customer_id = row.OptText(4);
    inbox.text = row.Text(5);
    inbox.command = row.Text(6);
    inbox.action = row.Text(7);
    inbox.detail = row.Text(8);
    inbox.notification_id = row.OptText(9);
    inbox.received_at = row.Int(10);
    return inbox;
}

template <typename Row, typename ReadRow>
std::optional<Row> SelectOne(SqliteConnection& c, const char* sql, std::string_view key, ReadRow read,
                             std::string_view operation) {
    Statement select(c, sql, operation);
    select.BindText(1, key);
    if (!select.Step()) return std::nullopt;
    return read(select, operation);
}

template <typename Row, typename ReadRow>
std::vector<Row> SelectAll(SqliteConnection& c, const char* sql, std::string_view key, ReadRow read,
                           std::string_view operation) {
    Statement select(c, sql, operation);
    select.BindText(1, key);
    std::vector<Row> rows;
    while (select.Step()) rows.push_back(read(select, operation));
    return rows;
}

// Writes one change; `notification_id` is the message written with it, when there is one.
class ChangeWriter {
public:
    ChangeWriter(SqliteConnection& c, const std::optional<std::string>& notification_id, std::string_view operation)
        : c_(c), notification_id_(notification_id), operation_(operation) {}

    void operator()(const NewCustomer& change) {
        const Customer& customer = change.customer;
        {
            Statement taken(c_, kCustomerPhoneTaken, operation_);
            taken.BindText(1, customer.phone);
            if (taken.Step()) {
                throw Error(ErrorKind::kConflict, "customer_exists", "a customer with this phone number exists",
                            "phone");
            }
        }
        Statement insert(c_, kInsertCustomer, operation_);
        insert.BindText(1, customer.id);
        insert.BindText(2, customer.name);
        insert.BindText(3, customer.phone);
        insert.BindText(4, customer.area);
        insert.BindText(5, customer.language);
        insert.BindInt(6, customer.whatsapp_opt_in ? 1 : 0);
        insert.BindText(7, customer.time_zone);
        insert.BindText(8, customer.source);
        insert.BindOptText(9, notification_id_);
        insert.BindInt(10, customer.created_at);
        insert.Run();
    }

    void operator()(const NewOrder& change) {
        const Order& order = change.order;
        Statement insert(c_, kInsertOrder, operation_);
        insert.BindText(1, order.id);
        insert.BindText(2, order.customer_id);
        insert.BindText(3, ItemsToJson(order.items));
        insert.BindInt(4, order.amount);
        insert.BindText(5, FormatIsoDate(order.delivery_date));
        insert.BindOptText(6, notification_id_);
        insert.BindInt(7, order.created_at);
        insert.Run();
    }

    void operator()(const NewSubscription& change) {
        const Subscription& subscription = change.subscription;
        Statement insert(c_, kInsertSubscription, operation_);
        insert.BindText(1, subscription.id);
        insert.BindText(2, subscription.customer_id);
        insert.BindText(3, subscription.plan);
        insert.BindText(4, FormatIsoDate(subscription.start_date));
        BindOptDate(insert, 5, subscription.pause ? std::optional<Date>(subscription.pause->from) : std::nullopt);
        BindOptDate(insert, 6, subscription.pause ? std::optional<Date>(subscription.pause->until) : std::nullopt);
        insert.BindOptText(7, notification_id_);
        insert.BindInt(8, subscription.created_at);
        insert.BindInt(9, subscription.updated_at);
        insert.Run();
    }

    void operator()(const SubscriptionPauseChange& change) {
        Statement update(c_, kUpdateSubscriptionPause, operation_);
        update.BindText(1, change.subscription_id);
        BindOptDate(update, 2, change.pause ? std::optional<Date>(change.pause->from) : std::nullopt);
        BindOptDate(update, 3, change.pause ? std::optional<Date>(change.pause->until) : std::nullopt);
        update.BindOptText(4, notification_id_);
        update.BindInt(5, change.at);
        update.Run();
        if (sqlite3_changes(c_.db()) == 0) {
            throw Error(ErrorKind::kNotFound, "not_found", "no subscription with id " + change.subscription_id);
        }
    }

    void operator()(const NewPayment& change) {
        const Payment& payment = change.payment;
        Statement insert(c_, kInsertPayment, operation_);
        insert.BindText(1, payment.id);
        insert.BindText(2, payment.customer_id);
        insert.BindText(3, payment.kind == Payment::Kind::kDue ? "due" : "received");
        insert.BindInt(4, payment.amount);
        insert.BindText(5, payment.method);
        insert.BindText(6, payment.reference);
        BindOptDate(insert, 7, payment.due_date);
        insert.BindOptText(8, notification_id_);
        insert.BindInt(9, payment.created_at);
        insert.Run();
    }

    void operator()(const NewDelivery& change) {
        const Delivery& delivery = change.delivery;
        Statement insert(c_, kInsertDelivery, operation_);
        insert.BindText(1, delivery.id);
        insert.BindText(2, delivery.customer_id);
        insert.BindOptText(3, delivery.order_id);
        insert.BindText(4, FormatIsoDate(delivery.date));
        insert.BindText(5, delivery.delivered ? "delivered" : "missed");
        insert.BindText(6, delivery.reason);
        insert.BindOptText(7, notification_id_);
        insert.BindInt(8, delivery.created_at);
        insert.Run();
    }

    void operator()(const ReplyReceived& change) {
        if (change.pause_change) (*this)(*change.pause_change);
        if (change.opt_out) {
            UpsertOptOut(c_, change.opt_out->phone, change.opt_out->opted_out,
                         change.event.occurred_at.value_or(change.event.received_at), operation_);
        }
        const InboxMessage& inbox = change.inbox;
        Statement insert(c_, kInsertInbox, operation_);
        insert.BindText(1, inbox.id);
        insert.BindText(2, inbox.event_id);
        insert.BindText(3, inbox.phone);
        insert.BindOptText(4, inbox.customer_id);
        insert.BindText(5, inbox.text);
        insert.BindText(6, inbox.command);
        insert.BindText(7, inbox.action);
        insert.BindText(8, inbox.detail);
        insert.BindOptText(9, notification_id_);
        insert.BindInt(10, inbox.received_at);
        insert.Run();
    }

    void operator()(const EventMessage& change) {
        if (!change.name && !change.language) return;
        Statement update(c_, kUpdateCustomerFromEvent, operation_);
        update.BindText(1, change.customer_id);
        update.BindOptText(2, change.name);
        update.BindOptText(3, change.language);
        update.Run();
    }

private:
    SqliteConnection& c_;
    const std::optional<std::string>& notification_id_;
    std::string_view operation_;
};

}  // namespace

BusinessWriteResult SqliteStore::WriteBusiness(const BusinessChange& change,
                                               const std::optional<OutboxMessage>& notification) {
    constexpr const char* kOperation = "business write";
    return Write(kOperation, [&](SqliteConnection& c) {
        BusinessWriteResult result;
        // A reply claims its event id before anything else: a second delivery stops here.
        if (const auto* reply = std::get_if<ReplyReceived>(&change)) {
            if (!InsertWebhookEvent(c, reply->event, {}, "applied", kOperation)) {
                result.duplicate = true;
                return result;
            }
        }
        std::optional<std::string> notification_id;
        if (notification) {
            result.notification =
                EnqueueOne(c, notification->message, notification->next_attempt_at, std::nullopt, kOperation);
            notification_id = result.notification->message.id;
        }
        std::visit(ChangeWriter(c, notification_id, kOperation), change);
        return result;
    });
}

std::optional<Customer> SqliteStore::GetCustomer(std::string_view id) {
    return Read([&](SqliteConnection& c) {
        return SelectOne<Customer>(c, kSelectCustomerById, id, ReadCustomer, "get customer");
    });
}

std::optional<Customer> SqliteStore::FindCustomerByPhone(std::string_view e164) {
    return Read([&](SqliteConnection& c) {
        return SelectOne<Customer>(c, kSelectCustomerByPhone, e164, ReadCustomer, "find customer by phone");
    });
}

std::optional<Order> SqliteStore::GetOrder(std::string_view id) {
    return Read([&](SqliteConnection& c) { return SelectOne<Order>(c, kSelectOrderById, id, ReadOrder, "get order"); });
}

std::optional<Subscription> SqliteStore::GetSubscription(std::string_view id) {
    return Read([&](SqliteConnection& c) {
        return SelectOne<Subscription>(c, kSelectSubscriptionById, id, ReadSubscription, "get subscription");
    });
}

std::optional<Payment> SqliteStore::GetPayment(std::string_view id) {
    return Read(
        [&](SqliteConnection& c) { return SelectOne<Payment>(c, kSelectPaymentById, id, ReadPayment, "get payment"); });
}

std::optional<Delivery> SqliteStore::GetDelivery(std::string_view id) {
    return Read([&](SqliteConnection& c) {
        return SelectOne<Delivery>(c, kSelectDeliveryById, id, ReadDelivery, "get delivery");
    });
}

std::vector<Order> SqliteStore::ListOrders(std::string_view customer_id) {
    return Read([&](SqliteConnection& c) {
        return SelectAll<Order>(c, kSelectOrdersOfCustomer, customer_id, ReadOrder, "list orders");
    });
}

std::vector<Subscription> SqliteStore::ListSubscriptions(std::string_view customer_id) {
    return Read([&](SqliteConnection& c) {
        return SelectAll<Subscription>(c, kSelectSubscriptionsOfCustomer, customer_id, ReadSubscription,
                                       "list subscriptions");
    });
}

std::vector<Payment> SqliteStore::ListPayments(std::string_view customer_id) {
    return Read([&](SqliteConnection& c) {
        return SelectAll<Payment>(c, kSelectPaymentsOfCustomer, customer_id, ReadPayment, "list payments");
    });
}

std::vector<Delivery> SqliteStore::ListDeliveries(std::string_view customer_id) {
    return Read([&](SqliteConnection& c) {
        return SelectAll<Delivery>(c, kSelectDeliveriesOfCustomer, customer_id, ReadDelivery, "list deliveries");
    });
}

InboxPage SqliteStore::Inbox(const InboxQuery& query) {
    constexpr const char* kOperation = "read inbox";
    return Read([&](SqliteConnection& c) {
        Statement select(c, kSelectInbox, kOperation);
        select.BindOptInt(1, query.since);
        select.BindOptInt(2, query.before_seq);
        select.BindInt(3, query.limit + 1);  // one more tells whether there is a next page
        InboxPage page;
        while (select.Step()) page.items.push_back(ReadInbox(select, kOperation));
        if (static_cast<int>(page.items.size()) > query.limit) {
            page.items.pop_back();
            page.next_before_seq = page.items.back().seq;
        }
        return page;
    });
}

}  // namespace notify
