#pragma once

#include <stdexcept>
#include <string>

namespace notify {

// Expected failures. Anything may throw these; src/http/errors.cpp is the one place that turns
// them into the contract's error body and status. Broken invariants are not Errors: they abort.
enum class ErrorKind {
    kInvalidInput,      // 400
    kUnauthorized,      // 401
    kForbidden,         // 403
    kNotFound,          // 404
    kMethodNotAllowed,  // 405
    kConflict,          // 409
    kPayloadTooLarge,   // 413
    kTooManyRequests,   // 429 (with Retry-After)
    kUnavailable,       // 503 (store down)
};

class Error : public std::runtime_error {
public:
    Error(ErrorKind kind, std::string code, const std::string& message, std::string field = {})
        : std::runtime_error(message), kind_(kind), code_(std::move(code)), field_(std::move(field)) {}

    ErrorKind kind() const { return kind_; }
    const std::string& code() const { return code_; }
    const std::string& field() const { return field_; }

private:
    ErrorKind kind_;
    std::string code_;
    std::string field_;
};

inline Error InvalidInput(std::string code, const std::string& message, std::string field = {}) {
    return Error(ErrorKind::kInvalidInput, std::move(code), message, std::move(field));
}

// Thrown by a Store when the database cannot be reached or used (disk gone, locked for too long).
class StoreUnavailable : public Error {
public:
    explicit StoreUnavailable(const std::string& message)
        : Error(ErrorKind::kUnavailable, "store_unavailable", message) {}
};

// Thrown when a caller must wait before trying again (e.g. after repeated failed authentication);
// the response carries Retry-After.
class TooManyRequests : public Error {
public:
    TooManyRequests(const std::string& message, int retry_after_seconds)
        : Error(ErrorKind::kTooManyRequests, "too_many_requests", message), retry_after_seconds_(retry_after_seconds) {}

    int retry_after_seconds() const { return retry_after_seconds_; }

private:
    int retry_after_seconds_;
};

}  // namespace notify
