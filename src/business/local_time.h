#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "common/clock.h"

namespace notify {

// Calendar dates of the business ("delivery_date": "2026-01-28") are civil dates in the customer's
// time zone, with no time of day.
using Date = std::chrono::year_month_day;

inline constexpr std::string_view kDefaultTimeZone = "Asia/Kolkata";

// Strict YYYY-MM-DD of a real date (2026-02-30 is nullopt), years 2000 to 2999.
std::optional<Date> ParseIsoDate(std::string_view text);
std::string FormatIsoDate(Date date);
// For messages: "28 Jan 2026".
std::string FormatDisplayDate(Date date);
Date AddDays(Date date, int days);
// date - other, in days.
int DaysBetween(Date other, Date date);

// Strict "HH:MM" (00:00 to 23:59) -> minutes after midnight; nullopt otherwise.
std::optional<int> ParseClockTime(std::string_view text);
std::string FormatClockTime(int minute_of_day);  // "07:05"

// An IANA zone name the system's tzdata knows ("Asia/Kolkata", "UTC"); anything else is false.
bool IsKnownTimeZone(std::string_view zone);

// A moment as a clock on the wall of `zone` shows it. The zone must be known (IsKnownTimeZone):
// an unknown one is a broken invariant here (callers validate at the edge) and throws
// std::invalid_argument.
struct LocalTime {
    Date date{};
    int minute_of_day = 0;  // 0 .. 1439
};
LocalTime ToLocalTime(TimeMs at, std::string_view zone);

// The moment the wall clock of `zone` shows `minute_of_day` on `date`. A time that does not exist
// there (skipped by a daylight-saving change) is the first moment after the gap; one that occurs
// twice is the earlier.
TimeMs FromLocalTime(Date date, int minute_of_day, std::string_view zone);

}  // namespace notify
