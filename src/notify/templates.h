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
    std::string preview;                  // body with every {{variable}} filled in
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

// Validates the context against the template (missing_context names the first missing variable;
// a value that is empty after normalising is invalid_context) and renders it. Values are data:
// "{{x}}" inside a value is never expanded.
RenderedTemplate RenderTemplate(const Template& tmpl, const Context& context);

// Template edits (PUT /templates/{name}): applies the fields present in `patch` to `tmpl`,
// validating each; unknown fields are ignored. Throws invalid_field naming the field.
Template ApplyTemplatePatch(Template tmpl, const nlohmann::json& patch);

// Names the template's body refers to that are not among its variables, in order of appearance.
std::vector<std::string> UnknownPlaceholders(const Template& tmpl);

bool IsValidTemplateName(std::string_view name);

}  // namespace notify
