#pragma once

#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/random.h"
#include "notify/model.h"
#include "notify/retry.h"
#include "providers/provider.h"
#include "queue/send_pacing.h"
#include "queue/sending_hold.h"
#include "store/store.h"

namespace notify {

struct DispatchResult {
    AfterAttempt after = AfterAttempt::kRetry;
    // No attempt was made: the message was rescheduled for next_attempt_at (rate limit, a
    // provider's Retry-After, the recipient gap, or sending held) with its lease released.
    bool deferred = false;
    Attempt attempt;
    SendOutcome outcome;
    TimeMs next_attempt_at = 0;  // when after == kRetry
    bool suppressed = false;     // the recipient opted out: nothing was sent, the message is suppressed
    // The provider took the message but the store could not record it even after retrying: the
    // record waits in the dispatcher (WritePendingRecords) and the entry stays leased; never resent.
    bool record_pending = false;
    TimeMs completed_at = 0;  // when the attempt ended (the time recorded on the message)
};

// How fast, and whether, this process calls the provider.
struct ThroughputOptions {
    int rate_per_second = 80;          // PROVIDER_RATE_PER_SECOND; 0 = unlimited
    TimeMs probe_interval_ms = 30000;  // PROVIDER_PROBE_INTERVAL_MS: one probe this often while held
    // Longest the queue processor waits for a rate-limit token in place; beyond it the message
    // is rescheduled. An immediate send never waits: without a token now it is queued.
    TimeMs max_token_wait_ms = 1000;
};

// Whether the queue processor should claim work now.
struct SendGate {
    enum class Kind { kOpen, kProbe, kClosed } kind = Kind::kOpen;
    TimeMs reopens_at = 0;  // when kClosed: the next probe, or the end of a Retry-After
};

// What GET /health shows about sending.
struct SendingStatus {
    std::optional<SendingHold::Fault> fault;  // set while sending is held
    std::optional<TimeMs> next_probe_at;
    std::optional<TimeMs> throttled_until;  // a provider's Retry-After still running
};

// Sends one message the caller has leased, and records the attempt and the message's next
// state in one store transaction. Used by the queue processor and by immediate sends. Also the
// one place that paces provider calls: the rate limit, Retry-After, the per-recipient gap, and
// the hold after a fault that stops all sending.
class Dispatcher {
public:
    // How often recording an attempt is tried in place (backing off from kRecordBackoffMs) before
    // a sent message's record is left pending.
    static constexpr int kRecordTries = 4;
    static constexpr TimeMs kRecordBackoffMs = 25;

    Dispatcher(Store& store, Provider& provider, const Clock& clock, RandomSource& random, RetryPolicy policy,
               ThroughputOptions throughput = {});

    // lease_owner: the owner of the caller's lease, released when the message is deferred.
    // from_queue: the queue processor, which may send the probe while sending is held; an
    // immediate send never probes, it is queued.
    DispatchResult Dispatch(const Message& message, const std::string& lease_owner, bool from_queue);

    SendGate Gate(TimeMs now) const;
    SendingStatus Status() const;
    // An admin lifts the hold (PUT /settings); `by` names them in the log.
    void ClearHold(const std::string& by);

    // Writes the records left pending (see DispatchResult::record_pending). True when none is
    // left; the queue processor claims nothing before, so no message it holds is sent twice.
    bool WritePendingRecords();
    std::size_t PendingRecords() const;

    const RetryPolicy& policy() const { return policy_; }

private:
    // nullopt: the message may be sent now (its recipient's gap reserved). Otherwise when to try
    // it again.
    std::optional<TimeMs> Admit(const Message& message, bool from_queue, TimeMs now);
    DispatchResult Defer(const Message& message, const std::string& lease_owner, TimeMs due_at, DispatchResult result);
    void Observe(const SendOutcome& outcome, TimeMs admitted_at, TimeMs now);
    // CompleteAttempt, tried kRecordTries times while the store is unavailable. False when it
    // still failed and the provider had accepted the message: the record is kept as pending.
    bool Record(const AttemptResult& record, bool accepted);

    Store& store_;
    Provider& provider_;
    const Clock& clock_;
    RandomSource& random_;
    RetryPolicy policy_;
    ThroughputOptions throughput_;
    // In memory for one process; in the database when the store is shared by several nodes.
    std::unique_ptr<SendPacing> pacing_;
    mutable std::mutex pending_mutex_;
    std::vector<AttemptResult> pending_records_;
};

}  // namespace notify
