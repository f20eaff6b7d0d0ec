#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace notify {

struct Principal;  // http/auth.h

struct HttpRequest {
    std::string method;                          // "GET", "POST", ...
    std::string target;                          // as received, e.g. "/api/x?a=1"
    std::string path;                            // percent-decoded path without the query
    std::map<std::string, std::string> query;    // percent-decoded; last value wins
    std::map<std::string, std::string> headers;  // names lower-cased
    std::string body;
    std::map<std::string, std::string> path_params;  // filled by the router
    std::string remote_address;
    // Set at the header stage (Router::Admit): the route that answers and who called, so that the
    // handler stage neither matches the route nor looks the token up a second time.
    std::optional<std::size_t> route_index;
    std::shared_ptr<const Principal> principal;
    // The route whose path and method matched, set even when Admit refused the request (401, say):
    // what metrics count it under. Never a reason to run a handler; route_index is that.
    std::optional<std::size_t> matched_route;

    std::optional<std::string> Header(const std::string& lower_name) const {
        auto it = headers.find(lower_name);
        if (it == headers.end()) return std::nullopt;
        return it->second;
    }
    std::optional<std::string> Query(const std::string& name) const {
        auto it = query.find(name);
        if (it == query.end()) return std::nullopt;
        return it->second;
    }
};

struct HttpResponse {
    int status = 200;
    std::string content_type = "application/json; charset=utf-8";
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;
};

using HttpHandler = std::function<HttpResponse(HttpRequest&)>;

// How an asynchronous handler answers. `respond` sends the response; it may be called from any
// thread, exactly once (the server answers 500 if it never is). `offload` runs blocking work on
// the handler pool and answers with what it returns (503 overloaded when the pool's queue is full).
struct AsyncReply {
    std::function<void(HttpResponse)> respond;
    std::function<void(std::function<HttpResponse()>)> offload;
};

// Runs on the connection's I/O thread with the whole request; it must not block. It answers now
// or later through the reply: a write waiting for its group commit holds no thread meanwhile.
using AsyncHttpHandler = std::function<void(HttpRequest&, AsyncReply)>;

// The answer to "may this request go on?", asked once its header section is read and before any
// body byte is read.
struct HeaderVerdict {
    std::optional<HttpResponse> reject;  // set: answered with this, the body is never read
    bool run_inline = false;             // the handler never blocks: run it on the I/O thread
    bool run_async = false;              // run the asynchronous handler on the I/O thread
};

// Runs on the connection's I/O thread with the request minus its body; it must not block.
using HeaderHook = std::function<HeaderVerdict(HttpRequest&)>;

// A request answered, as metrics see it: after its response was written (or the write failed).
struct RequestOutcome {
    std::string_view method;                   // as received; "-" when the request line never arrived
    std::optional<std::size_t> matched_route;  // HttpRequest::matched_route at the header stage
    int status = 0;
    double seconds = 0;  // from the request's first byte to its response written
    // Valid only during the call. The path never has the query string (it may carry a secret).
    std::string_view path;        // "-" when the request line never arrived
    std::string_view request_id;  // as sent in X-Request-Id
    std::string_view remote_address;
};

// Runs on the connection's I/O thread after every response; it must be cheap and must not block.
using ResponseObserver = std::function<void(const RequestOutcome&)>;

}  // namespace notify
