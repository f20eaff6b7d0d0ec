#include <string>

#include "api/api_context.h"
#include "common/errors.h"
#include "http/auth.h"
#include "http/router.h"

namespace notify {
namespace {

// The webhook's shared secret (X-Webhook-Secret or ?key=), checked from the header section so that
// a caller without it is refused before its body is read. The handler checks it again: harmless,
// and it keeps the webhook safe wherever it is mounted.
void RequireWebhookSecretInHeaders(const ApiContext& ctx, const HttpRequest& request) {
    std::optional<std::string> presented = request.Header("x-webhook-secret");
    if (!presented || presented->empty()) presented = request.Query("key");
    const bool ok = ctx.webhook_secret && !ctx.webhook_secret->empty() && presented &&
                    ConstantTimeEquals(*presented, *ctx.webhook_secret);
    if (!ok) throw Error(ErrorKind::kUnauthorized, "unauthorized", "a valid webhook secret is required");
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
    router.Guard("POST", std::string(kApiPrefix) + "/webhooks/myoperator",
                 [&ctx](const HttpRequest& request) { RequireWebhookSecretInHeaders(ctx, request); });
}

}  // namespace notify
