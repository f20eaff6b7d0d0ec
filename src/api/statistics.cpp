// GET /statistics: counts and rates as the contract defines them.
#include "api/api_context.h"
#include "api/json_io.h"
#include "http/router.h"
#include "store/store.h"

namespace notify {

void RegisterStatisticsRoutes(Router& router, ApiContext& ctx) {
    router.Add("GET", std::string(kApiPrefix) + "/statistics", Role::kViewer,
               [&ctx](HttpRequest& http, const RequestContext&) {
                   StatsQuery query{QueryTime(http, "since"), QueryTime(http, "until")};
                   const Statistics stats = ctx.store.Stats(query);
                   HttpResponse response;
                   response.status = 200;
                   AppendStatisticsJson(response.body, stats, query.since, query.until);
                   return response;
               });
}

}  // namespace notify
