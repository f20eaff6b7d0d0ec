#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "http/http_types.h"
#include "notify/model.h"

namespace notify {

class Store;

struct Principal {
    std::string name;
    Role role = Role::kViewer;
};

// Hex SHA-256; tokens are stored and compared only as hashes.
std::string HashToken(std::string_view token);

// A new random bearer token ("nfy_" + 64 hex digits).
std::string GenerateToken();

// Constant-time equality (lengths may differ; the time does not depend on where they differ).
bool ConstantTimeEquals(std::string_view a, std::string_view b);

// Bearer-token authentication: the ADMIN_TOKEN bootstrap token, or a token created with
// `notifyd token create` (looked up by its hash).
class Authenticator {
public:
    Authenticator(Store& store, std::optional<std::string> admin_token);

    // The caller's identity, or nullopt without a valid "Authorization: Bearer ..." header.
    std::optional<Principal> Authenticate(const HttpRequest& request) const;

    // Throws unauthorized (no or bad token) or forbidden (role below `minimum`).
    Principal Require(const HttpRequest& request, Role minimum) const;

private:
    Store& store_;
    std::optional<std::string> admin_token_hash_;
};

}  // namespace notify
