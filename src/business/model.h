#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "business/local_time.h"
#include "business/money.h"
#include "common/clock.h"

namespace notify {

// The rows of the business API (business-api.md). Ids are a short prefix and a ULID ("cus_01J...").

struct Customer {
    std::string id;
    std::string name;
    std::string phone;  // E.164, unique
    std::string area;
    std::string language = "en";
    bool whatsapp_opt_in = false;
    std::string time_zone = std::string(kDefaultTimeZone);
    std::string source = "api";  // "api" (POST /api/customers) or "event" (first seen in an event)
    std::optional<std::string> notification_id;
    TimeMs created_at = 0;
};

struct OrderItem {
    std::string name;
    std::int64_t quantity = 0;
    Paise unit_price = 0;
};

struct Order {
    std::string id;
    std::string customer_id;
    std::vector<OrderItem> items;
    Paise amount = 0;  // the sum of quantity * unit_price
    Date delivery_date{};
    std::optional<std::string> notification_id;
    TimeMs created_at = 0;
};

// One pause of a subscription, both days inclusive.
struct Pause {
    Date from{};
    Date until{};
};

struct Subscription {
    std::string id;
    std::string customer_id;
    std::string plan;
    Date start_date{};
    std::optional<Pause> pause;  // the current or next one
    std::optional<std::string> notification_id;
    TimeMs created_at = 0;
    TimeMs updated_at = 0;
};

struct Payment {
    std::string id;
    std::string customer_id;
    enum class Kind { kReceived, kDue } kind = Kind::kReceived;
    Paise amount = 0;
    std::string method;
    std::string reference;
    std::optional<Date> due_date;  // kDue
    std::optional<std::string> notification_id;
    TimeMs created_at = 0;
};

struct Delivery {
    std::string id;
    std::string customer_id;
    std::optional<std::string> order_id;
    Date date{};
    bool delivered = true;  // false: missed
    std::string reason;
    std::optional<std::string> notification_id;
    TimeMs created_at = 0;
};

// A customer's WhatsApp reply and what the service did about it.
struct InboxMessage {
    std::string id;
    std::string event_id;
    std::string phone;  // E.164
    std::optional<std::string> customer_id;
    std::string text;
    std::string command;  // "skip", "pause", ... (ToString(ReplyCommand))
    std::string action;   // "paused", "resumed", "opted_out", "opted_in", "help_sent", "kept"
    std::string detail;   // for people: what changed, or why nothing did
    std::optional<std::string> notification_id;
    TimeMs received_at = 0;
    std::int64_t seq = 0;
};

struct InboxQuery {
    std::optional<TimeMs> since;
    int limit = 50;
    std::optional<std::int64_t> before_seq;
};

struct InboxPage {
    std::vector<InboxMessage> items;
    std::optional<std::int64_t> next_before_seq;
};

}  // namespace notify
