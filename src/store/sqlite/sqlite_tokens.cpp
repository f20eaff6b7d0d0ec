// SqliteStore's token management: `notifyd token list` / `token revoke`, and last-used times.
// Each runs as one job of the group commit (see sqlite_store.h) with its own statement; none of
// them is on the path of an ordinary request.
#include <sqlite3.h>

#include <optional>
#include <string>
#include <string_view>

#include "common/errors.h"
#include "store/sqlite/sqlite_store.h"

namespace notify {
namespace {

constexpr const char* kListTokens =
    "SELECT name, role, token_hash, created_at, expires_at, last_used_at FROM api_tokens ORDER BY created_at, id";
constexpr const char* kDeleteTokensNamed = "DELETE FROM api_tokens WHERE name = ?1";
// Never moves last_used_at backwards (two nodes, or two requests, recording at once).
constexpr const char* kRecordTokenUse =
    "UPDATE api_tokens SET last_used_at = ?2 WHERE token_hash = ?1 AND (last_used_at IS NULL OR last_used_at < ?2)";

// One prepared statement, finalized when it goes out of scope. These run rarely: not cached.
class TokenStatement {
public:
    TokenStatement(sqlite3* db, const char* sql, std::string operation) : db_(db), operation_(std::move(operation)) {
        if (sqlite3_prepare_v2(db_, sql, -1, &stmt_, nullptr) != SQLITE_OK) Fail();
    }
    ~TokenStatement() { sqlite3_finalize(stmt_); }
    TokenStatement(const TokenStatement&) = delete;
    TokenStatement& operator=(const TokenStatement&) = delete;

    void BindText(int index, std::string_view value) {
        const char* data = value.data() != nullptr ? value.data() : "";
        if (sqlite3_bind_text(stmt_, index, data, static_cast<int>(value.size()), SQLITE_TRANSIENT) != SQLITE_OK) {
            Fail();
        }
    }
    void BindInt(int index, std::int64_t value) {
        if (sqlite3_bind_int64(stmt_, index, value) != SQLITE_OK) Fail();
    }
    // True while there is a row.
    bool Step() {
        const int rc = sqlite3_step(stmt_);
        if (rc == SQLITE_ROW) return true;
        if (rc != SQLITE_DONE) Fail();
        return false;
    }
    std::string Text(int column) const {
        const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
        return text != nullptr ? std::string(text, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, column)))
                               : std::string();
    }
    std::int64_t Int(int column) const { return sqlite3_column_int64(stmt_, column); }
    std::optional<std::int64_t> OptInt(int column) const {
        if (sqlite3_column_type(stmt_, column) == SQLITE_NULL) return std::nullopt;
        return Int(column);
    }

private:
    [[noreturn]] void Fail() { throw StoreUnavailable(operation_ + ": " + sqlite3_errmsg(db_)); }

    sqlite3* db_;
    std::string operation_;
    sqlite3_stmt* stmt_ = nullptr;
};

}  // namespace

std::vector<ApiToken> SqliteStore::ListTokens() {
    std::vector<ApiToken> tokens;
    // A read, but a rare one (the CLI): the write group gives it a connection without reaching
    // into the reader pool from here.
    auto body = [&](SqliteConnection& c) {
        TokenStatement select(HandleOf(c), kListTokens, "list tokens in " + path_);
        while (select.Step()) {
            ApiToken token;
            token.name = select.Text(0);
            const std::string role = select.Text(1);
            const auto parsed = ParseRole(role);
            if (!parsed) throw StoreUnavailable("list tokens in " + path_ + ": unknown role '" + role + "'");
            token.role = *parsed;
            token.token_hash = select.Text(2);
            token.created_at = select.Int(3);
            token.expires_at = select.OptInt(4);
            token.last_used_at = select.OptInt(5);
            tokens.push_back(std::move(token));
        }
    };
    WriteJob job("list tokens", body);
    RunInGroup(job);
    return tokens;
}

int SqliteStore::RevokeTokens(std::string_view name) {
    int revoked = 0;
    auto body = [&](SqliteConnection& c) {
        sqlite3* db = HandleOf(c);
        TokenStatement remove(db, kDeleteTokensNamed, "revoke token in " + path_);
        remove.BindText(1, name);
        remove.Step();
        revoked = sqlite3_changes(db);
    };
    WriteJob job("revoke token", body);
    RunInGroup(job);
    return revoked;
}

void SqliteStore::RecordTokenUse(std::string_view token_hash, TimeMs at) {
    auto body = [&](SqliteConnection& c) {
        TokenStatement update(HandleOf(c), kRecordTokenUse, "record token use in " + path_);
        update.BindText(1, token_hash);
        update.BindInt(2, at);
        update.Step();
    };
    WriteJob job("record token use", body);
    RunInGroup(job);
}

}  // namespace notify
