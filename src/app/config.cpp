#include "app/config.h"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>
#include <fstream>

#include "app/logging.h"
#include "common/strings.h"
#include "notify/phone.h"

extern char** environ;

namespace notify {
namespace {

std::string Trimmed(std::string_view text) { return std::string(Trim(text)); }

std::optional<std::string> Get(const std::map<std::string, std::string>& vars, const std::string& key) {
    auto it = vars.find(key);
    if (it == vars.end() || Trimmed(it->second).empty()) return std::nullopt;
    return Trimmed(it->second);
}

long long GetInt(const std::map<std::string, std::string>& vars, const std::string& key, long long fallback,
                 long long min, long long max) {
    const auto text = Get(vars, key);
    if (!text) return fallback;
    long long value = 0;
    const auto* end = text->data() + text->size();
    const auto [ptr, ec] = std::from_chars(text->data(), end, value);
    if (ec != std::errc() || ptr != end || value < min || value > max) {
        throw ConfigError(key + ": must be a whole number from " + std::to_string(min) + " to " + std::to_string(max) +
                          " (got \"" + *text + "\")");
    }
    return value;
}

// 'value' or "value", optionally followed by a # comment; nullopt when the value is not quoted so.
std::optional<std::string> Unquote(const std::string& value) {
    if (value.empty() || (value.front() != '"' && value.front() != '\'')) return std::nullopt;
    for (auto close = value.find(value.front(), 1); close != std::string::npos;
         close = value.find(value.front(), close + 1)) {
        const std::string rest = Trimmed(value.substr(close + 1));
        if (rest.empty() || rest.front() == '#') return value.substr(1, close - 1);
    }
    return std::nullopt;
}

bool IsIpAddress(const std::string& host) {
    unsigned char buf[16];
    return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

}  // namespace

std::vector<std::string> Config::Secrets() const {
    std::vector<std::string> secrets;
    if (admin_token) secrets.push_back(*admin_token);
    if (webhook_secret) secrets.push_back(*webhook_secret);
    if (metrics_token) secrets.push_back(*metrics_token);
    if (!myoperator.api_key.empty()) secrets.push_back(myoperator.api_key);
    return secrets;
}

std::map<std::string, std::string> ReadDotEnv(const std::string& path) {
    std::map<std::string, std::string> out;
    std::ifstream in(path);
    if (!in) return out;
    std::string line;
    int number = 0;
    while (std::getline(in, line)) {
        ++number;
        std::string text = Trimmed(line);
        if (text.empty() || text[0] == '#') continue;
        if (text.rfind("export ", 0) == 0) text = Trimmed(text.substr(7));
        const auto eq = text.find('=');
        if (eq == std::string::npos || eq == 0) {
            throw ConfigError(path + ":" + std::to_string(number) + ": expected KEY=VALUE");
        }
        std::string key = Trimmed(text.substr(0, eq));
        std::string value = Trimmed(text.substr(eq + 1));
        if (auto unquoted = Unquote(value)) {
            value = std::move(*unquoted);
        } else if (const auto hash = value.find(" #"); hash != std::string::npos) {
            value = Trimmed(value.substr(0, hash));  // trailing comment after an unquoted value
        }
        out[key] = value;
    }
    return out;
}

std::map<std::string, std::string> CollectSettings(const std::string& dotenv_path) {
    auto vars = ReadDotEnv(dotenv_path);
    for (char** entry = environ; entry && *entry; ++entry) {
        const std::string text = *entry;
        const auto eq = text.find('=');
        if (eq != std::string::npos) vars[text.substr(0, eq)] = text.substr(eq + 1);
    }
    return vars;
}

Config ParseConfig(const std::map<std::string, std::string>& vars) {
    Config config;
    config.port = static_cast<std::uint16_t>(GetInt(vars, "PORT", 1001, 0, 65535));
    if (auto host = Get(vars, "HOST")) {
        config.host = *host == "localhost" ? "127.0.0.1" : *host;
        if (!IsIpAddress(config.host)) {
            throw ConfigError("HOST: must be an IP address such as 127.0.0.1 or 0.0.0.0 (got \"" + *host + "\")");
        }
    }
    if (auto url = Get(vars, "DATABASE_URL")) config.database_url = *url;
    if (config.database_url.rfind("sqlite:", 0) != 0 && config.database_url.rfind("postgresql://", 0) != 0 &&
        config.database_url.rfind("postgres://", 0) != 0) {
        throw ConfigError("DATABASE_URL: must be sqlite:PATH or postgresql://...");
    }
    if (config.database_url == "sqlite:" || config.database_url == "sqlite://") {
        throw ConfigError("DATABASE_URL: sqlite: needs a file path, e.g. sqlite:data/notifications.db");
    }
    config.admin_token = Get(vars, "ADMIN_TOKEN");
    if (config.admin_token && config.admin_token->size() < 16) {
        throw ConfigError("ADMIN_TOKEN: must be at least 16 characters long");
    }

    config.provider_timeout_ms = static_cast<int>(GetInt(vars, "PROVIDER_TIMEOUT_MS", 10000, 100, 120000));
    // 80 a second is WhatsApp's default cap per business number.
    config.provider_rate_per_second = static_cast<int>(GetInt(vars, "PROVIDER_RATE_PER_SECOND", 80, 0, 100000));
    config.provider_probe_interval_ms =
        static_cast<int>(GetInt(vars, "PROVIDER_PROBE_INTERVAL_MS", 30000, 100, 86400000));
    config.myoperator.base_url = Get(vars, "MYOPERATOR_BASE_URL").value_or("https://publicapi.myoperator.co");
    if (config.myoperator.base_url.rfind("https://", 0) != 0 && config.myoperator.base_url.rfind("http://", 0) != 0) {
        throw ConfigError("MYOPERATOR_BASE_URL: must start with https:// or http://");
    }
    config.myoperator.api_key = Get(vars, "MYOPERATOR_API_KEY").value_or("");
    config.myoperator.company_id = Get(vars, "MYOPERATOR_ACCOUNT_ID").value_or("");
    config.myoperator.phone_number_id = Get(vars, "MYOPERATOR_WHATSAPP_NUMBER").value_or("");
    config.myoperator.timeout = std::chrono::milliseconds(config.provider_timeout_ms);
    config.webhook_secret = Get(vars, "MYOPERATOR_API_SECRET");
    config.metrics_token = Get(vars, "METRICS_TOKEN");
    if (config.metrics_token && config.metrics_token->size() < 16) {
        throw ConfigError("METRICS_TOKEN: must be at least 16 characters long");
    }

    const bool any_credential = !config.myoperator.api_key.empty() || !config.myoperator.company_id.empty() ||
                                !config.myoperator.phone_number_id.empty();
    const auto provider = Get(vars, "NOTIFY_PROVIDER");
    if (provider && *provider != "myoperator" && *provider != "sandbox") {
        throw ConfigError("NOTIFY_PROVIDER: must be myoperator or sandbox (got \"" + *provider + "\")");
    }
    config.provider = provider.value_or(any_credential ? "myoperator" : "sandbox");
    if (config.provider == "myoperator") {
        // Half-set credentials are a mistake, not a reason to fall back to the sandbox silently.
        if (config.myoperator.api_key.empty())
            throw ConfigError("MYOPERATOR_API_KEY: required to send through MyOperator");
        if (config.myoperator.company_id.empty()) {
            throw ConfigError("MYOPERATOR_ACCOUNT_ID: required to send through MyOperator");
        }
        if (config.myoperator.phone_number_id.empty()) {
            throw ConfigError("MYOPERATOR_WHATSAPP_NUMBER: required to send through MyOperator");
        }
    }

    config.default_country = Get(vars, "DEFAULT_COUNTRY").value_or("IN");
    std::transform(config.default_country.begin(), config.default_country.end(), config.default_country.begin(),
                   [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    if (!IsSupportedRegion(config.default_country)) {
        throw ConfigError("DEFAULT_COUNTRY: must be a two-letter region code such as IN (got \"" +
                          config.default_country + "\")");
    }

    config.retry.max_attempts = static_cast<int>(GetInt(vars, "MAX_ATTEMPTS", 10, 1, 100));
    config.retry.base_delay_ms = GetInt(vars, "RETRY_BASE_DELAY_MS", 30000, 1, 86400000);
    config.retry.max_delay_ms = GetInt(vars, "RETRY_MAX_DELAY_MS", 3600000, 1, 7 * 86400000LL);
    if (config.retry.max_delay_ms < config.retry.base_delay_ms) {
        throw ConfigError("RETRY_MAX_DELAY_MS: must not be less than RETRY_BASE_DELAY_MS");
    }

    if (auto level = Get(vars, "LOG_LEVEL")) {
        static const std::vector<std::string> kLevels = {"trace", "debug", "info", "warn", "error", "critical", "off"};
        if (std::find(kLevels.begin(), kLevels.end(), *level) == kLevels.end()) {
            throw ConfigError("LOG_LEVEL: must be one of trace, debug, info, warn, error, critical, off");
        }
        config.log_level = *level;
    }
    if (auto format = Get(vars, "LOG_FORMAT")) {
        if (!ParseLogFormat(*format)) {
            throw ConfigError("LOG_FORMAT: must be text or json (got \"" + *format + "\")");
        }
        config.log_format = *format;
    }
    if (auto access = Get(vars, "ACCESS_LOG")) {
        if (*access != "on" && *access != "off") {
            throw ConfigError("ACCESS_LOG: must be on or off (got \"" + *access + "\")");
        }
        config.access_log = *access == "on";
    }
    config.http_threads = static_cast<int>(GetInt(vars, "HTTP_THREADS", 2, 1, 64));
    config.handler_threads = static_cast<int>(GetInt(vars, "HANDLER_THREADS", 64, 1, 1024));
    config.handler_queue_limit = static_cast<int>(GetInt(vars, "HANDLER_QUEUE_LIMIT", 1024, 1, 1000000));
    config.max_connections = static_cast<int>(GetInt(vars, "MAX_CONNECTIONS", 10000, 1, 1000000));
    config.header_timeout_ms = static_cast<int>(GetInt(vars, "HEADER_TIMEOUT_MS", 10000, 100, 600000));
    config.body_timeout_ms = static_cast<int>(GetInt(vars, "BODY_TIMEOUT_MS", 30000, 100, 3600000));
    config.processor_concurrency = static_cast<int>(GetInt(vars, "PROCESSOR_CONCURRENCY", 16, 1, 256));
    config.processor_batch = static_cast<int>(GetInt(vars, "PROCESSOR_BATCH", 64, 1, 10000));
    config.processor_idle_poll_ms = static_cast<int>(GetInt(vars, "PROCESSOR_IDLE_POLL_MS", 1000, 10, 60000));
    config.shutdown_grace_ms = static_cast<int>(GetInt(vars, "SHUTDOWN_GRACE_MS", 15000, 0, 600000));
    config.retention_days = static_cast<int>(GetInt(vars, "RETENTION_DAYS", 180, 0, 36500));
    return config;
}

}  // namespace notify
