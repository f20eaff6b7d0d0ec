#include "notify/enqueue_rules.h"

namespace notify {

bool NeedsQueueEntry(MessageStatus status) {
    return status == MessageStatus::kQueued || status == MessageStatus::kSending;
}

EnqueueDecision DecideEnqueue(MessageStatus requested, bool recipient_opted_out, bool claim) {
    EnqueueDecision decision;
    decision.status = requested;
    if (!NeedsQueueEntry(requested)) return decision;
    if (recipient_opted_out) {
        decision.status = MessageStatus::kSuppressed;
        return decision;
    }
    decision.queue_entry = true;
    decision.leased = claim;
    if (claim && requested == MessageStatus::kQueued) decision.status = MessageStatus::kSending;
    return decision;
}

}  // namespace notify
