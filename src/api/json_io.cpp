#include "api/json_io.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "common/errors.h"
#include "common/time_format.h"
#include "http/errors.h"
#include "notify/cost.h"
#include "notify/phone.h"

namespace notify {
namespace {

// A JSON string exactly as DumpJsonSafe prints it. Printable ASCII other than the characters it
// escapes is copied as it is; anything else (control characters, non-ASCII, invalid UTF-8) is
// rare and goes through DumpJsonSafe itself.
void AppendJsonString(std::string& out, std::string_view text) {
    for (const char ch : text) {
        const auto c = static_cast<unsigned char>(ch);
        if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&') {
            out += DumpJsonSafe(nlohmann::json(std::string(text)));
            return;
        }
    }
    out += '"';
    out.append(text);
    out += '"';
}

void AppendInt(std::string& out, std::int64_t value) {
    char buf[24];
    const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
    out.append(buf, end);
}

void AppendTimeOrNull(std::string& out, const std::optional<TimeMs>& t) {
    if (!t) {
        out += "null";
        return;
    }
    out += '"';
    AppendIsoTime(out, *t);
    out += '"';
}

void AppendTextOrNull(std::string& out, const std::string& text) {
    if (text.empty()) {
        out += "null";
    } else {
        AppendJsonString(out, text);
    }
}

// A rate in percent with two decimals, null when there is nothing to divide by. The double is
// printed by nlohmann::json itself, so its digits are those the contract's examples show.
void AppendPercent(std::string& out, std::int64_t numerator, std::int64_t denominator) {
    if (denominator == 0) {
        out += "null";
        return;
    }
    const double percent =
        std::round(10000.0 * static_cast<double>(numerator) / static_cast<double>(denominator)) / 100.0;
    out += nlohmann::json(percent).dump();
}

// Where the top level of /statistics puts its own members among the counts' keys.
enum class CountsSlot {
    kAfterDeliveryRate,  // "estimated_cost"
    kAfterSent,          // "since"
    kEnd,                // "until"
};

// The keys in nlohmann::json's (sorted) order; `extra` is called at each CountsSlot, so that the top
// level's estimated_cost, since and until land where a dump of the JSON tree would put them.
template <typename Extra>
void AppendCounts(std::string& out, const StatusCounts& c, Extra&& extra) {
    out += "\"delivered\":";
    AppendInt(out, c.delivered);
    out += ",\"delivery_rate\":";
    AppendPercent(out, c.delivered, c.sent);
    extra(CountsSlot::kAfterDeliveryRate);
    out += ",\"failed\":";
    AppendInt(out, c.failed);
    out += ",\"queued\":";
    AppendInt(out, c.queued);
    out += ",\"read\":";
    AppendInt(out, c.read);
    out += ",\"sent\":";
    AppendInt(out, c.sent);
    extra(CountsSlot::kAfterSent);
    out += ",\"skipped_rollout\":";
    AppendInt(out, c.skipped_rollout);
    out += ",\"success_rate\":";
    AppendPercent(out, c.sent, c.sent + c.failed);
    out += ",\"suppressed\":";
    AppendInt(out, c.suppressed);
    out += ",\"total\":";
    AppendInt(out, c.total);
    extra(CountsSlot::kEnd);
}

}  // namespace

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
        out["text"] = message.text ? nlohmann::json(*message.text) : nlohmann::json();
        nlohmann::json context = nlohmann::json::parse(message.context_json, nullptr, false);
        out["context"] = context.is_discarded() ? nlohmann::json::object() : context;
    }
    return out;
}

void AppendMessageJson(std::string& out, const Message& message, bool mask_phone) {
    // The keys of MessageToJson(message, mask_phone, false) in the order nlohmann::json prints
    // them (sorted), with the same values.
    out += "{\"attempts\":";
    AppendInt(out, message.attempts);
    out += ",\"created_at\":";
    AppendTimeOrNull(out, message.created_at);
    out += ",\"delivered_at\":";
    AppendTimeOrNull(out, message.delivered_at);
    out += ",\"failed_at\":";
    AppendTimeOrNull(out, message.failed_at);
    out += ",\"id\":";
    AppendJsonString(out, message.id);
    out += ",\"last_error\":";
    AppendTextOrNull(out, message.last_error);
    out += ",\"message_type\":";
    AppendJsonString(out, message.message_type);
    out += ",\"next_attempt_at\":";
    AppendTimeOrNull(out, message.next_attempt_at);
    out += ",\"phone\":";
    AppendJsonString(out, mask_phone ? MaskPhone(message.phone) : message.phone);
    out += ",\"provider_message_id\":";
    AppendTextOrNull(out, message.provider_message_id);
    out += ",\"read_at\":";
    AppendTimeOrNull(out, message.read_at);
    out += ",\"sent_at\":";
    AppendTimeOrNull(out, message.sent_at);
    out += ",\"status\":";
    AppendJsonString(out, ToString(message.status));
    out += ",\"updated_at\":";
    AppendTimeOrNull(out, message.updated_at);
    out += '}';
}

void AppendStatisticsJson(std::string& out, const Statistics& stats, const SpendEstimate& spend,
                          const std::optional<TimeMs>& since, const std::optional<TimeMs>& until) {
    out += "{\"by_type\":{";
    bool first = true;
    for (const auto& [type, counts] : stats.by_type) {  // std::map: sorted as nlohmann::json sorts keys
        if (!first) out += ',';
        first = false;
        AppendJsonString(out, type);
        out += ":{";
        AppendCounts(out, counts, [](CountsSlot) {});
        out += '}';
    }
    out += "},";
    AppendCounts(out, stats.all, [&](CountsSlot slot) {
        switch (slot) {
            case CountsSlot::kAfterDeliveryRate:
                // A handful of keys: the tree is cheap, and keeps one definition of the estimate's shape.
                out += ",\"estimated_cost\":";
                out += DumpJsonSafe(SpendToJson(spend));
                break;
            case CountsSlot::kAfterSent:
                out += ",\"since\":";
                AppendTimeOrNull(out, since);
                break;
            case CountsSlot::kEnd:
                out += ",\"until\":";
                AppendTimeOrNull(out, until);
                break;
        }
    });
    out += '}';
}

void AppendHealthJson(std::string& out, const HealthView& health) {
    out += "{\"database\":";
    out += health.store_ok ? "\"ok\"" : "\"unavailable\"";
    out += ",\"notifications\":";
    if (health.notifications) {
        out += "{\"enabled\":";
        out += health.notifications->enabled ? "true" : "false";
        out += ",\"paused\":";
        out += health.notifications->paused ? "true" : "false";
        out += ",\"rollout_percent\":";
        AppendInt(out, health.notifications->rollout_percent);
        out += '}';
    } else {
        out += "null";
    }
    out += ",\"processor\":{\"last_run_at\":";
    AppendTimeOrNull(out, health.processor_last_run_at);
    out += ",\"running\":";
    out += health.processor_running ? "true" : "false";
    out += "},\"provider\":";
    AppendJsonString(out, health.provider);
    out += ",\"provider_fault\":";
    if (health.provider_fault) {
        out += "{\"error\":";
        AppendJsonString(out, health.provider_fault->error);
        out += ",\"next_probe_at\":";
        AppendTimeOrNull(out, health.provider_fault->next_probe_at);
        out += ",\"since\":";
        AppendTimeOrNull(out, health.provider_fault->since);
        out += '}';
    } else {
        out += "null";
    }
    out += ",\"queue_depth\":";
    if (health.queue_depth) {
        AppendInt(out, *health.queue_depth);
    } else {
        out += "null";
    }
    out += ",\"sending\":";
    AppendJsonString(out, health.sending);
    out += ",\"status\":";
    out += health.store_ok ? "\"ok\"" : "\"degraded\"";
    out += ",\"throttled_until\":";
    AppendTimeOrNull(out, health.throttled_until);
    out += ",\"uptime_seconds\":";
    AppendInt(out, health.uptime_seconds);
    out += ",\"version\":";
    AppendJsonString(out, health.version);
    out += '}';
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

std::string RedactForViewer(std::string_view text, const Message& message) {
    if (text.empty()) return std::string(text);
    std::vector<std::string> secrets;
    const auto add = [&secrets](std::string value) {
        if (value.size() >= 3) secrets.push_back(std::move(value));
    };
    add(message.phone);
    if (message.phone.size() > 1 && message.phone.front() == '+') add(message.phone.substr(1));
    if (message.phone.size() > 10) add(message.phone.substr(message.phone.size() - 10));
    for (const auto& parameter : message.parameters) add(parameter);
    if (message.text) add(*message.text);
    const nlohmann::json context = nlohmann::json::parse(message.context_json, nullptr, false);
    if (context.is_object()) {
        for (const auto& [key, value] : context.items()) {
            if (value.is_string()) {
                add(value.get<std::string>());
            } else if (value.is_number()) {
                add(value.dump());
            }
        }
    }
    // Longest first, so that a value is not left half-shown after a shorter one inside it is replaced.
    std::sort(secrets.begin(), secrets.end(), [](const auto& a, const auto& b) { return a.size() > b.size(); });
    std::string out(text);
    for (const auto& secret : secrets) {
        for (auto at = out.find(secret); at != std::string::npos; at = out.find(secret, at + 3)) {
            out.replace(at, secret.size(), "***");
        }
    }
    return out;
}

nlohmann::json MessageDetailToJson(const Message& message, const std::vector<Attempt>& attempts,
                                   const std::vector<StatusEvent>& events, bool viewer_only) {
    nlohmann::json body = MessageToJson(message, viewer_only, !viewer_only);
    if (viewer_only) {
        // Which template and language went out is operational, not the customer's data.
        body["provider_template_name"] = message.provider_template_name;
        body["language"] = message.language;
        body["last_error"] = TextOrNull(RedactForViewer(message.last_error, message));
    }
    nlohmann::json attempt_history = nlohmann::json::array();
    for (const auto& attempt : attempts) {
        nlohmann::json item = AttemptToJson(attempt);
        if (viewer_only) item["error"] = TextOrNull(RedactForViewer(attempt.error, message));
        attempt_history.push_back(std::move(item));
    }
    body["attempt_history"] = std::move(attempt_history);
    nlohmann::json status_events = nlohmann::json::array();
    for (const auto& event : events) {
        nlohmann::json item = StatusEventToJson(event);
        if (viewer_only) item["note"] = TextOrNull(RedactForViewer(event.note, message));
        status_events.push_back(std::move(item));
    }
    body["status_events"] = std::move(status_events);
    return body;
}

nlohmann::json TemplateToJson(const Template& tmpl) {
    nlohmann::json variants = nlohmann::json::array();
    for (const auto& variant : tmpl.variants) {
        variants.push_back({{"language", variant.language}, {"body", variant.body}});
    }
    return {
        {"name", tmpl.name},
        {"description", tmpl.description},
        {"language", tmpl.language},
        {"provider_template_name", tmpl.provider_template_name},
        {"variables", tmpl.variables},
        {"body", tmpl.body},
        {"category", tmpl.category},
        {"enabled", tmpl.enabled},
        {"quiet_hours", tmpl.quiet_hours},
        {"variants", std::move(variants)},
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
