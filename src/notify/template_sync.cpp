#include "notify/template_sync.h"

#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <utility>

#include "common/strings.h"

namespace notify {
namespace {

// "pt-BR", "PT_br" and "pt_BR" are one language: the base lower-cased, "-" read as "_", the region
// upper-cased, which is how WhatsApp writes language codes (en, hi, pt_BR).
std::string LanguageKey(std::string_view code) {
    std::string key(Trim(code));
    std::replace(key.begin(), key.end(), '-', '_');
    const std::size_t region = key.find('_');
    for (std::size_t i = 0; i < key.size(); ++i) {
        const auto c = static_cast<unsigned char>(key[i]);
        key[i] = static_cast<char>(region != std::string::npos && i > region ? std::toupper(c) : std::tolower(c));
    }
    return key;
}

using Key = std::pair<std::string, std::string>;  // (name at MyOperator, language key)

// The languages a template is sent in: its variants, or only its default when none are listed.
std::vector<std::string> LocalLanguages(const Template& tmpl) {
    std::vector<std::string> languages;
    if (tmpl.variants.empty()) languages.push_back(tmpl.language);
    for (const auto& variant : tmpl.variants) languages.push_back(variant.language);
    for (auto& language : languages) {
        if (language.empty()) language = "en";  // what a send with no language asks for
    }
    return languages;
}

std::string ProviderName(const Template& tmpl) {
    return tmpl.provider_template_name.empty() ? tmpl.name : tmpl.provider_template_name;
}

// "delivery_reminder (hi)", and "welcome as greeting_v2 (en)" when MyOperator knows it by another name.
std::string Label(const TemplateDifference& d) {
    const std::string& name = d.template_name.empty() ? d.provider_name : d.template_name;
    std::string label = name;
    if (!d.template_name.empty() && d.provider_name != d.template_name) label += " as " + d.provider_name;
    return label + " (" + d.language + ")";
}

std::string Variables(int count) { return std::to_string(count) + (count == 1 ? " variable" : " variables"); }

}  // namespace

bool IsApprovedStatus(std::string_view status) { return AsciiLower(Trim(status)) == "approved"; }

int CountPlaceholders(std::string_view body) {
    std::set<std::string, std::less<>> names;
    std::size_t pos = 0;
    while (true) {
        const std::size_t open = body.find("{{", pos);
        if (open == std::string_view::npos) break;
        const std::size_t close = body.find("}}", open + 2);
        if (close == std::string_view::npos) break;
        const std::string_view name = Trim(body.substr(open + 2, close - open - 2));
        if (!name.empty()) names.emplace(name);
        pos = close + 2;
    }
    return static_cast<int>(names.size());
}

std::vector<TemplateDifference> CompareTemplates(const std::vector<Template>& local,
                                                 const std::vector<RemoteTemplate>& remote) {
    // One entry per (name, language): an approved listing wins over any other of the same key.
    std::map<Key, const RemoteTemplate*> at_provider;
    for (const auto& r : remote) {
        auto [it, inserted] = at_provider.try_emplace(Key{r.name, LanguageKey(r.language)}, &r);
        if (!inserted && !IsApprovedStatus(it->second->status) && IsApprovedStatus(r.status)) it->second = &r;
    }

    std::vector<TemplateDifference> differences;
    std::set<Key> used;
    for (const auto& tmpl : local) {
        const std::string provider_name = ProviderName(tmpl);
        for (const auto& language : LocalLanguages(tmpl)) {
            const Key key{provider_name, LanguageKey(language)};
            // A disabled template sends nothing, yet its listings at MyOperator are not "unused".
            used.insert(key);
            if (!tmpl.enabled) continue;
            TemplateDifference d{TemplateDifferenceKind::kMissing, tmpl.name, provider_name, language, "", 0, {}};
            d.local_variables = static_cast<int>(tmpl.variables.size());
            const auto it = at_provider.find(key);
            if (it == at_provider.end()) {
                differences.push_back(std::move(d));
                continue;
            }
            const RemoteTemplate& r = *it->second;
            d.status = r.status;
            d.remote_variables = r.variable_count;
            if (!IsApprovedStatus(r.status)) {
                d.kind = TemplateDifferenceKind::kNotApproved;
                differences.push_back(std::move(d));
            } else if (r.variable_count && *r.variable_count != d.local_variables) {
                // An unknown count is not a difference: the listing may simply not show the body.
                d.kind = TemplateDifferenceKind::kVariableCount;
                differences.push_back(std::move(d));
            }
        }
    }
    for (const auto& [key, r] : at_provider) {
        if (used.contains(key)) continue;
        differences.push_back(
            {TemplateDifferenceKind::kUnusedAtProvider, "", r->name, r->language, r->status, 0, r->variable_count});
    }
    return differences;
}

bool BlocksSending(const TemplateDifference& difference) {
    return difference.kind != TemplateDifferenceKind::kUnusedAtProvider;
}

std::string_view ToString(TemplateDifferenceKind kind) {
    switch (kind) {
        case TemplateDifferenceKind::kMissing:
            return "missing";
        case TemplateDifferenceKind::kNotApproved:
            return "not_approved";
        case TemplateDifferenceKind::kVariableCount:
            return "variable_count";
        case TemplateDifferenceKind::kUnusedAtProvider:
            return "unused";
    }
    return "missing";
}

std::string DescribeDifference(const TemplateDifference& d) {
    switch (d.kind) {
        case TemplateDifferenceKind::kMissing:
            return Label(d) + ": not at MyOperator";
        case TemplateDifferenceKind::kNotApproved:
            return Label(d) + ": " + (d.status.empty() ? std::string("no status") : d.status) +
                   " at MyOperator, not approved";
        case TemplateDifferenceKind::kVariableCount:
            return Label(d) + ": " + Variables(d.local_variables) + " here, " +
                   Variables(d.remote_variables.value_or(0)) + " at MyOperator";
        case TemplateDifferenceKind::kUnusedAtProvider:
            return Label(d) + ": at MyOperator" + (d.status.empty() ? "" : " (" + d.status + ")") +
                   ", no local template uses it";
    }
    return Label(d);
}

std::string FixForDifference(const TemplateDifference& d) {
    const std::string submit = "template " + d.provider_name + " (" + d.language + ")";
    switch (d.kind) {
        case TemplateDifferenceKind::kMissing:
            return "submit " + submit + " in MyOperator's panel, or set provider_template_name of " + d.template_name +
                   " to the name it has there";
        case TemplateDifferenceKind::kNotApproved:
            if (AsciiLower(d.status) == "rejected") {
                return "edit " + submit +
                       " as WhatsApp's rejection reason says and submit it again in MyOperator's "
                       "panel";
            }
            return "wait for WhatsApp to approve " + submit + ", or see its status in MyOperator's panel";
        case TemplateDifferenceKind::kVariableCount:
            return "make " + d.template_name + " have " + Variables(d.remote_variables.value_or(0)) +
                   " (PUT /api/notifications/templates/" + d.template_name + " \"variables\"), or submit " + submit +
                   " again with " + std::to_string(d.local_variables);
        case TemplateDifferenceKind::kUnusedAtProvider:
            return "";
    }
    return "";
}

}  // namespace notify
