// SqliteStore's token management (sqlite_tokens.cpp), against a real database file.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "common/errors.h"
#include "store/sqlite/sqlite_store.h"

namespace notify {
namespace {

constexpr TimeMs kT0 = 1'780'000'000'000;

class TokenTempDir {
public:
    TokenTempDir() {
        std::string pattern = (std::filesystem::temp_directory_path() / "notifyd-tokens-test-XXXXXX").string();
        if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
        path_ = pattern;
    }
    ~TokenTempDir() {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }
    const std::filesystem::path& path() const { return path_; }

private:
    std::filesystem::path path_;
};

ApiToken Token(const std::string& name, Role role, char hash_digit, TimeMs created_at) {
    ApiToken token;
    token.name = name;
    token.role = role;
    token.token_hash = std::string(64, hash_digit);
    token.created_at = created_at;
    return token;
}

class SqliteTokensTest : public ::testing::Test {
protected:
    void SetUp() override {
        store_ = std::make_unique<SqliteStore>((dir_.path() / "notifications.db").string());
        store_->Migrate();
    }

    TokenTempDir dir_;
    std::unique_ptr<SqliteStore> store_;
};

TEST_F(SqliteTokensTest, ListsEveryTokenOldestFirstWithExpiryAndLastUse) {
    ApiToken expiring = Token("contractor", Role::kOperator, 'b', kT0 + 1);
    expiring.expires_at = kT0 + 90LL * 86'400'000;
    store_->InsertToken(Token("wallboard", Role::kViewer, 'a', kT0));
    store_->InsertToken(expiring);

    const auto tokens = store_->ListTokens();
    ASSERT_EQ(tokens.size(), 2u);
    EXPECT_EQ(tokens[0].name, "wallboard");
    EXPECT_EQ(tokens[0].role, Role::kViewer);
    EXPECT_EQ(tokens[0].created_at, kT0);
    EXPECT_FALSE(tokens[0].expires_at);
    EXPECT_FALSE(tokens[0].last_used_at);
    EXPECT_EQ(tokens[1].name, "contractor");
    EXPECT_EQ(tokens[1].expires_at, expiring.expires_at);
    EXPECT_EQ(store_->FindTokenByHash(std::string(64, 'b'))->expires_at, expiring.expires_at);
}

TEST_F(SqliteTokensTest, RevokingDeletesTheTokensOfThatNameOnly) {
    store_->InsertToken(Token("wallboard", Role::kViewer, 'a', kT0));
    store_->InsertToken(Token("backend", Role::kOperator, 'b', kT0));
    EXPECT_EQ(store_->RevokeTokens("backend"), 1);
    EXPECT_FALSE(store_->FindTokenByHash(std::string(64, 'b')));
    EXPECT_TRUE(store_->FindTokenByHash(std::string(64, 'a')));
    EXPECT_EQ(store_->RevokeTokens("backend"), 0);
    EXPECT_EQ(store_->RevokeTokens("nobody"), 0);
    EXPECT_EQ(store_->ListTokens().size(), 1u);
}

TEST_F(SqliteTokensTest, LastUseIsRecordedAndNeverMovesBack) {
    store_->InsertToken(Token("backend", Role::kOperator, 'a', kT0));
    store_->RecordTokenUse(std::string(64, 'a'), kT0 + 60'000);
    EXPECT_EQ(store_->FindTokenByHash(std::string(64, 'a'))->last_used_at, kT0 + 60'000);
    store_->RecordTokenUse(std::string(64, 'a'), kT0 + 1'000);  // a slower node, later
    EXPECT_EQ(store_->ListTokens()[0].last_used_at, kT0 + 60'000);
    store_->RecordTokenUse(std::string(64, 'z'), kT0);  // unknown (revoked meanwhile): nothing happens
    EXPECT_EQ(store_->ListTokens().size(), 1u);
}

}  // namespace
}  // namespace notify
