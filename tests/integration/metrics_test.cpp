// GET /metrics on the real binary: the counters move with what the service does, and
// METRICS_TOKEN protects the endpoint when set.
#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <sstream>
#include <string>
#include <thread>

#include "harness.h"

namespace notify::testing {
namespace {

constexpr const char* kMetricsToken = "metrics-token-for-tests-93ab";

// The value of the sample written exactly as `series` (name and labels), if the scrape has it.
std::optional<double> SampleValue(const std::string& scrape, const std::string& series) {
    std::istringstream lines(scrape);
    for (std::string line; std::getline(lines, line);) {
        if (line.size() > series.size() && line.compare(0, series.size(), series) == 0 && line[series.size()] == ' ') {
            return std::stod(line.substr(series.size() + 1));
        }
    }
    return std::nullopt;
}

HttpResult Scrape(const Notifyd& service, const std::string& path = "/metrics", const std::string& token = "") {
    std::vector<std::string> headers;
    if (!token.empty()) headers.push_back("Authorization: Bearer " + token);
    return HttpCall("GET", service.base_url() + path, "", headers);
}

// A response is counted just after it is written, so a scrape right after it may not show it yet:
// scrapes until `series` has `value` (5 s at most) and returns the last scrape.
std::string ScrapeUntil(const Notifyd& service, const std::string& series, double value) {
    std::string scrape;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    do {
        scrape = Scrape(service).body;
        if (SampleValue(scrape, series) == value) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    } while (std::chrono::steady_clock::now() < deadline);
    return scrape;
}

class MetricsTest : public ::testing::Test {
protected:
    void StartService(std::map<std::string, std::string> extra = {}) {
        fake_.Start();
        service_ = std::make_unique<Notifyd>(fake_.ServiceEnv(std::move(extra)));
        service_->Migrate();
        service_->Start();
    }

    TempDir fake_dir_;
    FakeMyOperator fake_{fake_dir_.path()};
    std::unique_ptr<Notifyd> service_;
};

TEST_F(MetricsTest, CountersMoveWithAMessageSentThroughTheProvider) {
    StartService();
    const auto before = Scrape(*service_);
    ASSERT_EQ(before.status, 200) << before.body;
    EXPECT_EQ(before.headers.at("content-type"), "text/plain; version=0.0.4; charset=utf-8");
    EXPECT_EQ(SampleValue(before.body, "notifyd_provider_requests_total{outcome=\"accepted\"}"), 0);
    EXPECT_EQ(SampleValue(before.body, "notifyd_queue_depth"), 0);
    EXPECT_EQ(SampleValue(before.body, "notifyd_build_info{version=\"" NOTIFY_VERSION "\"}"), 1);
    EXPECT_EQ(SampleValue(before.body, "notifyd_store_up"), 1);
    EXPECT_EQ(SampleValue(before.body, "notifyd_processor_running"), 1);

    // Paused: the message stays queued, and the queue depth shows it.
    ASSERT_EQ(service_->Put("/settings", {{"paused", true}}).status, 200);
    const auto queued = service_->Post("/send-message", DeliveryReminder("+919876543210", false));
    ASSERT_EQ(queued.status, 202) << queued.body;
    const auto paused = Scrape(*service_);
    EXPECT_EQ(SampleValue(paused.body, "notifyd_queue_depth"), 1);
    EXPECT_EQ(SampleValue(paused.body, "notifyd_sending_paused"), 1);
    EXPECT_EQ(SampleValue(paused.body, "notifyd_messages{type=\"delivery_reminder\",status=\"queued\"}"), 1);

    ASSERT_EQ(service_->Put("/settings", {{"paused", false}}).status, 200);
    ASSERT_TRUE(service_->WaitForStatus(queued.Json()["id"], "sent"));
    EXPECT_EQ(fake_.RequestCount(), 1);

    const std::string send_message_202 =
        "notifyd_http_requests_total{route=\"/api/notifications/send-message\",method=\"POST\",status=\"202\"}";
    const std::string scrape = ScrapeUntil(*service_, send_message_202, 1);
    EXPECT_EQ(SampleValue(scrape, "notifyd_provider_requests_total{outcome=\"accepted\"}"), 1) << scrape;
    EXPECT_EQ(SampleValue(scrape, "notifyd_provider_requests_total{outcome=\"retryable\"}"), 0);
    EXPECT_EQ(SampleValue(scrape, "notifyd_provider_request_duration_seconds_count"), 1);
    EXPECT_EQ(SampleValue(scrape, send_message_202), 1) << scrape;
    EXPECT_EQ(
        SampleValue(scrape, "notifyd_http_request_duration_seconds_count{route=\"/api/notifications/send-message\"}"),
        1);
    // The message's own URL is counted under its route's pattern, never its id.
    EXPECT_NE(scrape.find("route=\"/api/notifications/messages/{id}\""), std::string::npos);
    EXPECT_EQ(scrape.find(queued.Json()["id"].get<std::string>()), std::string::npos);
    EXPECT_EQ(SampleValue(scrape, "notifyd_queue_depth"), 0);
    EXPECT_EQ(SampleValue(scrape, "notifyd_sending_paused"), 0);
    EXPECT_EQ(SampleValue(scrape, "notifyd_messages{type=\"delivery_reminder\",status=\"sent\"}"), 1);
    EXPECT_GT(SampleValue(scrape, "notifyd_processor_last_run_timestamp_seconds").value_or(0), 0);
}

TEST_F(MetricsTest, UnknownPathsAreCountedAsUnmatched) {
    StartService();
    EXPECT_EQ(HttpCall("GET", service_->base_url() + "/no/such/path-12345").status, 404);
    const std::string unmatched = "notifyd_http_requests_total{route=\"unmatched\",method=\"GET\",status=\"404\"}";
    const std::string scrape = ScrapeUntil(*service_, unmatched, 1);
    EXPECT_EQ(SampleValue(scrape, unmatched), 1) << scrape;
    EXPECT_EQ(scrape.find("path-12345"), std::string::npos);
}

TEST_F(MetricsTest, IsAlsoServedUnderTheApiPrefix) {
    StartService();
    const auto r = Scrape(*service_, "/api/notifications/metrics");
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_TRUE(SampleValue(r.body, "notifyd_queue_depth"));
}

TEST_F(MetricsTest, MetricsTokenIsRequiredWhenSet) {
    StartService({{"METRICS_TOKEN", kMetricsToken}});
    for (const std::string path : {"/metrics", "/api/notifications/metrics"}) {
        const auto without = Scrape(*service_, path);
        EXPECT_EQ(without.status, 401) << without.body;
        EXPECT_EQ(without.Json()["error"]["code"], "unauthorized");
        const auto wrong = Scrape(*service_, path, "not-the-metrics-token-at-all");
        EXPECT_EQ(wrong.status, 401) << wrong.body;
        // The admin token is not the metrics token.
        EXPECT_EQ(Scrape(*service_, path, Notifyd::kAdminToken).status, 401);
        const auto with = Scrape(*service_, path, kMetricsToken);
        EXPECT_EQ(with.status, 200) << with.body;
        EXPECT_TRUE(SampleValue(with.body, "notifyd_queue_depth"));
    }
    EXPECT_EQ(service_->Log().find(kMetricsToken), std::string::npos);
}

}  // namespace
}  // namespace notify::testing
