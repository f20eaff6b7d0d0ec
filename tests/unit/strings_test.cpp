#include "common/strings.h"

#include <gtest/gtest.h>

namespace notify {
namespace {

TEST(Strings, TrimRemovesOnlyTheGivenCharactersAtTheEnds) {
    EXPECT_EQ(Trim("  a b \t\r\n"), "a b");
    EXPECT_EQ(Trim(" \t "), "");
    EXPECT_EQ(Trim(""), "");
    EXPECT_EQ(Trim("stop!.", ".!"), "stop");
    EXPECT_EQ(Trim("\vx\f"), "x");
}

TEST(Strings, AsciiLowerLeavesNonAsciiBytesAlone) {
    EXPECT_EQ(AsciiLower("StOP Ünïcode बंद"), "stop Ünïcode बंद");
    EXPECT_EQ(AsciiLower(""), "");
}

TEST(Strings, TruncateUtf8NeverCutsACharacterInHalf) {
    EXPECT_EQ(TruncateUtf8("hello", 10), "hello");
    EXPECT_EQ(TruncateUtf8("hello", 3), "hel");
    // "é" is two bytes (C3 A9), "₹" three (E2 82 B9).
    EXPECT_EQ(TruncateUtf8("aé", 2), "a");
    EXPECT_EQ(TruncateUtf8("aé", 3), "aé");
    EXPECT_EQ(TruncateUtf8("₹₹", 4), "₹");
    EXPECT_EQ(TruncateUtf8("₹", 0), "");
}

}  // namespace
}  // namespace notify
