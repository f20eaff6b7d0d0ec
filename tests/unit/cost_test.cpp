// The estimated WhatsApp spend (src/notify/cost.h): exact prices, the per-type estimate and the
// settings' price table.
#include "notify/cost.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "common/errors.h"

namespace notify {
namespace {

TEST(Cost, DeliveredMessagesTimesTheirCategorysPrice) {
    Statistics stats;
    stats.by_type["payment_reminder"].delivered = 100;
    stats.by_type["payment_reminder"].sent = 120;  // accepted but not delivered: not charged
    stats.by_type["help_reply"].delivered = 7;     // service messages are free
    const SpendEstimate spend = EstimateSpend(stats, DefaultPrices());
    EXPECT_EQ(spend.by_type.at("payment_reminder"), 100 * 1300);
    EXPECT_EQ(spend.by_type.at("help_reply"), 0);
    EXPECT_EQ(spend.total, 130000);
    EXPECT_EQ(FormatSpend(spend.total), "13.00");
    const nlohmann::json json = SpendToJson(spend);
    EXPECT_EQ(json["total"], "13.00");
    EXPECT_EQ(json["currency"], "INR");
    EXPECT_EQ(json["by_type"]["payment_reminder"], "13.00");
}

TEST(Cost, ACategoryWithoutAPriceCostsNothing) {
    Statistics stats;
    stats.by_type["welcome"].delivered = 3;
    EXPECT_EQ(EstimateSpend(stats, PriceTable{{"marketing", 8600}}).total, 0);
}

TEST(Cost, SpendIsRoundedHalfUpToThePaisa) {
    EXPECT_EQ(FormatSpend(0), "0.00");
    EXPECT_EQ(FormatSpend(1150), "0.12");  // ₹0.1150
    EXPECT_EQ(FormatSpend(1149), "0.11");
    EXPECT_EQ(FormatSpend(12345678), "1234.57");
}

TEST(Cost, PricesShowTheDecimalsTheyNeed) {
    EXPECT_EQ(FormatPrice(1300), "0.13");
    EXPECT_EQ(FormatPrice(1150), "0.115");
    EXPECT_EQ(FormatPrice(1), "0.0001");
    EXPECT_EQ(FormatPrice(0), "0.00");
    EXPECT_EQ(FormatPrice(10000), "1.00");
}

TEST(Cost, APriceTableIsReadExactly) {
    const PriceTable prices =
        ParsePriceTable(nlohmann::json{{"utility", "0.1150"}, {"marketing", 0.86}, {"service", 0}});
    EXPECT_EQ(prices.at("utility"), 1150);
    EXPECT_EQ(prices.at("marketing"), 8600);
    EXPECT_EQ(prices.at("service"), 0);
    EXPECT_EQ(PriceTableToJson(prices)["utility"], "0.115");
    EXPECT_EQ(ParsePriceTable(PriceTableToJson(prices)), prices);
}

TEST(Cost, ABadPriceTableIsRefusedNamingTheField) {
    for (const nlohmann::json& bad :
         {nlohmann::json("0.13"), nlohmann::json::array(), nlohmann::json{{"utility", "-0.13"}},
          nlohmann::json{{"utility", "0.12345"}}, nlohmann::json{{"utility", "1e3"}},
          nlohmann::json{{"utility", "101"}}, nlohmann::json{{"utility", true}}, nlohmann::json{{"Utility", "0.13"}},
          nlohmann::json{{"utility", "0."}}, nlohmann::json{{"utility", ""}}, nlohmann::json{{"utility", nullptr}}}) {
        SCOPED_TRACE(bad.dump());
        try {
            ParsePriceTable(bad);
            FAIL() << "accepted";
        } catch (const Error& e) {
            EXPECT_EQ(e.code(), "invalid_field");
            EXPECT_EQ(e.field(), "message_prices");
        }
    }
}

}  // namespace
}  // namespace notify
