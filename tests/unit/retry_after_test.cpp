#include "providers/retry_after.h"

#include <gtest/gtest.h>

namespace notify {
namespace {

using std::chrono::seconds;

// Sun, 06 Nov 1994 08:49:37 GMT, the RFC's example date.
constexpr TimeMs kRfcExample = 784111777000;

TEST(ParseHttpDate, ReadsTheThreeFormsOfTheRfc) {
    EXPECT_EQ(ParseHttpDate("Sun, 06 Nov 1994 08:49:37 GMT"), kRfcExample);
    // RFC 850's two-digit years are read as 20yy: the dates a server sends now are in this century.
    EXPECT_EQ(ParseHttpDate("Friday, 26-Jun-26 02:10:56 GMT"), ParseHttpDate("Fri, 26 Jun 2026 02:10:56 GMT"));
    EXPECT_EQ(ParseHttpDate("Fri, 26 Jun 2026 02:10:56 GMT"), 1782439856000);
    EXPECT_EQ(ParseHttpDate("Sun Nov  6 08:49:37 1994"), kRfcExample);
    EXPECT_EQ(ParseHttpDate("Thu, 01 Jan 1970 00:00:00 GMT"), 0);
}

TEST(ParseHttpDate, RefusesMalformedDates) {
    EXPECT_EQ(ParseHttpDate(""), std::nullopt);
    EXPECT_EQ(ParseHttpDate("tomorrow"), std::nullopt);
    EXPECT_EQ(ParseHttpDate("Sun, 06 Foo 1994 08:49:37 GMT"), std::nullopt);
    EXPECT_EQ(ParseHttpDate("Sun, 32 Nov 1994 08:49:37 GMT"), std::nullopt);
    EXPECT_EQ(ParseHttpDate("Sun, 06 Nov 1994 25:49:37 GMT"), std::nullopt);
    EXPECT_EQ(ParseHttpDate("Sun, 06 Nov 1994 08:49 GMT"), std::nullopt);
    EXPECT_EQ(ParseHttpDate("Sun, 06 Nov 1994 08:49:37 PST"), std::nullopt);
    EXPECT_EQ(ParseHttpDate("Xyz, 06 Nov 1994 08:49:37 GMT"), std::nullopt);
    EXPECT_EQ(ParseHttpDate("2026-06-26T02:10:56Z"), std::nullopt);
}

TEST(ParseRetryAfter, ReadsDelaySeconds) {
    EXPECT_EQ(ParseRetryAfter("120", 0), seconds(120));
    EXPECT_EQ(ParseRetryAfter("0", 0), seconds(0));
    EXPECT_EQ(ParseRetryAfter("  7 ", 0), seconds(7));
}

TEST(ParseRetryAfter, IgnoresGarbage) {
    for (const char* garbage : {"", " ", "-5", "1.5", "abc", "12s", "0x10", "+3"}) {
        EXPECT_EQ(ParseRetryAfter(garbage, 0), std::nullopt) << garbage;
    }
}

TEST(ParseRetryAfter, ClampsHugeValuesToTheCap) {
    EXPECT_EQ(ParseRetryAfter("999999999999999999999", 0), kMaxRetryAfter);
    EXPECT_EQ(ParseRetryAfter("86401", 0), kMaxRetryAfter);
    EXPECT_EQ(ParseRetryAfter("Sun, 06 Nov 2094 08:49:37 GMT", kRfcExample), kMaxRetryAfter);
}

TEST(ParseRetryAfter, ReadsAnHttpDateRelativeToNow) {
    EXPECT_EQ(ParseRetryAfter("Sun, 06 Nov 1994 08:49:37 GMT", kRfcExample - 90000), seconds(90));
    // A fraction of a second is rounded up: retrying early would only meet the limit again.
    EXPECT_EQ(ParseRetryAfter("Sun, 06 Nov 1994 08:49:37 GMT", kRfcExample - 1500), seconds(2));
    EXPECT_EQ(ParseRetryAfter("Sun Nov  6 08:49:37 1994", kRfcExample - 30000), seconds(30));
}

TEST(ParseRetryAfter, DateInThePastMeansNow) {
    EXPECT_EQ(ParseRetryAfter("Sun, 06 Nov 1994 08:49:37 GMT", kRfcExample + 5000), seconds(0));
}

}  // namespace
}  // namespace notify
