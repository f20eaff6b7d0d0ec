#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "common/clock.h"

namespace notify {

// How provider calls are paced, as several nodes on one database share it (issue 10): the rate
// limit's bucket, a provider's Retry-After, the hold after a fault that stops all sending. The
// rules that change it live in src/queue (TokenBucket, SendingHold); the store only keeps it.
struct PacingState {
    std::int64_t bucket_units = 0;  // TokenBucket::State; a bucket never used refills at once
    TimeMs bucket_refilled_at = 0;
    TimeMs throttled_until = 0;              // a provider's Retry-After
    std::optional<std::string> fault_error;  // set while sending is held
    TimeMs fault_since = 0;
    TimeMs next_probe_at = 0;
};

// The shared pacing in the database: an I/O seam of stores that several processes share. A store
// for one process (SQLite) has none, and each process paces itself in memory.
class PacingStore {
public:
    virtual ~PacingStore() = default;

    // The state as last written (no lock).
    virtual PacingState ReadPacing() = 0;
    // Locks the state, lets `decide` change it, and writes it back, in one transaction: two nodes
    // never decide on the same state at once.
    virtual void UpdatePacing(const std::function<void(PacingState&)>& decide) = 0;

    // The per-recipient gap, as a compare-and-set: records `now` as the phone's last send and
    // returns nullopt when its last send was at least gap_ms before; otherwise changes nothing and
    // returns when the gap ends.
    virtual std::optional<TimeMs> ReserveRecipient(std::string_view phone, TimeMs now, TimeMs gap_ms) = 0;
    // Forgets the reservation made at `reserved_at`, unless a later send replaced it.
    virtual void ReleaseRecipient(std::string_view phone, TimeMs reserved_at) = 0;
    // Forgets every recipient's last send before `cutoff` (they constrain nothing any more).
    virtual void ForgetRecipientsBefore(TimeMs cutoff) = 0;
};

}  // namespace notify
