// POST /webhooks/myoperator: MyOperator's Webhook v2 events (status reports and inbound messages).
// Answers fast and touches only the store: MyOperator retries anything but a 2xx for a day.
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "api/api_context.h"
#include "api/json_io.h"
#include "common/errors.h"
#include "common/time_format.h"
#include "http/errors.h"
#include "http/router.h"
#include "metrics/service_metrics.h"
#include "notify/phone.h"
#include "notify/webhook_event.h"
#include "store/store.h"

namespace notify {
namespace {

// Events are small JSON documents; anything larger is not one of them.
constexpr std::size_t kMaxWebhookBody = 256 * 1024;

std::string_view OutcomeName(WebhookOutcome outcome) {
    switch (outcome) {
        case WebhookOutcome::kApplied:
            return "applied";
        case WebhookOutcome::kDuplicate:
            return "duplicate";
        case WebhookOutcome::kUnknownMessage:
            return "unknown_message";
    }
    std::abort();
}

HttpResponse HandleStatus(ApiContext& ctx, const WebhookEvent& event, const WebhookEventRecord& record) {
    StatusReport report{event.provider_message_id, event.status, record.occurred_at.value_or(record.received_at),
                        event.failure_reason};
    const StatusReportResult result = ctx.store.ApplyStatusReport(record, report);
    nlohmann::json body = {{"status", std::string(OutcomeName(result.outcome))}};
    switch (result.outcome) {
        case WebhookOutcome::kDuplicate:
            spdlog::debug("webhook {}: duplicate event, ignored", event.event_id);
            break;
        case WebhookOutcome::kUnknownMessage:
            spdlog::info("webhook {}: {} for unknown provider message id {}", event.event_id, ToString(event.status),
                         event.provider_message_id);
            break;
        case WebhookOutcome::kApplied: {
            const Message& message = *result.message;
            spdlog::info("webhook {}: {} for message {}, now {}{}{}", event.event_id, ToString(event.status),
                         message.id, ToString(message.status), result.event.note.empty() ? "" : "; ",
                         result.event.note);
            body["message_id"] = message.id;
            body["message_status"] = std::string(ToString(message.status));
            break;
        }
    }
    return JsonResponse(200, body);
}

HttpResponse HandleInbound(ApiContext& ctx, const WebhookEvent& event, const WebhookEventRecord& record) {
    std::optional<OptOutChange> change;
    const OptKeyword keyword = ClassifyInboundText(event.text);
    std::optional<std::string> phone;
    if (keyword != OptKeyword::kNone) {
        if (auto e164 = CustomerIdentifierToE164(event.customer_identifier)) {
            // The number as send-message stores it, so that the opt-out matches later sends.
            const auto parsed = ParsePhone(*e164, ctx.default_region);
            phone = parsed ? parsed->e164 : *e164;
            change = OptOutChange{*phone, keyword == OptKeyword::kOptOut};
        } else {
            spdlog::warn("webhook {}: opt-out keyword without a usable customer_identifier", event.event_id);
        }
    }
    const WebhookOutcome outcome = ctx.store.RecordWebhookEvent(record, change);
    nlohmann::json body = {{"status", std::string(OutcomeName(outcome))}};
    if (outcome == WebhookOutcome::kApplied && change) {
        spdlog::info("webhook {}: {} opted {}", event.event_id, MaskPhone(change->phone),
                     change->opted_out ? "out" : "back in");
        body["opted_out"] = change->opted_out;
    }
    return JsonResponse(200, body);
}

HttpResponse ReceiveWebhook(ApiContext& ctx, HttpRequest& http) {
    if (http.body.size() > kMaxWebhookBody) {
        throw Error(ErrorKind::kPayloadTooLarge, "payload_too_large", "webhook bodies are at most 256 KiB");
    }
    const WebhookEvent event = ParseWebhookEvent(http.body);
    ctx.metrics.CountWebhookEvent(event);
    const TimeMs received_at = ctx.clock.NowMs();
    // The sender's clock decides order only within a sane window: from here on the event's time is
    // the clamped one, for opt-outs and status reports alike.
    std::optional<TimeMs> occurred_at;
    if (event.occurred_at) {
        occurred_at = EffectiveEventTime(event.occurred_at, received_at);
        if (*occurred_at != *event.occurred_at) {
            spdlog::warn("webhook {}: timestamp {} is after the time it was received; using {}", event.event_id,
                         FormatIsoTime(*event.occurred_at), FormatIsoTime(*occurred_at));
        }
    }
    const WebhookEventRecord record{event.event_id, event.event_type, received_at, occurred_at};
    switch (event.kind) {
        case WebhookEvent::Kind::kStatus:
            return HandleStatus(ctx, event, record);
        case WebhookEvent::Kind::kInbound:
            return HandleInbound(ctx, event, record);
        case WebhookEvent::Kind::kOther:
            break;
    }
    // Recorded all the same, so that what MyOperator sends can be looked at later.
    const WebhookOutcome outcome = ctx.store.RecordWebhookEvent(record, std::nullopt);
    spdlog::debug("webhook {}: event type '{}' ignored", event.event_id, event.event_type);
    return JsonResponse(200, {{"status", outcome == WebhookOutcome::kDuplicate ? "duplicate" : "ignored"}});
}

}  // namespace

void RegisterWebhookRoutes(Router& router, ApiContext& ctx) {
    // No bearer token: MyOperator presents the shared secret instead, checked before the body is
    // read by the guard that RegisterApiRoutes adds to this route (src/api/routes.cpp).
    router.Add("POST", std::string(kApiPrefix) + "/webhooks/myoperator", std::nullopt,
               [&ctx](HttpRequest& http, const RequestContext&) { return ReceiveWebhook(ctx, http); });
}

}  // namespace notify
