// POST /process-queue: one processing pass now (the runbook's "background processor" test).
#include <nlohmann/json.hpp>

#include "api/api_context.h"
#include "api/json_io.h"
#include "http/errors.h"
#include "http/router.h"
#include "queue/processor.h"

namespace notify {

nlohmann::json PassResultToJson(const PassResult& pass) {
    return {
        {"processed", pass.processed},
        {"sent", pass.sent},
        {"failed", pass.failed},
        {"retry_scheduled", pass.retry_scheduled},
        {"suppressed", pass.suppressed},
        {"remaining", pass.remaining},
        {"paused", pass.paused},
        {"deferred", pass.deferred},
        {"held", pass.held},
    };
}

void RegisterQueueRoutes(Router& router, ApiContext& ctx) {
    router.Add("POST", std::string(kApiPrefix) + "/process-queue", Role::kOperator,
               [&ctx](HttpRequest& http, const RequestContext&) {
                   const bool force = QueryBool(http, "force").value_or(false);
                   return JsonResponse(200, PassResultToJson(ctx.processor.RunOnce(force)));
               });
}

}  // namespace notify
