#pragma once

#include <map>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "notify/model.h"

namespace notify {

// A caller's context after validation: variable name -> text.
using Context = std::map<std::string, std::string>;

struct RenderedTemplate {
    std::vector<std::string> parameters;  // the template's variables in order, normalised
    std::string preview;                  // the chosen variant's body with every {{variable}} filled in
    std::string language;                 // the chosen variant's language
};

// Longest value accepted for one variable; WhatsApp's own limit for a body is 1024 characters.
inline constexpr std::size_t kMaxContextValueLength = 1024;

// Turns the request's "context" into text values. Strings stay as they are, numbers become their
// decimal text; anything else (object, array, bool, null) is invalid_context naming the field.
// A missing or null context is an empty one.
Context ParseContext(const nlohmann::json& context);

// WhatsApp refuses a template parameter with a newline, a tab or more than four spaces in a row:
// every run of whitespace that contains one of those, or is longer than three spaces, becomes
// one space; leading and trailing whitespace goes.
std::string NormalizeParameter(std::string_view value);

// A language code as WhatsApp names a template's languages: 2 or 3 lowercase letters, optionally
// "_" and 2 uppercase letters (en, hi, mai, pt_BR).
bool IsValidLanguageCode(std::string_view code);

// The optional "language" of a request body (send-message, preview): empty when absent or null;
// invalid_field naming "language" unless IsValidLanguageCode accepts it.
std::string ParseOptionalLanguage(const nlohmann::json& body);

// The variant to send in `language`: that language's, else the `en` one, else the default
// (tmpl.language and tmpl.body). An empty language asks for the default. Returned by value: a
// template built without its variants listed still has its default.
TemplateVariant SelectVariant(const Template& tmpl, std::string_view language);

// Puts tmpl.variants in the shape the rest relies on: the default variant (tmpl.language,
// tmpl.body) present once and first, every other language once (the first given wins), sorted by
// code. The store applies it to what it reads and writes.
void NormalizeVariants(Template& tmpl);

// Validates the context against the template (missing_context names the first missing variable;
// a value that is empty after normalising is invalid_context) and renders it in the variant
// SelectVariant picks for `language`. The parameters are the same in every language: MyOperator
// fills each language's approved text itself. Values are data: "{{x}}" inside a value is never
// expanded.
RenderedTemplate RenderTemplate(const Template& tmpl, const Context& context, std::string_view language = {});

// Template edits (PUT /templates/{name}): applies the fields present in `patch` to `tmpl`,
// validating each; unknown fields are ignored. Throws invalid_field naming the field.
// "variants" is the whole list, in the shape GET shows: [{"language": "hi", "body": "..."}, ...];
// languages left out are removed, except the default one, which is kept from `body`. A variant
// in the default language sets `body` (a different `body` beside it is refused); a new default
// `language` that has a variant takes that variant's body unless `body` is given too. The result
// is normalised (NormalizeVariants).
Template ApplyTemplatePatch(Template tmpl, const nlohmann::json& patch);

// Names the template's body refers to that are not among its variables, in order of appearance.
std::vector<std::string> UnknownPlaceholders(const Template& tmpl);
// The same for another body of the template (a variant's).
std::vector<std::string> UnknownPlaceholders(const Template& tmpl, std::string_view body);

bool IsValidTemplateName(std::string_view name);

}  // namespace notify
