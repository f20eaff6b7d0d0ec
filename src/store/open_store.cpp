#include <algorithm>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "store/postgres/pg_store.h"
#include "store/sqlite/sqlite_store.h"
#include "store/store.h"

namespace notify {

std::optional<std::string> SqlitePathOf(const std::string& database_url) {
    const std::string_view url = database_url;
    if (url.starts_with("postgresql://") || url.starts_with("postgres://")) return std::nullopt;
    if (url.starts_with("sqlite:")) {
        std::string_view path = url.substr(std::string_view("sqlite:").size());
        // "sqlite://data/x.db" is data/x.db and "sqlite:///var/x.db" is /var/x.db.
        if (path.starts_with("//")) path.remove_prefix(2);
        if (path.empty()) {
            throw std::invalid_argument("DATABASE_URL: sqlite: needs a file path, e.g. sqlite:data/notifications.db");
        }
        // Each pooled connection would get its own empty database.
        if (path == ":memory:") {
            throw std::invalid_argument("DATABASE_URL: an in-memory SQLite database is not supported; use sqlite:PATH");
        }
        return std::string(path);
    }
    if (url.empty()) throw std::invalid_argument("DATABASE_URL is empty; use sqlite:PATH or postgresql://...");
    // Only the scheme is named: the rest of a URL may hold a password.
    const std::string_view scheme = url.substr(0, std::min(url.find(':'), std::size_t{20}));
    throw std::invalid_argument("DATABASE_URL: expected sqlite:PATH or postgresql://..., got a URL starting with '" +
                                std::string(scheme) + "'");
}

std::unique_ptr<Store> OpenStore(const std::string& database_url) {
    const std::optional<std::string> path = SqlitePathOf(database_url);
    if (!path) return std::make_unique<PostgresStore>(database_url);  // postgresql:// or postgres://
    return std::make_unique<SqliteStore>(*path);
}

}  // namespace notify
