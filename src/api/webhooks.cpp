// POST /webhooks/myoperator: MyOperator's Webhook v2 events (status reports and inbound messages).
// Answers fast and touches only the store: MyOperator retries anything but a 2xx for a day.
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "api/api_context.h"
#include "api/json_io.h"
#include "business/business_service.h"
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

// A customer wrote to us: kept in the inbox and, for a command word (SKIP, PAUSE N, RESUME, STOP,
// START, HELP), acted on, with the confirmation written in the same transaction.
HttpResponse HandleInbound(ApiContext& ctx, const WebhookEvent& event, const WebhookEventRecord& record) {
    const auto e164 = CustomerIdentifierToE164(event.customer_identifier);
    if (!e164) {
        spdlog::warn("webhook {}: inbound message without a usable customer_identifier; recorded only", event.event_id);
        const WebhookOutcome outcome = ctx.store.RecordWebhookEvent(record, std::nullopt);
        return JsonResponse(200, {{"status", std::string(OutcomeName(outcome))}});
    }
    // The number as send-message and the customers table store it, so that both match.
    const auto parsed = ParsePhone(*e164, ctx.default_region);
    const ReplyOutcome outcome = ctx.business.HandleReply({record, parsed ? parsed->e164 : *e164, event.text});
    if (outcome.duplicate) {
        spdlog::debug("webhook {}: duplicate reply, ignored", event.event_id);
        return JsonResponse(200, {{"status", "duplicate"}});
    }
    ctx.metrics.CountReply(outcome.inbox.action);
    spdlog::info("webhook {}: reply from {}: {} -> {} ({})", event.event_id, MaskPhone(outcome.inbox.phone),
                 outcome.inbox.command, outcome.inbox.action, outcome.inbox.detail);
    nlohmann::json body = {{"status", "applied"}, {"action", outcome.inbox.action}, {"inbox_id", outcome.inbox.id}};
    if (outcome.inbox.action == "opted_out" || outcome.inbox.action == "opted_in") {
        body["opted_out"] = outcome.inbox.action == "opted_out";
    }
    if (outcome.message) body["message_id"] = outcome.message->id;
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
