#include "http/auth.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "common/errors.h"
#include "fake_token_store.h"

namespace notify {
namespace {

using ::testing::_;
using ::testing::NiceMock;
using ::testing::Return;
using ::testing::StrictMock;
using ::testing::Throw;
using testing_fakes::MockTokenLookup;

const std::string kAdminToken = "admin-token-0123456789abcdef";
constexpr TimeMs kNow = 1'780'000'000'000;

HttpRequest WithAuthorization(const std::string& value) {
    HttpRequest request;
    request.method = "GET";
    request.path = "/api/notifications/history";
    request.headers["authorization"] = value;
    return request;
}

ApiToken StoredToken(const std::string& name, Role role, const std::string& token) {
    ApiToken t;
    t.name = name;
    t.role = role;
    t.token_hash = HashToken(token);
    return t;
}

bool IsLowerHex(const std::string& s) { return s.find_first_not_of("0123456789abcdef") == std::string::npos; }

// ---------------------------------------------------------------------------------------------
// HashToken

TEST(HashToken, IsHexSha256OfAKnownVector) {
    EXPECT_EQ(HashToken("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(HashToken, IsHexSha256OfTheEmptyString) {
    EXPECT_EQ(HashToken(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(HashToken, IsSixtyFourLowerCaseHexDigits) {
    const std::string h = HashToken(kAdminToken);
    EXPECT_EQ(h.size(), 64u);
    EXPECT_TRUE(IsLowerHex(h)) << h;
}

TEST(HashToken, HashesEveryByteIncludingNul) { EXPECT_NE(HashToken(std::string("a\0b", 3)), HashToken("a")); }

// ---------------------------------------------------------------------------------------------
// GenerateToken

TEST(GenerateToken, IsNfyPrefixAndSixtyFourHexDigits) {
    const std::string token = GenerateToken();
    ASSERT_EQ(token.size(), 4u + 64u);
    EXPECT_EQ(token.substr(0, 4), "nfy_");
    EXPECT_TRUE(IsLowerHex(token.substr(4))) << token;
}

TEST(GenerateToken, IsUniqueEachTime) {
    std::set<std::string> tokens;
    for (int i = 0; i < 1000; ++i) tokens.insert(GenerateToken());
    EXPECT_EQ(tokens.size(), 1000u);
}

// ---------------------------------------------------------------------------------------------
// ConstantTimeEquals

TEST(ConstantTimeEquals, EqualStringsAreEqual) {
    EXPECT_TRUE(ConstantTimeEquals("secret-value", "secret-value"));
    EXPECT_TRUE(ConstantTimeEquals("", ""));
}

TEST(ConstantTimeEquals, DifferentStringsAreNot) {
    EXPECT_FALSE(ConstantTimeEquals("secret-value", "secret-valuf"));
    EXPECT_FALSE(ConstantTimeEquals("secret-value", "Secret-value"));
}

TEST(ConstantTimeEquals, DifferentLengthsAreNotEqual) {
    EXPECT_FALSE(ConstantTimeEquals("secret", "secret-value"));
    EXPECT_FALSE(ConstantTimeEquals("secret-value", "secret"));
    EXPECT_FALSE(ConstantTimeEquals("", "x"));
}

TEST(ConstantTimeEquals, ComparesEmbeddedNulBytes) {
    EXPECT_FALSE(ConstantTimeEquals(std::string("ab\0c", 4), std::string("ab\0d", 4)));
    EXPECT_FALSE(ConstantTimeEquals(std::string("ab\0", 3), "ab"));
}

// ---------------------------------------------------------------------------------------------
// Authenticator::Authenticate

TEST(Authenticator, AdminTokenIsAnAdminWithoutAskingTheStore) {
    NiceMock<MockTokenLookup> store;
    ManualClock clock{kNow};
    EXPECT_CALL(store, FindTokenByHash(_)).Times(0);
    const Authenticator auth(store, clock, kAdminToken);
    const auto principal = auth.Authenticate(WithAuthorization("Bearer " + kAdminToken));
    ASSERT_TRUE(principal);
    EXPECT_EQ(principal->role, Role::kAdmin);
    EXPECT_EQ(principal->name, "admin-token");
}

TEST(Authenticator, SchemeIsCaseInsensitive) {
    NiceMock<MockTokenLookup> store;
    ManualClock clock{kNow};
    const Authenticator auth(store, clock, kAdminToken);
    for (const char* scheme : {"bearer ", "BEARER ", "BeArEr ", "Bearer "}) {
        EXPECT_TRUE(auth.Authenticate(WithAuthorization(scheme + kAdminToken))) << scheme;
    }
}

TEST(Authenticator, ToleratesExtraSpacesAroundTheToken) {
    NiceMock<MockTokenLookup> store;
    ManualClock clock{kNow};
    const Authenticator auth(store, clock, kAdminToken);
    EXPECT_TRUE(auth.Authenticate(WithAuthorization("Bearer    " + kAdminToken + "  ")));
}

TEST(Authenticator, TokenItselfIsCaseSensitive) {
    NiceMock<MockTokenLookup> store;
    ManualClock clock{kNow};
    const Authenticator auth(store, clock, "Admin-Token-0123456789");
    EXPECT_FALSE(auth.Authenticate(WithAuthorization("Bearer admin-token-0123456789")));
}

TEST(Authenticator, StoredTokenIsFoundByItsHash) {
    NiceMock<MockTokenLookup> store;
    ManualClock clock{kNow};
    const std::string token = "nfy_0123456789abcdef";
    EXPECT_CALL(store, FindTokenByHash(HashToken(token)))
        .WillOnce(Return(StoredToken("reporting", Role::kViewer, token)));
    const Authenticator auth(store, clock, kAdminToken);
    const auto principal = auth.Authenticate(WithAuthorization("Bearer " + token));
    ASSERT_TRUE(principal);
    EXPECT_EQ(principal->name, "reporting");
    EXPECT_EQ(principal->role, Role::kViewer);
}

TEST(Authenticator, StoreNeverSeesTheTokenItself) {
    NiceMock<MockTokenLookup> store;
    ManualClock clock{kNow};
    const std::string token = "nfy_plaintext_token";
    EXPECT_CALL(store, FindTokenByHash(token)).Times(0);
    EXPECT_CALL(store, FindTokenByHash(HashToken(token))).Times(1);
    const Authenticator auth(store, clock, std::nullopt);
    auth.Authenticate(WithAuthorization("Bearer " + token));
}

TEST(Authenticator, WrongTokenIsNobody) {
    NiceMock<MockTokenLookup> store;
    ManualClock clock{kNow};
    ON_CALL(store, FindTokenByHash(_)).WillByDefault(Return(std::nullopt));
    const Authenticator auth(store, clock, kAdminToken);
    EXPECT_FALSE(auth.Authenticate(WithAuthorization("Bearer wrong-token-0123456789")));
    EXPECT_FALSE(auth.Authenticate(WithAuthorization("Bearer " + kAdminToken + "x")));
    EXPECT_FALSE(auth.Authenticate(WithAuthorization("Bearer " + kAdminToken.substr(1))));
}

TEST(Authenticator, WithoutAnAdminTokenOnlyStoredTokensWork) {
    NiceMock<MockTokenLookup> store;
    ManualClock clock{kNow};
    ON_CALL(store, FindTokenByHash(_)).WillByDefault(Return(std::nullopt));
    const Authenticator auth(store, clock, std::nullopt);
    EXPECT_FALSE(auth.Authenticate(WithAuthorization("Bearer " + kAdminToken)));
}

TEST(Authenticator, MissingOrMalformedHeaderIsNobodyWithoutAskingTheStore) {
    NiceMock<MockTokenLookup> store;
    ManualClock clock{kNow};
    EXPECT_CALL(store, FindTokenByHash(_)).Times(0);
    const Authenticator auth(store, clock, kAdminToken);
    HttpRequest no_header;
    EXPECT_FALSE(auth.Authenticate(no_header));
    for (const std::string& value :
         {std::string(""), std::string("Bearer"), std::string("Bearer "), std::string("Bearer     "),
          "Basic " + kAdminToken, "Token " + kAdminToken, kAdminToken, "Bearer" + kAdminToken}) {
        EXPECT_FALSE(auth.Authenticate(WithAuthorization(value))) << "[" << value << "]";
    }
}

TEST(Authenticator, ReadsTheLowerCasedHeaderName) {
    // The server lower-cases header names; a differently cased key is not the header.
    NiceMock<MockTokenLookup> store;
    ManualClock clock{kNow};
    const Authenticator auth(store, clock, kAdminToken);
    HttpRequest request;
    request.headers["Authorization"] = "Bearer " + kAdminToken;
    EXPECT_FALSE(auth.Authenticate(request));
}

// ---------------------------------------------------------------------------------------------
// Authenticator::Require

TEST(AuthenticatorRequire, AdminPassesEveryRole) {
    NiceMock<MockTokenLookup> store;
    ManualClock clock{kNow};
    const Authenticator auth(store, clock, kAdminToken);
    for (Role role : {Role::kViewer, Role::kOperator, Role::kAdmin}) {
        EXPECT_EQ(auth.Require(WithAuthorization("Bearer " + kAdminToken), role).role, Role::kAdmin);
    }
}

TEST(AuthenticatorRequire, NoTokenThrowsUnauthorized) {
    NiceMock<MockTokenLookup> store;
    ManualClock clock{kNow};
    const Authenticator auth(store, clock, kAdminToken);
    try {
        auth.Require(HttpRequest{}, Role::kViewer);
        FAIL() << "expected unauthorized";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::kUnauthorized);
        EXPECT_EQ(e.code(), "unauthorized");
    }
}

TEST(AuthenticatorRequire, WrongTokenThrowsUnauthorized) {
    NiceMock<MockTokenLookup> store;
    ManualClock clock{kNow};
    ON_CALL(store, FindTokenByHash(_)).WillByDefault(Return(std::nullopt));
    const Authenticator auth(store, clock, kAdminToken);
    try {
        auth.Require(WithAuthorization("Bearer not-the-token"), Role::kViewer);
        FAIL() << "expected unauthorized";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::kUnauthorized);
        EXPECT_EQ(e.code(), "unauthorized");
    }
}

TEST(AuthenticatorRequire, RoleBelowTheMinimumThrowsForbidden) {
    NiceMock<MockTokenLookup> store;
    ManualClock clock{kNow};
    const std::string token = "nfy_viewer_token";
    ON_CALL(store, FindTokenByHash(HashToken(token)))
        .WillByDefault(Return(StoredToken("dashboard", Role::kViewer, token)));
    const Authenticator auth(store, clock, std::nullopt);
    try {
        auth.Require(WithAuthorization("Bearer " + token), Role::kOperator);
        FAIL() << "expected forbidden";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::kForbidden);
        EXPECT_EQ(e.code(), "forbidden");
        EXPECT_THAT(std::string(e.what()), ::testing::HasSubstr("operator"));
    }
}

TEST(AuthenticatorRequire, OperatorMayOperateButNotAdminister) {
    NiceMock<MockTokenLookup> store;
    ManualClock clock{kNow};
    const std::string token = "nfy_operator_token";
    ON_CALL(store, FindTokenByHash(HashToken(token)))
        .WillByDefault(Return(StoredToken("backend", Role::kOperator, token)));
    const Authenticator auth(store, clock, std::nullopt);
    const auto request = WithAuthorization("Bearer " + token);
    EXPECT_EQ(auth.Require(request, Role::kViewer).name, "backend");
    EXPECT_EQ(auth.Require(request, Role::kOperator).role, Role::kOperator);
    try {
        auth.Require(request, Role::kAdmin);
        FAIL() << "expected forbidden";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::kForbidden);
        EXPECT_EQ(e.code(), "forbidden");
    }
}

TEST(AuthenticatorRequire, ErrorsNeverEchoTheToken) {
    NiceMock<MockTokenLookup> store;
    ManualClock clock{kNow};
    const std::string token = "nfy_viewer_secret_value";
    ON_CALL(store, FindTokenByHash(HashToken(token)))
        .WillByDefault(Return(StoredToken("dashboard", Role::kViewer, token)));
    const Authenticator auth(store, clock, std::nullopt);
    for (const std::string& header : {"Bearer " + token, std::string("Bearer nfy_unknown_secret_value")}) {
        try {
            auth.Require(WithAuthorization(header), Role::kAdmin);
            FAIL() << "expected an error";
        } catch (const Error& e) {
            EXPECT_EQ(std::string(e.what()).find("secret_value"), std::string::npos) << e.what();
        }
    }
}

TEST(AuthenticatorRequire, StoreOutagePropagatesAsUnavailable) {
    NiceMock<MockTokenLookup> store;
    ManualClock clock{kNow};
    ON_CALL(store, FindTokenByHash(_)).WillByDefault(Throw(StoreUnavailable("database is locked")));
    const Authenticator auth(store, clock, kAdminToken);
    try {
        auth.Require(WithAuthorization("Bearer nfy_some_token"), Role::kViewer);
        FAIL() << "expected StoreUnavailable";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::kUnavailable);
    }
    // The bootstrap admin token does not need the store.
    EXPECT_EQ(auth.Require(WithAuthorization("Bearer " + kAdminToken), Role::kAdmin).role, Role::kAdmin);
}

// ---------------------------------------------------------------------------------------------
// Expiry, the lookup cache and last use

HttpRequest From(const std::string& address, const std::string& authorization) {
    HttpRequest request = WithAuthorization(authorization);
    request.remote_address = address;
    return request;
}

TEST(Authenticator, AnExpiredTokenIsNobody) {
    NiceMock<MockTokenLookup> store;
    ManualClock clock{kNow};
    const std::string token = "nfy_expiring";
    ApiToken stored = StoredToken("contractor", Role::kOperator, token);
    stored.expires_at = kNow + 1000;
    ON_CALL(store, FindTokenByHash(HashToken(token))).WillByDefault(Return(stored));
    const Authenticator auth(store, clock, std::nullopt);
    EXPECT_TRUE(auth.Authenticate(WithAuthorization("Bearer " + token)));
    clock.Advance(999);
    EXPECT_TRUE(auth.Authenticate(WithAuthorization("Bearer " + token)));
    clock.Advance(1);
    EXPECT_FALSE(auth.Authenticate(WithAuthorization("Bearer " + token)));
    try {
        auth.Require(WithAuthorization("Bearer " + token), Role::kViewer);
        FAIL() << "expected unauthorized";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::kUnauthorized);
    }
}

TEST(Authenticator, ALookedUpTokenIsTrustedOnlyForTheCacheTime) {
    NiceMock<MockTokenLookup> store;
    ManualClock clock{kNow};
    const std::string token = "nfy_cached";
    const std::string hash = HashToken(token);
    EXPECT_CALL(store, FindTokenByHash(hash))
        .WillOnce(Return(StoredToken("backend", Role::kOperator, token)))
        .WillOnce(Return(std::nullopt));  // revoked meanwhile
    AuthOptions options;
    options.token_cache_ms = 500;
    const Authenticator auth(store, clock, std::nullopt, options);
    for (int i = 0; i < 5; ++i) {
        EXPECT_TRUE(auth.Authenticate(WithAuthorization("Bearer " + token)));
        clock.Advance(99);
    }
    clock.Set(kNow + 500);
    EXPECT_FALSE(auth.Authenticate(WithAuthorization("Bearer " + token)));
}

TEST(Authenticator, UnknownTokensAreNotCached) {
    NiceMock<MockTokenLookup> store;
    ManualClock clock{kNow};
    EXPECT_CALL(store, FindTokenByHash(_)).Times(3).WillRepeatedly(Return(std::nullopt));
    const Authenticator auth(store, clock, std::nullopt);
    for (int i = 0; i < 3; ++i) EXPECT_FALSE(auth.Authenticate(WithAuthorization("Bearer nfy_unknown")));
}

TEST(Authenticator, LastUseIsWrittenAtMostOncePerInterval) {
    NiceMock<MockTokenLookup> store;
    ManualClock clock{kNow};
    const std::string token = "nfy_busy";
    const std::string hash = HashToken(token);
    ON_CALL(store, FindTokenByHash(hash)).WillByDefault(Return(StoredToken("backend", Role::kOperator, token)));
    AuthOptions options;
    options.last_used_interval_ms = 60'000;
    const Authenticator auth(store, clock, std::nullopt, options);
    {
        ::testing::InSequence order;
        EXPECT_CALL(store, RecordTokenUse(hash, kNow)).Times(1);
        EXPECT_CALL(store, RecordTokenUse(hash, kNow + 60'000)).Times(1);
    }
    // A thousand requests in a minute (the store's row never shows the write: the cache does).
    for (int i = 0; i < 1000; ++i) {
        ASSERT_TRUE(auth.Authenticate(WithAuthorization("Bearer " + token)));
        clock.Advance(59);
    }
    clock.Set(kNow + 60'000);
    EXPECT_TRUE(auth.Authenticate(WithAuthorization("Bearer " + token)));
}

TEST(Authenticator, ARecentLastUseInTheStoreIsNotWrittenAgain) {
    NiceMock<MockTokenLookup> store;
    ManualClock clock{kNow};
    const std::string token = "nfy_other_node";
    ApiToken stored = StoredToken("backend", Role::kOperator, token);
    stored.last_used_at = kNow - 1000;  // another node wrote it a second ago
    ON_CALL(store, FindTokenByHash(HashToken(token))).WillByDefault(Return(stored));
    EXPECT_CALL(store, RecordTokenUse(_, _)).Times(0);
    const Authenticator auth(store, clock, std::nullopt);
    EXPECT_TRUE(auth.Authenticate(WithAuthorization("Bearer " + token)));
}

TEST(Authenticator, AFailureToRecordTheLastUseDoesNotRefuseTheRequest) {
    NiceMock<MockTokenLookup> store;
    ManualClock clock{kNow};
    const std::string token = "nfy_locked";
    ON_CALL(store, FindTokenByHash(HashToken(token)))
        .WillByDefault(Return(StoredToken("backend", Role::kOperator, token)));
    ON_CALL(store, RecordTokenUse(_, _)).WillByDefault(Throw(StoreUnavailable("database is locked")));
    const Authenticator auth(store, clock, std::nullopt);
    EXPECT_TRUE(auth.Authenticate(WithAuthorization("Bearer " + token)));
}

// ---------------------------------------------------------------------------------------------
// ParseTokenLifetime

TEST(ParseTokenLifetime, AcceptsDaysHoursAndMinutes) {
    EXPECT_EQ(ParseTokenLifetime("90d"), 90LL * 24 * 3600 * 1000);
    EXPECT_EQ(ParseTokenLifetime("12h"), 12LL * 3600 * 1000);
    EXPECT_EQ(ParseTokenLifetime("30m"), 30LL * 60 * 1000);
    EXPECT_EQ(ParseTokenLifetime("1m"), 60'000);
    EXPECT_EQ(ParseTokenLifetime("3650d"), 3650LL * 24 * 3600 * 1000);
}

TEST(ParseTokenLifetime, RefusesAnythingElse) {
    for (const char* text : {"", "d", "90", "90s", "90D", "-1d", "+1d", "0d", "0m", "1.5d", " 90d", "90d ", "3651d",
                             "999999999d", "9999999999d", "90dd", "ninety days"}) {
        EXPECT_FALSE(ParseTokenLifetime(text)) << "[" << text << "]";
    }
}

// ---------------------------------------------------------------------------------------------
// FailedAuthLimiter

FailedAuthPolicy SmallPolicy() {
    FailedAuthPolicy policy;
    policy.max_failures = 3;
    policy.window_ms = 10'000;
    policy.block_ms = 30'000;
    policy.max_tracked_addresses = 4;
    return policy;
}

TEST(FailedAuthLimiter, BlocksAnAddressAfterTooManyFailuresInTheWindow) {
    FailedAuthLimiter limiter(SmallPolicy());
    EXPECT_FALSE(limiter.RecordFailure("10.0.0.1", kNow));
    EXPECT_FALSE(limiter.RecordFailure("10.0.0.1", kNow + 1000));
    EXPECT_EQ(limiter.BlockedFor("10.0.0.1", kNow + 1000), 0);
    EXPECT_TRUE(limiter.RecordFailure("10.0.0.1", kNow + 2000));
    EXPECT_EQ(limiter.BlockedFor("10.0.0.1", kNow + 2000), 30'000);
    EXPECT_EQ(limiter.BlockedFor("10.0.0.1", kNow + 12'000), 20'000);
}

TEST(FailedAuthLimiter, TheBlockEnds) {
    FailedAuthLimiter limiter(SmallPolicy());
    for (int i = 0; i < 3; ++i) limiter.RecordFailure("10.0.0.1", kNow);
    EXPECT_GT(limiter.BlockedFor("10.0.0.1", kNow + 29'999), 0);
    EXPECT_EQ(limiter.BlockedFor("10.0.0.1", kNow + 30'000), 0);
    // And counting starts afresh.
    EXPECT_FALSE(limiter.RecordFailure("10.0.0.1", kNow + 30'000));
}

TEST(FailedAuthLimiter, FailuresSpreadBeyondTheWindowDoNotBlock) {
    FailedAuthLimiter limiter(SmallPolicy());
    for (int i = 0; i < 20; ++i) EXPECT_FALSE(limiter.RecordFailure("10.0.0.1", kNow + i * 5'000));
    EXPECT_EQ(limiter.BlockedFor("10.0.0.1", kNow + 100'000), 0);
}

TEST(FailedAuthLimiter, OtherAddressesAreNotAffected) {
    FailedAuthLimiter limiter(SmallPolicy());
    for (int i = 0; i < 3; ++i) limiter.RecordFailure("10.0.0.1", kNow);
    EXPECT_GT(limiter.BlockedFor("10.0.0.1", kNow), 0);
    EXPECT_EQ(limiter.BlockedFor("10.0.0.2", kNow), 0);
    EXPECT_EQ(limiter.BlockedFor("", kNow), 0);
}

TEST(FailedAuthLimiter, TracksABoundedNumberOfAddresses) {
    FailedAuthLimiter limiter(SmallPolicy());
    for (int i = 0; i < 1000; ++i) {
        limiter.RecordFailure("10.0." + std::to_string(i / 256) + "." + std::to_string(i % 256), kNow + i);
        ASSERT_LE(limiter.TrackedAddresses(), 4u);
    }
}

TEST(FailedAuthLimiter, AtTheCapABlockedAddressOutlivesOnesThatOnlyFailedOnce) {
    FailedAuthLimiter limiter(SmallPolicy());
    for (int i = 0; i < 3; ++i) limiter.RecordFailure("10.9.9.9", kNow);
    for (int i = 0; i < 10; ++i) limiter.RecordFailure("10.0.0." + std::to_string(i), kNow + 1 + i);
    EXPECT_GT(limiter.BlockedFor("10.9.9.9", kNow + 20), 0);
}

// ---------------------------------------------------------------------------------------------
// Authenticator::Require with repeated failures

AuthOptions StrictOptions() {
    AuthOptions options;
    options.failures = SmallPolicy();
    return options;
}

int RetryAfterOfRequire(const Authenticator& auth, const HttpRequest& request) {
    try {
        auth.Require(request, Role::kViewer);
    } catch (const TooManyRequests& e) {
        EXPECT_EQ(e.code(), "too_many_requests");
        return e.retry_after_seconds();
    } catch (const Error&) {
        return 0;
    }
    return 0;
}

TEST(AuthenticatorRequire, RepeatedFailuresFromOneAddressAre429WithoutALookup) {
    StrictMock<MockTokenLookup> store;
    ManualClock clock{kNow};
    const Authenticator auth(store, clock, kAdminToken, StrictOptions());
    EXPECT_CALL(store, FindTokenByHash(_)).Times(3).WillRepeatedly(Return(std::nullopt));
    for (int i = 0; i < 3; ++i) EXPECT_EQ(RetryAfterOfRequire(auth, From("203.0.113.7", "Bearer guess")), 0);
    // Now refused before any lookup (StrictMock: a fourth FindTokenByHash would fail the test),
    // even with a good token.
    EXPECT_EQ(RetryAfterOfRequire(auth, From("203.0.113.7", "Bearer guess")), 30);
    EXPECT_EQ(RetryAfterOfRequire(auth, From("203.0.113.7", "Bearer " + kAdminToken)), 30);
    clock.Advance(20'500);
    EXPECT_EQ(RetryAfterOfRequire(auth, From("203.0.113.7", "Bearer guess")), 10);
    // Another address is served as usual.
    EXPECT_EQ(auth.Require(From("198.51.100.1", "Bearer " + kAdminToken), Role::kAdmin).role, Role::kAdmin);
    clock.Advance(10'000);
    EXPECT_EQ(auth.Require(From("203.0.113.7", "Bearer " + kAdminToken), Role::kAdmin).role, Role::kAdmin);
}

TEST(AuthenticatorRequire, RequestsWithoutCredentialsAndTooLowRolesDoNotCountAsFailures) {
    NiceMock<MockTokenLookup> store;
    ManualClock clock{kNow};
    const std::string token = "nfy_viewer";
    ON_CALL(store, FindTokenByHash(HashToken(token))).WillByDefault(Return(StoredToken("desk", Role::kViewer, token)));
    const Authenticator auth(store, clock, kAdminToken, StrictOptions());
    HttpRequest anonymous;
    anonymous.remote_address = "203.0.113.7";
    for (int i = 0; i < 10; ++i) {
        EXPECT_THROW(auth.Require(anonymous, Role::kViewer), Error);
        EXPECT_THROW(auth.Require(From("203.0.113.7", "Bearer " + token), Role::kAdmin), Error);
    }
    EXPECT_EQ(auth.Require(From("203.0.113.7", "Bearer " + token), Role::kViewer).name, "desk");
}

// ---------------------------------------------------------------------------------------------
// Authenticator::RequireSharedSecret (the webhook's secret)

const std::optional<std::string> kWebhookSecret = std::string("webhook-secret-42");

HttpRequest Anonymous(const std::string& address) {
    HttpRequest request;
    request.method = "POST";
    request.path = "/api/notifications/webhooks/myoperator";
    request.remote_address = address;
    return request;
}

// 0 when the secret is accepted, 401 or 429 (with the Retry-After in `retry_after`) when refused.
int StatusOfSharedSecret(const Authenticator& auth, const std::string& address,
                         const std::optional<std::string>& presented,
                         const std::optional<std::string>& expected = kWebhookSecret, int* retry_after = nullptr) {
    try {
        auth.RequireSharedSecret(Anonymous(address), presented, expected, "a valid webhook secret is required");
        return 0;
    } catch (const TooManyRequests& e) {
        if (retry_after) *retry_after = e.retry_after_seconds();
        return 429;
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::kUnauthorized);
        EXPECT_EQ(e.code(), "unauthorized");
        EXPECT_STREQ(e.what(), "a valid webhook secret is required");
        return 401;
    }
}

TEST(AuthenticatorSharedSecret, TheRightSecretPassesAndAWrongOrMissingOneIs401) {
    StrictMock<MockTokenLookup> store;  // no token is looked up for a shared secret
    ManualClock clock{kNow};
    const Authenticator auth(store, clock, kAdminToken, StrictOptions());
    EXPECT_EQ(StatusOfSharedSecret(auth, "203.0.113.7", kWebhookSecret), 0);
    EXPECT_EQ(StatusOfSharedSecret(auth, "203.0.113.7", std::nullopt), 401);
    EXPECT_EQ(StatusOfSharedSecret(auth, "203.0.113.7", std::string()), 401);
    EXPECT_EQ(StatusOfSharedSecret(auth, "203.0.113.7", *kWebhookSecret + "x"), 401);
    // Without a configured secret every call is refused, the right one included.
    for (const std::optional<std::string>& expected : {std::optional<std::string>(), std::optional<std::string>("")}) {
        EXPECT_EQ(StatusOfSharedSecret(auth, "203.0.113.7", kWebhookSecret, expected), 401);
        EXPECT_EQ(StatusOfSharedSecret(auth, "203.0.113.7", std::string(), expected), 401);
    }
}

TEST(AuthenticatorSharedSecret, WrongSecretsCountAsFailedAuthenticationsOfTheAddress) {
    StrictMock<MockTokenLookup> store;
    ManualClock clock{kNow};
    const Authenticator auth(store, clock, kAdminToken, StrictOptions());
    for (int i = 0; i < 3; ++i) EXPECT_EQ(StatusOfSharedSecret(auth, "203.0.113.7", "guess"), 401);
    // Now refused before any comparison, even with the right secret ...
    int retry_after = 0;
    EXPECT_EQ(StatusOfSharedSecret(auth, "203.0.113.7", kWebhookSecret, kWebhookSecret, &retry_after), 429);
    EXPECT_EQ(retry_after, 30);
    // ... and on the bearer-token routes too (before any token lookup: StrictMock), as the failures
    // are the address's.
    EXPECT_EQ(RetryAfterOfRequire(auth, From("203.0.113.7", "Bearer " + kAdminToken)), 30);
    // Another address is served as usual.
    EXPECT_EQ(StatusOfSharedSecret(auth, "198.51.100.1", kWebhookSecret), 0);
    clock.Advance(30'000);
    EXPECT_EQ(StatusOfSharedSecret(auth, "203.0.113.7", kWebhookSecret), 0);
}

TEST(AuthenticatorSharedSecret, FailedBearerTokensAndWrongSecretsAddUp) {
    NiceMock<MockTokenLookup> store;
    ManualClock clock{kNow};
    const Authenticator auth(store, clock, kAdminToken, StrictOptions());
    EXPECT_EQ(RetryAfterOfRequire(auth, From("203.0.113.7", "Bearer guess")), 0);
    EXPECT_EQ(StatusOfSharedSecret(auth, "203.0.113.7", "guess"), 401);
    EXPECT_EQ(RetryAfterOfRequire(auth, From("203.0.113.7", "Bearer guess")), 0);
    EXPECT_EQ(StatusOfSharedSecret(auth, "203.0.113.7", kWebhookSecret), 429);
}

TEST(AuthenticatorSharedSecret, MissingSecretsAndCallsWithoutAConfiguredOneDoNotCount) {
    StrictMock<MockTokenLookup> store;
    ManualClock clock{kNow};
    const Authenticator auth(store, clock, kAdminToken, StrictOptions());
    for (int i = 0; i < 10; ++i) {
        EXPECT_EQ(StatusOfSharedSecret(auth, "203.0.113.7", std::nullopt), 401);
        EXPECT_EQ(StatusOfSharedSecret(auth, "203.0.113.7", std::string()), 401);
        // Nothing to guess when no secret is configured.
        EXPECT_EQ(StatusOfSharedSecret(auth, "203.0.113.7", "guess", std::nullopt), 401);
    }
    EXPECT_EQ(StatusOfSharedSecret(auth, "203.0.113.7", kWebhookSecret), 0);
}

}  // namespace
}  // namespace notify
