#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "http/http_types.h"
#include "notify/model.h"

namespace notify {

struct PassResult;

// The request body as a JSON object; an empty body counts as {} when allow_empty.
// invalid_json / invalid_body otherwise.
nlohmann::json ParseJsonObjectBody(const HttpRequest& request, bool allow_empty);

nlohmann::json TimeOrNull(const std::optional<TimeMs>& t);
nlohmann::json TextOrNull(const std::string& text);

// A message as the API shows it. Viewers get masked phone numbers; `detail` adds the context
// and the rendered parameters.
nlohmann::json MessageToJson(const Message& message, bool mask_phone, bool detail);
// Appends DumpJsonSafe(MessageToJson(message, mask_phone, false)), byte for byte, without building
// the JSON tree: GET /history prints up to 200 of these per request.
void AppendMessageJson(std::string& out, const Message& message, bool mask_phone);

// The GET /statistics body: the contract's counts and rates for all messages, "by_type", and the
// range asked for ("since", "until": the times or null). Written directly like AppendMessageJson,
// byte for byte what DumpJsonSafe prints for the same JSON tree.
void AppendStatisticsJson(std::string& out, const Statistics& stats, const std::optional<TimeMs>& since,
                          const std::optional<TimeMs>& until);
nlohmann::json AttemptToJson(const Attempt& attempt);
nlohmann::json StatusEventToJson(const StatusEvent& event);

// Text the provider sent back about `message` (an error, a status note), as a viewer may read it:
// the recipient's number (with or without '+', or its last ten digits) and every value the message
// carried (context and parameters, three characters or more) become "***". Providers quote both.
std::string RedactForViewer(std::string_view text, const Message& message);

// The GET /messages/{id} body: the message with "attempt_history" and "status_events". For a
// viewer: the phone masked, no context, parameters or idempotency key, and every provider text
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
