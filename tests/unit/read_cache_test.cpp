#include "store/read_cache.h"

#include <gtest/gtest.h>

#include <string>

namespace notify {
namespace {

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
