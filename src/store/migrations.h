#pragma once

#include <string>
#include <vector>

namespace notify {

struct MigrationFile {
    std::string name;  // e.g. "0001_initial.sql"; the leading number is the version
    std::string sql;
};

// The files of src/store/sqlite/migrations/, compiled in (see CMakeLists.txt), sorted by name.
const std::vector<MigrationFile>& EmbeddedMigrations();
// The files of src/store/postgres/migrations/, in PostgreSQL's dialect, the same way.
const std::vector<MigrationFile>& EmbeddedPostgresMigrations();

}  // namespace notify
