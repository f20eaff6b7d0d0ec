// SqliteStore's token management (sqlite_tokens.cpp) and the modes of the files it creates
// (file_modes.cpp), against a real database file in a temporary directory.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "common/errors.h"
#include "store/sqlite/file_modes.h"
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

mode_t ModeOf(const std::filesystem::path& path) {
    struct stat info {};
    if (::stat(path.c_str(), &info) != 0) return 0;
    return info.st_mode & 07777;
}

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

// ---------------------------------------------------------------------------------------------
// File modes

TEST(DatabaseFileModes, ACreatedDirectoryIs0700AndTheDatabaseWalAndShmAre0600) {
    TokenTempDir dir;
    const auto data = dir.path() / "var" / "data";
    const auto db = data / "notifications.db";
    {
        SqliteStore store(db.string());
        store.Migrate();
        store.InsertToken(Token("backend", Role::kOperator, 'a', kT0));
        EXPECT_EQ(ModeOf(dir.path() / "var"), 0700u);
        EXPECT_EQ(ModeOf(data), 0700u);
        for (const char* suffix : {"", "-wal", "-shm"}) {
            const auto file = db.string() + suffix;
            ASSERT_TRUE(std::filesystem::exists(file)) << file;
            EXPECT_EQ(ModeOf(file), 0600u) << file;
        }
    }
}

TEST(DatabaseFileModes, AnExistingDatabaseOthersCouldReadIsNarrowedTo0600) {
    TokenTempDir dir;
    const auto db = dir.path() / "notifications.db";
    { SqliteStore(db.string()).Migrate(); }
    ASSERT_EQ(::chmod(db.c_str(), 0644), 0);
    SqliteStore reopened(db.string());
    EXPECT_EQ(ModeOf(db), 0600u);
    EXPECT_EQ(reopened.ListTokens().size(), 0u);
}

TEST(DatabaseFileModes, AnExistingDirectoryIsLeftAsItIs) {
    TokenTempDir dir;
    ASSERT_EQ(::chmod(dir.path().c_str(), 0755), 0);
    SqliteStore store((dir.path() / "notifications.db").string());
    EXPECT_EQ(ModeOf(dir.path()), 0755u);
}

// ---------------------------------------------------------------------------------------------
// deploy/notifyd.service

std::string ReadServiceUnit() {
    // The source tree from this file's path, or from the usual working directories (root, build/).
    const std::filesystem::path here(__FILE__);
    for (const auto& candidate :
         {here.parent_path().parent_path().parent_path() / "deploy" / "notifyd.service",
          std::filesystem::path("deploy/notifyd.service"), std::filesystem::path("../deploy/notifyd.service")}) {
        std::ifstream in(candidate);
        if (in) return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    ADD_FAILURE() << "deploy/notifyd.service not found from " << here << " or the working directory";
    return {};
}

TEST(ServiceUnit, RunsAsItsOwnUserWithOnlyTheCapabilityToBindPort1001) {
    const std::string unit = ReadServiceUnit();
    for (const char* line : {"\nUser=notifyd\n", "\nAmbientCapabilities=CAP_NET_BIND_SERVICE\n",
                             "\nCapabilityBoundingSet=CAP_NET_BIND_SERVICE\n", "\nUMask=0077\n",
                             "\nNoNewPrivileges=true\n", "\nProtectSystem=strict\n",
                             "\nReadWritePaths=/var/lib/notifyd\n", "\nPrivateTmp=true\n", "\nProtectHome=true\n"}) {
        EXPECT_NE(unit.find(line), std::string::npos) << "missing" << line;
    }
}

}  // namespace
}  // namespace notify
