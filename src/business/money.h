#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>

namespace notify {

// Money is kept exactly, in integer paise (1 rupee = 100 paise), never in a float.
using Paise = std::int64_t;

// Largest amount accepted anywhere: ₹1,00,00,00,000.00 (a hundred crore) keeps every sum of a
// thousand items far inside int64.
inline constexpr Paise kMaxPaise = 1'000'000'000LL * 100;

// Rupees as the API takes them: a decimal string ("68", "68.5", "1020.00", " 12.30 " is refused:
// no spaces, no sign, no exponent, no thousands separators) or a JSON number with at most two
// decimals (68, 68.5; 68.123 is refused; a float is read through its shortest decimal text, so
// 0.1 is 10 paise). Throws InvalidInput("invalid_amount", ..., field) for anything else: negative,
// more than two decimals, above kMaxPaise, not a string or number, and zero unless allow_zero.
Paise ParseRupees(const nlohmann::json& value, std::string_view field, bool allow_zero = false);

// As people in India write it, with the rupee sign and the lakh/crore grouping: ₹68.00, ₹1,020.00,
// ₹1,02,500.50, ₹1,00,00,000.00. Negative amounts get a leading minus: -₹5.00.
std::string FormatRupees(Paise amount);

// The plain decimal text for JSON answers: "1020.00".
std::string PaiseToDecimal(Paise amount);

}  // namespace notify
