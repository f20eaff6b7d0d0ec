#pragma once

// Whether the local templates match what MyOperator has approved: `notifyd doctor`'s "templates
// approved" check and `notifyd templates sync`. Pure: the commands fetch MyOperator's list and
// read the store, and hand both in.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "notify/model.h"

namespace notify {

// One template in one language as MyOperator lists it.
struct RemoteTemplate {
    std::string name;
    std::string language;
    std::string status;                 // as MyOperator spells it, e.g. "APPROVED", "PENDING"; "" when not given
    std::optional<int> variable_count;  // body variables; nullopt when the listing does not say
};

enum class TemplateDifferenceKind {
    kMissing,          // a language of a local template that MyOperator does not have
    kNotApproved,      // MyOperator has it, but not approved (pending, rejected, paused...)
    kVariableCount,    // approved, with another number of body variables than the local template
    kUnusedAtProvider  // MyOperator has it, no local template uses it: informational
};

struct TemplateDifference {
    TemplateDifferenceKind kind;
    std::string template_name;  // the local template ("" for kUnusedAtProvider)
    std::string provider_name;  // the name at MyOperator: provider_template_name, else the local name
    std::string language;
    std::string status;       // MyOperator's status (kNotApproved, kUnusedAtProvider)
    int local_variables = 0;  // kVariableCount
    std::optional<int> remote_variables;
};

// Compares every language variant of every enabled local template (the ones messages are sent
// with) with MyOperator's list. The variables are counted as sending counts them: one body
// parameter per entry of Template::variables, the same in every language. Local templates come
// first, in their order and their variants' order; then MyOperator's unused ones sorted by name
// and language. A name and language listed twice at MyOperator counts as approved when either is.
std::vector<TemplateDifference> CompareTemplates(const std::vector<Template>& local,
                                                 const std::vector<RemoteTemplate>& remote);

// True for the differences that stop a message from going out (all but kUnusedAtProvider).
bool BlocksSending(const TemplateDifference& difference);
// "missing", "not_approved", "variable_count", "unused": the kind in JSON and in `templates sync`.
std::string_view ToString(TemplateDifferenceKind kind);
// What was found, e.g. "delivery_reminder (hi): PENDING at MyOperator, not approved".
std::string DescribeDifference(const TemplateDifference& difference);
// How to fix it, e.g. "submit template delivery_reminder (hi) in MyOperator's panel"; "" for an
// informational one.
std::string FixForDifference(const TemplateDifference& difference);

// APPROVED in any case, with surrounding spaces ignored.
bool IsApprovedStatus(std::string_view status);
// The number of distinct {{...}} placeholders in a body: "Hi {{1}}, {{2}} and {{1}}" has 2.
int CountPlaceholders(std::string_view body);

}  // namespace notify
