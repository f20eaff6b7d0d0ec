// deploy/prometheus/alerts.yml may only use metrics the service exposes: a renamed metric would
// leave an alert that never fires. promtool checks the rules themselves (ctest alert_rules_*).
#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "metrics/service_metrics.h"

namespace notify::metrics {
namespace {

// The names a scrape can hold: each family, and a histogram's _bucket, _sum and _count series.
std::set<std::string> ExposedNames() {
    std::set<std::string> names;
    std::istringstream lines(RenderMetrics(ServiceMetrics{}, ServiceSnapshot{}));
    for (std::string line; std::getline(lines, line);) {
        if (line.rfind("# TYPE ", 0) != 0) continue;
        std::istringstream fields(line.substr(7));
        std::string name;
        std::string type;
        fields >> name >> type;
        if (type == "histogram") {
            for (const char* suffix : {"_bucket", "_sum", "_count"}) names.insert(name + suffix);
        } else {
            names.insert(name);
        }
    }
    return names;
}

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
