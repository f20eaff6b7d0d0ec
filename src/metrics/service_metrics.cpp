#include "metrics/service_metrics.h"

#include <algorithm>

#include "notify/cost.h"
#include "notify/webhook_event.h"

namespace notify::metrics {
namespace {

// Covers a health check (under a millisecond) to a send held by a slow provider (PROVIDER_TIMEOUT_MS
// is 10 s by default); 5 s is a bound so that the response-time alert reads a bucket edge.
const std::vector<double> kHttpBuckets = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

constexpr std::array<std::string_view, 8> kMethods = {"GET",   "HEAD",   "POST",    "PUT",
                                                      "PATCH", "DELETE", "OPTIONS", "other"};

double Seconds(TimeMs ms) { return static_cast<double>(ms) / 1000.0; }

}  // namespace

std::string_view MethodLabel(std::string_view method) {
    for (std::size_t i = 0; i + 1 < kMethods.size(); ++i) {
        if (kMethods[i] == method) return kMethods[i];
    }
    return kMethods.back();
}

std::string_view WebhookEventLabel(const WebhookEvent& event) {
    switch (event.kind) {
        case WebhookEvent::Kind::kStatus:
            switch (event.status) {
                case MessageStatus::kSent:
                    return kWebhookEventLabels[0];
                case MessageStatus::kDelivered:
                    return kWebhookEventLabels[1];
                case MessageStatus::kRead:
                    return kWebhookEventLabels[2];
                case MessageStatus::kFailed:
                    return kWebhookEventLabels[3];
                default:
                    return kWebhookEventLabels[5];
            }
        case WebhookEvent::Kind::kInbound:
            return kWebhookEventLabels[4];
        case WebhookEvent::Kind::kOther:
            break;
    }
    return kWebhookEventLabels[5];
}

std::vector<std::pair<std::string_view, std::int64_t>> ExclusiveStatusCounts(const StatusCounts& counts) {
    // StatusCounts nests them: sent counts delivered and read, delivered counts read.
    return {{"queued", counts.queued},
            {"sent", counts.sent - counts.delivered},
            {"delivered", counts.delivered - counts.read},
            {"read", counts.read},
            {"failed", counts.failed},
            {"suppressed", counts.suppressed},
            {"skipped_rollout", counts.skipped_rollout}};
}

double OldestDueAgeSeconds(std::optional<TimeMs> next_due_at, TimeMs now) {
    if (!next_due_at || *next_due_at >= now) return 0;
    return Seconds(now - *next_due_at);
}

HttpMetrics::HttpMetrics() { DeclareRoutes({}); }

void HttpMetrics::DeclareRoutes(std::vector<std::string> patterns) {
    routes_ = std::move(patterns);
    durations_.clear();
    for (std::size_t i = 0; i <= routes_.size(); ++i) durations_.push_back(std::make_unique<Histogram>(kHttpBuckets));
}

void HttpMetrics::Record(std::optional<std::size_t> route, std::string_view method, int status, double seconds) {
    const std::size_t series = route && *route < routes_.size() ? *route : routes_.size();
    durations_[series]->Observe(seconds);
    const std::lock_guard lock(mutex_);
    ++requests_[{series, MethodLabel(method), status}];
}

std::string_view HttpMetrics::RouteLabel(std::size_t series) const {
    return series < routes_.size() ? std::string_view(routes_[series]) : kUnmatched;
}

void HttpMetrics::Render(TextWriter& out) const {
    out.Family("notifyd_http_requests_total", MetricType::kCounter,
               "HTTP requests answered, by route pattern, method and status.");
    {
        const std::lock_guard lock(mutex_);
        for (const auto& [key, count] : requests_) {
            const auto& [series, method, status] = key;
            const std::string status_text = std::to_string(status);
            out.Sample("notifyd_http_requests_total",
                       {{"route", RouteLabel(series)}, {"method", method}, {"status", status_text}},
                       static_cast<double>(count));
        }
    }
    out.Family("notifyd_http_request_duration_seconds", MetricType::kHistogram,
               "Time from a request's first byte to its response written, by route pattern.");
    for (std::size_t series = 0; series < durations_.size(); ++series) {
        const HistogramSnapshot snapshot = durations_[series]->Snapshot();
        if (snapshot.count == 0) continue;  // routes never called add nothing but lines
        out.HistogramSamples("notifyd_http_request_duration_seconds", {{"route", RouteLabel(series)}}, snapshot);
    }
}

void ServiceMetrics::RecordProviderCall(SendOutcome::Kind outcome, double seconds) {
    provider_requests_[static_cast<std::size_t>(outcome)].Add();
    provider_durations_.Observe(seconds);
}

void ServiceMetrics::CountWebhookEvent(const WebhookEvent& event) {
    const std::string_view label = WebhookEventLabel(event);
    const auto it = std::find(kWebhookEventLabels.begin(), kWebhookEventLabels.end(), label);
    webhook_events_[static_cast<std::size_t>(it - kWebhookEventLabels.begin())].Add();
}

namespace {

template <std::size_t N>
std::size_t LabelIndex(const std::array<std::string_view, N>& labels, std::string_view label) {
    const auto it = std::find(labels.begin(), labels.end(), label);
    if (it == labels.end()) std::abort();  // a caller passed a label the family does not declare
    return static_cast<std::size_t>(it - labels.begin());
}

template <std::size_t N>
void RenderLabelled(TextWriter& out, std::string_view name, std::string_view label_name,
                    const std::array<std::string_view, N>& labels, const std::array<Counter, N>& counters) {
    for (std::size_t i = 0; i < N; ++i) {
        out.Sample(name, {{label_name, labels[i]}}, static_cast<double>(counters[i].Value()));
    }
}

}  // namespace

void ServiceMetrics::CountBusinessNotification(std::string_view outcome) {
    business_notifications_[LabelIndex(kBusinessOutcomeLabels, outcome)].Add();
}

void ServiceMetrics::CountReply(std::string_view action) { replies_[LabelIndex(kReplyActionLabels, action)].Add(); }

void ServiceMetrics::Render(TextWriter& out) const {
    out.Family("notifyd_provider_requests_total", MetricType::kCounter,
               "Calls to the WhatsApp provider, by outcome (accepted, retryable, permanent).");
    for (const auto kind :
         {SendOutcome::Kind::kAccepted, SendOutcome::Kind::kRetryable, SendOutcome::Kind::kPermanent}) {
        out.Sample("notifyd_provider_requests_total", {{"outcome", ToString(kind)}},
                   static_cast<double>(provider_requests_[static_cast<std::size_t>(kind)].Value()));
    }
    out.Family("notifyd_provider_request_duration_seconds", MetricType::kHistogram,
               "Duration of calls to the WhatsApp provider.");
    out.HistogramSamples("notifyd_provider_request_duration_seconds", {}, provider_durations_.Snapshot());
    out.Family("notifyd_webhook_events_total", MetricType::kCounter,
               "MyOperator webhook events received and parsed, by event type.");
    for (std::size_t i = 0; i < kWebhookEventLabels.size(); ++i) {
        out.Sample("notifyd_webhook_events_total", {{"type", kWebhookEventLabels[i]}},
                   static_cast<double>(webhook_events_[i].Value()));
    }
    out.Family("notifyd_business_notifications_total", MetricType::kCounter,
               "Business events (the business API and POST /events) by what became of their message.");
    RenderLabelled(out, "notifyd_business_notifications_total", "outcome", kBusinessOutcomeLabels,
                   business_notifications_);
    out.Family("notifyd_replies_total", MetricType::kCounter, "Customers' WhatsApp replies, by the action taken.");
    RenderLabelled(out, "notifyd_replies_total", "action", kReplyActionLabels, replies_);
    http.Render(out);
}

std::string RenderMetrics(const ServiceMetrics& metrics, const ServiceSnapshot& snapshot) {
    TextWriter out;
    out.Family("notifyd_build_info", MetricType::kGauge, "Always 1; the version label says which build runs.");
    out.Sample("notifyd_build_info", {{"version", snapshot.version}}, 1);
    out.Family("notifyd_start_time_seconds", MetricType::kGauge, "When the process started, in Unix seconds.");
    out.Sample("notifyd_start_time_seconds", {}, Seconds(snapshot.started_at));
    out.Family("notifyd_store_up", MetricType::kGauge,
               "1 when the store answered this scrape; 0 leaves out the values read from it.");
    out.Sample("notifyd_store_up", {}, snapshot.store_ok ? 1 : 0);

    out.Family("notifyd_messages", MetricType::kGauge,
               "Messages ever stored, by message type and current status (from the statistics counters).");
    if (snapshot.messages) {
        for (const auto& [type, counts] : snapshot.messages->by_type) {
            for (const auto& [status, count] : ExclusiveStatusCounts(counts)) {
                out.Sample("notifyd_messages", {{"type", type}, {"status", status}}, static_cast<double>(count));
            }
        }
    }
    out.Family("notifyd_estimated_spend_rupees", MetricType::kGauge,
               "Estimated WhatsApp spend of the messages kept, by type: delivered (or read) messages times their "
               "category's price (settings.message_prices). increase() over a day gives a day's spend.");
    if (snapshot.messages && snapshot.settings) {
        const SpendEstimate spend = EstimateSpend(*snapshot.messages, snapshot.settings->message_prices);
        for (const auto& [type, cost] : spend.by_type) {
            out.Sample("notifyd_estimated_spend_rupees", {{"type", type}}, static_cast<double>(cost) / 10000.0);
        }
    }
    out.Family("notifyd_queue_depth", MetricType::kGauge, "Messages queued or being sent.");
    if (snapshot.queue_depth) out.Sample("notifyd_queue_depth", {}, static_cast<double>(*snapshot.queue_depth));
    out.Family("notifyd_queue_oldest_due_age_seconds", MetricType::kGauge,
               "How long the earliest due queue entry has waited past its due time; 0 when none is overdue.");
    if (snapshot.store_ok) {
        out.Sample("notifyd_queue_oldest_due_age_seconds", {}, OldestDueAgeSeconds(snapshot.next_due_at, snapshot.now));
    }

    out.Family("notifyd_processor_running", MetricType::kGauge, "1 while the background queue processor runs.");
    out.Sample("notifyd_processor_running", {}, snapshot.processor_running ? 1 : 0);
    out.Family("notifyd_processor_last_run_timestamp_seconds", MetricType::kGauge,
               "When the queue processor last started or ended a pass, in Unix seconds; 0 before the first.");
    out.Sample("notifyd_processor_last_run_timestamp_seconds", {}, Seconds(snapshot.processor_last_run_at.value_or(0)));
    out.Family("notifyd_processor_pass_duration_seconds", MetricType::kGauge,
               "Duration of the queue processor's last pass that claimed work.");
    if (snapshot.processor_last_pass_ms) {
        out.Sample("notifyd_processor_pass_duration_seconds", {}, Seconds(*snapshot.processor_last_pass_ms));
    }

    out.Family("notifyd_sending_held", MetricType::kGauge,
               "1 while sending is held after a provider fault that stops all sending (one probe per interval).");
    out.Sample("notifyd_sending_held", {}, snapshot.sending_held ? 1 : 0);
    out.Family("notifyd_sending_throttled", MetricType::kGauge, "1 while a provider's Retry-After runs.");
    out.Sample("notifyd_sending_throttled", {}, snapshot.sending_throttled ? 1 : 0);
    out.Family("notifyd_notifications_enabled", MetricType::kGauge,
               "The settings' enabled flag: 0 refuses new messages.");
    if (snapshot.settings) out.Sample("notifyd_notifications_enabled", {}, snapshot.settings->enabled ? 1 : 0);
    out.Family("notifyd_rollout_percent", MetricType::kGauge,
               "The settings' rollout_percent: the share of customers business messages are sent to.");
    if (snapshot.settings) out.Sample("notifyd_rollout_percent", {}, snapshot.settings->rollout_percent);
    out.Family("notifyd_sending_paused", MetricType::kGauge,
               "The settings' paused flag: 1 queues messages and sends none.");
    if (snapshot.settings) out.Sample("notifyd_sending_paused", {}, snapshot.settings->paused ? 1 : 0);
    metrics.Render(out);
    return out.Take();
}

}  // namespace notify::metrics
