// GET /statistics for the SQLite store: a time range counted from the counter tables (all time,
// days, hours) and, for the partial hours at its ends, from the log's created_at index.

#include <algorithm>
#include <string>
#include <vector>

#include "notify/counters.h"
#include "store/sqlite/sqlite_store_internal.h"

namespace notify {
namespace {

// Statistics buckets (UTC hours and days since the epoch) and the end of time for a range: the
// year 10000, a whole number of days.
constexpr TimeMs kStatsHourMs = 3'600'000;
constexpr TimeMs kStatsDayMs = 24 * kStatsHourMs;
constexpr TimeMs kStatsEnd = 253'402'300'800'000;

}  // namespace

namespace {

// counter rows and index counts. The range is cut into pieces from the coarsest counters that fit
// (whole days, then whole hours, then milliseconds from the index). A piece that covers most of
// its bucket is counted as the bucket less the rest of it, so that no piece reads more than half
// a bucket of the finer level.
class StatsRange {
public:
    StatsRange(SqliteConnection& connection, std::string_view operation)
        : connection_(connection), operation_(operation) {}

    // Adds sign x the messages created in [from, to); 0 <= from, to <= kStatsEnd.
    void Add(TimeMs from, TimeMs to, int sign) { Span(kDayLevel, from, to, sign); }

    // Adds sign x every message ever stored.
    void AddAll(int sign) {
        Statement select(connection_, kStatsTotal, operation_);
        AddRows(select, sign);
    }

    Statistics Result() const {
        Statistics stats;
        for (const Entry& entry : entries_) {
            if (entry.count == 0) continue;
            const auto status = ParseMessageStatus(entry.status);
            if (!status) ThrowUnavailable(operation_, "unknown status '" + entry.status + "' in the counters");
            AddToStatusCounts(stats.by_type[entry.type], *status, entry.count);
            AddToStatusCounts(stats.all, *status, entry.count);
        }
        // Counters of buckets whose messages all changed status can sit at zero.
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

    // [from, to) where both are multiples of the unit of the level below.
    void Span(int level, TimeMs from, TimeMs to, int sign) {
        if (from >= to) return;
        if (level == kLogLevel) {
            Log(from, to, sign);
            return;
        }
        const TimeMs unit = kUnit[level];
        const TimeMs first = (from + unit - 1) / unit;  // first whole bucket inside
        const TimeMs end = to / unit;                   // whole buckets end here
        // Both ends inside the same bucket.
        if (first > end) {
            Piece(level, from, to, sign);
            return;
        }
        Piece(level, from, first * unit, sign);
        Buckets(level, first, end, sign);
        Piece(level, end * unit, to, sign);
    }

    // [from, to) inside one bucket of the level.
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
        Statement select(connection_, level == kHourLevel ? kStatsHourly : kStatsDaily, operation_);
        select.BindInt(1, first);
        select.BindInt(2, end);
        AddRows(select, sign);
    }

    void Log(TimeMs from, TimeMs to, int sign) {
        Statement select(connection_, kStatsFromLog, operation_);
        select.BindInt(1, from);
        select.BindInt(2, to);
        AddRows(select, sign);
    }

    // Rows of (message_type, status, count).
    void AddRows(Statement& select, int sign) {
        while (select.Step()) {
            const std::string_view type = select.View(0);
            const std::string_view status = select.View(1);
            const std::int64_t n = sign * select.Int(2);
            auto it = std::find_if(entries_.begin(), entries_.end(),
                                   [&](const Entry& e) { return e.status == status && e.type == type; });
            if (it != entries_.end()) {
                it->count += n;
            } else {
                entries_.push_back(Entry{std::string(type), std::string(status), n});
            }
        }
    }

    SqliteConnection& connection_;
    std::string_view operation_;
    std::vector<Entry> entries_;  // a few dozen at most: types x statuses
};

}  // namespace

Statistics SqliteStore::Stats(const StatsQuery& query) {
    constexpr const char* kOperation = "read statistics";
    // The range is clamped to [0, kStatsEnd): created_at is a time of this service's clock, after
    // 1970 and before the year 10000, so the clamped range holds the same messages.
    const TimeMs since = std::clamp<TimeMs>(query.since.value_or(0), 0, kStatsEnd);
    const TimeMs until = std::clamp<TimeMs>(query.until.value_or(kStatsEnd), 0, kStatsEnd);
    if (since >= until) return {};
    return Read([&](SqliteConnection& c) {
        ReadTransaction snapshot(c, kOperation);
        TimeMs first_day = 0;
        TimeMs last_day = 0;
        {
            Statement days(c, kStatsDays, kOperation);
            if (!days.Step() || days.IsNull(0)) return Statistics{};  // no message at all
            first_day = days.Int(0);
            last_day = days.Int(1);
        }
        // Days holding messages in [from_day, to_day): what counting those days would read.
        const auto days_with_data = [&](TimeMs from_day, TimeMs to_day) {
            return std::max<TimeMs>(0, std::min(to_day, last_day + 1) - std::max(from_day, first_day));
        };
        const TimeMs inside = days_with_data(since / kStatsDayMs, (until + kStatsDayMs - 1) / kStatsDayMs);
        const TimeMs outside = days_with_data(0, (since + kStatsDayMs - 1) / kStatsDayMs) +
                               days_with_data(until / kStatsDayMs, kStatsEnd / kStatsDayMs);
        StatsRange range(c, kOperation);
        if (outside < inside) {
            // Mostly everything (no since, until now or later): all time less what lies outside.
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
