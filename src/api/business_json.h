#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "business/business_service.h"
#include "business/model.h"

namespace notify {

// The business rows as the API shows them (business-api.md). Viewers get masked phone numbers.
nlohmann::json CustomerToJson(const Customer& customer, bool mask_phone);
nlohmann::json OrderToJson(const Order& order);
// `today`: the customer's date, which decides "status" and which pause is shown.
nlohmann::json SubscriptionToJson(const Subscription& subscription, Date today);
nlohmann::json PaymentToJson(const Payment& payment);
nlohmann::json DeliveryToJson(const Delivery& delivery);
nlohmann::json InboxToJson(const InboxMessage& inbox, bool mask_phone);

// Adds "notification": {"id", "status"} or null with "notification_reason".
void AddNotification(nlohmann::json& body, const Notified& notified);

// What became of a business event's message, as notifyd_business_notifications_total labels it.
std::string_view NotificationOutcome(const Notified& notified);

// Fields of a request body, validated: invalid_field (or missing_field) naming the field.
std::string RequiredText(const nlohmann::json& body, std::string_view field, std::size_t max_length = 200);
std::string OptionalText(const nlohmann::json& body, std::string_view field, std::size_t max_length = 200);
Date RequiredDate(const nlohmann::json& body, std::string_view field);
// Refuses any field not in `allowed` (unknown_field naming it): a typo must not pass silently.
void RejectUnknownFields(const nlohmann::json& body, std::initializer_list<std::string_view> allowed);

}  // namespace notify
