#include "providers/myoperator_templates.h"

#include <spdlog/spdlog.h>

#include <array>
#include <chrono>
#include <nlohmann/json.hpp>
#include <utility>

#include "common/strings.h"

// What myoperator-api.md knows of the listing: GET /chat/templates?waba_id=&waba_template_status=
// &limit=&offset= answers data.results[] and data.count. The rest is assumed, and read tolerantly:
// - waba_id is left out (the company header names the account, as for sending) and so is
//   waba_template_status, so that pending and rejected templates are listed too;
// - an entry looks like a WhatsApp Cloud API template: name, language (a code, or {"code"}),
//   status (APPROVED, PENDING, REJECTED, ...) and components[] whose BODY has the text with
//   {{1}}, {{2}}...; other spellings of each field that public clients use are read as well;
// - the number of variables is an explicit count or list when one is given, else the distinct
//   placeholders of the body text; when neither is there it is unknown and never a difference.
// - the results may also sit at data (a list), results, data.data or templates, or be the body.

namespace notify {
namespace {

using json = nlohmann::json;

constexpr std::size_t kMaxPageBytes = 4 * 1024 * 1024;

const json* Member(const json& object, std::string_view key) {
    if (!object.is_object()) return nullptr;
    const auto it = object.find(key);
    return it == object.end() || it->is_null() ? nullptr : &*it;
}

// The first of `keys` present in `object` as a non-empty string, trimmed, control characters as
// '?': what MyOperator sends ends up in one-line reports.
std::string FirstString(const json& object, std::initializer_list<std::string_view> keys) {
    for (const auto key : keys) {
        const json* value = Member(object, key);
        if (value != nullptr && value->is_string() && !Trim(value->get_ref<const std::string&>()).empty()) {
            std::string text(Trim(value->get_ref<const std::string&>()));
            for (char& c : text) {
                if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) c = '?';
            }
            return text;
        }
    }
    return {};
}

// A whole number given as a number or as digits in a string.
std::optional<long long> WholeNumber(const json* value) {
    if (value == nullptr) return std::nullopt;
    if (value->is_number_integer() || value->is_number_unsigned()) return value->get<long long>();
    if (value->is_string()) {
        const std::string& text = value->get_ref<const std::string&>();
        if (text.empty() || text.size() > 9 || text.find_first_not_of("0123456789") != std::string::npos) {
            return std::nullopt;
        }
        return std::stoll(text);
    }
    return std::nullopt;
}

std::string Language(const json& entry) {
    for (const auto key : {"language", "language_code", "lang", "locale"}) {
        const json* value = Member(entry, key);
        if (value == nullptr) continue;
        if (value->is_string()) return FirstString(entry, {key});
        if (value->is_object()) return FirstString(*value, {"code", "language", "name"});
    }
    return {};
}

// The text of the BODY component, or a body given directly.
std::optional<std::string> BodyText(const json& entry) {
    if (const json* components = Member(entry, "components"); components != nullptr && components->is_array()) {
        for (const auto& component : *components) {
            if (AsciiLower(FirstString(component, {"type"})) != "body") continue;
            const std::string text = FirstString(component, {"text", "body"});
            if (!text.empty()) return text;
        }
    }
    for (const auto key : {"body", "body_text", "template_body", "text", "content"}) {
        const json* value = Member(entry, key);
        if (value != nullptr && value->is_string()) return value->get<std::string>();
        if (value != nullptr && value->is_object()) {
            const std::string text = FirstString(*value, {"text", "body"});
            if (!text.empty()) return text;
        }
    }
    return std::nullopt;
}

std::optional<int> VariableCount(const json& entry) {
    for (const auto key : {"variable_count", "variables_count", "body_variable_count", "params_count"}) {
        if (auto count = WholeNumber(Member(entry, key)); count && *count <= 1000) return static_cast<int>(*count);
    }
    for (const auto key : {"variables", "body_variables", "params", "parameters"}) {
        const json* value = Member(entry, key);
        if (value != nullptr && value->is_array()) return static_cast<int>(value->size());
    }
    if (auto body = BodyText(entry)) return CountPlaceholders(*body);
    return std::nullopt;
}

// Where the listing keeps its entries, and its total.
const json* Results(const json& doc) {
    if (doc.is_array()) return &doc;
    const json* data = Member(doc, "data");
    const std::array<const json*, 5> candidates = {
        data != nullptr ? Member(*data, "results") : nullptr, data, Member(doc, "results"),
        data != nullptr ? Member(*data, "data") : nullptr, Member(doc, "templates")};
    for (const json* candidate : candidates) {
        if (candidate != nullptr && candidate->is_array()) return candidate;
    }
    if (data != nullptr) {
        if (const json* templates = Member(*data, "templates"); templates != nullptr && templates->is_array()) {
            return templates;
        }
    }
    return nullptr;
}

std::optional<std::size_t> Total(const json& doc) {
    const json* data = Member(doc, "data");
    for (const json* value : {data != nullptr ? Member(*data, "count") : nullptr, Member(doc, "count"),
                              data != nullptr ? Member(*data, "total") : nullptr, Member(doc, "total")}) {
        if (auto total = WholeNumber(value); total && *total >= 0) return static_cast<std::size_t>(*total);
    }
    return std::nullopt;
}

// "HTTP 500: Internal error" from an error body, within a line.
std::string HttpError(long status, const std::string& body) {
    const json doc = json::parse(body, nullptr, /*allow_exceptions=*/false);
    std::string detail;
    if (!doc.is_discarded() && doc.is_object()) {
        detail = FirstString(doc, {"message", "error_message", "detail"});
        if (detail.empty()) {
            if (const json* error = Member(doc, "error"); error != nullptr) {
                detail = error->is_string() ? error->get<std::string>() : FirstString(*error, {"message"});
            }
        }
    }
    std::string text = "HTTP " + std::to_string(status);
    if (!detail.empty()) text += ": " + std::string(TruncateUtf8(detail, 200));
    return text;
}

}  // namespace

MyOperatorTemplatePage ParseMyOperatorTemplatePage(std::string_view body) {
    MyOperatorTemplatePage page;
    const json doc = json::parse(body, nullptr, /*allow_exceptions=*/false);
    if (doc.is_discarded()) {
        page.error = "the answer is not JSON";
        return page;
    }
    const std::string status = AsciiLower(FirstString(doc, {"status"}));
    if (status == "error" || status == "failed" || status == "failure" || status == "fail") {
        const std::string message = FirstString(doc, {"message", "error_message"});
        page.error = "MyOperator answered status \"" + status + "\"" + (message.empty() ? "" : ": " + message);
        return page;
    }
    const json* results = Results(doc);
    if (results == nullptr) {
        page.error = "the answer has no list of templates (data.results)";
        return page;
    }
    page.total = Total(doc);
    page.entries = results->size();
    for (const auto& entry : *results) {
        const std::string name = FirstString(entry, {"name", "template_name", "element_name"});
        if (name.empty()) continue;  // not a template this service can name
        RemoteTemplate remote{
            name, Language(entry),
            FirstString(entry, {"status", "waba_template_status", "template_status", "approval_status"}),
            VariableCount(entry)};
        page.templates.push_back(std::move(remote));
    }
    return page;
}

MyOperatorTemplateListing FetchMyOperatorTemplates(const MyOperatorOptions& options) {
    MyOperatorTemplateListing listing;
    std::size_t offset = 0;
    for (std::size_t page_number = 0; page_number < kMaxTemplatePages; ++page_number) {
        const std::string target =
            "/chat/templates?limit=" + std::to_string(kTemplatePageSize) + "&offset=" + std::to_string(offset);
        const auto started = std::chrono::steady_clock::now();
        const MyOperatorGetResult answer = MyOperatorGet(options, target, kMaxPageBytes);
        const auto latency =
            std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
        spdlog::debug("myoperator GET {} http_status={} latency_ms={}{}{}", target, answer.http_status, latency.count(),
                      answer.error.empty() ? "" : " error=", answer.error);
        listing.http_status = answer.http_status;
        if (answer.http_status == 0) {
            listing.error = "no answer within " + std::to_string(options.timeout.count()) + " ms: " + answer.error;
            return listing;
        }
        if (answer.http_status == 401 || answer.http_status == 403) {
            listing.error = "credentials refused (" + HttpError(answer.http_status, answer.body) + ")";
            return listing;
        }
        if (answer.http_status < 200 || answer.http_status >= 300) {
            listing.error = HttpError(answer.http_status, answer.body);
            return listing;
        }
        if (answer.truncated) {
            listing.error = "a page of the listing is larger than " + std::to_string(kMaxPageBytes) + " bytes";
            return listing;
        }
        MyOperatorTemplatePage page = ParseMyOperatorTemplatePage(answer.body);
        if (!page.error.empty()) {
            listing.error = page.error;
            return listing;
        }
        for (auto& remote : page.templates) listing.templates.push_back(std::move(remote));
        offset += page.entries;
        // The last page: short, or the total reached. A listing that ignores limit (more entries
        // than asked for) is taken as complete rather than read again from an offset it ignores too.
        if (page.entries != kTemplatePageSize || (page.total && offset >= *page.total)) return listing;
    }
    listing.error = "more than " + std::to_string(kMaxTemplatePages * kTemplatePageSize) +
                    " templates listed; only the first pages were read";
    return listing;
}

}  // namespace notify
