// The request id that follows a request's work across threads (common/log_context.h).
#include "common/log_context.h"

#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "queue/work_pool.h"

namespace notify {
namespace {

TEST(RequestIdScope, SetsTheIdForItsLifetimeAndRestoresThePreviousOne) {
    EXPECT_EQ(CurrentRequestId(), "");
    {
        const RequestIdScope outer("outer");
        EXPECT_EQ(CurrentRequestId(), "outer");
        {
            const RequestIdScope inner("inner");
            EXPECT_EQ(CurrentRequestId(), "inner");
        }
        EXPECT_EQ(CurrentRequestId(), "outer");
    }
    EXPECT_EQ(CurrentRequestId(), "");
}

TEST(RequestIdScope, IsPerThread) {
    const RequestIdScope scope("mine");
    std::string seen = "unset";
    std::thread other([&] { seen = std::string(CurrentRequestId()); });
    other.join();
    EXPECT_EQ(seen, "");
    EXPECT_EQ(CurrentRequestId(), "mine");
}

TEST(CarryRequestId, RunsTheCallbackUnderTheIdCurrentWhereItWasMadeOnAnyThread) {
    std::function<std::string(int)> callback;
    {
        std::string id = "req-1";
        const RequestIdScope scope(id);
        callback = CarryRequestId([](int n) { return std::string(CurrentRequestId()) + "/" + std::to_string(n); });
        id = "changed";  // the callback holds its own copy
    }
    std::string seen;
    std::thread other([&] { seen = callback(7); });
    other.join();
    EXPECT_EQ(seen, "req-1/7");
    EXPECT_EQ(callback(8), "req-1/8");
    EXPECT_EQ(CurrentRequestId(), "");
}

TEST(CarryRequestId, MadeOutsideARequestRunsWithoutAnId) {
    auto callback = CarryRequestId([] { return std::string(CurrentRequestId()); });
    const RequestIdScope scope("elsewhere");
    EXPECT_EQ(callback(), "");
    EXPECT_EQ(CurrentRequestId(), "elsewhere");
}

// POST /process-queue: the helpers that join the caller's pass log for the caller's request.
TEST(WorkPool, HelpersRunUnderTheCallersRequestId) {
    WorkPool pool(3);
    std::mutex mutex;
    std::set<std::string> seen;
    std::atomic<int> calls{0};
    const auto fn = [&] {
        ++calls;
        std::lock_guard lock(mutex);
        seen.insert(std::string(CurrentRequestId()));
    };
    {
        const RequestIdScope scope("pass-1");
        pool.RunBeside(3, fn);
    }
    EXPECT_GE(calls.load(), 1);
    EXPECT_EQ(seen, (std::set<std::string>{"pass-1"}));

    seen.clear();
    pool.RunBeside(3, fn);  // the background processor's passes: no request
    EXPECT_EQ(seen, (std::set<std::string>{""}));
}

}  // namespace
}  // namespace notify
