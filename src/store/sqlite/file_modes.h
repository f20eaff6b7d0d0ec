#pragma once

#include <string>

namespace notify {

// The database holds customers' numbers and what was sent to them: only the service's user may
// read it. Called before SQLite opens `database_path`:
// - parent directories that do not exist are created mode 0700;
// - an existing parent directory that group or others can write is warned about (it is the
//   operator's, so it is not changed);
// - the database file is created empty with mode 0600 when missing, and an existing one that group
//   or others can read is narrowed to 0600, as are its -wal and -shm files. SQLite creates -wal and
//   -shm with the database file's mode, so they are 0600 from then on.
// Throws StoreUnavailable when a directory or the file cannot be created.
void PrepareDatabaseFiles(const std::string& database_path);

}  // namespace notify
