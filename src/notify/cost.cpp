#include "notify/cost.h"

#include <nlohmann/json.hpp>

#include "common/errors.h"

namespace notify {
namespace {

constexpr std::int64_t kUnitsPerRupee = 10000;
constexpr std::int64_t kMaxPrice = 100 * kUnitsPerRupee;
constexpr std::size_t kMaxCategories = 16;

[[noreturn]] void BadPrices(const std::string& why) {
    throw InvalidInput("invalid_field", "message_prices: " + why, "message_prices");
}

bool IsCategoryName(std::string_view name) {
    if (name.empty() || name.size() > 32) return false;
    for (char c : name) {
        if (!((c >= 'a' && c <= 'z') || c == '_')) return false;
    }
    return true;
}

// "0.13", "0.1150", "1", 0.13: at most four decimals, no sign.
std::int64_t ParsePrice(const nlohmann::json& value, const std::string& category) {
    std::string text;
    if (value.is_string()) {
        text = value.get<std::string>();
    } else if (value.is_number_unsigned() || value.is_number_integer()) {
        text = std::to_string(value.get<std::int64_t>());
    } else if (value.is_number_float()) {
        text = nlohmann::json(value).dump();  // the shortest text that reads back as the same double
    } else {
        BadPrices("the price of " + category + " must be rupees as a string or number");
    }
    const std::size_t dot = text.find('.');
    const std::string whole = text.substr(0, dot);
    const std::string fraction = dot == std::string::npos ? "" : text.substr(dot + 1);
    const auto digits = [](const std::string& s) { return s.find_first_not_of("0123456789") == std::string::npos; };
    if (whole.empty() || whole.size() > 3 || !digits(whole) || !digits(fraction) || fraction.size() > 4 ||
        (dot != std::string::npos && fraction.empty())) {
        BadPrices("the price of " + category + " must be rupees with at most four decimals, e.g. \"0.13\"");
    }
    std::int64_t units = std::stoll(whole) * kUnitsPerRupee;
    std::int64_t scale = kUnitsPerRupee / 10;
    for (char c : fraction) {
        units += (c - '0') * scale;
        scale /= 10;
    }
    if (units > kMaxPrice) BadPrices("the price of " + category + " is above ₹100 per message");
    return units;
}

}  // namespace

std::string_view PricingCategory(std::string_view message_type) {
    return message_type == "help_reply" ? "service" : "utility";
}

SpendEstimate EstimateSpend(const Statistics& stats, const PriceTable& prices) {
    SpendEstimate spend;
    for (const auto& [type, counts] : stats.by_type) {
        const auto price = prices.find(PricingCategory(type));
        const std::int64_t cost = price == prices.end() ? 0 : counts.delivered * price->second;
        spend.by_type[type] = cost;
        spend.total += cost;
    }
    return spend;
}

std::string FormatSpend(std::int64_t ten_thousandths) {
    const std::int64_t paise = (ten_thousandths + 50) / 100;  // half up; spend is never negative
    std::string fraction = std::to_string(paise % 100);
    if (fraction.size() < 2) fraction.insert(0, 1, '0');
    return std::to_string(paise / 100) + "." + fraction;
}

std::string FormatPrice(std::int64_t ten_thousandths) {
    std::string fraction = std::to_string(ten_thousandths % kUnitsPerRupee);
    fraction.insert(0, 4 - fraction.size(), '0');
    while (fraction.size() > 2 && fraction.back() == '0') fraction.pop_back();
    return std::to_string(ten_thousandths / kUnitsPerRupee) + "." + fraction;
}

PriceTable ParsePriceTable(const nlohmann::json& value) {
    if (!value.is_object()) BadPrices("must be an object of category to price, e.g. {\"utility\": \"0.13\"}");
    if (value.size() > kMaxCategories) BadPrices("at most 16 categories");
    PriceTable prices;
    for (const auto& [category, price] : value.items()) {
        if (!IsCategoryName(category)) BadPrices("\"" + category + "\" is not a category name (a-z and _)");
        prices[category] = ParsePrice(price, category);
    }
    return prices;
}

nlohmann::json PriceTableToJson(const PriceTable& prices) {
    nlohmann::json out = nlohmann::json::object();
    for (const auto& [category, price] : prices) out[category] = FormatPrice(price);
    return out;
}

nlohmann::json SpendToJson(const SpendEstimate& spend) {
    nlohmann::json by_type = nlohmann::json::object();
    for (const auto& [type, cost] : spend.by_type) by_type[type] = FormatSpend(cost);
    return {{"currency", "INR"},
            {"basis", "delivered messages times the price of their category (settings.message_prices)"},
            {"total", FormatSpend(spend.total)},
            {"by_type", std::move(by_type)}};
}

}  // namespace notify
