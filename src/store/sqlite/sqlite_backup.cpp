#include "store/sqlite/sqlite_backup.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <string_view>
#include <system_error>

#include "common/time_format.h"
#include "store/migrations.h"
#include "store/sqlite/file_modes.h"

namespace notify {
namespace {

// Pages copied per step of the online backup; between steps the source is unlocked for writers.
constexpr int kPagesPerStep = 512;
// How long a step may wait for a busy source (a commit in progress) before it tries again.
constexpr int kBusyRetryMs = 20;
constexpr int kBusyTimeoutMs = 5000;

struct CloseDb {
    void operator()(sqlite3* db) const { sqlite3_close_v2(db); }
};
using Db = std::unique_ptr<sqlite3, CloseDb>;

Db Open(const std::string& path, int flags, std::string_view what) {
    sqlite3* raw = nullptr;
    const int rc = sqlite3_open_v2(path.c_str(), &raw, flags | SQLITE_OPEN_NOMUTEX, nullptr);
    Db db(raw);
    if (rc != SQLITE_OK) {
        throw BackupError(std::string(what) + " " + path +
                          " cannot be opened: " + (raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc)));
    }
    sqlite3_busy_timeout(db.get(), kBusyTimeoutMs);
    return db;
}

// The first column of the first row of `sql`, as text; empty when there is no row.
std::string QueryText(sqlite3* db, const char* sql, const std::string& what) {
    sqlite3_stmt* raw = nullptr;
    if (sqlite3_prepare_v2(db, sql, -1, &raw, nullptr) != SQLITE_OK) {
        throw BackupError(what + ": " + sqlite3_errmsg(db));
    }
    std::unique_ptr<sqlite3_stmt, int (*)(sqlite3_stmt*)> statement(raw, sqlite3_finalize);
    const int rc = sqlite3_step(raw);
    if (rc == SQLITE_ROW) {
        const unsigned char* text = sqlite3_column_text(raw, 0);
        return text ? reinterpret_cast<const char*>(text) : "";
    }
    if (rc != SQLITE_DONE) throw BackupError(what + ": " + sqlite3_errmsg(db));
    return {};
}

// A notifyd database this build can serve (its tables, no newer migration): cheap, no page read
// beyond the schema and the count.
BackupSummary CheckNotifyTables(sqlite3* db, const std::string& path) {
    const std::string what = path + " is not a notifyd database";
    if (QueryText(db, "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'notifications_log'", what)
            .empty() ||
        QueryText(db, "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'", what)
            .empty()) {
        throw BackupError(what + " (it has no notifications_log or schema_migrations table)");
    }
    BackupSummary summary;
    summary.schema = QueryText(db, "SELECT name FROM schema_migrations ORDER BY version DESC LIMIT 1", what);
    const auto& known = EmbeddedMigrations();
    if (!summary.schema.empty() && !known.empty() && summary.schema > known.back().name) {
        throw BackupError(path + " has migration " + summary.schema + ", newer than this build knows (" +
                          known.back().name + "); restore it with the notifyd that made it");
    }
    summary.messages = std::stoll(QueryText(db, "SELECT COUNT(*) FROM notifications_log", what));
    return summary;
}

// Whole (integrity_check reads every page), and a notifyd database: what a backup must be before it
// is kept, and before it replaces anything.
BackupSummary CheckNotifyDatabase(sqlite3* db, const std::string& path) {
    const std::string integrity = QueryText(db, "PRAGMA integrity_check", path + ": integrity check");
    if (integrity != "ok") throw BackupError(path + " is damaged (integrity_check: " + integrity + ")");
    return CheckNotifyTables(db, path);
}

// Copies every page of `from` into `to` with the online backup API.
void CopyDatabase(sqlite3* from, sqlite3* to, const std::string& what) {
    sqlite3_backup* backup = sqlite3_backup_init(to, "main", from, "main");
    if (!backup) throw BackupError(what + ": " + sqlite3_errmsg(to));
    int rc = SQLITE_OK;
    do {
        rc = sqlite3_backup_step(backup, kPagesPerStep);
        if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) sqlite3_sleep(kBusyRetryMs);
    } while (rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED);
    sqlite3_backup_finish(backup);
    if (rc != SQLITE_DONE) throw BackupError(what + ": " + sqlite3_errstr(rc));
}

void SyncFile(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 || ::fsync(fd) != 0) {
        const std::error_code error(errno, std::generic_category());
        if (fd >= 0) ::close(fd);
        throw BackupError("cannot sync " + path + ": " + error.message());
    }
    ::close(fd);
}

void SyncDirectoryOf(const std::string& path) {
    std::filesystem::path dir = std::filesystem::path(path).parent_path();
    if (dir.empty()) dir = ".";
    const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return;  // the rename is done; only its durability across a power cut is less sure
    ::fsync(fd);
    ::close(fd);
}

// Removes the file and SQLite's companions of it, ignoring what is not there.
void RemoveDatabaseFiles(const std::string& path) {
    std::error_code ignored;
    for (const char* suffix : {"", "-journal", "-wal", "-shm"}) std::filesystem::remove(path + suffix, ignored);
}

// A checked single-file copy of `source` at `out_path` (see BackupSqliteDatabase).
BackupSummary WriteCheckedCopy(sqlite3* source, const std::string& source_name, const std::string& out_path) {
    if (std::filesystem::exists(out_path)) {
        throw BackupError(out_path + " exists; choose another name, or remove it first");
    }
    const std::string temporary = out_path + ".partial";
    RemoveDatabaseFiles(temporary);  // a copy an earlier, interrupted backup left
    try {
        PrepareDatabaseFiles(temporary);  // 0600, in a 0700 directory when it is created
    } catch (const std::exception& e) {
        throw BackupError(std::string("cannot create the backup file: ") + e.what());
    }
    BackupSummary summary;
    try {
        {
            Db copy = Open(temporary, SQLITE_OPEN_READWRITE, "backup file");
            CopyDatabase(source, copy.get(), "copying " + source_name + " to " + temporary);
            // One self-contained file: a WAL-mode copy would need its -wal beside it.
            QueryText(copy.get(), "PRAGMA journal_mode = DELETE", "backup file: journal mode");
            summary = CheckNotifyDatabase(copy.get(), temporary);
        }
        SyncFile(temporary);
        std::filesystem::rename(temporary, out_path);
        SyncDirectoryOf(out_path);
    } catch (...) {
        RemoveDatabaseFiles(temporary);
        throw;
    }
    return summary;
}

}  // namespace

BackupSummary BackupSqliteDatabase(const std::string& database_path, const std::string& out_path) {
    if (!std::filesystem::exists(database_path)) throw BackupError("no database at " + database_path);
    Db source = Open(database_path, SQLITE_OPEN_READONLY, "database");
    // Only the tables here: the copy gets the full check, and reading every page of the live
    // database first would double the time a large backup takes.
    CheckNotifyTables(source.get(), database_path);
    return WriteCheckedCopy(source.get(), database_path, out_path);
}

RestoreSummary RestoreSqliteDatabase(const std::string& backup_path, const std::string& database_path, TimeMs now) {
    if (!std::filesystem::exists(backup_path)) throw BackupError("no backup at " + backup_path);
    Db backup = Open(backup_path, SQLITE_OPEN_READONLY, "backup");
    RestoreSummary summary;
    summary.restored = CheckNotifyDatabase(backup.get(), backup_path);

    if (std::filesystem::exists(database_path)) {
        // Kept first: a restore of the wrong file can be undone with another restore.
        std::string stamp = FormatIsoTime(now);
        for (char& c : stamp) c = c == ':' ? '-' : c;
        summary.previous_saved_as = database_path + ".before-restore-" + stamp;
        Db current = Open(database_path, SQLITE_OPEN_READONLY, "database");
        WriteCheckedCopy(current.get(), database_path, summary.previous_saved_as);
    }
    try {
        PrepareDatabaseFiles(database_path);
    } catch (const std::exception& e) {
        throw BackupError(std::string("cannot create the database file: ") + e.what());
    }
    Db target = Open(database_path, SQLITE_OPEN_READWRITE, "database");
    CopyDatabase(backup.get(), target.get(), "restoring " + backup_path + " into " + database_path);
    // The service runs the database in WAL mode; the copy took the backup's single-file mode.
    QueryText(target.get(), "PRAGMA journal_mode = WAL", "database: journal mode");
    CheckNotifyTables(target.get(), database_path);  // the backup's pages were checked above
    return summary;
}

}  // namespace notify
