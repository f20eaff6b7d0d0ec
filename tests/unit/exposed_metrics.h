// The metric names a scrape of notifyd can hold, for the tests that keep deploy/ (alert rules,
// Grafana dashboard) in step with what the service exposes.
#pragma once

#include <set>
#include <sstream>
#include <string>

#include "metrics/service_metrics.h"

namespace notify::metrics {

// Each family, and a histogram's _bucket, _sum and _count series (never the bare histogram name).
inline std::set<std::string> ExposedNames() {
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

}  // namespace notify::metrics
