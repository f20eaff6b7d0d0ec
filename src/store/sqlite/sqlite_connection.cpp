#include "store/sqlite/sqlite_connection.h"

#include "common/errors.h"

namespace notify {
namespace {

constexpr int kBusyTimeoutMs = 5000;

}  // namespace

[[noreturn]] void ThrowUnavailable(std::string_view operation, std::string_view detail) {
    std::string message = "store: ";
    message += operation;
    message += ": ";
    message += detail;
    throw StoreUnavailable(message);
}

[[noreturn]] void ThrowSqliteError(std::string_view operation, sqlite3* db) {
    ThrowUnavailable(operation, db != nullptr ? sqlite3_errmsg(db) : "out of memory");
}

SqliteConnection::SqliteConnection(const std::string& path, bool writer) {
    const std::string operation = "open database " + path;
    const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | (writer ? SQLITE_OPEN_CREATE : 0);
    const int rc = sqlite3_open_v2(path.c_str(), &db_, flags, nullptr);
    if (rc != SQLITE_OK) {
        const std::string detail = db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
        sqlite3_close(db_);
        ThrowUnavailable(operation, detail);
    }
    sqlite3_extended_result_codes(db_, 1);
    sqlite3_busy_timeout(db_, kBusyTimeoutMs);
    try {
        Exec(writer ? kWriterPragmas : kReaderPragmas, operation);
    } catch (...) {
        sqlite3_close(db_);
        throw;
    }
}

SqliteConnection::~SqliteConnection() {
    for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
    sqlite3_close(db_);
}

sqlite3_stmt* SqliteConnection::Prepare(std::string_view sql, std::string_view operation) {
    if (auto it = statements_.find(sql); it != statements_.end()) return it->second;
    std::string key(sql);
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v3(db_, key.c_str(), static_cast<int>(key.size()), SQLITE_PREPARE_PERSISTENT, &stmt, nullptr) !=
        SQLITE_OK) {
        ThrowSqliteError(operation, db_);
    }
    statements_.emplace(std::move(key), stmt);
    return stmt;
}

void SqliteConnection::Exec(const char* sql, std::string_view operation) {
    char* error = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &error) != SQLITE_OK) {
        const std::string detail = error != nullptr ? error : sqlite3_errmsg(db_);
        sqlite3_free(error);
        ThrowUnavailable(operation, detail);
    }
}

}  // namespace notify
