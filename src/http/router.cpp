#include "http/router.h"

#include <exception>

#include "common/errors.h"
#include "http/errors.h"

namespace notify {

std::vector<std::string> SplitPath(const std::string& path) {
    std::vector<std::string> segments;
    std::size_t pos = 0;
    while (pos <= path.size()) {
        const std::size_t next = path.find('/', pos);
        const std::size_t end = next == std::string::npos ? path.size() : next;
        if (end > pos) segments.push_back(path.substr(pos, end - pos));
        if (next == std::string::npos) break;
        pos = next + 1;
    }
    return segments;
}

void Router::Add(std::string method, std::string pattern, std::optional<Role> minimum_role, RouteHandler handler) {
    routes_.push_back(Route{std::move(method), SplitPath(pattern), minimum_role, std::move(handler)});
}

bool Router::Match(const Route& route, const std::vector<std::string>& segments,
                   std::map<std::string, std::string>& params) {
    if (route.segments.size() != segments.size()) return false;
    std::map<std::string, std::string> captured;
    for (std::size_t i = 0; i < segments.size(); ++i) {
        const std::string& want = route.segments[i];
        if (want.size() > 2 && want.front() == '{' && want.back() == '}') {
            captured[want.substr(1, want.size() - 2)] = segments[i];
        } else if (want != segments[i]) {
            return false;
        }
    }
    params = std::move(captured);
    return true;
}

HttpResponse Router::Handle(HttpRequest& request) const {
    try {
        const auto segments = SplitPath(request.path);
        std::string allowed;
        for (const auto& route : routes_) {
            std::map<std::string, std::string> params;
            if (!Match(route, segments, params)) continue;
            if (route.method != request.method && !(request.method == "HEAD" && route.method == "GET")) {
                allowed += (allowed.empty() ? "" : ", ") + route.method;
                continue;
            }
            request.path_params = std::move(params);
            RequestContext context;
            if (route.minimum_role) context.principal = auth_.Require(request, *route.minimum_role);
            return route.handler(request, context);
        }
        if (!allowed.empty()) {
            auto response = ErrorResponse(405, "method_not_allowed", request.method + " is not allowed here");
            response.headers.emplace_back("Allow", allowed);
            return response;
        }
        return ErrorResponse(404, "not_found", "no such endpoint: " + request.path);
    } catch (...) {
        return ResponseForException(std::current_exception());
    }
}

}  // namespace notify
