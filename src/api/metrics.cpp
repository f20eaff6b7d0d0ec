// GET /metrics: the Prometheus exposition of the service's counters and state.
#include <spdlog/spdlog.h>

#include <string>

#include "api/api_context.h"
#include "common/errors.h"
#include "http/auth.h"
#include "http/router.h"
#include "metrics/exposition.h"
#include "metrics/service_metrics.h"
#include "queue/dispatcher.h"
#include "queue/processor.h"
#include "store/store.h"

namespace notify {
namespace {

// The store's part of a scrape: statistics counter rows (types x statuses, not messages), the queue
// depth from the counters, one index seek for the next due entry, and the cached settings. A 60,000
// message backlog costs the same as an empty queue. Left out when the store fails, so that the
// rest of the scrape still arrives and notifyd_store_up says why the store's values are missing.
void ReadStore(Store& store, metrics::ServiceSnapshot& snapshot) {
    try {
        snapshot.messages = store.Stats(StatsQuery{});
        snapshot.queue_depth = store.QueueDepth();
        snapshot.next_due_at = store.NextDueAt();
        snapshot.settings = store.GetSettings();
        snapshot.store_ok = true;
    } catch (const Error& e) {
        spdlog::warn("metrics: the store did not answer: {}", e.what());
        snapshot = metrics::ServiceSnapshot{};
    }
}

HttpResponse Metrics(ApiContext& ctx) {
    metrics::ServiceSnapshot snapshot;
    ReadStore(ctx.store, snapshot);
    const ProcessorStatus processor = ctx.processor.Status();
    snapshot.processor_running = processor.running;
    snapshot.processor_last_run_at = processor.last_run_at;
    snapshot.processor_last_pass_ms = processor.last_pass_ms;
    const SendingStatus sending = ctx.dispatcher.Status();
    snapshot.sending_held = sending.fault.has_value();
    snapshot.sending_throttled = sending.throttled_until.has_value();
    snapshot.version = NOTIFY_VERSION;
    snapshot.started_at = ctx.started_at;
    snapshot.now = ctx.clock.NowMs();
    HttpResponse response;
    response.content_type = metrics::kExpositionContentType;
    response.body = metrics::RenderMetrics(ctx.metrics, snapshot);
    return response;
}

}  // namespace

void RegisterMetricsRoutes(Router& router, ApiContext& ctx) {
    // At the root, where Prometheus looks by default, and beside the API for proxies that pass only
    // the API's prefix. It reads the store (statistics rows), so it stays on the handler pool.
    for (const std::string& pattern : {std::string("/metrics"), std::string(kApiPrefix) + "/metrics"}) {
        router.Add("GET", pattern, std::nullopt, [&ctx](HttpRequest&, const RequestContext&) { return Metrics(ctx); });
        if (!ctx.metrics_token) continue;
        // Checked from the header section, in constant time, and a wrong token counts as a failed
        // authentication for the address, as a wrong bearer token does.
        router.Guard("GET", pattern, [&ctx](const HttpRequest& request) {
            ctx.auth.RequireSharedSecret(request, BearerToken(request), ctx.metrics_token,
                                         "a valid metrics token is required (Authorization: Bearer)");
        });
    }
}

}  // namespace notify
