#pragma once

// Dates and UTC moments for the business rules' tests, from plain calendar arithmetic (no time
// zone involved), so the rules under test do not check themselves.

#include <chrono>

#include "business/local_time.h"
#include "common/clock.h"

namespace notify {

inline Date MakeDate(int year, unsigned month, unsigned day) {
    return Date{std::chrono::year{year}, std::chrono::month{month}, std::chrono::day{day}};
}

inline TimeMs UtcMs(int year, unsigned month, unsigned day, int hour, int minute) {
    const auto at =
        std::chrono::sys_days{MakeDate(year, month, day)} + std::chrono::hours{hour} + std::chrono::minutes{minute};
    return std::chrono::duration_cast<std::chrono::milliseconds>(at.time_since_epoch()).count();
}

// A wall-clock time in Kolkata, UTC+05:30 all year, as a UTC moment.
inline TimeMs KolkataMs(int year, unsigned month, unsigned day, int hour, int minute) {
    return UtcMs(year, month, day, hour, minute) - (5 * 60 + 30) * 60'000;
}

}  // namespace notify
