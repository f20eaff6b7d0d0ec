// deploy/prometheus/alerts.yml may only use metrics the service exposes: a renamed metric would
// leave an alert that never fires. promtool checks the rules themselves (ctest alert_rules_*).
#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "exposed_metrics.h"

namespace notify::metrics {
namespace {

TEST(AlertRules, UseOnlyMetricsTheServiceExposes) {
    std::ifstream in(NOTIFY_ALERT_RULES_FILE);
    ASSERT_TRUE(in) << NOTIFY_ALERT_RULES_FILE;
    std::stringstream text;
    text << in.rdbuf();
    const std::string rules = text.str();
    const std::set<std::string> exposed = ExposedNames();
    const std::regex name("notifyd_[a-z0-9_]+");
    int used = 0;
    for (auto it = std::sregex_iterator(rules.begin(), rules.end(), name); it != std::sregex_iterator(); ++it) {
        ++used;
        EXPECT_TRUE(exposed.count(it->str())) << it->str() << " is used in alerts.yml but not exposed";
    }
    EXPECT_GT(used, 0) << "alerts.yml names no notifyd_ metric";
}

TEST(AlertRules, ExposedNamesIncludeHistogramSeries) {
    const std::set<std::string> exposed = ExposedNames();
    EXPECT_TRUE(exposed.count("notifyd_http_request_duration_seconds_bucket"));
    EXPECT_TRUE(exposed.count("notifyd_queue_depth"));
    EXPECT_FALSE(exposed.count("notifyd_http_request_duration_seconds"));
}

}  // namespace
}  // namespace notify::metrics
