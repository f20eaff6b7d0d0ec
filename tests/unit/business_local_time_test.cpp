#include <gtest/gtest.h>

#include <stdexcept>

#include "business/local_time.h"
#include "calendar_helpers.h"

namespace notify {
namespace {

TEST(LocalTime, ParsesRealIsoDates) {
    EXPECT_EQ(ParseIsoDate("2026-01-28"), MakeDate(2026, 1, 28));
    EXPECT_EQ(ParseIsoDate("2028-02-29"), MakeDate(2028, 2, 29));
    EXPECT_EQ(ParseIsoDate("2000-01-01"), MakeDate(2000, 1, 1));
    EXPECT_EQ(ParseIsoDate("2999-12-31"), MakeDate(2999, 12, 31));
}

TEST(LocalTime, RefusesDatesThatAreNotStrictAndReal) {
    for (const char* text :
         {"2026-02-30",  "2027-02-29", "2026-04-31", "2026-13-01", "2026-00-10", "2026-01-00",       "1999-12-31",
          "3000-01-01",  "2026-1-28",  "2026-01-8",  "26-01-28",   "2026/01/28", "2026-01-28T00:00", " 2026-01-28",
          "2026-01-28 ", "",           "2026-0a-28", "+026-01-28", "2026-01--1", "20260128"}) {
        SCOPED_TRACE(text);
        EXPECT_EQ(ParseIsoDate(text), std::nullopt);
    }
}

TEST(LocalTime, FormatsIsoAndDisplayDates) {
    EXPECT_EQ(FormatIsoDate(MakeDate(2026, 1, 28)), "2026-01-28");
    EXPECT_EQ(FormatIsoDate(MakeDate(2026, 11, 5)), "2026-11-05");
    EXPECT_EQ(FormatDisplayDate(MakeDate(2026, 1, 28)), "28 Jan 2026");
    EXPECT_EQ(FormatDisplayDate(MakeDate(2026, 2, 5)), "5 Feb 2026");
    EXPECT_EQ(FormatDisplayDate(MakeDate(2026, 12, 31)), "31 Dec 2026");
}

TEST(LocalTime, IsoDatesRoundTrip) {
    for (Date date = MakeDate(2027, 12, 25); date != MakeDate(2028, 3, 5); date = AddDays(date, 1)) {
        EXPECT_EQ(ParseIsoDate(FormatIsoDate(date)), date);
    }
}

TEST(LocalTime, AddsDaysAcrossMonthsYearsAndLeapDays) {
    EXPECT_EQ(AddDays(MakeDate(2026, 1, 28), 1), MakeDate(2026, 1, 29));
    EXPECT_EQ(AddDays(MakeDate(2026, 1, 31), 1), MakeDate(2026, 2, 1));
    EXPECT_EQ(AddDays(MakeDate(2026, 12, 31), 1), MakeDate(2027, 1, 1));
    EXPECT_EQ(AddDays(MakeDate(2028, 2, 28), 1), MakeDate(2028, 2, 29));
    EXPECT_EQ(AddDays(MakeDate(2026, 3, 1), -1), MakeDate(2026, 2, 28));
    EXPECT_EQ(AddDays(MakeDate(2026, 1, 28), 0), MakeDate(2026, 1, 28));
    EXPECT_EQ(AddDays(MakeDate(2026, 1, 28), 365), MakeDate(2027, 1, 28));
}

TEST(LocalTime, DaysBetweenIsTheLaterMinusTheEarlier) {
    EXPECT_EQ(DaysBetween(MakeDate(2026, 1, 28), MakeDate(2026, 2, 3)), 6);
    EXPECT_EQ(DaysBetween(MakeDate(2026, 2, 3), MakeDate(2026, 1, 28)), -6);
    EXPECT_EQ(DaysBetween(MakeDate(2026, 1, 28), MakeDate(2026, 1, 28)), 0);
    EXPECT_EQ(DaysBetween(MakeDate(2028, 2, 1), MakeDate(2028, 3, 1)), 29);
}

TEST(LocalTime, ParsesStrictClockTimes) {
    EXPECT_EQ(ParseClockTime("00:00"), 0);
    EXPECT_EQ(ParseClockTime("07:05"), 7 * 60 + 5);
    EXPECT_EQ(ParseClockTime("22:00"), 22 * 60);
    EXPECT_EQ(ParseClockTime("23:59"), 1439);
}

TEST(LocalTime, RefusesClockTimesThatAreNotStrict) {
    for (const char* text : {"24:00", "23:60", "7:05", "07:5", "0705", "07-05", "07.05", " 07:05", "07:05 ", "",
                             "ab:cd", "-1:00", "07:05:00", "7pm", "+7:05", "07:-5"}) {
        SCOPED_TRACE(text);
        EXPECT_EQ(ParseClockTime(text), std::nullopt);
    }
}

TEST(LocalTime, ClockTimesRoundTrip) {
    EXPECT_EQ(FormatClockTime(0), "00:00");
    EXPECT_EQ(FormatClockTime(7 * 60 + 5), "07:05");
    EXPECT_EQ(FormatClockTime(1439), "23:59");
    for (int minute = 0; minute < 24 * 60; ++minute) EXPECT_EQ(ParseClockTime(FormatClockTime(minute)), minute);
}

TEST(LocalTime, KnowsTheSystemsTimeZones) {
    EXPECT_TRUE(IsKnownTimeZone("Asia/Kolkata"));
    EXPECT_TRUE(IsKnownTimeZone(kDefaultTimeZone));
    EXPECT_TRUE(IsKnownTimeZone("UTC"));
    EXPECT_TRUE(IsKnownTimeZone("America/New_York"));
    EXPECT_TRUE(IsKnownTimeZone("Europe/London"));
    EXPECT_FALSE(IsKnownTimeZone(""));
    EXPECT_FALSE(IsKnownTimeZone("Mars/Olympus_Mons"));
    EXPECT_FALSE(IsKnownTimeZone("Asia/Kolkata "));
    EXPECT_FALSE(IsKnownTimeZone("../../etc/passwd"));
    EXPECT_FALSE(IsKnownTimeZone("+05:30"));
}

TEST(LocalTime, KolkataIsFiveAndAHalfHoursAheadOfUtc) {
    // 18:00 UTC is 23:30 the same day in Kolkata; 22:30 UTC is already 04:00 the next day.
    const LocalTime evening = ToLocalTime(UtcMs(2026, 1, 28, 18, 0), "Asia/Kolkata");
    EXPECT_EQ(evening.date, MakeDate(2026, 1, 28));
    EXPECT_EQ(evening.minute_of_day, 23 * 60 + 30);
    const LocalTime early = ToLocalTime(UtcMs(2026, 1, 27, 22, 30), "Asia/Kolkata");
    EXPECT_EQ(early.date, MakeDate(2026, 1, 28));
    EXPECT_EQ(early.minute_of_day, 4 * 60);
}

TEST(LocalTime, ToLocalTimeDropsSecondsAndMilliseconds) {
    const LocalTime local = ToLocalTime(UtcMs(2026, 1, 28, 0, 0) + 59'999, "UTC");
    EXPECT_EQ(local.date, MakeDate(2026, 1, 28));
    EXPECT_EQ(local.minute_of_day, 0);
    const LocalTime before_midnight = ToLocalTime(UtcMs(2026, 1, 28, 0, 0) - 1, "UTC");
    EXPECT_EQ(before_midnight.date, MakeDate(2026, 1, 27));
    EXPECT_EQ(before_midnight.minute_of_day, 1439);
}

TEST(LocalTime, FollowsDaylightSavingTime) {
    // New York: EST (UTC-5) in January, EDT (UTC-4) in July.
    EXPECT_EQ(ToLocalTime(UtcMs(2026, 1, 15, 12, 0), "America/New_York").minute_of_day, 7 * 60);
    EXPECT_EQ(ToLocalTime(UtcMs(2026, 7, 15, 12, 0), "America/New_York").minute_of_day, 8 * 60);
}

TEST(LocalTime, UnknownZoneIsABrokenInvariant) {
    EXPECT_THROW(ToLocalTime(0, "Mars/Olympus_Mons"), std::invalid_argument);
    EXPECT_THROW(FromLocalTime(MakeDate(2026, 1, 28), 0, ""), std::invalid_argument);
}

TEST(LocalTime, FromLocalTimeIsTheMomentTheWallClockShows) {
    EXPECT_EQ(FromLocalTime(MakeDate(2026, 1, 28), 7 * 60, "Asia/Kolkata"), UtcMs(2026, 1, 28, 1, 30));
    EXPECT_EQ(FromLocalTime(MakeDate(2026, 1, 28), 2 * 60, "Asia/Kolkata"), UtcMs(2026, 1, 27, 20, 30));
    EXPECT_EQ(FromLocalTime(MakeDate(2026, 1, 28), 7 * 60, "UTC"), UtcMs(2026, 1, 28, 7, 0));
    EXPECT_EQ(FromLocalTime(MakeDate(2026, 7, 15), 8 * 60, "America/New_York"), UtcMs(2026, 7, 15, 12, 0));
}

TEST(LocalTime, FromLocalTimeAndToLocalTimeAgree) {
    for (int minute = 0; minute < 24 * 60; minute += 37) {
        const LocalTime local =
            ToLocalTime(FromLocalTime(MakeDate(2026, 1, 28), minute, "Asia/Kolkata"), "Asia/Kolkata");
        EXPECT_EQ(local.date, MakeDate(2026, 1, 28));
        EXPECT_EQ(local.minute_of_day, minute);
    }
}

TEST(LocalTime, ASkippedTimeIsTheFirstMomentAfterTheGap) {
    // 2026-03-08 New York: 02:00 EST jumps to 03:00 EDT (07:00 UTC).
    EXPECT_EQ(FromLocalTime(MakeDate(2026, 3, 8), 2 * 60 + 30, "America/New_York"), UtcMs(2026, 3, 8, 7, 0));
    EXPECT_EQ(FromLocalTime(MakeDate(2026, 3, 8), 2 * 60, "America/New_York"), UtcMs(2026, 3, 8, 7, 0));
    EXPECT_EQ(FromLocalTime(MakeDate(2026, 3, 8), 3 * 60, "America/New_York"), UtcMs(2026, 3, 8, 7, 0));
    // 2026-03-29 London: 01:00 GMT jumps to 02:00 BST (01:00 UTC).
    EXPECT_EQ(FromLocalTime(MakeDate(2026, 3, 29), 60 + 30, "Europe/London"), UtcMs(2026, 3, 29, 1, 0));
}

TEST(LocalTime, ATimeShownTwiceIsTheEarlier) {
    // 2026-11-01 New York: 01:30 EDT (05:30 UTC), then again 01:30 EST (06:30 UTC).
    EXPECT_EQ(FromLocalTime(MakeDate(2026, 11, 1), 60 + 30, "America/New_York"), UtcMs(2026, 11, 1, 5, 30));
    // 2026-10-25 London: 01:30 BST (00:30 UTC), then again 01:30 GMT (01:30 UTC).
    EXPECT_EQ(FromLocalTime(MakeDate(2026, 10, 25), 60 + 30, "Europe/London"), UtcMs(2026, 10, 25, 0, 30));
}

}  // namespace
}  // namespace notify
