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
};

class SystemClock final : public Clock {
public:
    TimeMs NowMs() const override;
};

class ManualClock final : public Clock {
public:
    explicit ManualClock(TimeMs start) : now_(start) {}
    TimeMs NowMs() const override { return now_.load(); }
    void Set(TimeMs t) { now_.store(t); }
    void Advance(TimeMs delta) { now_.fetch_add(delta); }

private:
    std::atomic<TimeMs> now_;
};

}  // namespace notify
