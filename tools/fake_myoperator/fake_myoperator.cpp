#include "fake_myoperator.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <ctime>
#include <set>
#include <utility>

#include "common/clock.h"
#include "common/strings.h"
#include "common/time_format.h"
#include "http/errors.h"
#include "http_client.h"

namespace notify::fake {
namespace {

using json = nlohmann::json;

constexpr std::chrono::milliseconds kDefaultSlowDelay{2000};
constexpr std::chrono::milliseconds kDefaultHangDelay{60000};
// One webhook delivery; the service answers webhooks at once, so a few seconds mean it is stuck.
constexpr std::chrono::milliseconds kWebhookTimeout{3000};
constexpr int kMaxRepeat = 5;
constexpr std::size_t kMaxButtonCharacters = 25;  // WhatsApp's limit for a quick-reply button
constexpr std::size_t kMaxEventIdLength = 256;    // what the service accepts

constexpr std::array<std::pair<Mode, std::string_view>, 7> kModeNames = {{
    {Mode::kOk, "ok"},
    {Mode::kError500, "error500"},
    {Mode::kError429, "error429"},
    {Mode::kError400, "error400"},
    {Mode::kSlow, "slow"},
    {Mode::kWallet, "wallet"},
    {Mode::kHang, "hang"},
}};

// MyOperator's error shape as far as it is known: status, code, message.
HttpResponse MyOperatorError(int status, const std::string& code, const std::string& message) {
    return JsonResponse(status, {{"status", "error"}, {"code", code}, {"message", message}});
}

// WhatsApp refuses a template parameter that is empty, holds a newline or a tab, or more than
// four consecutive spaces. Returns why, or nullopt when the parameter is fine.
std::optional<std::string> ParameterProblem(const std::string& value) {
    if (value.empty()) return "is empty";
    if (value.find('\n') != std::string::npos || value.find('\r') != std::string::npos) return "contains a newline";
    if (value.find('\t') != std::string::npos) return "contains a tab";
    if (value.find("     ") != std::string::npos) return "contains more than four consecutive spaces";
    return std::nullopt;
}

bool IsDigits(const json& value) {
    if (!value.is_string()) return false;
    const auto& text = value.get_ref<const std::string&>();
    if (text.empty()) return false;
    for (char c : text) {
        if (!std::isdigit(static_cast<unsigned char>(c))) return false;
    }
    return true;
}

bool IsNonEmptyString(const json& object, const char* key) {
    auto it = object.find(key);
    return it != object.end() && it->is_string() && !it->get_ref<const std::string&>().empty();
}

// Checks a send body the way the real API would refuse it; the message of the 400, or nullopt.
std::optional<std::string> SendBodyProblem(const json& body) {
    if (!body.is_object()) return "body must be a JSON object";
    if (!IsNonEmptyString(body, "phone_number_id")) return "phone_number_id is required";
    if (!body.contains("customer_country_code") || !IsDigits(body["customer_country_code"])) {
        return "customer_country_code must be digits";
    }
    if (!body.contains("customer_number") || !IsDigits(body["customer_number"])) {
        return "customer_number must be digits";
    }
    if (!body.contains("data") || !body["data"].is_object()) return "data is required";
    const json& data = body["data"];
    if (!data.contains("context") || !data["context"].is_object()) return "data.context is required";
    const json& context = data["context"];
    const std::string type = data.value("type", "");
    if (type == "text") {
        if (!IsNonEmptyString(context, "body")) return "data.context.body is required";
        return std::nullopt;
    }
    if (type != "template") return "data.type must be template or text";
    if (!IsNonEmptyString(context, "template_name")) return "data.context.template_name is required";
    if (!IsNonEmptyString(context, "language")) return "data.context.language is required";
    if (!context.contains("body")) return std::nullopt;  // a template without variables
    const json& params = context["body"];
    if (!params.is_object()) return "data.context.body must be an object with keys \"1\", \"2\", ...";
    for (std::size_t i = 1; i <= params.size(); ++i) {
        auto it = params.find(std::to_string(i));
        if (it == params.end()) {
            return "data.context.body must have keys \"1\" to \"" + std::to_string(params.size()) + "\"";
        }
        if (!it->is_string()) return "template parameter " + std::to_string(i) + " must be a string";
        if (auto problem = ParameterProblem(it->get<std::string>())) {
            return "template parameter " + std::to_string(i) + " " + *problem + " (WhatsApp error 132018)";
        }
    }
    return std::nullopt;
}

// "2026-06-26T02:10:56.956814767Z": MyOperator's timestamps carry nanoseconds.
std::string NowWithNanoseconds() {
    const auto now = std::chrono::system_clock::now().time_since_epoch();
    const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(now);
    const auto nanoseconds = std::chrono::duration_cast<std::chrono::nanoseconds>(now - seconds).count();
    const std::time_t time = static_cast<std::time_t>(seconds.count());
    std::tm utc{};
    gmtime_r(&time, &utc);
    char text[64];
    std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%09lldZ", utc.tm_year + 1900, utc.tm_mon + 1,
                  utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, static_cast<long long>(nanoseconds));
    return text;
}

// "+919876543210", "919876543210" or "+91 98765-43210" -> "919876543210". The country code is
// required: a bare 10-digit Indian number would become a wrong customer_identifier.
std::optional<std::string> PhoneDigits(const std::string& phone) {
    std::string digits;
    for (std::size_t i = 0; i < phone.size(); ++i) {
        const char c = phone[i];
        if (std::isdigit(static_cast<unsigned char>(c))) {
            digits += c;
        } else if (!(c == '+' && i == 0) && c != ' ' && c != '-') {
            return std::nullopt;
        }
    }
    if (digits.size() < 11 || digits.size() > 15 || digits.front() == '0') return std::nullopt;
    return digits;
}

std::size_t Utf8Characters(const std::string& text) {
    return static_cast<std::size_t>(
        std::count_if(text.begin(), text.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

// An interactive reply's id as a business would set it: "Pause 3" -> "pause_3".
std::string ReplyId(const std::string& title) {
    std::string id = title;
    for (char& c : id) c = c == ' ' ? '_' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return id;
}

// payload.data of a message.received event, in the shapes myoperator-api.md lists for replies.
json InboundData(const std::optional<std::string>& text, const std::string& button, const std::string& shape) {
    if (text) return {{"type", "text"}, {"context", {{"body", *text}}}};
    if (shape == "button") return {{"type", "button"}, {"button", {{"payload", button}, {"text", button}}}};
    if (shape == "context_payload") return {{"type", "button"}, {"context", {{"payload", button}}}};
    const std::string kind = shape == "interactive" ? "button_reply" : "list_reply";
    return {{"type", "interactive"},
            {"interactive", {{"type", kind}, {kind, {{"id", ReplyId(button)}, {"title", button}}}}}};
}

// A BODY component with {{1}}..{{count}}, as WhatsApp shows an approved template's body.
json BodyComponent(int count) {
    std::string text = "Fake template body";
    for (int i = 1; i <= count; ++i) text += (i == 1 ? ": {{" : ", {{") + std::to_string(i) + "}}";
    return {{"type", "BODY"}, {"text", text + "."}};
}

// An entry as the listing serves it; the message of the 400, or nullopt.
std::optional<std::string> NormalizeTemplateEntry(json& entry) {
    if (!entry.is_object()) return "each template must be an object";
    if (!entry.contains("name") || !entry["name"].is_string() || entry["name"].get_ref<const std::string&>().empty()) {
        return "each template needs a \"name\"";
    }
    if (!entry.contains("language")) entry["language"] = "en";
    if (!entry.contains("status")) entry["status"] = "APPROVED";
    if (entry.contains("variables")) {
        const json& count = entry["variables"];
        if (!count.is_number_integer() || count.get<long long>() < 0 || count.get<long long>() > 100) {
            return "\"variables\" must be a whole number from 0 to 100";
        }
        entry["components"] = json::array({BodyComponent(count.get<int>())});
        entry.erase("variables");
    }
    if (!entry.contains("category")) entry["category"] = "UTILITY";
    return std::nullopt;
}

std::optional<std::chrono::milliseconds> DefaultDelay(Mode mode) {
    if (mode == Mode::kSlow) return kDefaultSlowDelay;
    if (mode == Mode::kHang) return kDefaultHangDelay;
    return std::nullopt;
}

}  // namespace

std::string_view ToString(Mode mode) {
    for (const auto& [value, name] : kModeNames) {
        if (value == mode) return name;
    }
    return "ok";
}

std::optional<Mode> ParseMode(std::string_view text) {
    for (const auto& [value, name] : kModeNames) {
        if (name == text) return value;
    }
    return std::nullopt;
}

std::optional<std::string> WebhookUrlProblem(const std::string& url) {
    if (!url.starts_with("http://") && !url.starts_with("https://")) return "url must start with http:// or https://";
    if (url.find_first_of(" \t\r\n") != std::string::npos) return "url must not contain whitespace";
    return std::nullopt;
}

json DefaultTemplates() {
    // The contract's ten templates and their number of variables; the service seeds each in en and hi.
    static const std::array<std::pair<std::string_view, int>, 10> kSeeded = {{
        {"welcome", 1},
        {"order_confirmation", 4},
        {"delivery_reminder", 3},
        {"delivery_completed", 2},
        {"delivery_missed", 3},
        {"subscription_created", 3},
        {"subscription_paused", 3},
        {"subscription_resumed", 2},
        {"payment_received", 3},
        {"payment_reminder", 3},
    }};
    json list = json::array();
    for (const auto& [name, variables] : kSeeded) {
        for (const std::string_view language : {"en", "hi"}) {
            json entry = {{"id", "fake-" + std::string(name) + "-" + std::string(language)},
                          {"name", std::string(name)},
                          {"language", std::string(language)},
                          {"variables", variables}};
            NormalizeTemplateEntry(entry);
            list.push_back(std::move(entry));
        }
    }
    return list;
}

FakeMyOperator::FakeMyOperator(FakeOptions options)
    : options_(std::move(options)),
      webhook_url_(options_.webhook_url),
      webhook_secret_(options_.webhook_secret),
      templates_(DefaultTemplates()),
      random_(std::random_device{}()) {}

FakeMyOperator::~FakeMyOperator() { Shutdown(); }

void FakeMyOperator::Shutdown() {
    {
        std::lock_guard lock(mutex_);
        shutting_down_ = true;
    }
    wake_.notify_all();
}

HttpResponse FakeMyOperator::Handle(HttpRequest& request) {
    try {
        if (request.path.starts_with("/_fake/")) return HandleControl(request);
        return HandleSend(request);
    } catch (...) {
        return ResponseForException(std::current_exception());
    }
}

HttpResponse FakeMyOperator::HandleControl(HttpRequest& request) {
    if (request.path == "/_fake/mode") {
        if (request.method == "POST") return SetMode(request.body);
        if (request.method == "GET") return JsonResponse(200, State());
    } else if (request.path == "/_fake/requests") {
        if (request.method == "GET") return JsonResponse(200, Requests());
    } else if (request.path == "/_fake/reset") {
        if (request.method == "POST") {
            {
                std::lock_guard lock(mutex_);
                requests_.clear();
                mode_ = Mode::kOk;
                delay_.reset();
                retry_after_seconds_ = 1;
                fail_next_.reset();
                inbound_.clear();
                templates_ = DefaultTemplates();
                ++generation_;
            }
            wake_.notify_all();
            return JsonResponse(200, State());
        }
    } else if (request.path == "/_fake/inbound") {
        if (request.method == "POST") return Inbound(request.body);
        if (request.method == "GET") {
            std::lock_guard lock(mutex_);
            return JsonResponse(200, {{"count", inbound_.size()}, {"events", inbound_}});
        }
    } else if (request.path == "/_fake/webhook") {
        if (request.method == "POST") return SetWebhook(request.body);
        if (request.method == "GET") return JsonResponse(200, WebhookState());
    } else if (request.path == "/_fake/templates") {
        if (request.method == "POST") return SetTemplates(request.body);
        if (request.method == "GET") {
            std::lock_guard lock(mutex_);
            return JsonResponse(200, {{"count", templates_.size()}, {"templates", templates_}});
        }
    } else {
        return ErrorResponse(404, "not_found", "unknown control path " + request.path);
    }
    return ErrorResponse(405, "method_not_allowed", request.method + " is not allowed on " + request.path);
}

HttpResponse FakeMyOperator::SetMode(const std::string& body) {
    const json input = json::parse(body.empty() ? std::string("{}") : body);  // parse_error -> 400
    if (!input.is_object()) return ErrorResponse(400, "invalid_input", "body must be a JSON object");
    auto mode = ParseMode(input.value("mode", ""));
    if (!mode) {
        return ErrorResponse(400, "invalid_input",
                             "mode must be one of ok, error500, error429, error400, slow, wallet, hang", "mode");
    }
    // -1: absent or null. Values are capped at a day, which no test needs to exceed.
    auto read = [&](const char* key, long long minimum) -> std::optional<int> {
        if (!input.contains(key) || input[key].is_null()) return -1;
        const json& value = input[key];
        if (!value.is_number_integer() || value.get<long long>() < minimum || value.get<long long>() > 86400000) {
            return std::nullopt;
        }
        return value.get<int>();
    };
    const std::optional<int> delay_ms = read("delay_ms", 0);
    if (!delay_ms) return ErrorResponse(400, "invalid_input", "delay_ms must be a non-negative integer", "delay_ms");
    const std::optional<int> retry_after = read("retry_after", 0);
    if (!retry_after) {
        return ErrorResponse(400, "invalid_input", "retry_after must be a non-negative integer", "retry_after");
    }
    const std::optional<int> fail_next = read("fail_next", 1);
    if (!fail_next) return ErrorResponse(400, "invalid_input", "fail_next must be a positive integer", "fail_next");
    {
        std::lock_guard lock(mutex_);
        mode_ = *mode;
        delay_.reset();
        if (*delay_ms >= 0) delay_ = std::chrono::milliseconds(*delay_ms);
        retry_after_seconds_ = *retry_after >= 0 ? *retry_after : 1;
        fail_next_.reset();
        if (*fail_next > 0) fail_next_ = *fail_next;
    }
    spdlog::info("fake mode set to {}", ToString(*mode));
    return JsonResponse(200, State());
}

json FakeMyOperator::StateLocked() const {
    auto delay = delay_ ? delay_ : DefaultDelay(mode_);
    return {{"mode", ToString(mode_)},
            {"delay_ms", delay ? json(delay->count()) : json(nullptr)},
            {"retry_after", retry_after_seconds_},
            {"fail_next", fail_next_ ? json(*fail_next_) : json(nullptr)},
            {"count", requests_.size()}};
}

json FakeMyOperator::State() const {
    std::lock_guard lock(mutex_);
    return StateLocked();
}

json FakeMyOperator::Requests() const {
    std::lock_guard lock(mutex_);
    return {{"count", requests_.size()}, {"requests", requests_}};
}

FakeMyOperator::Behaviour FakeMyOperator::TakeBehaviour() {
    std::lock_guard lock(mutex_);
    Behaviour behaviour;
    behaviour.mode = mode_;
    behaviour.delay = delay_.value_or(DefaultDelay(mode_).value_or(std::chrono::milliseconds(0)));
    behaviour.retry_after_seconds = retry_after_seconds_;
    if (fail_next_ && --*fail_next_ == 0) {  // the last of the K: back to ok afterwards
        mode_ = Mode::kOk;
        delay_.reset();
        fail_next_.reset();
    }
    return behaviour;
}

bool FakeMyOperator::Wait(std::chrono::milliseconds delay) {
    std::unique_lock lock(mutex_);
    const std::uint64_t generation = generation_;
    return !wake_.wait_for(lock, delay, [&] { return shutting_down_ || generation_ != generation; });
}

std::pair<std::size_t, std::uint64_t> FakeMyOperator::Record(const HttpRequest& request, const json& body) {
    json headers = json::object();
    for (const auto& [name, value] : request.headers) headers[name] = value;
    json record = {
        {"method", request.method},  {"path", request.path}, {"target", request.target},
        {"headers", headers},        {"body", body},         {"received_at", FormatIsoTime(SystemClock().NowMs())},
        {"response_status", nullptr}};
    if (body.is_null()) record["raw_body"] = request.body;
    std::lock_guard lock(mutex_);
    requests_.push_back(std::move(record));
    return {requests_.size() - 1, generation_};
}

void FakeMyOperator::Complete(std::size_t index, std::uint64_t generation, int status, const std::string& message_id) {
    std::lock_guard lock(mutex_);
    if (generation != generation_ || index >= requests_.size()) return;  // a reset forgot it
    requests_[index]["response_status"] = status;
    if (!message_id.empty()) requests_[index]["message_id"] = message_id;
}

std::string FakeMyOperator::NewUuid() {
    std::uint64_t high, low;
    {
        std::lock_guard lock(mutex_);
        high = random_();
        low = random_();
    }
    high = (high & 0xFFFFFFFFFFFF0FFFULL) | 0x0000000000004000ULL;  // version 4
    low = (low & 0x3FFFFFFFFFFFFFFFULL) | 0x8000000000000000ULL;    // RFC 4122 variant
    char text[37];
    std::snprintf(text, sizeof text, "%08x-%04x-%04x-%04x-%012llx", static_cast<unsigned>(high >> 32),
                  static_cast<unsigned>((high >> 16) & 0xFFFF), static_cast<unsigned>(high & 0xFFFF),
                  static_cast<unsigned>(low >> 48), static_cast<unsigned long long>(low & 0xFFFFFFFFFFFFULL));
    return text;
}

HttpResponse FakeMyOperator::HandleSend(HttpRequest& request) {
    const json body = json::parse(request.body, nullptr, /*allow_exceptions=*/false);
    const auto [index, generation] = Record(request, body.is_discarded() ? json(nullptr) : body);
    std::string message_id;
    HttpResponse response = [&]() -> HttpResponse {
        // GET /chat/templates: the read-only listing `notifyd doctor` and `templates sync` read.
        const bool list_templates = request.path == "/chat/templates" && request.method == "GET";
        if (request.path != "/chat/messages" && !list_templates) return MyOperatorError(404, "404", "Not found");
        if (!list_templates && request.method != "POST") return MyOperatorError(405, "405", "Method not allowed");

        // Like MyOperator: the scheme must be exactly "Bearer"; "bearer" is refused with 403.
        const std::string authorization = request.Header("authorization").value_or("");
        const std::size_t space = authorization.find(' ');
        const std::string scheme = authorization.substr(0, space);
        const std::string key = space == std::string::npos ? "" : authorization.substr(space + 1);
        if (scheme != "Bearer") {
            auto lower_equal = [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == b; };
            if (scheme.size() == 6 && std::equal(scheme.begin(), scheme.end(), "bearer", lower_equal)) {
                return MyOperatorError(403, "403", "Forbidden");
            }
            return MyOperatorError(401, "401", "Unauthorized");
        }
        if (!options_.api_key.empty() && key != options_.api_key) return MyOperatorError(401, "401", "Unauthorized");
        if (!options_.company_id.empty() && request.Header("x-myop-company-id") != options_.company_id) {
            return MyOperatorError(401, "401", "Invalid company id");
        }

        if (list_templates) return ListTemplates(request);

        const Behaviour behaviour = TakeBehaviour();
        switch (behaviour.mode) {
            case Mode::kError500:
                return JsonResponse(500, {{"message", nullptr}});
            case Mode::kError429: {
                HttpResponse limited = MyOperatorError(429, "429", "Too many requests");
                limited.headers.emplace_back("Retry-After", std::to_string(behaviour.retry_after_seconds));
                return limited;
            }
            case Mode::kError400:
                return MyOperatorError(400, "400", "Invalid request (fake error400 mode)");
            case Mode::kWallet:
                return MyOperatorError(400, "CHAT_4001", "Insufficient wallet balance");
            case Mode::kHang:
                if (!Wait(behaviour.delay)) return MyOperatorError(503, "503", "Fake is shutting down or was reset");
                return MyOperatorError(504, "504", "Fake hang ended");
            case Mode::kSlow:
                if (!Wait(behaviour.delay)) return MyOperatorError(503, "503", "Fake is shutting down or was reset");
                break;
            case Mode::kOk:
                break;
        }

        if (body.is_discarded()) return MyOperatorError(400, "400", "Invalid JSON body");
        if (auto problem = SendBodyProblem(body)) return MyOperatorError(400, "400", *problem);
        message_id = NewUuid();
        return JsonResponse(200, {{"status", "success"},
                                  {"code", "200"},
                                  {"message", "Accepted"},
                                  {"data", {{"conversation_id", NewUuid()}, {"message_id", message_id}}}});
    }();
    Complete(index, generation, response.status, message_id);
    return response;
}

HttpResponse FakeMyOperator::SetTemplates(const std::string& body) {
    const json input = json::parse(body.empty() ? std::string("{}") : body);  // parse_error -> 400
    if (!input.is_object() || !input.contains("templates") || !input["templates"].is_array()) {
        return ErrorResponse(400, "invalid_input", "body must be {\"templates\": [...]}", "templates");
    }
    json list = input["templates"];
    for (auto& entry : list) {
        if (auto problem = NormalizeTemplateEntry(entry))
            return ErrorResponse(400, "invalid_input", *problem, "templates");
    }
    std::lock_guard lock(mutex_);
    templates_ = std::move(list);
    spdlog::info("fake template listing set: {} template(s)", templates_.size());
    return JsonResponse(200, {{"count", templates_.size()}, {"templates", templates_}});
}

HttpResponse FakeMyOperator::ListTemplates(const HttpRequest& request) const {
    // A missing or unreadable limit or offset takes its default, as a lenient API would.
    auto number = [&](const std::string& name, std::size_t fallback) {
        const auto text = request.Query(name);
        if (!text || text->empty() || text->size() > 6 || text->find_first_not_of("0123456789") != std::string::npos) {
            return fallback;
        }
        return static_cast<std::size_t>(std::stoul(*text));
    };
    const std::size_t limit = number("limit", 100);
    const std::size_t offset = number("offset", 0);
    const std::string wanted = AsciiLower(request.Query("waba_template_status").value_or(""));
    json matching = json::array();
    {
        std::lock_guard lock(mutex_);
        for (const auto& entry : templates_) {
            const json status = entry.value("status", json(""));
            if (!wanted.empty() && (!status.is_string() || AsciiLower(status.get<std::string>()) != wanted)) continue;
            matching.push_back(entry);
        }
    }
    json page = json::array();
    for (std::size_t i = offset; i < matching.size() && page.size() < limit; ++i) page.push_back(matching[i]);
    return JsonResponse(200, {{"status", "success"},
                              {"code", "200"},
                              {"message", "Success"},
                              {"data", {{"count", matching.size()}, {"results", std::move(page)}}}});
}

HttpResponse FakeMyOperator::SetWebhook(const std::string& body) {
    const json input = json::parse(body.empty() ? std::string("{}") : body);  // parse_error -> 400
    if (!input.is_object()) return ErrorResponse(400, "invalid_input", "body must be a JSON object");
    for (const auto& [key, value] : input.items()) {
        if (key != "url" && key != "secret") return ErrorResponse(400, "invalid_input", "unknown field " + key, key);
    }
    if (!input.contains("url") || !input["url"].is_string()) {
        return ErrorResponse(400, "invalid_input", "url is required (the service's webhook URL)", "url");
    }
    const std::string url = input["url"].get<std::string>();
    if (auto problem = WebhookUrlProblem(url)) return ErrorResponse(400, "invalid_input", *problem, "url");
    const json secret = input.value("secret", json(""));
    if (!secret.is_string()) return ErrorResponse(400, "invalid_input", "secret must be a string", "secret");
    {
        std::lock_guard lock(mutex_);
        webhook_url_ = url;
        webhook_secret_ = secret.get<std::string>();
    }
    spdlog::info("fake webhook set to {}", url);
    return JsonResponse(200, WebhookState());
}

json FakeMyOperator::WebhookState() const {
    std::lock_guard lock(mutex_);
    // The secret itself is never echoed: it may be the service's real one.
    return {{"url", webhook_url_.empty() ? json(nullptr) : json(webhook_url_)},
            {"secret_set", !webhook_secret_.empty()}};
}

json FakeMyOperator::BuildInboundEvent(const std::string& digits, const std::string& event_id, json data) {
    // NewUuid takes mutex_, so every id is drawn before the lock below.
    const std::string message_id = NewUuid();
    const std::string new_session = NewUuid();
    std::uint64_t sequence = 0;
    std::string session;
    {
        std::lock_guard lock(mutex_);
        sequence = ++event_sequence_;
        session = sessions_.try_emplace(digits, new_session).first->second;
    }
    return {{"event_id", event_id},
            {"company_id", options_.company_id.empty() ? std::string("fake-company") : options_.company_id},
            {"event_type", "message.received"},
            {"event_sequence", sequence},
            {"event_version", "2"},
            {"timestamp", NowWithNanoseconds()},
            {"channel", "whatsapp"},
            {"direction", "incoming"},
            {"session_id", session},
            {"system_identifier", options_.phone_number_id},
            {"customer_identifier", digits},
            {"payload", {{"id", message_id}, {"status", "received"}, {"data", std::move(data)}}}};
}

HttpResponse FakeMyOperator::Inbound(const std::string& body) {
    const json input = json::parse(body.empty() ? std::string("{}") : body);  // parse_error -> 400
    if (!input.is_object()) return ErrorResponse(400, "invalid_input", "body must be a JSON object");
    static const std::set<std::string> kFields = {"phone", "text", "button", "shape", "event_id", "repeat"};
    for (const auto& [key, value] : input.items()) {
        if (!kFields.contains(key)) return ErrorResponse(400, "invalid_input", "unknown field " + key, key);
    }
    auto text_field = [&](const char* key) -> std::optional<std::string> {
        if (!input.contains(key) || input[key].is_null()) return std::nullopt;
        if (!input[key].is_string()) return std::string();  // reported as empty below
        return input[key].get<std::string>();
    };

    const auto phone = text_field("phone");
    if (!phone) return ErrorResponse(400, "invalid_input", "phone is required", "phone");
    const auto digits = PhoneDigits(*phone);
    if (!digits) {
        return ErrorResponse(400, "invalid_input",
                             "phone must be an E.164 number with its country code, e.g. +919876543210", "phone");
    }
    const auto text = text_field("text");
    const auto button = text_field("button");
    if (text && button) return ErrorResponse(400, "invalid_input", "give either text or button, not both", "button");
    if (!text && !button) return ErrorResponse(400, "invalid_input", "text or button is required", "text");
    if (text && text->empty()) return ErrorResponse(400, "invalid_input", "text must be a non-empty string", "text");
    if (button && button->empty()) {
        return ErrorResponse(400, "invalid_input", "button must be a non-empty string", "button");
    }
    if (button && Utf8Characters(*button) > kMaxButtonCharacters) {
        return ErrorResponse(400, "invalid_input", "button text is longer than WhatsApp's 25 characters", "button");
    }
    const auto shape = text_field("shape");
    if (shape && text) return ErrorResponse(400, "invalid_input", "shape applies to a button only", "shape");
    const std::string button_shape = shape.value_or("button");
    if (button && button_shape != "button" && button_shape != "context_payload" && button_shape != "interactive" &&
        button_shape != "list") {
        return ErrorResponse(400, "invalid_input", "shape must be one of button, context_payload, interactive, list",
                             "shape");
    }
    auto event_id = text_field("event_id");
    if (event_id && (event_id->empty() || event_id->size() > kMaxEventIdLength)) {
        return ErrorResponse(400, "invalid_input", "event_id must be a string of 1 to 256 characters", "event_id");
    }
    int repeat = 1;
    if (input.contains("repeat") && !input["repeat"].is_null()) {
        const json& value = input["repeat"];
        if (!value.is_number_integer() || value.get<long long>() < 1 || value.get<long long>() > kMaxRepeat) {
            return ErrorResponse(400, "invalid_input", "repeat must be an integer from 1 to 5", "repeat");
        }
        repeat = value.get<int>();
    }

    std::string url;
    std::string secret;
    {
        std::lock_guard lock(mutex_);
        url = webhook_url_;
        secret = webhook_secret_;
    }
    if (url.empty()) {
        return ErrorResponse(409, "webhook_not_configured",
                             "no webhook URL: start the fake with --webhook-url or POST /_fake/webhook first");
    }

    const json event = BuildInboundEvent(*digits, event_id ? *event_id : NewUuid(),
                                         InboundData(text, button.value_or(""), button_shape));
    const std::string envelope = event.dump();
    std::vector<std::string> headers = {"Content-Type: application/json", "Accept: application/json"};
    if (!secret.empty()) headers.push_back("X-Webhook-Secret: " + secret);

    // Outside the lock: the service may send a confirmation to this fake while it handles the event.
    json deliveries = json::array();
    std::string failure;
    for (int i = 0; i < repeat && failure.empty(); ++i) {
        const PostResult result = PostJson(url, envelope, headers, kWebhookTimeout);
        if (result.status == 0) {
            failure = result.error;
            break;
        }
        const json answer = json::parse(result.body, nullptr, /*allow_exceptions=*/false);
        deliveries.push_back({{"status", result.status}, {"body", answer.is_discarded() ? json(result.body) : answer}});
    }
    {
        std::lock_guard lock(mutex_);
        inbound_.push_back({{"event", event}, {"deliveries", deliveries}});
    }
    if (!failure.empty()) {
        spdlog::warn("fake inbound {}: webhook {} unreachable: {}", event["event_id"].get<std::string>(), url, failure);
        return JsonResponse(
            502,
            {{"error",
              {{"code", "webhook_unreachable"}, {"message", "the webhook at " + url + " did not answer: " + failure}}},
             {"event", event},
             {"deliveries", deliveries}});
    }
    spdlog::info("fake inbound {} delivered {} time(s)", event["event_id"].get<std::string>(), repeat);
    return JsonResponse(200, {{"event", event}, {"deliveries", deliveries}});
}

}  // namespace notify::fake
