// What operators do with a running service: settings, templates, paging, commands, configuration.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <regex>
#include <thread>

#include "harness.h"

namespace notify::testing {
namespace {

class OperationsTest : public ::testing::Test {
protected:
    void SetUp() override {
        fake_.Start();
        service_ = std::make_unique<Notifyd>(fake_.ServiceEnv());
        service_->Migrate();
        service_->Start();
    }

    TempDir fake_dir_;
    FakeMyOperator fake_{fake_dir_.path()};
    std::unique_ptr<Notifyd> service_;
};

TEST_F(OperationsTest, PausedSettingQueuesWithoutSendingUntilUnpaused) {
    const auto paused = service_->Put("/settings", {{"paused", true}});
    ASSERT_EQ(paused.status, 200) << paused.body;
    EXPECT_EQ(paused.Json()["paused"], true);
    EXPECT_EQ(paused.Json()["enabled"], true);  // PUT changes only the fields it names

    const auto r = service_->Post("/send-message", DeliveryReminder());
    ASSERT_EQ(r.status, 202) << r.body;
    EXPECT_EQ(r.Json()["status"], "queued");
    const auto pass = service_->Post("/process-queue?force=true", nullptr).Json();
    EXPECT_EQ(pass["processed"], 0);
    EXPECT_EQ(pass["paused"], true);
    EXPECT_EQ(pass["remaining"], 1);
    EXPECT_EQ(fake_.RequestCount(), 0);

    ASSERT_EQ(service_->Put("/settings", {{"paused", false}}).status, 200);
    EXPECT_TRUE(service_->WaitForStatus(r.Json()["id"], "sent"));
    EXPECT_EQ(fake_.RequestCount(), 1);
}

TEST_F(OperationsTest, DisabledSettingRefusesNewMessagesClearly) {
    ASSERT_EQ(service_->Put("/settings", {{"enabled", false}}).status, 200);
    const auto r = service_->Post("/send-message", DeliveryReminder());
    EXPECT_EQ(r.status, 409) << r.body;
    EXPECT_EQ(r.Json()["error"]["code"], "notifications_disabled");
    EXPECT_EQ(service_->Get("/statistics").Json()["total"], 0);
    ASSERT_EQ(service_->Put("/settings", {{"enabled", true}}).status, 200);
    EXPECT_EQ(service_->Post("/send-message", DeliveryReminder()).status, 200);
}

TEST_F(OperationsTest, InvalidSettingsAreRefusedAndChangeNothing) {
    const auto before = service_->Get("/settings").Json();
    for (const auto& patch : {nlohmann::json{{"rollout_percent", 101}}, nlohmann::json{{"paused", "yes"}},
                              nlohmann::json{{"paused", true}, {"rollout_percent", -1}}}) {
        const auto r = service_->Put("/settings", patch);
        EXPECT_EQ(r.status, 400) << r.body;
        EXPECT_EQ(r.Json()["error"]["code"], "invalid_field");
    }
    EXPECT_EQ(service_->Get("/settings").Json(), before);
    // A typo is named, not silently ignored, and the valid field beside it is not applied either.
    const auto typo = service_->Put("/settings", {{"paused", true}, {"pasued", false}});
    EXPECT_EQ(typo.status, 400) << typo.body;
    EXPECT_EQ(typo.Json()["error"]["code"], "unknown_field");
    EXPECT_EQ(typo.Json()["error"]["field"], "pasued");
    EXPECT_EQ(service_->Get("/settings").Json(), before);
    const auto ok = service_->Put("/settings", {{"rollout_percent", 5}});
    EXPECT_EQ(ok.Json()["rollout_percent"], 5);
    EXPECT_EQ(ok.Json()["updated_by"], "admin-token");
}

TEST_F(OperationsTest, TemplateEditsApplyToLaterSends) {
    const auto edited =
        service_->Put("/templates/delivery_reminder", {{"provider_template_name", "delivery_reminder_v2"}});
    ASSERT_EQ(edited.status, 200) << edited.body;
    EXPECT_EQ(edited.Json()["provider_template_name"], "delivery_reminder_v2");
    ASSERT_EQ(service_->Post("/send-message", DeliveryReminder()).status, 200);
    EXPECT_EQ(fake_.Requests()["requests"][0]["body"]["data"]["context"]["template_name"], "delivery_reminder_v2");

    const auto bad = service_->Put("/templates/delivery_reminder", {{"body", "Hi {{nobody}}"}});
    EXPECT_EQ(bad.status, 400);
    EXPECT_EQ(bad.Json()["error"]["field"], "body");

    ASSERT_EQ(service_->Put("/templates/welcome", {{"enabled", false}}).status, 200);
    const auto disabled = service_->Post(
        "/send-message",
        {{"phone", "+919876543210"}, {"message_type", "welcome"}, {"context", {{"customer_name", "A"}}}});
    EXPECT_EQ(disabled.status, 409);
    EXPECT_EQ(disabled.Json()["error"]["code"], "template_disabled");
}

TEST_F(OperationsTest, PreviewRendersTheBodyAndNormalisesParameters) {
    const auto r = service_->Post(
        "/templates/delivery_reminder/preview",
        {{"context", {{"customer_name", "Asha\n Rao"}, {"delivery_date", "Jan 28"}, {"area", "Sector    21"}}}});
    ASSERT_EQ(r.status, 200) << r.body;
    const auto body = r.Json();
    EXPECT_EQ(body["parameters"], (nlohmann::json{{"1", "Asha Rao"}, {"2", "Jan 28"}, {"3", "Sector 21"}}));
    EXPECT_NE(body["body"].get<std::string>().find("Asha Rao"), std::string::npos);
    EXPECT_EQ(body["body"].get<std::string>().find("{{"), std::string::npos);
    const auto missing =
        service_->Post("/templates/delivery_reminder/preview", {{"context", nlohmann::json::object()}});
    EXPECT_EQ(missing.status, 400);
    EXPECT_EQ(missing.Json()["error"]["code"], "missing_context");
}

TEST_F(OperationsTest, HistoryPagesWithACursorAndFilters) {
    for (int i = 0; i < 5; ++i) {
        ASSERT_EQ(service_->Post("/send-message", DeliveryReminder("+91987654321" + std::to_string(i))).status, 200);
    }
    std::vector<std::string> seen;
    std::string cursor;
    for (int page = 0; page < 5; ++page) {
        const auto r = service_->Get("/history?limit=2" + (cursor.empty() ? "" : "&cursor=" + cursor)).Json();
        for (const auto& item : r["items"]) seen.push_back(item["phone"]);
        if (r["next_cursor"].is_null()) break;
        cursor = r["next_cursor"];
    }
    EXPECT_EQ(seen, (std::vector<std::string>{"+919876543214", "+919876543213", "+919876543212", "+919876543211",
                                              "+919876543210"}));
    const auto filtered = service_->Get("/history?phone=%2B91%2098765-43213").Json();
    ASSERT_EQ(filtered["items"].size(), 1u);
    EXPECT_EQ(service_->Get("/history?status=failed").Json()["items"].size(), 0u);
    EXPECT_EQ(service_->Get("/history?message_type=delivery_reminder").Json()["items"].size(), 5u);
    EXPECT_EQ(service_->Get("/history?since=2999-01-01").Json()["items"].size(), 0u);
    EXPECT_EQ(service_->Get("/statistics?since=2999-01-01").Json()["total"], 0);
    EXPECT_EQ(service_->Get("/statistics?until=2999-01-01T00:00:00Z").Json()["total"], 5);
}

TEST_F(OperationsTest, StatisticsRatesFollowTheContractDefinitions) {
    ASSERT_EQ(service_->Post("/send-message", DeliveryReminder()).status, 200);
    fake_.SetMode({{"mode", "error400"}});
    ASSERT_EQ(service_->Post("/send-message", DeliveryReminder()).Json()["status"], "failed");
    const auto stats = service_->Get("/statistics").Json();
    EXPECT_EQ(stats["total"], 2);
    EXPECT_EQ(stats["sent"], 1);
    EXPECT_EQ(stats["failed"], 1);
    EXPECT_EQ(stats["success_rate"], 50.0);
    EXPECT_TRUE(service_->Get("/statistics?since=2999-01-01").Json()["success_rate"].is_null());
}

TEST_F(OperationsTest, ProcessQueueCommandPrintsTheSameJsonAsTheEndpoint) {
    fake_.SetMode({{"mode", "error500"}});
    service_->env()["RETRY_BASE_DELAY_MS"] = "600000";
    ASSERT_EQ(service_->Post("/send-message", DeliveryReminder()).status, 202);
    fake_.SetMode({{"mode", "ok"}});
    const auto r = service_->Run({"process-queue", "--force"});
    ASSERT_EQ(r.exit_code, 0) << r.output;
    const auto start = r.output.rfind("{\"");
    ASSERT_NE(start, std::string::npos) << r.output;
    const auto pass = nlohmann::json::parse(r.output.substr(start));
    EXPECT_EQ(pass["processed"], 1);
    EXPECT_EQ(pass["sent"], 1);
    EXPECT_EQ(pass["remaining"], 0);
}

TEST(Commands, MigrateIsIdempotentAndStatusListsMigrations) {
    Notifyd service;
    const auto first = service.Run({"migrate"});
    ASSERT_EQ(first.exit_code, 0) << first.output;
    // Every embedded migration at once, however many there are by now.
    EXPECT_NE(first.output.find("applied "), std::string::npos) << first.output;
    EXPECT_EQ(first.output.find("applied 0 "), std::string::npos) << first.output;
    const auto second = service.Run({"migrate"});
    ASSERT_EQ(second.exit_code, 0);
    EXPECT_NE(second.output.find("up to date"), std::string::npos) << second.output;
    const auto status = service.Run({"migrate", "--status"});
    EXPECT_NE(status.output.find("applied  0001_initial.sql"), std::string::npos) << status.output;
    // PostgreSQL's migrations begin with one file holding the schema SQLite's 0001-0012 reach
    // (src/store/postgres/migrations/), so it has no 0002 of that name.
    if (!TestStoreIsPostgres()) {
        EXPECT_NE(status.output.find("applied  0002_webhooks_and_opt_outs.sql"), std::string::npos) << status.output;
    }
    EXPECT_EQ(status.output.find("pending"), std::string::npos) << status.output;
    EXPECT_NE(status.output.find("templates: 10"), std::string::npos) << status.output;
}

// The runbook's "Backup current database" and "Restore database from backup", with the real binary.
TEST(Commands, BackupWhileServingThenRestoreFindsEveryMessage) {
    NOTIFYD_SQLITE_ONLY("notifyd backup and restore copy a SQLite file; PostgreSQL uses pg_dump and pg_restore");
    TempDir fake_dir;
    FakeMyOperator fake(fake_dir.path());
    fake.Start();
    Notifyd service(fake.ServiceEnv());
    service.Migrate();
    service.Start();
    ASSERT_EQ(service.Put("/settings", {{"paused", true}}).status, 200);  // they stay queued
    std::vector<std::string> ids;
    for (int i = 0; i < 12; ++i) {
        const auto sent =
            service.Post("/send-message", DeliveryReminder("+9198765432" + std::to_string(10 + i), false));
        ASSERT_EQ(sent.status, 202) << sent.body;
        ids.push_back(sent.Json()["id"]);
    }
    const std::string backup = (service.dir() / "backup.db").string();
    const auto made = service.Run({"backup", "--out", backup});
    ASSERT_EQ(made.exit_code, 0) << made.output;
    EXPECT_NE(made.output.find("12 message(s)"), std::string::npos) << made.output;
    const auto again = service.Run({"backup", "--out", backup});
    EXPECT_NE(again.exit_code, 0);
    EXPECT_NE(again.output.find("exists"), std::string::npos) << again.output;
    EXPECT_EQ(service.Get("/health").status, 200);  // the backup did not disturb the server
    service.Stop();

    // A new machine: an empty place, the backup restored into it, served.
    TempDir elsewhere;
    Notifyd restored(fake.ServiceEnv({{"DATABASE_URL", "sqlite:" + (elsewhere.path() / "n.db").string()}}));
    const auto bad = restored.Run({"restore", (elsewhere.path() / "missing.db").string()});
    EXPECT_NE(bad.exit_code, 0);
    EXPECT_NE(bad.output.find("no backup at"), std::string::npos) << bad.output;
    const auto done = restored.Run({"restore", backup});
    ASSERT_EQ(done.exit_code, 0) << done.output;
    EXPECT_NE(done.output.find("12 message(s)"), std::string::npos) << done.output;
    restored.Start();
    for (const std::string& id : ids) {
        const auto message = restored.Get("/messages/" + id);
        ASSERT_EQ(message.status, 200) << id;
        EXPECT_EQ(message.Json()["status"], "queued");
    }
    EXPECT_EQ(restored.Get("/health").Json()["queue_depth"], 12);
    EXPECT_EQ(restored.Get("/settings").Json()["paused"], true);  // settings travel with the data
}

TEST(Commands, ServeRefusesAnUnmigratedDatabaseClearly) {
    Notifyd service;
    const auto r = service.Run({"serve"});
    EXPECT_NE(r.exit_code, 0);
    EXPECT_NE(r.output.find("notifyd migrate"), std::string::npos) << r.output;
}

TEST(Commands, MalformedSettingStopsStartWithOneLineNamingIt) {
    for (const auto& [key, value] : std::map<std::string, std::string>{
             {"PORT", "abc"}, {"MAX_ATTEMPTS", "0"}, {"DEFAULT_COUNTRY", "XX"}, {"NOTIFY_PROVIDER", "twilio"}}) {
        Notifyd service(std::map<std::string, std::string>{{key, value}});
        const auto r = service.Run({"serve"});
        EXPECT_EQ(r.exit_code, 2) << key;
        EXPECT_NE(r.output.find(key + ":"), std::string::npos) << r.output;
        EXPECT_EQ(std::count(r.output.begin(), r.output.end(), '\n'), 1) << r.output;
    }
    Notifyd missing(std::map<std::string, std::string>{{"NOTIFY_PROVIDER", "myoperator"}});
    const auto r = missing.Run({"serve"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.output.find("MYOPERATOR_API_KEY"), std::string::npos) << r.output;
}

TEST(Commands, DotEnvIsReadAndTheEnvironmentWins) {
    Notifyd service(std::map<std::string, std::string>{{"MAX_ATTEMPTS", "3"}});
    {
        std::ofstream env(service.dir() / ".env");
        env << "# local settings\nexport MAX_ATTEMPTS=oops\n";
    }
    const auto wins = service.Run({"migrate"});
    EXPECT_EQ(wins.exit_code, 0) << wins.output;  // the environment's MAX_ATTEMPTS=3 hides the bad .env value
    {
        std::ofstream env(service.dir() / ".env");
        env << "DEFAULT_COUNTRY='XX'  # not a region\n";
    }
    const auto read = service.Run({"migrate"});
    EXPECT_EQ(read.exit_code, 2);
    EXPECT_NE(read.output.find("DEFAULT_COUNTRY"), std::string::npos) << read.output;
}

TEST(Commands, TokenCreatePrintsAWorkingTokenOnceAndRejectsBadRoles) {
    Notifyd service;
    service.Migrate();
    const std::string token = service.CreateToken("viewer", "wallboard");
    EXPECT_EQ(token.rfind("nfy_", 0), 0u) << token;
    const auto bad = service.Run({"token", "create", "--role", "root", "--name", "x"});
    EXPECT_NE(bad.exit_code, 0);
    service.Start();
    EXPECT_EQ(service.Get("/history", token).status, 200);
    EXPECT_EQ(service.Post("/send-message", DeliveryReminder(), token).status, 403);
    EXPECT_EQ(ReadFile(service.dir() / "data" / "notifications.db").find(token), std::string::npos);
}

TEST(Commands, TokenListShowsEveryTokenWithoutItsSecret) {
    Notifyd service;
    service.Migrate();
    const std::string viewer = service.CreateToken("viewer", "wallboard");
    const auto created =
        service.Run({"token", "create", "--role", "operator", "--name", "billing", "--expires-in", "90d"});
    ASSERT_EQ(created.exit_code, 0) << created.output;
    const auto list = service.Run({"token", "list"});
    ASSERT_EQ(list.exit_code, 0) << list.output;
    for (const char* expected :
         {"NAME", "ROLE", "CREATED", "LAST USED", "EXPIRES", "wallboard", "viewer", "billing", "operator", "never"}) {
        EXPECT_NE(list.output.find(expected), std::string::npos) << expected << " in\n" << list.output;
    }
    EXPECT_EQ(list.output.find("nfy_"), std::string::npos) << list.output;
    EXPECT_EQ(list.output.find(viewer.substr(4, 16)), std::string::npos) << list.output;
    // No hash either (64 hex digits in a row).
    EXPECT_FALSE(std::regex_search(list.output, std::regex("[0-9a-f]{32}"))) << list.output;

    // A name in use is refused, and so is a lifetime it cannot read; nothing is added.
    EXPECT_EQ(service.Run({"token", "create", "--role", "viewer", "--name", "wallboard"}).exit_code, 2);
    for (const char* lifetime : {"90", "90s", "0d", "-1d", "ninety"}) {
        const auto bad = service.Run({"token", "create", "--role", "viewer", "--name", "x", "--expires-in", lifetime});
        EXPECT_EQ(bad.exit_code, 2) << lifetime;
        EXPECT_NE(bad.output.find("--expires-in"), std::string::npos) << bad.output;
    }
    EXPECT_EQ(service.Run({"token", "list"}).output, list.output);
}

TEST(Commands, RevokingAnUnknownNameFailsClearly) {
    Notifyd service;
    service.Migrate();
    const auto r = service.Run({"token", "revoke", "--name", "nobody"});
    EXPECT_NE(r.exit_code, 0);
    EXPECT_NE(r.output.find("no token named \"nobody\""), std::string::npos) << r.output;
}

TEST(Commands, ARevokedTokenIsRefusedByTheRunningServerWithinASecond) {
    Notifyd service;
    service.Migrate();
    const std::string token = service.CreateToken("operator", "backend");
    const std::string other = service.CreateToken("viewer", "wallboard");
    service.Start();
    ASSERT_EQ(service.Get("/history", token).status, 200);

    const auto revoked = service.Run({"token", "revoke", "--name", "backend"});
    ASSERT_EQ(revoked.exit_code, 0) << revoked.output;
    const auto since = std::chrono::steady_clock::now();
    long status = 200;
    // Bounded poll: the server trusts a looked-up token for half a second.
    while (std::chrono::steady_clock::now() - since < std::chrono::seconds(5)) {
        status = service.Get("/history", token).status;
        if (status == 401) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    EXPECT_EQ(status, 401);
    EXPECT_EQ(service.Get("/history", other).status, 200);
    EXPECT_EQ(service.Run({"token", "list"}).output.find("backend"), std::string::npos);
}

TEST(Commands, TokenUseIsRecordedAsLastUsed) {
    Notifyd service;
    service.Migrate();
    const std::string token = service.CreateToken("viewer", "wallboard");
    service.Start();
    ASSERT_EQ(service.Get("/history", token).status, 200);
    const auto list = service.Run({"token", "list"});
    // The one row: name, role, created, last used (a time, not "never"), expires ("never").
    const auto row = list.output.substr(list.output.find("wallboard"));
    EXPECT_EQ(std::count(row.begin(), row.end(), 'T'), 2) << list.output;  // two ISO times
}

TEST(Commands, RepeatedFailedAuthenticationIsAnswered429ForAWhile) {
    Notifyd service;
    service.Migrate();
    service.Start();
    int refused = 0;
    for (int i = 0; i < 10; ++i) refused += service.Get("/history", "nfy_guess_" + std::to_string(i)).status == 401;
    EXPECT_EQ(refused, 10);
    const auto blocked = service.Get("/history", "nfy_guess_again");
    EXPECT_EQ(blocked.status, 429) << blocked.body;
    EXPECT_EQ(blocked.Json()["error"]["code"], "too_many_requests");
    ASSERT_TRUE(blocked.headers.count("retry-after"));
    EXPECT_GT(std::stoi(blocked.headers.at("retry-after")), 0);
    // From that address even a good token waits; endpoints without a token do not.
    EXPECT_EQ(service.Get("/history").status, 429);
    EXPECT_EQ(HttpCall("GET", service.api("/health")).status, 200);
    EXPECT_NE(service.Log().find("failed authentications from 127.0.0.1"), std::string::npos);
}

using test_support::ModeOf;

TEST(Commands, TheDatabaseAndItsWalAreTheServiceUsersAlone) {
    NOTIFYD_SQLITE_ONLY("the modes of the SQLite database file and its WAL");
    Notifyd service;
    const auto data = service.dir() / "data";
    ASSERT_FALSE(std::filesystem::exists(data));
    service.Migrate();
    EXPECT_EQ(ModeOf(data), 0700u);
    EXPECT_EQ(ModeOf(data / "notifications.db"), 0600u);
    service.Start();
    for (int i = 0; i < 5; ++i) ASSERT_EQ(service.Post("/send-message", DeliveryReminder()).status, 200);
    for (const char* name : {"notifications.db", "notifications.db-wal", "notifications.db-shm"}) {
        ASSERT_TRUE(std::filesystem::exists(data / name)) << name;
        EXPECT_EQ(ModeOf(data / name), 0600u) << name;
    }
}

TEST(Commands, AnExistingDatabaseThatOthersCouldReadIsNarrowed) {
    NOTIFYD_SQLITE_ONLY("the modes of the SQLite database file");
    Notifyd service;
    service.Migrate();
    const auto db = service.dir() / "data" / "notifications.db";
    ASSERT_EQ(::chmod(db.c_str(), 0644), 0);
    ASSERT_EQ(::chmod((service.dir() / "data").c_str(), 0777), 0);
    const auto r = service.Run({"migrate", "--status"});
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_EQ(ModeOf(db), 0600u);
    // The directory is the operator's: warned about, not changed.
    EXPECT_EQ(ModeOf(service.dir() / "data"), 0777u);
    EXPECT_NE(r.output.find("writable by group or others"), std::string::npos) << r.output;
}

TEST(Commands, SandboxProviderSaysSoAtStartAndAcceptsMessages) {
    Notifyd service;
    service.Migrate();
    service.Start();
    EXPECT_NE(service.Log().find("sandbox"), std::string::npos);
    const auto r = service.Post("/send-message", DeliveryReminder());
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.Json()["status"], "sent");
    EXPECT_EQ(HttpCall("GET", service.api("/health")).Json()["provider"], "sandbox");
}

}  // namespace
}  // namespace notify::testing
