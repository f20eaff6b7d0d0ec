#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "notify/retry.h"
#include "providers/myoperator.h"

namespace notify {

// A setting that is missing or malformed. what() is one line that names the variable.
class ConfigError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

struct Config {
    std::string host = "127.0.0.1";
    std::uint16_t port = 1001;
    std::string database_url = "sqlite:data/notifications.db";
    std::optional<std::string> admin_token;
    std::string provider = "sandbox";  // "myoperator" or "sandbox"
    MyOperatorOptions myoperator;
    std::optional<std::string> webhook_secret;  // MYOPERATOR_API_SECRET
    std::optional<std::string> metrics_token;   // METRICS_TOKEN: set, /metrics needs it as a bearer token
    std::string default_country = "IN";
    RetryPolicy retry;
    int provider_timeout_ms = 10000;
    int provider_rate_per_second = 80;       // PROVIDER_RATE_PER_SECOND; 0 = unlimited
    int provider_probe_interval_ms = 30000;  // PROVIDER_PROBE_INTERVAL_MS: one probe this often while held
    // Beyond the contract: tuning with safe defaults.
    std::string log_level = "info";
    std::string log_format = "text";    // LOG_FORMAT: text or json (one object per line)
    bool access_log = false;            // ACCESS_LOG: on writes one info line per request
    int http_threads = 2;               // HTTP_THREADS: socket threads
    int handler_threads = 64;           // HANDLER_THREADS: request handlers (may wait on the provider or a commit)
    int handler_queue_limit = 1024;     // HANDLER_QUEUE_LIMIT: requests waiting for a handler; more get 503
    int max_connections = 10000;        // MAX_CONNECTIONS: open HTTP connections (lowered to fit the fd limit)
    int header_timeout_ms = 10000;      // HEADER_TIMEOUT_MS: a request's header section, from its first byte
    int body_timeout_ms = 30000;        // BODY_TIMEOUT_MS: a request's body, from the end of its header section
    int processor_concurrency = 16;     // PROCESSOR_CONCURRENCY: sends in flight from the background processor
    int processor_batch = 64;           // PROCESSOR_BATCH: entries claimed at once
    int processor_idle_poll_ms = 1000;  // PROCESSOR_IDLE_POLL_MS: longest sleep when nothing is due
    int shutdown_grace_ms = 15000;      // SHUTDOWN_GRACE_MS: how long in-flight work may finish at SIGTERM
    int retention_days = 180;           // RETENTION_DAYS: finished messages older than this are deleted; 0 keeps all

    // Values that must never reach a log line or a response (for the log redactor).
    std::vector<std::string> Secrets() const;
};

// Reads KEY=VALUE lines (blank lines, # comments, an optional `export `, single or double quotes
// around the value). A missing file is an empty map; a malformed line throws ConfigError.
std::map<std::string, std::string> ReadDotEnv(const std::string& path);

// The process environment with `.env` values underneath (the environment wins).
std::map<std::string, std::string> CollectSettings(const std::string& dotenv_path);

// Validates every variable of the contract and the tuning ones. Throws ConfigError.
Config ParseConfig(const std::map<std::string, std::string>& vars);

}  // namespace notify
