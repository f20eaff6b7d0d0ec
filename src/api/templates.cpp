// GET /templates, GET|PUT /templates/{name}, POST /templates/{name}/preview.
#include "notify/templates.h"

#include <nlohmann/json.hpp>

#include "api/api_context.h"
#include "api/json_io.h"
#include "common/errors.h"
#include "http/errors.h"
#include "http/router.h"
#include "store/store.h"

namespace notify {
namespace {

Template FindTemplate(ApiContext& ctx, const HttpRequest& http) {
    const std::string& name = http.path_params.at("name");
    auto tmpl = ctx.store.GetTemplate(name);
    if (!tmpl) throw Error(ErrorKind::kNotFound, "not_found", "no template named \"" + name + "\"");
    return *tmpl;
}

}  // namespace

void RegisterTemplateRoutes(Router& router, ApiContext& ctx) {
    const std::string base = std::string(kApiPrefix) + "/templates";
    router.Add("GET", base, Role::kViewer, [&ctx](HttpRequest&, const RequestContext&) {
        nlohmann::json items = nlohmann::json::array();
        for (const auto& tmpl : ctx.store.ListTemplates()) items.push_back(TemplateToJson(tmpl));
        const auto count = items.size();
        return JsonResponse(200, {{"items", std::move(items)}, {"count", count}});
    });
    router.Add("GET", base + "/{name}", Role::kViewer, [&ctx](HttpRequest& http, const RequestContext&) {
        return JsonResponse(200, TemplateToJson(FindTemplate(ctx, http)));
    });
    router.Add("PUT", base + "/{name}", Role::kAdmin, [&ctx](HttpRequest& http, const RequestContext&) {
        const auto patch = ParseJsonObjectBody(http, false);
        Template updated = ApplyTemplatePatch(FindTemplate(ctx, http), patch);
        updated.updated_at = ctx.clock.NowMs();
        ctx.store.UpdateTemplate(updated);
        return JsonResponse(200, TemplateToJson(updated));
    });
    router.Add("POST", base + "/{name}/preview", Role::kViewer, [&ctx](HttpRequest& http, const RequestContext&) {
        const Template tmpl = FindTemplate(ctx, http);
        const auto body = ParseJsonObjectBody(http, true);
        const Context context = ParseContext(body.contains("context") ? body["context"] : nlohmann::json());
        const RenderedTemplate rendered = RenderTemplate(tmpl, context, ParseOptionalLanguage(body));
        nlohmann::json parameters = nlohmann::json::object();
        for (std::size_t i = 0; i < rendered.parameters.size(); ++i) {
            parameters[std::to_string(i + 1)] = rendered.parameters[i];
        }
        return JsonResponse(200, {{"name", tmpl.name},
                                  {"provider_template_name", tmpl.provider_template_name},
                                  {"language", rendered.language},
                                  {"parameters", std::move(parameters)},
                                  {"body", rendered.preview}});
    });
}

}  // namespace notify
