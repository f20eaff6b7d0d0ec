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
        HealthView view;
        view.store_ok = store_ping->Ok();
        if (view.store_ok) {
            try {
                view.queue_depth = ctx.store.QueueDepth();          // O(1): kept by the store's counters
                const Settings settings = ctx.store.GetSettings();  // cached: no query per call
                view.notifications = HealthView::Switches{settings.enabled, settings.paused, settings.rollout_percent};
            } catch (const Error&) {
                view.store_ok = false;
            }
        }
        const auto processor = ctx.processor.Status();
        view.provider = ctx.provider.Name();
        view.processor_running = processor.running;
        view.processor_last_run_at = processor.last_run_at;
        // A provider fault holds sending but the service is up: status stays "ok" (degraded means
        // the store is down); `sending` and `provider_fault` say what operators must act on.
        const SendingStatus sending = ctx.dispatcher.Status();
        view.sending = sending.fault ? "held" : sending.throttled_until ? "throttled" : "ok";
        if (sending.fault) {
            view.provider_fault = HealthView::Fault{sending.fault->error, sending.fault->since, sending.next_probe_at};
        }
        view.throttled_until = sending.throttled_until;
        view.version = NOTIFY_VERSION;
        view.uptime_seconds = (ctx.clock.NowMs() - ctx.started_at) / 1000;
        HttpResponse response;
        response.status = view.store_ok ? 200 : 503;
        response.body.reserve(320);
        AppendHealthJson(response.body, view);
        return response;
    };
    router.Add("GET", std::string(kApiPrefix) + "/health", std::nullopt, health);
    router.MarkNonBlocking("GET", std::string(kApiPrefix) + "/health");  // answered on the I/O thread
}

}  // namespace notify
