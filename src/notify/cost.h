#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>

#include "notify/model.h"

namespace notify {

// WhatsApp charges per delivered message by category (myoperator-api.md: in India marketing ₹0.86,
// utility ₹0.13, authentication ₹0.13, service replies free). Prices are kept exactly, in
// ten-thousandths of a rupee (1300 = ₹0.13), since Meta's rates have four decimals (₹0.1150).
// PriceTable and DefaultPrices() are in notify/model.h (settings hold the table).

// The pricing category of a message type: every template of this service is a utility template;
// the free-text answer to a customer's reply ("help_reply") is a service message.
std::string_view PricingCategory(std::string_view message_type);

// Estimated spend in ten-thousandths of a rupee: delivered (or read) messages times their
// category's price; a category missing from the table costs nothing.
struct SpendEstimate {
    std::int64_t total = 0;
    std::map<std::string, std::int64_t> by_type;
};
SpendEstimate EstimateSpend(const Statistics& stats, const PriceTable& prices);

// ₹ with two decimals, rounded half up to the paisa: 13000 -> "1.30". For answers.
std::string FormatSpend(std::int64_t ten_thousandths);
// A price as the settings show it, with the decimals it needs (at least two): 1300 -> "0.13", 1150 -> "0.115".
std::string FormatPrice(std::int64_t ten_thousandths);

// settings.message_prices in a PUT: {"utility": "0.13", ...}, rupees as decimal strings or numbers
// with at most four decimals, 0 to 100; categories of lowercase letters and '_', at most 16. The whole
// table is replaced. Throws invalid_field naming "message_prices".
PriceTable ParsePriceTable(const nlohmann::json& value);
nlohmann::json PriceTableToJson(const PriceTable& prices);

// The estimate as /statistics shows it: {"currency": "INR", "basis": ..., "total", "by_type"}.
nlohmann::json SpendToJson(const SpendEstimate& spend);

}  // namespace notify
