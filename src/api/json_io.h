#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "http/http_types.h"
#include "notify/cost.h"
#include "notify/model.h"

namespace notify {

struct PassResult;

// The request body as a JSON object; an empty body counts as {} when allow_empty.
// invalid_json / invalid_body otherwise.
nlohmann::json ParseJsonObjectBody(const HttpRequest& request, bool allow_empty);

nlohmann::json TimeOrNull(const std::optional<TimeMs>& t);
nlohmann::json TextOrNull(const std::string& text);

// A message as the API shows it. Viewers get masked phone numbers; `detail` adds the context,
// the rendered parameters and a free-text message's text.
nlohmann::json MessageToJson(const Message& message, bool mask_phone, bool detail);
// Appends DumpJsonSafe(MessageToJson(message, mask_phone, false)), byte for byte, without building
// the JSON tree: GET /history prints up to 200 of these per request.
void AppendMessageJson(std::string& out, const Message& message, bool mask_phone);

// The GET /statistics body: the contract's counts and rates for all messages, "by_type", the
// estimated spend ("estimated_cost", SpendToJson) and the range asked for ("since", "until": the
// times or null). Written directly like AppendMessageJson, byte for byte what DumpJsonSafe prints
// for the same JSON tree.
void AppendStatisticsJson(std::string& out, const Statistics& stats, const SpendEstimate& spend,
                          const std::optional<TimeMs>& since, const std::optional<TimeMs>& until);
// What GET /health reports, and its body written directly: the same bytes as JsonResponse would
// print for the equivalent JSON object (keys in order), without building a JSON tree, since load
// balancers call it often (json_io_test checks the two agree).
struct HealthView {
    bool store_ok = true;
    std::optional<std::int64_t> queue_depth;  // null when the store did not answer
    std::string provider;
    bool processor_running = false;
    std::optional<TimeMs> processor_last_run_at;
    std::string sending;  // "ok", "held" or "throttled"
    struct Fault {
        std::string error;
        std::optional<TimeMs> since;
        std::optional<TimeMs> next_probe_at;
    };
    std::optional<Fault> provider_fault;
    std::optional<TimeMs> throttled_until;
    // The operator's switches (settings): null when the store did not answer.
    struct Switches {
        bool enabled = true;
        bool paused = false;
        int rollout_percent = 100;
    };
    std::optional<Switches> notifications;
    std::string version;
    std::int64_t uptime_seconds = 0;
};
void AppendHealthJson(std::string& out, const HealthView& health);

nlohmann::json AttemptToJson(const Attempt& attempt);
nlohmann::json StatusEventToJson(const StatusEvent& event);

// Text the provider sent back about `message` (an error, a status note), as a viewer may read it:
// the recipient's number (with or without '+', or its last ten digits) and every value the message
// carried (context, parameters and text, three characters or more) become "***". Providers quote both.
std::string RedactForViewer(std::string_view text, const Message& message);

// The GET /messages/{id} body: the message with "attempt_history" and "status_events". For a
// viewer: the phone masked, no context, parameters, text or idempotency key, and every provider text
// passed through RedactForViewer. Everyone else sees it all.
nlohmann::json MessageDetailToJson(const Message& message, const std::vector<Attempt>& attempts,
                                   const std::vector<StatusEvent>& events, bool viewer_only);
nlohmann::json TemplateToJson(const Template& tmpl);

// The process-queue answer, shared by the endpoint and the CLI command.
nlohmann::json PassResultToJson(const PassResult& pass);

// Optional query parameters, validated: invalid_field naming the parameter.
std::optional<TimeMs> QueryTime(const HttpRequest& request, const std::string& name);
std::optional<bool> QueryBool(const HttpRequest& request, const std::string& name);

}  // namespace notify
