// notifyd backup / restore on SQLite: an online copy that holds every acknowledged message, and a
// restore that keeps what it replaces and changes nothing when the backup is bad.
#include "store/sqlite/sqlite_backup.h"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>

#include "store/migrations.h"
#include "store/sqlite/sqlite_store.h"
#include "store_test_support.h"
#include "support/temp_dir.h"

namespace notify::store_test {
namespace {

using test_support::ModeOf;

class SqliteBackupTest : public ::testing::Test {
protected:
    std::string Path(const std::string& name) const { return (dir_.path() / name).string(); }

    // A migrated database at `name` holding messages `prefix`0 .. `prefix`(count - 1).
    std::unique_ptr<SqliteStore> StoreWith(const std::string& name, const std::string& prefix, int count) {
        auto store = std::make_unique<SqliteStore>(Path(name));
        store->Migrate();
        for (int i = 0; i < count; ++i) store->Enqueue(MakeMessage(prefix + std::to_string(i), kT0 + i), kT0, {});
        return store;
    }

    static bool Has(const std::string& path, const std::string& id) {
        SqliteStore store(path);
        return store.GetMessage(id).has_value();
    }

    TempDir dir_;
};

TEST_F(SqliteBackupTest, ACopyTakenWhileWritersGoOnHoldsEveryMessageWrittenBeforeIt) {
    auto store = StoreWith("live.db", "m", 300);
    std::atomic<bool> stop{false};
    std::atomic<int> written_during{0};
    std::thread writer([&] {
        for (int i = 0; !stop.load() && i < 5000; ++i) {
            store->Enqueue(MakeMessage("during" + std::to_string(i), kT0 + 1000 + i), kT0, {});
            ++written_during;
        }
    });
    const BackupSummary summary = BackupSqliteDatabase(Path("live.db"), Path("copy.db"));
    stop = true;
    writer.join();

    EXPECT_GE(summary.messages, 300);
    EXPECT_EQ(summary.schema, EmbeddedMigrations().back().name);
    EXPECT_EQ(ModeOf(Path("copy.db")), 0600u);
    EXPECT_FALSE(std::filesystem::exists(Path("copy.db.partial")));
    EXPECT_FALSE(std::filesystem::exists(Path("copy.db-wal")));  // one self-contained file
    SqliteStore copy(Path("copy.db"));
    for (int i = 0; i < 300; i += 37) EXPECT_TRUE(copy.GetMessage("m" + std::to_string(i))) << i;
    EXPECT_EQ(copy.Stats(StatsQuery{}).all.total, summary.messages);
    EXPECT_EQ(copy.QueueDepth(), summary.messages);  // the counters came along with the rows
}

TEST_F(SqliteBackupTest, RefusesAnOutputThatExistsAndASourceThatIsNotANotifydDatabase) {
    StoreWith("live.db", "m", 3);
    {
        std::ofstream existing(Path("taken.db"));
        existing << "keep me";
    }
    EXPECT_THROW(BackupSqliteDatabase(Path("live.db"), Path("taken.db")), BackupError);
    std::ifstream kept(Path("taken.db"));
    std::string content((std::istreambuf_iterator<char>(kept)), std::istreambuf_iterator<char>());
    EXPECT_EQ(content, "keep me");

    EXPECT_THROW(BackupSqliteDatabase(Path("missing.db"), Path("out.db")), BackupError);
    EXPECT_THROW(BackupSqliteDatabase(Path("taken.db"), Path("out.db")), BackupError);
    EXPECT_FALSE(std::filesystem::exists(Path("out.db")));
    EXPECT_FALSE(std::filesystem::exists(Path("out.db.partial")));
}

TEST_F(SqliteBackupTest, RestoreReplacesTheDatabaseAndKeepsTheOneItReplaced) {
    auto store = StoreWith("live.db", "m", 5);
    BackupSqliteDatabase(Path("live.db"), Path("backup.db"));
    store->Enqueue(MakeMessage("after-backup", kT0 + 100), kT0, {});
    store.reset();  // the service is stopped for a restore

    const RestoreSummary summary = RestoreSqliteDatabase(Path("backup.db"), Path("live.db"), kT0);
    EXPECT_EQ(summary.restored.messages, 5);
    ASSERT_FALSE(summary.previous_saved_as.empty());
    EXPECT_EQ(summary.previous_saved_as.find(Path("live.db") + ".before-restore-"), 0u);
    EXPECT_TRUE(Has(Path("live.db"), "m4"));
    EXPECT_FALSE(Has(Path("live.db"), "after-backup"));
    EXPECT_TRUE(Has(summary.previous_saved_as, "after-backup"));  // undo by restoring this one
    EXPECT_EQ(ModeOf(summary.previous_saved_as), 0600u);

    SqliteStore restored(Path("live.db"));
    EXPECT_EQ(restored.QueueDepth(), 5);
    restored.Enqueue(MakeMessage("after-restore", kT0 + 200), kT0, {});  // and it serves writes again
    EXPECT_TRUE(restored.GetMessage("after-restore"));
}

TEST_F(SqliteBackupTest, ARestoreFromABadFileChangesNothing) {
    StoreWith("live.db", "m", 4).reset();
    {
        std::ofstream garbage(Path("garbage.db"));
        garbage << "this is not a database, only text that is long enough to look like one at a glance";
    }
    {
        // A SQLite database of something else.
        SqliteStore unrelated(Path("plain.db"));
    }
    for (const std::string bad : {"garbage.db", "missing.db", "plain.db"}) {
        EXPECT_THROW(RestoreSqliteDatabase(Path(bad), Path("live.db"), kT0), BackupError) << bad;
    }
    EXPECT_TRUE(Has(Path("live.db"), "m3"));
    for (const auto& entry : std::filesystem::directory_iterator(dir_.path())) {
        EXPECT_EQ(entry.path().filename().string().find("before-restore"), std::string::npos) << entry.path();
    }
}

TEST_F(SqliteBackupTest, RestoreIntoAPlaceWithNoDatabaseCreatesIt) {
    StoreWith("live.db", "m", 2).reset();
    BackupSqliteDatabase(Path("live.db"), Path("backup.db"));
    const RestoreSummary summary = RestoreSqliteDatabase(Path("backup.db"), Path("new/place.db"), kT0);
    EXPECT_TRUE(summary.previous_saved_as.empty());
    EXPECT_TRUE(Has(Path("new/place.db"), "m1"));
    EXPECT_EQ(ModeOf(Path("new/place.db")), 0600u);
}

}  // namespace
}  // namespace notify::store_test
