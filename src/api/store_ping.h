#pragma once

#include <atomic>
#include <functional>

#include "common/clock.h"

namespace notify {

// Whether the store answers, for GET /health, which load balancers call often: the store is
// pinged at most once per interval and by one caller at a time; every other caller reads the
// last answer from memory. A store that goes down shows within one interval.
class StorePing final {
public:
    // ping: throws when the store is unavailable.
    StorePing(std::function<void()> ping, const Clock& clock, TimeMs interval_ms = 1000);

    bool Ok();

private:
    static constexpr TimeMs kNever = -1;

    std::function<void()> ping_;
    const Clock& clock_;
    const TimeMs interval_ms_;
    std::atomic<bool> ok_{true};  // before the first ping: the store was opened at start
    std::atomic<TimeMs> checked_at_{kNever};
    std::atomic<bool> pinging_{false};
};

}  // namespace notify
