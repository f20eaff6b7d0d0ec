// POST /api/notifications/events: a backend that keeps its own orders tells us what happened, and
// the customer gets the event's WhatsApp message (business-api.md, "Events from a backend").
#include <nlohmann/json.hpp>

#include "api/api_context.h"
#include "api/business_json.h"
#include "api/json_io.h"
#include "business/business_service.h"
#include "common/errors.h"
#include "http/errors.h"
#include "http/router.h"
#include "metrics/service_metrics.h"
#include "notify/templates.h"

namespace notify {
namespace {

EventInput ParseEvent(const nlohmann::json& body) {
    RejectUnknownFields(body, {"type", "customer", "data", "idempotency_key"});
    EventInput input;
    input.type = RequiredText(body, "type", 64);
    const auto customer = body.find("customer");
    if (customer == body.end() || !customer->is_object()) {
        throw InvalidInput("missing_field", "customer must be an object with phone, name and language", "customer");
    }
    RejectUnknownFields(*customer, {"phone", "name", "language"});
    input.phone = RequiredText(*customer, "phone", 32);
    input.name = RequiredText(*customer, "name");
    if (std::string language = OptionalText(*customer, "language", 8); !language.empty()) {
        if (language != "en" && language != "hi") {
            throw InvalidInput("invalid_field", "customer.language must be \"en\" or \"hi\"", "customer.language");
        }
        input.language = std::move(language);
    }
    const auto data = body.find("data");
    if (data != body.end() && !data->is_null() && !data->is_object()) {
        throw InvalidInput("invalid_field", "data must be an object of the template's variables", "data");
    }
    if (data != body.end()) input.data = ParseContext(*data);
    if (std::string key = OptionalText(body, "idempotency_key", 200); !key.empty()) input.idempotency_key = key;
    return input;
}

HttpResponse PublishEvent(ApiContext& ctx, HttpRequest& http) {
    const EventInput input = ParseEvent(ParseJsonObjectBody(http, false));
    const EventResult result = ctx.business.Publish(input);
    nlohmann::json body = {{"type", input.type}, {"customer_id", result.customer.id}, {"duplicate", result.duplicate}};
    if (!result.duplicate) ctx.metrics.CountBusinessNotification(NotificationOutcome(result.notification));
    AddNotification(body, result.notification);
    return JsonResponse(result.duplicate ? 200 : 202, body);
}

}  // namespace

void RegisterEventRoutes(Router& router, ApiContext& ctx) {
    router.Add("POST", std::string(kApiPrefix) + "/events", Role::kOperator,
               [&ctx](HttpRequest& http, const RequestContext&) { return PublishEvent(ctx, http); });
}

}  // namespace notify
