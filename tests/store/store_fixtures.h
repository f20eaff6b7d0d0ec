#pragma once

// The store implementations the contract suite runs against. Each fixture type opens a fresh,
// migrated, empty store in a directory of its own; another store (PostgreSQL) joins the suite by
// adding its fixture type to StoreFixtures.

#include <gtest/gtest.h>

#include <filesystem>
#include <memory>

#include "store/sqlite/sqlite_store.h"
#include "store/store.h"

namespace notify::store_test {

struct SqliteFixture {
    static std::unique_ptr<Store> Open(const std::filesystem::path& dir) {
        // The data/ directory does not exist yet: the store creates it.
        auto store = std::make_unique<SqliteStore>((dir / "data" / "notifications.db").string());
        store->Migrate();
        return store;
    }
};

using StoreFixtures = ::testing::Types<SqliteFixture>;

}  // namespace notify::store_test
