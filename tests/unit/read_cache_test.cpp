#include "store/read_cache.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

namespace notify {
namespace {

// A steady clock the test moves by hand.
struct ManualClock {
    using time_point = std::chrono::steady_clock::time_point;
    static inline time_point current{};
    static time_point now() { return current; }
};

TEST(ReadCache, WithAMaxAgeACopyThatOldIsLoadedAgain) {
    // A store shared by several nodes: another node's change is seen once the copy is max_age old.
    ReadCache<std::string, ManualClock> cache(std::chrono::milliseconds(500));
    int loads = 0;
    auto load = [&] {
        ++loads;
        return std::optional<std::string>("v" + std::to_string(loads));
    };
    EXPECT_EQ(cache.Get("k", load), "v1");
    ManualClock::current += std::chrono::milliseconds(499);
    EXPECT_EQ(cache.Get("k", load), "v1");
    ManualClock::current += std::chrono::milliseconds(1);
    EXPECT_EQ(cache.Get("k", load), "v2");
    EXPECT_EQ(cache.Get("k", load), "v2");
    cache.Invalidate();  // this node's own write: at once, whatever the age
    EXPECT_EQ(cache.Get("k", load), "v3");
    EXPECT_EQ(loads, 3);
}

TEST(ReadCache, LoadsOnceThenServesTheCopyUntilInvalidated) {
    ReadCache<std::string> cache;
    int loads = 0;
    auto load = [&] {
        ++loads;
        return std::optional<std::string>("v" + std::to_string(loads));
    };
    EXPECT_EQ(cache.Get("k", load), "v1");
    EXPECT_EQ(cache.Get("k", load), "v1");
    EXPECT_EQ(loads, 1);
    cache.Invalidate();
    EXPECT_EQ(cache.Get("k", load), "v2");
    EXPECT_EQ(loads, 2);
}

TEST(ReadCache, AMissingValueIsNotKept) {
    ReadCache<std::string> cache;
    int loads = 0;
    auto load = [&] {
        ++loads;
        return std::optional<std::string>();
    };
    EXPECT_FALSE(cache.Get("absent", load).has_value());
    EXPECT_FALSE(cache.Get("absent", load).has_value());
    EXPECT_EQ(loads, 2);  // an unknown name stays a database question, and cannot fill memory
}

TEST(ReadCache, ALoadThatRacedAnInvalidationIsNotKept) {
    // The value read before a write commits must not outlive the write's invalidation.
    ReadCache<std::string> cache;
    auto stale = [&] {
        cache.Invalidate();  // a write commits while this load is reading
        return std::optional<std::string>("old");
    };
    EXPECT_EQ(cache.Get("k", stale), "old");  // the caller still gets what it read
    int loads = 0;
    auto fresh = [&] {
        ++loads;
        return std::optional<std::string>("new");
    };
    EXPECT_EQ(cache.Get("k", fresh), "new");
    EXPECT_EQ(loads, 1);
}

}  // namespace
}  // namespace notify
