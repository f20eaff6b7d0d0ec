#include "api/store_ping.h"

#include <spdlog/spdlog.h>

#include <exception>

namespace notify {

StorePing::StorePing(std::function<void()> ping, const Clock& clock, TimeMs interval_ms)
    : ping_(std::move(ping)), clock_(clock), interval_ms_(interval_ms) {}

bool StorePing::Ok() {
    const TimeMs checked_at = checked_at_.load();
    if (checked_at != kNever && clock_.NowMs() - checked_at < interval_ms_) return ok_.load();
    bool idle = false;
    // Single flight: while one caller pings, the others answer with the last result.
    if (!pinging_.compare_exchange_strong(idle, true)) return ok_.load();
    bool ok = true;
    try {
        ping_();
    } catch (const std::exception& e) {
        ok = false;
        if (ok_.load()) spdlog::error("health: the store does not answer: {}", e.what());
    }
    ok_.store(ok);
    checked_at_.store(clock_.NowMs());
    pinging_.store(false);
    return ok;
}

}  // namespace notify
