// GET /statistics: counts and rates as the contract defines them, with the estimated spend; and
// GET /statistics/daily: the same per day of a time zone, for trends and the operator console.
#include <nlohmann/json.hpp>

#include "api/api_context.h"
#include "api/json_io.h"
#include "business/local_time.h"
#include "common/errors.h"
#include "http/errors.h"
#include "http/router.h"
#include "notify/cost.h"
#include "store/store.h"

namespace notify {
namespace {

constexpr int kMaxDays = 92;

std::optional<Date> QueryDate(const HttpRequest& http, const std::string& name) {
    const auto text = http.Query(name);
    if (!text || text->empty()) return std::nullopt;
    const auto date = ParseIsoDate(*text);
    if (!date) throw InvalidInput("invalid_field", name + " must be a date written YYYY-MM-DD", name);
    return date;
}

nlohmann::json CountsJson(const StatusCounts& counts) {
    return {{"total", counts.total},
            {"queued", counts.queued},
            {"sent", counts.sent},
            {"delivered", counts.delivered},
            {"read", counts.read},
            {"failed", counts.failed},
            {"suppressed", counts.suppressed},
            {"skipped_rollout", counts.skipped_rollout}};
}

HttpResponse Daily(ApiContext& ctx, const HttpRequest& http) {
    std::string zone = http.Query("time_zone").value_or("");
    if (zone.empty()) zone = std::string(kDefaultTimeZone);
    if (!IsKnownTimeZone(zone)) {
        throw InvalidInput("invalid_field", "time_zone must be an IANA zone such as Asia/Kolkata", "time_zone");
    }
    const Date today = ToLocalTime(ctx.clock.NowMs(), zone).date;
    const Date to = QueryDate(http, "to").value_or(today);
    const Date from = QueryDate(http, "from").value_or(AddDays(to, -6));
    if (to < from) throw InvalidInput("invalid_field", "to must not be before from", "to");
    if (DaysBetween(from, to) >= kMaxDays) {
        throw InvalidInput("invalid_field", "at most 92 days per request", "from");
    }
    const PriceTable prices = ctx.store.GetSettings().message_prices;
    nlohmann::json days = nlohmann::json::array();
    for (Date day = from; day <= to; day = AddDays(day, 1)) {
        // Each day is its own range of the store's counters: tens of rows, however many messages.
        const Statistics stats =
            ctx.store.Stats(StatsQuery{FromLocalTime(day, 0, zone), FromLocalTime(AddDays(day, 1), 0, zone)});
        const SpendEstimate spend = EstimateSpend(stats, prices);
        nlohmann::json by_type = nlohmann::json::object();
        for (const auto& [type, counts] : stats.by_type) {
            by_type[type] = CountsJson(counts);
            by_type[type]["estimated_cost"] = FormatSpend(spend.by_type.at(type));
        }
        nlohmann::json entry = CountsJson(stats.all);
        entry["date"] = FormatIsoDate(day);
        entry["estimated_cost"] = FormatSpend(spend.total);
        entry["by_type"] = std::move(by_type);
        days.push_back(std::move(entry));
    }
    return JsonResponse(200, {{"time_zone", zone}, {"currency", "INR"}, {"days", std::move(days)}});
}

}  // namespace

void RegisterStatisticsRoutes(Router& router, ApiContext& ctx) {
    router.Add("GET", std::string(kApiPrefix) + "/statistics", Role::kViewer,
               [&ctx](HttpRequest& http, const RequestContext&) {
                   StatsQuery query{QueryTime(http, "since"), QueryTime(http, "until")};
                   const Statistics stats = ctx.store.Stats(query);
                   HttpResponse response;
                   response.status = 200;
                   AppendStatisticsJson(response.body, stats,
                                        EstimateSpend(stats, ctx.store.GetSettings().message_prices), query.since,
                                        query.until);
                   return response;
               });
    router.Add("GET", std::string(kApiPrefix) + "/statistics/daily", Role::kViewer,
               [&ctx](HttpRequest& http, const RequestContext&) { return Daily(ctx, http); });
}

}  // namespace notify
