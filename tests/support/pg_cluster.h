#pragma once

// A throwaway PostgreSQL 15 cluster for the tests of the PostgreSQL store: one per test process,
// started on first use (initdb into a fresh temporary directory, as the unprivileged `postgres` user
// when the tests run as root, since initdb refuses root; a free port on 127.0.0.1; fsync off), and
// stopped and removed when the process exits, also when it is killed: a watchdog process waits for
// the end of a pipe only this process holds, then stops the server and removes its files. Each
// CreateDatabase() gives a new empty database.
// Nothing here connects anywhere but 127.0.0.1.

#include <fcntl.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <pwd.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>

namespace notify::test_support {

class PgCluster {
public:
    // The binaries of Debian's postgresql-15 package.
    static constexpr const char* kBinDir = "/usr/lib/postgresql/15/bin";

    static PgCluster& Instance() {
        static PgCluster cluster = [] {
#ifdef NOTIFY_TEST_PG_SHARED_DIR
            // The pg.* integration tests (NOTIFYD_TEST_STORE=postgres) use the cluster a ctest fixture
            // started for the whole run (tests/support/pg_test_cluster.sh), when there is one and it
            // answers; it is left running at exit. Other tests do not depend on the fixture's life.
            const char* store = std::getenv("NOTIFYD_TEST_STORE");
            if (store != nullptr && std::string(store) == "postgres") {
                if (auto port = SharedClusterPort(NOTIFY_TEST_PG_SHARED_DIR)) return PgCluster(*port);
            }
#endif
            return PgCluster();  // destroyed at exit: the server is stopped and its files removed
        }();
        return cluster;
    }

    // A cluster of the caller's own (not shared with the rest of the process), e.g. to Stop() and Start().
    // Its commits are synchronous (the shared one's are not, for speed): a commit that was
    // acknowledged survives Stop(), which is a crash, as it would on a real server.
    static std::unique_ptr<PgCluster> Own() { return std::unique_ptr<PgCluster>(new PgCluster(true)); }

    // Stops the server at once (pg_ctl stop -m immediate: connections are cut, as in a crash), and
    // starts it again on the same port with the same data. Both wait until done.
    void Stop() {
        if (Run(StopCommand()) != 0) throw std::runtime_error("test cluster: pg_ctl stop failed");
    }
    void Start() {
        if (Run(StartCommand()) != 0)
            throw std::runtime_error("test cluster: pg_ctl start failed:\n" + Read(Log("server")));
    }

    // A URL of a new, empty database of the cluster.
    std::string CreateDatabase() {
        // The process id keeps the names apart on a cluster that several test processes share.
        const std::string name = "t_" + std::to_string(getpid()) + "_" + std::to_string(++databases_);
        const std::string admin = Url("postgres");
        PGconn* conn = PQconnectdb(admin.c_str());
        if (PQstatus(conn) != CONNECTION_OK) {
            const std::string error = PQerrorMessage(conn);
            PQfinish(conn);
            throw std::runtime_error("test cluster: cannot connect: " + error);
        }
        PGresult* result = PQexec(conn, ("CREATE DATABASE " + name).c_str());
        const bool ok = PQresultStatus(result) == PGRES_COMMAND_OK;
        const std::string error = PQerrorMessage(conn);
        PQclear(result);
        PQfinish(conn);
        if (!ok) throw std::runtime_error("test cluster: CREATE DATABASE " + name + ": " + error);
        return Url(name);
    }

    std::string Url(const std::string& database) const {
        return "postgresql://postgres@127.0.0.1:" + std::to_string(port_) + "/" + database;
    }
    int port() const { return port_; }

    ~PgCluster() {
        if (shared_) return;  // the fixture's: it stops it
        if (watchdog_ > 0) {
            close(watchdog_pipe_);  // the watchdog stops the server and removes the directory
            waitpid(watchdog_, nullptr, 0);
            return;
        }
        if (started_) Run(StopCommand());
        std::error_code ignored;
        std::filesystem::remove_all(dir_, ignored);
    }

    PgCluster(const PgCluster&) = delete;
    PgCluster& operator=(const PgCluster&) = delete;

private:
    explicit PgCluster(bool synchronous_commit = false) : synchronous_commit_(synchronous_commit) {
        std::string pattern = (std::filesystem::temp_directory_path() / "notifyd-pg-XXXXXX").string();
        if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("test cluster: mkdtemp failed");
        dir_ = pattern;
        if (geteuid() == 0) {
            const passwd* user = getpwnam("postgres");
            if (user == nullptr)
                throw std::runtime_error("test cluster: no user 'postgres' (apt-get install postgresql)");
            if (chown(dir_.c_str(), user->pw_uid, user->pw_gid) != 0) {
                throw std::runtime_error("test cluster: cannot chown " + dir_.string());
            }
        }
        const std::string initdb = AsOwner() + kBinDir + "/initdb -D " + Data() +
                                   " -U postgres --auth=trust -E UTF8 --locale=C --no-sync --no-instructions > " +
                                   Log("initdb") + " 2>&1";
        if (Run(initdb) != 0) throw std::runtime_error("test cluster: initdb failed:\n" + Read(Log("initdb")));
        // The port is free when chosen; another process may take it before the server binds it, so a
        // failed start is tried again on another.
        for (int attempt = 0; attempt < 5 && !started_; ++attempt) {
            port_ = FreeLoopbackPort();
            started_ = Run(StartCommand()) == 0;
        }
        if (!started_) throw std::runtime_error("test cluster: pg_ctl start failed:\n" + Read(Log("server")));
        StartWatchdog();
    }

    // A cluster started by someone else on 127.0.0.1:port; never stopped from here.
    explicit PgCluster(int port) : port_(port), shared_(true) {}

    // The port in DIR/port, when the cluster there accepts a connection.
    static std::optional<int> SharedClusterPort(const std::filesystem::path& dir) {
        std::ifstream in(dir / "port");
        int port = 0;
        if (!(in >> port) || port <= 0) return std::nullopt;
        const std::string url =
            "postgresql://postgres@127.0.0.1:" + std::to_string(port) + "/postgres?connect_timeout=5";
        PGconn* conn = PQconnectdb(url.c_str());
        const bool ok = PQstatus(conn) == CONNECTION_OK;
        PQfinish(conn);
        if (!ok) return std::nullopt;
        return port;
    }

    std::string StartCommand() const {
        return AsOwner() + kBinDir + "/pg_ctl start -w -t 60 -D " + Data() + " -l " + Log("server") + " -o \"-p " +
               std::to_string(port_) + " -k " + dir_.string() +
               " -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=" +
               (synchronous_commit_ ? "on" : "off") + " -c full_page_writes=off\" >/dev/null 2>&1";
    }

    std::string StopCommand() const {
        return AsOwner() + kBinDir + "/pg_ctl stop -m immediate -w -D " + Data() + " >/dev/null 2>&1";
    }

    // A shell in its own session reading a pipe whose write end only this process holds (close on
    // exec: no child inherits it). EOF comes when this process closes it or dies however it dies;
    // then the shell stops the server and removes the directory.
    void StartWatchdog() {
        int fds[2];
        if (pipe2(fds, O_CLOEXEC) != 0) return;  // no watchdog: the destructor cleans up
        const std::string script = "cat >/dev/null; " + StopCommand() + "; rm -rf " + dir_.string();
        const pid_t pid = fork();
        if (pid == 0) {
            setsid();
            dup2(fds[0], STDIN_FILENO);  // dup2 clears close-on-exec on the copy
            execl("/bin/sh", "sh", "-c", script.c_str(), static_cast<char*>(nullptr));
            _exit(127);
        }
        close(fds[0]);
        if (pid < 0) {
            close(fds[1]);
            return;
        }
        watchdog_ = pid;
        watchdog_pipe_ = fds[1];
    }

    std::string Data() const { return (dir_ / "data").string(); }
    std::string Log(const std::string& what) const { return (dir_ / (what + ".log")).string(); }
    static std::string AsOwner() { return geteuid() == 0 ? "runuser -u postgres -- " : ""; }
    static int Run(const std::string& command) { return std::system(command.c_str()); }
    static std::string Read(const std::string& path) {
        std::ifstream in(path);
        std::stringstream text;
        text << in.rdbuf();
        return text.str();
    }

    static int FreeLoopbackPort() {
        const int fd = socket(AF_INET, SOCK_STREAM, 0);
        if (fd < 0) throw std::runtime_error("test cluster: socket failed");
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        address.sin_port = 0;
        socklen_t length = sizeof(address);
        if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
            getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
            close(fd);
            throw std::runtime_error("test cluster: no free port on 127.0.0.1");
        }
        close(fd);
        return ntohs(address.sin_port);
    }

    std::filesystem::path dir_;
    int port_ = 0;
    bool started_ = false;
    bool synchronous_commit_ = false;
    bool shared_ = false;
    std::atomic<int> databases_{0};
    pid_t watchdog_ = -1;
    int watchdog_pipe_ = -1;
};

}  // namespace notify::test_support
