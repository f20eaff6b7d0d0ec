#include "store/postgres/pg_backup.h"

#include <fcntl.h>
#include <libpq-fe.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <vector>

#include "store/postgres/pg_connection.h"

extern char** environ;

namespace notify {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

constexpr std::chrono::milliseconds kConnectTimeout{5000};
constexpr std::chrono::milliseconds kQueryTimeout{30000};
constexpr std::size_t kMaxErrorText = 4000;

// pg_dump or pg_restore: on PATH (Debian's wrapper picks the newest installed version), else the
// newest /usr/lib/postgresql/<version>/bin that has it.
std::string FindTool(const std::string& name) {
    if (const char* path = std::getenv("PATH")) {
        std::string_view rest(path);
        while (!rest.empty()) {
            const std::size_t colon = rest.find(':');
            const std::string dir(rest.substr(0, colon));
            rest = colon == std::string_view::npos ? std::string_view() : rest.substr(colon + 1);
            if (dir.empty()) continue;
            const std::string candidate = dir + "/" + name;
            if (access(candidate.c_str(), X_OK) == 0) return candidate;
        }
    }
    for (int version = 20; version >= 15; --version) {
        const std::string candidate = "/usr/lib/postgresql/" + std::to_string(version) + "/bin/" + name;
        if (access(candidate.c_str(), X_OK) == 0) return candidate;
    }
    throw BackupError(name + " not found on PATH nor in /usr/lib/postgresql/<version>/bin: install postgresql-client");
}

// The URL as a libpq keyword/value string without the password, and the password apart (for
// PGPASSWORD), so that neither the command line of the child nor an error shows it.
struct SplitConnection {
    std::string conninfo;
    std::optional<std::string> password;
};

std::string QuoteConninfoValue(const std::string& value) {
    std::string out = "'";
    for (const char ch : value) {
        if (ch == '\\' || ch == '\'') out += '\\';
        out += ch;
    }
    return out + "'";
}

SplitConnection SplitPassword(const std::string& url) {
    char* error = nullptr;
    std::unique_ptr<PQconninfoOption, decltype(&PQconninfoFree)> options(PQconninfoParse(url.c_str(), &error),
                                                                         &PQconninfoFree);
    if (!options) {
        const std::string reason = error ? error : "out of memory";
        PQfreemem(error);
        throw BackupError("DATABASE_URL is not a valid PostgreSQL URL: " + reason);
    }
    SplitConnection out;
    for (const PQconninfoOption* option = options.get(); option->keyword != nullptr; ++option) {
        if (option->val == nullptr) continue;
        const std::string keyword = option->keyword;
        if (keyword == "password") {
            out.password = option->val;
            continue;
        }
        if (!out.conninfo.empty()) out.conninfo += ' ';
        out.conninfo += keyword + "=" + QuoteConninfoValue(option->val);
    }
    return out;
}

std::string Trimmed(std::string text) {
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    if (text.size() > kMaxErrorText) text = text.substr(0, kMaxErrorText) + "...";
    return text;
}

// Runs argv[0] with `password` in PGPASSWORD (when set), stdin from /dev/null, stdout and stderr
// collected. Kills it after `timeout`. Throws BackupError when it cannot start, times out or exits
// with a status other than 0, with what it wrote to stderr.
void RunTool(const std::vector<std::string>& argv, const std::optional<std::string>& password,
             std::chrono::milliseconds timeout) {
    const std::string tool = fs::path(argv.front()).filename().string();
    std::vector<std::string> env;
    for (char** e = environ; *e != nullptr; ++e) {
        if (std::strncmp(*e, "PGPASSWORD=", 11) != 0) env.emplace_back(*e);
    }
    if (password) env.push_back("PGPASSWORD=" + *password);
    std::vector<char*> c_argv;
    for (const std::string& a : argv) c_argv.push_back(const_cast<char*>(a.c_str()));
    c_argv.push_back(nullptr);
    std::vector<char*> c_env;
    for (const std::string& e : env) c_env.push_back(const_cast<char*>(e.c_str()));
    c_env.push_back(nullptr);

    int out[2];
    if (pipe2(out, O_CLOEXEC) != 0) throw BackupError("cannot start " + tool + ": " + std::strerror(errno));
    const pid_t pid = fork();
    if (pid < 0) {
        close(out[0]);
        close(out[1]);
        throw BackupError("cannot start " + tool + ": " + std::strerror(errno));
    }
    if (pid == 0) {
        const int null_in = open("/dev/null", O_RDONLY);
        if (null_in >= 0) dup2(null_in, STDIN_FILENO);
        dup2(out[1], STDOUT_FILENO);
        dup2(out[1], STDERR_FILENO);
        execve(c_argv[0], c_argv.data(), c_env.data());
        const char message[] = "exec failed\n";
        [[maybe_unused]] const ssize_t written = write(STDERR_FILENO, message, sizeof message - 1);
        _exit(127);
    }
    close(out[1]);

    const auto deadline = Clock::now() + timeout;
    std::string output;
    bool timed_out = false;
    char buffer[4096];
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
        if (left.count() <= 0) {
            timed_out = true;
            break;
        }
        pollfd fd{out[0], POLLIN, 0};
        const int ready = poll(&fd, 1, static_cast<int>(std::min<std::int64_t>(left.count(), 1000)));
        if (ready < 0 && errno == EINTR) continue;
        if (ready <= 0) continue;
        const ssize_t n = read(out[0], buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;  // the child closed its end: it is exiting
        if (output.size() < 64 * 1024) output.append(buffer, static_cast<std::size_t>(n));
    }
    close(out[0]);
    if (timed_out) kill(pid, SIGKILL);
    int status = 0;
    // The child closed its output; it exits at once (or was just killed). A grandchild holding the
    // pipe is not waited for past the deadline: the child is killed then.
    for (;;) {
        const pid_t done = waitpid(pid, &status, timed_out ? 0 : WNOHANG);
        if (done == pid) break;
        if (done < 0 && errno != EINTR) throw BackupError("waiting for " + tool + ": " + std::strerror(errno));
        if (done == 0) {
            if (Clock::now() >= deadline) {
                timed_out = true;
                kill(pid, SIGKILL);
            } else {
                usleep(10 * 1000);
            }
        }
    }
    if (timed_out) {
        throw BackupError(tool + " did not finish within " + std::to_string(timeout.count() / 1000) +
                          " s and was stopped");
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        const std::string how = WIFEXITED(status) ? "exit status " + std::to_string(WEXITSTATUS(status))
                                                  : "signal " + std::to_string(WTERMSIG(status));
        throw BackupError(tool + " failed (" + how + "): " + Trimmed(output));
    }
}

// The schema's last migration and the message count of the database at `url`. Throws BackupError
// when it has no notifyd schema.
BackupSummary Summarize(const std::string& url, const std::string& what) {
    try {
        PgConnection c(url, kConnectTimeout, kQueryTimeout);
        const PgResult exists = c.Run(
            "SELECT to_regclass('schema_migrations') IS NOT NULL AND to_regclass('notifications_log') IS NOT NULL",
            what);
        if (exists.Rows() == 0 || !exists.Bool(0, 0)) {
            throw BackupError(what + ": the database has no notifications_log or schema_migrations table");
        }
        BackupSummary summary;
        const PgResult schema = c.Run("SELECT name FROM schema_migrations ORDER BY version DESC LIMIT 1", what);
        if (schema.Rows() > 0) summary.schema = schema.Text(0, 0);
        summary.messages = c.Run("SELECT COUNT(*) FROM notifications_log", what).Int(0, 0);
        return summary;
    } catch (const BackupError&) {
        throw;
    } catch (const std::exception& e) {
        throw BackupError(what + ": " + e.what());
    }
}

}  // namespace

BackupSummary BackupPostgresDatabase(const std::string& url, const std::string& out_path,
                                     std::chrono::milliseconds timeout) {
    std::error_code ec;
    if (fs::exists(out_path, ec) || fs::is_symlink(out_path, ec)) {
        throw BackupError(out_path + " exists; choose a new file (a backup never overwrites one)");
    }
    const SplitConnection connection = SplitPassword(url);
    const std::string pg_dump = FindTool("pg_dump");
    const BackupSummary summary = Summarize(url, "read the database to back up");

    const std::string partial = out_path + ".partial-" + std::to_string(getpid());
    const int fd = open(partial.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) throw BackupError("cannot create " + partial + ": " + std::strerror(errno));
    close(fd);
    try {
        // pg_dump opens the file with "w": it keeps the 0600 of the file made above.
        RunTool({pg_dump, "--format=custom", "--no-password", "--file=" + partial, "--dbname=" + connection.conninfo},
                connection.password, timeout);
        const int sync_fd = open(partial.c_str(), O_RDONLY | O_CLOEXEC);
        if (sync_fd < 0 || fsync(sync_fd) != 0) {
            const std::string reason = std::strerror(errno);
            if (sync_fd >= 0) close(sync_fd);
            throw BackupError("cannot write " + partial + ": " + reason);
        }
        close(sync_fd);
        // link() fails when out_path appeared meanwhile: never overwrites.
        if (link(partial.c_str(), out_path.c_str()) != 0) {
            throw BackupError("cannot create " + out_path + ": " + std::strerror(errno));
        }
    } catch (...) {
        fs::remove(partial, ec);
        throw;
    }
    fs::remove(partial, ec);
    return summary;
}

BackupSummary RestorePostgresDatabase(const std::string& backup_path, const std::string& url,
                                      std::chrono::milliseconds timeout) {
    std::error_code ec;
    if (!fs::is_regular_file(backup_path, ec)) throw BackupError(backup_path + " is not a file");
    if (access(backup_path.c_str(), R_OK) != 0) {
        throw BackupError("cannot read " + backup_path + ": " + std::strerror(errno));
    }
    const SplitConnection connection = SplitPassword(url);
    const std::string pg_restore = FindTool("pg_restore");
    // A file that is not a pg_dump archive fails here, before the database is touched.
    RunTool({pg_restore, "--list", backup_path}, std::nullopt, timeout);
    RunTool({pg_restore, "--clean", "--if-exists", "--single-transaction", "--no-owner", "--no-password",
             "--dbname=" + connection.conninfo, backup_path},
            connection.password, timeout);
    return Summarize(url, "read the restored database");
}

}  // namespace notify
