#include "common/time_format.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>

namespace notify {
namespace {

constexpr TimeMs kNov25 = 1764082498123;  // 2025-11-25T14:54:58.123Z
constexpr TimeMs kDay = 86400000;

// ---------------------------------------------------------------------------------------------
// FormatIsoTime

TEST(FormatIsoTime, WritesUtcWithMilliseconds) { EXPECT_EQ(FormatIsoTime(kNov25), "2025-11-25T14:54:58.123Z"); }

TEST(FormatIsoTime, WritesTheEpoch) { EXPECT_EQ(FormatIsoTime(0), "1970-01-01T00:00:00.000Z"); }

TEST(FormatIsoTime, PadsEveryField) { EXPECT_EQ(FormatIsoTime(1767323045006), "2026-01-02T03:04:05.006Z"); }

TEST(FormatIsoTime, WritesTimesBeforeTheEpoch) { EXPECT_EQ(FormatIsoTime(-1), "1969-12-31T23:59:59.999Z"); }

TEST(FormatIsoTime, WritesALeapDay) {
    EXPECT_EQ(FormatIsoTime(*ParseIsoTime("2024-02-29")), "2024-02-29T00:00:00.000Z");
}

// ---------------------------------------------------------------------------------------------
// ParseIsoTime

TEST(ParseIsoTime, ReadsADateAsMidnightUtc) {
    EXPECT_EQ(ParseIsoTime("2025-11-25"), kNov25 - (14 * 3600 + 54 * 60 + 58) * 1000LL - 123);
    EXPECT_EQ(ParseIsoTime("1970-01-01"), 0);
    EXPECT_EQ(ParseIsoTime("1970-01-02"), kDay);
}

TEST(ParseIsoTime, ReadsUtcWithZ) {
    EXPECT_EQ(ParseIsoTime("2025-11-25T14:54:58Z"), kNov25 - 123);
    EXPECT_EQ(ParseIsoTime("2025-11-25T14:54:58.123Z"), kNov25);
}

TEST(ParseIsoTime, AcceptsLowercaseAndSpaceSeparators) {
    EXPECT_EQ(ParseIsoTime("2025-11-25t14:54:58.123z"), kNov25);
    EXPECT_EQ(ParseIsoTime("2025-11-25 14:54:58.123Z"), kNov25);
}

TEST(ParseIsoTime, SecondsAreOptional) { EXPECT_EQ(ParseIsoTime("2025-11-25T14:54Z"), kNov25 - 58123); }

TEST(ParseIsoTime, AppliesAPositiveOffset) {
    // 20:24:58.123 in India is 14:54:58.123 UTC.
    EXPECT_EQ(ParseIsoTime("2025-11-25T20:24:58.123+05:30"), kNov25);
    EXPECT_EQ(ParseIsoTime("2025-11-25T20:24:58.123+0530"), kNov25);
}

TEST(ParseIsoTime, AppliesANegativeOffset) { EXPECT_EQ(ParseIsoTime("2025-11-25T09:54:58.123-05:00"), kNov25); }

TEST(ParseIsoTime, OffsetMayCrossMidnight) {
    EXPECT_EQ(ParseIsoTime("2025-11-26T00:00:00+05:30"), ParseIsoTime("2025-11-25T18:30:00Z"));
    EXPECT_EQ(ParseIsoTime("2025-12-31T23:00:00-02:00"), ParseIsoTime("2026-01-01T01:00:00Z"));
}

TEST(ParseIsoTime, ZeroOffsetEqualsZ) {
    EXPECT_EQ(ParseIsoTime("2025-11-25T14:54:58+00:00"), ParseIsoTime("2025-11-25T14:54:58Z"));
    EXPECT_EQ(ParseIsoTime("2025-11-25T14:54:58-00:00"), ParseIsoTime("2025-11-25T14:54:58Z"));
}

TEST(ParseIsoTime, ReadsFractionsOfOneToNineDigits) {
    EXPECT_EQ(ParseIsoTime("2025-11-25T14:54:58.1Z"), kNov25 - 23);
    EXPECT_EQ(ParseIsoTime("2025-11-25T14:54:58.12Z"), kNov25 - 3);
    EXPECT_EQ(ParseIsoTime("2025-11-25T14:54:58.123456Z"), kNov25);
}

TEST(ParseIsoTime, TruncatesNineFractionalDigitsToMilliseconds) {
    EXPECT_EQ(ParseIsoTime("2025-11-25T14:54:58.123999999Z"), kNov25);
    EXPECT_EQ(ParseIsoTime("2025-11-25T14:54:58.999999999Z"), kNov25 - 123 + 999);
}

TEST(ParseIsoTime, RejectsTenFractionalDigits) {
    EXPECT_EQ(ParseIsoTime("2025-11-25T14:54:58.1234567890Z"), std::nullopt);
}

TEST(ParseIsoTime, RejectsAnEmptyFraction) { EXPECT_EQ(ParseIsoTime("2025-11-25T14:54:58.Z"), std::nullopt); }

TEST(ParseIsoTime, AcceptsLeapDaysOnlyInLeapYears) {
    EXPECT_TRUE(ParseIsoTime("2024-02-29"));
    EXPECT_TRUE(ParseIsoTime("2000-02-29"));
    EXPECT_EQ(ParseIsoTime("2025-02-29"), std::nullopt);
    EXPECT_EQ(ParseIsoTime("1900-02-29"), std::nullopt);
}

TEST(ParseIsoTime, RejectsImpossibleDates) {
    EXPECT_EQ(ParseIsoTime("2025-13-01"), std::nullopt);
    EXPECT_EQ(ParseIsoTime("2025-00-10"), std::nullopt);
    EXPECT_EQ(ParseIsoTime("2025-02-30"), std::nullopt);
    EXPECT_EQ(ParseIsoTime("2025-04-31"), std::nullopt);
    EXPECT_EQ(ParseIsoTime("2025-01-00"), std::nullopt);
    EXPECT_EQ(ParseIsoTime("2025-01-32"), std::nullopt);
}

TEST(ParseIsoTime, RejectsImpossibleTimes) {
    EXPECT_EQ(ParseIsoTime("2025-11-25T24:00:00Z"), std::nullopt);
    EXPECT_EQ(ParseIsoTime("2025-11-25T12:60:00Z"), std::nullopt);
    EXPECT_EQ(ParseIsoTime("2025-11-25T12:00:61Z"), std::nullopt);
}

TEST(ParseIsoTime, RejectsATimeWithoutAZone) {
    EXPECT_EQ(ParseIsoTime("2025-11-25T14:54:58"), std::nullopt);
    EXPECT_EQ(ParseIsoTime("2025-11-25T14:54"), std::nullopt);
    EXPECT_EQ(ParseIsoTime("2025-11-25T14:54:58.123"), std::nullopt);
}

TEST(ParseIsoTime, RejectsTrailingJunk) {
    EXPECT_EQ(ParseIsoTime("2025-11-25T14:54:58Zjunk"), std::nullopt);
    EXPECT_EQ(ParseIsoTime("2025-11-25T14:54:58Z "), std::nullopt);
    EXPECT_EQ(ParseIsoTime("2025-11-25x"), std::nullopt);
    EXPECT_EQ(ParseIsoTime("2025-11-25T"), std::nullopt);
    EXPECT_EQ(ParseIsoTime("2025-11-25T14:54:58+05:30:00"), std::nullopt);
}

TEST(ParseIsoTime, RejectsMalformedOffsets) {
    EXPECT_EQ(ParseIsoTime("2025-11-25T14:54:58+5:30"), std::nullopt);
    EXPECT_EQ(ParseIsoTime("2025-11-25T14:54:58+05"), std::nullopt);
    EXPECT_EQ(ParseIsoTime("2025-11-25T14:54:58+24:00"), std::nullopt);
    EXPECT_EQ(ParseIsoTime("2025-11-25T14:54:58+05:60"), std::nullopt);
    EXPECT_EQ(ParseIsoTime("2025-11-25T14:54:58UTC"), std::nullopt);
}

TEST(ParseIsoTime, RejectsOtherShapes) {
    EXPECT_EQ(ParseIsoTime(""), std::nullopt);
    EXPECT_EQ(ParseIsoTime("yesterday"), std::nullopt);
    EXPECT_EQ(ParseIsoTime("1764082498123"), std::nullopt);
    EXPECT_EQ(ParseIsoTime("25-11-2025"), std::nullopt);
    EXPECT_EQ(ParseIsoTime("2025/11/25"), std::nullopt);
    EXPECT_EQ(ParseIsoTime("2025-1-5"), std::nullopt);
    EXPECT_EQ(ParseIsoTime(" 2025-11-25"), std::nullopt);
    EXPECT_EQ(ParseIsoTime("+2025-11-25"), std::nullopt);
    EXPECT_EQ(ParseIsoTime("2025-11-25T1:02:03Z"), std::nullopt);
}

TEST(ParseIsoTime, RoundTripsWhatFormatIsoTimeWrites) {
    for (TimeMs t : {TimeMs{0}, TimeMs{-1}, TimeMs{1}, kNov25, TimeMs{951782400000} /* 2000-02-29 */,
                     TimeMs{4102444799999} /* 2099-12-31T23:59:59.999Z */, TimeMs{-86400001}}) {
        const std::string text = FormatIsoTime(t);
        EXPECT_EQ(ParseIsoTime(text), t) << text;
    }
}

TEST(ParseIsoTime, FormatsBackToTheCanonicalForm) {
    EXPECT_EQ(FormatIsoTime(*ParseIsoTime("2025-11-25T20:24:58.123456789+05:30")), "2025-11-25T14:54:58.123Z");
    EXPECT_EQ(FormatIsoTime(*ParseIsoTime("2025-11-25")), "2025-11-25T00:00:00.000Z");
}

}  // namespace
}  // namespace notify
