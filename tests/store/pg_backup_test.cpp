// BackupPostgresDatabase and RestorePostgresDatabase (src/store/postgres/pg_backup.h) where the
// binary cannot reach: pg_dump stopped at its timeout, and the file it was writing.
#include "store/postgres/pg_backup.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <string>

#include "store/migrations.h"
#include "store/postgres/pg_store.h"
#include "support/pg_cluster.h"
#include "support/temp_dir.h"

namespace notify {
namespace {

TEST(PgBackupTest, ADumpPastItsTimeoutIsStoppedAndLeavesNoFile) {
    const std::string url = test_support::PgCluster::Instance().CreateDatabase();
    PostgresStore(url).Migrate();
    test_support::TempDir dir;
    const std::string out = (dir.path() / "n.dump").string();
    try {
        BackupPostgresDatabase(url, out, std::chrono::milliseconds(1));
        FAIL() << "expected BackupError";
    } catch (const BackupError& e) {
        EXPECT_NE(std::string(e.what()).find("pg_dump did not finish"), std::string::npos) << e.what();
    }
    EXPECT_TRUE(std::filesystem::is_empty(dir.path()));

    const BackupSummary made = BackupPostgresDatabase(url, out, std::chrono::seconds(60));
    EXPECT_EQ(made.messages, 0);
    EXPECT_EQ(made.schema, EmbeddedPostgresMigrations().back().name);
    const BackupSummary restored = RestorePostgresDatabase(out, url, std::chrono::seconds(60));
    EXPECT_EQ(restored.schema, EmbeddedPostgresMigrations().back().name);
}

TEST(PgBackupTest, ADatabaseWithoutNotifydsSchemaIsRefused) {
    const std::string url = test_support::PgCluster::Instance().CreateDatabase();
    test_support::TempDir dir;
    const std::string out = (dir.path() / "n.dump").string();
    EXPECT_THROW(BackupPostgresDatabase(url, out), BackupError);
    EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
}

}  // namespace
}  // namespace notify
