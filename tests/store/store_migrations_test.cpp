// Part of the store contract (every fixture in StoreFixtures): MigrateTo rolls the schema back with
// the down migrations and forward again, keeping what the older schema holds, and ends on the same
// schema as a fresh migration; the targets it cannot reach change nothing. Also PlanMigration
// itself, over migration lists made up here (a version without a down file).

#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <sqlite3.h>

#include <algorithm>
#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "store/migrations.h"
#include "store/postgres/pg_store.h"
#include "store/sqlite/sqlite_store.h"
#include "store/store.h"
#include "store_fixtures.h"
#include "store_test_support.h"
#include "support/pg_cluster.h"

namespace notify::store_test {
namespace {

// A store not yet migrated, the schema it has as lines of text, and how far back the data test goes.
template <typename Fixture>
struct MigrationTraits;

template <>
struct MigrationTraits<SqliteFixture> {
    // 0008: before the business tables, the template languages and the prices; the messages,
    // settings of 0001 and the tokens are kept.
    static constexpr std::int64_t kOlderVersion = 8;
    static std::int64_t Latest() { return LatestMigrationVersion(EmbeddedMigrations()); }

    std::filesystem::path path;
    explicit MigrationTraits(const std::filesystem::path& dir) : path(dir / "data" / "notifications.db") {}
    std::unique_ptr<Store> Open() const { return std::make_unique<SqliteStore>(path.string()); }

    // Every object's definition as SQLite keeps it, and every table's columns.
    std::vector<std::string> Schema() const {
        sqlite3* db = nullptr;
        if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
            sqlite3_close(db);
            throw std::runtime_error("cannot open " + path.string());
        }
        std::vector<std::string> lines;
        const char* sql =
            "SELECT m.type || ' ' || m.name || ' ' || coalesce(m.sql, '') FROM sqlite_master m "
            "WHERE m.name NOT LIKE 'sqlite_%' "
            "UNION ALL SELECT 'column ' || m.name || '.' || c.name || ' ' || c.type || ' ' || c.\"notnull\" || ' ' || "
            "coalesce(c.dflt_value, 'NULL') || ' ' || c.pk FROM sqlite_master m, pragma_table_info(m.name) c "
            "WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' ORDER BY 1";
        sqlite3_stmt* stmt = nullptr;
        if (sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr) != SQLITE_OK) {
            const std::string error = sqlite3_errmsg(db);
            sqlite3_close(db);
            throw std::runtime_error("schema query: " + error);
        }
        while (sqlite3_step(stmt) == SQLITE_ROW) {
            lines.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)));
        }
        sqlite3_finalize(stmt);
        sqlite3_close(db);
        return lines;
    }
};

template <>
struct MigrationTraits<PostgresFixture> {
    // One consolidated migration: back to nothing.
    static constexpr std::int64_t kOlderVersion = 0;
    static std::int64_t Latest() { return LatestMigrationVersion(EmbeddedPostgresMigrations()); }

    std::string url;
    explicit MigrationTraits(const std::filesystem::path&)
        : url(test_support::PgCluster::Instance().CreateDatabase()) {}
    std::unique_ptr<Store> Open() const { return std::make_unique<PostgresStore>(url); }

    // The columns of every table, the indexes, triggers and functions of the public schema.
    std::vector<std::string> Schema() const {
        PGconn* conn = PQconnectdb(url.c_str());
        if (PQstatus(conn) != CONNECTION_OK) {
            const std::string error = PQerrorMessage(conn);
            PQfinish(conn);
            throw std::runtime_error("cannot connect: " + error);
        }
        const char* sql =
            "SELECT 'column ' || table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable || ' ' || "
            "coalesce(column_default, 'NULL') || ' ' || is_identity FROM information_schema.columns "
            "WHERE table_schema = 'public' "
            "UNION ALL SELECT 'index ' || indexname || ' ' || indexdef FROM pg_indexes WHERE schemaname = 'public' "
            "UNION ALL SELECT 'constraint ' || conrelid::regclass::text || ' ' || pg_get_constraintdef(oid) "
            "FROM pg_constraint WHERE connamespace = 'public'::regnamespace "
            "UNION ALL SELECT 'trigger ' || tgname || ' ' || pg_get_triggerdef(oid) FROM pg_trigger WHERE NOT "
            "tgisinternal "
            "UNION ALL SELECT 'function ' || p.oid::regprocedure::text FROM pg_proc p "
            "WHERE p.pronamespace = 'public'::regnamespace ORDER BY 1";
        PGresult* result = PQexec(conn, sql);
        if (PQresultStatus(result) != PGRES_TUPLES_OK) {
            const std::string error = PQerrorMessage(conn);
            PQclear(result);
            PQfinish(conn);
            throw std::runtime_error("schema query: " + error);
        }
        std::vector<std::string> lines;
        for (int i = 0; i < PQntuples(result); ++i) lines.emplace_back(PQgetvalue(result, i, 0));
        PQclear(result);
        PQfinish(conn);
        return lines;
    }
};

template <typename Fixture>
class StoreMigrationsTest : public ::testing::Test {
protected:
    using Traits = MigrationTraits<Fixture>;

    TempDir dir_;
    TempDir fresh_dir_;
};

TYPED_TEST_SUITE(StoreMigrationsTest, StoreFixtures, StoreFixtureNames);

int AppliedCount(Store& store) {
    const std::vector<MigrationState> states = store.MigrationStatus();
    return static_cast<int>(
        std::count_if(states.begin(), states.end(), [](const MigrationState& m) { return m.applied; }));
}

TYPED_TEST(StoreMigrationsTest, DownAndUpAgainKeepsWhatTheOlderSchemaHoldsAndEndsOnTheFreshSchema) {
    using Traits = typename TestFixture::Traits;
    const Traits traits(this->dir_.path());
    auto store = traits.Open();
    const std::int64_t latest = Traits::Latest();
    ASSERT_EQ(store->MigrateTo(latest), static_cast<int>(latest));

    for (int i = 0; i < 3; ++i) {
        const std::string id = "m" + std::to_string(i);
        ASSERT_TRUE(store->Enqueue(MakeMessage(id, kT0 + i), kT0 + i, std::nullopt).created);
    }
    Settings settings = store->GetSettings();
    settings.paused = true;
    settings.rollout_percent = 40;
    settings.recipient_min_gap_seconds = 90;
    settings.updated_at = kT0;
    store->PutSettings(settings);
    store->InsertToken(Token("ops", Role::kOperator, 'a', kT0));
    const std::vector<std::string> schema_after_up = traits.Schema();

    const int rolled_back = store->MigrateTo(Traits::kOlderVersion);
    EXPECT_EQ(rolled_back, static_cast<int>(latest - Traits::kOlderVersion));
    EXPECT_EQ(AppliedCount(*store), static_cast<int>(Traits::kOlderVersion));
    EXPECT_NE(traits.Schema(), schema_after_up);
    EXPECT_EQ(store->MigrateTo(Traits::kOlderVersion), 0);  // already there

    EXPECT_EQ(store->MigrateTo(latest), rolled_back);
    EXPECT_EQ(AppliedCount(*store), static_cast<int>(latest));
    EXPECT_EQ(traits.Schema(), schema_after_up);

    // The schema equals that of a database migrated once.
    const Traits fresh(this->fresh_dir_.path());
    fresh.Open()->Migrate();
    EXPECT_EQ(traits.Schema(), fresh.Schema());

    // Down to 0 every table went, with its rows; back up, the seeded rows are there again.
    EXPECT_EQ(store->MigrateTo(0), static_cast<int>(latest));
    EXPECT_EQ(AppliedCount(*store), 0);
    EXPECT_EQ(store->Migrate(), static_cast<int>(latest));
    EXPECT_EQ(traits.Schema(), fresh.Schema());
    EXPECT_EQ(store->ListTemplates().size(), 10u);
    EXPECT_FALSE(store->GetMessage("m0").has_value());
}

// PostgreSQL has one migration: rolling it back leaves no schema to hold data (the test above).
TEST(SqliteMigrateToTest, MessagesSettingsAndTokensSurviveARollbackTheirSchemaHolds) {
    using Traits = MigrationTraits<SqliteFixture>;
    TempDir dir;
    const Traits traits(dir.path());
    auto store = traits.Open();
    store->Migrate();
    for (int i = 0; i < 3; ++i) {
        const std::string id = "m" + std::to_string(i);
        ASSERT_TRUE(store->Enqueue(MakeMessage(id, kT0 + i), kT0 + i, std::nullopt).created);
    }
    Settings settings = store->GetSettings();
    settings.paused = true;
    settings.rollout_percent = 40;
    settings.recipient_min_gap_seconds = 90;
    settings.updated_at = kT0;
    store->PutSettings(settings);
    store->InsertToken(Token("ops", Role::kOperator, 'a', kT0));
    store->InsertToken(Token("driver", Role::kDelivery, 'b', kT0));  // the older schema has no such role

    store->MigrateTo(Traits::kOlderVersion);
    store->Migrate();

    for (int i = 0; i < 3; ++i) {
        const std::string id = "m" + std::to_string(i);
        const std::optional<Message> m = store->GetMessage(id);
        ASSERT_TRUE(m.has_value()) << id;
        EXPECT_EQ(m->phone, kPhone1);
        EXPECT_EQ(m->message_type, "delivery_reminder");
        EXPECT_EQ(m->parameters, MakeMessage(id, kT0 + i).parameters);
        EXPECT_EQ(m->status, MessageStatus::kQueued);
        EXPECT_EQ(m->created_at, kT0 + i);
    }
    const Settings after = store->GetSettings();
    EXPECT_TRUE(after.paused);
    EXPECT_EQ(after.rollout_percent, 40);
    EXPECT_EQ(after.recipient_min_gap_seconds, 90);
    const std::optional<ApiToken> token = store->FindTokenByHash(std::string(64, 'a'));
    ASSERT_TRUE(token.has_value());
    EXPECT_EQ(token->name, "ops");
    EXPECT_EQ(token->role, Role::kOperator);
    EXPECT_FALSE(store->FindTokenByHash(std::string(64, 'b')).has_value());
    EXPECT_EQ(store->ListTemplates().size(), 10u);
    // The statistics counters were rebuilt on the way and still count the three messages.
    const StatusCounts counts = store->Stats(StatsQuery{}).all;
    EXPECT_EQ(counts.total, 3);
    EXPECT_EQ(counts.queued, 3);
}

TYPED_TEST(StoreMigrationsTest, AVersionAboveTheLatestOrBelowZeroIsRefusedAndChangesNothing) {
    using Traits = typename TestFixture::Traits;
    const Traits traits(this->dir_.path());
    auto store = traits.Open();
    // Refused on an empty database before anything is made, not even schema_migrations.
    EXPECT_THROW(store->MigrateTo(Traits::Latest() + 1), MigrationError);
    EXPECT_EQ(AppliedCount(*store), 0);
    EXPECT_TRUE(traits.Schema().empty());

    store->Migrate();
    const std::vector<std::string> schema = traits.Schema();
    EXPECT_THROW(store->MigrateTo(Traits::Latest() + 1), MigrationError);
    EXPECT_THROW(store->MigrateTo(-1), MigrationError);
    EXPECT_EQ(AppliedCount(*store), static_cast<int>(Traits::Latest()));
    EXPECT_EQ(traits.Schema(), schema);
    EXPECT_EQ(store->MigrateTo(Traits::Latest()), 0);
}

// ---- SQLite: a migration list whose newest file has no down migration

TEST(SqliteMigrateToTest, ARollbackThroughAVersionWithoutADownFileIsRefusedAndChangesNothing) {
    TempDir dir;
    SqliteStore store((dir.path() / "notifications.db").string());
    std::vector<MigrationFile> files = EmbeddedMigrations();
    ASSERT_GE(files.size(), 2u);
    store.Migrate();
    files.back().down_sql.reset();
    const std::int64_t latest = LatestMigrationVersion(files);
    try {
        store.MigrateTo(latest - 2, files);
        FAIL() << "expected MigrationError";
    } catch (const MigrationError& e) {
        EXPECT_NE(std::string(e.what()).find(files.back().name), std::string::npos) << e.what();
    }
    EXPECT_EQ(AppliedCount(store), static_cast<int>(files.size()));  // not even the files below it
    // Up to the version without a down file is fine.
    EXPECT_EQ(store.MigrateTo(latest, files), 0);
}

// ---- PlanMigration

std::vector<MigrationFile> ThreeFiles() {
    return {{"0001_a.sql", "up 1", "down 1"}, {"0002_b.sql", "up 2", "down 2"}, {"0003_c.sql", "up 3", std::nullopt}};
}

std::vector<std::string> Describe(const std::vector<MigrationStep>& steps) {
    std::vector<std::string> out;
    for (const MigrationStep& s : steps) out.push_back((s.down ? "down " : "up ") + *s.sql);
    return out;
}

TEST(PlanMigrationTest, UpsOldestFirstThenDownsNewestFirst) {
    const auto files = ThreeFiles();
    EXPECT_EQ(Describe(PlanMigration(files, {}, std::nullopt)),
              (std::vector<std::string>{"up up 1", "up up 2", "up up 3"}));
    EXPECT_EQ(Describe(PlanMigration(files, {}, 2)), (std::vector<std::string>{"up up 1", "up up 2"}));
    EXPECT_EQ(Describe(PlanMigration(files, {1, 2}, 0)), (std::vector<std::string>{"down down 2", "down down 1"}));
    EXPECT_TRUE(PlanMigration(files, {1, 2}, 2).empty());
    EXPECT_EQ(Describe(PlanMigration(files, {1, 2}, 3)), (std::vector<std::string>{"up up 3"}));
}

TEST(PlanMigrationTest, PlainMigrateNeverRollsBackEvenAVersionItDoesNotKnow) {
    const auto files = ThreeFiles();
    EXPECT_TRUE(PlanMigration(files, {1, 2, 3, 7}, std::nullopt).empty());
}

TEST(PlanMigrationTest, RefusesUnknownTargetsAndRollbacksWithoutADownFile) {
    const auto files = ThreeFiles();
    EXPECT_THROW(PlanMigration(files, {}, 4), MigrationError);
    EXPECT_THROW(PlanMigration(files, {}, -1), MigrationError);
    EXPECT_THROW(PlanMigration(files, {1, 2, 3}, 2), MigrationError);  // 0003 has no down file
    EXPECT_THROW(PlanMigration(files, {1, 2, 7}, 2), MigrationError);  // a newer build's 0007
    EXPECT_EQ(LatestMigrationVersion(files), 3);
    EXPECT_EQ(LatestMigrationVersion({}), 0);
}

TEST(EmbeddedMigrationsTest, EveryMigrationOfBothStoresHasItsDownFileAndNoDownFileIsAMigration) {
    for (const auto* list : {&EmbeddedMigrations(), &EmbeddedPostgresMigrations()}) {
        for (const MigrationFile& file : *list) {
            EXPECT_EQ(file.name.find(".down."), std::string::npos) << file.name;
            EXPECT_TRUE(file.down_sql.has_value()) << file.name;
        }
    }
}

}  // namespace
}  // namespace notify::store_test
