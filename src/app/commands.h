#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "app/config.h"

namespace notify {

// The subcommands of notifyd (see the contract's Commands table). Each returns the exit code.
int RunServe(const Config& config);
// to_version: `migrate --to VERSION`, applying or rolling back to it (2 when it cannot be reached).
int RunMigrate(const Config& config, bool status_only, std::optional<std::int64_t> to_version);
// expires_in: empty for a token that lasts until revoked, else e.g. "90d" (ParseTokenLifetime).
int RunTokenCreate(const Config& config, const std::string& role, const std::string& name,
                   const std::string& expires_in);
int RunTokenList(const Config& config);
int RunTokenRevoke(const Config& config, const std::string& name);
int RunProcessQueue(const Config& config, bool force);
// An online, checked copy of the database (safe while serving); restore replaces the database with
// one (stop the service first). SQLite: the online backup API; PostgreSQL: pg_dump and pg_restore.
int RunBackup(const Config& config, const std::string& out_path);
int RunRestore(const Config& config, const std::string& backup_path);
// Checks a deployment, one line per check (or JSON); 1 when any check failed. `config` is nullopt
// when it did not load, and `config_error` then says why.
int RunDoctor(const std::optional<Config>& config, const std::optional<std::string>& config_error, bool json);
// Compares the local templates with MyOperator's list and prints the differences, one per line (or
// JSON); changes nothing. 0 in sync, 1 differences that stop sending, 2 when it cannot compare
// (sandbox, credentials missing, store not migrated, MyOperator not answering).
int RunTemplatesSync(const Config& config, bool json);

}  // namespace notify
