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
using ::testing::Throw;
using testing_fakes::TokenOnlyStore;

const std::string kAdminToken = "admin-token-0123456789abcdef";

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
    NiceMock<TokenOnlyStore> store;
    EXPECT_CALL(store, FindTokenByHash(_)).Times(0);
    const Authenticator auth(store, kAdminToken);
    const auto principal = auth.Authenticate(WithAuthorization("Bearer " + kAdminToken));
    ASSERT_TRUE(principal);
    EXPECT_EQ(principal->role, Role::kAdmin);
    EXPECT_EQ(principal->name, "admin-token");
}

TEST(Authenticator, SchemeIsCaseInsensitive) {
    NiceMock<TokenOnlyStore> store;
    const Authenticator auth(store, kAdminToken);
    for (const char* scheme : {"bearer ", "BEARER ", "BeArEr ", "Bearer "}) {
        EXPECT_TRUE(auth.Authenticate(WithAuthorization(scheme + kAdminToken))) << scheme;
    }
}

TEST(Authenticator, ToleratesExtraSpacesAroundTheToken) {
    NiceMock<TokenOnlyStore> store;
    const Authenticator auth(store, kAdminToken);
    EXPECT_TRUE(auth.Authenticate(WithAuthorization("Bearer    " + kAdminToken + "  ")));
}

TEST(Authenticator, TokenItselfIsCaseSensitive) {
    NiceMock<TokenOnlyStore> store;
    const Authenticator auth(store, "Admin-Token-0123456789");
    EXPECT_FALSE(auth.Authenticate(WithAuthorization("Bearer admin-token-0123456789")));
}

TEST(Authenticator, StoredTokenIsFoundByItsHash) {
    NiceMock<TokenOnlyStore> store;
    const std::string token = "nfy_0123456789abcdef";
    EXPECT_CALL(store, FindTokenByHash(HashToken(token)))
        .WillOnce(Return(StoredToken("reporting", Role::kViewer, token)));
    const Authenticator auth(store, kAdminToken);
    const auto principal = auth.Authenticate(WithAuthorization("Bearer " + token));
    ASSERT_TRUE(principal);
    EXPECT_EQ(principal->name, "reporting");
    EXPECT_EQ(principal->role, Role::kViewer);
}

TEST(Authenticator, StoreNeverSeesTheTokenItself) {
    NiceMock<TokenOnlyStore> store;
    const std::string token = "nfy_plaintext_token";
    EXPECT_CALL(store, FindTokenByHash(token)).Times(0);
    EXPECT_CALL(store, FindTokenByHash(HashToken(token))).Times(1);
    const Authenticator auth(store, std::nullopt);
    auth.Authenticate(WithAuthorization("Bearer " + token));
}

TEST(Authenticator, WrongTokenIsNobody) {
    NiceMock<TokenOnlyStore> store;
    ON_CALL(store, FindTokenByHash(_)).WillByDefault(Return(std::nullopt));
    const Authenticator auth(store, kAdminToken);
    EXPECT_FALSE(auth.Authenticate(WithAuthorization("Bearer wrong-token-0123456789")));
    EXPECT_FALSE(auth.Authenticate(WithAuthorization("Bearer " + kAdminToken + "x")));
    EXPECT_FALSE(auth.Authenticate(WithAuthorization("Bearer " + kAdminToken.substr(1))));
}

TEST(Authenticator, WithoutAnAdminTokenOnlyStoredTokensWork) {
    NiceMock<TokenOnlyStore> store;
    ON_CALL(store, FindTokenByHash(_)).WillByDefault(Return(std::nullopt));
    const Authenticator auth(store, std::nullopt);
    EXPECT_FALSE(auth.Authenticate(WithAuthorization("Bearer " + kAdminToken)));
}

TEST(Authenticator, MissingOrMalformedHeaderIsNobodyWithoutAskingTheStore) {
    NiceMock<TokenOnlyStore> store;
    EXPECT_CALL(store, FindTokenByHash(_)).Times(0);
    const Authenticator auth(store, kAdminToken);
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
    NiceMock<TokenOnlyStore> store;
    const Authenticator auth(store, kAdminToken);
    HttpRequest request;
    request.headers["Authorization"] = "Bearer " + kAdminToken;
    EXPECT_FALSE(auth.Authenticate(request));
}

// ---------------------------------------------------------------------------------------------
// Authenticator::Require

TEST(AuthenticatorRequire, AdminPassesEveryRole) {
    NiceMock<TokenOnlyStore> store;
    const Authenticator auth(store, kAdminToken);
    for (Role role : {Role::kViewer, Role::kOperator, Role::kAdmin}) {
        EXPECT_EQ(auth.Require(WithAuthorization("Bearer " + kAdminToken), role).role, Role::kAdmin);
    }
}

TEST(AuthenticatorRequire, NoTokenThrowsUnauthorized) {
    NiceMock<TokenOnlyStore> store;
    const Authenticator auth(store, kAdminToken);
    try {
        auth.Require(HttpRequest{}, Role::kViewer);
        FAIL() << "expected unauthorized";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::kUnauthorized);
        EXPECT_EQ(e.code(), "unauthorized");
    }
}

TEST(AuthenticatorRequire, WrongTokenThrowsUnauthorized) {
    NiceMock<TokenOnlyStore> store;
    ON_CALL(store, FindTokenByHash(_)).WillByDefault(Return(std::nullopt));
    const Authenticator auth(store, kAdminToken);
    try {
        auth.Require(WithAuthorization("Bearer not-the-token"), Role::kViewer);
        FAIL() << "expected unauthorized";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::kUnauthorized);
        EXPECT_EQ(e.code(), "unauthorized");
    }
}

TEST(AuthenticatorRequire, RoleBelowTheMinimumThrowsForbidden) {
    NiceMock<TokenOnlyStore> store;
    const std::string token = "nfy_viewer_token";
    ON_CALL(store, FindTokenByHash(HashToken(token)))
        .WillByDefault(Return(StoredToken("dashboard", Role::kViewer, token)));
    const Authenticator auth(store, std::nullopt);
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
    NiceMock<TokenOnlyStore> store;
    const std::string token = "nfy_operator_token";
    ON_CALL(store, FindTokenByHash(HashToken(token)))
        .WillByDefault(Return(StoredToken("backend", Role::kOperator, token)));
    const Authenticator auth(store, std::nullopt);
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
    NiceMock<TokenOnlyStore> store;
    const std::string token = "nfy_viewer_secret_value";
    ON_CALL(store, FindTokenByHash(HashToken(token)))
        .WillByDefault(Return(StoredToken("dashboard", Role::kViewer, token)));
    const Authenticator auth(store, std::nullopt);
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
    NiceMock<TokenOnlyStore> store;
    ON_CALL(store, FindTokenByHash(_)).WillByDefault(Throw(StoreUnavailable("database is locked")));
    const Authenticator auth(store, kAdminToken);
    try {
        auth.Require(WithAuthorization("Bearer nfy_some_token"), Role::kViewer);
        FAIL() << "expected StoreUnavailable";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::kUnavailable);
    }
    // The bootstrap admin token does not need the store.
    EXPECT_EQ(auth.Require(WithAuthorization("Bearer " + kAdminToken), Role::kAdmin).role, Role::kAdmin);
}

}  // namespace
}  // namespace notify
