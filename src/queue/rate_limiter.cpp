#include "queue/rate_limiter.h"

#include <algorithm>

namespace notify {

TokenBucket::TokenBucket(int rate_per_second, TimeMs now)
    : rate_(std::max(0, rate_per_second)),
      capacity_(std::max<std::int64_t>(1, rate_) * kUnitsPerToken),
      units_(capacity_),
      refilled_at_(now) {}

TokenBucket::TokenBucket(int rate_per_second, const State& state) : TokenBucket(rate_per_second, state.refilled_at) {
    units_ = std::clamp<std::int64_t>(state.units, 0, capacity_);  // a rate lowered since: no more than it holds
    held_until_ = state.held_until;
}

void TokenBucket::Refill(TimeMs now) {
    if (now <= refilled_at_) return;  // a clock that steps back gives nothing and takes nothing
    const std::int64_t elapsed = now - refilled_at_;
    // Cap before multiplying: after a long idle spell the product could overflow.
    const std::int64_t gained = std::min(elapsed, capacity_) * rate_;
    units_ = std::min(capacity_, units_ + gained);
    refilled_at_ = now;
}

TimeMs TokenBucket::TryAcquire(TimeMs now) {
    if (now < held_until_) return held_until_ - now;
    if (rate_ == 0) return 0;
    Refill(now);
    if (units_ >= kUnitsPerToken) {
        units_ -= kUnitsPerToken;
        return 0;
    }
    const std::int64_t missing = kUnitsPerToken - units_;
    return (missing + rate_ - 1) / rate_;  // rounded up: at that time the token is whole
}

void TokenBucket::HoldUntil(TimeMs until) {
    if (until <= held_until_) return;
    held_until_ = until;
    units_ = 0;
    refilled_at_ = std::max(refilled_at_, until);
}

}  // namespace notify
