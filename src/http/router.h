#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "http/auth.h"
#include "http/http_types.h"

namespace notify {

// What a route handler gets besides the request: who called (absent on public routes).
struct RequestContext {
    std::optional<Principal> principal;
    bool IsViewerOnly() const { return principal && principal->role == Role::kViewer; }
};

using RouteHandler = std::function<HttpResponse(HttpRequest&, const RequestContext&)>;

// Matches method and path ("/api/notifications/templates/{name}"), authenticates by role, runs
// the handler, and maps every exception to the contract's error body: the one place where that
// happens for the API.
class Router {
public:
    explicit Router(const Authenticator& auth) : auth_(auth) {}

    // minimum_role nullopt: no bearer token needed (health, webhooks with their own secret).
    void Add(std::string method, std::string pattern, std::optional<Role> minimum_role, RouteHandler handler);

    HttpResponse Handle(HttpRequest& request) const;

private:
    struct Route {
        std::string method;
        std::vector<std::string> segments;  // "{name}" captures
        std::optional<Role> minimum_role;
        RouteHandler handler;
    };
    static bool Match(const Route& route, const std::vector<std::string>& segments,
                      std::map<std::string, std::string>& params);

    const Authenticator& auth_;
    std::vector<Route> routes_;
};

std::vector<std::string> SplitPath(const std::string& path);

}  // namespace notify
