#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "notify/model.h"

namespace notify {

// Where a status stands in a message's life; a provider event never lowers it. queued and sending
// (not accepted yet) < sent < failed (accepted, then reported undeliverable) < delivered < read.
// failed sits below delivered because a delivery report outweighs a failure report: a `failed`
// after `delivered` is noted but does not undo the delivery, while a `delivered` after `failed`
// means the message did arrive. suppressed and skipped_rollout are outside the order (never sent).
std::optional<int> StatusRank(MessageStatus status);

// sent, delivered, read, failed: the statuses MyOperator reports by webhook.
bool IsProviderStatus(MessageStatus status);

// What one provider status event does to a message. Timestamps are filled only where the message
// has none yet (the first report of each status wins); the status only moves forward.
struct StatusTransition {
    MessageStatus status = MessageStatus::kQueued;  // the message's status afterwards
    bool status_changed = false;
    // The fields to fill.
    std::optional<TimeMs> sent_at;
    std::optional<TimeMs> delivered_at;
    std::optional<TimeMs> read_at;
    std::optional<TimeMs> failed_at;
    std::optional<std::string> last_error;  // a failure that took effect
    std::string note;                       // why the event did not move the status; empty when it did

    // Whether the message changes at all (an event that changes nothing is still recorded).
    bool ChangesMessage() const {
        return status_changed || sent_at || delivered_at || read_at || failed_at || last_error;
    }
};

// The transition for `incoming` (one of the provider statuses) reported at `at` for `current`.
// `reason` is the provider's failure text for a failed event.
StatusTransition ApplyProviderStatus(const Message& current, MessageStatus incoming, TimeMs at,
                                     std::string_view reason = {});

// The note kept with the status event in the message's status history: why it did not move the
// status, or the failure it recorded.
std::string StatusEventNote(const StatusTransition& transition);

// `message` with the transition applied (status, timestamps, last_error; updated_at = now when
// anything changed).
Message WithTransition(Message message, const StatusTransition& transition, TimeMs now);

}  // namespace notify
