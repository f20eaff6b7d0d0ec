#include "common/time_format.h"

#include <cctype>
#include <chrono>
#include <cstdio>

namespace notify {
namespace {

// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's algorithm).
std::int64_t DaysFromCivil(std::int64_t y, unsigned m, unsigned d) {
    y -= m <= 2;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

bool ReadDigits(std::string_view text, std::size_t& pos, std::size_t count, int& out) {
    if (pos + count > text.size()) return false;
    int value = 0;
    for (std::size_t i = 0; i < count; ++i) {
        char c = text[pos + i];
        if (!std::isdigit(static_cast<unsigned char>(c))) return false;
        value = value * 10 + (c - '0');
    }
    pos += count;
    out = value;
    return true;
}

bool Expect(std::string_view text, std::size_t& pos, char c) {
    if (pos >= text.size() || text[pos] != c) return false;
    ++pos;
    return true;
}

}  // namespace

void AppendIsoTime(std::string& out, TimeMs t) {
    // Years 0000-9999 with a non-negative time: digits written directly (history pages print six
    // times per message). Anything else: the general path below, which prints the same way.
    constexpr TimeMs kYear10000 = 253402300800000;
    if (t < 0 || t >= kYear10000) {
        out += FormatIsoTime(t);
        return;
    }
    constexpr std::int64_t kMsPerDay = 86400000;
    const std::int64_t days = t / kMsPerDay;
    std::int64_t ms = t % kMsPerDay;
    // Civil date from days since 1970-01-01 (Howard Hinnant's civil_from_days; days >= 0 here).
    const std::int64_t z = days + 719468;
    const std::int64_t era = z / 146097;
    const unsigned doe = static_cast<unsigned>(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    const unsigned day = doy - (153 * mp + 2) / 5 + 1;
    const unsigned month = mp < 10 ? mp + 3 : mp - 9;
    const unsigned year = static_cast<unsigned>(yoe + era * 400 + (month <= 2 ? 1 : 0));
    const unsigned millis = static_cast<unsigned>(ms % 1000);
    ms /= 1000;
    const unsigned second = static_cast<unsigned>(ms % 60);
    const unsigned minute = static_cast<unsigned>(ms / 60 % 60);
    const unsigned hour = static_cast<unsigned>(ms / 3600);
    char buf[24] = {'0', '0', '0', '0', '-', '0', '0', '-', '0', '0', 'T', '0',
                    '0', ':', '0', '0', ':', '0', '0', '.', '0', '0', '0', 'Z'};
    const auto put = [&buf](std::size_t end, unsigned value, int digits) {
        for (int i = 0; i < digits; ++i, value /= 10)
            buf[end - static_cast<std::size_t>(i)] = static_cast<char>('0' + value % 10);
    };
    put(3, year, 4);
    put(6, month, 2);
    put(9, day, 2);
    put(12, hour, 2);
    put(15, minute, 2);
    put(18, second, 2);
    put(22, millis, 3);
    out.append(buf, sizeof buf);
}

std::string FormatIsoTime(TimeMs t) {
    using namespace std::chrono;
    const sys_time<milliseconds> tp{milliseconds{t}};
    const auto day = floor<days>(tp);
    const year_month_day ymd{day};
    const hh_mm_ss hms{tp - day};
    char buf[40];
    std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", static_cast<int>(ymd.year()),
                  static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                  static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                  static_cast<int>(hms.seconds().count()), static_cast<int>(hms.subseconds().count()));
    return buf;
}

std::optional<TimeMs> ParseIsoTime(std::string_view text) {
    std::size_t pos = 0;
    int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0, millis = 0;
    if (!ReadDigits(text, pos, 4, year) || !Expect(text, pos, '-') || !ReadDigits(text, pos, 2, month) ||
        !Expect(text, pos, '-') || !ReadDigits(text, pos, 2, day)) {
        return std::nullopt;
    }
    if (month < 1 || month > 12 || day < 1) return std::nullopt;
    const auto ymd = std::chrono::year{year} / std::chrono::month{static_cast<unsigned>(month)} /
                     std::chrono::day{static_cast<unsigned>(day)};
    if (!ymd.ok()) return std::nullopt;
    std::int64_t offset_minutes = 0;
    if (pos < text.size()) {
        if (text[pos] != 'T' && text[pos] != 't' && text[pos] != ' ') return std::nullopt;
        ++pos;
        if (!ReadDigits(text, pos, 2, hour) || !Expect(text, pos, ':') || !ReadDigits(text, pos, 2, minute)) {
            return std::nullopt;
        }
        if (pos < text.size() && text[pos] == ':') {
            ++pos;
            if (!ReadDigits(text, pos, 2, second)) return std::nullopt;
            if (pos < text.size() && text[pos] == '.') {
                ++pos;
                std::size_t digits = 0;
                int scale = 100;
                while (pos < text.size() && std::isdigit(static_cast<unsigned char>(text[pos]))) {
                    if (digits < 3) millis += (text[pos] - '0') * scale, scale /= 10;
                    ++digits;
                    ++pos;
                }
                if (digits == 0 || digits > 9) return std::nullopt;
            }
        }
        if (hour > 23 || minute > 59 || second > 60) return std::nullopt;
        if (pos == text.size()) return std::nullopt;  // a time needs a zone: Z or an offset
        if (text[pos] == 'Z' || text[pos] == 'z') {
            ++pos;
        } else if (text[pos] == '+' || text[pos] == '-') {
            const int sign = text[pos] == '+' ? 1 : -1;
            ++pos;
            int oh = 0, om = 0;
            if (!ReadDigits(text, pos, 2, oh)) return std::nullopt;
            if (pos < text.size() && text[pos] == ':') ++pos;
            if (!ReadDigits(text, pos, 2, om)) return std::nullopt;
            if (oh > 23 || om > 59) return std::nullopt;
            offset_minutes = sign * (oh * 60 + om);
        } else {
            return std::nullopt;
        }
        if (pos != text.size()) return std::nullopt;
    }
    const std::int64_t days = DaysFromCivil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
    const std::int64_t seconds = days * 86400 + hour * 3600 + minute * 60 + second - offset_minutes * 60;
    return seconds * 1000 + millis;
}

}  // namespace notify
