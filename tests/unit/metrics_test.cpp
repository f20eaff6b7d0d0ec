// The metrics registry and the Prometheus text format: escaping, values, histogram buckets, and
// the families the service renders. No server, no store.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <limits>
#include <set>
#include <sstream>

#include "metrics/exposition.h"
#include "metrics/measured_provider.h"
#include "metrics/service_metrics.h"
#include "notify/webhook_event.h"
#include "support/scripted_provider.h"

namespace notify::metrics {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// What a renderer with a Render(TextWriter&) writes.
template <typename Renderer>
std::string Rendered(const Renderer& renderer) {
    TextWriter out;
    renderer.Render(out);
    return out.Take();
}

TEST(EscapeLabelValue, EscapesBackslashQuoteAndLineFeed) {
    EXPECT_EQ(EscapeLabelValue("plain /api/x{id}"), "plain /api/x{id}");
    EXPECT_EQ(EscapeLabelValue("a\\b"), "a\\\\b");
    EXPECT_EQ(EscapeLabelValue("say \"hi\""), "say \\\"hi\\\"");
    EXPECT_EQ(EscapeLabelValue("two\nlines"), "two\\nlines");
    EXPECT_EQ(EscapeLabelValue("\\\"\n"), "\\\\\\\"\\n");
}

TEST(FormatValue, WritesWholeNumbersWithoutFractionAndOthersShortest) {
    EXPECT_EQ(FormatValue(0), "0");
    EXPECT_EQ(FormatValue(42), "42");
    EXPECT_EQ(FormatValue(-3), "-3");
    EXPECT_EQ(FormatValue(1764500000.5), "1764500000.5");
    EXPECT_EQ(FormatValue(0.01), "0.01");
    EXPECT_EQ(FormatValue(0.025), "0.025");
    EXPECT_EQ(FormatValue(std::numeric_limits<double>::infinity()), "+Inf");
    EXPECT_EQ(FormatValue(-std::numeric_limits<double>::infinity()), "-Inf");
    EXPECT_EQ(FormatValue(std::numeric_limits<double>::quiet_NaN()), "NaN");
}

TEST(Histogram, CountsAnObservationEqualToABoundInThatBucket) {
    Histogram histogram({0.1, 1, 10});
    histogram.Observe(0.1);  // le="0.1"
    histogram.Observe(0.5);  // le="1"
    histogram.Observe(1);    // le="1"
    histogram.Observe(11);   // only +Inf
    const HistogramSnapshot s = histogram.Snapshot();
    EXPECT_EQ(s.bounds, (std::vector<double>{0.1, 1, 10}));
    EXPECT_EQ(s.cumulative, (std::vector<std::uint64_t>{1, 3, 3, 4}));
    EXPECT_EQ(s.count, 4u);
    EXPECT_DOUBLE_EQ(s.sum, 12.6);
}

TEST(Histogram, EmptyHasZeroEverywhere) {
    const HistogramSnapshot s = Histogram({1, 2}).Snapshot();
    EXPECT_EQ(s.cumulative, (std::vector<std::uint64_t>{0, 0, 0}));
    EXPECT_EQ(s.count, 0u);
    EXPECT_EQ(s.sum, 0);
}

TEST(Histogram, RefusesBoundsThatAreNotAscendingOrNotFinite) {
    EXPECT_THROW(Histogram({1, 1}), std::invalid_argument);
    EXPECT_THROW(Histogram({2, 1}), std::invalid_argument);
    EXPECT_THROW(Histogram({1, std::numeric_limits<double>::infinity()}), std::invalid_argument);
}

TEST(TextWriter, WritesHelpTypeAndLabelledSamples) {
    TextWriter out;
    out.Family("notifyd_x_total", MetricType::kCounter, "What \"x\" counts.\nA back\\slash.");
    out.Sample("notifyd_x_total", {{"route", "/a/{id}"}, {"status", "202"}}, 3);
    out.Sample("notifyd_x_total", {{"route", "we\"ird\n"}}, 0.5);
    out.Family("notifyd_y", MetricType::kGauge, "Y.");
    out.Sample("notifyd_y", {}, 7);
    EXPECT_EQ(out.Take(),
              "# HELP notifyd_x_total What \"x\" counts.\\nA back\\\\slash.\n"
              "# TYPE notifyd_x_total counter\n"
              "notifyd_x_total{route=\"/a/{id}\",status=\"202\"} 3\n"
              "notifyd_x_total{route=\"we\\\"ird\\n\"} 0.5\n"
              "# HELP notifyd_y Y.\n"
              "# TYPE notifyd_y gauge\n"
              "notifyd_y 7\n");
}

TEST(TextWriter, WritesAHistogramAsCumulativeBucketsSumAndCount) {
    Histogram histogram({0.5, 1});
    histogram.Observe(0.25);
    histogram.Observe(0.75);
    histogram.Observe(3);
    TextWriter out;
    out.Family("notifyd_d_seconds", MetricType::kHistogram, "D.");
    out.HistogramSamples("notifyd_d_seconds", {{"route", "/r"}}, histogram.Snapshot());
    EXPECT_EQ(out.Take(),
              "# HELP notifyd_d_seconds D.\n"
              "# TYPE notifyd_d_seconds histogram\n"
              "notifyd_d_seconds_bucket{route=\"/r\",le=\"0.5\"} 1\n"
              "notifyd_d_seconds_bucket{route=\"/r\",le=\"1\"} 2\n"
              "notifyd_d_seconds_bucket{route=\"/r\",le=\"+Inf\"} 3\n"
              "notifyd_d_seconds_sum{route=\"/r\"} 4\n"
              "notifyd_d_seconds_count{route=\"/r\"} 3\n");
}

TEST(MethodLabel, KeepsHttpMethodsAndFoldsTheRestIntoOther) {
    EXPECT_EQ(MethodLabel("GET"), "GET");
    EXPECT_EQ(MethodLabel("DELETE"), "DELETE");
    EXPECT_EQ(MethodLabel("get"), "other");
    EXPECT_EQ(MethodLabel("BREW"), "other");
    EXPECT_EQ(MethodLabel("-"), "other");
}

TEST(HttpMetrics, LabelsByRoutePatternAndCountsUnknownRoutesAsUnmatched) {
    HttpMetrics http;
    http.DeclareRoutes({"/api/notifications/messages/{id}", "/metrics"});
    http.Record(0, "GET", 200, 0.002);
    http.Record(0, "GET", 200, 0.003);
    http.Record(0, "GET", 404, 0.001);
    http.Record(std::nullopt, "BREW", 404, 0.001);
    http.Record(7, "GET", 404, 0.001);  // not a declared route
    const std::string text = Rendered(http);
    EXPECT_THAT(text, HasSubstr("notifyd_http_requests_total{route=\"/api/notifications/messages/{id}\",method=\"GET\","
                                "status=\"200\"} 2\n"));
    EXPECT_THAT(text, HasSubstr("notifyd_http_requests_total{route=\"/api/notifications/messages/{id}\",method=\"GET\","
                                "status=\"404\"} 1\n"));
    EXPECT_THAT(text,
                HasSubstr("notifyd_http_requests_total{route=\"unmatched\",method=\"other\",status=\"404\"} 1\n"));
    EXPECT_THAT(text, HasSubstr("notifyd_http_requests_total{route=\"unmatched\",method=\"GET\",status=\"404\"} 1\n"));
    EXPECT_THAT(
        text, HasSubstr("notifyd_http_request_duration_seconds_count{route=\"/api/notifications/messages/{id}\"} 3\n"));
    EXPECT_THAT(text, HasSubstr("notifyd_http_request_duration_seconds_bucket{route=\"unmatched\",le=\"0.005\"} 2\n"));
    EXPECT_THAT(text, Not(HasSubstr("route=\"/metrics\"")));  // never called: no lines
}

TEST(ExclusiveStatusCounts, SeparatesTheNestedSentDeliveredAndRead) {
    StatusCounts counts;
    counts.total = 20;
    counts.queued = 2;
    counts.sent = 12;  // 4 only sent, 5 delivered of which 3 read
    counts.delivered = 8;
    counts.read = 3;
    counts.failed = 4;
    counts.suppressed = 1;
    counts.skipped_rollout = 1;
    const auto exclusive = ExclusiveStatusCounts(counts);
    std::int64_t sum = 0;
    for (const auto& [status, n] : exclusive) sum += n;
    EXPECT_EQ(sum, counts.total);
    EXPECT_EQ(exclusive, (std::vector<std::pair<std::string_view, std::int64_t>>{{"queued", 2},
                                                                                 {"sent", 4},
                                                                                 {"delivered", 5},
                                                                                 {"read", 3},
                                                                                 {"failed", 4},
                                                                                 {"suppressed", 1},
                                                                                 {"skipped_rollout", 1}}));
}

TEST(OldestDueAgeSeconds, IsZeroUnlessSomethingIsOverdue) {
    EXPECT_EQ(OldestDueAgeSeconds(std::nullopt, 10'000), 0);
    EXPECT_EQ(OldestDueAgeSeconds(12'000, 10'000), 0);
    EXPECT_EQ(OldestDueAgeSeconds(10'000, 10'000), 0);
    EXPECT_EQ(OldestDueAgeSeconds(7'500, 10'000), 2.5);
}

TEST(WebhookEventLabel, NamesKnownEventsAndFoldsTheRestIntoOther) {
    WebhookEvent event;
    event.kind = WebhookEvent::Kind::kStatus;
    event.status = MessageStatus::kDelivered;
    EXPECT_EQ(WebhookEventLabel(event), "message.delivered");
    event.status = MessageStatus::kFailed;
    EXPECT_EQ(WebhookEventLabel(event), "message.failed");
    event.kind = WebhookEvent::Kind::kInbound;
    EXPECT_EQ(WebhookEventLabel(event), "message.received");
    event.kind = WebhookEvent::Kind::kOther;
    event.event_type = "template.approved\"}";  // as sent, never a label
    EXPECT_EQ(WebhookEventLabel(event), "other");
}

TEST(MeasuredProvider, CountsEachCallByOutcomeAndTimesIt) {
    test_support::ScriptedProvider inner;
    inner.script = {test_support::Retryable(), test_support::Permanent()};
    ServiceMetrics metrics;
    MeasuredProvider provider(inner, metrics);
    EXPECT_EQ(provider.Name(), "scripted");
    OutboundMessage message;
    message.id = "m1";
    EXPECT_EQ(provider.Send(message).kind, SendOutcome::Kind::kRetryable);
    EXPECT_EQ(provider.Send(message).kind, SendOutcome::Kind::kPermanent);
    EXPECT_EQ(provider.Send(message).kind, SendOutcome::Kind::kAccepted);
    EXPECT_EQ(inner.sent_ids.size(), 3u);
    const std::string text = Rendered(metrics);
    EXPECT_THAT(text, HasSubstr("notifyd_provider_requests_total{outcome=\"accepted\"} 1\n"));
    EXPECT_THAT(text, HasSubstr("notifyd_provider_requests_total{outcome=\"retryable\"} 1\n"));
    EXPECT_THAT(text, HasSubstr("notifyd_provider_requests_total{outcome=\"permanent\"} 1\n"));
    EXPECT_THAT(text, HasSubstr("notifyd_provider_request_duration_seconds_count 3\n"));
}

TEST(ServiceMetrics, CountsWebhookEventsByType) {
    ServiceMetrics metrics;
    WebhookEvent event;
    event.kind = WebhookEvent::Kind::kInbound;
    metrics.CountWebhookEvent(event);
    metrics.CountWebhookEvent(event);
    event.kind = WebhookEvent::Kind::kOther;
    metrics.CountWebhookEvent(event);
    const std::string text = Rendered(metrics);
    EXPECT_THAT(text, HasSubstr("notifyd_webhook_events_total{type=\"message.received\"} 2\n"));
    EXPECT_THAT(text, HasSubstr("notifyd_webhook_events_total{type=\"other\"} 1\n"));
    EXPECT_THAT(text, HasSubstr("notifyd_webhook_events_total{type=\"message.read\"} 0\n"));
}

TEST(ServiceMetrics, CountsBusinessOutcomesAndRepliesWithEveryLabelShown) {
    ServiceMetrics metrics;
    metrics.CountBusinessNotification("skipped_rollout");
    metrics.CountBusinessNotification("skipped_rollout");
    metrics.CountReply("paused");
    const std::string text = Rendered(metrics);
    EXPECT_THAT(text, HasSubstr("notifyd_business_notifications_total{outcome=\"skipped_rollout\"} 2\n"));
    EXPECT_THAT(text, HasSubstr("notifyd_business_notifications_total{outcome=\"queued\"} 0\n"));
    EXPECT_THAT(text, HasSubstr("notifyd_replies_total{action=\"paused\"} 1\n"));
    EXPECT_THAT(text, HasSubstr("notifyd_replies_total{action=\"kept\"} 0\n"));
}

TEST(RenderMetrics, WritesTheSnapshot) {
    ServiceMetrics metrics;
    ServiceSnapshot snapshot;
    snapshot.store_ok = true;
    Statistics stats;
    stats.by_type["delivery_reminder"].queued = 3;
    snapshot.messages = stats;
    snapshot.queue_depth = 3;
    snapshot.next_due_at = 95'000;
    snapshot.settings = Settings{};
    snapshot.settings->paused = true;
    snapshot.processor_running = true;
    snapshot.processor_last_run_at = 99'000;
    snapshot.processor_last_pass_ms = 1'250;
    snapshot.sending_held = true;
    snapshot.version = "1.2.3";
    snapshot.started_at = 50'000;
    snapshot.now = 100'000;
    const std::string text = RenderMetrics(metrics, snapshot);
    EXPECT_THAT(text, HasSubstr("notifyd_build_info{version=\"1.2.3\"} 1\n"));
    EXPECT_THAT(text, HasSubstr("notifyd_start_time_seconds 50\n"));
    EXPECT_THAT(text, HasSubstr("notifyd_store_up 1\n"));
    EXPECT_THAT(text, HasSubstr("notifyd_messages{type=\"delivery_reminder\",status=\"queued\"} 3\n"));
    EXPECT_THAT(text, HasSubstr("notifyd_messages{type=\"delivery_reminder\",status=\"read\"} 0\n"));
    EXPECT_THAT(text, HasSubstr("notifyd_queue_depth 3\n"));
    EXPECT_THAT(text, HasSubstr("notifyd_queue_oldest_due_age_seconds 5\n"));
    EXPECT_THAT(text, HasSubstr("notifyd_processor_running 1\n"));
    EXPECT_THAT(text, HasSubstr("notifyd_processor_last_run_timestamp_seconds 99\n"));
    EXPECT_THAT(text, HasSubstr("notifyd_processor_pass_duration_seconds 1.25\n"));
    EXPECT_THAT(text, HasSubstr("notifyd_sending_held 1\n"));
    EXPECT_THAT(text, HasSubstr("notifyd_sending_throttled 0\n"));
    EXPECT_THAT(text, HasSubstr("notifyd_notifications_enabled 1\n"));
    EXPECT_THAT(text, HasSubstr("notifyd_sending_paused 1\n"));
}

TEST(RenderMetrics, LeavesOutTheStoresValuesWhenItFailed) {
    ServiceSnapshot snapshot;  // store_ok false
    const std::string text = RenderMetrics(ServiceMetrics{}, snapshot);
    EXPECT_THAT(text, HasSubstr("notifyd_store_up 0\n"));
    EXPECT_THAT(text, HasSubstr("# TYPE notifyd_queue_depth gauge\n"));
    EXPECT_THAT(text, Not(HasSubstr("\nnotifyd_queue_depth ")));
    EXPECT_THAT(text, Not(HasSubstr("\nnotifyd_queue_oldest_due_age_seconds ")));
    EXPECT_THAT(text, Not(HasSubstr("\nnotifyd_sending_paused ")));
}

// Every sample line belongs to the family declared last, and no family is declared twice.
TEST(RenderMetrics, EverySampleFollowsItsOwnFamilysHelpAndType) {
    ServiceMetrics metrics;
    metrics.http.DeclareRoutes({"/metrics"});
    metrics.http.Record(0, "GET", 200, 0.01);
    ServiceSnapshot snapshot;
    snapshot.store_ok = true;
    snapshot.queue_depth = 0;
    std::istringstream lines(RenderMetrics(metrics, snapshot));
    std::set<std::string> declared;
    std::string family;
    std::string type;
    for (std::string line; std::getline(lines, line);) {
        if (line.rfind("# HELP ", 0) == 0) {
            family = line.substr(7, line.find(' ', 7) - 7);
            EXPECT_TRUE(declared.insert(family).second) << family;
            continue;
        }
        if (line.rfind("# TYPE ", 0) == 0) {
            EXPECT_EQ(line.substr(7, family.size() + 1), family + " ") << line;
            type = line.substr(8 + family.size());
            continue;
        }
        const std::string name = line.substr(0, line.find_first_of("{ "));
        if (type == "histogram") {
            EXPECT_TRUE(name == family + "_bucket" || name == family + "_sum" || name == family + "_count") << line;
        } else {
            EXPECT_EQ(name, family) << line;
        }
    }
    EXPECT_EQ(declared.size(), 22u);  // every family RenderMetrics writes, with or without samples
}

}  // namespace
}  // namespace notify::metrics
