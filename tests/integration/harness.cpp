#include "harness.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "support/pg_cluster.h"

namespace notify::testing {
namespace {

std::size_t WriteBody(char* data, std::size_t size, std::size_t count, void* out) {
    static_cast<std::string*>(out)->append(data, size * count);
    return size * count;
}

std::size_t WriteHeader(char* data, std::size_t size, std::size_t count, void* out) {
    std::string line(data, size * count);
    const auto colon = line.find(':');
    if (colon != std::string::npos) {
        std::string name = line.substr(0, colon);
        for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        std::string value = line.substr(colon + 1);
        while (!value.empty() && (value.front() == ' ')) value.erase(0, 1);
        while (!value.empty() && (value.back() == '\r' || value.back() == '\n')) value.pop_back();
        (*static_cast<std::map<std::string, std::string>*>(out))[name] = value;
    }
    return size * count;
}

}  // namespace

nlohmann::json HttpResult::Json() const {
    auto parsed = nlohmann::json::parse(body, nullptr, false);
    if (parsed.is_discarded()) return nlohmann::json{{"unparsable_body", body}};
    return parsed;
}

HttpResult HttpCall(const std::string& method, const std::string& url, const std::string& body,
                    const std::vector<std::string>& headers, long timeout_ms) {
    static std::once_flag init;
    std::call_once(init, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
    HttpResult result;
    CURL* curl = curl_easy_init();
    curl_slist* list = nullptr;
    for (const auto& h : headers) list = curl_slist_append(list, h.c_str());
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
    if (method != "GET" && method != "HEAD") {
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
    }
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, WriteBody);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &result.body);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, WriteHeader);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &result.headers);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    if (curl_easy_perform(curl) == CURLE_OK) curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &result.status);
    curl_slist_free_all(list);
    curl_easy_cleanup(curl);
    return result;
}

ChildProcess::~ChildProcess() {
    if (pid_ > 0 && !exit_code_) {
        Signal(SIGKILL);
        Wait(std::chrono::seconds(5));
    }
}

void ChildProcess::Start(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
                         const std::filesystem::path& working_dir, const std::filesystem::path& log_path) {
    std::vector<std::string> env_strings;
    for (const auto& [k, v] : env) env_strings.push_back(k + "=" + v);
    // Children run with a clean environment, except that sanitizer settings pass through, so that a
    // sanitizer build of notifyd or the fake reports (and halts) the way the test process does.
    for (const char* name : {"ASAN_OPTIONS", "UBSAN_OPTIONS", "TSAN_OPTIONS", "LSAN_OPTIONS"}) {
        const char* value = std::getenv(name);
        if (value && !env.contains(name)) env_strings.push_back(std::string(name) + "=" + value);
    }
    std::vector<char*> c_argv;
    for (const auto& a : argv) c_argv.push_back(const_cast<char*>(a.c_str()));
    c_argv.push_back(nullptr);
    std::vector<char*> c_env;
    for (auto& e : env_strings) c_env.push_back(e.data());
    c_env.push_back(nullptr);
    exit_code_.reset();
    log_path_ = log_path;
    std::error_code ignored;
    const auto size = std::filesystem::file_size(log_path, ignored);
    log_offset_ = ignored ? 0 : size;
    pid_ = fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
        if (chdir(working_dir.c_str()) != 0) _exit(126);
        if (soft_open_files_) {
            rlimit limit{};
            getrlimit(RLIMIT_NOFILE, &limit);
            limit.rlim_cur = static_cast<rlim_t>(*soft_open_files_);
            if (setrlimit(RLIMIT_NOFILE, &limit) != 0) _exit(126);
        }
        const int fd = open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd < 0) _exit(126);
        dup2(fd, STDOUT_FILENO);
        dup2(fd, STDERR_FILENO);
        close(fd);
        execve(c_argv[0], c_argv.data(), c_env.data());
        _exit(127);
    }
}

bool ChildProcess::Running() {
    if (pid_ <= 0 || exit_code_) return false;
    int status = 0;
    const pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == 0) return true;
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    CheckSanitizerReport();
    return false;
}

void ChildProcess::CheckSanitizerReport() {
    // Every sanitizer report ends with "SUMMARY: <Name>Sanitizer: ..."; the child may have been
    // killed or its exit code ignored by the test, so the log is what tells.
    const std::string text = ReadFile(log_path_);
    if (text.size() <= log_offset_) return;
    const std::string own = text.substr(log_offset_);
    constexpr std::size_t kShown = 12000;  // the report is at the end; the log before it may be long
    for (const char* marker : {"SUMMARY: AddressSanitizer", "SUMMARY: LeakSanitizer",
                               "SUMMARY: UndefinedBehaviorSanitizer", "SUMMARY: ThreadSanitizer"}) {
        if (own.find(marker) != std::string::npos) {
            ADD_FAILURE() << "sanitizer report from child " << pid_ << " (exit " << *exit_code_ << ") in "
                          << log_path_.string() << ":\n"
                          << (own.size() > kShown ? "..." + own.substr(own.size() - kShown) : own);
            return;
        }
    }
}

void ChildProcess::Signal(int sig) {
    if (pid_ > 0 && !exit_code_) kill(pid_, sig);
}

std::optional<int> ChildProcess::Wait(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (Running()) {
        if (std::chrono::steady_clock::now() > deadline) return std::nullopt;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return exit_code_;
}

CommandResult RunCommand(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env,
                         const std::filesystem::path& working_dir) {
    static std::atomic<int> counter{0};
    const auto log = working_dir / ("command-" + std::to_string(getpid()) + "-" + std::to_string(counter++) + ".out");
    ChildProcess child;
    child.Start(argv, env, working_dir, log);
    CommandResult result;
    const auto code = child.Wait(std::chrono::seconds(60));
    if (!code) {
        child.Signal(SIGKILL);
        child.Wait(std::chrono::seconds(5));
        throw std::runtime_error("command timed out: " + argv[0]);
    }
    result.exit_code = *code;
    result.output = ReadFile(log);
    std::filesystem::remove(log);
    return result;
}

std::string ReadFile(const std::filesystem::path& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

std::optional<std::string> WaitForLogLine(const std::filesystem::path& log_path, const std::string& marker,
                                          std::chrono::milliseconds timeout, std::size_t from_offset) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        const std::string text = ReadFile(log_path);
        std::istringstream lines(text.size() > from_offset ? text.substr(from_offset) : std::string());
        std::string line;
        while (std::getline(lines, line)) {
            const auto pos = line.find(marker);
            if (pos != std::string::npos) return line.substr(pos + marker.size());
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return std::nullopt;
}

FakeMyOperator::FakeMyOperator(const std::filesystem::path& dir) : dir_(dir) {}

FakeMyOperator::~FakeMyOperator() { Stop(); }

void FakeMyOperator::Start(int port) {
    const auto log = dir_ / ("fake-myoperator-" + std::to_string(starts_++) + ".log");
    process_.Start(
        {FAKE_MYOPERATOR_BINARY, "--host", "127.0.0.1", "--port", std::to_string(port), "--api-key", kApiKey}, {}, dir_,
        log);
    const auto rest = WaitForLogLine(log, "listening on 127.0.0.1:", std::chrono::seconds(10));
    if (!rest) throw std::runtime_error("fake MyOperator did not start: " + ReadFile(log));
    port_ = std::stoi(*rest);
}

void FakeMyOperator::Stop() {
    if (!process_.Running()) return;
    process_.Signal(SIGTERM);
    if (!process_.Wait(std::chrono::seconds(5))) {
        process_.Signal(SIGKILL);
        process_.Wait(std::chrono::seconds(5));
    }
}

std::map<std::string, std::string> FakeMyOperator::ServiceEnv(std::map<std::string, std::string> extra) const {
    std::map<std::string, std::string> env = {
        {"NOTIFY_PROVIDER", "myoperator"},
        {"MYOPERATOR_BASE_URL", base_url()},
        {"MYOPERATOR_API_KEY", kApiKey},
        {"MYOPERATOR_ACCOUNT_ID", "company-42"},
        {"MYOPERATOR_WHATSAPP_NUMBER", "phone-number-id-7"},
    };
    for (auto& [k, v] : extra) env[k] = std::move(v);
    return env;
}

void FakeMyOperator::SetMode(const nlohmann::json& mode) {
    const auto r = HttpCall("POST", base_url() + "/_fake/mode", mode.dump(), {"Content-Type: application/json"});
    if (r.status != 200) throw std::runtime_error("fake mode change failed: " + r.body);
}

nlohmann::json FakeMyOperator::Requests() {
    const auto r = HttpCall("GET", base_url() + "/_fake/requests");
    if (r.status != 200) throw std::runtime_error("fake requests failed: " + r.body);
    return r.Json();
}

int FakeMyOperator::RequestCount() { return Requests()["count"].get<int>(); }

void FakeMyOperator::Reset() { HttpCall("POST", base_url() + "/_fake/reset"); }

void FakeMyOperator::SetWebhook(const std::string& url, const std::string& secret) {
    const nlohmann::json body = {{"url", url}, {"secret", secret}};
    const auto r = HttpCall("POST", base_url() + "/_fake/webhook", body.dump(), {"Content-Type: application/json"});
    if (r.status != 200) throw std::runtime_error("fake webhook change failed: " + r.body);
}

nlohmann::json FakeMyOperator::Inbound(const nlohmann::json& reply) {
    const auto r = HttpCall("POST", base_url() + "/_fake/inbound", reply.dump(), {"Content-Type: application/json"});
    if (r.status != 200) throw std::runtime_error("fake inbound failed: " + std::to_string(r.status) + " " + r.body);
    return r.Json();
}

nlohmann::json FakeMyOperator::Templates() {
    const auto r = HttpCall("GET", base_url() + "/_fake/templates");
    if (r.status != 200) throw std::runtime_error("fake templates failed: " + r.body);
    return r.Json()["templates"];
}

void FakeMyOperator::SetTemplates(const nlohmann::json& templates) {
    const nlohmann::json body = {{"templates", templates}};
    const auto r = HttpCall("POST", base_url() + "/_fake/templates", body.dump(), {"Content-Type: application/json"});
    if (r.status != 200) throw std::runtime_error("fake templates change failed: " + r.body);
}

bool TestStoreIsPostgres() {
    const char* store = std::getenv("NOTIFYD_TEST_STORE");
    return store != nullptr && std::string(store) == "postgres";
}

Notifyd::Notifyd(std::map<std::string, std::string> env) {
    std::string database_url;
    if (env.count("DATABASE_URL") == 0) {  // a test's own URL wins; no database is made for nothing
        database_url = TestStoreIsPostgres() ? test_support::PgCluster::Instance().CreateDatabase()
                                             : "sqlite:" + (dir_.path() / "data" / "notifications.db").string();
    }
    env_ = {
        {"PORT", "0"},
        {"HOST", "127.0.0.1"},
        {"DATABASE_URL", database_url},
        {"ADMIN_TOKEN", kAdminToken},
        {"MYOPERATOR_API_SECRET", kWebhookSecret},
        {"NOTIFY_PROVIDER", "sandbox"},
        {"LOG_LEVEL", "debug"},
        {"SHUTDOWN_GRACE_MS", "5000"},
    };
    for (auto& [k, v] : env) env_[k] = v;
    log_path_ = dir_.path() / "notifyd.log";
}

Notifyd::~Notifyd() {
    if (process_.Running()) {
        process_.Signal(SIGKILL);
        process_.Wait(std::chrono::seconds(5));
    }
}

CommandResult Notifyd::Run(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {NOTIFYD_BINARY};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunCommand(argv, env_, dir_.path());
}

void Notifyd::Migrate() {
    const auto r = Run({"migrate"});
    if (r.exit_code != 0) throw std::runtime_error("migrate failed: " + r.output);
}

std::string Notifyd::CreateToken(const std::string& role, const std::string& name) {
    const auto out = dir_.path() / "token.out";
    ChildProcess child;
    // stdout only: the token is the one line there (the notice goes to stderr).
    child.Start({"/bin/sh", "-c", std::string("\"$0\" \"$@\" 2>/dev/null"), NOTIFYD_BINARY, "token", "create", "--role",
                 role, "--name", name},
                env_, dir_.path(), out);
    const auto code = child.Wait(std::chrono::seconds(30));
    std::string token = ReadFile(out);
    std::filesystem::remove(out);
    if (!code || *code != 0) throw std::runtime_error("token create failed: " + token);
    while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) token.pop_back();
    return token;
}

void Notifyd::Start() {
    const std::size_t log_offset = ReadFile(log_path_).size();
    process_.Start({NOTIFYD_BINARY, "serve"}, env_, dir_.path(), log_path_);
    const auto rest = WaitForLogLine(log_path_, "listening on http://127.0.0.1:", std::chrono::seconds(15), log_offset);
    if (!rest) throw std::runtime_error("notifyd did not start: " + Log());
    port_ = std::stoi(*rest);
}

int Notifyd::Stop(int sig) {
    process_.Signal(sig);
    auto code = process_.Wait(std::chrono::seconds(30));
    if (!code) {
        process_.Signal(SIGKILL);
        code = process_.Wait(std::chrono::seconds(5));
        return -1;
    }
    return *code;
}

HttpResult Notifyd::Get(const std::string& path, const std::string& token) {
    std::vector<std::string> headers;
    if (!token.empty()) headers.push_back("Authorization: Bearer " + token);
    return HttpCall("GET", api(path), "", headers);
}

HttpResult Notifyd::Post(const std::string& path, const nlohmann::json& body, const std::string& token) {
    return PostRaw(path, body.is_null() ? "" : body.dump(), token);
}

HttpResult Notifyd::PostRaw(const std::string& path, const std::string& body, const std::string& token) {
    std::vector<std::string> headers = {"Content-Type: application/json"};
    if (!token.empty()) headers.push_back("Authorization: Bearer " + token);
    return HttpCall("POST", api(path), body, headers);
}

HttpResult Notifyd::Put(const std::string& path, const nlohmann::json& body, const std::string& token) {
    std::vector<std::string> headers = {"Content-Type: application/json"};
    if (!token.empty()) headers.push_back("Authorization: Bearer " + token);
    return HttpCall("PUT", api(path), body.dump(), headers);
}

bool Notifyd::WaitForStatus(const std::string& id, const std::string& status, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        const auto r = Get("/messages/" + id);
        if (r.status == 200 && r.Json()["status"] == status) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
}

nlohmann::json DeliveryReminder(const std::string& phone, bool immediate) {
    return {{"phone", phone},
            {"message_type", "delivery_reminder"},
            {"context", {{"customer_name", "Test"}, {"delivery_date", "Jan 28"}, {"area", "Test"}}},
            {"immediate", immediate}};
}

nlohmann::json MyOperatorStatusEvent(const std::string& event_id, const std::string& status,
                                     const std::string& provider_id, const std::string& customer_digits,
                                     const std::string& timestamp) {
    return {{"event_id", event_id},
            {"company_id", "company-42"},
            {"event_type", "message." + status},
            {"event_sequence", 1},
            {"event_version", "2"},
            {"timestamp", timestamp},
            {"channel", "whatsapp"},
            {"direction", "outgoing"},
            {"session_id", "session-1"},
            {"system_identifier", "phone-number-id-7"},
            {"customer_identifier", customer_digits},
            {"payload", {{"id", provider_id}, {"status", status}}}};
}

}  // namespace notify::testing
