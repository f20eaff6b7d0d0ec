#include "api/business_json.h"

#include <algorithm>

#include "business/notification_rules.h"
#include "common/errors.h"
#include "common/time_format.h"
#include "notify/phone.h"

namespace notify {
namespace {

nlohmann::json DateOrNull(const std::optional<Date>& date) {
    return date ? nlohmann::json(FormatIsoDate(*date)) : nlohmann::json(nullptr);
}

nlohmann::json IdOrNull(const std::optional<std::string>& id) {
    return id ? nlohmann::json(*id) : nlohmann::json(nullptr);
}

}  // namespace

nlohmann::json CustomerToJson(const Customer& customer, bool mask_phone) {
    return {{"id", customer.id},
            {"name", customer.name},
            {"phone", mask_phone ? MaskPhone(customer.phone) : customer.phone},
            {"area", customer.area},
            {"language", customer.language},
            {"whatsapp_opt_in", customer.whatsapp_opt_in},
            {"time_zone", customer.time_zone},
            {"source", customer.source},
            {"notification_id", IdOrNull(customer.notification_id)},
            {"created_at", FormatIsoTime(customer.created_at)}};
}

nlohmann::json OrderToJson(const Order& order) {
    nlohmann::json items = nlohmann::json::array();
    for (const OrderItem& item : order.items) {
        items.push_back({{"name", item.name},
                         {"quantity", item.quantity},
                         {"unit_price", PaiseToDecimal(item.unit_price)},
                         {"total", PaiseToDecimal(item.quantity * item.unit_price)}});
    }
    return {{"id", order.id},
            {"customer_id", order.customer_id},
            {"items", std::move(items)},
            {"amount", PaiseToDecimal(order.amount)},
            {"amount_display", FormatRupees(order.amount)},
            {"delivery_date", FormatIsoDate(order.delivery_date)},
            {"notification_id", IdOrNull(order.notification_id)},
            {"created_at", FormatIsoTime(order.created_at)}};
}

nlohmann::json SubscriptionToJson(const Subscription& subscription, Date today) {
    const SubscriptionState state = SubscriptionStateOn(subscription, today);
    return {{"id", subscription.id},
            {"customer_id", subscription.customer_id},
            {"plan", subscription.plan},
            {"start_date", FormatIsoDate(subscription.start_date)},
            {"status", state.paused ? "paused" : "active"},
            {"pause_from", DateOrNull(state.pause ? std::optional<Date>(state.pause->from) : std::nullopt)},
            {"pause_until", DateOrNull(state.pause ? std::optional<Date>(state.pause->until) : std::nullopt)},
            {"notification_id", IdOrNull(subscription.notification_id)},
            {"created_at", FormatIsoTime(subscription.created_at)},
            {"updated_at", FormatIsoTime(subscription.updated_at)}};
}

nlohmann::json PaymentToJson(const Payment& payment) {
    const bool due = payment.kind == Payment::Kind::kDue;
    nlohmann::json body = {{"id", payment.id},
                           {"customer_id", payment.customer_id},
                           {"kind", due ? "due" : "received"},
                           {due ? "amount_due" : "amount", PaiseToDecimal(payment.amount)},
                           {"amount_display", FormatRupees(payment.amount)},
                           {"notification_id", IdOrNull(payment.notification_id)},
                           {"created_at", FormatIsoTime(payment.created_at)}};
    if (due) {
        body["due_date"] = DateOrNull(payment.due_date);
    } else {
        body["method"] = payment.method;
        body["reference"] = payment.reference;
    }
    return body;
}

nlohmann::json DeliveryToJson(const Delivery& delivery) {
    return {{"id", delivery.id},
            {"customer_id", delivery.customer_id},
            {"order_id", IdOrNull(delivery.order_id)},
            {"date", FormatIsoDate(delivery.date)},
            {"status", delivery.delivered ? "delivered" : "missed"},
            {"reason", delivery.reason},
            {"notification_id", IdOrNull(delivery.notification_id)},
            {"created_at", FormatIsoTime(delivery.created_at)}};
}

nlohmann::json InboxToJson(const InboxMessage& inbox, bool mask_phone) {
    return {{"id", inbox.id},
            {"event_id", inbox.event_id},
            {"phone", mask_phone ? MaskPhone(inbox.phone) : inbox.phone},
            {"customer_id", IdOrNull(inbox.customer_id)},
            {"text", inbox.text},
            {"command", inbox.command},
            {"action", inbox.action},
            {"detail", inbox.detail},
            {"notification_id", IdOrNull(inbox.notification_id)},
            {"received_at", FormatIsoTime(inbox.received_at)}};
}

void AddNotification(nlohmann::json& body, const Notified& notified) {
    if (notified.message) {
        body["notification"] = {{"id", notified.message->id},
                                {"status", std::string(ToString(notified.message->status))},
                                {"message_type", notified.message->message_type}};
        if (notified.message->next_attempt_at)
            body["notification"]["due_at"] = FormatIsoTime(*notified.message->next_attempt_at);
        return;
    }
    body["notification"] = nullptr;
    if (notified.reason) body["notification_reason"] = std::string(ToString(*notified.reason));
}

std::string_view NotificationOutcome(const Notified& notified) {
    if (!notified.message) return notified.reason ? ToString(*notified.reason) : "notifications_disabled";
    switch (notified.message->status) {
        case MessageStatus::kSkippedRollout:
            return "skipped_rollout";
        case MessageStatus::kSuppressed:
            return "suppressed";
        default:
            break;
    }
    const auto& due = notified.message->next_attempt_at;
    return due && *due > notified.message->created_at ? "held_quiet_hours" : "queued";
}

std::string OptionalText(const nlohmann::json& body, std::string_view field, std::size_t max_length) {
    const auto it = body.find(field);
    if (it == body.end() || it->is_null()) return {};
    if (!it->is_string()) {
        throw InvalidInput("invalid_field", std::string(field) + " must be a string", std::string(field));
    }
    const std::string& text = it->get_ref<const std::string&>();
    if (text.size() > max_length) {
        throw InvalidInput("invalid_field",
                           std::string(field) + " is longer than " + std::to_string(max_length) + " bytes",
                           std::string(field));
    }
    return text;
}

std::string RequiredText(const nlohmann::json& body, std::string_view field, std::size_t max_length) {
    const auto it = body.find(field);
    if (it == body.end() || it->is_null()) {
        throw InvalidInput("missing_field", std::string(field) + " is required", std::string(field));
    }
    std::string text = OptionalText(body, field, max_length);
    if (text.empty()) {
        throw InvalidInput("invalid_field", std::string(field) + " must be a non-empty string", std::string(field));
    }
    return text;
}

Date RequiredDate(const nlohmann::json& body, std::string_view field) {
    const std::string text = RequiredText(body, field, 10);
    const auto date = ParseIsoDate(text);
    if (!date) {
        throw InvalidInput("invalid_field", std::string(field) + " must be a date written YYYY-MM-DD",
                           std::string(field));
    }
    return *date;
}

void RejectUnknownFields(const nlohmann::json& body, std::initializer_list<std::string_view> allowed) {
    for (const auto& [key, value] : body.items()) {
        if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
            throw InvalidInput("unknown_field", "unknown field \"" + key + "\"", key);
        }
    }
}

}  // namespace notify
