#pragma once

// Values and helpers shared by the store contract suite and the SQLite-specific store tests.

#include <gtest/gtest.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "store/store.h"
#include "support/temp_dir.h"

namespace notify::store_test {

inline constexpr TimeMs kT0 = 1'700'000'000'000;
inline constexpr const char* kPhone1 = "+919876543210";
inline constexpr const char* kPhone2 = "+919812345678";

using test_support::TempDir;

inline Message MakeMessage(const std::string& id, TimeMs created_at, const std::string& type = "delivery_reminder",
                           const std::string& phone = kPhone1, MessageStatus status = MessageStatus::kQueued) {
    Message m;
    m.id = id;
    m.phone = phone;
    m.message_type = type;
    m.provider_template_name = type;
    m.language = "en";
    m.parameters = {"Asha", "Jan 28", "Indiranagar"};
    m.context_json = R"({"customer_name":"Asha","delivery_date":"Jan 28","area":"Indiranagar"})";
    m.status = status;
    m.created_at = created_at;
    m.updated_at = created_at;
    return m;
}

inline Attempt MakeAttempt(const std::string& id, int number, TimeMs started_at, AttemptOutcome outcome) {
    Attempt a;
    a.message_id = id;
    a.number = number;
    a.started_at = started_at;
    a.latency_ms = 42;
    a.outcome = outcome;
    a.http_status = outcome == AttemptOutcome::kAccepted ? 200 : 503;
    a.error = outcome == AttemptOutcome::kAccepted ? "" : "HTTP 503: upstream unavailable";
    a.provider_message_id = outcome == AttemptOutcome::kAccepted ? "wamid." + id : "";
    return a;
}

// A token as `token create` stores it, its hash 64 times `hash_digit`.
inline ApiToken Token(const std::string& name, Role role, char hash_digit, TimeMs created_at) {
    ApiToken token;
    token.name = name;
    token.role = role;
    token.token_hash = std::string(64, hash_digit);
    token.created_at = created_at;
    return token;
}

inline std::vector<std::string> Ids(const std::vector<Message>& messages) {
    std::vector<std::string> ids;
    for (const Message& m : messages) ids.push_back(m.id);
    return ids;
}

inline WebhookEventRecord Event(const std::string& id, TimeMs received_at,
                                const std::string& type = "message.delivered") {
    return WebhookEventRecord{id, type, received_at, std::nullopt};
}

inline StatusReport Report(MessageStatus status, TimeMs at, const std::string& provider_id = "wamid.m1") {
    return StatusReport{provider_id, status, at, {}};
}

// Counts per (type, status) of the messages created in [since, until), straight from the rows.
inline Statistics CountEveryMessage(const std::vector<Message>& messages, std::optional<TimeMs> since,
                                    std::optional<TimeMs> until) {
    Statistics stats;
    for (const Message& m : messages) {
        if ((since && m.created_at < *since) || (until && m.created_at >= *until)) continue;
        for (StatusCounts* c : {&stats.all, &stats.by_type[m.message_type]}) {
            ++c->total;
            c->queued += m.status == MessageStatus::kQueued || m.status == MessageStatus::kSending;
            c->sent += m.status == MessageStatus::kSent || m.status == MessageStatus::kDelivered ||
                       m.status == MessageStatus::kRead;
            c->delivered += m.status == MessageStatus::kDelivered || m.status == MessageStatus::kRead;
            c->read += m.status == MessageStatus::kRead;
            c->failed += m.status == MessageStatus::kFailed;
            c->suppressed += m.status == MessageStatus::kSuppressed;
            c->skipped_rollout += m.status == MessageStatus::kSkippedRollout;
        }
    }
    return stats;
}

inline void ExpectSameCounts(const StatusCounts& got, const StatusCounts& expected, const std::string& where) {
    EXPECT_EQ(got.total, expected.total) << where;
    EXPECT_EQ(got.queued, expected.queued) << where;
    EXPECT_EQ(got.sent, expected.sent) << where;
    EXPECT_EQ(got.delivered, expected.delivered) << where;
    EXPECT_EQ(got.read, expected.read) << where;
    EXPECT_EQ(got.failed, expected.failed) << where;
    EXPECT_EQ(got.suppressed, expected.suppressed) << where;
    EXPECT_EQ(got.skipped_rollout, expected.skipped_rollout) << where;
}

}  // namespace notify::store_test
