#include "notify/ids.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <set>
#include <string>
#include <string_view>

namespace notify {
namespace {

constexpr std::string_view kCrockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
constexpr TimeMs kSomeTime = 1764082498123;  // 2025-11-25T14:54:58.123Z

RandomSource& Random() {
    static SystemRandom random;
    return random;
}

// Decodes the first ten characters: the 48-bit millisecond timestamp.
std::uint64_t DecodeTime(const std::string& id) {
    std::uint64_t value = 0;
    for (std::size_t i = 0; i < 10; ++i) value = value * 32 + kCrockford.find(id[i]);
    return value;
}

TEST(NewMessageId, IsTwentySixCharacters) {
    EXPECT_EQ(NewMessageId(kSomeTime, Random()).size(), 26u);
    EXPECT_EQ(NewMessageId(0, Random()).size(), 26u);
}

TEST(NewMessageId, UsesOnlyTheCrockfordAlphabet) {
    for (int i = 0; i < 200; ++i) {
        const std::string id = NewMessageId(kSomeTime + i, Random());
        for (char c : id) EXPECT_NE(kCrockford.find(c), std::string_view::npos) << id;
        // No ambiguous letters and nothing lower-case.
        EXPECT_EQ(id.find_first_of("ILOUilou"), std::string::npos) << id;
    }
}

TEST(NewMessageId, EncodesTheTimestampInTheFirstTenCharacters) {
    EXPECT_EQ(DecodeTime(NewMessageId(kSomeTime, Random())), static_cast<std::uint64_t>(kSomeTime));
    EXPECT_EQ(NewMessageId(0, Random()).substr(0, 10), "0000000000");
    EXPECT_EQ(NewMessageId(1, Random()).substr(0, 10), "0000000001");
    EXPECT_EQ(NewMessageId(32, Random()).substr(0, 10), "0000000010");
}

TEST(NewMessageId, SortsByCreationTimeAcrossMilliseconds) {
    std::string previous = NewMessageId(kSomeTime, Random());
    for (TimeMs t = kSomeTime + 1; t < kSomeTime + 2000; t += 7) {
        const std::string id = NewMessageId(t, Random());
        EXPECT_LT(previous, id) << "at " << t;
        previous = id;
    }
}

TEST(NewMessageId, SortsByTimeAcrossLargeGaps) {
    EXPECT_LT(NewMessageId(kSomeTime, Random()), NewMessageId(kSomeTime + 86400000LL * 365 * 10, Random()));
    EXPECT_LT(NewMessageId(999, Random()), NewMessageId(1000, Random()));
    EXPECT_LT(NewMessageId(31, Random()), NewMessageId(32, Random()));
}

TEST(NewMessageId, IsUniqueOverTenThousandIdsInOneMillisecond) {
    std::set<std::string> seen;
    for (int i = 0; i < 10000; ++i) seen.insert(NewMessageId(kSomeTime, Random()));
    EXPECT_EQ(seen.size(), 10000u);
}

TEST(NewMessageId, RandomPartVariesInEveryPosition) {
    // Over many ids each of the 16 random characters takes more than one value.
    std::set<char> per_position[16];
    for (int i = 0; i < 500; ++i) {
        const std::string id = NewMessageId(kSomeTime, Random());
        for (std::size_t p = 0; p < 16; ++p) per_position[p].insert(id[10 + p]);
    }
    for (std::size_t p = 0; p < 16; ++p) EXPECT_GT(per_position[p].size(), 1u) << "position " << 10 + p;
}

TEST(NewMessageId, DrawsItsRandomPartFromTheInjectedSource) {
    SeededRandom first(7);
    SeededRandom again(7);
    SeededRandom other(8);
    const std::string id = NewMessageId(kSomeTime, first);
    EXPECT_EQ(id, NewMessageId(kSomeTime, again));
    EXPECT_NE(id, NewMessageId(kSomeTime, other));
    EXPECT_EQ(DecodeTime(id), static_cast<std::uint64_t>(kSomeTime));
}

}  // namespace
}  // namespace notify
