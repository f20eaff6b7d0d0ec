#include "http/auth.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <stdexcept>

#include "common/errors.h"
#include "store/store.h"

namespace notify {
namespace {

std::string Hex(const unsigned char* data, std::size_t size) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out;
    out.reserve(size * 2);
    for (std::size_t i = 0; i < size; ++i) {
        out += kDigits[data[i] >> 4];
        out += kDigits[data[i] & 0xf];
    }
    return out;
}

}  // namespace

std::optional<std::string> BearerToken(const HttpRequest& request) {
    const auto header = request.Header("authorization");
    if (!header) return std::nullopt;
    const std::string& value = *header;
    constexpr std::string_view kScheme = "bearer ";
    if (value.size() <= kScheme.size()) return std::nullopt;
    for (std::size_t i = 0; i < kScheme.size(); ++i) {
        if (std::tolower(static_cast<unsigned char>(value[i])) != kScheme[i]) return std::nullopt;
    }
    std::string token = value.substr(kScheme.size());
    while (!token.empty() && token.front() == ' ') token.erase(0, 1);
    while (!token.empty() && token.back() == ' ') token.pop_back();
    if (token.empty()) return std::nullopt;
    return token;
}

std::string HashToken(std::string_view token) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (EVP_Digest(token.data(), token.size(), digest, &length, EVP_sha256(), nullptr) != 1) {
        throw std::runtime_error("SHA-256 failed");
    }
    return Hex(digest, length);
}

std::string GenerateToken() {
    unsigned char bytes[32];
    if (RAND_bytes(bytes, sizeof bytes) != 1) throw std::runtime_error("no random bytes for a token");
    return "nfy_" + Hex(bytes, sizeof bytes);
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
    // Compare digests so that the time does not reveal the length or a common prefix.
    const std::string ha = HashToken(a);
    const std::string hb = HashToken(b);
    return CRYPTO_memcmp(ha.data(), hb.data(), ha.size()) == 0;
}

std::optional<TimeMs> ParseTokenLifetime(std::string_view text) {
    constexpr TimeMs kMinute = 60'000;
    constexpr TimeMs kLongest = 3650LL * 24 * 60 * kMinute;
    if (text.size() < 2 || text.size() > 10) return std::nullopt;
    TimeMs unit = 0;
    switch (text.back()) {
        case 'd':
            unit = 24 * 60 * kMinute;
            break;
        case 'h':
            unit = 60 * kMinute;
            break;
        case 'm':
            unit = kMinute;
            break;
        default:
            return std::nullopt;
    }
    TimeMs count = 0;
    for (char c : text.substr(0, text.size() - 1)) {
        if (c < '0' || c > '9') return std::nullopt;
        count = count * 10 + (c - '0');  // at most nine digits: no overflow
    }
    const TimeMs lifetime = count * unit;
    if (lifetime < kMinute || lifetime > kLongest) return std::nullopt;
    return lifetime;
}

bool FailedAuthLimiter::Stale(const Entry& entry, TimeMs now) const {
    return entry.blocked_until <= now && now - entry.window_start >= policy_.window_ms;
}

TimeMs FailedAuthLimiter::BlockedFor(const std::string& address, TimeMs now) const {
    const auto it = entries_.find(address);
    if (it == entries_.end() || it->second.blocked_until <= now) return 0;
    return it->second.blocked_until - now;
}

bool FailedAuthLimiter::RecordFailure(const std::string& address, TimeMs now) {
    auto it = entries_.find(address);
    if (it == entries_.end()) {
        if (entries_.size() >= std::max<std::size_t>(policy_.max_tracked_addresses, 1)) MakeRoom(now);
        it = entries_.emplace(address, Entry{now, 0, 0}).first;
    }
    Entry& entry = it->second;
    if (now - entry.window_start >= policy_.window_ms) {
        entry.window_start = now;
        entry.failures = 0;
    }
    if (++entry.failures < policy_.max_failures) return false;
    entry.blocked_until = now + policy_.block_ms;
    entry.window_start = now;
    entry.failures = 0;
    return true;
}

void FailedAuthLimiter::MakeRoom(TimeMs now) {
    std::erase_if(entries_, [&](const auto& item) { return Stale(item.second, now); });
    if (entries_.size() < std::max<std::size_t>(policy_.max_tracked_addresses, 1)) return;
    // Every address is still of interest (a flood from many addresses): forget the one whose
    // record matters least soon, the one that ends first.
    const auto ends = [this](const Entry& e) { return std::max(e.blocked_until, e.window_start + policy_.window_ms); };
    const auto first_to_end = std::min_element(entries_.begin(), entries_.end(), [&](const auto& a, const auto& b) {
        return ends(a.second) < ends(b.second);
    });
    entries_.erase(first_to_end);
}

Authenticator::Authenticator(TokenLookup& tokens, const Clock& clock, std::optional<std::string> admin_token,
                             AuthOptions options)
    : tokens_(tokens), clock_(clock), options_(options), failures_(options.failures) {
    if (admin_token) admin_token_hash_ = HashToken(*admin_token);
}

std::optional<ApiToken> Authenticator::FindToken(const std::string& hash, TimeMs now) const {
    {
        std::lock_guard lock(mutex_);
        const auto it = cache_.find(hash);
        if (it != cache_.end() && now >= it->second.fetched_at &&
            now - it->second.fetched_at < options_.token_cache_ms) {
            return it->second.token;
        }
    }
    // Outside the lock: a slow store must not hold up requests whose tokens are cached. The lookup
    // is by digest, so its timing says nothing about the token itself.
    std::optional<ApiToken> found = tokens_.FindTokenByHash(hash);
    std::lock_guard lock(mutex_);
    if (!found) {
        cache_.erase(hash);  // revoked since it was cached
        return std::nullopt;
    }
    if (cache_.size() >= options_.max_cached_tokens && !cache_.contains(hash)) {
        std::erase_if(cache_,
                      [&](const auto& item) { return now - item.second.fetched_at >= options_.token_cache_ms; });
        if (cache_.size() >= options_.max_cached_tokens) cache_.clear();
    }
    // A use this process recorded may not be visible in what the store returned (another node's
    // read, a replica): keep the later of the two, so that it is not written again at once.
    if (const auto it = cache_.find(hash); it != cache_.end() && it->second.token.last_used_at) {
        found->last_used_at = std::max(found->last_used_at.value_or(0), *it->second.token.last_used_at);
    }
    cache_[hash] = CachedToken{*found, now};
    return found;
}

void Authenticator::NoteUse(ApiToken& token, TimeMs now) const {
    {
        std::lock_guard lock(mutex_);
        const auto it = cache_.find(token.token_hash);
        if (it != cache_.end()) token.last_used_at = it->second.token.last_used_at;
        if (token.last_used_at && now - *token.last_used_at < options_.last_used_interval_ms) return;
        // Claimed before writing, so that requests arriving meanwhile do not write it again.
        if (it != cache_.end()) it->second.token.last_used_at = now;
    }
    try {
        tokens_.RecordTokenUse(token.token_hash, now);
    } catch (const std::exception& e) {
        // Bookkeeping only: the request goes on without it.
        spdlog::warn("could not record the use of token {}: {}", token.name, e.what());
    }
}

std::optional<Principal> Authenticator::Authenticate(const HttpRequest& request) const {
    const auto token = BearerToken(request);
    if (!token) return std::nullopt;
    const std::string hash = HashToken(*token);
    if (admin_token_hash_ && CRYPTO_memcmp(hash.data(), admin_token_hash_->data(), hash.size()) == 0) {
        return Principal{"admin-token", Role::kAdmin};
    }
    const TimeMs now = clock_.NowMs();
    auto stored = FindToken(hash, now);
    if (!stored) return std::nullopt;
    if (stored->expires_at && now >= *stored->expires_at) return std::nullopt;
    NoteUse(*stored, now);
    return Principal{stored->name, stored->role};
}

void Authenticator::RefuseIfBlocked(const HttpRequest& request, TimeMs now) const {
    TimeMs wait = 0;
    {
        std::lock_guard lock(mutex_);
        wait = failures_.BlockedFor(request.remote_address, now);
    }
    if (wait > 0) {
        const int seconds = static_cast<int>((wait + 999) / 1000);
        throw TooManyRequests(
            "too many failed authentications from this address; try again in " + std::to_string(seconds) + " s",
            seconds);
    }
}

void Authenticator::RecordFailure(const HttpRequest& request, TimeMs now) const {
    bool blocked = false;
    {
        std::lock_guard lock(mutex_);
        blocked = failures_.RecordFailure(request.remote_address, now);
    }
    if (blocked) {
        spdlog::warn("{} failed authentications from {} within {} s: refused for {} s", options_.failures.max_failures,
                     request.remote_address, options_.failures.window_ms / 1000, options_.failures.block_ms / 1000);
    }
}

Principal Authenticator::Require(const HttpRequest& request, Role minimum) const {
    const TimeMs now = clock_.NowMs();
    RefuseIfBlocked(request, now);
    auto principal = Authenticate(request);
    if (!principal) {
        // Only a presented credential counts: a request without one is not a guess.
        if (request.Header("authorization")) RecordFailure(request, now);
        throw Error(ErrorKind::kUnauthorized, "unauthorized", "a valid bearer token is required");
    }
    if (static_cast<int>(principal->role) < static_cast<int>(minimum)) {
        throw Error(ErrorKind::kForbidden, "forbidden",
                    "this needs the " + std::string(ToString(minimum)) + " role; the token has " +
                        std::string(ToString(principal->role)));
    }
    return *principal;
}

void Authenticator::RequireSharedSecret(const HttpRequest& request, const std::optional<std::string>& presented,
                                        const std::optional<std::string>& expected, const std::string& message) const {
    const TimeMs now = clock_.NowMs();
    RefuseIfBlocked(request, now);
    const bool configured = expected && !expected->empty();
    const bool given = presented && !presented->empty();
    if (configured && given && ConstantTimeEquals(*presented, *expected)) return;
    if (configured && given) RecordFailure(request, now);
    throw Error(ErrorKind::kUnauthorized, "unauthorized", message);
}

}  // namespace notify
