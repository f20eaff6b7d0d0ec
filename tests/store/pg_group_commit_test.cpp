// PgGroupCommit, the group commit of PostgresStore's enqueues and attempt records: writes that wait
// together share one transaction, in lock-key order; a statement refusing one job fails that job
// alone; and nothing handed to it is dropped at shutdown. Against the test process's throwaway
// cluster (support/pg_cluster.h).

#include "store/postgres/pg_group_commit.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/errors.h"
#include "store/postgres/pg_connection.h"
#include "support/pg_cluster.h"

namespace notify {
namespace {

using test_support::PgCluster;

constexpr const char* kCreateTable = "CREATE TABLE written (id text PRIMARY KEY)";
constexpr const char* kInsert = "INSERT INTO written (id) VALUES ($1)";
constexpr const char* kCount = "SELECT count(*) FROM written WHERE id = $1";

class PgGroupCommitTest : public ::testing::Test {
protected:
    void SetUp() override {
        pool_ = std::make_unique<PgPool>(PgCluster::Instance().CreateDatabase(), 4, std::chrono::seconds(5),
                                         std::chrono::seconds(5));
        PgWrite(*pool_, "setup", [](PgConnection& c) { c.Exec(kCreateTable, "setup"); });
    }

    bool Stored(const std::string& id) {
        PgLease lease(*pool_);
        return (*lease).Run(kCount, PgParams().Text(id), "count").Int(0, 0) == 1;
    }

    // A job inserting `id`; counts how often its write ran, and hands its outcome to a future.
    struct Tracked {
        std::atomic<int> runs{0};
        std::promise<std::exception_ptr> finished;
    };
    static PgGroupCommit::Job Insert(const std::string& id, Tracked& tracked, std::string lock_key = {}) {
        return PgGroupCommit::Job{std::move(lock_key),
                                  [id, &tracked](PgConnection& c) {
                                      ++tracked.runs;
                                      c.Run(kInsert, PgParams().Text(id), "insert");
                                  },
                                  [&tracked](std::exception_ptr error) { tracked.finished.set_value(error); }};
    }

    // Occupies every writer with a job that holds it until `release` is set, one writer at a time
    // (a writer that found two waiting would take both as one group): whatever is submitted next
    // waits, and is written as one group when they let go.
    static void OccupyEveryWriter(PgGroupCommit& commit, const std::shared_future<void>& release) {
        for (int i = 0; i < PgGroupCommit::kWriters; ++i) {
            auto started = std::make_shared<std::promise<void>>();
            auto running = started->get_future();
            commit.Submit(PgGroupCommit::Job{{},
                                             [started, release](PgConnection&) {
                                                 started->set_value();
                                                 release.wait();
                                             },
                                             [](std::exception_ptr) {}});
            running.wait();
        }
    }

    std::unique_ptr<PgPool> pool_;
};

TEST_F(PgGroupCommitTest, AStatementRefusingOneJobFailsItAloneAndTheRestOfItsGroupIsStored) {
    PgWrite(*pool_, "setup", [](PgConnection& c) { c.Run(kInsert, PgParams().Text("taken"), "setup"); });
    PgGroupCommit commit(*pool_, "test write", 256);
    std::promise<void> release;
    OccupyEveryWriter(commit, release.get_future().share());

    Tracked before, refused, after;
    commit.Submit(Insert("before", before));
    commit.Submit(Insert("taken", refused));  // the primary key refuses it
    commit.Submit(Insert("after", after));
    release.set_value();

    EXPECT_FALSE(before.finished.get_future().get());
    const std::exception_ptr error = refused.finished.get_future().get();
    ASSERT_TRUE(error);
    EXPECT_THROW(std::rethrow_exception(error), StoreUnavailable);
    EXPECT_FALSE(after.finished.get_future().get());
    EXPECT_TRUE(Stored("before"));
    EXPECT_TRUE(Stored("after"));
    // They were one group: `before` was written in it, rolled back with it, and written again alone;
    // the group stopped at the refusal, so `after` was written alone only.
    EXPECT_EQ(before.runs.load(), 2);
    EXPECT_EQ(after.runs.load(), 1);
}

TEST_F(PgGroupCommitTest, AGroupIsWrittenInLockKeyOrderSoTwoWritersLockRowsInOneOrder) {
    PgGroupCommit commit(*pool_, "test write", 256);
    std::promise<void> release;
    OccupyEveryWriter(commit, release.get_future().share());

    std::mutex order_mutex;
    std::vector<std::string> order;
    std::vector<std::future<std::exception_ptr>> done;
    for (const std::string key : {"m3", "m1", "", "m2", "m1"}) {
        auto finished = std::make_shared<std::promise<std::exception_ptr>>();
        done.push_back(finished->get_future());
        commit.Submit(PgGroupCommit::Job{key,
                                         [key, &order, &order_mutex](PgConnection&) {
                                             std::lock_guard lock(order_mutex);
                                             order.push_back(key.empty() ? "-" : key);
                                         },
                                         [finished](std::exception_ptr error) { finished->set_value(error); }});
    }
    release.set_value();
    for (auto& f : done) EXPECT_FALSE(f.get());
    EXPECT_EQ(order, (std::vector<std::string>{"-", "m1", "m1", "m2", "m3"}));
}

TEST_F(PgGroupCommitTest, DestroyingItWritesEveryJobStillWaiting) {
    constexpr int kJobs = 300;  // more than one group
    std::vector<std::unique_ptr<Tracked>> tracked;
    {
        PgGroupCommit commit(*pool_, "test write", 64);
        for (int i = 0; i < kJobs; ++i) {
            tracked.push_back(std::make_unique<Tracked>());
            commit.Submit(Insert("job-" + std::to_string(i), *tracked.back()));
        }
    }
    for (int i = 0; i < kJobs; ++i) {
        auto finished = tracked[static_cast<std::size_t>(i)]->finished.get_future();
        ASSERT_EQ(finished.wait_for(std::chrono::seconds(0)), std::future_status::ready) << i;
        EXPECT_FALSE(finished.get()) << i;
    }
    EXPECT_TRUE(Stored("job-0"));
    EXPECT_TRUE(Stored("job-" + std::to_string(kJobs - 1)));
}

}  // namespace
}  // namespace notify
