#pragma once

// A real, migrated SQLite store in a temporary directory of its own, for the tests of what sits on
// top of the store (the dispatcher, the queue processor, the send service). The directory is
// removed after the store is closed.

#include <memory>
#include <string_view>

#include "store/sqlite/sqlite_store.h"
#include "support/temp_dir.h"

namespace notify::test_support {

class TempSqliteStore {
public:
    explicit TempSqliteStore(std::string_view prefix = "notifyd-store")
        : dir_(prefix), store_(std::make_unique<SqliteStore>(dir_.PathOf("n.db"))) {
        store_->Migrate();
    }

    SqliteStore& operator*() { return *store_; }
    SqliteStore* operator->() { return store_.get(); }

private:
    TempDir dir_;  // first: made before the store and removed after it
    std::unique_ptr<SqliteStore> store_;
};

}  // namespace notify::test_support
