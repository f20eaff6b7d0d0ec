#include "notify/model.h"

#include <array>
#include <utility>

namespace notify {
namespace {

constexpr std::array<std::pair<MessageStatus, std::string_view>, 8> kStatusNames = {{
    {MessageStatus::kQueued, "queued"},
    {MessageStatus::kSending, "sending"},
    {MessageStatus::kSent, "sent"},
    {MessageStatus::kDelivered, "delivered"},
    {MessageStatus::kRead, "read"},
    {MessageStatus::kFailed, "failed"},
    {MessageStatus::kSuppressed, "suppressed"},
    {MessageStatus::kSkippedRollout, "skipped_rollout"},
}};

constexpr std::array<std::pair<Role, std::string_view>, 4> kRoleNames = {{
    {Role::kDelivery, "delivery"},
    {Role::kViewer, "viewer"},
    {Role::kOperator, "operator"},
    {Role::kAdmin, "admin"},
}};

}  // namespace

std::string_view ToString(MessageStatus status) {
    for (const auto& [value, name] : kStatusNames) {
        if (value == status) return name;
    }
    std::abort();  // every enumerator is in the table
}

std::optional<MessageStatus> ParseMessageStatus(std::string_view text) {
    for (const auto& [value, name] : kStatusNames) {
        if (name == text) return value;
    }
    return std::nullopt;
}

std::string_view ToString(Role role) {
    for (const auto& [value, name] : kRoleNames) {
        if (value == role) return name;
    }
    std::abort();
}

std::optional<Role> ParseRole(std::string_view text) {
    for (const auto& [value, name] : kRoleNames) {
        if (name == text) return value;
    }
    return std::nullopt;
}

std::string_view ToString(AttemptOutcome outcome) {
    switch (outcome) {
        case AttemptOutcome::kAccepted:
            return "accepted";
        case AttemptOutcome::kRetryable:
            return "retryable";
        case AttemptOutcome::kPermanent:
            return "permanent";
    }
    std::abort();
}

}  // namespace notify
