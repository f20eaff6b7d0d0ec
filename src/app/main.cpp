// notifyd: the only wiring of command line to the commands in src/app/commands.cpp.
#include <spdlog/spdlog.h>

#include <CLI/CLI.hpp>
#include <cstdint>
#include <iostream>
#include <optional>

#include "app/commands.h"
#include "app/config.h"
#include "app/logging.h"
#include "common/errors.h"

int main(int argc, char** argv) {
    CLI::App app{"notifyd: WhatsApp notifications through MyOperator"};
    app.require_subcommand(1);

    auto* serve = app.add_subcommand("serve", "start the HTTP API and the background queue processor");
    auto* migrate = app.add_subcommand("migrate", "apply pending database migrations (idempotent)");
    bool status_only = false;
    auto* status_flag =
        migrate->add_flag("--status", status_only, "list applied and pending migrations, apply nothing");
    std::optional<std::int64_t> migrate_to;
    migrate
        ->add_option("--to", migrate_to,
                     "apply or roll back (with the down migrations) to this version; 0 removes every table")
        ->excludes(status_flag);
    auto* token = app.add_subcommand("token", "manage API tokens");
    token->require_subcommand(1);
    auto* create = token->add_subcommand("create", "print a new bearer token once (stored hashed)");
    std::string role;
    std::string name;
    create->add_option("--role", role, "admin, operator or viewer")->required();
    create->add_option("--name", name, "who or what uses the token")->required();
    std::string expires_in;
    create->add_option("--expires-in", expires_in, "lifetime, e.g. 90d, 12h or 30m (default: until revoked)");
    auto* list = token->add_subcommand("list", "name, role, created, last used and expiry of every token");
    auto* revoke = token->add_subcommand("revoke", "delete the token(s) with this name; running servers refuse it");
    std::string revoke_name;
    revoke->add_option("--name", revoke_name, "the token's name, as `token list` shows it")->required();
    auto* process = app.add_subcommand("process-queue", "one processing pass, then exit; prints JSON");
    bool force = false;
    process->add_flag("--force", force, "also take retries whose time has not come");

    auto* backup = app.add_subcommand("backup", "write a checked copy of the database (safe while serving)");
    std::string backup_out;
    backup->add_option("--out", backup_out, "the file to write; must not exist")->required();
    auto* restore = app.add_subcommand("restore", "replace the database with a backup (stop the service first)");
    std::string restore_from;
    restore->add_option("file", restore_from, "a file `notifyd backup` wrote")->required();

    auto* doctor =
        app.add_subcommand("doctor", "check the configuration, store, provider and settings; exit 1 on failure");
    bool doctor_json = false;
    doctor->add_flag("--json", doctor_json, "print {\"ok\", \"checks\": [...]} instead of one line per check");

    auto* templates = app.add_subcommand("templates", "compare the templates with MyOperator's");
    templates->require_subcommand(1);
    auto* sync = templates->add_subcommand(
        "sync", "list how the templates differ from MyOperator's; exit 1 on differences, 2 when it cannot compare");
    bool sync_json = false;
    sync->add_flag("--json", sync_json, "print {\"in_sync\", \"differences\": [...]} instead of one line each");

    CLI11_PARSE(app, argc, argv);

    notify::Config config;
    try {
        config = notify::ParseConfig(notify::CollectSettings(".env"));
    } catch (const notify::ConfigError& e) {
        // The doctor reports a bad setting as one of its checks rather than stopping at it.
        if (*doctor) return notify::RunDoctor(std::nullopt, std::string(e.what()), doctor_json);
        std::cerr << "configuration error: " << e.what() << std::endl;
        return 2;
    }
    // The doctor's and templates sync's stdout is their report: their log lines go to stderr.
    const bool reports = *doctor || *sync;
    notify::SetUpLogging(config.log_level, config.Secrets(),
                         notify::ParseLogFormat(config.log_format).value_or(notify::LogFormat::kText),
                         reports ? stderr : stdout);
    try {
        if (*serve) return notify::RunServe(config);
        if (*migrate) return notify::RunMigrate(config, status_only, migrate_to);
        if (*create) return notify::RunTokenCreate(config, role, name, expires_in);
        if (*list) return notify::RunTokenList(config);
        if (*revoke) return notify::RunTokenRevoke(config, revoke_name);
        if (*process) return notify::RunProcessQueue(config, force);
        if (*backup) return notify::RunBackup(config, backup_out);
        if (*restore) return notify::RunRestore(config, restore_from);
        if (*doctor) return notify::RunDoctor(config, std::nullopt, doctor_json);
        if (*sync) return notify::RunTemplatesSync(config, sync_json);
    } catch (const std::exception& e) {
        spdlog::critical("{}", e.what());
        return *sync ? 2 : 1;  // for templates sync, 1 means "differences"
    }
    return 0;
}
