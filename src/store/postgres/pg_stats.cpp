// GET /statistics for the PostgreSQL store: the same counting as the SQLite store's (sqlite_stats.cpp)
// over the same counter tables: whole days, whole hours, and the partial hours at a range's ends
// from the log's created_at index, in one snapshot.

#include <algorithm>
#include <string>
#include <vector>

#include "notify/counters.h"
#include "store/postgres/pg_connection.h"
#include "store/postgres/pg_store.h"

namespace notify {
namespace {

constexpr TimeMs kStatsHourMs = 3'600'000;
constexpr TimeMs kStatsDayMs = 24 * kStatsHourMs;
constexpr TimeMs kStatsEnd = 253'402'300'800'000;  // the year 10000, a whole number of days

constexpr const char* kStatsFromLog =
    "SELECT message_type, status, COUNT(*) FROM notifications_log"
    " WHERE created_at >= $1 AND created_at < $2 GROUP BY message_type, status";
constexpr const char* kStatsHourly =
    "SELECT message_type, status, count FROM stats_hourly WHERE hour >= $1 AND hour < $2";
constexpr const char* kStatsDaily = "SELECT message_type, status, count FROM stats_daily WHERE day >= $1 AND day < $2";
constexpr const char* kStatsTotal = "SELECT message_type, status, count FROM stats_total";
constexpr const char* kStatsDays = "SELECT (SELECT MIN(day) FROM stats_daily), (SELECT MAX(day) FROM stats_daily)";

// A range cut into pieces from the coarsest counters that fit; a piece covering most of its bucket
// is counted as the bucket less the rest of it (see sqlite_stats.cpp).
class StatsRange {
public:
    StatsRange(PgConnection& connection, std::string_view operation) : connection_(connection), operation_(operation) {}

    void Add(TimeMs from, TimeMs to, int sign) { Span(kDayLevel, from, to, sign); }

    void AddAll(int sign) { AddRows(connection_.Run(kStatsTotal, operation_), sign); }

    Statistics Result() const {
        Statistics stats;
        for (const Entry& entry : entries_) {
            if (entry.count == 0) continue;
            const auto status = ParseMessageStatus(entry.status);
            if (!status) ThrowPgUnavailable(operation_, "unknown status '" + entry.status + "' in the counters");
            AddToStatusCounts(stats.by_type[entry.type], *status, entry.count);
            AddToStatusCounts(stats.all, *status, entry.count);
        }
        std::erase_if(stats.by_type, [](const auto& item) { return item.second.total == 0; });
        return stats;
    }

private:
    static constexpr int kLogLevel = 0;
    static constexpr int kHourLevel = 1;
    static constexpr int kDayLevel = 2;
    static constexpr TimeMs kUnit[] = {1, kStatsHourMs, kStatsDayMs};

    struct Entry {
        std::string type;
        std::string status;
        std::int64_t count;
    };

    void Span(int level, TimeMs from, TimeMs to, int sign) {
        if (from >= to) return;
        if (level == kLogLevel) {
            AddRows(connection_.Run(kStatsFromLog, PgParams().Int(from).Int(to), operation_), sign);
            return;
        }
        const TimeMs unit = kUnit[level];
        const TimeMs first = (from + unit - 1) / unit;
        const TimeMs end = to / unit;
        if (first > end) {
            Piece(level, from, to, sign);
            return;
        }
        Piece(level, from, first * unit, sign);
        Buckets(level, first, end, sign);
        Piece(level, end * unit, to, sign);
    }

    void Piece(int level, TimeMs from, TimeMs to, int sign) {
        if (from >= to) return;
        const TimeMs unit = kUnit[level];
        if (2 * (to - from) <= unit) {
            Span(level - 1, from, to, sign);
            return;
        }
        const TimeMs bucket = from / unit;
        Buckets(level, bucket, bucket + 1, sign);
        Span(level - 1, bucket * unit, from, -sign);
        Span(level - 1, to, (bucket + 1) * unit, -sign);
    }

    void Buckets(int level, TimeMs first, TimeMs end, int sign) {
        if (first >= end) return;
        AddRows(connection_.Run(level == kHourLevel ? kStatsHourly : kStatsDaily, PgParams().Int(first).Int(end),
                                operation_),
                sign);
    }

    void AddRows(const PgResult& rows, int sign) {
        for (int i = 0; i < rows.Rows(); ++i) {
            const std::string_view type = rows.View(i, 0);
            const std::string_view status = rows.View(i, 1);
            const std::int64_t n = sign * rows.Int(i, 2);
            auto it = std::find_if(entries_.begin(), entries_.end(),
                                   [&](const Entry& e) { return e.status == status && e.type == type; });
            if (it != entries_.end()) {
                it->count += n;
            } else {
                entries_.push_back(Entry{std::string(type), std::string(status), n});
            }
        }
    }

    PgConnection& connection_;
    std::string_view operation_;
    std::vector<Entry> entries_;
};

}  // namespace

Statistics PostgresStore::Stats(const StatsQuery& query) {
    constexpr const char* kOperation = "read statistics";
    const TimeMs since = std::clamp<TimeMs>(query.since.value_or(0), 0, kStatsEnd);
    const TimeMs until = std::clamp<TimeMs>(query.until.value_or(kStatsEnd), 0, kStatsEnd);
    if (since >= until) return {};
    return PgSnapshot(*pool_, kOperation, [&](PgConnection& c) {
        TimeMs first_day = 0;
        TimeMs last_day = 0;
        {
            const PgResult days = c.Run(kStatsDays, kOperation);
            if (days.Rows() == 0 || days.IsNull(0, 0)) return Statistics{};  // no message at all
            first_day = days.Int(0, 0);
            last_day = days.Int(0, 1);
        }
        const auto days_with_data = [&](TimeMs from_day, TimeMs to_day) {
            return std::max<TimeMs>(0, std::min(to_day, last_day + 1) - std::max(from_day, first_day));
        };
        const TimeMs inside = days_with_data(since / kStatsDayMs, (until + kStatsDayMs - 1) / kStatsDayMs);
        const TimeMs outside = days_with_data(0, (since + kStatsDayMs - 1) / kStatsDayMs) +
                               days_with_data(until / kStatsDayMs, kStatsEnd / kStatsDayMs);
        StatsRange range(c, kOperation);
        if (outside < inside) {
            range.AddAll(1);
            range.Add(0, since, -1);
            range.Add(until, kStatsEnd, -1);
        } else {
            range.Add(since, until, 1);
        }
        return range.Result();
    });
}

}  // namespace notify
