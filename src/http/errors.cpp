#include "http/errors.h"

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>

namespace notify {

const char* const kStoreUnavailableMessage = "the store is unavailable; try again shortly";

int HttpStatusFor(ErrorKind kind) {
    switch (kind) {
        case ErrorKind::kInvalidInput:
            return 400;
        case ErrorKind::kUnauthorized:
            return 401;
        case ErrorKind::kForbidden:
            return 403;
        case ErrorKind::kNotFound:
            return 404;
        case ErrorKind::kMethodNotAllowed:
            return 405;
        case ErrorKind::kConflict:
            return 409;
        case ErrorKind::kPayloadTooLarge:
            return 413;
        case ErrorKind::kTooManyRequests:
            return 429;
        case ErrorKind::kUnavailable:
            return 503;
    }
    std::abort();  // every kind is listed above
}

std::string DumpJsonSafe(const nlohmann::json& value) {
    // error_handler::replace: invalid UTF-8 from a caller becomes U+FFFD instead of an exception.
    std::string raw = value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    std::string out;
    out.reserve(raw.size() + 16);
    for (char c : raw) {
        switch (c) {
            case '<':
                out += "\\u003c";
                break;
            case '>':
                out += "\\u003e";
                break;
            case '&':
                out += "\\u0026";
                break;
            default:
                out += c;
        }
    }
    return out;
}

HttpResponse JsonResponse(int status, const nlohmann::json& value) {
    HttpResponse response;
    response.status = status;
    response.body = DumpJsonSafe(value);
    return response;
}

HttpResponse ErrorResponse(int status, const std::string& code, const std::string& message, const std::string& field) {
    nlohmann::json error = {{"code", code}, {"message", message}};
    if (!field.empty()) error["field"] = field;
    return JsonResponse(status, {{"error", error}});
}

HttpResponse ResponseForException(std::exception_ptr error) {
    try {
        std::rethrow_exception(error);
    } catch (const TooManyRequests& e) {
        auto response = ErrorResponse(HttpStatusFor(e.kind()), e.code(), e.what(), e.field());
        response.headers.emplace_back("Retry-After", std::to_string(e.retry_after_seconds()));
        return response;
    } catch (const Error& e) {
        if (e.kind() == ErrorKind::kUnavailable) {
            // The detail names the database file and quotes SQLite: for the log, not for callers.
            spdlog::error("store unavailable: {}", e.what());
            return ErrorResponse(HttpStatusFor(e.kind()), "store_unavailable", kStoreUnavailableMessage);
        }
        return ErrorResponse(HttpStatusFor(e.kind()), e.code(), e.what(), e.field());
    } catch (const nlohmann::json::parse_error& e) {
        return ErrorResponse(400, "invalid_json", "request body is not valid JSON");
    } catch (const std::exception& e) {
        spdlog::error("unexpected error while handling a request: {}", e.what());
        return ErrorResponse(500, "internal", "internal error");
    } catch (...) {
        spdlog::error("unexpected non-standard exception while handling a request");
        return ErrorResponse(500, "internal", "internal error");
    }
}

}  // namespace notify
