// GET /openapi.json: the API described as OpenAPI 3.1, for client generators and API explorers.
#include "api/openapi.h"

#include <string>

#include "api/api_context.h"
#include "http/router.h"

namespace notify {

void RegisterOpenApiRoutes(Router& router, ApiContext&) {
    // Public like /health: it describes the API and holds no data. Only memory, so on the I/O thread.
    const std::string path = std::string(kApiPrefix) + "/openapi.json";
    router.Add("GET", path, std::nullopt, [](HttpRequest&, const RequestContext&) {
        HttpResponse response;
        response.status = 200;
        response.content_type = "application/json; charset=utf-8";
        response.body = std::string(OpenApiDocument());
        return response;
    });
    router.MarkNonBlocking("GET", path);
}

}  // namespace notify
