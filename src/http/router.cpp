#include "http/router.h"

#include <exception>
#include <future>
#include <memory>
#include <mutex>
#include <stdexcept>

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
    routes_.push_back(Route{std::move(method), SplitPath(pattern), minimum_role, std::move(handler), {}, false, {}});
}

void Router::AddAsync(std::string method, std::string pattern, std::optional<Role> minimum_role,
                      AsyncRouteHandler handler) {
    routes_.push_back(Route{std::move(method), SplitPath(pattern), minimum_role, {}, std::move(handler), false, {}});
}

void Reply::Fail(std::exception_ptr error) const { reply_.respond(ResponseForException(std::move(error))); }

void Reply::Offload(std::function<HttpResponse()> work) const {
    reply_.offload([work = std::move(work)] {
        try {
            return work();
        } catch (...) {
            return ResponseForException(std::current_exception());
        }
    });
}

Router::Route& Router::Find(const std::string& method, const std::string& pattern, const char* caller) {
    const auto segments = SplitPath(pattern);
    for (auto& route : routes_) {
        if (route.method == method && route.segments == segments) return route;
    }
    throw std::logic_error(std::string(caller) + ": no route " + method + " " + pattern);
}

std::vector<std::string> Router::RoutePatterns() const {
    std::vector<std::string> patterns;
    patterns.reserve(routes_.size());
    for (const Route& route : routes_) {
        std::string pattern;
        for (const std::string& segment : route.segments) pattern += "/" + segment;
        patterns.push_back(pattern.empty() ? "/" : pattern);
    }
    return patterns;
}

std::vector<std::pair<std::string, std::string>> Router::Routes() const {
    const std::vector<std::string> patterns = RoutePatterns();
    std::vector<std::pair<std::string, std::string>> routes;
    routes.reserve(routes_.size());
    for (std::size_t i = 0; i < routes_.size(); ++i) routes.emplace_back(routes_[i].method, patterns[i]);
    return routes;
}

std::optional<Role> Router::MinimumRole(const std::string& method, const std::string& pattern) const {
    const auto segments = SplitPath(pattern);
    for (const Route& route : routes_) {
        if (route.method == method && route.segments == segments) return route.minimum_role;
    }
    throw std::logic_error("Router::MinimumRole: no route " + method + " " + pattern);
}

void Router::MarkNonBlocking(const std::string& method, const std::string& pattern) {
    Find(method, pattern, "Router::MarkNonBlocking").non_blocking = true;
}

void Router::Guard(const std::string& method, const std::string& pattern, RouteGuard guard) {
    Find(method, pattern, "Router::Guard").guard = std::move(guard);
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

namespace {

// True when the header section announces a body (a non-zero length, or any transfer coding).
bool AnnouncesBody(const HttpRequest& request) {
    if (request.Header("transfer-encoding")) return true;
    const auto length = request.Header("content-length");
    return length && length->find_first_not_of("0 \t") != std::string::npos;
}

RequestContext ContextOf(const HttpRequest& request) {
    RequestContext context;
    if (request.principal) context.principal = *request.principal;
    return context;
}

}  // namespace

HeaderVerdict Router::Admit(HttpRequest& request) const {
    try {
        const auto segments = SplitPath(request.path);
        std::string allowed;
        for (std::size_t index = 0; index < routes_.size(); ++index) {
            const Route& route = routes_[index];
            std::map<std::string, std::string> params;
            if (!Match(route, segments, params)) continue;
            if (route.method != request.method && !(request.method == "HEAD" && route.method == "GET")) {
                allowed += (allowed.empty() ? "" : ", ") + route.method;
                continue;
            }
            if ((request.method == "GET" || request.method == "HEAD") && AnnouncesBody(request)) {
                return {ErrorResponse(400, "bad_request", request.method + " takes no request body"), false, false};
            }
            request.matched_route = index;
            request.path_params = std::move(params);
            if (route.minimum_role) {
                request.principal = std::make_shared<const Principal>(auth_.Require(request, *route.minimum_role));
            }
            if (route.guard) route.guard(request);
            request.route_index = index;
            return {std::nullopt, route.non_blocking, static_cast<bool>(route.async_handler)};
        }
        if (!allowed.empty()) {
            auto response = ErrorResponse(405, "method_not_allowed", request.method + " is not allowed here");
            response.headers.emplace_back("Allow", allowed);
            return {std::move(response), false, false};
        }
        return {ErrorResponse(404, "not_found", "no such endpoint: " + request.path), false, false};
    } catch (...) {
        return {ResponseForException(std::current_exception()), false, false};
    }
}

HttpResponse Router::Handle(HttpRequest& request) const {
    if (!request.route_index) {
        HeaderVerdict verdict = Admit(request);
        if (verdict.reject) return std::move(*verdict.reject);
    }
    const Route& route = routes_.at(*request.route_index);
    if (!route.handler) {
        // An asynchronous route reached without an asynchronous server (a test calling Handle):
        // run it here and wait for its answer.
        std::promise<HttpResponse> answered;
        auto answer_once = std::make_shared<std::once_flag>();
        AsyncReply reply;
        reply.respond = [&answered, answer_once](HttpResponse response) {
            std::call_once(*answer_once, [&] { answered.set_value(std::move(response)); });
        };
        reply.offload = [respond = reply.respond](std::function<HttpResponse()> work) { respond(work()); };
        HandleAsync(request, std::move(reply));
        return answered.get_future().get();
    }
    try {
        return route.handler(request, ContextOf(request));
    } catch (...) {
        return ResponseForException(std::current_exception());
    }
}

void Router::HandleAsync(HttpRequest& request, AsyncReply reply) const {
    const Reply answer(std::move(reply));
    try {
        const Route& route = routes_.at(request.route_index.value());
        if (!route.async_handler) {
            answer.Respond(route.handler(request, ContextOf(request)));
            return;
        }
        route.async_handler(request, ContextOf(request), answer);
    } catch (...) {
        answer.Fail(std::current_exception());
    }
}

}  // namespace notify
