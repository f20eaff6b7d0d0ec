#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "common/clock.h"
#include "queue/sending_hold.h"
#include "store/pacing_store.h"

namespace notify {

// The pacing of provider calls: the rate limit, a provider's Retry-After, the hold after a fault
// that stops all sending, and the per-recipient gap. A seam with two sides: in memory, for one
// process (SQLite), and in the database, for several nodes that must together respect one rate
// (PostgreSQL). Both apply the same pure rules (TokenBucket, SendingHold, RecipientGap's).
class SendPacing {
public:
    struct Look {
        SendingHold::Admission hold = SendingHold::Admission::kSend;  // SendingHold::Peek
        std::optional<SendingHold::Fault> fault;
        std::optional<TimeMs> next_probe_at;
        TimeMs throttled_until = 0;
    };

    virtual ~SendPacing() = default;

    // SendingHold::Admit: whether a send may go while sending is held (one probe per interval).
    virtual SendingHold::Admission AdmitHold(TimeMs now, bool may_probe) = 0;
    // A rate-limit token: 0 when one was taken, otherwise milliseconds until one will be (also
    // while a Retry-After runs).
    virtual TimeMs TryAcquireToken(TimeMs now) = 0;
    // RecipientGap::Reserve and Release.
    virtual std::optional<TimeMs> ReserveRecipient(const std::string& phone, TimeMs now, TimeMs gap_ms) = 0;
    virtual void ReleaseRecipient(const std::string& phone, TimeMs reserved_at) = 0;

    // A provider's Retry-After for the whole sender. True when it extends the throttle.
    virtual bool ThrottleUntil(TimeMs until) = 0;
    // SendingHold::OnStopAll, OnHealthy and Clear: true when the hold starts, lifts, was lifted.
    virtual bool OnStopAll(const std::string& error, TimeMs now) = 0;
    virtual bool OnHealthy(TimeMs admitted_at) = 0;
    virtual bool ClearHold() = 0;

    virtual Look Peek(TimeMs now) = 0;
};

// One process: everything in memory, behind a mutex.
std::unique_ptr<SendPacing> MakeLocalSendPacing(int rate_per_second, TimeMs probe_interval_ms, TimeMs now);

// Several nodes: the state in the database (PacingStore), so three nodes at 80/s send 80/s
// together. Reads that only look (is sending held? throttled?) use a copy at most
// kSharedPacingMaxAgeMs old, so that a node without a rate limit pays no query per send for them;
// every change, and every token, is a locked read-decide-write in the database.
inline constexpr TimeMs kSharedPacingMaxAgeMs = 250;
std::unique_ptr<SendPacing> MakeSharedSendPacing(PacingStore& store, int rate_per_second, TimeMs probe_interval_ms,
                                                 const Clock& clock);

}  // namespace notify
