// deploy/grafana/dashboard.json may only query metrics the service exposes: a renamed metric would
// leave a panel that silently shows "No data". It must also stay importable (valid JSON, every
// panel on the dashboard's Prometheus data source) and keep the panels the runbook asks for.
#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "exposed_metrics.h"

namespace notify::metrics {
namespace {

using nlohmann::json;

json LoadDashboard() {
    std::ifstream in(NOTIFY_GRAFANA_DASHBOARD_FILE);
    if (!in) ADD_FAILURE() << "cannot open " << NOTIFY_GRAFANA_DASHBOARD_FILE;
    // Throws (and fails the test) on anything that is not JSON.
    return json::parse(in);
}

// Every panel, those nested in rows (collapsed rows keep theirs in "panels") included.
void CollectPanels(const json& panels, std::vector<json>& out) {
    if (!panels.is_array()) return;
    for (const json& panel : panels) {
        out.push_back(panel);
        if (panel.contains("panels")) CollectPanels(panel["panels"], out);
    }
}

std::vector<json> AllPanels(const json& dashboard) {
    std::vector<json> panels;
    CollectPanels(dashboard.value("panels", json::array()), panels);
    return panels;
}

bool IsRow(const json& panel) { return panel.value("type", "") == "row"; }

TEST(Dashboard, IsAGrafanaDashboardWithAPrometheusDataSourceVariable) {
    const json dashboard = LoadDashboard();
    ASSERT_TRUE(dashboard.is_object());
    EXPECT_FALSE(dashboard.value("title", "").empty());
    EXPECT_GE(dashboard.value("schemaVersion", 0), 36);
    bool variable = false;
    for (const json& var : dashboard.value("templating", json::object()).value("list", json::array())) {
        if (var.value("name", "") == "DS_PROMETHEUS" && var.value("type", "") == "datasource" &&
            var.value("query", "") == "prometheus") {
            variable = true;
        }
    }
    EXPECT_TRUE(variable) << "no datasource variable DS_PROMETHEUS of type prometheus";
}

TEST(Dashboard, QueriesOnlyMetricsTheServiceExposes) {
    const std::set<std::string> exposed = ExposedNames();
    const std::regex name("notifyd_[a-z0-9_]+");
    int exprs = 0;
    std::set<std::string> used;
    for (const json& panel : AllPanels(LoadDashboard())) {
        for (const json& target : panel.value("targets", json::array())) {
            const std::string expr = target.value("expr", "");
            if (expr.empty()) continue;
            ++exprs;
            for (auto it = std::sregex_iterator(expr.begin(), expr.end(), name); it != std::sregex_iterator(); ++it) {
                used.insert(it->str());
                EXPECT_TRUE(exposed.count(it->str()))
                    << it->str() << " in panel \"" << panel.value("title", "") << "\" is not exposed";
            }
        }
    }
    EXPECT_GT(exprs, 0) << "the dashboard has no queries";
    // The panels the runbook's sections rely on read these; losing one loses a panel.
    for (const char* wanted : {"notifyd_provider_requests_total", "notifyd_messages", "notifyd_queue_depth",
                               "notifyd_queue_oldest_due_age_seconds", "notifyd_http_request_duration_seconds_bucket",
                               "notifyd_provider_request_duration_seconds_bucket", "notifyd_webhook_events_total",
                               "notifyd_business_notifications_total", "notifyd_replies_total",
                               "notifyd_rollout_percent", "notifyd_sending_paused", "notifyd_notifications_enabled"}) {
        EXPECT_TRUE(used.count(wanted)) << "no panel queries " << wanted;
    }
}

TEST(Dashboard, HasThePanelsOperatorsNeed) {
    std::set<std::string> titles;
    for (const json& panel : AllPanels(LoadDashboard())) titles.insert(panel.value("title", ""));
    for (const char* title :
         {"Send rate", "Success rate", "Delivery rate", "Queue depth", "Age of the oldest due entry",
          "HTTP latency percentiles", "Provider errors by outcome", "Provider latency", "Webhook events",
          "Business notifications by outcome", "Customers' replies by action", "Rollout percent", "Sending paused",
          "Sending enabled", "Daily trends"}) {
        EXPECT_TRUE(titles.count(title)) << "no panel titled \"" << title << "\"";
    }
}

TEST(Dashboard, EveryPanelAndQueryUsesTheDataSourceVariable) {
    const json expected = {{"type", "prometheus"}, {"uid", "${DS_PROMETHEUS}"}};
    std::set<int> ids;
    for (const json& panel : AllPanels(LoadDashboard())) {
        const std::string title = panel.value("title", "");
        EXPECT_TRUE(panel.contains("id") && ids.insert(panel["id"].get<int>()).second)
            << "panel \"" << title << "\" has no id or a repeated one";
        if (IsRow(panel)) continue;
        EXPECT_EQ(panel.value("datasource", json()), expected) << "panel \"" << title << "\"";
        EXPECT_FALSE(panel.value("targets", json::array()).empty()) << "panel \"" << title << "\" has no query";
        for (const json& target : panel.value("targets", json::array())) {
            EXPECT_EQ(target.value("datasource", json()), expected) << "a query of panel \"" << title << "\"";
        }
    }
}

}  // namespace
}  // namespace notify::metrics
