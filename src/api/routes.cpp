#include <string>

#include "api/api_context.h"
#include "http/auth.h"
#include "http/router.h"

namespace notify {
namespace {

// The webhook's shared secret (X-Webhook-Secret or ?key=), checked from the header section so that
// a caller without it is refused before its body is read; the only check of it. A wrong secret
// counts as a failed authentication for the caller's address, as a wrong bearer token does.
// Without a configured secret every call is refused: an open endpoint would let anyone mark
// messages delivered or opt numbers out.
void RequireWebhookSecret(const ApiContext& ctx, const HttpRequest& request) {
    std::optional<std::string> presented = request.Header("x-webhook-secret");
    if (!presented || presented->empty()) presented = request.Query("key");
    ctx.auth.RequireSharedSecret(request, presented, ctx.webhook_secret, "a valid webhook secret is required");
}

}  // namespace

void RegisterApiRoutes(Router& router, ApiContext& ctx) {
    RegisterHealthRoutes(router, ctx);
    RegisterMessageRoutes(router, ctx);
    RegisterBatchRoutes(router, ctx);
    RegisterStatisticsRoutes(router, ctx);
    RegisterQueueRoutes(router, ctx);
    RegisterTemplateRoutes(router, ctx);
    RegisterSettingsRoutes(router, ctx);
    RegisterWebhookRoutes(router, ctx);
    RegisterMetricsRoutes(router, ctx);
    RegisterOpenApiRoutes(router, ctx);
    RegisterBusinessRoutes(router, ctx);
    RegisterEventRoutes(router, ctx);
    RegisterInboxRoutes(router, ctx);
    router.Guard("POST", std::string(kApiPrefix) + "/webhooks/myoperator",
                 [&ctx](const HttpRequest& request) { RequireWebhookSecret(ctx, request); });
}

}  // namespace notify
