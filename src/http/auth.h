#pragma once

#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/clock.h"
#include "http/http_types.h"
#include "notify/model.h"

namespace notify {

class TokenLookup;

struct Principal {
    std::string name;
    Role role = Role::kViewer;
};

// The token of an "Authorization: Bearer TOKEN" header (scheme in any case, spaces around it
// trimmed); nullopt without one.
std::optional<std::string> BearerToken(const HttpRequest& request);

// Hex SHA-256; tokens are stored and compared only as hashes.
std::string HashToken(std::string_view token);

// A new random bearer token ("nfy_" + 64 hex digits).
std::string GenerateToken();

// Constant-time equality (lengths may differ; the time does not depend on where they differ).
bool ConstantTimeEquals(std::string_view a, std::string_view b);

// `token create --expires-in`: a whole number and a unit, d (days), h (hours) or m (minutes),
// e.g. "90d", from one minute to ten years. nullopt for anything else.
std::optional<TimeMs> ParseTokenLifetime(std::string_view text);

struct FailedAuthPolicy {
    int max_failures = 10;                       // within one window, from one address ...
    TimeMs window_ms = 60'000;                   // ...
    TimeMs block_ms = 60'000;                    // ... and the address gets 429 for this long
    std::size_t max_tracked_addresses = 10'000;  // memory stays bounded whatever the traffic
};

// Counts failed authentications per remote address and says when one must wait. Pure: the caller
// passes the time and does the locking.
class FailedAuthLimiter {
public:
    explicit FailedAuthLimiter(FailedAuthPolicy policy = {}) : policy_(policy) {}

    // How long `address` must still wait, in ms; 0 when it may try.
    TimeMs BlockedFor(const std::string& address, TimeMs now) const;
    // True when this failure is the one that blocks the address.
    bool RecordFailure(const std::string& address, TimeMs now);
    std::size_t TrackedAddresses() const { return entries_.size(); }

private:
    struct Entry {
        TimeMs window_start = 0;
        int failures = 0;
        TimeMs blocked_until = 0;
    };
    // Whether the entry holds nothing that matters any more at `now`.
    bool Stale(const Entry& entry, TimeMs now) const;
    void MakeRoom(TimeMs now);

    FailedAuthPolicy policy_;
    std::unordered_map<std::string, Entry> entries_;
};

struct AuthOptions {
    // A token found in the store is trusted this long without asking again: revoking one reaches a
    // running server (every node, whatever the store) within this.
    TimeMs token_cache_ms = 500;
    // last_used_at is written when it is older than this, so not once per request.
    TimeMs last_used_interval_ms = 60'000;
    std::size_t max_cached_tokens = 4096;
    FailedAuthPolicy failures;
};

// Bearer-token authentication: the ADMIN_TOKEN bootstrap token, or a token created with
// `notifyd token create` (looked up by its hash). Safe to use from several threads.
class Authenticator {
public:
    Authenticator(TokenLookup& tokens, const Clock& clock, std::optional<std::string> admin_token,
                  AuthOptions options = {});

    // The caller's identity, or nullopt without a valid, unexpired "Authorization: Bearer ..." token.
    std::optional<Principal> Authenticate(const HttpRequest& request) const;

    // Throws unauthorized (no or bad token), forbidden (role below `minimum`), or too_many_requests
    // when the request's address has failed too often lately (then the token is not looked up).
    Principal Require(const HttpRequest& request, Role minimum) const;

    // A shared secret presented instead of a bearer token (the webhook's), `presented` as the
    // caller found it in the request. Throws too_many_requests like Require() when the address has
    // failed too often lately (then nothing is compared), and unauthorized with `message` when the
    // secret is missing or wrong or none is configured (`expected` absent or empty). A wrong secret
    // counts as a failed authentication for the address, as a wrong token does; a missing one does
    // not, and neither does any when none is configured (there is nothing to guess).
    void RequireSharedSecret(const HttpRequest& request, const std::optional<std::string>& presented,
                             const std::optional<std::string>& expected, const std::string& message) const;

private:
    struct CachedToken {
        ApiToken token;
        TimeMs fetched_at = 0;
    };
    std::optional<ApiToken> FindToken(const std::string& hash, TimeMs now) const;
    void NoteUse(ApiToken& token, TimeMs now) const;
    // Throws too_many_requests while `request`'s address is blocked.
    void RefuseIfBlocked(const HttpRequest& request, TimeMs now) const;
    // Counts a presented and refused credential against `request`'s address.
    void RecordFailure(const HttpRequest& request, TimeMs now) const;

    TokenLookup& tokens_;
    const Clock& clock_;
    std::optional<std::string> admin_token_hash_;
    AuthOptions options_;

    mutable std::mutex mutex_;                                    // guards the two below
    mutable std::unordered_map<std::string, CachedToken> cache_;  // by hash; found tokens only
    mutable FailedAuthLimiter failures_;
};

}  // namespace notify
