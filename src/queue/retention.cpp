#include "queue/retention.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <limits>

#include "common/errors.h"

namespace notify {
namespace {

constexpr TimeMs kDayMs = 86'400'000;
// After a failed purge (the store unreachable), try again sooner than the interval.
constexpr TimeMs kRetryAfterFailureMs = 60'000;

}  // namespace

TimeMs RetentionCutoff(TimeMs now, int days) {
    if (days <= 0) return std::numeric_limits<TimeMs>::min();
    return now - static_cast<TimeMs>(days) * kDayMs;
}

Retention::Retention(Store& store, const Clock& clock, RetentionOptions options)
    : store_(store), clock_(clock), options_(options) {}

Retention::~Retention() { Stop(); }

PurgeResult Retention::RunOnce() {
    PurgeResult total;
    if (options_.days <= 0 || options_.batch == 0) return total;
    const TimeMs cutoff = RetentionCutoff(clock_.NowMs(), options_.days);
    while (true) {
        const PurgeResult batch = store_.PurgeOlderThan(cutoff, options_.batch);
        total.messages += batch.messages;
        total.webhook_events += batch.webhook_events;
        if (batch.messages < options_.batch && batch.webhook_events < options_.batch) break;
        std::lock_guard lock(mutex_);
        if (stopping_) break;
    }
    return total;
}

void Retention::Start() {
    if (options_.days <= 0 || thread_.joinable()) return;
    stopping_ = false;
    thread_ = std::thread([this] { Loop(); });
}

void Retention::Stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
}

void Retention::Loop() {
    while (true) {
        TimeMs wait_ms = options_.interval_ms;
        try {
            const PurgeResult purged = RunOnce();
            if (purged.messages > 0 || purged.webhook_events > 0) {
                spdlog::info("retention: deleted {} message(s) and {} webhook event(s) older than {} days",
                             purged.messages, purged.webhook_events, options_.days);
            }
        } catch (const StoreUnavailable& e) {
            spdlog::warn("retention: purge failed, trying again in a minute: {}", e.what());
            wait_ms = std::min(wait_ms, kRetryAfterFailureMs);
        }
        std::unique_lock lock(mutex_);
        if (wake_.wait_for(lock, std::chrono::milliseconds(wait_ms), [this] { return stopping_; })) return;
    }
}

}  // namespace notify
