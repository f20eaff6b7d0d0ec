#pragma once

#include <exception>
#include <nlohmann/json_fwd.hpp>
#include <string>

#include "common/errors.h"
#include "http/http_types.h"

namespace notify {

int HttpStatusFor(ErrorKind kind);

// The whole message of every 503 store_unavailable: what went wrong (the database path, SQLite's
// text) is logged, never sent.
extern const char* const kStoreUnavailableMessage;

// The contract's {"error": {"code", "message", "field"?}} body. The only writer of error JSON.
HttpResponse ErrorResponse(int status, const std::string& code, const std::string& message,
                           const std::string& field = {});

// Maps the exception in flight (notify::Error and its kinds, JSON parse errors, anything else)
// to a response. Unexpected exceptions become 500 "internal" and are logged; a store failure is
// 503 store_unavailable with kStoreUnavailableMessage (its detail logged); TooManyRequests adds
// Retry-After.
HttpResponse ResponseForException(std::exception_ptr error);

// Serialises JSON for a response body. '<', '>' and '&' are written as \u003c, \u003e, \u0026 so
// that text a caller sent can never be read as markup, whatever the client does with it.
std::string DumpJsonSafe(const nlohmann::json& value);

HttpResponse JsonResponse(int status, const nlohmann::json& value);

}  // namespace notify
