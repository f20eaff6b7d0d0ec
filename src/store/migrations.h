#pragma once

#include <charconv>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

namespace notify {

struct MigrationFile {
    std::string name;  // e.g. "0001_initial.sql"; the leading number is the version
    std::string sql;
};

// The leading number of a migration file's name: its version. A name without one is a build mistake.
inline std::int64_t MigrationVersion(const std::string& name) {
    std::int64_t version = 0;
    const auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), version);
    if (ec != std::errc() || end == name.data()) {
        throw std::logic_error("migration file name must start with its version number: " + name);
    }
    return version;
}

// The files of src/store/sqlite/migrations/, compiled in (see CMakeLists.txt), sorted by name.
const std::vector<MigrationFile>& EmbeddedMigrations();
// The files of src/store/postgres/migrations/, in PostgreSQL's dialect, the same way.
const std::vector<MigrationFile>& EmbeddedPostgresMigrations();

}  // namespace notify
