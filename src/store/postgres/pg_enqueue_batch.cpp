// PgEnqueueMany: EnqueueBatch's items in a few set-based statements instead of three or four round
// trips per item (store.h's EnqueueBatch; the rules are PgEnqueueOne's).

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "common/errors.h"
#include "notify/counters.h"
#include "store/postgres/pg_rows.h"

namespace notify {
namespace {

// Each parameter is an array literal, one element per item; the casts are the types the single
// insert's parameters get from their columns. Seq follows the input: ORDER BY the ordinality makes
// the rows reach the insert in input order, and the identity's nextval is computed for each row as
// it does (EXPLAIN VERBOSE: nextval in the Subquery Scan above the ordered Function Scan).
// PgEnqueueMany checks the seq it gets back all the same.
const std::string kInsertMessages =
    std::string("INSERT INTO notifications_log (") + kPgMessageInsertColumns + ") SELECT " + kPgMessageInsertColumns +
    " FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::jsonb[], $7::text[], $8::text[],"
    " $9::text[], $10::integer[], $11::text[], $12::text[], $13::bigint[], $14::bigint[], $15::bigint[],"
    " $16::bigint[], $17::bigint[], $18::bigint[], $19::text[])"
    " WITH ORDINALITY AS u (" +
    kPgMessageInsertColumns +
    ", position) ORDER BY u.position"
    " ON CONFLICT (idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING RETURNING id, seq";
constexpr const char* kInsertQueueEntries =
    "INSERT INTO notifications_queue (message_id, next_attempt_at, lease_owner, lease_expires_at, enqueued_at)"
    " SELECT u.id, $2, NULL, NULL, u.enqueued_at FROM unnest($1::text[], $3::bigint[]) AS u (id, enqueued_at)";
constexpr const char* kSelectOptedOut = "SELECT phone FROM opt_outs WHERE phone = ANY($1::text[]) AND opted_out";
const std::string kSelectMessagesByKeys = std::string("SELECT ") + kPgMessageColumns +
                                          " FROM notifications_log AS l LEFT JOIN notifications_queue AS q"
                                          " ON q.message_id = l.id WHERE l.idempotency_key = ANY($1::text[])";

using PgValues = std::vector<std::optional<std::string>>;

// What PostgreSQL receives of a value: libpq sends a parameter up to its first NUL byte, and so the
// single-message path stores (and compares) the text before it. Kept so that both paths agree.
std::string_view AsSent(std::string_view value) { return value.substr(0, value.find('\0')); }

// The values as one text[] array literal ({"a","b\"c",NULL}); each element quoted.
std::string TextArray(const PgValues& values) {
    std::string literal = "{";
    for (const std::optional<std::string>& value : values) {
        if (literal.size() > 1) literal += ',';
        if (!value) {
            literal += "NULL";
            continue;
        }
        literal += '"';
        for (const char ch : AsSent(*value)) {
            if (ch == '"' || ch == '\\') literal += '\\';
            literal += ch;
        }
        literal += '"';
    }
    literal += '}';
    return literal;
}

}  // namespace

std::vector<EnqueueResult> PgEnqueueMany(PgConnection& c, const std::vector<Message>& messages, TimeMs next_attempt_at,
                                         std::string_view operation) {
    const std::size_t count = messages.size();
    if (count == 0) return {};

    // A key repeated within the batch: only its first item is inserted; the later ones get the message
    // that holds the key afterwards, as each would from its own (ignored) insert one by one.
    std::vector<bool> repeated(count, false);
    {
        std::unordered_set<std::string_view> keys;
        for (std::size_t i = 0; i < count; ++i) {
            const auto& key = messages[i].idempotency_key;
            if (key) repeated[i] = !keys.insert(AsSent(*key)).second;
        }
    }

    // One opt-out read for the numbers of the items that would be queued, in this transaction.
    std::unordered_set<std::string> opted_out;
    {
        PgValues phones;
        std::unordered_set<std::string_view> asked;
        for (std::size_t i = 0; i < count; ++i) {
            if (repeated[i] || !NeedsQueueEntry(messages[i].status)) continue;
            if (asked.insert(AsSent(messages[i].phone)).second) phones.emplace_back(messages[i].phone);
        }
        if (!phones.empty()) {
            const PgResult r = c.Run(kSelectOptedOut, PgParams().Text(TextArray(phones)), operation);
            for (int row = 0; row < r.Rows(); ++row) opted_out.insert(r.Text(row, 0));
        }
    }

    // Each item decided as PgEnqueueOne decides it; the rows to insert, column by column.
    std::vector<Message> stored(count);
    std::vector<EnqueueDecision> decisions(count);
    std::vector<PgValues> columns;
    for (std::size_t i = 0; i < count; ++i) {
        if (repeated[i]) continue;
        stored[i] = messages[i];
        const bool phone_opted_out =
            NeedsQueueEntry(stored[i].status) && opted_out.contains(std::string(AsSent(stored[i].phone)));
        decisions[i] = PgDecideStored(stored[i], phone_opted_out, false);
        PgValues row = PgMessageRow(stored[i]);
        columns.resize(row.size());
        for (std::size_t column = 0; column < row.size(); ++column) columns[column].push_back(std::move(row[column]));
    }
    std::unordered_map<std::string, std::int64_t> seq_by_id;
    {
        PgParams params;
        for (const PgValues& column : columns) params.Text(TextArray(column));
        const PgResult r = c.Run(kInsertMessages.c_str(), params, operation);
        for (int row = 0; row < r.Rows(); ++row) seq_by_id.emplace(r.Text(row, 0), r.Int(row, 1));
    }

    // The items inserted, in input order: seq, queue entry, counters.
    std::vector<bool> created(count, false);
    PgValues queue_ids;
    PgValues queue_enqueued_at;
    std::int64_t last_seq = 0;
    for (std::size_t i = 0; i < count; ++i) {
        if (repeated[i]) continue;
        const auto seq = seq_by_id.find(std::string(AsSent(stored[i].id)));
        if (seq == seq_by_id.end()) continue;  // its key is held by a message stored before
        if (seq->second <= last_seq) ThrowPgUnavailable(operation, "inserted messages got seq out of input order");
        last_seq = seq->second;
        created[i] = true;
        stored[i].seq = seq->second;
        if (decisions[i].queue_entry) {
            queue_ids.emplace_back(stored[i].id);
            queue_enqueued_at.emplace_back(std::to_string(stored[i].created_at));
            stored[i].next_attempt_at = next_attempt_at;
        }
        c.AddCounters(CounterChangesForInsert(stored[i].created_at, stored[i].message_type, stored[i].status));
    }
    if (!queue_ids.empty()) {
        c.Run(kInsertQueueEntries,
              PgParams().Text(TextArray(queue_ids)).Int(next_attempt_at).Text(TextArray(queue_enqueued_at)), operation);
    }

    // The items not inserted get the message holding their key (stored before, or by an earlier item).
    std::unordered_map<std::string, Message> by_key;
    {
        PgValues keys;
        std::unordered_set<std::string_view> asked;
        for (std::size_t i = 0; i < count; ++i) {
            const auto& key = messages[i].idempotency_key;
            if (!created[i] && key && asked.insert(AsSent(*key)).second) keys.emplace_back(*key);
        }
        if (!keys.empty()) {
            const PgResult r = c.Run(kSelectMessagesByKeys.c_str(), PgParams().Text(TextArray(keys)), operation);
            for (int row = 0; row < r.Rows(); ++row) {
                Message first = PgReadMessage(r, row);
                std::string key = first.idempotency_key.value_or("");
                by_key.emplace(std::move(key), std::move(first));
            }
        }
    }

    std::vector<EnqueueResult> results;
    results.reserve(count);
    for (std::size_t i = 0; i < count; ++i) {
        if (created[i]) {
            results.push_back(EnqueueResult{std::move(stored[i]), true});
            continue;
        }
        const auto& key = messages[i].idempotency_key;
        const auto first = key ? by_key.find(std::string(AsSent(*key))) : by_key.end();
        if (first == by_key.end()) {
            ThrowPgUnavailable(operation, "insert ignored but no message holds its idempotency key");
        }
        results.push_back(EnqueueResult{first->second, false});
    }
    return results;
}

}  // namespace notify
