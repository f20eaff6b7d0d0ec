#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <string>
#include <vector>

#include "business/rollout.h"

namespace notify {
namespace {

// Indian mobile numbers +9198xxxxxxxx, spread over the range.
std::vector<std::string> IndianNumbers(int count) {
    std::vector<std::string> numbers;
    numbers.reserve(static_cast<std::size_t>(count));
    for (int i = 0; i < count; ++i) {
        char number[16];
        std::snprintf(number, sizeof number, "+9198%08d", (i * 4999) % 100'000'000);
        numbers.emplace_back(number);
    }
    return numbers;
}

TEST(Rollout, PinnedBucketsKeepTheContract) {
    // First eight bytes of SHA-256 of the text, big-endian, mod 100 (computed with sha256sum).
    // A change of hash or byte order moves customers in or out of a rollout: these must not change.
    EXPECT_EQ(RolloutBucket("+919876543210"), 56);  // f3a47ce5ce3d4ca8...
    EXPECT_EQ(RolloutBucket("+919812345678"), 59);  // 07afa5a55570072b...
    EXPECT_EQ(RolloutBucket("+14155550123"), 49);   // 36a2cef4ff9bf7a1...
}

TEST(Rollout, BucketIsStableAndInRange) {
    for (const std::string& number : IndianNumbers(2000)) {
        const int bucket = RolloutBucket(number);
        ASSERT_GE(bucket, 0);
        ASSERT_LT(bucket, 100);
        EXPECT_EQ(RolloutBucket(number), bucket);
        EXPECT_EQ(InsideRollout(number, bucket), false) << number;
        EXPECT_EQ(InsideRollout(number, bucket + 1), true) << number;
    }
}

TEST(Rollout, HashesTheTextExactlyAsGiven) {
    // Not normalised here: callers pass E.164. Buckets of other spellings are simply other hashes.
    EXPECT_NE(RolloutBucket("+919876543210"), RolloutBucket("919876543210"));
}

TEST(Rollout, NobodyAtZeroEverybodyAtHundred) {
    for (const std::string& number : IndianNumbers(2000)) {
        EXPECT_FALSE(InsideRollout(number, 0)) << number;
        EXPECT_TRUE(InsideRollout(number, 100)) << number;
    }
}

TEST(Rollout, InsideAtALowerShareStaysInsideAtAHigherOne) {
    int inside_at_5 = 0;
    for (const std::string& number : IndianNumbers(5000)) {
        if (!InsideRollout(number, 5)) continue;
        ++inside_at_5;
        EXPECT_TRUE(InsideRollout(number, 25)) << number;
        EXPECT_TRUE(InsideRollout(number, 26)) << number;
    }
    EXPECT_GT(inside_at_5, 0);
}

TEST(Rollout, SharesAreCloseToThePercent) {
    const std::vector<std::string> numbers = IndianNumbers(20'000);
    for (int percent : {1, 5, 25, 50, 100}) {
        int inside = 0;
        for (const std::string& number : numbers) inside += InsideRollout(number, percent) ? 1 : 0;
        const double share = 100.0 * inside / static_cast<double>(numbers.size());
        EXPECT_NEAR(share, percent, percent <= 5 ? 0.5 : 1.5) << percent << "%";
    }
}

TEST(Rollout, EveryBucketIsUsedEvenly) {
    std::array<int, 100> counts{};
    for (const std::string& number : IndianNumbers(20'000)) ++counts[static_cast<std::size_t>(RolloutBucket(number))];
    for (int count : counts) {
        EXPECT_GT(count, 120);  // 200 expected
        EXPECT_LT(count, 280);
    }
}

}  // namespace
}  // namespace notify
