// GET|PUT /settings: switches operators use during rollout and incidents.
#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

#include "api/api_context.h"
#include "api/json_io.h"
#include "http/errors.h"
#include "http/router.h"
#include "notify/settings_rules.h"
#include "queue/dispatcher.h"
#include "queue/processor.h"
#include "store/store.h"

namespace notify {

void RegisterSettingsRoutes(Router& router, ApiContext& ctx) {
    const std::string path = std::string(kApiPrefix) + "/settings";
    router.Add("GET", path, Role::kViewer, [&ctx](HttpRequest&, const RequestContext&) {
        return JsonResponse(200, SettingsToJson(ctx.store.GetSettings()));
    });
    router.Add("PUT", path, Role::kAdmin, [&ctx](HttpRequest& http, const RequestContext& rc) {
        const auto patch = ParseJsonObjectBody(http, false);
        Settings updated = ApplySettingsPatch(ctx.store.GetSettings(), patch);
        updated.updated_at = ctx.clock.NowMs();
        updated.updated_by = rc.principal ? rc.principal->name : "";
        ctx.store.PutSettings(updated);
        spdlog::info("settings changed by {}: enabled={} paused={} rollout_percent={}", updated.updated_by,
                     updated.enabled, updated.paused, updated.rollout_percent);
        // Any PUT also lifts a hold after a provider fault: the admin says the account is fixed. If
        // it is not, the next send finds out and holds again.
        ctx.dispatcher.ClearHold("admin " + updated.updated_by);
        ctx.processor.WakeAll();  // unpausing should send what waited at once
        return JsonResponse(200, SettingsToJson(updated));
    });
}

}  // namespace notify
