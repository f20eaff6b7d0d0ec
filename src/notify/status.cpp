#include "notify/status.h"

#include <cstdlib>

#include "common/strings.h"

namespace notify {
namespace {

constexpr std::size_t kMaxReasonLength = 500;

std::string FailureText(std::string_view reason) {
    if (reason.empty()) return "failed (reported by the provider)";
    return std::string(TruncateUtf8(reason, kMaxReasonLength));
}

}  // namespace

std::optional<int> StatusRank(MessageStatus status) {
    switch (status) {
        case MessageStatus::kQueued:
        case MessageStatus::kSending:
            return 0;
        case MessageStatus::kSent:
            return 1;
        case MessageStatus::kFailed:
            return 2;
        case MessageStatus::kDelivered:
            return 3;
        case MessageStatus::kRead:
            return 4;
        case MessageStatus::kSuppressed:
        case MessageStatus::kSkippedRollout:
            return std::nullopt;
    }
    std::abort();  // every enumerator is listed above
}

bool IsProviderStatus(MessageStatus status) {
    return status == MessageStatus::kSent || status == MessageStatus::kDelivered || status == MessageStatus::kRead ||
           status == MessageStatus::kFailed;
}

StatusTransition ApplyProviderStatus(const Message& current, MessageStatus incoming, TimeMs at,
                                     std::string_view reason) {
    StatusTransition t;
    t.status = current.status;
    if (!IsProviderStatus(incoming)) {
        t.note = "not a provider status: " + std::string(ToString(incoming));
        return t;
    }
    const auto current_rank = StatusRank(current.status);
    if (!current_rank) {
        // Deliberately not sent: a report about it cannot be about this message.
        t.note = "message was " + std::string(ToString(current.status)) + ", not sent";
        return t;
    }
    const bool delivery_known = current.status == MessageStatus::kDelivered || current.status == MessageStatus::kRead;

    // The event's own timestamp lands even when the status does not move (a late `delivered`
    // after `read`), except a failure after delivery, which would read as if delivery failed.
    switch (incoming) {
        case MessageStatus::kSent:
            if (!current.sent_at) t.sent_at = at;
            break;
        case MessageStatus::kDelivered:
            if (!current.delivered_at) t.delivered_at = at;
            break;
        case MessageStatus::kRead:
            if (!current.read_at) t.read_at = at;
            break;
        case MessageStatus::kFailed:
            if (!delivery_known && !current.failed_at) t.failed_at = at;
            break;
        default:
            break;
    }

    const int incoming_rank = *StatusRank(incoming);
    if (incoming_rank > *current_rank) {
        t.status = incoming;
        t.status_changed = true;
        if (incoming == MessageStatus::kFailed) t.last_error = FailureText(reason);
    } else if (incoming == MessageStatus::kFailed && delivery_known) {
        t.note = "failure reported after delivery; the message stays " + std::string(ToString(current.status)) +
                 (reason.empty() ? std::string() : ": " + FailureText(reason));
    } else if (incoming != current.status) {
        t.note = "late event; the message stays " + std::string(ToString(current.status));
    } else {
        t.note = "repeated status";
    }
    return t;
}

std::string StatusEventNote(const StatusTransition& transition) {
    if (transition.note.empty() && transition.last_error) return *transition.last_error;
    return transition.note;
}

Message WithTransition(Message message, const StatusTransition& transition, TimeMs now) {
    if (!transition.ChangesMessage()) return message;
    message.status = transition.status;
    if (transition.sent_at) message.sent_at = transition.sent_at;
    if (transition.delivered_at) message.delivered_at = transition.delivered_at;
    if (transition.read_at) message.read_at = transition.read_at;
    if (transition.failed_at) message.failed_at = transition.failed_at;
    if (transition.last_error) message.last_error = *transition.last_error;
    message.updated_at = now;
    return message;
}

}  // namespace notify
