#include "providers/retry_after.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdint>
#include <string>
#include <vector>

#include "common/strings.h"

namespace notify {
namespace {

bool AllDigits(std::string_view text) {
    if (text.empty()) return false;
    for (char c : text) {
        if (!std::isdigit(static_cast<unsigned char>(c))) return false;
    }
    return true;
}

int ToInt(std::string_view digits) {
    int value = 0;
    for (char c : digits) value = value * 10 + (c - '0');
    return value;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) {
            return false;
        }
    }
    return true;
}

// 1..12, or 0 when the token is not an English month abbreviation.
int MonthNumber(std::string_view token) {
    static constexpr std::array<std::string_view, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    for (std::size_t i = 0; i < kMonths.size(); ++i) {
        if (EqualsIgnoreCase(token, kMonths[i])) return static_cast<int>(i) + 1;
    }
    return 0;
}

bool IsWeekday(std::string_view token) {
    static constexpr std::array<std::string_view, 7> kDays = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
    static constexpr std::array<std::string_view, 7> kLongDays = {"Monday", "Tuesday",  "Wednesday", "Thursday",
                                                                  "Friday", "Saturday", "Sunday"};
    for (auto day : kDays) {
        if (EqualsIgnoreCase(token, day)) return true;
    }
    for (auto day : kLongDays) {
        if (EqualsIgnoreCase(token, day)) return true;
    }
    return false;
}

// "08:49:37" -> seconds of the day.
std::optional<int> ParseClock(std::string_view token) {
    if (token.size() != 8 || token[2] != ':' || token[5] != ':') return std::nullopt;
    auto hh = token.substr(0, 2), mm = token.substr(3, 2), ss = token.substr(6, 2);
    if (!AllDigits(hh) || !AllDigits(mm) || !AllDigits(ss)) return std::nullopt;
    int h = ToInt(hh), m = ToInt(mm), s = ToInt(ss);
    if (h > 23 || m > 59 || s > 60) return std::nullopt;
    return h * 3600 + m * 60 + s;
}

// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's algorithm).
std::int64_t DaysFromCivil(std::int64_t y, unsigned m, unsigned d) {
    y -= m <= 2;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

std::optional<TimeMs> Compose(std::string_view day, int month, std::string_view year, int seconds_of_day) {
    if (month == 0 || !AllDigits(day) || day.size() > 2 || !AllDigits(year)) return std::nullopt;
    int y = 0;
    if (year.size() == 4) {
        y = ToInt(year);
    } else if (year.size() == 2) {
        // RFC 850's two-digit years; no server has sent one from the last century for decades.
        y = 2000 + ToInt(year);
    } else {
        return std::nullopt;
    }
    int d = ToInt(day);
    if (d < 1 || d > 31) return std::nullopt;
    std::int64_t days = DaysFromCivil(y, static_cast<unsigned>(month), static_cast<unsigned>(d));
    return (days * 86400 + seconds_of_day) * 1000;
}

}  // namespace

std::optional<TimeMs> ParseHttpDate(std::string_view text) {
    // Split on the separators of the three forms: "Sun, 06 Nov 1994 08:49:37 GMT",
    // "Sunday, 06-Nov-94 08:49:37 GMT" and "Sun Nov  6 08:49:37 1994".
    std::vector<std::string_view> tokens;
    std::size_t start = 0;
    for (std::size_t i = 0; i <= text.size(); ++i) {
        if (i == text.size() || text[i] == ' ' || text[i] == ',' || text[i] == '-' || text[i] == '\t') {
            if (i > start) tokens.push_back(text.substr(start, i - start));
            start = i + 1;
        }
    }
    if (tokens.size() < 5 || tokens.size() > 6 || !IsWeekday(tokens[0])) return std::nullopt;
    if (tokens.size() == 6) {  // IMF-fixdate or RFC 850: weekday day month year time GMT
        if (!EqualsIgnoreCase(tokens[5], "GMT") && !EqualsIgnoreCase(tokens[5], "UTC")) return std::nullopt;
        auto clock = ParseClock(tokens[4]);
        if (!clock) return std::nullopt;
        return Compose(tokens[1], MonthNumber(tokens[2]), tokens[3], *clock);
    }
    // asctime: weekday month day time year
    auto clock = ParseClock(tokens[3]);
    if (!clock || tokens[4].size() != 4) return std::nullopt;
    return Compose(tokens[2], MonthNumber(tokens[1]), tokens[4], *clock);
}

std::optional<std::chrono::seconds> ParseRetryAfter(std::string_view value, TimeMs now_ms) {
    value = Trim(value);
    if (AllDigits(value)) {
        // More than 9 digits cannot be a sensible delay and would overflow: clamp.
        if (value.size() > 9) return kMaxRetryAfter;
        return std::min(std::chrono::seconds(ToInt(value)), kMaxRetryAfter);
    }
    auto date = ParseHttpDate(value);
    if (!date) return std::nullopt;
    if (*date <= now_ms) return std::chrono::seconds(0);
    // Round up: retrying a fraction of a second early would just hit the limit again.
    std::int64_t seconds = (*date - now_ms + 999) / 1000;
    if (seconds > kMaxRetryAfter.count()) return kMaxRetryAfter;
    return std::chrono::seconds(seconds);
}

}  // namespace notify
