#include "store/postgres/pg_connection.h"

#include <poll.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <tuple>

#include "common/errors.h"

namespace notify {

[[noreturn]] void ThrowPgUnavailable(std::string_view operation, const std::string& detail) {
    std::string message = "store: ";
    message += operation;
    message += ": ";
    message += detail;
    // libpq's messages end in a newline.
    while (!message.empty() && (message.back() == '\n' || message.back() == ' ')) message.pop_back();
    throw StoreUnavailable(message);
}

std::int64_t PgResult::Affected() const {
    const std::string_view text = PQcmdTuples(result_.get());
    std::int64_t n = 0;
    std::from_chars(text.data(), text.data() + text.size(), n);
    return n;
}

std::int64_t PgResult::Int(int row, int column) const {
    const std::string_view text = View(row, column);
    std::int64_t n = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (ec != std::errc() || end != text.data() + text.size()) {
        ThrowPgUnavailable("read row", "expected an integer, got '" + std::string(text) + "'");
    }
    return n;
}

PgConnection::PgConnection(const std::string& url, std::chrono::milliseconds connect_timeout,
                           std::chrono::milliseconds statement_timeout) {
    // Our defaults first, then the URL (expand_dbname): a parameter the URL names (sslmode,
    // connect_timeout, options, ...) wins, so TLS settings pass through unchanged.
    const std::string connect_seconds = std::to_string(std::max<std::int64_t>(1, connect_timeout.count() / 1000));
    const std::string options = "-c statement_timeout=" + std::to_string(statement_timeout.count()) +
                                " -c lock_timeout=" + std::to_string(statement_timeout.count());
    const char* keywords[] = {"connect_timeout", "options", "application_name", "dbname", nullptr};
    const char* values[] = {connect_seconds.c_str(), options.c_str(), "notifyd", url.c_str(), nullptr};
    conn_ = PQconnectdbParams(keywords, values, 1);
    if (conn_ == nullptr) ThrowPgUnavailable("connect to PostgreSQL", "out of memory");
    if (PQstatus(conn_) != CONNECTION_OK) {
        const std::string detail = PQerrorMessage(conn_);
        PQfinish(conn_);
        conn_ = nullptr;
        ThrowPgUnavailable("connect to PostgreSQL", detail);
    }
    // Notices (e.g. "relation already exists, skipping") are not for the log.
    PQsetNoticeProcessor(
        conn_, [](void*, const char*) {}, nullptr);
}

PgConnection::~PgConnection() {
    if (conn_ != nullptr) PQfinish(conn_);
}

bool PgConnection::Healthy() const { return conn_ != nullptr && PQstatus(conn_) == CONNECTION_OK; }

int PgConnection::WaitForNotifications(std::chrono::milliseconds timeout) {
    const int socket = PQsocket(conn_);
    if (socket < 0) ThrowPgUnavailable("listen", "the connection is closed");
    pollfd ready{socket, POLLIN, 0};
    const int polled = poll(&ready, 1, static_cast<int>(timeout.count()));
    if (polled < 0 && errno != EINTR) ThrowPgUnavailable("listen", std::strerror(errno));
    if (polled > 0 && PQconsumeInput(conn_) == 0) ThrowPgUnavailable("listen", PQerrorMessage(conn_));
    int count = 0;
    while (PGnotify* notification = PQnotifies(conn_)) {
        PQfreemem(notification);
        ++count;
    }
    return count;
}

PgResult PgConnection::Check(PGresult* raw, std::string_view operation) {
    PgResult result(raw);
    if (raw == nullptr) ThrowPgUnavailable(operation, PQerrorMessage(conn_));
    const ExecStatusType status = PQresultStatus(raw);
    if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return result;
    const char* sqlstate = PQresultErrorField(raw, PG_DIAG_SQLSTATE);
    const char* constraint = PQresultErrorField(raw, PG_DIAG_CONSTRAINT_NAME);
    std::string message = "store: ";
    message += operation;
    message += ": ";
    message += PQresultErrorMessage(raw);
    while (!message.empty() && message.back() == '\n') message.pop_back();
    // No SQLSTATE, or the connection is gone: the database cannot be used now.
    if (sqlstate == nullptr || !Healthy()) throw StoreUnavailable(message);
    // Class 08 (connection), 53 (resources), 57 (operator intervention: shutdown, statement timeout).
    const std::string_view state = sqlstate;
    if (state.starts_with("08") || state.starts_with("53") || state.starts_with("57")) throw StoreUnavailable(message);
    throw PgStatementError(message, sqlstate, constraint != nullptr ? constraint : "");
}

namespace {

struct RawParams {
    std::vector<const char*> values;
    explicit RawParams(const PgParams& params) {
        values.reserve(params.values().size());
        for (const auto& value : params.values()) values.push_back(value ? value->c_str() : nullptr);
    }
};

}  // namespace

PgResult PgConnection::Run(const char* sql, const PgParams& params, std::string_view operation) {
    const RawParams raw(params);
    const int n = static_cast<int>(raw.values.size());
    auto it = prepared_.find(sql);
    if (it == prepared_.end()) {
        const std::string name = "s" + std::to_string(prepared_.size() + 1);
        Check(PQprepare(conn_, name.c_str(), sql, 0, nullptr), operation);
        it = prepared_.emplace(sql, name).first;
    }
    return Check(PQexecPrepared(conn_, it->second.c_str(), n, raw.values.data(), nullptr, nullptr, 0), operation);
}

PgResult PgConnection::RunDynamic(const std::string& sql, const PgParams& params, std::string_view operation) {
    const RawParams raw(params);
    return Check(PQexecParams(conn_, sql.c_str(), static_cast<int>(raw.values.size()), nullptr, raw.values.data(),
                              nullptr, nullptr, 0),
                 operation);
}

void PgConnection::Exec(const char* sql, std::string_view operation) { Check(PQexec(conn_, sql), operation); }

PgPool::PgPool(std::string url, std::size_t max_size, std::chrono::milliseconds connect_timeout,
               std::chrono::milliseconds statement_timeout)
    : url_(std::move(url)),
      max_size_(std::max<std::size_t>(1, max_size)),
      connect_timeout_(connect_timeout),
      statement_timeout_(statement_timeout) {}

std::unique_ptr<PgConnection> PgPool::Connect() const {
    return std::make_unique<PgConnection>(url_, connect_timeout_, statement_timeout_);
}

std::unique_ptr<PgConnection> PgPool::Acquire() {
    {
        std::unique_lock lock(mutex_);
        const bool available =
            returned_.wait_for(lock, connect_timeout_, [&] { return !idle_.empty() || open_ < max_size_; });
        if (!available) ThrowPgUnavailable("acquire a connection", "every pooled connection is busy");
        if (!idle_.empty()) {
            auto connection = std::move(idle_.back());
            idle_.pop_back();
            return connection;
        }
        ++open_;  // reserved before connecting, outside the lock
    }
    try {
        return std::make_unique<PgConnection>(url_, connect_timeout_, statement_timeout_);
    } catch (...) {
        std::lock_guard lock(mutex_);
        --open_;
        returned_.notify_one();
        throw;
    }
}

void PgPool::Release(std::unique_ptr<PgConnection> connection) {
    std::lock_guard lock(mutex_);
    if (connection && connection->Healthy()) {
        idle_.push_back(std::move(connection));
    } else {
        --open_;  // broken (the server restarted): the next Acquire connects anew
    }
    returned_.notify_one();
}

namespace {

constexpr const char* kAddHourly =
    "INSERT INTO stats_hourly (hour, message_type, status, count) VALUES ($1, $2, $3, $4)"
    " ON CONFLICT (hour, message_type, status) DO UPDATE SET count = stats_hourly.count + excluded.count";
constexpr const char* kAddDaily =
    "INSERT INTO stats_daily (day, message_type, status, count) VALUES ($1, $2, $3, $4)"
    " ON CONFLICT (day, message_type, status) DO UPDATE SET count = stats_daily.count + excluded.count";
constexpr const char* kAddTotal =
    "INSERT INTO stats_total (message_type, status, count) VALUES ($1, $2, $3)"
    " ON CONFLICT (message_type, status) DO UPDATE SET count = stats_total.count + excluded.count";

}  // namespace

void FlushCounters(PgConnection& c, std::string_view operation) {
    if (c.counters().empty()) return;
    std::vector<CounterChange> changes = SumCounterChanges(c.counters());
    c.counters().clear();
    std::sort(changes.begin(), changes.end(), [](const CounterChange& a, const CounterChange& b) {
        return std::tie(a.key.grain, a.key.bucket, a.key.message_type, a.key.status) <
               std::tie(b.key.grain, b.key.bucket, b.key.message_type, b.key.status);
    });
    for (const CounterChange& change : changes) {
        const std::string_view status = ToString(change.key.status);
        switch (change.key.grain) {
            case CounterGrain::kHour:
                c.Run(kAddHourly,
                      PgParams().Int(change.key.bucket).Text(change.key.message_type).Text(status).Int(change.delta),
                      operation);
                break;
            case CounterGrain::kDay:
                c.Run(kAddDaily,
                      PgParams().Int(change.key.bucket).Text(change.key.message_type).Text(status).Int(change.delta),
                      operation);
                break;
            case CounterGrain::kTotal:
                c.Run(kAddTotal, PgParams().Text(change.key.message_type).Text(status).Int(change.delta), operation);
                break;
        }
    }
}

}  // namespace notify
