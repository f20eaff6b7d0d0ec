#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

#include "common/clock.h"

namespace notify {

// A backup or restore that cannot be done (the reason says what to fix). Nothing was changed.
class BackupError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct BackupSummary {
    std::int64_t messages = 0;
    std::string schema;  // the last migration applied, e.g. "0008_counters_from_the_store.sql"
};

// Copies the SQLite database at `database_path` to `out_path` while notifyd may be serving
// (SQLite's online backup API, a few hundred pages per step: writers go on between steps, and a
// write during the copy restarts it). The copy is made in a temporary file beside `out_path`
// (mode 0600), checked (integrity_check), switched to a single file (journal_mode DELETE),
// fsynced and renamed into place, so `out_path` either holds a whole, checked copy or does not
// exist. Refuses an `out_path` that exists, and a source that is not a notifyd database.
BackupSummary BackupSqliteDatabase(const std::string& database_path, const std::string& out_path);

struct RestoreSummary {
    BackupSummary restored;
    std::string previous_saved_as;  // where the database it replaced was kept; empty when there was none
};

// Replaces the database at `database_path` with the backup at `backup_path`. Stop notifyd first:
// a running server keeps settings and templates it read before. Checks first that the backup is a
// whole notifyd database (integrity_check, its tables, no migration newer than this build knows);
// then keeps the current database (when there is one) as `<database_path>.before-restore-<time>`,
// itself a checked copy, so that a restore can be undone by another; then copies. Throws
// BackupError, and then `database_path` is as it was.
RestoreSummary RestoreSqliteDatabase(const std::string& backup_path, const std::string& database_path, TimeMs now);

}  // namespace notify
