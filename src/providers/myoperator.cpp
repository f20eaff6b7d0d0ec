#include "providers/myoperator.h"

#include <curl/curl.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "common/strings.h"
#include "providers/retry_after.h"

namespace notify {
namespace {

using json = nlohmann::json;

constexpr std::size_t kMaxErrorBytes = 300;
constexpr std::size_t kBodySnippetBytes = 200;
constexpr std::size_t kMaxResponseBytes = 64 * 1024;
constexpr long kMaxConnectTimeoutMs = 5000;

// The account, not the message, is at fault: every message would fail the same way until someone
// tops up the wallet or re-enables the number, so the messages are kept and sending pauses.
constexpr std::array<std::string_view, 4> kAccountBlockingCodes = {"CHAT_4001", "CHAT_0302", "CHAT_0303", "CHAT_0304"};
// WhatsApp throughput (130429) and per-recipient pair rate (131056) limits: retry later.
constexpr std::array<std::string_view, 2> kRateLimitCodes = {"130429", "131056"};

std::string DigitsOnly(std::string_view text) {
    std::string out;
    for (char c : text) {
        if (std::isdigit(static_cast<unsigned char>(c))) out += c;
    }
    return out;
}

bool IsWordChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// Whether `token` occurs in `text` as a whole word, case-insensitively: "CHAT_4001" but not
// "CHAT_40012", "130429" but not "91304290".
bool ContainsCode(std::string_view text, std::string_view token) {
    if (token.empty() || text.size() < token.size()) return false;
    for (std::size_t i = 0; i + token.size() <= text.size(); ++i) {
        bool match = true;
        for (std::size_t k = 0; k < token.size() && match; ++k) {
            match = std::toupper(static_cast<unsigned char>(text[i + k])) ==
                    std::toupper(static_cast<unsigned char>(token[k]));
        }
        if (!match) continue;
        bool starts_word = i == 0 || !IsWordChar(text[i - 1]);
        bool ends_word = i + token.size() == text.size() || !IsWordChar(text[i + token.size()]);
        if (starts_word && ends_word) return true;
    }
    return false;
}

// Length of the valid UTF-8 sequence starting at text[i], or 0 when the bytes there are not one.
std::size_t Utf8SequenceLength(std::string_view text, std::size_t i) {
    auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
    unsigned char lead = byte(i);
    if (lead < 0x80) return 1;
    std::size_t length = 0;
    unsigned char low = 0x80, high = 0xBF;  // allowed range of the second byte
    if (lead >= 0xC2 && lead <= 0xDF) {
        length = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        length = 3;
        if (lead == 0xE0) low = 0xA0;   // overlong
        if (lead == 0xED) high = 0x9F;  // surrogates
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        length = 4;
        if (lead == 0xF0) low = 0x90;   // overlong
        if (lead == 0xF4) high = 0x8F;  // above U+10FFFF
    } else {
        return 0;
    }
    if (i + length > text.size()) return 0;
    if (byte(i + 1) < low || byte(i + 1) > high) return 0;
    for (std::size_t k = 2; k < length; ++k) {
        if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return 0;
    }
    return length;
}

// Provider text for people and for JSON: valid UTF-8 only (invalid bytes become '?'), control
// characters and whitespace runs become one space, at most max_bytes, cut on a character boundary.
std::string CleanText(std::string_view text, std::size_t max_bytes) {
    std::string out;
    bool pending_space = false;
    for (std::size_t i = 0; i < text.size() && out.size() <= max_bytes;) {
        unsigned char c = static_cast<unsigned char>(text[i]);
        if (c < 0x20 || c == 0x7F || c == ' ') {
            pending_space = !out.empty();
            ++i;
            continue;
        }
        if (pending_space) out += ' ';
        pending_space = false;
        std::size_t length = Utf8SequenceLength(text, i);
        if (length == 0) {
            out += '?';
            ++i;
        } else {
            out.append(text.substr(i, length));
            i += length;
        }
    }
    if (out.size() > max_bytes) {
        std::size_t cut = max_bytes >= 3 ? max_bytes - 3 : 0;
        while (cut > 0 && (static_cast<unsigned char>(out[cut]) & 0xC0) == 0x80) --cut;
        out.resize(cut);
        out += "...";
    }
    return out;
}

const json* Member(const json& object, std::string_view key) {
    if (!object.is_object()) return nullptr;
    auto it = object.find(key);
    return it == object.end() ? nullptr : &*it;
}

// A string or a number as text; anything else (null, objects) as "".
std::string ScalarText(const json* value) {
    if (value == nullptr) return {};
    if (value->is_string()) return value->get<std::string>();
    if (value->is_number_integer() || value->is_number_unsigned()) return value->dump();
    return {};
}

const json* FirstError(const json& body) {
    const json* errors = Member(body, "errors");
    if (errors != nullptr && errors->is_array() && !errors->empty()) return &errors->front();
    return nullptr;
}

// The provider's own error code, wherever this response keeps it. A code that only repeats the
// HTTP status ("code": "400") says nothing new and is skipped in favour of a more specific one.
std::string ProviderCode(const json& body, int http_status) {
    const json* error = Member(body, "error");
    const json* first = FirstError(body);
    const std::array<const json*, 5> candidates = {
        Member(body, "code"), Member(body, "error_code"), error ? Member(*error, "code") : nullptr,
        first ? Member(*first, "code") : nullptr, Member(body, "status_code")};
    const std::string status_text = std::to_string(http_status);
    for (const json* candidate : candidates) {
        std::string code = ScalarText(candidate);
        if (!code.empty() && code != status_text) return code;
    }
    return {};
}

std::string ProviderMessage(const json& body) {
    const json* error = Member(body, "error");
    const json* first = FirstError(body);
    const std::array<const json*, 7> candidates = {
        Member(body, "message"),       error ? Member(*error, "message") : nullptr, error,
        Member(body, "error_message"), first ? Member(*first, "message") : nullptr, first,
        Member(body, "detail")};
    for (const json* candidate : candidates) {
        if (candidate != nullptr && candidate->is_string() && !candidate->get<std::string>().empty()) {
            return candidate->get<std::string>();
        }
    }
    return {};
}

std::string MessageId(const json& body) {
    const json* data = Member(body, "data");
    std::string id = ScalarText(data ? Member(*data, "message_id") : nullptr);
    if (id.empty()) id = ScalarText(Member(body, "message_id"));
    return id;
}

// A 2xx whose body says it failed ("status": "error") is not an acceptance even with an id.
bool SaysFailure(const json& body) {
    const std::string status = AsciiLower(ScalarText(Member(body, "status")));
    return status == "error" || status == "failed" || status == "failure" || status == "fail";
}

// "HTTP 400: CHAT_4001 Insufficient wallet balance", within kMaxErrorBytes.
std::string Describe(int http_status, std::string_view detail, std::string_view suffix = {}) {
    std::string text = "HTTP " + std::to_string(http_status);
    if (!detail.empty() || !suffix.empty()) text += ":";
    if (!detail.empty()) text += " " + CleanText(detail, kMaxErrorBytes);
    if (!suffix.empty()) text += " " + std::string(suffix);
    return CleanText(text, kMaxErrorBytes);
}

std::string MaskedPhone(const OutboundMessage& message) {
    const std::string& number = message.national_number;
    std::size_t shown = number.size() > 4 ? 4 : 0;
    return "+" + message.country_code + std::string(number.size() - shown, '*') + number.substr(number.size() - shown);
}

void ReplaceAll(std::string& text, std::string_view needle, std::string_view replacement) {
    if (needle.empty()) return;
    for (std::size_t pos = text.find(needle); pos != std::string::npos;
         pos = text.find(needle, pos + replacement.size())) {
        text.replace(pos, needle.size(), replacement);
    }
}

// --- libcurl plumbing ---

// One easy handle per thread: libcurl handles are not thread-safe, and keeping one alive keeps its
// connection (and TLS session) to MyOperator open between calls.
struct CurlEasy {
    CURL* handle = curl_easy_init();
    ~CurlEasy() {
        if (handle != nullptr) curl_easy_cleanup(handle);
    }
    CurlEasy() = default;
    CurlEasy(const CurlEasy&) = delete;
    CurlEasy& operator=(const CurlEasy&) = delete;
};

CURL* ThreadCurl() {
    thread_local CurlEasy easy;
    return easy.handle;
}

struct CurlSlistDeleter {
    void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using CurlSlist = std::unique_ptr<curl_slist, CurlSlistDeleter>;

struct Exchange {
    std::string body;
    std::optional<std::string> retry_after;
    std::size_t max_bytes = kMaxResponseBytes;
    bool truncated = false;  // more than max_bytes came
};

std::size_t OnBody(char* data, std::size_t size, std::size_t count, void* user) {
    auto* exchange = static_cast<Exchange*>(user);
    std::size_t bytes = size * count;
    const std::size_t room = exchange->max_bytes - std::min(exchange->max_bytes, exchange->body.size());
    exchange->body.append(data, std::min(bytes, room));
    if (bytes > room) exchange->truncated = true;
    return bytes;  // the excess is read and dropped: the status and the start of the body decide
}

std::size_t OnHeader(char* data, std::size_t size, std::size_t count, void* user) {
    auto* exchange = static_cast<Exchange*>(user);
    std::size_t bytes = size * count;
    std::string_view line(data, bytes);
    if (line.starts_with("HTTP/")) {
        exchange->retry_after.reset();  // a new response (after a 100 Continue): forget the old one
        return bytes;
    }
    constexpr std::string_view kName = "retry-after:";
    if (line.size() < kName.size()) return bytes;
    for (std::size_t i = 0; i < kName.size(); ++i) {
        if (std::tolower(static_cast<unsigned char>(line[i])) != kName[i]) return bytes;
    }
    line.remove_prefix(kName.size());
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    while (!line.empty() && (line.back() == '\r' || line.back() == '\n' || line.back() == ' ')) line.remove_suffix(1);
    exchange->retry_after = std::string(line);
    return bytes;
}

// The credentials every call carries, and the JSON headers; null when out of memory.
CurlSlist RequestHeaders(const MyOperatorOptions& options, bool with_json_body) {
    std::vector<std::string> lines = {"Authorization: Bearer " + options.api_key,
                                      "X-MYOP-COMPANY-ID: " + options.company_id, "Accept: application/json"};
    if (with_json_body) {
        lines.emplace_back("Content-Type: application/json");
        lines.emplace_back("Expect:");  // drops 100-continue: one round trip, not two
    }
    curl_slist* raw_headers = nullptr;
    for (const std::string& header : lines) {
        curl_slist* appended = curl_slist_append(raw_headers, header.c_str());
        if (appended == nullptr) {
            curl_slist_free_all(raw_headers);
            return nullptr;
        }
        raw_headers = appended;
    }
    return CurlSlist(raw_headers);
}

void InitCurlOnce() {
    static std::once_flag curl_initialized;
    std::call_once(curl_initialized, [] {
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) throw std::runtime_error("curl_global_init failed");
    });
}

std::string CurlError(CURLcode code, const char* error_buffer) {
    std::string what = curl_easy_strerror(code);
    if (error_buffer[0] != '\0' && what != error_buffer) what += std::string(" (") + error_buffer + ")";
    return what;
}

SendOutcome Perform(const MyOperatorOptions& options, const std::string& url, const OutboundMessage& message) {
    CURL* curl = ThreadCurl();
    if (curl == nullptr) return TransportFailure("curl_easy_init failed");
    curl_easy_reset(curl);  // keeps the live connections, clears every option of the last call

    const std::string body = BuildMyOperatorSendBody(message, options.phone_number_id);
    CurlSlist headers = RequestHeaders(options, /*with_json_body=*/true);
    if (!headers) return TransportFailure("out of memory building headers");

    const long timeout_ms = std::max<long>(1, static_cast<long>(options.timeout.count()));
    Exchange exchange;
    char error_buffer[CURL_ERROR_SIZE] = {0};
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "notifyd");
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, std::min(timeout_ms, kMaxConnectTimeoutMs));
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);        // no SIGALRM for timeouts in a threaded process
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);  // a redirect would re-send a POST somewhere else
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error_buffer);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &OnBody);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &exchange);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, &OnHeader);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &exchange);

    CURLcode code = curl_easy_perform(curl);
    long status = 0;
    if (code == CURLE_OK) curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    // The handle outlives this call: leave no pointer to this frame's buffers in it.
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, nullptr);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, nullptr);

    if (code != CURLE_OK) return TransportFailure(CurlError(code, error_buffer));
    if (status <= 0) return TransportFailure("no HTTP status in the response");
    std::optional<std::string_view> retry_after;
    if (exchange.retry_after) retry_after = *exchange.retry_after;
    return ClassifyMyOperatorResponse(static_cast<int>(status), exchange.body, retry_after);
}

}  // namespace

std::string BuildMyOperatorSendBody(const OutboundMessage& message, std::string_view phone_number_id) {
    // ordered_json keeps the documented field order, which makes captured requests easy to read.
    nlohmann::ordered_json data;
    if (message.text) {
        // No link previews: a help text's links are not worth the extra fetch on the customer's phone.
        data = {{"type", "text"}, {"context", {{"body", *message.text}, {"preview_url", false}}}};
    } else {
        nlohmann::ordered_json body_params = nlohmann::ordered_json::object();
        for (std::size_t i = 0; i < message.parameters.size(); ++i) {
            body_params[std::to_string(i + 1)] = message.parameters[i];  // verbatim: data, never markup
        }
        data = {{"type", "template"},
                {"context",
                 {{"template_name", message.template_name},
                  {"language", message.language.empty() ? std::string("en") : message.language},
                  {"body", body_params}}}};
    }
    nlohmann::ordered_json body = {
        {"phone_number_id", std::string(phone_number_id)},
        {"customer_country_code", DigitsOnly(message.country_code)},
        {"customer_number", DigitsOnly(message.national_number)},
        {"data", std::move(data)},
        {"reply_to", nullptr},
        {"myop_ref_id", message.id},
    };
    // replace: invalid UTF-8 (which the JSON API cannot let in) becomes U+FFFD instead of a throw.
    return body.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

// In order of precedence:
//   2xx with a message_id (data.message_id or message_id), status not "error"/"failed"  -> accepted
//   CHAT_4001/0302/0303/0304 anywhere in the body (any status)  -> retryable, stops all sending
//   401, 403                                                    -> permanent, stops all sending
//   WhatsApp 130429/131056 anywhere in the body                 -> retryable
//   2xx without a message_id                                    -> retryable (see below)
//   408, 425, 429, 5xx                                          -> retryable (Retry-After on 429, 503)
//   other 4xx                                                   -> permanent
//   1xx, 3xx                                                    -> retryable (redirects are not followed)
SendOutcome ClassifyMyOperatorResponse(int http_status, std::string_view body,
                                       std::optional<std::string_view> retry_after_header) {
    SendOutcome outcome;
    outcome.http_status = http_status;
    const json parsed = json::parse(body, nullptr, /*allow_exceptions=*/false);
    const bool is_object = !parsed.is_discarded() && parsed.is_object();
    const json empty = json::object();
    const json& doc = is_object ? parsed : empty;

    std::string detail;
    if (is_object) {
        std::string code = ProviderCode(doc, http_status);
        std::string message = ProviderMessage(doc);
        detail = code.empty() || message.empty() ? code + message : code + " " + message;
    } else if (parsed.is_discarded()) {
        detail = CleanText(body, kBodySnippetBytes);  // an HTML error page from a proxy, say
    }

    const bool success = http_status >= 200 && http_status < 300;
    if (success) {
        std::string id = MessageId(doc);
        if (!id.empty() && !SaysFailure(doc)) {
            outcome.kind = SendOutcome::Kind::kAccepted;
            outcome.provider_message_id = std::move(id);
            return outcome;
        }
    }

    auto has_code = [&](const auto& codes) {
        return std::any_of(codes.begin(), codes.end(), [&](std::string_view c) { return ContainsCode(body, c); });
    };
    if (has_code(kAccountBlockingCodes)) {
        outcome.kind = SendOutcome::Kind::kRetryable;
        outcome.stops_all_sending = true;
    } else if (http_status == 401 || http_status == 403) {
        // Bad credentials or a disabled account: no message can go out until an operator acts.
        outcome.kind = SendOutcome::Kind::kPermanent;
        outcome.stops_all_sending = true;
    } else if (has_code(kRateLimitCodes)) {
        outcome.kind = SendOutcome::Kind::kRetryable;
    } else if (success) {
        // Acceptance we cannot track (no id for the status webhooks): most likely an error
        // dressed as 2xx, so retry rather than report a send nobody can follow.
        outcome.kind = SendOutcome::Kind::kRetryable;
    } else if (http_status == 408 || http_status == 425 || http_status == 429 || http_status >= 500) {
        outcome.kind = SendOutcome::Kind::kRetryable;
    } else if (http_status >= 400) {
        outcome.kind = SendOutcome::Kind::kPermanent;
    } else {
        // 1xx/3xx: redirects are not followed (they would re-post elsewhere); likely a wrong base URL.
        outcome.kind = SendOutcome::Kind::kRetryable;
    }

    if (success) {
        const char* missing = detail.empty() ? "accepted without message_id" : "(no message_id)";
        outcome.error = Describe(http_status, detail, missing);
    } else {
        outcome.error = Describe(http_status, detail);
    }
    if (outcome.kind == SendOutcome::Kind::kRetryable && (http_status == 429 || http_status == 503) &&
        retry_after_header) {
        outcome.retry_after = ParseRetryAfter(*retry_after_header, SystemClock().NowMs());
    }
    return outcome;
}

SendOutcome TransportFailure(std::string_view what) {
    SendOutcome outcome;
    outcome.kind = SendOutcome::Kind::kRetryable;
    outcome.http_status = 0;
    outcome.error = CleanText("transport: " + std::string(what), kMaxErrorBytes);
    return outcome;
}

MyOperatorProvider::MyOperatorProvider(MyOperatorOptions options) : options_(std::move(options)) {
    while (!options_.base_url.empty() && options_.base_url.back() == '/') options_.base_url.pop_back();
    InitCurlOnce();
}

MyOperatorGetResult MyOperatorGet(const MyOperatorOptions& options, std::string_view path_and_query,
                                  std::size_t max_body_bytes) {
    InitCurlOnce();
    std::string base = options.base_url;
    while (!base.empty() && base.back() == '/') base.pop_back();
    const std::string url = base + std::string(path_and_query);
    MyOperatorGetResult result;
    std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), &curl_easy_cleanup);
    CurlSlist headers = RequestHeaders(options, /*with_json_body=*/false);
    if (!curl || !headers) {
        result.error = "out of memory";
        return result;
    }
    const long timeout_ms = std::max<long>(1, static_cast<long>(options.timeout.count()));
    Exchange exchange;
    exchange.max_bytes = max_body_bytes;
    char error_buffer[CURL_ERROR_SIZE] = {0};
    curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl.get(), CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl.get(), CURLOPT_HTTPGET, 1L);
    curl_easy_setopt(curl.get(), CURLOPT_HTTPHEADER, headers.get());
    curl_easy_setopt(curl.get(), CURLOPT_USERAGENT, "notifyd");
    curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(curl.get(), CURLOPT_CONNECTTIMEOUT_MS, std::min(timeout_ms, kMaxConnectTimeoutMs));
    curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl.get(), CURLOPT_FOLLOWLOCATION, 0L);  // the credentials go to the base URL only
    curl_easy_setopt(curl.get(), CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(curl.get(), CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(curl.get(), CURLOPT_ERRORBUFFER, error_buffer);
    curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, &OnBody);
    curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &exchange);
    const CURLcode code = curl_easy_perform(curl.get());
    if (code != CURLE_OK) {
        result.error = CleanText(CurlError(code, error_buffer), kMaxErrorBytes);
        ReplaceAll(result.error, options.api_key, "[redacted]");
        return result;
    }
    curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &result.http_status);
    if (result.http_status <= 0) result.error = "no HTTP status in the response";
    result.body = std::move(exchange.body);
    result.truncated = exchange.truncated;
    return result;
}

MyOperatorProbe ProbeMyOperator(const MyOperatorOptions& options) {
    // The body is dropped: the status decides.
    const MyOperatorGetResult answer = MyOperatorGet(options, "/chat/templates?limit=1", 0);
    return {answer.http_status, answer.error};
}

MyOperatorProvider::~MyOperatorProvider() = default;

SendOutcome MyOperatorProvider::Send(const OutboundMessage& message) {
    const auto started = std::chrono::steady_clock::now();
    SendOutcome outcome;
    try {
        outcome = Perform(options_, options_.base_url + "/chat/messages", message);
    } catch (const std::exception& e) {  // bad_alloc and the like: still an outcome, never a throw
        outcome = TransportFailure(std::string("internal error: ") + e.what());
    }
    // Defence in depth: whatever a provider or proxy echoes back, the key never leaves this call.
    ReplaceAll(outcome.error, options_.api_key, "[redacted]");
    const auto latency =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
    spdlog::debug("myoperator send id={} to={} http_status={} outcome={} latency_ms={}{}{}", message.id,
                  MaskedPhone(message), outcome.http_status, ToString(outcome.kind), latency.count(),
                  outcome.error.empty() ? "" : " error=", outcome.error);
    return outcome;
}

}  // namespace notify
