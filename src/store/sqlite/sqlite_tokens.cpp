// SqliteStore's bearer tokens: created and looked up by hash (authentication), listed and revoked
// (`notifyd token list` / `token revoke`), and their last use recorded (at most once a minute per
// token, decided by the Authenticator).
#include <sqlite3.h>

#include <optional>
#include <string>
#include <string_view>

#include "store/sqlite/sqlite_store_internal.h"

namespace notify {
namespace {

// The columns of kSelectToken and kListTokens, in order.
ApiToken ReadToken(const Statement& row, std::string_view operation) {
    ApiToken token;
    token.name = row.Text(0);
    const std::string role = row.Text(1);
    const auto parsed = ParseRole(role);
    if (!parsed) ThrowUnavailable(std::string(operation), "unknown role '" + role + "'");
    token.role = *parsed;
    token.token_hash = row.Text(2);
    token.created_at = row.Int(3);
    token.expires_at = row.OptInt(4);
    token.last_used_at = row.OptInt(5);
    return token;
}

}  // namespace

void SqliteStore::InsertToken(const ApiToken& token) {
    Write("insert token", [&](SqliteConnection& c) {
        Statement insert(c, kInsertToken, "insert token");
        insert.BindText(1, token.name);
        insert.BindText(2, ToString(token.role));
        insert.BindText(3, token.token_hash);
        insert.BindInt(4, token.created_at);
        insert.BindOptInt(5, token.expires_at);
        insert.Run();
    });
}

std::optional<ApiToken> SqliteStore::FindTokenByHash(std::string_view token_hash) {
    return Read([&](SqliteConnection& c) -> std::optional<ApiToken> {
        Statement select(c, kSelectToken, "find token");
        select.BindText(1, token_hash);
        if (!select.Step()) return std::nullopt;
        return ReadToken(select, "find token");
    });
}

std::vector<ApiToken> SqliteStore::ListTokens() {
    return Read([&](SqliteConnection& c) {
        std::vector<ApiToken> tokens;
        Statement select(c, kListTokens, "list tokens");
        while (select.Step()) tokens.push_back(ReadToken(select, "list tokens"));
        return tokens;
    });
}

int SqliteStore::RevokeTokens(std::string_view name) {
    return Write("revoke token", [&](SqliteConnection& c) {
        Statement remove(c, kDeleteTokensNamed, "revoke token");
        remove.BindText(1, name);
        remove.Run();
        return sqlite3_changes(c.db());
    });
}

void SqliteStore::RecordTokenUse(std::string_view token_hash, TimeMs at) {
    Write("record token use", [&](SqliteConnection& c) {
        Statement update(c, kRecordTokenUse, "record token use");
        update.BindText(1, token_hash);
        update.BindInt(2, at);
        update.Run();
    });
}

}  // namespace notify
