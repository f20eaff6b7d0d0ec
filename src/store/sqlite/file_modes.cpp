#include "store/sqlite/file_modes.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <vector>

#include "common/errors.h"

namespace notify {
namespace {

constexpr mode_t kOwnerOnlyDirectory = 0700;
constexpr mode_t kOwnerOnlyFile = 0600;

// "open database: cannot create directory data: Permission denied", like the store's other errors.
[[noreturn]] void Fail(const std::string& operation, const std::string& what, const std::string& path, int error) {
    throw StoreUnavailable(operation + ": " + what + " " + path + ": " + std::strerror(error));
}

constexpr const char* kOpenDatabase = "open database";

// mkdir -p, each missing level 0700 (mkdir's mode is cut by the umask, which only narrows it).
void CreateDirectories(const std::filesystem::path& directory) {
    std::vector<std::filesystem::path> missing;
    std::error_code error;
    for (auto p = directory; !p.empty() && !std::filesystem::exists(p, error); p = p.parent_path()) {
        missing.push_back(p);
        if (p == p.parent_path()) break;
    }
    for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
        if (::mkdir(it->c_str(), kOwnerOnlyDirectory) != 0 && errno != EEXIST) {
            Fail(kOpenDatabase, "cannot create directory", it->string(), errno);
        }
    }
}

void WarnIfOthersCanWrite(const std::filesystem::path& directory) {
    struct stat info {};
    if (::stat(directory.c_str(), &info) != 0) return;
    // Sticky directories (/tmp) keep others from replacing our files; still worth a word.
    if ((info.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
        spdlog::warn(
            "store: directory {} is writable by group or others (mode {:o}); make it 0700 so that no other "
            "user can replace the database",
            directory.string(), info.st_mode & 07777);
    }
}

// Narrows an existing file to 0600; nothing when it does not exist.
void NarrowIfPresent(const std::string& path, const std::string& operation) {
    struct stat info {};
    if (::stat(path.c_str(), &info) != 0) return;
    if ((info.st_mode & 0077) == 0) return;
    if (::chmod(path.c_str(), kOwnerOnlyFile) != 0) Fail(operation, "cannot restrict the mode of", path, errno);
    spdlog::warn("store: {} was readable by group or others; narrowed to 0600", path);
}

void CreateOwnerOnlyFile(const std::string& path, const std::string& operation) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CREAT | O_CLOEXEC, kOwnerOnlyFile);
    if (fd < 0) Fail(operation, "cannot create", path, errno);
    ::close(fd);
    NarrowIfPresent(path, operation);
}

}  // namespace

void PrepareDatabaseFiles(const std::string& database_path) {
    const std::filesystem::path parent = std::filesystem::path(database_path).parent_path();
    if (!parent.empty()) {
        std::error_code error;
        if (std::filesystem::exists(parent, error)) {
            WarnIfOthersCanWrite(parent);
        } else {
            CreateDirectories(parent);
        }
    }
    // An empty file is an empty database to SQLite; creating it here decides its mode.
    CreateOwnerOnlyFile(database_path, kOpenDatabase);
    NarrowIfPresent(database_path + "-wal", kOpenDatabase);
    NarrowIfPresent(database_path + "-shm", kOpenDatabase);
}

}  // namespace notify
