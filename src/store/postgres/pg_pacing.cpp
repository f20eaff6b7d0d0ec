// The shared pacing of provider calls (PacingStore) in the PostgreSQL database: one locked row for
// the bucket, Retry-After and hold, and a compare-and-set per recipient for the gap.

#include "store/postgres/pg_connection.h"
#include "store/postgres/pg_store.h"

namespace notify {
namespace {

constexpr const char* kPgSelectPacing =
    "SELECT bucket_units, bucket_refilled_at, throttled_until, fault_error, fault_since, next_probe_at"
    " FROM send_pacing WHERE id = 1";
constexpr const char* kPgSelectPacingForUpdate =
    "SELECT bucket_units, bucket_refilled_at, throttled_until, fault_error, fault_since, next_probe_at"
    " FROM send_pacing WHERE id = 1 FOR UPDATE";
constexpr const char* kPgUpdatePacing =
    "UPDATE send_pacing SET bucket_units = $1, bucket_refilled_at = $2, throttled_until = $3, fault_error = $4,"
    " fault_since = $5, next_probe_at = $6 WHERE id = 1";
// Takes the phone's slot when its last send is at least the gap ago (or never); otherwise no row.
constexpr const char* kPgReserveRecipient =
    "INSERT INTO recipient_last_sends AS r (phone, sent_at) VALUES ($1, $2)"
    " ON CONFLICT (phone) DO UPDATE SET sent_at = EXCLUDED.sent_at WHERE r.sent_at + $3 <= EXCLUDED.sent_at"
    " RETURNING sent_at";
constexpr const char* kPgSelectRecipientLastSend = "SELECT sent_at FROM recipient_last_sends WHERE phone = $1";
constexpr const char* kPgReleaseRecipient = "DELETE FROM recipient_last_sends WHERE phone = $1 AND sent_at = $2";
constexpr const char* kPgForgetRecipients = "DELETE FROM recipient_last_sends WHERE sent_at < $1";

PacingState PacingFromRow(const PgResult& r) {
    PacingState state;
    if (r.Rows() == 0) return state;  // the migration inserts the row; a missing one is a fresh state
    state.bucket_units = r.Int(0, 0);
    state.bucket_refilled_at = r.Int(0, 1);
    state.throttled_until = r.Int(0, 2);
    state.fault_error = r.OptText(0, 3);
    state.fault_since = r.Int(0, 4);
    state.next_probe_at = r.Int(0, 5);
    return state;
}

}  // namespace

PacingState PostgresPacingStore::ReadPacing() {
    return PgRead(pool_, [&](PgConnection& c) { return PacingFromRow(c.Run(kPgSelectPacing, "read pacing")); });
}

void PostgresPacingStore::UpdatePacing(const std::function<void(PacingState&)>& decide) {
    constexpr std::string_view kOperation = "update pacing";
    PgWrite(pool_, kOperation, [&](PgConnection& c) {
        PacingState state = PacingFromRow(c.Run(kPgSelectPacingForUpdate, kOperation));
        decide(state);
        c.Run(kPgUpdatePacing,
              PgParams()
                  .Int(state.bucket_units)
                  .Int(state.bucket_refilled_at)
                  .Int(state.throttled_until)
                  .OptText(state.fault_error)
                  .Int(state.fault_since)
                  .Int(state.next_probe_at),
              kOperation);
    });
}

std::optional<TimeMs> PostgresPacingStore::ReserveRecipient(std::string_view phone, TimeMs now, TimeMs gap_ms) {
    return PgRead(pool_, [&](PgConnection& c) -> std::optional<TimeMs> {
        const PgParams params = PgParams().Text(phone).Int(now).Int(gap_ms);
        if (c.Run(kPgReserveRecipient, params, "reserve recipient").Rows() > 0) return std::nullopt;
        const PgResult last = c.Run(kPgSelectRecipientLastSend, PgParams().Text(phone), "reserve recipient");
        // Released between the two statements: the gap is over; the next try takes it.
        if (last.Rows() == 0) return now;
        return last.Int(0, 0) + gap_ms;
    });
}

void PostgresPacingStore::ReleaseRecipient(std::string_view phone, TimeMs reserved_at) {
    PgRead(pool_, [&](PgConnection& c) {
        return c.Run(kPgReleaseRecipient, PgParams().Text(phone).Int(reserved_at), "release recipient").Rows();
    });
}

void PostgresPacingStore::ForgetRecipientsBefore(TimeMs cutoff) {
    PgRead(pool_, [&](PgConnection& c) {
        return c.Run(kPgForgetRecipients, PgParams().Int(cutoff), "forget recipients").Rows();
    });
}

}  // namespace notify
