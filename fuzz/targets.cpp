#include "targets.h"

#include <algorithm>
#include <array>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "api/json_io.h"
#include "common/errors.h"
#include "common/time_format.h"
#include "http/http_types.h"
#include "notify/model.h"
#include "notify/phone.h"
#include "notify/send_request.h"
#include "notify/templates.h"
#include "notify/webhook_event.h"

namespace notify::fuzz {
namespace {

#define FUZZ_CHECK(condition)                                                                                 \
    do {                                                                                                      \
        if (!(condition)) {                                                                                   \
            throw InvariantViolation(std::string(__FILE__ ":") + std::to_string(__LINE__) + ": " #condition); \
        }                                                                                                     \
    } while (0)

// The region the service uses by default (DEFAULT_COUNTRY).
constexpr std::string_view kDefaultRegion = "IN";

std::string_view AsText(const std::uint8_t* data, std::size_t size) {
    return size == 0 ? std::string_view() : std::string_view(reinterpret_cast<const char*>(data), size);
}

// The only failure a target accepts: what the API answers with a 400.
void ExpectInvalidInput(const Error& e) {
    FUZZ_CHECK(e.kind() == ErrorKind::kInvalidInput);
    FUZZ_CHECK(!e.code().empty());
}

// Throws InvariantViolation instead of nlohmann's type_error 316 when `value` holds invalid UTF-8:
// every text here comes from a parsed JSON document, so it must still be valid UTF-8.
std::string DumpValidUtf8(const nlohmann::json& value, const char* what) {
    try {
        return value.dump();
    } catch (const nlohmann::json::type_error& e) {
        throw InvariantViolation(std::string(what) + " cannot be written as JSON: " + e.what());
    }
}

bool IsDigits(std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// A masked number shows the country code and at most the last four digits, never all of them.
void CheckMask(std::string_view e164, const std::string& country_code) {
    const std::string masked = MaskPhone(e164);
    FUZZ_CHECK(masked.size() == e164.size());
    FUZZ_CHECK(masked.starts_with('+'));
    FUZZ_CHECK(masked.find('*') != std::string::npos);
    const auto shown =
        static_cast<std::size_t>(std::count_if(masked.begin() + 1, masked.end(), [](char c) { return c != '*'; }));
    FUZZ_CHECK(shown <= country_code.size() + 4);
}

// A parsed number is E.164, is its country code followed by its national number, re-parses to
// itself from any region, and masks without showing the whole number.
void CheckPhone(const Phone& phone, std::string_view region) {
    const std::string_view e164 = phone.e164;
    FUZZ_CHECK(e164.size() >= 3 && e164.size() <= 16);
    FUZZ_CHECK(e164.front() == '+' && IsDigits(e164.substr(1)));
    FUZZ_CHECK(!phone.country_code.empty() && phone.country_code.size() <= 3 && IsDigits(phone.country_code));
    FUZZ_CHECK(phone.country_code.front() != '0');
    FUZZ_CHECK(!phone.national_number.empty() && IsDigits(phone.national_number));
    FUZZ_CHECK(phone.e164 == "+" + phone.country_code + phone.national_number);
    for (std::string_view r : {region, std::string_view("ZZ")}) {
        const auto again = ParsePhone(e164, r);
        FUZZ_CHECK(again.has_value());
        FUZZ_CHECK(again->e164 == phone.e164);
        FUZZ_CHECK(again->country_code == phone.country_code);
        FUZZ_CHECK(again->national_number == phone.national_number);
    }
    CheckMask(e164, phone.country_code);
}

// WhatsApp's rules for a template parameter, which NormalizeParameter enforces.
void CheckNormalized(std::string_view p) {
    FUZZ_CHECK(p.find_first_of("\t\n\r\v\f") == std::string_view::npos);
    FUZZ_CHECK(p.find("    ") == std::string_view::npos);
    FUZZ_CHECK(p.empty() || (p.front() != ' ' && p.back() != ' '));
    FUZZ_CHECK(NormalizeParameter(p) == p);
}

// RenderTemplate's result for a template and a context it accepted.
void CheckRendered(const Template& tmpl, const Context& context, const RenderedTemplate& rendered) {
    FUZZ_CHECK(rendered.parameters.size() == tmpl.variables.size());
    for (std::size_t i = 0; i < tmpl.variables.size(); ++i) {
        const std::string& p = rendered.parameters[i];
        FUZZ_CHECK(!p.empty());
        CheckNormalized(p);
        FUZZ_CHECK(p == NormalizeParameter(context.at(tmpl.variables[i])));
    }
    if (tmpl.body.find("{{") == std::string::npos) FUZZ_CHECK(rendered.preview == tmpl.body);
}

// A template whose body refers only to its variables (what ApplyTemplatePatch guarantees) renders
// without a placeholder left over, unless a value itself brought braces in.
void CheckNoPlaceholderLeft(const Template& tmpl, const Context& context, const RenderedTemplate& rendered) {
    for (const auto& name : tmpl.variables) {
        if (context.at(name).find_first_of("{}") != std::string::npos) return;
    }
    Template preview;
    preview.body = rendered.preview;
    FUZZ_CHECK(UnknownPlaceholders(preview).empty());
}

// A render refused: always for a missing or empty variable, named in the error's field.
void ExpectRenderRefusal(const Error& e, const Template& tmpl) {
    ExpectInvalidInput(e);
    FUZZ_CHECK(e.code() == "missing_context" || e.code() == "invalid_context");
    FUZZ_CHECK(e.field().starts_with("context."));
    const std::string name = e.field().substr(8);
    FUZZ_CHECK(std::find(tmpl.variables.begin(), tmpl.variables.end(), name) != tmpl.variables.end());
}

struct ContractTemplate {
    const char* name;
    std::vector<std::string> variables;
    const char* body;
};

// The ten templates of the contract, as src/store/sqlite/migrations/0001_initial.sql seeds them.
const std::vector<Template>& ContractTemplates() {
    static const std::vector<Template> templates = [] {
        const std::vector<ContractTemplate> seeds = {
            {"welcome",
             {"customer_name"},
             "Welcome, {{customer_name}}! Fresh milk and daily groceries will now reach your doorstep every "
             "morning."},
            {"order_confirmation",
             {"customer_name", "order_id", "delivery_date", "amount"},
             "Hi {{customer_name}}, order {{order_id}} is confirmed for {{delivery_date}}. Amount: ₹{{amount}}."},
            {"delivery_reminder",
             {"customer_name", "delivery_date", "area"},
             "Hi {{customer_name}}, your delivery for {{delivery_date}} in {{area}} is on its way."},
            {"delivery_completed",
             {"customer_name", "delivery_date"},
             "Hi {{customer_name}}, your delivery for {{delivery_date}} has been left at your door. Thank you!"},
            {"delivery_missed",
             {"customer_name", "delivery_date", "reason"},
             "Hi {{customer_name}}, we could not deliver on {{delivery_date}}: {{reason}}. Reply here to "
             "reschedule."},
            {"subscription_created",
             {"customer_name", "plan", "start_date"},
             "Hi {{customer_name}}, your {{plan}} subscription is active. Your first delivery arrives on "
             "{{start_date}}."},
            {"subscription_paused",
             {"customer_name", "pause_from", "pause_until"},
             "Hi {{customer_name}}, your deliveries are paused from {{pause_from}} until {{pause_until}}."},
            {"subscription_resumed",
             {"customer_name", "resume_date"},
             "Welcome back, {{customer_name}}! Your deliveries resume on {{resume_date}}."},
            {"payment_received",
             {"customer_name", "amount", "payment_id"},
             "Hi {{customer_name}}, we have received your payment of ₹{{amount}} (ref. {{payment_id}}). Thank you!"},
            {"payment_reminder",
             {"customer_name", "amount_due", "due_date"},
             "Hi {{customer_name}}, ₹{{amount_due}} is due on {{due_date}}. Please pay to keep your deliveries "
             "coming."},
        };
        std::vector<Template> out;
        for (const auto& seed : seeds) {
            Template t;
            t.name = seed.name;
            t.provider_template_name = seed.name;
            t.variables = seed.variables;
            t.body = seed.body;
            out.push_back(std::move(t));
        }
        return out;
    }();
    return templates;
}

// An ISO time as the API writes it; inside years 0000-9999 it reads back to the same instant.
void CheckTime(TimeMs t) {
    const std::string text = FormatIsoTime(t);
    constexpr TimeMs kYear0 = -62167219200000;      // 0000-01-01T00:00:00Z
    constexpr TimeMs kYear10000 = 253402300800000;  // 10000-01-01T00:00:00Z
    if (t >= kYear0 && t < kYear10000) {
        const auto back = ParseIsoTime(text);
        FUZZ_CHECK(back.has_value());
        FUZZ_CHECK(*back == t);
    }
}

std::string UpperAscii(std::string_view text) {
    std::string out(text);
    for (char& c : out) {
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    }
    return out;
}

// Keyword detection ignores case and surrounding whitespace and full stops / exclamation marks.
void CheckKeyword(std::string_view text) {
    const OptKeyword keyword = ClassifyInboundText(text);
    FUZZ_CHECK(ClassifyInboundText(" \t" + UpperAscii(text) + ".!\n") == keyword);
    if (keyword != OptKeyword::kNone) {
        FUZZ_CHECK(ClassifyInboundText("please " + std::string(text)) == OptKeyword::kNone);
    }
}

// What the webhook handler does with an inbound customer_identifier.
void CheckCustomerIdentifier(std::string_view identifier) {
    const auto e164 = CustomerIdentifierToE164(identifier);
    if (!e164) return;
    FUZZ_CHECK(e164->size() >= 2 && e164->size() <= 16);
    FUZZ_CHECK(e164->front() == '+' && IsDigits(std::string_view(*e164).substr(1)));
    if (const auto phone = ParsePhone(*e164, kDefaultRegion)) CheckPhone(*phone, kDefaultRegion);
}

}  // namespace

int FuzzSendRequest(const std::uint8_t* data, std::size_t size) {
    HttpRequest http;
    http.method = "POST";
    http.body.assign(AsText(data, size));
    SendRequest request;
    try {
        request = ParseSendRequest(ParseJsonObjectBody(http, false), kDefaultRegion);
    } catch (const Error& e) {
        ExpectInvalidInput(e);
        return 0;
    }
    CheckPhone(request.phone, kDefaultRegion);
    if (request.idempotency_key) {
        const std::string& key = *request.idempotency_key;
        FUZZ_CHECK(!key.empty() && key.size() <= 128);
        FUZZ_CHECK(std::all_of(key.begin(), key.end(), [](char c) { return c >= 0x21 && c <= 0x7e; }));
    }
    for (const auto& [name, value] : request.context) FUZZ_CHECK(value.size() <= kMaxContextValueLength);

    // What the handler does next with a known message_type (BuildMessage in src/api/messages.cpp).
    const auto& templates = ContractTemplates();
    const auto tmpl = std::find_if(templates.begin(), templates.end(),
                                   [&](const Template& t) { return t.name == request.message_type; });
    if (tmpl == templates.end()) return 0;
    RenderedTemplate rendered;
    try {
        rendered = RenderTemplate(*tmpl, request.context);
    } catch (const Error& e) {
        ExpectRenderRefusal(e, *tmpl);
        return 0;
    }
    CheckRendered(*tmpl, request.context, rendered);
    CheckNoPlaceholderLeft(*tmpl, request.context, rendered);

    Message message;
    message.id = "msg_fuzz";
    message.phone = request.phone.e164;
    message.message_type = tmpl->name;
    message.provider_template_name = tmpl->provider_template_name;
    message.language = tmpl->language;
    message.parameters = rendered.parameters;
    message.context_json = DumpValidUtf8(nlohmann::json(request.context), "context");
    message.idempotency_key = request.idempotency_key;
    const nlohmann::json shown = MessageToJson(message, false, true);
    FUZZ_CHECK(shown.at("context") == nlohmann::json(request.context));
    DumpValidUtf8(shown, "message");
    DumpValidUtf8(MessageToJson(message, true, false), "masked message");
    return 0;
}

int FuzzWebhookEvent(const std::uint8_t* data, std::size_t size) {
    const std::string_view body = AsText(data, size);
    // The keyword rules and the identifier conversion on raw bytes as well as on parsed events.
    CheckKeyword(body);
    CheckCustomerIdentifier(body);

    WebhookEvent event;
    try {
        event = ParseWebhookEvent(body);
    } catch (const Error& e) {
        ExpectInvalidInput(e);
        return 0;
    }
    FUZZ_CHECK(!event.event_id.empty() && event.event_id.size() <= 256);
    if (event.occurred_at) CheckTime(*event.occurred_at);
    switch (event.kind) {
        case WebhookEvent::Kind::kStatus:
            FUZZ_CHECK(!event.provider_message_id.empty() && event.provider_message_id.size() <= 256);
            FUZZ_CHECK(event.status == MessageStatus::kSent || event.status == MessageStatus::kDelivered ||
                       event.status == MessageStatus::kRead || event.status == MessageStatus::kFailed);
            FUZZ_CHECK(event.failure_reason.size() <= 500);
            if (event.status != MessageStatus::kFailed) FUZZ_CHECK(event.failure_reason.empty());
            break;
        case WebhookEvent::Kind::kInbound:
            CheckKeyword(event.text);
            CheckCustomerIdentifier(event.customer_identifier);
            break;
        case WebhookEvent::Kind::kOther:
            break;
    }
    // Everything taken from the event is stored and shown again as JSON.
    DumpValidUtf8(nlohmann::json{{"event_id", event.event_id},
                                 {"event_type", event.event_type},
                                 {"customer_identifier", event.customer_identifier},
                                 {"provider_message_id", event.provider_message_id},
                                 {"failure_reason", event.failure_reason},
                                 {"text", event.text}},
                  "webhook event");
    return 0;
}

int FuzzPhone(const std::uint8_t* data, std::size_t size) {
    static constexpr std::array<std::string_view, 12> kRegions = {"IN", "US", "GB", "AE", "SG", "ZZ",
                                                                  "DE", "IT", "BR", "AU", "NP", "BD"};
    if (size == 0) return 0;
    const std::string_view region = kRegions[data[0] % kRegions.size()];
    const std::string_view text = AsText(data + 1, size - 1);

    const auto phone = ParsePhone(text, region);
    // ParsePhone remembers valid numbers: asked again, and against the full parse, the same answer.
    for (const auto& other : {ParsePhone(text, region), ParsePhoneUncached(text, region)}) {
        FUZZ_CHECK(other.has_value() == phone.has_value());
        if (phone) FUZZ_CHECK(other->e164 == phone->e164 && other->national_number == phone->national_number);
    }
    try {
        const Phone thrown = ParsePhoneOrThrow(text, region, "phone");
        FUZZ_CHECK(phone.has_value() && thrown.e164 == phone->e164);
    } catch (const Error& e) {
        ExpectInvalidInput(e);
        FUZZ_CHECK(!phone.has_value());
        FUZZ_CHECK(e.code() == "invalid_phone" && e.field() == "phone");
    }
    if (phone) CheckPhone(*phone, region);

    // MaskPhone is also given stored numbers that may predate validation: it must not crash, and
    // it adds at most the leading '+'.
    FUZZ_CHECK(MaskPhone(text).size() <= text.size() + 1);
    static_cast<void>(IsSupportedRegion(text));
    return 0;
}

int FuzzTemplateRender(const std::uint8_t* data, std::size_t size) {
    const nlohmann::json input = nlohmann::json::parse(AsText(data, size), nullptr, false);
    if (input.is_discarded() || !input.is_object()) return 0;

    Context context;
    try {
        context = ParseContext(input.contains("context") ? input["context"] : nlohmann::json());
    } catch (const Error& e) {
        ExpectInvalidInput(e);
        FUZZ_CHECK(e.code() == "invalid_context");
    }
    for (const auto& [name, value] : context) {
        FUZZ_CHECK(value.size() <= kMaxContextValueLength);
        CheckNormalized(NormalizeParameter(value));
    }

    Template base;
    base.name = "fuzz";
    base.provider_template_name = "fuzz";
    base.variables = {"customer_name"};
    base.body = "Hi {{customer_name}}";

    Template tmpl;
    bool validated = true;
    try {
        tmpl = ApplyTemplatePatch(base, input);
        FUZZ_CHECK(UnknownPlaceholders(tmpl).empty());
        FUZZ_CHECK(IsValidTemplateName(tmpl.name));
        FUZZ_CHECK(!tmpl.variables.empty() && tmpl.variables.size() <= 20);
        for (const auto& v : tmpl.variables) FUZZ_CHECK(IsValidTemplateName(v));
        // The default variant first and in sync; every variant's placeholders are variables.
        FUZZ_CHECK(!tmpl.variants.empty() && tmpl.variants[0].language == tmpl.language &&
                   tmpl.variants[0].body == tmpl.body);
        for (const auto& variant : tmpl.variants) FUZZ_CHECK(UnknownPlaceholders(tmpl, variant.body).empty());
    } catch (const Error& e) {
        ExpectInvalidInput(e);
        // Render what the patch would have set anyway: RenderTemplate must cope with any body.
        validated = false;
        tmpl = base;
        if (input.contains("body") && input["body"].is_string()) tmpl.body = input["body"].get<std::string>();
        if (input.contains("variables") && input["variables"].is_array()) {
            tmpl.variables.clear();
            for (const auto& v : input["variables"]) {
                if (v.is_string()) tmpl.variables.push_back(v.get<std::string>());
            }
        }
    }

    RenderedTemplate rendered;
    try {
        rendered = RenderTemplate(tmpl, context);
    } catch (const Error& e) {
        ExpectRenderRefusal(e, tmpl);
        return 0;
    }
    CheckRendered(tmpl, context, rendered);
    if (validated) {
        CheckNoPlaceholderLeft(tmpl, context, rendered);
        DumpValidUtf8(nlohmann::json{{"parameters", rendered.parameters}, {"preview", rendered.preview}}, "render");
    }
    return 0;
}

}  // namespace notify::fuzz
