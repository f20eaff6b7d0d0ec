#pragma once

// A fresh directory for one test (or one fixture), removed with everything in it afterwards. Its
// name comes from mkdtemp: tests run in parallel under ctest, in several processes. And the modes
// of what is made in it.

#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>

namespace notify::test_support {

class TempDir {
public:
    explicit TempDir(std::string_view prefix = "notifyd-test") {
        std::string pattern = (std::filesystem::temp_directory_path() / (std::string(prefix) + "-XXXXXX")).string();
        if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
        path_ = pattern;
    }
    ~TempDir() {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    const std::filesystem::path& path() const { return path_; }
    std::string PathOf(const std::string& name) const { return (path_ / name).string(); }
    // Writes `content` to the file `name` in the directory; returns its path.
    std::string Write(const std::string& name, const std::string& content) const {
        std::ofstream(path_ / name, std::ios::binary) << content;
        return PathOf(name);
    }

private:
    std::filesystem::path path_;
};

// The permission bits of `path` (0 when it cannot be read).
inline mode_t ModeOf(const std::filesystem::path& path) {
    struct stat info {};
    if (::stat(path.c_str(), &info) != 0) return 0;
    return info.st_mode & 07777;
}

}  // namespace notify::test_support
