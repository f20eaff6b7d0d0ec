#include "queue/rate_limiter.h"

#include <gtest/gtest.h>

#include "common/clock.h"

namespace notify {
namespace {

constexpr TimeMs kStart = 1'700'000'000'000;

TEST(TokenBucket, StartsFullWithOneSecondsWorthThenPacesAtTheRate) {
    TokenBucket bucket(4, kStart);
    for (int i = 0; i < 4; ++i) EXPECT_EQ(bucket.TryAcquire(kStart), 0) << i;
    EXPECT_EQ(bucket.TryAcquire(kStart), 250);  // a token every 250 ms
    EXPECT_EQ(bucket.TryAcquire(kStart + 100), 150);
    EXPECT_EQ(bucket.TryAcquire(kStart + 250), 0);
    EXPECT_EQ(bucket.TryAcquire(kStart + 250), 250);
}

TEST(TokenBucket, RefillsNoMoreThanItsCapacityAfterAnIdleSpell) {
    TokenBucket bucket(2, kStart);
    EXPECT_EQ(bucket.TryAcquire(kStart), 0);
    EXPECT_EQ(bucket.TryAcquire(kStart), 0);
    const TimeMs later = kStart + 365LL * 86400000;  // a year idle: still only a burst of 2
    EXPECT_EQ(bucket.TryAcquire(later), 0);
    EXPECT_EQ(bucket.TryAcquire(later), 0);
    EXPECT_EQ(bucket.TryAcquire(later), 500);
}

TEST(TokenBucket, DefaultRateOfEightyAllowsEightyAtOnceThenOneEveryThirteenMs) {
    TokenBucket bucket(80, kStart);
    for (int i = 0; i < 80; ++i) ASSERT_EQ(bucket.TryAcquire(kStart), 0) << i;
    EXPECT_EQ(bucket.TryAcquire(kStart), 13);  // 12.5 ms, rounded up to a whole token
    EXPECT_EQ(bucket.TryAcquire(kStart + 13), 0);
}

TEST(TokenBucket, ZeroIsUnlimited) {
    TokenBucket bucket(0, kStart);
    for (int i = 0; i < 10000; ++i) ASSERT_EQ(bucket.TryAcquire(kStart), 0);
}

TEST(TokenBucket, HoldUntilStopsEveryTokenThenResumesWithoutABurst) {
    TokenBucket bucket(10, kStart);
    bucket.HoldUntil(kStart + 5000);
    EXPECT_EQ(bucket.held_until(), kStart + 5000);
    EXPECT_EQ(bucket.TryAcquire(kStart), 5000);
    EXPECT_EQ(bucket.TryAcquire(kStart + 4999), 1);
    // Empty at the end of the hold: the next token comes at the steady rate.
    EXPECT_EQ(bucket.TryAcquire(kStart + 5000), 100);
    EXPECT_EQ(bucket.TryAcquire(kStart + 5100), 0);
}

TEST(TokenBucket, HoldAppliesEvenWhenUnlimitedAndAnEarlierHoldChangesNothing) {
    TokenBucket bucket(0, kStart);
    bucket.HoldUntil(kStart + 3000);
    bucket.HoldUntil(kStart + 1000);
    EXPECT_EQ(bucket.held_until(), kStart + 3000);
    EXPECT_EQ(bucket.TryAcquire(kStart + 1000), 2000);
    EXPECT_EQ(bucket.TryAcquire(kStart + 3000), 0);
}

TEST(TokenBucket, AClockSteppingBackGivesNoTokens) {
    TokenBucket bucket(1, kStart);
    EXPECT_EQ(bucket.TryAcquire(kStart), 0);
    EXPECT_EQ(bucket.TryAcquire(kStart - 60000), 1000);
    EXPECT_EQ(bucket.TryAcquire(kStart + 1000), 0);
}

}  // namespace
}  // namespace notify
