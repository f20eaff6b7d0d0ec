#pragma once

#include "notify/model.h"

namespace notify {

// Only a message still to be sent waits in the queue; suppressed and skipped_rollout never do.
bool NeedsQueueEntry(MessageStatus status);

// What storing a message does, decided before any row is written.
struct EnqueueDecision {
    MessageStatus status = MessageStatus::kQueued;  // the status it is stored with
    bool queue_entry = false;                       // whether it gets a queue entry
    bool leased = false;                            // whether that entry is leased to the caller now
};

// `requested`: the status the caller built the message with. `recipient_opted_out`: whether its
// number has opted out, read in the transaction that stores it (only asked when the message would
// be queued; see NeedsQueueEntry). `claim`: the caller asked to lease the entry for an immediate
// send. A message to an opted-out number is stored suppressed, with no entry and no lease; a
// leased one is stored sending, as if the processor had claimed it.
EnqueueDecision DecideEnqueue(MessageStatus requested, bool recipient_opted_out, bool claim);

}  // namespace notify
