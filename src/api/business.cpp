// The business API (business-api.md): customers, orders, subscriptions, payments and deliveries
// under /api. Each handler parses its body, calls one BusinessService method, and answers the row
// with the WhatsApp message it caused.
#include <nlohmann/json.hpp>

#include "api/api_context.h"
#include "api/business_json.h"
#include "api/json_io.h"
#include "business/business_service.h"
#include "business/local_time.h"
#include "common/errors.h"
#include "http/errors.h"
#include "http/router.h"
#include "metrics/service_metrics.h"

namespace notify {
namespace {

constexpr const char* kBusinessPrefix = "/api";
constexpr std::size_t kMaxOrderItems = 100;

template <typename Row>
HttpResponse Created(ApiContext& ctx, const BusinessResult<Row>& result, nlohmann::json row, int status = 201) {
    ctx.metrics.CountBusinessNotification(NotificationOutcome(result.notification));
    AddNotification(row, result.notification);
    return JsonResponse(status, row);
}

bool RequiredBool(const nlohmann::json& body, std::string_view field) {
    const auto it = body.find(field);
    if (it == body.end() || it->is_null()) return false;
    if (!it->is_boolean())
        throw InvalidInput("invalid_field", std::string(field) + " must be true or false", std::string(field));
    return it->get<bool>();
}

std::string Language(const nlohmann::json& body) {
    std::string language = OptionalText(body, "language", 8);
    if (language.empty()) return "en";
    if (language != "en" && language != "hi") {
        throw InvalidInput("invalid_field", "language must be \"en\" or \"hi\"", "language");
    }
    return language;
}

HttpResponse CreateCustomer(ApiContext& ctx, HttpRequest& http) {
    const nlohmann::json body = ParseJsonObjectBody(http, false);
    RejectUnknownFields(body, {"name", "phone", "area", "language", "whatsapp_opt_in", "time_zone"});
    CustomerInput input;
    input.name = RequiredText(body, "name");
    input.phone = RequiredText(body, "phone", 32);
    input.area = OptionalText(body, "area");
    input.language = Language(body);
    input.whatsapp_opt_in = RequiredBool(body, "whatsapp_opt_in");
    std::string zone = OptionalText(body, "time_zone", 64);
    if (!zone.empty()) {
        if (!IsKnownTimeZone(zone)) {
            throw InvalidInput("invalid_field", "time_zone must be an IANA zone such as Asia/Kolkata", "time_zone");
        }
        input.time_zone = std::move(zone);
    }
    const auto result = ctx.business.CreateCustomer(input);
    return Created(ctx, result, CustomerToJson(result.row, false));
}

std::int64_t Quantity(const nlohmann::json& item) {
    const auto it = item.find("quantity");
    if (it == item.end() || !it->is_number_integer() || it->get<std::int64_t>() < 1 ||
        it->get<std::int64_t>() > 10000) {
        throw InvalidInput("invalid_field", "each item needs a whole quantity from 1 to 10000", "items");
    }
    return it->get<std::int64_t>();
}

HttpResponse CreateOrder(ApiContext& ctx, HttpRequest& http) {
    const nlohmann::json body = ParseJsonObjectBody(http, false);
    RejectUnknownFields(body, {"customer_id", "items", "delivery_date"});
    OrderInput input;
    input.customer_id = RequiredText(body, "customer_id", 64);
    const auto items = body.find("items");
    if (items == body.end() || !items->is_array() || items->empty() || items->size() > kMaxOrderItems) {
        throw InvalidInput("invalid_field", "items must be a list of 1 to 100 items", "items");
    }
    for (const nlohmann::json& item : *items) {
        if (!item.is_object()) throw InvalidInput("invalid_field", "each item must be an object", "items");
        OrderItem parsed;
        parsed.name = RequiredText(item, "name");
        parsed.quantity = Quantity(item);
        const auto price = item.find("unit_price");
        if (price == item.end()) throw InvalidInput("missing_field", "each item needs a unit_price", "unit_price");
        parsed.unit_price = ParseRupees(*price, "unit_price");
        input.items.push_back(std::move(parsed));
    }
    input.delivery_date = RequiredDate(body, "delivery_date");
    const auto result = ctx.business.CreateOrder(input);
    return Created(ctx, result, OrderToJson(result.row));
}

// A write's answer: the subscription's state as of the day the use case worked with.
nlohmann::json SubscriptionJson(const BusinessResult<Subscription>& result) {
    return SubscriptionToJson(result.row, result.customer_today);
}

HttpResponse CreateSubscription(ApiContext& ctx, HttpRequest& http) {
    const nlohmann::json body = ParseJsonObjectBody(http, false);
    RejectUnknownFields(body, {"customer_id", "plan", "start_date"});
    const std::string customer_id = RequiredText(body, "customer_id", 64);
    const std::string plan = RequiredText(body, "plan");
    const Date start = RequiredDate(body, "start_date");
    const auto result = ctx.business.CreateSubscription(customer_id, plan, start);
    return Created(ctx, result, SubscriptionJson(result));
}

HttpResponse PauseSubscription(ApiContext& ctx, HttpRequest& http) {
    const nlohmann::json body = ParseJsonObjectBody(http, false);
    RejectUnknownFields(body, {"from", "until"});
    const Pause pause{RequiredDate(body, "from"), RequiredDate(body, "until")};
    if (DaysBetween(pause.from, pause.until) > 365) {
        throw InvalidInput("invalid_field", "a pause lasts at most 366 days", "until");
    }
    const auto result = ctx.business.PauseSubscription(http.path_params.at("id"), pause);
    return Created(ctx, result, SubscriptionJson(result), 200);
}

HttpResponse ResumeSubscription(ApiContext& ctx, HttpRequest& http) {
    const nlohmann::json body = ParseJsonObjectBody(http, true);
    RejectUnknownFields(body, {});
    const auto result = ctx.business.ResumeSubscription(http.path_params.at("id"));
    return Created(ctx, result, SubscriptionJson(result), 200);
}

HttpResponse RecordPayment(ApiContext& ctx, HttpRequest& http) {
    const nlohmann::json body = ParseJsonObjectBody(http, false);
    RejectUnknownFields(body, {"customer_id", "amount", "method", "reference"});
    PaymentInput input;
    input.customer_id = RequiredText(body, "customer_id", 64);
    const auto amount = body.find("amount");
    if (amount == body.end()) throw InvalidInput("missing_field", "amount is required", "amount");
    input.amount = ParseRupees(*amount, "amount");
    input.method = OptionalText(body, "method", 40);
    input.reference = OptionalText(body, "reference", 100);
    const auto result = ctx.business.RecordPayment(input);
    return Created(ctx, result, PaymentToJson(result.row));
}

HttpResponse RecordPaymentDue(ApiContext& ctx, HttpRequest& http) {
    const nlohmann::json body = ParseJsonObjectBody(http, false);
    RejectUnknownFields(body, {"customer_id", "amount_due", "due_date"});
    PaymentDueInput input;
    input.customer_id = RequiredText(body, "customer_id", 64);
    const auto amount = body.find("amount_due");
    if (amount == body.end()) throw InvalidInput("missing_field", "amount_due is required", "amount_due");
    input.amount_due = ParseRupees(*amount, "amount_due");
    input.due_date = RequiredDate(body, "due_date");
    const auto result = ctx.business.RecordPaymentDue(input);
    return Created(ctx, result, PaymentToJson(result.row));
}

HttpResponse RecordDelivery(ApiContext& ctx, HttpRequest& http, const RequestContext& rc) {
    // The delivery role sits below viewer so that it reads nothing; this one route admits it and
    // must still refuse a viewer, which may only read.
    if (rc.principal && rc.principal->role == Role::kViewer) {
        throw Error(ErrorKind::kForbidden, "forbidden", "recording deliveries needs the delivery or operator role");
    }
    const nlohmann::json body = ParseJsonObjectBody(http, false);
    RejectUnknownFields(body, {"customer_id", "order_id", "date", "status", "reason"});
    DeliveryInput input;
    input.customer_id = RequiredText(body, "customer_id", 64);
    if (std::string order = OptionalText(body, "order_id", 64); !order.empty()) input.order_id = std::move(order);
    input.date = RequiredDate(body, "date");
    const std::string status = RequiredText(body, "status", 16);
    if (status != "delivered" && status != "missed") {
        throw InvalidInput("invalid_field", "status must be \"delivered\" or \"missed\"", "status");
    }
    input.delivered = status == "delivered";
    input.reason = OptionalText(body, "reason", 200);
    if (!input.delivered && input.reason.empty()) {
        throw InvalidInput("missing_field", "a missed delivery needs a reason (the customer is told it)", "reason");
    }
    const auto result = ctx.business.RecordDelivery(input);
    return Created(ctx, result, DeliveryToJson(result.row));
}

[[noreturn]] void ThrowNotFound(const std::string& what, const std::string& id) {
    throw Error(ErrorKind::kNotFound, "not_found", "no " + what + " with id " + id, "id");
}

template <typename Row, typename ToJson>
nlohmann::json ListJson(const std::vector<Row>& rows, ToJson to_json) {
    nlohmann::json items = nlohmann::json::array();
    for (const Row& row : rows) items.push_back(to_json(row));
    return {{"items", std::move(items)}};
}

void RegisterReads(Router& router, ApiContext& ctx, const std::string& prefix) {
    BusinessStore& rows = ctx.business.rows();
    router.Add("GET", prefix + "/customers/{id}", Role::kViewer,
               [&ctx, &rows](HttpRequest& http, const RequestContext& rc) {
                   const std::string& id = http.path_params.at("id");
                   auto customer = rows.GetCustomer(id);
                   if (!customer) ThrowNotFound("customer", id);
                   return JsonResponse(200, CustomerToJson(*customer, rc.IsViewerOnly()));
               });
    router.Add("GET", prefix + "/orders/{id}", Role::kViewer, [&rows](HttpRequest& http, const RequestContext&) {
        const std::string& id = http.path_params.at("id");
        auto order = rows.GetOrder(id);
        if (!order) ThrowNotFound("order", id);
        return JsonResponse(200, OrderToJson(*order));
    });
    router.Add("GET", prefix + "/subscriptions/{id}", Role::kViewer,
               [&ctx, &rows](HttpRequest& http, const RequestContext&) {
                   const std::string& id = http.path_params.at("id");
                   auto subscription = rows.GetSubscription(id);
                   if (!subscription) ThrowNotFound("subscription", id);
                   return JsonResponse(
                       200, SubscriptionToJson(*subscription, ctx.business.TodayFor(subscription->customer_id)));
               });
    router.Add("GET", prefix + "/payments/{id}", Role::kViewer, [&rows](HttpRequest& http, const RequestContext&) {
        const std::string& id = http.path_params.at("id");
        auto payment = rows.GetPayment(id);
        if (!payment) ThrowNotFound("payment", id);
        return JsonResponse(200, PaymentToJson(*payment));
    });
    router.Add("GET", prefix + "/deliveries/{id}", Role::kViewer, [&rows](HttpRequest& http, const RequestContext&) {
        const std::string& id = http.path_params.at("id");
        auto delivery = rows.GetDelivery(id);
        if (!delivery) ThrowNotFound("delivery", id);
        return JsonResponse(200, DeliveryToJson(*delivery));
    });

    // A customer's rows; 404 for an unknown customer rather than an empty list that hides a typo.
    router.Add("GET", prefix + "/customers/{id}/orders", Role::kViewer,
               [&ctx, &rows](HttpRequest& http, const RequestContext&) {
                   const Customer customer = ctx.business.RequireCustomer(http.path_params.at("id"), "id");
                   return JsonResponse(200, ListJson(rows.ListOrders(customer.id), OrderToJson));
               });
    router.Add("GET", prefix + "/customers/{id}/subscriptions", Role::kViewer,
               [&ctx, &rows](HttpRequest& http, const RequestContext&) {
                   const Customer customer = ctx.business.RequireCustomer(http.path_params.at("id"), "id");
                   const Date today = ctx.business.TodayIn(customer.time_zone);
                   return JsonResponse(
                       200, ListJson(rows.ListSubscriptions(customer.id),
                                     [today](const Subscription& s) { return SubscriptionToJson(s, today); }));
               });
    router.Add("GET", prefix + "/customers/{id}/payments", Role::kViewer,
               [&ctx, &rows](HttpRequest& http, const RequestContext&) {
                   const Customer customer = ctx.business.RequireCustomer(http.path_params.at("id"), "id");
                   return JsonResponse(200, ListJson(rows.ListPayments(customer.id), PaymentToJson));
               });
    router.Add("GET", prefix + "/customers/{id}/deliveries", Role::kViewer,
               [&ctx, &rows](HttpRequest& http, const RequestContext&) {
                   const Customer customer = ctx.business.RequireCustomer(http.path_params.at("id"), "id");
                   return JsonResponse(200, ListJson(rows.ListDeliveries(customer.id), DeliveryToJson));
               });
}

}  // namespace

void RegisterBusinessRoutes(Router& router, ApiContext& ctx) {
    const std::string prefix = kBusinessPrefix;
    const auto route = [&ctx](HttpResponse (*handler)(ApiContext&, HttpRequest&)) {
        return [&ctx, handler](HttpRequest& http, const RequestContext&) { return handler(ctx, http); };
    };
    router.Add("POST", prefix + "/customers", Role::kOperator, route(CreateCustomer));
    router.Add("POST", prefix + "/orders", Role::kOperator, route(CreateOrder));
    router.Add("POST", prefix + "/subscriptions", Role::kOperator, route(CreateSubscription));
    router.Add("POST", prefix + "/subscriptions/{id}/pause", Role::kOperator, route(PauseSubscription));
    router.Add("POST", prefix + "/subscriptions/{id}/resume", Role::kOperator, route(ResumeSubscription));
    router.Add("POST", prefix + "/payments", Role::kOperator, route(RecordPayment));
    router.Add("POST", prefix + "/payments/due", Role::kOperator, route(RecordPaymentDue));
    router.Add("POST", prefix + "/deliveries", Role::kDelivery,
               [&ctx](HttpRequest& http, const RequestContext& rc) { return RecordDelivery(ctx, http, rc); });
    RegisterReads(router, ctx, prefix);
}

}  // namespace notify
