// GET /health: liveness and readiness in one answer, for load balancers and the runbook.
#include <memory>
#include <nlohmann/json.hpp>

#include "api/api_context.h"
#include "api/json_io.h"
#include "api/store_ping.h"
#include "common/errors.h"
#include "http/errors.h"
#include "http/router.h"
#include "providers/provider.h"
#include "queue/dispatcher.h"
#include "queue/processor.h"
#include "store/store.h"

namespace notify {

void RegisterHealthRoutes(Router& router, ApiContext& ctx) {
    // Answered from memory and counters, never a scan: a load balancer calls this often, and a
    // slow answer under a backlog would make it drop a busy node.
    auto store_ping = std::make_shared<StorePing>([&store = ctx.store] { store.Ping(); }, ctx.clock);
    auto health = [&ctx, store_ping](HttpRequest&, const RequestContext&) {
        nlohmann::json body;
        bool store_ok = store_ping->Ok();
        nlohmann::json queue_depth;
        if (store_ok) {
            try {
                queue_depth = ctx.store.QueueDepth();  // O(1): kept by the store's counters
            } catch (const Error&) {
                store_ok = false;
            }
        }
        const auto processor = ctx.processor.Status();
        body["status"] = store_ok ? "ok" : "degraded";
        body["database"] = store_ok ? "ok" : "unavailable";
        body["provider"] = ctx.provider.Name();
        body["queue_depth"] = queue_depth;
        body["processor"] = {{"running", processor.running}, {"last_run_at", TimeOrNull(processor.last_run_at)}};
        // A provider fault holds sending but the service is up: status stays "ok" (degraded means
        // the store is down); `sending` and `provider_fault` say what operators must act on.
        const SendingStatus sending = ctx.dispatcher.Status();
        body["sending"] = sending.fault ? "held" : sending.throttled_until ? "throttled" : "ok";
        body["provider_fault"] = nullptr;
        if (sending.fault) {
            body["provider_fault"] = {{"error", sending.fault->error},
                                      {"since", TimeOrNull(sending.fault->since)},
                                      {"next_probe_at", TimeOrNull(sending.next_probe_at)}};
        }
        body["throttled_until"] = TimeOrNull(sending.throttled_until);
        body["version"] = NOTIFY_VERSION;
        body["uptime_seconds"] = (ctx.clock.NowMs() - ctx.started_at) / 1000;
        return JsonResponse(store_ok ? 200 : 503, body);
    };
    router.Add("GET", std::string(kApiPrefix) + "/health", std::nullopt, health);
    router.MarkNonBlocking("GET", std::string(kApiPrefix) + "/health");  // answered on the I/O thread
}

}  // namespace notify
