#include "business/quiet_hours.h"

#include <chrono>

#include "business/local_time.h"

namespace notify {
namespace {

constexpr TimeMs kMinuteMs = 60 * 1000;

TimeMs FloorMod(TimeMs value, TimeMs divisor) { return ((value % divisor) + divisor) % divisor; }

// The wall clock's reading as if it were UTC: minus the moment it is read at, the zone's offset.
TimeMs WallClockMs(Date date, int minute_of_day) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::sys_days{date}.time_since_epoch())
               .count() +
           minute_of_day * kMinuteMs;
}

}  // namespace

bool InsideQuietHours(const QuietHours& window, int minute_of_day) {
    if (window.start_minute < window.end_minute) {
        return minute_of_day >= window.start_minute && minute_of_day < window.end_minute;
    }
    return minute_of_day >= window.start_minute || minute_of_day < window.end_minute;
}

std::optional<TimeMs> QuietHoursRelease(const QuietHours& window, TimeMs now, std::string_view zone) {
    const LocalTime local = ToLocalTime(now, zone);
    if (!InsideQuietHours(window, local.minute_of_day)) return std::nullopt;
    // Inside a window that crosses midnight and already past its start, it ends tomorrow.
    const bool ends_tomorrow = window.end_minute <= window.start_minute && local.minute_of_day >= window.start_minute;
    const Date end_date = AddDays(local.date, ends_tomorrow ? 1 : 0);
    const TimeMs release = FromLocalTime(end_date, window.end_minute, zone);
    if (release > now) return release;
    // Clocks went back and `end` shows twice: its first reading is already past (now lies in the
    // repeated time), so the window ends at its second, at the offset from UTC in force now.
    const TimeMs offset = WallClockMs(local.date, local.minute_of_day) - (now - FloorMod(now, kMinuteMs));
    return WallClockMs(end_date, window.end_minute) - offset;
}

}  // namespace notify
