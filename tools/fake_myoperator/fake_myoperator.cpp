#include "fake_myoperator.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdio>
#include <utility>

#include "common/clock.h"
#include "common/time_format.h"
#include "http/errors.h"

namespace notify::fake {
namespace {

using json = nlohmann::json;

constexpr std::chrono::milliseconds kDefaultSlowDelay{2000};
constexpr std::chrono::milliseconds kDefaultHangDelay{60000};

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

FakeMyOperator::FakeMyOperator(FakeOptions options) : options_(std::move(options)), random_(std::random_device{}()) {}

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
                ++generation_;
            }
            wake_.notify_all();
            return JsonResponse(200, State());
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
        if (request.path != "/chat/messages") return MyOperatorError(404, "404", "Not found");
        if (request.method != "POST") return MyOperatorError(405, "405", "Method not allowed");

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

}  // namespace notify::fake
