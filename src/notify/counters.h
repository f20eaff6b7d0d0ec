#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "notify/model.h"

namespace notify {

// The statistics counters: per (bucket of creation time, message type, status), at three grains
// (UTC hour, UTC day, all time). Every store keeps them in step with its messages in the same
// transaction as each write; GET /statistics sums them.

// Counters keep `sending` under `queued`: statistics report the two together, and claiming a
// message for a send is then no counter write at all.
MessageStatus CounterStatus(MessageStatus status);

enum class CounterGrain { kHour, kDay, kTotal };

// One counter row: bucket is created_at / 3,600,000 for hours, / 86,400,000 for days, 0 for all
// time (created_at is never negative).
struct CounterKey {
    CounterGrain grain = CounterGrain::kTotal;
    std::int64_t bucket = 0;
    std::string message_type;
    MessageStatus status = MessageStatus::kQueued;  // a CounterStatus

    bool operator==(const CounterKey&) const = default;
};

struct CounterChange {
    CounterKey key;
    std::int64_t delta = 0;

    bool operator==(const CounterChange&) const = default;
};

// The counters a message with these attributes is counted in: one per grain.
std::vector<CounterKey> CounterKeysFor(TimeMs created_at, std::string_view message_type, MessageStatus status);

// The changes for a message stored with `status`: +1 on each of its counters.
std::vector<CounterChange> CounterChangesForInsert(TimeMs created_at, std::string_view message_type,
                                                   MessageStatus status);

// The changes for a message moving from `before` to `after`: -1 on the old counters and +1 on
// the new, and nothing when both are counted alike (queued <-> sending, or no change).
std::vector<CounterChange> CounterChangesForStatus(TimeMs created_at, std::string_view message_type,
                                                   MessageStatus before, MessageStatus after);

// One change per distinct counter row, the deltas of `changes` summed; rows whose changes cancel
// out are left out. A store applies a whole group of writes with one upsert per row this way.
std::vector<CounterChange> SumCounterChanges(const std::vector<CounterChange>& changes);

// Adds `n` messages whose current status is `status` to the contract's counts: total, and the
// classes of GET /statistics (queued includes sending; sent includes delivered and read;
// delivered includes read).
void AddToStatusCounts(StatusCounts& counts, MessageStatus status, std::int64_t n);

}  // namespace notify
