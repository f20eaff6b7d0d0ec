#include "notify/retry.h"

#include <gtest/gtest.h>

#include <chrono>
#include <climits>
#include <cmath>
#include <limits>

namespace notify {
namespace {

using std::chrono::seconds;

constexpr double kAlmostOne = 0.9999999999;  // the largest draws a [0, 1) generator gives

RetryPolicy Policy(int max_attempts = 10, TimeMs base = 30000, TimeMs max = 3600000) {
    RetryPolicy p;
    p.max_attempts = max_attempts;
    p.base_delay_ms = base;
    p.max_delay_ms = max;
    return p;
}

// The jitter ceiling for a draw close to 1 (within a millisecond).
TimeMs Ceiling(int attempts_made, const RetryPolicy& policy) {
    return NextRetryDelayMs(attempts_made, policy, std::nullopt, 1.0);
}

// ---------------------------------------------------------------------------------------------
// NextRetryDelayMs

TEST(RetryPolicy, DefaultsMatchTheContract) {
    const RetryPolicy p;
    EXPECT_EQ(p.max_attempts, 10);
    EXPECT_EQ(p.base_delay_ms, 30000);
    EXPECT_EQ(p.max_delay_ms, 3600000);
}

TEST(RetryPolicy, ZeroDrawGivesNoDelay) {
    for (int attempt = 1; attempt <= 12; ++attempt) {
        EXPECT_EQ(NextRetryDelayMs(attempt, Policy(), std::nullopt, 0.0), 0) << attempt;
    }
}

TEST(RetryPolicy, HalfDrawGivesHalfTheCeiling) {
    EXPECT_EQ(NextRetryDelayMs(1, Policy(), std::nullopt, 0.5), 15000);
    EXPECT_EQ(NextRetryDelayMs(2, Policy(), std::nullopt, 0.5), 30000);
    EXPECT_EQ(NextRetryDelayMs(3, Policy(), std::nullopt, 0.5), 60000);
}

TEST(RetryPolicy, DrawNearOneApproachesTheCeiling) {
    const TimeMs d = NextRetryDelayMs(1, Policy(), std::nullopt, kAlmostOne);
    EXPECT_LE(d, 30000);
    EXPECT_GE(d, 29999);
}

TEST(RetryPolicy, GrowsExponentiallyUpToTheCap) {
    const RetryPolicy p = Policy(10, 30000, 3600000);
    EXPECT_EQ(Ceiling(1, p), 30000);
    EXPECT_EQ(Ceiling(2, p), 60000);
    EXPECT_EQ(Ceiling(3, p), 120000);
    EXPECT_EQ(Ceiling(4, p), 240000);
    EXPECT_EQ(Ceiling(5, p), 480000);
    EXPECT_EQ(Ceiling(6, p), 960000);
    EXPECT_EQ(Ceiling(7, p), 1920000);
    EXPECT_EQ(Ceiling(8, p), 3600000);  // 3840000 capped
    EXPECT_EQ(Ceiling(9, p), 3600000);
}

TEST(RetryPolicy, CeilingIsBaseTimesTwoToTheAttemptsMinusOne) {
    const RetryPolicy p = Policy(100, 7, std::numeric_limits<TimeMs>::max() / 4);
    for (int n = 1; n <= 30; ++n) {
        EXPECT_EQ(Ceiling(n, p), 7LL << (n - 1)) << n;
    }
}

TEST(RetryPolicy, NeverExceedsTheCapForAnyDraw) {
    const RetryPolicy p = Policy(10, 1000, 5000);
    for (int n = 1; n <= 20; ++n) {
        for (double u : {0.0, 0.25, 0.5, 0.75, kAlmostOne}) {
            const TimeMs d = NextRetryDelayMs(n, p, std::nullopt, u);
            EXPECT_GE(d, 0);
            EXPECT_LE(d, 5000);
        }
    }
}

TEST(RetryPolicy, DelayGrowsWithTheDraw) {
    TimeMs previous = -1;
    for (double u = 0.0; u < 1.0; u += 0.05) {
        const TimeMs d = NextRetryDelayMs(4, Policy(), std::nullopt, u);
        EXPECT_GE(d, previous);
        previous = d;
    }
}

TEST(RetryPolicy, HugeAttemptNumbersStayAtTheCap) {
    const RetryPolicy p = Policy();
    EXPECT_EQ(Ceiling(64, p), 3600000);
    EXPECT_EQ(Ceiling(1000, p), 3600000);
    EXPECT_EQ(Ceiling(INT_MAX, p), 3600000);
    EXPECT_EQ(NextRetryDelayMs(INT_MAX, p, std::nullopt, 0.5), 1800000);
}

TEST(RetryPolicy, HugeBaseAndCapDoNotOverflow) {
    const TimeMs big = std::numeric_limits<TimeMs>::max() / 2;
    const RetryPolicy p = Policy(10, big, big);
    const TimeMs d = NextRetryDelayMs(1000, p, std::nullopt, 0.5);
    EXPECT_GT(d, 0);
    EXPECT_LE(d, big);
}

TEST(RetryPolicy, ZeroOrNegativeAttemptsUseTheBaseDelay) {
    EXPECT_EQ(Ceiling(0, Policy()), 30000);
    EXPECT_EQ(Ceiling(-5, Policy()), 30000);
}

TEST(RetryPolicy, OutOfRangeDrawsAreClamped) {
    EXPECT_EQ(NextRetryDelayMs(1, Policy(), std::nullopt, -0.5), 0);
    EXPECT_EQ(NextRetryDelayMs(1, Policy(), std::nullopt, 7.0), 30000);
}

TEST(RetryPolicy, RetryAfterIsAFloor) {
    EXPECT_EQ(NextRetryDelayMs(1, Policy(), seconds(120), 0.0), 120000);
    EXPECT_EQ(NextRetryDelayMs(1, Policy(), seconds(120), 0.5), 120000);
}

TEST(RetryPolicy, RetryAfterBelowTheJitteredDelayChangesNothing) {
    EXPECT_EQ(NextRetryDelayMs(3, Policy(), seconds(1), 0.5), 60000);
}

TEST(RetryPolicy, RetryAfterMayExceedTheCap) {
    // The provider said when to come back; asking earlier would only be refused again.
    EXPECT_EQ(NextRetryDelayMs(1, Policy(10, 1000, 5000), seconds(60), 0.5), 60000);
}

TEST(RetryPolicy, ZeroRetryAfterIsNoFloor) { EXPECT_EQ(NextRetryDelayMs(1, Policy(), seconds(0), 0.5), 15000); }

// ---------------------------------------------------------------------------------------------
// DecideAfterAttempt

struct DecideCase {
    AttemptOutcome outcome;
    int attempts_made;
    int max_attempts;
    AfterAttempt expected;
};

class DecideAfterAttemptTable : public ::testing::TestWithParam<DecideCase> {};

TEST_P(DecideAfterAttemptTable, FollowsTheTable) {
    const DecideCase c = GetParam();
    EXPECT_EQ(DecideAfterAttempt(c.outcome, c.attempts_made, Policy(c.max_attempts)), c.expected);
}

INSTANTIATE_TEST_SUITE_P(RetryPolicy, DecideAfterAttemptTable,
                         ::testing::Values(
                             // Accepted is sent, however many attempts it took.
                             DecideCase{AttemptOutcome::kAccepted, 1, 10, AfterAttempt::kSent},
                             DecideCase{AttemptOutcome::kAccepted, 10, 10, AfterAttempt::kSent},
                             DecideCase{AttemptOutcome::kAccepted, 11, 10, AfterAttempt::kSent},
                             // Permanent failures are never retried.
                             DecideCase{AttemptOutcome::kPermanent, 1, 10, AfterAttempt::kFailed},
                             DecideCase{AttemptOutcome::kPermanent, 9, 10, AfterAttempt::kFailed},
                             // Retryable failures are retried until the attempts run out.
                             DecideCase{AttemptOutcome::kRetryable, 1, 10, AfterAttempt::kRetry},
                             DecideCase{AttemptOutcome::kRetryable, 9, 10, AfterAttempt::kRetry},
                             DecideCase{AttemptOutcome::kRetryable, 10, 10, AfterAttempt::kFailed},
                             DecideCase{AttemptOutcome::kRetryable, 11, 10, AfterAttempt::kFailed},
                             DecideCase{AttemptOutcome::kRetryable, 1, 1, AfterAttempt::kFailed},
                             DecideCase{AttemptOutcome::kRetryable, 1, 2, AfterAttempt::kRetry},
                             DecideCase{AttemptOutcome::kRetryable, 2, 2, AfterAttempt::kFailed}));

TEST(RetryPolicy, DefaultPolicyMakesTenAttemptsBeforeFailing) {
    const RetryPolicy p;
    int attempts = 0;
    AfterAttempt decision = AfterAttempt::kRetry;
    while (decision == AfterAttempt::kRetry) {
        ++attempts;
        decision = DecideAfterAttempt(AttemptOutcome::kRetryable, attempts, p);
    }
    EXPECT_EQ(decision, AfterAttempt::kFailed);
    EXPECT_EQ(attempts, 10);
}

}  // namespace
}  // namespace notify

namespace notify {
namespace {

TEST(CountedAttempts, LeavesOutAttemptsRefusedForAFaultThatStopsAllSending) {
    std::vector<Attempt> recorded(5);
    recorded[1].stops_all_sending = true;
    recorded[3].stops_all_sending = true;
    EXPECT_EQ(CountedAttempts(recorded), 3);
    EXPECT_EQ(CountedAttempts({}), 0);
}

}  // namespace
}  // namespace notify
