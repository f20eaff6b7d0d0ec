#include "business/money.h"

#include <charconv>
#include <cmath>
#include <nlohmann/json.hpp>
#include <string>

#include "common/errors.h"

namespace notify {
namespace {

[[noreturn]] void Refuse(std::string_view field, const std::string& why) {
    throw InvalidInput("invalid_amount", std::string(field) + " " + why, std::string(field));
}

// Digits, then optionally a point and one or two digits: "68", "68.5", "1020.00".
Paise ParseDecimalRupees(std::string_view text, std::string_view field) {
    const std::string_view format = "must be rupees as digits with at most two decimals, such as \"68.50\"";
    const std::size_t point = text.find('.');
    const std::string_view whole = text.substr(0, point);
    const std::string_view fraction = point == std::string_view::npos ? std::string_view{} : text.substr(point + 1);
    if (whole.empty() || (point != std::string_view::npos && (fraction.empty() || fraction.size() > 2))) {
        Refuse(field, std::string(format));
    }
    Paise rupees = 0;
    for (char c : whole) {
        if (c < '0' || c > '9') Refuse(field, std::string(format));
        // Stops before the multiplication can overflow; anything this large is refused below anyway.
        if (rupees > kMaxPaise / 100) Refuse(field, "is above the largest amount accepted");
        rupees = rupees * 10 + (c - '0');
    }
    Paise paise = 0;
    for (std::size_t i = 0; i < 2; ++i) {
        const char c = i < fraction.size() ? fraction[i] : '0';
        if (c < '0' || c > '9') Refuse(field, std::string(format));
        paise = paise * 10 + (c - '0');
    }
    if (rupees > kMaxPaise / 100) Refuse(field, "is above the largest amount accepted");
    return rupees * 100 + paise;
}

// A float is read as its shortest round-trip decimal text, so 0.1 is the ten paise the client wrote,
// not the binary fraction just below it.
Paise ParseFloatRupees(double value, std::string_view field) {
    if (!std::isfinite(value)) Refuse(field, "must be a finite number");
    if (std::signbit(value)) Refuse(field, "must not be negative");
    if (value > static_cast<double>(kMaxPaise / 100)) Refuse(field, "is above the largest amount accepted");
    // Fixed notation of the smallest double needs about 330 characters.
    char text[512];
    const auto result = std::to_chars(std::begin(text), std::end(text), value, std::chars_format::fixed);
    if (result.ec != std::errc{}) Refuse(field, "is not a number that can be read");
    return ParseDecimalRupees(std::string_view(text, static_cast<std::size_t>(result.ptr - text)), field);
}

std::string Decimal(std::uint64_t magnitude) {
    std::string paise = std::to_string(magnitude % 100);
    if (paise.size() < 2) paise.insert(0, 1, '0');
    return std::to_string(magnitude / 100) + "." + paise;
}

// std::llabs of the most negative int64 overflows; the magnitude always fits in uint64.
std::uint64_t Magnitude(Paise amount) {
    return amount < 0 ? 0 - static_cast<std::uint64_t>(amount) : static_cast<std::uint64_t>(amount);
}

}  // namespace

Paise ParseRupees(const nlohmann::json& value, std::string_view field, bool allow_zero) {
    Paise paise = 0;
    if (value.is_string()) {
        paise = ParseDecimalRupees(value.get_ref<const std::string&>(), field);
    } else if (value.is_number_unsigned()) {
        const auto rupees = value.get<std::uint64_t>();
        if (rupees > static_cast<std::uint64_t>(kMaxPaise / 100)) Refuse(field, "is above the largest amount accepted");
        paise = static_cast<Paise>(rupees) * 100;
    } else if (value.is_number_integer()) {
        const auto rupees = value.get<std::int64_t>();
        if (rupees < 0) Refuse(field, "must not be negative");
        if (rupees > kMaxPaise / 100) Refuse(field, "is above the largest amount accepted");
        paise = rupees * 100;
    } else if (value.is_number_float()) {
        paise = ParseFloatRupees(value.get<double>(), field);
    } else {
        Refuse(field, "must be an amount in rupees, as a string or a number");
    }
    if (paise > kMaxPaise) Refuse(field, "is above the largest amount accepted");
    if (paise == 0 && !allow_zero) Refuse(field, "must be more than zero");
    return paise;
}

std::string FormatRupees(Paise amount) {
    const std::string decimal = Decimal(Magnitude(amount));
    const std::size_t point = decimal.find('.');
    // Lakh/crore grouping: the last three digits of the rupees, then groups of two.
    std::string grouped = decimal.substr(0, point);
    if (grouped.size() > 3) {
        for (std::ptrdiff_t comma = static_cast<std::ptrdiff_t>(grouped.size()) - 3; comma > 0; comma -= 2) {
            grouped.insert(static_cast<std::size_t>(comma), 1, ',');
        }
    }
    return std::string(amount < 0 ? "-" : "") + "\xE2\x82\xB9" + grouped + decimal.substr(point);
}

std::string PaiseToDecimal(Paise amount) { return std::string(amount < 0 ? "-" : "") + Decimal(Magnitude(amount)); }

}  // namespace notify
