#pragma once

// The store implementations the contract suite runs against. Each fixture type opens a fresh,
// migrated, empty store; another store joins the suite by adding its fixture type to StoreFixtures.
// Test names carry the fixture's kName: StoreContractTest/Sqlite.X, StoreContractTest/Postgres.X.

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>
#include <string>

#include "store/postgres/pg_store.h"
#include "store/sqlite/sqlite_store.h"
#include "store/store.h"
#include "support/pg_cluster.h"

namespace notify::store_test {

struct SqliteFixture {
    static constexpr const char* kName = "Sqlite";
    static std::unique_ptr<Store> Open(const std::filesystem::path& dir) {
        // The data/ directory does not exist yet: the store creates it.
        auto store = std::make_unique<SqliteStore>((dir / "data" / "notifications.db").string());
        store->Migrate();
        return store;
    }
};

// A new database in the test process's throwaway cluster (support/pg_cluster.h); `dir` is unused.
struct PostgresFixture {
    static constexpr const char* kName = "Postgres";
    static std::unique_ptr<Store> Open(const std::filesystem::path&) {
        auto store = std::make_unique<PostgresStore>(test_support::PgCluster::Instance().CreateDatabase());
        store->Migrate();
        return store;
    }
};

using StoreFixtures = ::testing::Types<SqliteFixture, PostgresFixture>;

struct StoreFixtureNames {
    template <typename Fixture>
    static std::string GetName(int) {
        return Fixture::kName;
    }
};

}  // namespace notify::store_test
