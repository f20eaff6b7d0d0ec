#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace notify {

struct HttpRequest {
    std::string method;                          // "GET", "POST", ...
    std::string target;                          // as received, e.g. "/api/x?a=1"
    std::string path;                            // percent-decoded path without the query
    std::map<std::string, std::string> query;    // percent-decoded; last value wins
    std::map<std::string, std::string> headers;  // names lower-cased
    std::string body;
    std::map<std::string, std::string> path_params;  // filled by the router
    std::string remote_address;

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

}  // namespace notify
