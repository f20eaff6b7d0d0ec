#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "metrics/exposition.h"
#include "notify/model.h"
#include "providers/provider.h"

namespace notify {

struct WebhookEvent;

namespace metrics {

// Request counts and durations by route pattern. Recorded on the I/O threads after every response:
// the durations are lock-free atomics per route; the counts by method and status take one short lock,
// for their label combinations are only known as they come.
class HttpMetrics {
public:
    static constexpr std::string_view kUnmatched = "unmatched";

    HttpMetrics();

    // The router's route patterns, by route index; once, before the server starts.
    void DeclareRoutes(std::vector<std::string> patterns);

    // route: the index of the route the request matched, nullopt (or unknown) for unmatched.
    void Record(std::optional<std::size_t> route, std::string_view method, int status, double seconds);

    void Render(TextWriter& out) const;

private:
    std::string_view RouteLabel(std::size_t series) const;

    std::vector<std::string> routes_;  // then "unmatched" at the end
    std::vector<std::unique_ptr<Histogram>> durations_;
    mutable std::mutex mutex_;  // guards requests_
    // (series, method label, status) -> count; bounded: routes x methods x statuses the server sends
    std::map<std::tuple<std::size_t, std::string_view, int>, std::uint64_t> requests_;
};

// The HTTP method as a label: the methods HTTP defines, "other" for anything a client made up.
std::string_view MethodLabel(std::string_view method);

// An event's type as a label: the MyOperator event types the service knows, "other" otherwise.
std::string_view WebhookEventLabel(const WebhookEvent& event);

// Messages by current status, each in exactly one (sent, delivered and read apart), so that a sum
// over statuses is the number of messages.
std::vector<std::pair<std::string_view, std::int64_t>> ExclusiveStatusCounts(const StatusCounts& counts);

// What is read at scrape time: cheap reads of the store's counters, and memory.
struct ServiceSnapshot {
    bool store_ok = false;  // false: the store-backed values below are absent
    std::optional<Statistics> messages;
    std::optional<std::int64_t> queue_depth;
    std::optional<TimeMs> next_due_at;
    std::optional<Settings> settings;
    bool processor_running = false;
    std::optional<TimeMs> processor_last_run_at;
    std::optional<TimeMs> processor_last_pass_ms;
    bool sending_held = false;       // after a provider fault that stops all sending
    bool sending_throttled = false;  // a provider's Retry-After is running
    std::string version;
    TimeMs started_at = 0;
    TimeMs now = 0;
};

// The labels of notifyd_webhook_events_total, in order.
inline constexpr std::array<std::string_view, 6> kWebhookEventLabels = {
    "message.sent", "message.delivered", "message.read", "message.failed", "message.received", "other"};

// The labels of notifyd_business_notifications_total: what became of a business event's message.
inline constexpr std::array<std::string_view, 7> kBusinessOutcomeLabels = {"queued",
                                                                           "held_quiet_hours",
                                                                           "skipped_rollout",
                                                                           "suppressed",
                                                                           "notifications_disabled",
                                                                           "template_disabled",
                                                                           "customer_not_opted_in"};
// The labels of notifyd_replies_total: what a customer's WhatsApp reply did.
inline constexpr std::array<std::string_view, 6> kReplyActionLabels = {"paused",   "resumed",   "opted_out",
                                                                       "opted_in", "help_sent", "kept"};

// The counters events move, shared by the handlers, the provider and the server; every Record /
// Count is safe from any thread.
class ServiceMetrics {
public:
    void RecordProviderCall(SendOutcome::Kind outcome, double seconds);
    void CountWebhookEvent(const WebhookEvent& event);
    // A label of kBusinessOutcomeLabels / kReplyActionLabels; anything else is a broken invariant.
    void CountBusinessNotification(std::string_view outcome);
    void CountReply(std::string_view action);

    // The families of these counters (provider, webhooks, HTTP).
    void Render(TextWriter& out) const;

    HttpMetrics http;

private:
    std::array<Counter, 3> provider_requests_;  // by SendOutcome::Kind
    Histogram provider_durations_{{0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}};
    std::array<Counter, kWebhookEventLabels.size()> webhook_events_;
    std::array<Counter, kBusinessOutcomeLabels.size()> business_notifications_;
    std::array<Counter, kReplyActionLabels.size()> replies_;
};

// The whole exposition: every family with HELP and TYPE, the same families whatever the snapshot.
std::string RenderMetrics(const ServiceMetrics& metrics, const ServiceSnapshot& snapshot);

// now - next_due_at in seconds; 0 when nothing is due or it is due later.
double OldestDueAgeSeconds(std::optional<TimeMs> next_due_at, TimeMs now);

}  // namespace metrics
}  // namespace notify
