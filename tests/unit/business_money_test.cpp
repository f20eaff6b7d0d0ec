#include <gtest/gtest.h>

#include <limits>
#include <nlohmann/json.hpp>

#include "business/money.h"
#include "expect_invalid_input.h"

namespace notify {
namespace {

using nlohmann::json;

TEST(Money, ParsesDecimalStrings) {
    EXPECT_EQ(ParseRupees(json("68"), "amount"), 6800);
    EXPECT_EQ(ParseRupees(json("68.5"), "amount"), 6850);
    EXPECT_EQ(ParseRupees(json("68.05"), "amount"), 6805);
    EXPECT_EQ(ParseRupees(json("1020.00"), "amount"), 102000);
    EXPECT_EQ(ParseRupees(json("0.01"), "amount"), 1);
}

TEST(Money, ParsesIntegerNumbers) {
    EXPECT_EQ(ParseRupees(json(68), "amount"), 6800);
    EXPECT_EQ(ParseRupees(json(68u), "amount"), 6800);
    EXPECT_EQ(ParseRupees(json::parse("1020"), "amount"), 102000);
}

TEST(Money, ReadsFloatsThroughTheirShortestDecimalText) {
    EXPECT_EQ(ParseRupees(json(68.5), "amount"), 6850);
    // 0.1 and 0.29 are not exact in binary: truncating 0.29 * 100 would give 28 paise.
    EXPECT_EQ(ParseRupees(json(0.1), "amount"), 10);
    EXPECT_EQ(ParseRupees(json(0.29), "amount"), 29);
    EXPECT_EQ(ParseRupees(json::parse("1020.10"), "amount"), 102010);
    // Shortest text of 100000.0 in scientific notation would be "1e+05"; it is still a whole amount.
    EXPECT_EQ(ParseRupees(json::parse("100000.0"), "amount"), 10000000);
}

TEST(Money, AcceptsTheLargestAmountAndNothingAbove) {
    EXPECT_EQ(ParseRupees(json("1000000000"), "amount"), kMaxPaise);
    EXPECT_EQ(ParseRupees(json("1000000000.00"), "amount"), kMaxPaise);
    EXPECT_EQ(ParseRupees(json(1000000000LL), "amount"), kMaxPaise);
    EXPECT_EQ(ParseRupees(json(1.0e9), "amount"), kMaxPaise);
    EXPECT_INVALID_INPUT(ParseRupees(json("1000000000.01"), "amount"), "invalid_amount", "amount");
    EXPECT_INVALID_INPUT(ParseRupees(json(1000000001LL), "amount"), "invalid_amount", "amount");
    EXPECT_INVALID_INPUT(ParseRupees(json(1.0e9 + 0.5), "amount"), "invalid_amount", "amount");
    EXPECT_INVALID_INPUT(ParseRupees(json(std::numeric_limits<std::uint64_t>::max()), "amount"), "invalid_amount",
                         "amount");
    // Many digits must not overflow on the way to the refusal.
    EXPECT_INVALID_INPUT(ParseRupees(json("99999999999999999999999999"), "amount"), "invalid_amount", "amount");
    EXPECT_INVALID_INPUT(ParseRupees(json(1e300), "amount"), "invalid_amount", "amount");
}

TEST(Money, RefusesMalformedStrings) {
    for (const char* text : {"", " 12.30 ", "12.30 ", "+5", "-5", "1e3", "1,020.00", "68.", ".5", "68.123", "6 8",
                             "68.5a", "abc", "₹68", "0x10", "68..5", "68.-5"}) {
        SCOPED_TRACE(text);
        EXPECT_INVALID_INPUT(ParseRupees(json(text), "price"), "invalid_amount", "price");
    }
}

TEST(Money, RefusesNegativeAndOverPreciseNumbers) {
    EXPECT_INVALID_INPUT(ParseRupees(json(-5), "amount"), "invalid_amount", "amount");
    EXPECT_INVALID_INPUT(ParseRupees(json(-0.5), "amount"), "invalid_amount", "amount");
    EXPECT_INVALID_INPUT(ParseRupees(json(68.123), "amount"), "invalid_amount", "amount");
    EXPECT_INVALID_INPUT(ParseRupees(json(0.001), "amount"), "invalid_amount", "amount");
    EXPECT_INVALID_INPUT(ParseRupees(json(5e-324), "amount"), "invalid_amount", "amount");
}

TEST(Money, RefusesNonFiniteNumbers) {
    EXPECT_INVALID_INPUT(ParseRupees(json(std::numeric_limits<double>::quiet_NaN()), "amount"), "invalid_amount",
                         "amount");
    EXPECT_INVALID_INPUT(ParseRupees(json(std::numeric_limits<double>::infinity()), "amount"), "invalid_amount",
                         "amount");
    EXPECT_INVALID_INPUT(ParseRupees(json(-std::numeric_limits<double>::infinity()), "amount"), "invalid_amount",
                         "amount");
}

TEST(Money, RefusesValuesThatAreNotAmounts) {
    EXPECT_INVALID_INPUT(ParseRupees(json(true), "amount"), "invalid_amount", "amount");
    EXPECT_INVALID_INPUT(ParseRupees(json(false), "amount"), "invalid_amount", "amount");
    EXPECT_INVALID_INPUT(ParseRupees(json(), "amount"), "invalid_amount", "amount");
    EXPECT_INVALID_INPUT(ParseRupees(json::object(), "amount"), "invalid_amount", "amount");
    EXPECT_INVALID_INPUT(ParseRupees(json::array({68}), "amount"), "invalid_amount", "amount");
}

TEST(Money, ZeroOnlyWhenAllowed) {
    EXPECT_INVALID_INPUT(ParseRupees(json(0), "amount"), "invalid_amount", "amount");
    EXPECT_INVALID_INPUT(ParseRupees(json("0.00"), "amount"), "invalid_amount", "amount");
    EXPECT_INVALID_INPUT(ParseRupees(json(0.0), "amount"), "invalid_amount", "amount");
    EXPECT_EQ(ParseRupees(json(0), "amount", true), 0);
    EXPECT_EQ(ParseRupees(json("0.00"), "amount", true), 0);
    EXPECT_EQ(ParseRupees(json(0.0), "amount", true), 0);
}

TEST(Money, TheErrorNamesTheField) {
    try {
        ParseRupees(json("abc"), "items[2].price");
        FAIL() << "expected invalid_amount";
    } catch (const Error& e) {
        EXPECT_EQ(e.field(), "items[2].price");
        EXPECT_NE(std::string(e.what()).find("items[2].price"), std::string::npos) << e.what();
    }
}

TEST(Money, FormatsWithLakhAndCroreGrouping) {
    EXPECT_EQ(FormatRupees(0),
              "\xE2\x82\xB9"
              "0.00");
    EXPECT_EQ(FormatRupees(5),
              "\xE2\x82\xB9"
              "0.05");
    EXPECT_EQ(FormatRupees(6800),
              "\xE2\x82\xB9"
              "68.00");
    EXPECT_EQ(FormatRupees(99900),
              "\xE2\x82\xB9"
              "999.00");
    EXPECT_EQ(FormatRupees(100000),
              "\xE2\x82\xB9"
              "1,000.00");
    EXPECT_EQ(FormatRupees(102000),
              "\xE2\x82\xB9"
              "1,020.00");
    EXPECT_EQ(FormatRupees(9999999),
              "\xE2\x82\xB9"
              "99,999.99");
    EXPECT_EQ(FormatRupees(10250050),
              "\xE2\x82\xB9"
              "1,02,500.50");
    EXPECT_EQ(FormatRupees(1000000000),
              "\xE2\x82\xB9"
              "1,00,00,000.00");
    EXPECT_EQ(FormatRupees(kMaxPaise),
              "\xE2\x82\xB9"
              "1,00,00,00,000.00");
}

TEST(Money, FormatsNegativeAmountsWithALeadingMinus) {
    EXPECT_EQ(FormatRupees(-500),
              "-\xE2\x82\xB9"
              "5.00");
    EXPECT_EQ(FormatRupees(-10250050),
              "-\xE2\x82\xB9"
              "1,02,500.50");
    EXPECT_EQ(FormatRupees(std::numeric_limits<Paise>::min()),
              "-\xE2\x82\xB9"
              "92,23,37,20,36,85,47,758.08");
}

TEST(Money, PaiseToDecimalIsPlainText) {
    EXPECT_EQ(PaiseToDecimal(0), "0.00");
    EXPECT_EQ(PaiseToDecimal(7), "0.07");
    EXPECT_EQ(PaiseToDecimal(6850), "68.50");
    EXPECT_EQ(PaiseToDecimal(102000), "1020.00");
    EXPECT_EQ(PaiseToDecimal(-505), "-5.05");
}

TEST(Money, DecimalTextParsesBackToTheSameAmount) {
    for (Paise amount : {Paise{1}, Paise{99}, Paise{6850}, Paise{102000}, Paise{10250050}, kMaxPaise}) {
        EXPECT_EQ(ParseRupees(json(PaiseToDecimal(amount)), "amount"), amount);
    }
}

}  // namespace
}  // namespace notify
