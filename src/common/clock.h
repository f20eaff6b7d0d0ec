#pragma once

#include <atomic>
#include <cstdint>

namespace notify {

// Milliseconds since the Unix epoch, UTC. Every timestamp the service stores or compares.
using TimeMs = std::int64_t;

// Time is an I/O seam: tests drive a ManualClock instead of sleeping.
class Clock {
public:
    virtual ~Clock() = default;
    virtual TimeMs NowMs() const = 0;
    // Waits `ms` (a short backoff or a rate-limit token); a ManualClock moves its time instead.
    virtual void SleepFor(TimeMs ms) const = 0;
};

class SystemClock final : public Clock {
public:
    TimeMs NowMs() const override;
    void SleepFor(TimeMs ms) const override;
};

class ManualClock final : public Clock {
public:
    explicit ManualClock(TimeMs start) : now_(start) {}
    TimeMs NowMs() const override { return now_.load(); }
    // Time passes without waiting, so tests of backoffs and rate limits need no sleeps.
    void SleepFor(TimeMs ms) const override {
        if (ms > 0) now_.fetch_add(ms);
    }
    void Set(TimeMs t) { now_.store(t); }
    void Advance(TimeMs delta) { now_.fetch_add(delta); }

private:
    mutable std::atomic<TimeMs> now_;
};

}  // namespace notify
