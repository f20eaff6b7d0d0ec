#include <gtest/gtest.h>

#include "business/local_time.h"
#include "business/quiet_hours.h"
#include "calendar_helpers.h"

namespace notify {
namespace {

constexpr QuietHours kNight{21 * 60, 7 * 60};       // 21:00-07:00, crosses midnight
constexpr QuietHours kAfternoon{13 * 60, 15 * 60};  // 13:00-15:00
constexpr TimeMs kMinuteMs = 60'000;

TEST(QuietHours, AWindowCrossingMidnightHoldsTheNight) {
    EXPECT_TRUE(InsideQuietHours(kNight, 21 * 60));
    EXPECT_TRUE(InsideQuietHours(kNight, 23 * 60));
    EXPECT_TRUE(InsideQuietHours(kNight, 0));
    EXPECT_TRUE(InsideQuietHours(kNight, 6 * 60 + 59));
    EXPECT_FALSE(InsideQuietHours(kNight, 7 * 60));
    EXPECT_FALSE(InsideQuietHours(kNight, 12 * 60));
    EXPECT_FALSE(InsideQuietHours(kNight, 20 * 60 + 59));
}

TEST(QuietHours, AWindowWithinADayHoldsOnlyItself) {
    EXPECT_FALSE(InsideQuietHours(kAfternoon, 12 * 60 + 59));
    EXPECT_TRUE(InsideQuietHours(kAfternoon, 13 * 60));
    EXPECT_TRUE(InsideQuietHours(kAfternoon, 14 * 60 + 59));
    EXPECT_FALSE(InsideQuietHours(kAfternoon, 15 * 60));
    EXPECT_FALSE(InsideQuietHours(kAfternoon, 0));
    EXPECT_FALSE(InsideQuietHours(kAfternoon, 23 * 60));
}

TEST(QuietHours, AWindowEndingAtMidnightHoldsTheLastMinute) {
    const QuietHours until_midnight{22 * 60, 0};
    EXPECT_TRUE(InsideQuietHours(until_midnight, 23 * 60 + 59));
    EXPECT_FALSE(InsideQuietHours(until_midnight, 0));
    EXPECT_FALSE(InsideQuietHours(until_midnight, 21 * 60 + 59));
}

TEST(QuietHours, OutsideTheWindowSendsNow) {
    EXPECT_EQ(QuietHoursRelease(kNight, KolkataMs(2026, 1, 28, 12, 0), "Asia/Kolkata"), std::nullopt);
    EXPECT_EQ(QuietHoursRelease(kNight, KolkataMs(2026, 1, 28, 20, 59), "Asia/Kolkata"), std::nullopt);
    EXPECT_EQ(QuietHoursRelease(kAfternoon, KolkataMs(2026, 1, 28, 12, 59), "Asia/Kolkata"), std::nullopt);
}

TEST(QuietHours, LateEveningWaitsForTomorrowMorning) {
    EXPECT_EQ(QuietHoursRelease(kNight, KolkataMs(2026, 1, 28, 23, 0), "Asia/Kolkata"), KolkataMs(2026, 1, 29, 7, 0));
    // 23:00 in Kolkata is 17:30 UTC: the release is still computed from the local date.
    EXPECT_EQ(QuietHoursRelease(kNight, UtcMs(2026, 1, 28, 17, 30), "Asia/Kolkata"), UtcMs(2026, 1, 29, 1, 30));
}

TEST(QuietHours, AfterMidnightWaitsForThisMorning) {
    // 02:00 on the 29th in Kolkata is 20:30 UTC on the 28th.
    EXPECT_EQ(QuietHoursRelease(kNight, KolkataMs(2026, 1, 29, 2, 0), "Asia/Kolkata"), KolkataMs(2026, 1, 29, 7, 0));
    EXPECT_EQ(QuietHoursRelease(kNight, KolkataMs(2026, 12, 31, 23, 30), "Asia/Kolkata"), KolkataMs(2027, 1, 1, 7, 0));
}

TEST(QuietHours, TheStartIsInsideAndTheEndIsNot) {
    EXPECT_EQ(QuietHoursRelease(kNight, KolkataMs(2026, 1, 28, 21, 0), "Asia/Kolkata"), KolkataMs(2026, 1, 29, 7, 0));
    EXPECT_EQ(QuietHoursRelease(kNight, KolkataMs(2026, 1, 29, 7, 0), "Asia/Kolkata"), std::nullopt);
    // The last millisecond before the end still waits, for one millisecond.
    EXPECT_EQ(QuietHoursRelease(kNight, KolkataMs(2026, 1, 29, 7, 0) - 1, "Asia/Kolkata"),
              KolkataMs(2026, 1, 29, 7, 0));
    EXPECT_EQ(QuietHoursRelease(kNight, KolkataMs(2026, 1, 28, 21, 0) - 1, "Asia/Kolkata"), std::nullopt);
}

TEST(QuietHours, AWindowWithinADayEndsTheSameDay) {
    EXPECT_EQ(QuietHoursRelease(kAfternoon, KolkataMs(2026, 1, 28, 13, 0), "Asia/Kolkata"),
              KolkataMs(2026, 1, 28, 15, 0));
    EXPECT_EQ(QuietHoursRelease(kAfternoon, KolkataMs(2026, 1, 28, 14, 59), "Asia/Kolkata"),
              KolkataMs(2026, 1, 28, 15, 0));
    EXPECT_EQ(QuietHoursRelease(kAfternoon, KolkataMs(2026, 1, 28, 15, 0), "Asia/Kolkata"), std::nullopt);
}

TEST(QuietHours, UsesTheCustomersZone) {
    // 22:00 in New York (EST, UTC-5) on the 28th is 03:00 UTC on the 29th; Kolkata is at 08:30 then.
    const TimeMs now = UtcMs(2026, 1, 29, 3, 0);
    EXPECT_EQ(QuietHoursRelease(kNight, now, "America/New_York"), UtcMs(2026, 1, 29, 12, 0));
    EXPECT_EQ(QuietHoursRelease(kNight, now, "Asia/Kolkata"), std::nullopt);
    EXPECT_EQ(QuietHoursRelease(kNight, now, "UTC"), UtcMs(2026, 1, 29, 7, 0));
}

TEST(QuietHours, ANightWithTheClocksGoingForwardIsAnHourShorter) {
    // 2026-03-08 New York: 23:00 EST (04:00 UTC) to 07:00 EDT (11:00 UTC).
    EXPECT_EQ(QuietHoursRelease(kNight, UtcMs(2026, 3, 8, 4, 0), "America/New_York"), UtcMs(2026, 3, 8, 11, 0));
}

TEST(QuietHours, AnEndTheClockShowsTwiceIsTheNextReading) {
    // 2026-10-25 London: 01:00-02:00 BST is followed by 01:00-02:00 GMT.
    const QuietHours window{30, 60 + 30};  // 00:30-01:30
    // 01:10 BST (00:10 UTC): the first 01:30 is ahead.
    EXPECT_EQ(QuietHoursRelease(window, UtcMs(2026, 10, 25, 0, 10), "Europe/London"), UtcMs(2026, 10, 25, 0, 30));
    // 01:10 GMT (01:10 UTC): the first 01:30 is past; the second is twenty minutes ahead.
    EXPECT_EQ(QuietHoursRelease(window, UtcMs(2026, 10, 25, 1, 10), "Europe/London"), UtcMs(2026, 10, 25, 1, 30));
}

TEST(QuietHours, TheReleaseIsAlwaysAheadAndShowsTheEnd) {
    for (const char* zone : {"Asia/Kolkata", "America/New_York", "Europe/London"}) {
        SCOPED_TRACE(zone);
        // Every seven minutes across London's (25 Oct) and New York's (1 Nov) autumn changes.
        for (TimeMs now = UtcMs(2026, 10, 24, 0, 0); now < UtcMs(2026, 11, 2, 0, 0); now += 7 * kMinuteMs) {
            const LocalTime local = ToLocalTime(now, zone);
            const std::optional<TimeMs> release = QuietHoursRelease(kNight, now, zone);
            ASSERT_EQ(release.has_value(), InsideQuietHours(kNight, local.minute_of_day)) << now;
            if (!release) continue;
            EXPECT_GT(*release, now);
            EXPECT_LE(*release - now, 11 * 60 * kMinuteMs);  // ten hours, eleven when the clocks go back
            EXPECT_EQ(ToLocalTime(*release, zone).minute_of_day, kNight.end_minute) << now;
        }
    }
}

}  // namespace
}  // namespace notify
