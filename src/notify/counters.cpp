#include "notify/counters.h"

#include <map>
#include <tuple>

namespace notify {
namespace {

constexpr TimeMs kHourMs = 3'600'000;
constexpr TimeMs kDayMs = 24 * kHourMs;

}  // namespace

MessageStatus CounterStatus(MessageStatus status) {
    return status == MessageStatus::kSending ? MessageStatus::kQueued : status;
}

std::vector<CounterKey> CounterKeysFor(TimeMs created_at, std::string_view message_type, MessageStatus status) {
    const MessageStatus counted = CounterStatus(status);
    const std::string type(message_type);
    return {CounterKey{CounterGrain::kHour, created_at / kHourMs, type, counted},
            CounterKey{CounterGrain::kDay, created_at / kDayMs, type, counted},
            CounterKey{CounterGrain::kTotal, 0, type, counted}};
}

std::vector<CounterChange> CounterChangesForInsert(TimeMs created_at, std::string_view message_type,
                                                   MessageStatus status) {
    std::vector<CounterChange> changes;
    for (CounterKey& key : CounterKeysFor(created_at, message_type, status)) {
        changes.push_back(CounterChange{std::move(key), 1});
    }
    return changes;
}

std::vector<CounterChange> CounterChangesForStatus(TimeMs created_at, std::string_view message_type,
                                                   MessageStatus before, MessageStatus after) {
    if (CounterStatus(before) == CounterStatus(after)) return {};
    std::vector<CounterChange> changes;
    for (CounterKey& key : CounterKeysFor(created_at, message_type, before)) {
        changes.push_back(CounterChange{std::move(key), -1});
    }
    for (CounterKey& key : CounterKeysFor(created_at, message_type, after)) {
        changes.push_back(CounterChange{std::move(key), 1});
    }
    return changes;
}

std::vector<CounterChange> SumCounterChanges(const std::vector<CounterChange>& changes) {
    std::map<std::tuple<CounterGrain, std::int64_t, std::string_view, MessageStatus>, std::int64_t> sums;
    for (const CounterChange& c : changes) {
        sums[{c.key.grain, c.key.bucket, c.key.message_type, c.key.status}] += c.delta;
    }
    std::vector<CounterChange> summed;
    for (const auto& [key, delta] : sums) {
        if (delta == 0) continue;
        const auto& [grain, bucket, type, status] = key;
        summed.push_back(CounterChange{CounterKey{grain, bucket, std::string(type), status}, delta});
    }
    return summed;
}

void AddToStatusCounts(StatusCounts& counts, MessageStatus status, std::int64_t n) {
    counts.total += n;
    switch (status) {
        case MessageStatus::kQueued:
        case MessageStatus::kSending:
            counts.queued += n;
            break;
        case MessageStatus::kRead:
            counts.read += n;
            counts.delivered += n;
            counts.sent += n;
            break;
        case MessageStatus::kDelivered:
            counts.delivered += n;
            counts.sent += n;
            break;
        case MessageStatus::kSent:
            counts.sent += n;
            break;
        case MessageStatus::kFailed:
            counts.failed += n;
            break;
        case MessageStatus::kSuppressed:
            counts.suppressed += n;
            break;
        case MessageStatus::kSkippedRollout:
            counts.skipped_rollout += n;
            break;
    }
}

}  // namespace notify
