#include "store/migrations.h"

#include <algorithm>
#include <map>
#include <set>

namespace notify {

std::int64_t LatestMigrationVersion(const std::vector<MigrationFile>& files) {
    std::int64_t latest = 0;
    for (const MigrationFile& file : files) latest = std::max(latest, MigrationVersion(file.name));
    return latest;
}

std::vector<MigrationStep> PlanMigration(const std::vector<MigrationFile>& files,
                                         const std::vector<std::int64_t>& applied, std::optional<std::int64_t> target) {
    const std::int64_t latest = LatestMigrationVersion(files);
    if (target && (*target < 0 || *target > latest)) {
        throw MigrationError("cannot migrate to version " + std::to_string(*target) +
                             ": the versions this build knows are 0 to " + std::to_string(latest));
    }
    std::map<std::int64_t, const MigrationFile*> known;
    for (const MigrationFile& file : files) known[MigrationVersion(file.name)] = &file;
    const std::set<std::int64_t> done(applied.begin(), applied.end());
    const std::int64_t up_to = target.value_or(latest);

    std::vector<MigrationStep> steps;
    for (const auto& [version, file] : known) {
        if (version <= up_to && !done.contains(version)) {
            steps.push_back(MigrationStep{version, file->name, false, &file->sql});
        }
    }
    if (!target) return steps;
    for (auto it = done.rbegin(); it != done.rend() && *it > *target; ++it) {
        const auto file = known.find(*it);
        if (file == known.end()) {
            throw MigrationError("cannot roll back version " + std::to_string(*it) +
                                 ": a newer build applied it and this one has no down migration for it");
        }
        if (!file->second->down_sql) {
            throw MigrationError("cannot roll back " + file->second->name + ": it has no down migration");
        }
        steps.push_back(MigrationStep{*it, file->second->name, true, &*file->second->down_sql});
    }
    return steps;
}

}  // namespace notify
