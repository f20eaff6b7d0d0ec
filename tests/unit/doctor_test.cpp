#include "app/doctor.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace notify {
namespace {

using ::testing::HasSubstr;

Config MyOperatorConfig() {
    Config config;
    config.provider = "myoperator";
    config.myoperator.base_url = "https://publicapi.myoperator.co";
    config.myoperator.api_key = "key-0123456789abcdef";
    config.myoperator.company_id = "company-1";
    config.myoperator.phone_number_id = "phone-id-1";
    config.webhook_secret = "webhook-secret-0123456789";
    config.provider_timeout_ms = 2000;
    return config;
}

const DoctorCheck* Find(const std::vector<DoctorCheck>& checks, const std::string& name) {
    for (const auto& c : checks) {
        if (c.name == name) return &c;
    }
    return nullptr;
}

std::vector<Template> AllTemplates() {
    std::vector<Template> templates;
    for (const auto& name : ExpectedTemplateNames()) {
        Template t;
        t.name = name;
        templates.push_back(t);
    }
    return templates;
}

TEST(CheckConfiguration, FailsWithTheErrorThatNamesTheSetting) {
    EXPECT_EQ(CheckConfiguration(std::nullopt).status, CheckStatus::kOk);
    const DoctorCheck check = CheckConfiguration("PORT: must be a whole number from 0 to 65535 (got \"x\")");
    EXPECT_EQ(check.status, CheckStatus::kFail);
    EXPECT_THAT(check.detail, HasSubstr("PORT"));
    EXPECT_FALSE(check.hint.empty());
}

TEST(CheckStore, PassesWhenEveryMigrationIsApplied) {
    const DoctorCheck check = CheckStore(std::nullopt, {{"0001_initial.sql", true, 1}, {"0002_x.sql", true, 2}});
    EXPECT_EQ(check.status, CheckStatus::kOk);
    EXPECT_THAT(check.detail, HasSubstr("2 migrations"));
}

TEST(CheckStore, PendingMigrationsFailWithTheHintToMigrate) {
    const DoctorCheck check = CheckStore(std::nullopt, {{"0001_initial.sql", true, 1}, {"0002_x.sql", false, {}}});
    EXPECT_EQ(check.status, CheckStatus::kFail);
    EXPECT_THAT(check.detail, HasSubstr("0002_x.sql"));
    EXPECT_THAT(check.hint, HasSubstr("notifyd migrate"));
}

TEST(CheckStore, AStoreThatDoesNotOpenFails) {
    const DoctorCheck check = CheckStore("unable to open database file", {});
    EXPECT_EQ(check.status, CheckStatus::kFail);
    EXPECT_THAT(check.detail, HasSubstr("unable to open database file"));
}

TEST(CheckDisk, WarnsUnderOneGibibyteAndFailsUnderOneHundredMebibytes) {
    DiskFacts facts{"data", std::nullopt, true, 5ULL << 30};
    EXPECT_EQ(CheckDisk(facts).status, CheckStatus::kOk);
    facts.available_bytes = kDiskWarnBytes - 1;
    EXPECT_EQ(CheckDisk(facts).status, CheckStatus::kWarn);
    facts.available_bytes = kDiskFailBytes;
    EXPECT_EQ(CheckDisk(facts).status, CheckStatus::kWarn);
    facts.available_bytes = kDiskFailBytes - 1;
    EXPECT_EQ(CheckDisk(facts).status, CheckStatus::kFail);
}

TEST(CheckDisk, AnUnwritableOrMissingDirectoryFails) {
    EXPECT_EQ(CheckDisk({"data", std::nullopt, false, 5ULL << 30}).status, CheckStatus::kFail);
    const DoctorCheck missing = CheckDisk({"data", std::string("No such file or directory"), false, 0});
    EXPECT_EQ(missing.status, CheckStatus::kFail);
    EXPECT_THAT(missing.detail, HasSubstr("data"));
}

TEST(CheckProvider, TheSandboxWarnsThatNothingIsSent) {
    Config config;
    const auto checks = CheckProvider(config, std::nullopt);
    ASSERT_EQ(checks.size(), 1u);
    EXPECT_EQ(checks[0].status, CheckStatus::kWarn);
    EXPECT_THAT(checks[0].detail, HasSubstr("nothing is sent to WhatsApp"));
}

TEST(CheckProvider, MissingCredentialsFailNamingThem) {
    Config config = MyOperatorConfig();
    config.myoperator.company_id.clear();
    const auto checks = CheckProvider(config, std::nullopt);
    ASSERT_EQ(checks.size(), 1u);
    EXPECT_EQ(checks[0].status, CheckStatus::kFail);
    EXPECT_THAT(checks[0].detail, HasSubstr("MYOPERATOR_ACCOUNT_ID"));
}

TEST(CheckProvider, AnyHttpAnswerIsReachable) {
    for (long status : {200L, 404L, 500L}) {
        const auto checks = CheckProvider(MyOperatorConfig(), ProviderProbeFacts{status, ""});
        ASSERT_NE(Find(checks, "provider"), nullptr);
        EXPECT_EQ(Find(checks, "provider")->status, CheckStatus::kOk) << status;
        EXPECT_EQ(Find(checks, "provider credentials")->status, CheckStatus::kOk);
    }
}

TEST(CheckProvider, UnauthorizedOrForbiddenIsCredentialsRefused) {
    for (long status : {401L, 403L}) {
        const auto checks = CheckProvider(MyOperatorConfig(), ProviderProbeFacts{status, ""});
        const DoctorCheck* provider = Find(checks, "provider");
        ASSERT_NE(provider, nullptr);
        EXPECT_EQ(provider->status, CheckStatus::kFail);
        EXPECT_THAT(provider->detail, HasSubstr("credentials refused"));
    }
}

TEST(CheckProvider, NoAnswerFailsWithTheTransportError) {
    const auto checks = CheckProvider(MyOperatorConfig(), ProviderProbeFacts{0, "Couldn't connect to server"});
    const DoctorCheck* provider = Find(checks, "provider");
    ASSERT_NE(provider, nullptr);
    EXPECT_EQ(provider->status, CheckStatus::kFail);
    EXPECT_THAT(provider->detail, HasSubstr("Couldn't connect to server"));
    EXPECT_THAT(provider->detail, HasSubstr("2000 ms"));
}

TEST(CheckSecrets, AMissingWebhookSecretFailsWithMyOperatorAndWarnsWithTheSandbox) {
    Config config = MyOperatorConfig();
    config.webhook_secret.reset();
    EXPECT_EQ(Find(CheckSecrets(config), "webhook secret")->status, CheckStatus::kFail);
    Config sandbox;
    EXPECT_EQ(Find(CheckSecrets(sandbox), "webhook secret")->status, CheckStatus::kWarn);
    EXPECT_EQ(Find(CheckSecrets(MyOperatorConfig()), "webhook secret")->status, CheckStatus::kOk);
}

TEST(CheckSecrets, ShortSecretsWarnNamingThem) {
    Config config = MyOperatorConfig();
    EXPECT_EQ(Find(CheckSecrets(config), "secret length"), nullptr);
    config.myoperator.api_key = "k";
    config.webhook_secret = "short";
    const auto checks = CheckSecrets(config);
    const DoctorCheck* check = Find(checks, "secret length");
    ASSERT_NE(check, nullptr);
    EXPECT_EQ(check->status, CheckStatus::kWarn);
    EXPECT_THAT(check->detail, HasSubstr("MYOPERATOR_API_KEY"));
    EXPECT_THAT(check->detail, HasSubstr("MYOPERATOR_API_SECRET"));
    EXPECT_THAT(check->detail, ::testing::Not(HasSubstr("ADMIN_TOKEN")));
}

TEST(CheckAdminTokens, WarnsOnlyWithoutAnyAdminToken) {
    EXPECT_EQ(CheckAdminTokens(true, 0).status, CheckStatus::kOk);
    EXPECT_EQ(CheckAdminTokens(false, 1).status, CheckStatus::kOk);
    const DoctorCheck none = CheckAdminTokens(false, 0);
    EXPECT_EQ(none.status, CheckStatus::kWarn);
    EXPECT_THAT(none.hint, HasSubstr("token create --role admin"));
}

TEST(CheckTimeZone, FailsWithoutKolkataAndSaysToInstallTzdata) {
    EXPECT_EQ(CheckTimeZone(true).status, CheckStatus::kOk);
    const DoctorCheck missing = CheckTimeZone(false);
    EXPECT_EQ(missing.status, CheckStatus::kFail);
    EXPECT_THAT(missing.detail, HasSubstr("Asia/Kolkata"));
    EXPECT_EQ(missing.hint, "apt-get install tzdata");
}

TEST(CheckSettings, WarnsForDisabledPausedAndZeroRollout) {
    const auto fine = CheckSettings(Settings{});
    ASSERT_EQ(fine.size(), 1u);
    EXPECT_EQ(fine[0].status, CheckStatus::kOk);

    Settings settings;
    settings.enabled = false;
    settings.paused = true;
    settings.rollout_percent = 0;
    const auto checks = CheckSettings(settings);
    ASSERT_EQ(checks.size(), 3u);
    for (const auto& c : checks) EXPECT_EQ(c.status, CheckStatus::kWarn);
    EXPECT_THAT(checks[0].detail, HasSubstr("refused"));
    EXPECT_THAT(checks[1].detail, HasSubstr("nothing is sent"));
    EXPECT_THAT(checks[2].detail, HasSubstr("rollout_percent is 0"));
}

TEST(CheckTemplates, AllTenPresentAndEnabledPass) {
    EXPECT_EQ(ExpectedTemplateNames().size(), 10u);
    EXPECT_EQ(CheckTemplates(AllTemplates()).status, CheckStatus::kOk);
}

TEST(CheckTemplates, AMissingOneFailsAndADisabledOneWarns) {
    auto templates = AllTemplates();
    templates[3].enabled = false;
    const DoctorCheck disabled = CheckTemplates(templates);
    EXPECT_EQ(disabled.status, CheckStatus::kWarn);
    EXPECT_THAT(disabled.detail, HasSubstr(templates[3].name));

    templates.erase(templates.begin());
    const DoctorCheck missing = CheckTemplates(templates);
    EXPECT_EQ(missing.status, CheckStatus::kFail);
    EXPECT_THAT(missing.detail, HasSubstr(ExpectedTemplateNames().front()));
}

Template TwoLanguageTemplate(const std::string& name, std::vector<std::string> variables) {
    Template t;
    t.name = name;
    t.provider_template_name = name;
    t.variables = std::move(variables);
    t.variants = {{"en", "body"}, {"hi", "body"}};
    return t;
}

TEST(CheckTemplatesApproved, EveryLanguageApprovedPassesAndCountsUnusedOnes) {
    const std::vector<Template> local = {TwoLanguageTemplate("welcome", {"customer_name"})};
    const TemplateListingFacts listing{
        {{"welcome", "en", "APPROVED", 1}, {"welcome", "hi", "APPROVED", 1}, {"promo", "en", "APPROVED", 0}}, ""};
    const DoctorCheck check = CheckTemplatesApproved(MyOperatorConfig(), local, listing);
    EXPECT_EQ(check.name, "templates approved");
    EXPECT_EQ(check.status, CheckStatus::kOk);
    EXPECT_THAT(check.detail, HasSubstr("all 2 language(s) of the 1 enabled templates approved"));
    EXPECT_THAT(check.detail, HasSubstr("1 more at MyOperator"));
}

TEST(CheckTemplatesApproved, FailsNamingEachDifferenceWithItsFix) {
    const std::vector<Template> local = {TwoLanguageTemplate("welcome", {"customer_name"}),
                                         TwoLanguageTemplate("delivery_reminder", {"a", "b", "c"})};
    const TemplateListingFacts listing{{{"welcome", "en", "PENDING", 1},
                                        {"delivery_reminder", "en", "APPROVED", 2},
                                        {"delivery_reminder", "hi", "APPROVED", 3}},
                                       ""};
    const DoctorCheck check = CheckTemplatesApproved(MyOperatorConfig(), local, listing);
    EXPECT_EQ(check.status, CheckStatus::kFail);
    EXPECT_THAT(check.detail, HasSubstr("3 of 4 template language(s) cannot be sent"));
    EXPECT_THAT(check.detail, HasSubstr("welcome (en): PENDING at MyOperator"));
    EXPECT_THAT(check.detail, HasSubstr("welcome (hi): not at MyOperator"));
    EXPECT_THAT(check.detail, HasSubstr("delivery_reminder (en): 3 variables here, 2 variables at MyOperator"));
    EXPECT_THAT(check.hint, HasSubstr("submit template welcome (hi) in MyOperator's panel"));
    EXPECT_THAT(check.hint, HasSubstr("wait for WhatsApp to approve template welcome (en)"));
    EXPECT_THAT(check.hint, HasSubstr("make delivery_reminder have 2 variables"));
    EXPECT_EQ(FormatCheckLine(check).find('\n'), std::string::npos);
}

TEST(CheckTemplatesApproved, ManyDifferencesNameTheFirstFewAndCountTheRest) {
    std::vector<Template> local;
    for (int i = 0; i < 4; ++i) local.push_back(TwoLanguageTemplate("t" + std::to_string(i), {"x"}));
    const DoctorCheck check = CheckTemplatesApproved(MyOperatorConfig(), local, TemplateListingFacts{});
    EXPECT_EQ(check.status, CheckStatus::kFail);
    EXPECT_THAT(check.detail, HasSubstr("8 of 8 template language(s) cannot be sent"));
    EXPECT_THAT(check.detail, HasSubstr("t2 (en): not at MyOperator; and 3 more"));
    EXPECT_THAT(check.detail, ::testing::Not(HasSubstr("t3 (hi)")));
    EXPECT_THAT(check.hint, HasSubstr("lists them all"));
}

TEST(CheckTemplatesApproved, TheSandboxSkipsItWithAWarning) {
    Config sandbox;
    sandbox.provider = "sandbox";
    const DoctorCheck check = CheckTemplatesApproved(sandbox, {TwoLanguageTemplate("welcome", {"x"})}, std::nullopt);
    EXPECT_EQ(check.status, CheckStatus::kWarn);
    EXPECT_THAT(check.detail, HasSubstr("skipped"));
}

TEST(CheckTemplatesApproved, AListingNotReadFails) {
    const auto local = std::vector<Template>{TwoLanguageTemplate("welcome", {"x"})};
    EXPECT_EQ(CheckTemplatesApproved(MyOperatorConfig(), local, std::nullopt).status, CheckStatus::kFail);
    const DoctorCheck unreadable =
        CheckTemplatesApproved(MyOperatorConfig(), local, TemplateListingFacts{{}, "HTTP 500"});
    EXPECT_EQ(unreadable.status, CheckStatus::kFail);
    EXPECT_THAT(unreadable.detail, HasSubstr("HTTP 500"));
}

TEST(DoctorPassed, WarningsPassFailuresDoNot) {
    std::vector<DoctorCheck> checks = {{"a", CheckStatus::kOk, "", ""}, {"b", CheckStatus::kWarn, "", "x"}};
    EXPECT_TRUE(DoctorPassed(checks));
    checks.push_back({"c", CheckStatus::kFail, "", "y"});
    EXPECT_FALSE(DoctorPassed(checks));
}

TEST(FormatCheckLine, OneLineWithStatusNameDetailAndTheFix) {
    EXPECT_EQ(
        FormatCheckLine({"store", CheckStatus::kFail, "1 migration(s) pending: 0011_x.sql", "run `notifyd migrate`"}),
        "FAIL  store: 1 migration(s) pending: 0011_x.sql; fix: run `notifyd migrate`");
    EXPECT_EQ(FormatCheckLine({"disk", CheckStatus::kOk, "5 GiB free", ""}), "OK    disk: 5 GiB free");
    EXPECT_EQ(FormatCheckLine({"provider", CheckStatus::kWarn, "sandbox", "set it"}),
              "WARN  provider: sandbox; fix: set it");
}

TEST(DoctorReportJson, HasOkAndEveryCheckWithItsFields) {
    const auto report = DoctorReportJson(
        {{"store", CheckStatus::kOk, "fine", ""}, {"provider", CheckStatus::kFail, "refused", "fix the key"}});
    EXPECT_EQ(report["ok"], false);
    ASSERT_EQ(report["checks"].size(), 2u);
    EXPECT_EQ(report["checks"][1]["name"], "provider");
    EXPECT_EQ(report["checks"][1]["status"], "fail");
    EXPECT_EQ(report["checks"][1]["detail"], "refused");
    EXPECT_EQ(report["checks"][1]["hint"], "fix the key");
    EXPECT_EQ(report["checks"][0]["status"], "ok");
}

}  // namespace
}  // namespace notify
