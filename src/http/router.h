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

// A check of the header section (a shared secret, say) that throws notify::Error to refuse.
using RouteGuard = std::function<void(const HttpRequest&)>;

// Matches method and path ("/api/notifications/templates/{name}"), authenticates by role, runs
// the handler, and maps every exception to the contract's error body: the one place where that
// happens for the API. Admit() does the matching and authentication from the header section
// alone, so that the server reads no body for a request that will be refused.
class Router {
public:
    explicit Router(const Authenticator& auth) : auth_(auth) {}

    // minimum_role nullopt: no bearer token needed (health, webhooks with their own secret).
    void Add(std::string method, std::string pattern, std::optional<Role> minimum_role, RouteHandler handler);

    // Marks the route registered as `method` `pattern` (std::logic_error when there is none) as one
    // whose handler only reads memory or cheap state and never blocks: the server runs it on the
    // connection's I/O thread instead of handing it to the handler pool.
    void MarkNonBlocking(const std::string& method, const std::string& pattern);

    // Adds a header-stage check to the route registered as `method` `pattern` (std::logic_error
    // when there is none). It runs after authentication and before any body byte is read.
    void Guard(const std::string& method, const std::string& pattern, RouteGuard guard);

    // Header stage: the 404, 405, 401, 403 or guard answer when the request must not go on;
    // otherwise records the route and the caller in `request` and says whether the handler may
    // run inline. A GET or HEAD that announces a body is refused (400): no route reads one, and a
    // public route must not let a client hold a connection with a body it never sends.
    HeaderVerdict Admit(HttpRequest& request) const;

    // Runs the route Admit() chose, or admits the request first when that has not happened.
    HttpResponse Handle(HttpRequest& request) const;

private:
    struct Route {
        std::string method;
        std::vector<std::string> segments;  // "{name}" captures
        std::optional<Role> minimum_role;
        RouteHandler handler;
        bool non_blocking = false;
        RouteGuard guard;
    };
    Route& Find(const std::string& method, const std::string& pattern, const char* caller);
    static bool Match(const Route& route, const std::vector<std::string>& segments,
                      std::map<std::string, std::string>& params);

    const Authenticator& auth_;
    std::vector<Route> routes_;
};

std::vector<std::string> SplitPath(const std::string& path);

}  // namespace notify
