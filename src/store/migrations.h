#pragma once

#include <charconv>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

namespace notify {

struct MigrationFile {
    std::string name;  // e.g. "0001_initial.sql"; the leading number is the version
    std::string sql;
    // The text of NNNN_name.down.sql beside the file, which undoes it; nullopt when there is none
    // (the version cannot be rolled back).
    std::optional<std::string> down_sql;
};

// A `migrate --to` that cannot be done: a version this binary does not know, or a rollback through
// a version without a down file. Thrown before anything changes.
class MigrationError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// What a migration run does, in order: the ups first (oldest first), then the downs (newest first).
// A down of a version this binary does not know (a newer build applied it) has no file.
struct MigrationStep {
    std::int64_t version = 0;
    std::string name;
    bool down = false;
    const std::string* sql = nullptr;  // into the MigrationFile list the plan was made from
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

// The latest version in `files` (0 when there are none).
std::int64_t LatestMigrationVersion(const std::vector<MigrationFile>& files);

// The steps that take a database with the versions `applied` to `target`: every known version up
// to target not yet applied, then every applied version above target, newest first. With target
// nullopt (plain `migrate`) it applies every pending version and rolls nothing back, whatever the
// database holds. Throws MigrationError when target is negative or above the latest known version,
// or when a version to roll back has no down file (also one this binary does not know).
std::vector<MigrationStep> PlanMigration(const std::vector<MigrationFile>& files,
                                         const std::vector<std::int64_t>& applied, std::optional<std::int64_t> target);

// The files of src/store/sqlite/migrations/, compiled in (see CMakeLists.txt), sorted by name: the
// up files, each with its .down.sql when there is one.
const std::vector<MigrationFile>& EmbeddedMigrations();
// The files of src/store/postgres/migrations/, in PostgreSQL's dialect, the same way.
const std::vector<MigrationFile>& EmbeddedPostgresMigrations();

}  // namespace notify
