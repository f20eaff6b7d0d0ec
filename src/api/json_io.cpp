#include "api/json_io.h"

#include "common/errors.h"
#include "common/time_format.h"
#include "notify/phone.h"

namespace notify {

nlohmann::json ParseJsonObjectBody(const HttpRequest& request, bool allow_empty) {
    if (request.body.find_first_not_of(" \t\r\n") == std::string::npos) {
        if (allow_empty) return nlohmann::json::object();
        throw InvalidInput("invalid_body", "request body must be a JSON object");
    }
    nlohmann::json body = nlohmann::json::parse(request.body, nullptr, false);
    if (body.is_discarded()) throw InvalidInput("invalid_json", "request body is not valid JSON");
    if (!body.is_object()) throw InvalidInput("invalid_body", "request body must be a JSON object");
    return body;
}

nlohmann::json TimeOrNull(const std::optional<TimeMs>& t) {
    return t ? nlohmann::json(FormatIsoTime(*t)) : nlohmann::json();
}

nlohmann::json TextOrNull(const std::string& text) { return text.empty() ? nlohmann::json() : nlohmann::json(text); }

nlohmann::json MessageToJson(const Message& message, bool mask_phone, bool detail) {
    nlohmann::json out = {
        {"id", message.id},
        {"phone", mask_phone ? MaskPhone(message.phone) : message.phone},
        {"message_type", message.message_type},
        {"status", std::string(ToString(message.status))},
        {"provider_message_id", TextOrNull(message.provider_message_id)},
        {"attempts", message.attempts},
        {"last_error", TextOrNull(message.last_error)},
        {"created_at", FormatIsoTime(message.created_at)},
        {"updated_at", FormatIsoTime(message.updated_at)},
        {"sent_at", TimeOrNull(message.sent_at)},
        {"delivered_at", TimeOrNull(message.delivered_at)},
        {"read_at", TimeOrNull(message.read_at)},
        {"failed_at", TimeOrNull(message.failed_at)},
        {"next_attempt_at", TimeOrNull(message.next_attempt_at)},
    };
    if (detail) {
        out["idempotency_key"] = message.idempotency_key ? nlohmann::json(*message.idempotency_key) : nlohmann::json();
        out["provider_template_name"] = message.provider_template_name;
        out["language"] = message.language;
        out["parameters"] = message.parameters;
        nlohmann::json context = nlohmann::json::parse(message.context_json, nullptr, false);
        out["context"] = context.is_discarded() ? nlohmann::json::object() : context;
    }
    return out;
}

nlohmann::json AttemptToJson(const Attempt& attempt) {
    return {
        {"number", attempt.number},
        {"started_at", FormatIsoTime(attempt.started_at)},
        {"latency_ms", attempt.latency_ms},
        {"outcome", std::string(ToString(attempt.outcome))},
        {"http_status", attempt.http_status == 0 ? nlohmann::json() : nlohmann::json(attempt.http_status)},
        {"error", TextOrNull(attempt.error)},
        {"provider_message_id", TextOrNull(attempt.provider_message_id)},
        {"stops_all_sending", attempt.stops_all_sending},
    };
}

nlohmann::json StatusEventToJson(const StatusEvent& event) {
    return {
        {"status", std::string(ToString(event.status))},
        {"occurred_at", FormatIsoTime(event.occurred_at)},
        {"received_at", FormatIsoTime(event.received_at)},
        {"applied", event.applied},
        {"note", TextOrNull(event.note)},
        {"event_id", event.event_id},
    };
}

nlohmann::json TemplateToJson(const Template& tmpl) {
    return {
        {"name", tmpl.name},
        {"description", tmpl.description},
        {"language", tmpl.language},
        {"provider_template_name", tmpl.provider_template_name},
        {"variables", tmpl.variables},
        {"body", tmpl.body},
        {"category", tmpl.category},
        {"enabled", tmpl.enabled},
        {"updated_at", tmpl.updated_at ? nlohmann::json(FormatIsoTime(tmpl.updated_at)) : nlohmann::json()},
    };
}

std::optional<TimeMs> QueryTime(const HttpRequest& request, const std::string& name) {
    const auto text = request.Query(name);
    if (!text || text->empty()) return std::nullopt;
    const auto t = ParseIsoTime(*text);
    if (!t) {
        throw InvalidInput("invalid_field", name + " must be an ISO-8601 date or time, e.g. 2026-01-28T00:00:00Z",
                           name);
    }
    return t;
}

std::optional<bool> QueryBool(const HttpRequest& request, const std::string& name) {
    const auto text = request.Query(name);
    if (!text || text->empty()) return std::nullopt;
    if (*text == "true" || *text == "1") return true;
    if (*text == "false" || *text == "0") return false;
    throw InvalidInput("invalid_field", name + " must be true or false", name);
}

}  // namespace notify
