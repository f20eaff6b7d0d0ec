#include "queue/recipient_gap.h"

#include <gtest/gtest.h>

#include <string>

namespace notify {
namespace {

constexpr TimeMs kStart = 1'700'000'000'000;

TEST(RecipientGap, ZeroGapLetsEverythingThroughAndRemembersNothing) {
    RecipientGap gaps;
    EXPECT_EQ(gaps.Reserve("+919876543210", kStart, 0), std::nullopt);
    EXPECT_EQ(gaps.Reserve("+919876543210", kStart, 0), std::nullopt);
    EXPECT_EQ(gaps.size(), 0u);
}

TEST(RecipientGap, ASecondMessageToOnePhoneWaitsUntilTheGapEnds) {
    RecipientGap gaps;
    EXPECT_EQ(gaps.Reserve("+919876543210", kStart, 6000), std::nullopt);
    EXPECT_EQ(gaps.Reserve("+919876543210", kStart + 1000, 6000), kStart + 6000);
    EXPECT_EQ(gaps.Reserve("+919876543211", kStart + 1000, 6000), std::nullopt);  // another phone
    EXPECT_EQ(gaps.Reserve("+919876543210", kStart + 6000, 6000), std::nullopt);
    EXPECT_EQ(gaps.Reserve("+919876543210", kStart + 7000, 6000), kStart + 12000);
}

TEST(RecipientGap, ASendThatDidNotReachThePhoneIsForgotten) {
    RecipientGap gaps;
    EXPECT_EQ(gaps.Reserve("+919876543210", kStart, 6000), std::nullopt);
    gaps.Release("+919876543210", kStart);
    EXPECT_EQ(gaps.Reserve("+919876543210", kStart + 1, 6000), std::nullopt);
    gaps.Release("+919876543210", kStart);  // not the latest reservation: kept
    EXPECT_EQ(gaps.Reserve("+919876543210", kStart + 2, 6000), kStart + 6001);
}

TEST(RecipientGap, EntriesOlderThanTheGapArePrunedAsTheMapGrows) {
    RecipientGap gaps;
    for (int i = 0; i < 1000; ++i) gaps.Reserve("+91900000" + std::to_string(1000 + i), kStart, 1000);
    EXPECT_EQ(gaps.size(), 1000u);
    for (int i = 0; i < 100; ++i) gaps.Reserve("+91800000" + std::to_string(1000 + i), kStart + 5000, 1000);
    EXPECT_LT(gaps.size(), 200u);
    EXPECT_EQ(gaps.Reserve("+918000001000", kStart + 5500, 1000), kStart + 6000);  // recent ones stay
}

}  // namespace
}  // namespace notify
