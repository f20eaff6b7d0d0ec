#include "notify/templates.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

#include "common/errors.h"
#include "common/strings.h"

namespace notify {
namespace {

bool IsIdentifier(std::string_view s, std::size_t max_len) {
    if (s.empty() || s.size() > max_len) return false;
    return std::all_of(s.begin(), s.end(),
                       [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; });
}

// Calls on_text for literal runs and on_placeholder for each {{ name }} in the body.
template <typename OnText, typename OnPlaceholder>
void ScanBody(std::string_view body, OnText on_text, OnPlaceholder on_placeholder) {
    std::size_t pos = 0;
    while (pos < body.size()) {
        const std::size_t open = body.find("{{", pos);
        if (open == std::string_view::npos) break;
        const std::size_t close = body.find("}}", open + 2);
        if (close == std::string_view::npos) break;
        on_text(body.substr(pos, open - pos));
        on_placeholder(Trim(body.substr(open + 2, close - open - 2)), body.substr(open, close + 2 - open));
        pos = close + 2;
    }
    on_text(body.substr(pos));
}

std::string RequireString(const nlohmann::json& patch, const char* key, std::size_t max_len, bool allow_empty) {
    const auto& v = patch.at(key);
    if (!v.is_string()) throw InvalidInput("invalid_field", std::string(key) + " must be a string", key);
    std::string s = v.get<std::string>();
    if (!allow_empty && Trim(s).empty())
        throw InvalidInput("invalid_field", std::string(key) + " must not be empty", key);
    if (s.size() > max_len) {
        throw InvalidInput("invalid_field", std::string(key) + " is longer than " + std::to_string(max_len), key);
    }
    return s;
}

constexpr std::size_t kMaxBodyLength = 4096;
constexpr std::size_t kMaxVariants = 20;

bool RequireBool(const nlohmann::json& patch, const char* key) {
    const auto& v = patch.at(key);
    if (!v.is_boolean()) throw InvalidInput("invalid_field", std::string(key) + " must be true or false", key);
    return v.get<bool>();
}

// "variants": [{"language": "hi", "body": "..."}, ...], each language once.
std::vector<TemplateVariant> ParseVariants(const nlohmann::json& list) {
    const auto invalid = [](const std::string& message) { return InvalidInput("invalid_field", message, "variants"); };
    if (!list.is_array() || list.size() > kMaxVariants) {
        throw invalid("variants must be a list of at most " + std::to_string(kMaxVariants) +
                      " objects {\"language\": \"hi\", \"body\": \"...\"}");
    }
    std::vector<TemplateVariant> variants;
    std::set<std::string, std::less<>> seen;
    for (const auto& item : list) {
        if (!item.is_object())
            throw invalid("each variant must be an object {\"language\": \"hi\", \"body\": \"...\"}");
        const auto language = item.find("language");
        if (language == item.end() || !language->is_string() ||
            !IsValidLanguageCode(language->get_ref<const std::string&>())) {
            throw invalid("each variant's language must be a code such as en, hi or pt_BR");
        }
        const std::string& code = language->get_ref<const std::string&>();
        const auto body = item.find("body");
        if (body == item.end() || !body->is_string() || Trim(body->get_ref<const std::string&>()).empty()) {
            throw invalid("variant " + code + " needs a body that is not empty");
        }
        if (body->get_ref<const std::string&>().size() > kMaxBodyLength) {
            throw invalid("variant " + code + "'s body is longer than " + std::to_string(kMaxBodyLength));
        }
        if (!seen.insert(code).second) throw invalid("language " + code + " is listed twice");
        variants.push_back({code, body->get<std::string>()});
    }
    return variants;
}

}  // namespace

bool IsValidTemplateName(std::string_view name) { return IsIdentifier(name, 64); }

Context ParseContext(const nlohmann::json& context) {
    Context out;
    if (context.is_null()) return out;
    if (!context.is_object()) throw InvalidInput("invalid_context", "context must be an object", "context");
    for (const auto& [key, value] : context.items()) {
        const std::string field = "context." + key;
        if (value.is_string()) {
            out[key] = value.get<std::string>();
        } else if (value.is_number_integer()) {
            out[key] = value.dump();
        } else if (value.is_number_float()) {
            const double d = value.get<double>();
            out[key] = nlohmann::json(d).dump();
        } else {
            throw InvalidInput("invalid_context", field + " must be text or a number", field);
        }
        if (out[key].size() > kMaxContextValueLength) {
            throw InvalidInput("invalid_context",
                               field + " is longer than " + std::to_string(kMaxContextValueLength) + " characters",
                               field);
        }
    }
    return out;
}

std::string NormalizeParameter(std::string_view value) {
    std::string out;
    out.reserve(value.size());
    std::size_t i = 0;
    while (i < value.size()) {
        const char c = value[i];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f') {
            std::size_t j = i;
            bool forbidden = false;
            while (j < value.size() && (value[j] == ' ' || value[j] == '\t' || value[j] == '\n' || value[j] == '\r' ||
                                        value[j] == '\v' || value[j] == '\f')) {
                if (value[j] != ' ') forbidden = true;
                ++j;
            }
            const std::size_t run = j - i;
            if (forbidden || run > 3) {
                out += ' ';
            } else {
                out.append(run, ' ');
            }
            i = j;
        } else {
            out += c;
            ++i;
        }
    }
    return std::string(Trim(out));
}

bool IsValidLanguageCode(std::string_view code) {
    const auto lower = [](char c) { return c >= 'a' && c <= 'z'; };
    const auto upper = [](char c) { return c >= 'A' && c <= 'Z'; };
    const std::size_t region = code.find('_');
    const std::string_view base = code.substr(0, region);
    if (base.size() < 2 || base.size() > 3 || !std::all_of(base.begin(), base.end(), lower)) return false;
    if (region == std::string_view::npos) return true;
    const std::string_view country = code.substr(region + 1);
    return country.size() == 2 && std::all_of(country.begin(), country.end(), upper);
}

std::string ParseOptionalLanguage(const nlohmann::json& body) {
    if (!body.is_object() || !body.contains("language") || body["language"].is_null()) return {};
    const auto& language = body["language"];
    if (!language.is_string() || !IsValidLanguageCode(language.get_ref<const std::string&>())) {
        throw InvalidInput("invalid_field", "language must be a code such as en, hi or pt_BR", "language");
    }
    return language.get<std::string>();
}

TemplateVariant SelectVariant(const Template& tmpl, std::string_view language) {
    if (language.empty() || language == tmpl.language) return {tmpl.language, tmpl.body};
    const auto find = [&](std::string_view code) {
        return std::find_if(tmpl.variants.begin(), tmpl.variants.end(),
                            [code](const TemplateVariant& v) { return v.language == code; });
    };
    if (auto it = find(language); it != tmpl.variants.end()) return *it;
    if (tmpl.language == "en") return {tmpl.language, tmpl.body};
    if (auto it = find("en"); it != tmpl.variants.end()) return *it;
    return {tmpl.language, tmpl.body};
}

void NormalizeVariants(Template& tmpl) {
    std::vector<TemplateVariant> others;
    std::set<std::string, std::less<>> seen{tmpl.language};
    for (auto& variant : tmpl.variants) {
        if (seen.insert(variant.language).second) others.push_back(std::move(variant));
    }
    std::sort(others.begin(), others.end(),
              [](const TemplateVariant& a, const TemplateVariant& b) { return a.language < b.language; });
    tmpl.variants.clear();
    tmpl.variants.reserve(others.size() + 1);
    tmpl.variants.push_back({tmpl.language, tmpl.body});
    for (auto& variant : others) tmpl.variants.push_back(std::move(variant));
}

RenderedTemplate RenderTemplate(const Template& tmpl, const Context& context, std::string_view language) {
    RenderedTemplate rendered;
    TemplateVariant variant = SelectVariant(tmpl, language);
    rendered.language = std::move(variant.language);
    rendered.parameters.reserve(tmpl.variables.size());
    for (const auto& name : tmpl.variables) {
        auto it = context.find(name);
        if (it == context.end()) {
            throw InvalidInput("missing_context", "context." + name + " is required by template " + tmpl.name,
                               "context." + name);
        }
        std::string value = NormalizeParameter(it->second);
        if (value.empty()) {
            throw InvalidInput("invalid_context", "context." + name + " must not be empty", "context." + name);
        }
        rendered.parameters.push_back(std::move(value));
    }
    ScanBody(
        variant.body, [&](std::string_view text) { rendered.preview.append(text); },
        [&](std::string_view name, std::string_view raw) {
            auto it = std::find(tmpl.variables.begin(), tmpl.variables.end(), name);
            if (it == tmpl.variables.end()) {
                rendered.preview.append(raw);  // not a variable of this template: shown as written
            } else {
                rendered.preview.append(rendered.parameters[static_cast<std::size_t>(it - tmpl.variables.begin())]);
            }
        });
    return rendered;
}

std::vector<std::string> UnknownPlaceholders(const Template& tmpl) { return UnknownPlaceholders(tmpl, tmpl.body); }

std::vector<std::string> UnknownPlaceholders(const Template& tmpl, std::string_view body) {
    std::vector<std::string> unknown;
    ScanBody(
        body, [](std::string_view) {},
        [&](std::string_view name, std::string_view) {
            if (std::find(tmpl.variables.begin(), tmpl.variables.end(), name) == tmpl.variables.end()) {
                unknown.emplace_back(name);
            }
        });
    return unknown;
}

Template ApplyTemplatePatch(Template tmpl, const nlohmann::json& patch) {
    if (!patch.is_object()) throw InvalidInput("invalid_body", "request body must be a JSON object");
    // The listed default must be (language, body) before either changes. A template built without
    // variants has only its default: a new language then moves it rather than keeping a copy.
    if (!tmpl.variants.empty()) NormalizeVariants(tmpl);
    if (patch.contains("description")) tmpl.description = RequireString(patch, "description", 500, true);
    if (patch.contains("language")) {
        tmpl.language = RequireString(patch, "language", 16, false);
        // The same codes as a variant's (WhatsApp's own: en, hi, pt_BR), so that a template's
        // default language is one a variant and a customer can name too.
        if (!IsValidLanguageCode(tmpl.language)) {
            throw InvalidInput("invalid_field", "language must be a code such as en, hi or pt_BR", "language");
        }
    }
    if (patch.contains("provider_template_name")) {
        tmpl.provider_template_name = RequireString(patch, "provider_template_name", 512, false);
        if (!IsIdentifier(tmpl.provider_template_name, 512)) {
            throw InvalidInput("invalid_field", "provider_template_name may hold only a-z, 0-9 and _",
                               "provider_template_name");
        }
    }
    if (patch.contains("body")) tmpl.body = RequireString(patch, "body", kMaxBodyLength, false);
    if (patch.contains("category")) tmpl.category = RequireString(patch, "category", 64, true);
    if (patch.contains("enabled")) tmpl.enabled = RequireBool(patch, "enabled");
    if (patch.contains("quiet_hours")) tmpl.quiet_hours = RequireBool(patch, "quiet_hours");
    if (patch.contains("variables")) {
        const auto& v = patch["variables"];
        if (!v.is_array() || v.empty() || v.size() > 20) {
            throw InvalidInput("invalid_field", "variables must be a list of 1 to 20 names", "variables");
        }
        std::vector<std::string> names;
        std::set<std::string> seen;
        for (const auto& item : v) {
            if (!item.is_string() || !IsIdentifier(item.get<std::string>(), 64)) {
                throw InvalidInput("invalid_field", "each variable must be a name of a-z, 0-9 and _", "variables");
            }
            if (!seen.insert(item.get<std::string>()).second) {
                throw InvalidInput("invalid_field", "variable " + item.get<std::string>() + " is listed twice",
                                   "variables");
            }
            names.push_back(item.get<std::string>());
        }
        tmpl.variables = std::move(names);
    }
    const bool body_given = patch.contains("body");
    const bool variants_given = patch.contains("variants");
    if (variants_given) tmpl.variants = ParseVariants(patch["variants"]);
    // The default variant is (language, body): whichever of the two the patch gave decides it.
    bool body_from_variants = false;
    const auto in_default = std::find_if(tmpl.variants.begin(), tmpl.variants.end(),
                                         [&](const TemplateVariant& v) { return v.language == tmpl.language; });
    if (in_default != tmpl.variants.end() && in_default->body != tmpl.body) {
        if (body_given && variants_given) {
            throw InvalidInput("invalid_field",
                               "the " + tmpl.language + " variant differs from body; give the default text once",
                               "variants");
        }
        if (!body_given) {
            tmpl.body = in_default->body;
            body_from_variants = variants_given;
        }
    }
    NormalizeVariants(tmpl);

    // A body taken from "variants" is checked as the variant it came from, below.
    const auto unknown = body_from_variants ? std::vector<std::string>{} : UnknownPlaceholders(tmpl);
    if (!unknown.empty()) {
        throw InvalidInput("invalid_field", "body refers to {{" + unknown.front() + "}}, which is not a variable",
                           "body");
    }
    for (const auto& variant : tmpl.variants) {
        const auto unknown_here = UnknownPlaceholders(tmpl, variant.body);
        if (!unknown_here.empty()) {
            throw InvalidInput("invalid_field",
                               "the " + variant.language + " variant refers to {{" + unknown_here.front() +
                                   "}}, which is not a variable",
                               "variants");
        }
    }
    return tmpl;
}

}  // namespace notify
