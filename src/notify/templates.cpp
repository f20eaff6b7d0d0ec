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

RenderedTemplate RenderTemplate(const Template& tmpl, const Context& context) {
    RenderedTemplate rendered;
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
        tmpl.body, [&](std::string_view text) { rendered.preview.append(text); },
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

std::vector<std::string> UnknownPlaceholders(const Template& tmpl) {
    std::vector<std::string> unknown;
    ScanBody(
        tmpl.body, [](std::string_view) {},
        [&](std::string_view name, std::string_view) {
            if (std::find(tmpl.variables.begin(), tmpl.variables.end(), name) == tmpl.variables.end()) {
                unknown.emplace_back(name);
            }
        });
    return unknown;
}

Template ApplyTemplatePatch(Template tmpl, const nlohmann::json& patch) {
    if (!patch.is_object()) throw InvalidInput("invalid_body", "request body must be a JSON object");
    if (patch.contains("description")) tmpl.description = RequireString(patch, "description", 500, true);
    if (patch.contains("language")) {
        tmpl.language = RequireString(patch, "language", 16, false);
        const bool ok = std::all_of(tmpl.language.begin(), tmpl.language.end(), [](char c) {
            return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '-';
        });
        if (!ok) throw InvalidInput("invalid_field", "language must be a code such as en or en_US", "language");
    }
    if (patch.contains("provider_template_name")) {
        tmpl.provider_template_name = RequireString(patch, "provider_template_name", 512, false);
        if (!IsIdentifier(tmpl.provider_template_name, 512)) {
            throw InvalidInput("invalid_field", "provider_template_name may hold only a-z, 0-9 and _",
                               "provider_template_name");
        }
    }
    if (patch.contains("body")) tmpl.body = RequireString(patch, "body", 4096, false);
    if (patch.contains("category")) tmpl.category = RequireString(patch, "category", 64, true);
    if (patch.contains("enabled")) {
        if (!patch["enabled"].is_boolean())
            throw InvalidInput("invalid_field", "enabled must be true or false", "enabled");
        tmpl.enabled = patch["enabled"].get<bool>();
    }
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
    const auto unknown = UnknownPlaceholders(tmpl);
    if (!unknown.empty()) {
        throw InvalidInput("invalid_field", "body refers to {{" + unknown.front() + "}}, which is not a variable",
                           "body");
    }
    return tmpl;
}

}  // namespace notify
