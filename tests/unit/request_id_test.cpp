#include "http/request_id.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace notify {
namespace {

TEST(IsAcceptableRequestId, TakesOneTo128CharactersOfLettersDigitsDotsUnderscoresAndDashes) {
    EXPECT_TRUE(IsAcceptableRequestId("a"));
    EXPECT_TRUE(IsAcceptableRequestId("req-2026.01_28-ABCxyz09"));
    EXPECT_TRUE(IsAcceptableRequestId("0b9c2f1e-8a3d-4f6b-9c1d-2e3f4a5b6c7d"));
    EXPECT_TRUE(IsAcceptableRequestId(std::string(128, 'x')));
}

TEST(IsAcceptableRequestId, RefusesEmptyLongAndAnythingElse) {
    EXPECT_FALSE(IsAcceptableRequestId(""));
    EXPECT_FALSE(IsAcceptableRequestId(std::string(129, 'x')));
    for (const char* bad : {"a b", "a\tb", "a\r\nX-Evil: 1", "id;drop", "a/b", "\"quoted\"", "ümlaut", "a=b", "{x}"}) {
        EXPECT_FALSE(IsAcceptableRequestId(bad)) << bad;
    }
}

TEST(AssignRequestId, KeepsAnAcceptableClientIdAndReplacesAnyOther) {
    std::string id;
    AssignRequestId(id, "client-id-1");
    EXPECT_EQ(id, "client-id-1");
    AssignRequestId(id, "bad id");
    EXPECT_EQ(id.size(), 16u);
    EXPECT_NE(id, "bad id");
    EXPECT_TRUE(IsAcceptableRequestId(id));
    AssignRequestId(id, "");
    EXPECT_EQ(id.size(), 16u);
}

TEST(AssignNewRequestId, MakesSixteenHexDigitsThatDoNotRepeat) {
    std::set<std::string> seen;
    std::string id;
    for (int i = 0; i < 10000; ++i) {
        AssignNewRequestId(id);
        ASSERT_EQ(id.size(), 16u);
        ASSERT_EQ(id.find_first_not_of("0123456789abcdef"), std::string::npos) << id;
        seen.insert(id);
    }
    EXPECT_EQ(seen.size(), 10000u);
}

TEST(AssignNewRequestId, ReusesTheStringsBuffer) {
    std::string id;
    AssignNewRequestId(id);
    const char* buffer = id.data();
    AssignNewRequestId(id);
    EXPECT_EQ(id.data(), buffer);
}

}  // namespace
}  // namespace notify
