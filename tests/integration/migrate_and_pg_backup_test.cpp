// `notifyd migrate --to VERSION` (SQLite, the real binary) and `notifyd backup` / `restore` on
// PostgreSQL (pg_dump and pg_restore, against a database of the test process's throwaway cluster).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "harness.h"
#include "store/migrations.h"
#include "store/postgres/pg_store.h"
#include "support/pg_cluster.h"

namespace notify::testing {
namespace {

// ---- migrate --to on SQLite

// The "applied ..." and "pending ..." lines of `migrate --status` (without the log lines around them).
std::string MigrationLines(const std::string& output) {
    std::string out;
    std::size_t start = 0;
    while (start < output.size()) {
        const std::size_t end = output.find('\n', start);
        const std::string line = output.substr(start, end == std::string::npos ? std::string::npos : end - start);
        if (line.starts_with("applied  ") || line.starts_with("pending  ")) out += line + "\n";
        if (end == std::string::npos) break;
        start = end + 1;
    }
    return out;
}

TEST(MigrateTo, RollsBackToAnOlderVersionKeepingMessagesAndForwardAgain) {
    NOTIFYD_SQLITE_ONLY("SQLite's schema versions; PostgreSQL's rollback is StoreMigrationsTest/Postgres's");
    Notifyd service;
    service.Migrate();
    service.Start();
    ASSERT_EQ(service.Put("/settings", {{"paused", true}}).status, 200);  // they stay queued
    std::vector<std::string> ids;
    for (int i = 0; i < 3; ++i) {
        const auto sent =
            service.Post("/send-message", DeliveryReminder("+9198765432" + std::to_string(10 + i), false));
        ASSERT_EQ(sent.status, 202) << sent.body;
        ids.push_back(sent.Json()["id"]);
    }
    service.Stop();

    const auto down = service.Run({"migrate", "--to", "8"});
    ASSERT_EQ(down.exit_code, 0) << down.output;
    EXPECT_NE(down.output.find("migrated to version 8: 4 migration(s)"), std::string::npos) << down.output;
    EXPECT_NE(down.output.find("applied  0008_counters_from_the_store.sql"), std::string::npos) << down.output;
    EXPECT_NE(down.output.find("pending  0009_business.sql"), std::string::npos) << down.output;
    EXPECT_NE(down.output.find("pending  0012_message_prices.sql"), std::string::npos) << down.output;
    EXPECT_EQ(down.output.find("templates:"), std::string::npos) << down.output;  // not readable at version 8
    const auto status = service.Run({"migrate", "--status"});
    EXPECT_EQ(status.exit_code, 0) << status.output;
    EXPECT_EQ(MigrationLines(status.output), MigrationLines(down.output));

    const auto same = service.Run({"migrate", "--to", "8"});
    ASSERT_EQ(same.exit_code, 0) << same.output;
    EXPECT_NE(same.output.find("already at version 8"), std::string::npos) << same.output;

    // serve refuses the older schema until it is migrated forward again.
    const auto refused = service.Run({"serve"});
    EXPECT_NE(refused.exit_code, 0);
    EXPECT_NE(refused.output.find("notifyd migrate"), std::string::npos) << refused.output;

    const auto up = service.Run({"migrate"});
    ASSERT_EQ(up.exit_code, 0) << up.output;
    EXPECT_NE(up.output.find("applied 4 migration(s)"), std::string::npos) << up.output;
    service.Start();
    for (const std::string& id : ids) {
        const auto message = service.Get("/messages/" + id);
        ASSERT_EQ(message.status, 200) << id;
        EXPECT_EQ(message.Json()["status"], "queued");
    }
    EXPECT_EQ(service.Get("/settings").Json()["paused"], true);
}

TEST(MigrateTo, AnUnknownVersionExits2AndChangesNothing) {
    NOTIFYD_SQLITE_ONLY("SQLite's schema versions; PostgreSQL's rollback is StoreMigrationsTest/Postgres's");
    Notifyd service;
    service.Migrate();
    const std::string before = MigrationLines(service.Run({"migrate", "--status"}).output);
    ASSERT_NE(before.find("applied  0012_message_prices.sql"), std::string::npos) << before;
    for (const std::string version : {"13", "999", "-1"}) {
        const auto r = service.Run({"migrate", "--to=" + version});
        EXPECT_EQ(r.exit_code, 2) << version << ": " << r.output;
        EXPECT_NE(r.output.find("cannot migrate to version " + version), std::string::npos) << r.output;
        EXPECT_NE(r.output.find("0 to 12"), std::string::npos) << r.output;
    }
    EXPECT_EQ(MigrationLines(service.Run({"migrate", "--status"}).output), before);
    const auto text = service.Run({"migrate", "--to", "latest"});
    EXPECT_NE(text.exit_code, 0) << text.output;
    EXPECT_EQ(MigrationLines(service.Run({"migrate", "--status"}).output), before);
}

TEST(MigrateTo, ZeroRemovesEveryTableAndMigrateMakesThemAgain) {
    NOTIFYD_SQLITE_ONLY("SQLite's schema versions; PostgreSQL's rollback is StoreMigrationsTest/Postgres's");
    Notifyd service;
    service.Migrate();
    const auto down = service.Run({"migrate", "--to", "0"});
    ASSERT_EQ(down.exit_code, 0) << down.output;
    EXPECT_NE(down.output.find("12 migration(s) applied or rolled back"), std::string::npos) << down.output;
    EXPECT_EQ(down.output.find("applied  "), std::string::npos) << down.output;
    const auto up = service.Run({"migrate"});
    ASSERT_EQ(up.exit_code, 0) << up.output;
    EXPECT_NE(up.output.find("templates: 10"), std::string::npos) << up.output;
}

// ---- backup and restore on PostgreSQL

// A port on 127.0.0.1 where nothing listens (bound, read and closed again).
int ClosedPort() {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = 0;
    bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
    socklen_t length = sizeof address;
    getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
    close(fd);
    return ntohs(address.sin_port);
}

void ExecSql(const std::string& url, const std::string& sql) {
    PGconn* conn = PQconnectdb(url.c_str());
    ASSERT_EQ(PQstatus(conn), CONNECTION_OK) << PQerrorMessage(conn);
    PGresult* result = PQexec(conn, sql.c_str());
    const auto status = PQresultStatus(result);
    EXPECT_TRUE(status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) << sql << ": " << PQerrorMessage(conn);
    PQclear(result);
    PQfinish(conn);
}

std::map<std::string, std::string> PgEnv(const std::string& url) {
    std::map<std::string, std::string> env{{"DATABASE_URL", url}};
    if (const char* path = std::getenv("PATH")) env["PATH"] = path;
    return env;
}

TEST(PostgresBackup, BackupThenRestoreFindsEveryMessageAgain) {
    const std::string url = test_support::PgCluster::Instance().CreateDatabase();
    std::vector<std::string> ids;
    {
        PostgresStore store(url);
        store.Migrate();
        Settings settings = store.GetSettings();
        settings.paused = true;
        settings.updated_at = 1'700'000'000'000;
        store.PutSettings(settings);
        for (int i = 0; i < 5; ++i) {
            Message m;
            m.id = "msg-" + std::to_string(i);
            m.phone = "+9198765432" + std::to_string(10 + i);
            m.message_type = "delivery_reminder";
            m.provider_template_name = "delivery_reminder";
            m.language = "en";
            m.parameters = {"Asha", "Jan 28", "Indiranagar"};
            m.context_json = R"({"customer_name":"Asha","delivery_date":"Jan 28","area":"Indiranagar"})";
            m.status = MessageStatus::kQueued;
            m.created_at = 1'700'000'000'000 + i;
            m.updated_at = m.created_at;
            ASSERT_TRUE(store.Enqueue(m, m.created_at, std::nullopt).created);
            ids.push_back(m.id);
        }
    }
    Notifyd service(PgEnv(url));
    const std::string backup = (service.dir() / "notifyd.dump").string();
    const auto made = service.Run({"backup", "--out", backup});
    ASSERT_EQ(made.exit_code, 0) << made.output;
    EXPECT_NE(made.output.find("5 message(s)"), std::string::npos) << made.output;
    EXPECT_NE(made.output.find(EmbeddedPostgresMigrations().back().name), std::string::npos) << made.output;
    ASSERT_TRUE(std::filesystem::exists(backup));
    EXPECT_EQ(std::filesystem::status(backup).permissions() & std::filesystem::perms::others_all,
              std::filesystem::perms::none);
    const auto again = service.Run({"backup", "--out", backup});
    EXPECT_NE(again.exit_code, 0);
    EXPECT_NE(again.output.find("exists"), std::string::npos) << again.output;

    // Lost and changed after the backup: the restore brings back the backup's rows.
    ExecSql(url, "DELETE FROM notifications_log WHERE id IN ('msg-0', 'msg-3')");
    ExecSql(url, "UPDATE notifications_log SET status = 'failed' WHERE id = 'msg-1'");
    ExecSql(url, "UPDATE notification_settings SET paused = false");

    const auto not_a_dump = service.Run({"restore", (service.dir() / "notifyd.log").string()});
    EXPECT_NE(not_a_dump.exit_code, 0) << not_a_dump.output;
    const auto done = service.Run({"restore", backup});
    ASSERT_EQ(done.exit_code, 0) << done.output;
    EXPECT_NE(done.output.find("5 message(s), schema " + EmbeddedPostgresMigrations().back().name), std::string::npos)
        << done.output;

    PostgresStore store(url);
    for (const std::string& id : ids) {
        const std::optional<Message> m = store.GetMessage(id);
        ASSERT_TRUE(m.has_value()) << id;
        EXPECT_EQ(m->status, MessageStatus::kQueued) << id;
    }
    EXPECT_TRUE(store.GetSettings().paused);
    EXPECT_EQ(store.ListTemplates().size(), 10u);
    const auto status = service.Run({"migrate", "--status"});
    EXPECT_NE(status.output.find("applied  0001_initial.sql"), std::string::npos) << status.output;
}

TEST(PostgresBackup, AnUnreachableDatabaseFailsClearlyLeavingNoFileAndNoPassword) {
    const std::string url =
        "postgresql://notifyd:s3cret-pw-41x@127.0.0.1:" + std::to_string(ClosedPort()) + "/notifyd?connect_timeout=2";
    Notifyd service(PgEnv(url));
    const std::string backup = (service.dir() / "notifyd.dump").string();
    const auto r = service.Run({"backup", "--out", backup});
    EXPECT_NE(r.exit_code, 0);
    EXPECT_NE(r.output.find("127.0.0.1"), std::string::npos) << r.output;
    EXPECT_EQ(r.output.find("s3cret-pw-41x"), std::string::npos) << r.output;
    for (const auto& entry : std::filesystem::directory_iterator(service.dir())) {
        EXPECT_EQ(entry.path().filename().string().find("notifyd.dump"), std::string::npos) << entry.path();
    }
}

}  // namespace
}  // namespace notify::testing
