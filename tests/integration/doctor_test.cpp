// `notifyd doctor` against the real binary, a real store and the fake MyOperator.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "harness.h"

namespace notify::testing {
namespace {

// The line of `output` that starts with `prefix`, or "" when none does.
std::string LineStartingWith(const std::string& output, const std::string& prefix) {
    std::istringstream lines(output);
    for (std::string line; std::getline(lines, line);) {
        if (line.rfind(prefix, 0) == 0) return line;
    }
    return "";
}

class DoctorTest : public ::testing::Test {
protected:
    void SetUp() override { fake_.Start(); }

    TempDir fake_dir_;
    FakeMyOperator fake_{fake_dir_.path()};
};

TEST_F(DoctorTest, AHealthyMyOperatorSetupPasses) {
    Notifyd service(fake_.ServiceEnv());
    service.Migrate();
    const auto r = service.Run({"doctor"});
    EXPECT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(LineStartingWith(r.output, "OK    provider: GET " + fake_.base_url() + "/chat/templates answered 200"),
              "")
        << r.output;
    EXPECT_NE(LineStartingWith(r.output, "OK    store:"), "") << r.output;
    EXPECT_NE(LineStartingWith(r.output, "OK    templates:"), "") << r.output;
    EXPECT_NE(LineStartingWith(r.output, "OK    templates approved:"), "") << r.output;
    EXPECT_EQ(LineStartingWith(r.output, "FAIL"), "") << r.output;
}

TEST_F(DoctorTest, AProviderThatDoesNotAnswerFails) {
    Notifyd service(fake_.ServiceEnv({{"PROVIDER_TIMEOUT_MS", "2000"}}));
    service.Migrate();
    fake_.Stop();
    const auto r = service.Run({"doctor"});
    EXPECT_EQ(r.exit_code, 1) << r.output;
    EXPECT_NE(LineStartingWith(r.output, "FAIL  provider:"), "") << r.output;
}

TEST_F(DoctorTest, RefusedCredentialsFail) {
    Notifyd service(fake_.ServiceEnv({{"MYOPERATOR_API_KEY", "a-wrong-key-0123456789"}}));
    service.Migrate();
    const auto r = service.Run({"doctor"});
    EXPECT_EQ(r.exit_code, 1) << r.output;
    EXPECT_NE(LineStartingWith(r.output, "FAIL  provider: credentials refused"), "") << r.output;
}

TEST_F(DoctorTest, AnUnmigratedStoreFailsNamingMigrate) {
    Notifyd service(fake_.ServiceEnv());
    const auto r = service.Run({"doctor"});
    EXPECT_EQ(r.exit_code, 1) << r.output;
    const std::string store = LineStartingWith(r.output, "FAIL  store:");
    EXPECT_NE(store.find("notifyd migrate"), std::string::npos) << r.output;
}

TEST_F(DoctorTest, ABadSettingIsOneFailLineNamingIt) {
    Notifyd service(fake_.ServiceEnv({{"PORT", "abc"}}));
    const auto r = service.Run({"doctor"});
    EXPECT_EQ(r.exit_code, 1) << r.output;
    EXPECT_NE(LineStartingWith(r.output, "FAIL  configuration: PORT:"), "") << r.output;
}

TEST_F(DoctorTest, JsonReportParses) {
    Notifyd service(fake_.ServiceEnv({{"LOG_LEVEL", "off"}}));
    service.Migrate();
    const auto r = service.Run({"doctor", "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.output;
    const auto report = nlohmann::json::parse(r.output);
    EXPECT_EQ(report["ok"], true);
    ASSERT_TRUE(report["checks"].is_array());
    ASSERT_FALSE(report["checks"].empty());
    for (const auto& check : report["checks"]) {
        EXPECT_TRUE(check["name"].is_string());
        EXPECT_TRUE(check["status"] == "ok" || check["status"] == "warn" || check["status"] == "fail") << check;
        EXPECT_TRUE(check["detail"].is_string());
        EXPECT_TRUE(check["hint"].is_string());
    }
}

TEST(Doctor, TheSandboxWarnsButPasses) {
    Notifyd service;
    service.Migrate();
    const auto r = service.Run({"doctor"});
    EXPECT_EQ(r.exit_code, 0) << r.output;
    EXPECT_NE(LineStartingWith(r.output, "WARN  provider: sandbox"), "") << r.output;
}

}  // namespace
}  // namespace notify::testing
