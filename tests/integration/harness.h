#pragma once

// Black-box test harness: starts the real notifyd binary and the fake MyOperator server as child
// processes on loopback ports chosen at run time, and talks to them only over HTTP.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "support/temp_dir.h"

namespace notify::testing {

using TempDir = test_support::TempDir;

struct HttpResult {
    long status = 0;
    std::string body;
    std::map<std::string, std::string> headers;  // lower-cased names
    nlohmann::json Json() const;
};

// One blocking HTTP call with libcurl; a transport failure gives status 0.
HttpResult HttpCall(const std::string& method, const std::string& url, const std::string& body = "",
                    const std::vector<std::string>& headers = {}, long timeout_ms = 15000);

class ChildProcess {
public:
    ChildProcess() = default;
    ~ChildProcess();
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;

    // argv[0] is the program path. Output (stdout and stderr) goes to log_path. ASAN_OPTIONS, UBSAN_OPTIONS,
    // TSAN_OPTIONS and LSAN_OPTIONS pass through from this process's environment when set and absent from `env`.
    // Once the child has exited, a sanitizer report in its part of log_path fails the current test.
    void Start(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
               const std::filesystem::path& working_dir, const std::filesystem::path& log_path);
    bool Running();
    void Signal(int sig);
    // Waits for the exit; returns the exit code (128+signal when killed), or nullopt on timeout.
    std::optional<int> Wait(std::chrono::milliseconds timeout);
    pid_t pid() const { return pid_; }
    // Children started after this run with this soft RLIMIT_NOFILE (as systemd's default of 1,024 would).
    void SetSoftOpenFileLimit(std::uint64_t soft) { soft_open_files_ = soft; }

private:
    void CheckSanitizerReport();

    std::optional<std::uint64_t> soft_open_files_;
    pid_t pid_ = -1;
    std::optional<int> exit_code_;
    std::filesystem::path log_path_;
    std::uintmax_t log_offset_ = 0;
};

// Runs a command to completion; returns its exit code and output.
struct CommandResult {
    int exit_code = -1;
    std::string output;
};
CommandResult RunCommand(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
                         const std::filesystem::path& working_dir);

std::string ReadFile(const std::filesystem::path& path);

// Waits until `log_path` holds a line containing `marker`, and returns the rest of that line after it.
// Only what was written after `from_offset` bytes counts (a restarted process appends to its log).
std::optional<std::string> WaitForLogLine(const std::filesystem::path& log_path, const std::string& marker,
                                          std::chrono::milliseconds timeout, std::size_t from_offset = 0);

class FakeMyOperator {
public:
    static constexpr const char* kApiKey = "test-api-key-5f2a9c71d3e4b8";

    explicit FakeMyOperator(const std::filesystem::path& dir);
    ~FakeMyOperator();

    // port 0: pick one. Restarting on the same port simulates an outage that ends.
    void Start(int port = 0);
    void Stop();
    int port() const { return port_; }
    std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }

    // The settings that point notifyd at this fake, with `extra` on top.
    std::map<std::string, std::string> ServiceEnv(std::map<std::string, std::string> extra = {}) const;

    void SetMode(const nlohmann::json& mode);
    nlohmann::json Requests();  // {"count": N, "requests": [...]}
    int RequestCount();
    void Reset();
    // POST /_fake/webhook: where simulated customer replies go, and the secret they carry.
    void SetWebhook(const std::string& url, const std::string& secret);
    // POST /_fake/inbound: a simulated customer reply; returns {"event", "deliveries"}.
    nlohmann::json Inbound(const nlohmann::json& reply);
    // GET /_fake/templates: what GET /chat/templates lists (by default the seeded ten in en and hi, approved).
    nlohmann::json Templates();
    // POST /_fake/templates: what GET /chat/templates lists from now on.
    void SetTemplates(const nlohmann::json& templates);

private:
    std::filesystem::path dir_;
    ChildProcess process_;
    int port_ = 0;
    int starts_ = 0;
};

// NOTIFYD_TEST_STORE=postgres: every Notifyd without its own DATABASE_URL gets a new database of the
// test process's PostgreSQL cluster (tests/support/pg_cluster.h) instead of a SQLite file in its
// directory. ctest runs the integration suite both ways (CMakeLists.txt).
bool TestStoreIsPostgres();

// In a test that works on the SQLite file itself (backup, file modes, ...): skip it on PostgreSQL.
#define NOTIFYD_SQLITE_ONLY(why) \
    if (::notify::testing::TestStoreIsPostgres()) GTEST_SKIP() << "SQLite only: " << (why)

class Notifyd {
public:
    static constexpr const char* kAdminToken = "admin-token-for-tests-7c1e0f9b";
    static constexpr const char* kWebhookSecret = "webhook-secret-for-tests-41d8";

    // env: settings on top of the test defaults (sqlite in a temp dir, or a new PostgreSQL database with
    // NOTIFYD_TEST_STORE=postgres; port 0, admin token).
    explicit Notifyd(std::map<std::string, std::string> env = {});
    ~Notifyd();

    CommandResult Run(const std::vector<std::string>& args);  // e.g. {"migrate", "--status"}
    void Migrate();
    std::string CreateToken(const std::string& role, const std::string& name);
    void Start();            // migrate must have run; waits until it listens; may follow Stop()
    int Stop(int sig = 15);  // returns the exit code
    std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }
    std::string api(const std::string& path) const { return base_url() + "/api/notifications" + path; }
    std::string Log() const { return ReadFile(log_path_); }
    const std::filesystem::path& dir() const { return dir_.path(); }
    std::map<std::string, std::string>& env() { return env_; }
    // `serve` started after this begins with this soft RLIMIT_NOFILE.
    void SetSoftOpenFileLimit(std::uint64_t soft) { process_.SetSoftOpenFileLimit(soft); }

    HttpResult Get(const std::string& path, const std::string& token = kAdminToken);
    HttpResult Post(const std::string& path, const nlohmann::json& body, const std::string& token = kAdminToken);
    HttpResult PostRaw(const std::string& path, const std::string& body, const std::string& token = kAdminToken);
    HttpResult Put(const std::string& path, const nlohmann::json& body, const std::string& token = kAdminToken);

    // Polls GET /messages/{id} until the status is `status` (true) or the timeout passes (false).
    bool WaitForStatus(const std::string& id, const std::string& status,
                       std::chrono::milliseconds timeout = std::chrono::seconds(10));

private:
    TempDir dir_;
    std::map<std::string, std::string> env_;
    std::filesystem::path log_path_;
    ChildProcess process_;
    int port_ = 0;
};

// A valid send-message body for delivery_reminder.
nlohmann::json DeliveryReminder(const std::string& phone = "+919876543210", bool immediate = true);

// A status webhook as MyOperator posts it (docs/myoperator-api.md): `status` of the message the
// provider knows as `provider_id`, sent to `customer_digits` (E.164 without the +).
nlohmann::json MyOperatorStatusEvent(const std::string& event_id, const std::string& status,
                                     const std::string& provider_id, const std::string& customer_digits,
                                     const std::string& timestamp = "2026-06-26T02:10:56.956814767Z");

}  // namespace notify::testing
