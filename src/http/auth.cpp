#include "http/auth.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

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

}  // namespace

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

Authenticator::Authenticator(Store& store, std::optional<std::string> admin_token) : store_(store) {
    if (admin_token) admin_token_hash_ = HashToken(*admin_token);
}

std::optional<Principal> Authenticator::Authenticate(const HttpRequest& request) const {
    const auto token = BearerToken(request);
    if (!token) return std::nullopt;
    const std::string hash = HashToken(*token);
    if (admin_token_hash_ && CRYPTO_memcmp(hash.data(), admin_token_hash_->data(), hash.size()) == 0) {
        return Principal{"admin-token", Role::kAdmin};
    }
    // The lookup is by digest, so its timing says nothing about the token itself.
    if (auto stored = store_.FindTokenByHash(hash)) return Principal{stored->name, stored->role};
    return std::nullopt;
}

Principal Authenticator::Require(const HttpRequest& request, Role minimum) const {
    auto principal = Authenticate(request);
    if (!principal) {
        throw Error(ErrorKind::kUnauthorized, "unauthorized", "a valid bearer token is required");
    }
    if (static_cast<int>(principal->role) < static_cast<int>(minimum)) {
        throw Error(ErrorKind::kForbidden, "forbidden",
                    "this needs the " + std::string(ToString(minimum)) + " role; the token has " +
                        std::string(ToString(principal->role)));
    }
    return *principal;
}

}  // namespace notify
