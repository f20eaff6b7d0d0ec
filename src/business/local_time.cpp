#include "business/local_time.h"

#include <date/tz.h>

#include <array>
#include <stdexcept>
#include <string>

namespace notify {
namespace {

using std::chrono::days;
using std::chrono::milliseconds;
using std::chrono::minutes;

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// The value of the all-digit field text[pos, pos + count); nullopt when any byte is not a digit.
std::optional<int> Digits(std::string_view text, std::size_t pos, std::size_t count) {
    int value = 0;
    for (std::size_t i = pos; i < pos + count; ++i) {
        if (!IsDigit(text[i])) return std::nullopt;
        value = value * 10 + (text[i] - '0');
    }
    return value;
}

std::string TwoDigits(unsigned value) {
    return std::string{static_cast<char>('0' + value / 10 % 10), static_cast<char>('0' + value % 10)};
}

// Callers validate zones at the edge, so an unknown one here is a programming error.
const date::time_zone* Zone(std::string_view zone) {
    try {
        return date::locate_zone(zone);
    } catch (const std::runtime_error&) {
        throw std::invalid_argument("unknown time zone \"" + std::string(zone) + "\"");
    }
}

}  // namespace

std::optional<Date> ParseIsoDate(std::string_view text) {
    if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
    const auto year = Digits(text, 0, 4);
    const auto month = Digits(text, 5, 2);
    const auto day = Digits(text, 8, 2);
    if (!year || !month || !day || *year < 2000 || *year > 2999) return std::nullopt;
    const Date date{std::chrono::year{*year}, std::chrono::month{static_cast<unsigned>(*month)},
                    std::chrono::day{static_cast<unsigned>(*day)}};
    if (!date.ok()) return std::nullopt;
    return date;
}

std::string FormatIsoDate(Date date) {
    return std::to_string(static_cast<int>(date.year())) + "-" + TwoDigits(static_cast<unsigned>(date.month())) + "-" +
           TwoDigits(static_cast<unsigned>(date.day()));
}

std::string FormatDisplayDate(Date date) {
    static constexpr std::array<const char*, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    return std::to_string(static_cast<unsigned>(date.day())) + " " +
           kMonths.at(static_cast<unsigned>(date.month()) - 1) + " " + std::to_string(static_cast<int>(date.year()));
}

Date AddDays(Date date, int count) { return Date{std::chrono::sys_days{date} + days{count}}; }

int DaysBetween(Date other, Date date) {
    return static_cast<int>((std::chrono::sys_days{date} - std::chrono::sys_days{other}).count());
}

std::optional<int> ParseClockTime(std::string_view text) {
    if (text.size() != 5 || text[2] != ':') return std::nullopt;
    const auto hour = Digits(text, 0, 2);
    const auto minute = Digits(text, 3, 2);
    if (!hour || !minute || *hour > 23 || *minute > 59) return std::nullopt;
    return *hour * 60 + *minute;
}

std::string FormatClockTime(int minute_of_day) {
    return TwoDigits(static_cast<unsigned>(minute_of_day / 60)) + ":" +
           TwoDigits(static_cast<unsigned>(minute_of_day % 60));
}

bool IsKnownTimeZone(std::string_view zone) {
    if (zone.empty()) return false;
    try {
        date::locate_zone(zone);
        return true;
    } catch (const std::runtime_error&) {
        return false;
    }
}

LocalTime ToLocalTime(TimeMs at, std::string_view zone) {
    const auto local = Zone(zone)->to_local(date::sys_time<milliseconds>{milliseconds{at}});
    const auto day = date::floor<days>(local);
    return LocalTime{Date{std::chrono::sys_days{day.time_since_epoch()}},
                     static_cast<int>(date::floor<minutes>(local - day).count())};
}

TimeMs FromLocalTime(Date date, int minute_of_day, std::string_view zone) {
    const date::local_time<minutes> local{std::chrono::sys_days{date}.time_since_epoch() + minutes{minute_of_day}};
    // For a time in a gap, earliest and latest both give the end of the gap.
    const auto utc = Zone(zone)->to_sys(local, date::choose::earliest);
    return date::floor<milliseconds>(utc).time_since_epoch().count();
}

}  // namespace notify
