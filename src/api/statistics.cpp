// GET /statistics: counts and rates as the contract defines them.
#include <cmath>

#include <nlohmann/json.hpp>

#include "api/api_context.h"
#include "api/json_io.h"
#include "common/errors.h"
#include "http/errors.h"
#include "http/router.h"
#include "store/store.h"

namespace notify {
namespace {

nlohmann::json Percent(std::int64_t numerator, std::int64_t denominator) {
    if (denominator == 0) return nullptr;
    return std::round(10000.0 * static_cast<double>(numerator) / static_cast<double>(denominator)) / 100.0;
}

nlohmann::json CountsToJson(const StatusCounts& c) {
    return {
        {"total", c.total},
        {"queued", c.queued},
        {"sent", c.sent},
        {"delivered", c.delivered},
        {"read", c.read},
        {"failed", c.failed},
        {"suppressed", c.suppressed},
        {"skipped_rollout", c.skipped_rollout},
        {"success_rate", Percent(c.sent, c.sent + c.failed)},
        {"delivery_rate", Percent(c.delivered, c.sent)},
    };
}

}  // namespace

void RegisterStatisticsRoutes(Router& router, ApiContext& ctx) {
    router.Add("GET", std::string(kApiPrefix) + "/statistics", Role::kViewer,
               [&ctx](HttpRequest& http, const RequestContext&) {
                   StatsQuery query{QueryTime(http, "since"), QueryTime(http, "until")};
                   const Statistics stats = ctx.store.Stats(query);
                   nlohmann::json body = CountsToJson(stats.all);
                   nlohmann::json by_type = nlohmann::json::object();
                   for (const auto& [type, counts] : stats.by_type) by_type[type] = CountsToJson(counts);
                   body["by_type"] = std::move(by_type);
                   body["since"] = TimeOrNull(query.since);
                   body["until"] = TimeOrNull(query.until);
                   return JsonResponse(200, body);
               });
}

}  // namespace notify
