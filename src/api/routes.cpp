#include "api/api_context.h"

namespace notify {

void RegisterApiRoutes(Router& router, ApiContext& ctx) {
    RegisterHealthRoutes(router, ctx);
    RegisterMessageRoutes(router, ctx);
    RegisterBatchRoutes(router, ctx);
    RegisterStatisticsRoutes(router, ctx);
    RegisterQueueRoutes(router, ctx);
    RegisterTemplateRoutes(router, ctx);
    RegisterSettingsRoutes(router, ctx);
    RegisterWebhookRoutes(router, ctx);
}

}  // namespace notify
