#pragma once

#include <cstdint>

#include "common/clock.h"

namespace notify {

// A token bucket for provider calls: `rate_per_second` tokens a second, bursts of up to one
// second's worth. Pure logic: time comes in as arguments, so tests need no sleeps. Rate 0 is
// unlimited, except for HoldUntil, which applies whatever the rate.
class TokenBucket final {
public:
    // What the bucket holds, so that several nodes can keep one bucket in their shared database.
    struct State {
        std::int64_t units = 0;  // 1000 per token
        TimeMs refilled_at = 0;
        TimeMs held_until = 0;
    };

    TokenBucket(int rate_per_second, TimeMs now);
    // A bucket as it was left (State from state()), paced at `rate_per_second`.
    TokenBucket(int rate_per_second, const State& state);

    // Takes a token when one is free at `now` and returns 0; otherwise takes nothing and returns
    // how many milliseconds until one will be.
    TimeMs TryAcquire(TimeMs now);

    // No token before `until` (a provider's Retry-After). The bucket restarts empty then, so the
    // sender resumes at the steady rate instead of with a burst.
    void HoldUntil(TimeMs until);
    TimeMs held_until() const { return held_until_; }
    State state() const { return {units_, refilled_at_, held_until_}; }

private:
    static constexpr std::int64_t kUnitsPerToken = 1000;  // integer arithmetic: rate units accrue each ms

    void Refill(TimeMs now);

    std::int64_t rate_;
    std::int64_t capacity_;  // in units
    std::int64_t units_;
    TimeMs refilled_at_;
    TimeMs held_until_ = 0;
};

}  // namespace notify
