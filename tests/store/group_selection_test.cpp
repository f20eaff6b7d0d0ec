// Which waiting writes a group commit takes: foreground first when a drain competes.
#include "store/sqlite/group_selection.h"

#include <gtest/gtest.h>

#include <vector>

namespace notify {
namespace {

constexpr WriteClass F = WriteClass::kForeground;
constexpr WriteClass B = WriteClass::kBackground;

using Indices = std::vector<std::size_t>;

TEST(SelectGroup, TakesEverythingInOrderUpToTheSize) {
    EXPECT_EQ(SelectGroup({F, B, F}, 128, 4), (Indices{0, 1, 2}));
    EXPECT_EQ(SelectGroup({F, F, F, F}, 3, 4), (Indices{0, 1, 2}));
    EXPECT_EQ(SelectGroup({}, 128, 4), Indices{});
}

TEST(SelectGroup, BesideForegroundWritesOnlyAFewBackgroundOnesGo) {
    // A drain's claims and results wait at the head; the enqueues behind them still go now.
    EXPECT_EQ(SelectGroup({B, B, B, F, B, F}, 128, 2), (Indices{0, 1, 3, 5}));
    EXPECT_EQ(SelectGroup({B, B, B, B, B, B, F}, 4, 2), (Indices{0, 1, 6}));
}

TEST(SelectGroup, BackgroundWritesAloneFillWholeGroups) {
    EXPECT_EQ(SelectGroup({B, B, B, B, B}, 128, 2), (Indices{0, 1, 2, 3, 4}));
    EXPECT_EQ(SelectGroup({B, B, B, B, B}, 3, 2), (Indices{0, 1, 2}));
}

TEST(SelectGroup, AtLeastOneBackgroundWriteGoesWithEveryGroupSoNoneStarves) {
    EXPECT_EQ(SelectGroup({B, F, F}, 128, 1), (Indices{0, 1, 2}));
    EXPECT_EQ(SelectGroup({F, F, B, B}, 128, 1), (Indices{0, 1, 2}));
}

}  // namespace
}  // namespace notify
