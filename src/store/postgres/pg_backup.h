#pragma once

#include <chrono>
#include <string>

#include "store/sqlite/sqlite_backup.h"  // BackupError, BackupSummary

namespace notify {

// How long pg_dump or pg_restore may run before it is killed and the command fails.
inline constexpr std::chrono::seconds kPgToolTimeout{3600};

// Writes a pg_dump archive (--format=custom) of the PostgreSQL database at `url` to `out_path`.
// pg_dump and pg_restore are PostgreSQL's client programs (Debian's postgresql-client), found on
// PATH or in /usr/lib/postgresql/<version>/bin. The password is handed to them in PGPASSWORD,
// never on their command line, and never printed. The dump is written to a temporary file beside
// `out_path` (mode 0600) and renamed into place when pg_dump succeeded, so `out_path` either holds
// a whole archive or does not exist. Refuses an `out_path` that exists and a database without
// notifyd's schema. `messages` counts the messages when the dump starts (pg_dump's snapshot is a
// moment later; a message written in between may be in the archive and not in the count).
BackupSummary BackupPostgresDatabase(const std::string& url, const std::string& out_path,
                                     std::chrono::milliseconds timeout = kPgToolTimeout);

// Restores an archive BackupPostgresDatabase wrote into the database at `url`: pg_restore --clean
// --if-exists --single-transaction --no-owner, so every object in the archive is dropped and made
// again with its rows, in one transaction (a failure leaves the database as it was). Objects the
// archive does not hold (tables of a newer schema) stay. Stop notifyd first. Returns what the
// database holds afterwards.
BackupSummary RestorePostgresDatabase(const std::string& backup_path, const std::string& url,
                                      std::chrono::milliseconds timeout = kPgToolTimeout);

}  // namespace notify
