#pragma once

#include <exception>
#include <functional>
#include <optional>
#include <string>
#include <utility>
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

// How an asynchronous route answers: Respond() with a response, Fail() with an exception (mapped as
// Handle() maps a thrown one), or Offload() blocking work to the handler pool. Once, from any thread.
class Reply {
public:
    explicit Reply(AsyncReply reply) : reply_(std::move(reply)) {}
    void Respond(HttpResponse response) const { reply_.respond(std::move(response)); }
    void Fail(std::exception_ptr error) const;
    void Offload(std::function<HttpResponse()> work) const;

private:
    AsyncReply reply_;
};

// A route whose handler runs on the I/O thread and must not block: it answers through the Reply,
// now or from another thread (a write answered from its group commit's completion).
using AsyncRouteHandler = std::function<void(HttpRequest&, const RequestContext&, const Reply&)>;

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

    // A route answered asynchronously (see AsyncRouteHandler). A throw before the handler returns
    // is answered as Handle() answers it.
    void AddAsync(std::string method, std::string pattern, std::optional<Role> minimum_role, AsyncRouteHandler handler);

    // Marks the route registered as `method` `pattern` (std::logic_error when there is none) as one
    // whose handler only reads memory or cheap state and never blocks: the server runs it on the
    // connection's I/O thread instead of handing it to the handler pool.
    void MarkNonBlocking(const std::string& method, const std::string& pattern);

    // Adds a header-stage check to the route registered as `method` `pattern` (std::logic_error
    // when there is none). It runs after authentication and before any body byte is read.
    void Guard(const std::string& method, const std::string& pattern, RouteGuard guard);

    // The pattern of every route, by route index (HttpRequest::route_index, matched_route), as
    // registered: "/api/notifications/messages/{id}". Bounded, so metrics may use it as a label.
    std::vector<std::string> RoutePatterns() const;

    // Every registered route as (method, pattern), in registration order: "GET",
    // "/api/notifications/messages/{id}". What the OpenAPI document must describe, no more, no less.
    std::vector<std::pair<std::string, std::string>> Routes() const;

    // The minimum role of the route registered as `method` `pattern` (nullopt: public), or
    // std::logic_error when there is none.
    std::optional<Role> MinimumRole(const std::string& method, const std::string& pattern) const;

    // Header stage: the 404, 405, 401, 403 or guard answer when the request must not go on;
    // otherwise records the route and the caller in `request` and says whether the handler may
    // run inline. A GET or HEAD that announces a body is refused (400): no route reads one, and a
    // public route must not let a client hold a connection with a body it never sends.
    HeaderVerdict Admit(HttpRequest& request) const;

    // Runs the route Admit() chose, or admits the request first when that has not happened.
    HttpResponse Handle(HttpRequest& request) const;

    // Runs the asynchronous route Admit() chose (it said run_async).
    void HandleAsync(HttpRequest& request, AsyncReply reply) const;

private:
    struct Route {
        std::string method;
        std::vector<std::string> segments;  // "{name}" captures
        std::optional<Role> minimum_role;
        RouteHandler handler;
        AsyncRouteHandler async_handler;
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
