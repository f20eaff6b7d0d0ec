#include "app/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <string>

#include "support/temp_dir.h"

namespace notify {
namespace {

using test_support::TempDir;
using Vars = std::map<std::string, std::string>;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

// ParseConfig must throw a ConfigError whose one-line message names `variable`.
#define EXPECT_CONFIG_ERROR_NAMING(vars, variable)                                      \
    do {                                                                                \
        try {                                                                           \
            ParseConfig(vars);                                                          \
            ADD_FAILURE() << "expected a ConfigError naming " << (variable);            \
        } catch (const ConfigError& e) {                                                \
            EXPECT_THAT(std::string(e.what()), HasSubstr(variable));                    \
            EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << e.what(); \
        }                                                                               \
    } while (0)

Vars MyOperatorCredentials() {
    return {{"MYOPERATOR_API_KEY", "key-0123456789"},
            {"MYOPERATOR_ACCOUNT_ID", "company-1"},
            {"MYOPERATOR_WHATSAPP_NUMBER", "phone-id-1"}};
}

Vars Merge(Vars base, const Vars& extra) {
    for (const auto& [k, v] : extra) base[k] = v;
    return base;
}

Vars Only(const Vars& vars, std::initializer_list<std::string> keys) {
    Vars out;
    for (const auto& key : keys) {
        if (auto it = vars.find(key); it != vars.end()) out[key] = it->second;
    }
    return out;
}

// Sets (or unsets) one environment variable for the scope and restores the old state after.
class ScopedEnv {
public:
    ScopedEnv(std::string name, const std::optional<std::string>& value) : name_(std::move(name)) {
        if (const char* old = std::getenv(name_.c_str())) old_ = old;
        if (value) {
            setenv(name_.c_str(), value->c_str(), 1);
        } else {
            unsetenv(name_.c_str());
        }
    }
    ~ScopedEnv() {
        if (old_) {
            setenv(name_.c_str(), old_->c_str(), 1);
        } else {
            unsetenv(name_.c_str());
        }
    }
    ScopedEnv(const ScopedEnv&) = delete;
    ScopedEnv& operator=(const ScopedEnv&) = delete;

private:
    std::string name_;
    std::optional<std::string> old_;
};

// ---------------------------------------------------------------------------------------------
// ParseConfig: defaults

TEST(ParseConfig, DefaultsMatchTheContract) {
    const Config c = ParseConfig({});
    EXPECT_EQ(c.port, 1001);
    EXPECT_EQ(c.host, "127.0.0.1");
    EXPECT_EQ(c.database_url, "sqlite:data/notifications.db");
    EXPECT_FALSE(c.admin_token);
    EXPECT_EQ(c.provider, "sandbox");
    EXPECT_EQ(c.myoperator.base_url, "https://publicapi.myoperator.co");
    EXPECT_EQ(c.myoperator.api_key, "");
    EXPECT_FALSE(c.webhook_secret);
    EXPECT_FALSE(c.metrics_token);
    EXPECT_EQ(c.default_country, "IN");
    EXPECT_EQ(c.retry.max_attempts, 10);
    EXPECT_EQ(c.retry.base_delay_ms, 30000);
    EXPECT_EQ(c.retry.max_delay_ms, 3600000);
    EXPECT_EQ(c.provider_timeout_ms, 10000);
    EXPECT_EQ(c.myoperator.timeout, std::chrono::milliseconds(10000));
}

TEST(ParseConfig, EmptyValuesCountAsUnset) {
    const Config c = ParseConfig({{"PORT", ""}, {"HOST", "  "}, {"ADMIN_TOKEN", ""}, {"NOTIFY_PROVIDER", ""}});
    EXPECT_EQ(c.port, 1001);
    EXPECT_EQ(c.host, "127.0.0.1");
    EXPECT_FALSE(c.admin_token);
    EXPECT_EQ(c.provider, "sandbox");
}

TEST(ParseConfig, ChoosesSandboxWithoutCredentials) { EXPECT_EQ(ParseConfig({}).provider, "sandbox"); }

TEST(ParseConfig, ChoosesMyOperatorWhenAllThreeCredentialsAreSet) {
    const Config c = ParseConfig(MyOperatorCredentials());
    EXPECT_EQ(c.provider, "myoperator");
    EXPECT_EQ(c.myoperator.api_key, "key-0123456789");
    EXPECT_EQ(c.myoperator.company_id, "company-1");
    EXPECT_EQ(c.myoperator.phone_number_id, "phone-id-1");
}

TEST(ParseConfig, SandboxCanBeForcedDespiteCredentials) {
    EXPECT_EQ(ParseConfig(Merge(MyOperatorCredentials(), {{"NOTIFY_PROVIDER", "sandbox"}})).provider, "sandbox");
}

// ---------------------------------------------------------------------------------------------
// ParseConfig: values

TEST(ParseConfig, ReadsEveryContractVariable) {
    const Config c = ParseConfig(Merge(MyOperatorCredentials(), {
                                                                    {"PORT", "8080"},
                                                                    {"HOST", "0.0.0.0"},
                                                                    {"DATABASE_URL", "sqlite:/var/lib/notifyd/n.db"},
                                                                    {"ADMIN_TOKEN", "admin-token-0123456789"},
                                                                    {"NOTIFY_PROVIDER", "myoperator"},
                                                                    {"MYOPERATOR_BASE_URL", "http://127.0.0.1:9000"},
                                                                    {"MYOPERATOR_API_SECRET", "webhook-secret"},
                                                                    {"DEFAULT_COUNTRY", "US"},
                                                                    {"MAX_ATTEMPTS", "3"},
                                                                    {"RETRY_BASE_DELAY_MS", "1000"},
                                                                    {"RETRY_MAX_DELAY_MS", "60000"},
                                                                    {"PROVIDER_TIMEOUT_MS", "2500"},
                                                                }));
    EXPECT_EQ(c.port, 8080);
    EXPECT_EQ(c.host, "0.0.0.0");
    EXPECT_EQ(c.database_url, "sqlite:/var/lib/notifyd/n.db");
    EXPECT_EQ(c.admin_token, "admin-token-0123456789");
    EXPECT_EQ(c.provider, "myoperator");
    EXPECT_EQ(c.myoperator.base_url, "http://127.0.0.1:9000");
    EXPECT_EQ(c.webhook_secret, "webhook-secret");
    EXPECT_EQ(c.default_country, "US");
    EXPECT_EQ(c.retry.max_attempts, 3);
    EXPECT_EQ(c.retry.base_delay_ms, 1000);
    EXPECT_EQ(c.retry.max_delay_ms, 60000);
    EXPECT_EQ(c.provider_timeout_ms, 2500);
    EXPECT_EQ(c.myoperator.timeout, std::chrono::milliseconds(2500));
}

TEST(ParseConfig, TrimsSurroundingWhitespace) {
    const Config c = ParseConfig({{"PORT", " 8080 "}, {"HOST", "\t0.0.0.0 "}});
    EXPECT_EQ(c.port, 8080);
    EXPECT_EQ(c.host, "0.0.0.0");
}

TEST(ParseConfig, AcceptsPortZeroForAnyFreePort) {
    EXPECT_EQ(ParseConfig({{"PORT", "0"}}).port, 0);
    EXPECT_EQ(ParseConfig({{"PORT", "65535"}}).port, 65535);
}

TEST(ParseConfig, AcceptsLocalhostAndIpv6Hosts) {
    EXPECT_EQ(ParseConfig({{"HOST", "localhost"}}).host, "127.0.0.1");
    EXPECT_EQ(ParseConfig({{"HOST", "::1"}}).host, "::1");
    EXPECT_EQ(ParseConfig({{"HOST", "::"}}).host, "::");
}

TEST(ParseConfig, AcceptsPostgresUrls) {
    EXPECT_EQ(ParseConfig({{"DATABASE_URL", "postgresql://u:p@db/notify"}}).database_url, "postgresql://u:p@db/notify");
    EXPECT_EQ(ParseConfig({{"DATABASE_URL", "postgres://db/notify"}}).database_url, "postgres://db/notify");
}

TEST(ParseConfig, UpperCasesTheDefaultCountry) {
    EXPECT_EQ(ParseConfig({{"DEFAULT_COUNTRY", "in"}}).default_country, "IN");
}

TEST(ParseConfig, RetryMaxMayEqualBase) {
    const Config c = ParseConfig({{"RETRY_BASE_DELAY_MS", "5000"}, {"RETRY_MAX_DELAY_MS", "5000"}});
    EXPECT_EQ(c.retry.base_delay_ms, 5000);
    EXPECT_EQ(c.retry.max_delay_ms, 5000);
}

TEST(ParseConfig, ReadsTheTuningVariables) {
    const Config c = ParseConfig({{"LOG_LEVEL", "debug"},
                                  {"HTTP_THREADS", "4"},
                                  {"HANDLER_THREADS", "16"},
                                  {"PROCESSOR_CONCURRENCY", "8"},
                                  {"PROCESSOR_BATCH", "10"},
                                  {"PROCESSOR_IDLE_POLL_MS", "50"},
                                  {"SHUTDOWN_GRACE_MS", "0"},
                                  {"RETENTION_DAYS", "0"}});
    EXPECT_EQ(c.log_level, "debug");
    EXPECT_EQ(c.http_threads, 4);
    EXPECT_EQ(c.handler_threads, 16);
    EXPECT_EQ(c.processor_concurrency, 8);
    EXPECT_EQ(c.processor_batch, 10);
    EXPECT_EQ(c.processor_idle_poll_ms, 50);
    EXPECT_EQ(c.shutdown_grace_ms, 0);
    EXPECT_EQ(c.retention_days, 0);
    EXPECT_EQ(ParseConfig({}).retention_days, 180);
}

TEST(ParseConfig, ReadsTheHttpProtectionSettings) {
    const Config defaults = ParseConfig({});
    EXPECT_EQ(defaults.max_connections, 10000);
    EXPECT_EQ(defaults.handler_queue_limit, 1024);
    EXPECT_EQ(defaults.header_timeout_ms, 10000);
    EXPECT_EQ(defaults.body_timeout_ms, 30000);
    const Config c = ParseConfig({{"MAX_CONNECTIONS", "500"},
                                  {"HANDLER_QUEUE_LIMIT", "64"},
                                  {"HEADER_TIMEOUT_MS", "2000"},
                                  {"BODY_TIMEOUT_MS", "5000"}});
    EXPECT_EQ(c.max_connections, 500);
    EXPECT_EQ(c.handler_queue_limit, 64);
    EXPECT_EQ(c.header_timeout_ms, 2000);
    EXPECT_EQ(c.body_timeout_ms, 5000);
}

// ---------------------------------------------------------------------------------------------
// ParseConfig: malformed values name the variable

TEST(ParseConfig, RejectsANonNumericPort) {
    EXPECT_CONFIG_ERROR_NAMING(Vars({{"PORT", "abc"}}), "PORT");
    EXPECT_CONFIG_ERROR_NAMING(Vars({{"PORT", "80abc"}}), "PORT");
    EXPECT_CONFIG_ERROR_NAMING(Vars({{"PORT", "80.5"}}), "PORT");
    EXPECT_CONFIG_ERROR_NAMING(Vars({{"PORT", "0x50"}}), "PORT");
}

TEST(ParseConfig, RejectsAPortOutOfRange) {
    EXPECT_CONFIG_ERROR_NAMING(Vars({{"PORT", "70000"}}), "PORT");
    EXPECT_CONFIG_ERROR_NAMING(Vars({{"PORT", "65536"}}), "PORT");
    EXPECT_CONFIG_ERROR_NAMING(Vars({{"PORT", "-1"}}), "PORT");
    EXPECT_CONFIG_ERROR_NAMING(Vars({{"PORT", "99999999999999999999999"}}), "PORT");
}

TEST(ParseConfig, RejectsZeroMaxAttempts) {
    EXPECT_CONFIG_ERROR_NAMING(Vars({{"MAX_ATTEMPTS", "0"}}), "MAX_ATTEMPTS");
    EXPECT_CONFIG_ERROR_NAMING(Vars({{"MAX_ATTEMPTS", "-3"}}), "MAX_ATTEMPTS");
    EXPECT_CONFIG_ERROR_NAMING(Vars({{"MAX_ATTEMPTS", "ten"}}), "MAX_ATTEMPTS");
}

TEST(ParseConfig, RejectsBadRetryDelays) {
    EXPECT_CONFIG_ERROR_NAMING(Vars({{"RETRY_BASE_DELAY_MS", "0"}}), "RETRY_BASE_DELAY_MS");
    EXPECT_CONFIG_ERROR_NAMING(Vars({{"RETRY_BASE_DELAY_MS", "soon"}}), "RETRY_BASE_DELAY_MS");
    EXPECT_CONFIG_ERROR_NAMING(Vars({{"RETRY_MAX_DELAY_MS", "-1"}}), "RETRY_MAX_DELAY_MS");
}

TEST(ParseConfig, RejectsABaseDelayAboveTheMaximum) {
    EXPECT_CONFIG_ERROR_NAMING(Vars({{"RETRY_BASE_DELAY_MS", "60000"}, {"RETRY_MAX_DELAY_MS", "1000"}}),
                               "RETRY_MAX_DELAY_MS");
    EXPECT_CONFIG_ERROR_NAMING(Vars({{"RETRY_BASE_DELAY_MS", "60000"}, {"RETRY_MAX_DELAY_MS", "1000"}}),
                               "RETRY_BASE_DELAY_MS");
    // Against the default base of 30000 too.
    EXPECT_CONFIG_ERROR_NAMING(Vars({{"RETRY_MAX_DELAY_MS", "1000"}}), "RETRY_MAX_DELAY_MS");
}

TEST(ParseConfig, RejectsABadProviderTimeout) {
    EXPECT_CONFIG_ERROR_NAMING(Vars({{"PROVIDER_TIMEOUT_MS", "0"}}), "PROVIDER_TIMEOUT_MS");
    EXPECT_CONFIG_ERROR_NAMING(Vars({{"PROVIDER_TIMEOUT_MS", "10s"}}), "PROVIDER_TIMEOUT_MS");
}

TEST(ParseConfig, RejectsAnUnknownProvider) {
    EXPECT_CONFIG_ERROR_NAMING(Vars({{"NOTIFY_PROVIDER", "twilio"}}), "NOTIFY_PROVIDER");
    EXPECT_CONFIG_ERROR_NAMING(Vars({{"NOTIFY_PROVIDER", "MyOperator"}}), "NOTIFY_PROVIDER");
}

TEST(ParseConfig, RejectsMyOperatorWithoutItsKey) {
    EXPECT_CONFIG_ERROR_NAMING(Vars({{"NOTIFY_PROVIDER", "myoperator"}}), "MYOPERATOR_API_KEY");
}

TEST(ParseConfig, RejectsPartialCredentialsNamingTheMissingOne) {
    Vars without_key = MyOperatorCredentials();
    without_key.erase("MYOPERATOR_API_KEY");
    EXPECT_CONFIG_ERROR_NAMING(without_key, "MYOPERATOR_API_KEY");

    Vars without_account = MyOperatorCredentials();
    without_account.erase("MYOPERATOR_ACCOUNT_ID");
    EXPECT_CONFIG_ERROR_NAMING(without_account, "MYOPERATOR_ACCOUNT_ID");

    Vars without_number = MyOperatorCredentials();
    without_number.erase("MYOPERATOR_WHATSAPP_NUMBER");
    EXPECT_CONFIG_ERROR_NAMING(without_number, "MYOPERATOR_WHATSAPP_NUMBER");

    EXPECT_CONFIG_ERROR_NAMING(Vars({{"MYOPERATOR_ACCOUNT_ID", "company-1"}}), "MYOPERATOR_API_KEY");
}

TEST(ParseConfig, RejectsAnUnknownDefaultCountry) {
    EXPECT_CONFIG_ERROR_NAMING(Vars({{"DEFAULT_COUNTRY", "XX"}}), "DEFAULT_COUNTRY");
    EXPECT_CONFIG_ERROR_NAMING(Vars({{"DEFAULT_COUNTRY", "India"}}), "DEFAULT_COUNTRY");
    EXPECT_CONFIG_ERROR_NAMING(Vars({{"DEFAULT_COUNTRY", "91"}}), "DEFAULT_COUNTRY");
}

TEST(ParseConfig, RejectsAHostName) {
    EXPECT_CONFIG_ERROR_NAMING(Vars({{"HOST", "example.com"}}), "HOST");
    EXPECT_CONFIG_ERROR_NAMING(Vars({{"HOST", "256.0.0.1"}}), "HOST");
}

TEST(ParseConfig, RejectsABadDatabaseUrl) {
    EXPECT_CONFIG_ERROR_NAMING(Vars({{"DATABASE_URL", "mysql://db/notify"}}), "DATABASE_URL");
    EXPECT_CONFIG_ERROR_NAMING(Vars({{"DATABASE_URL", "data/notifications.db"}}), "DATABASE_URL");
    EXPECT_CONFIG_ERROR_NAMING(Vars({{"DATABASE_URL", "sqlite:"}}), "DATABASE_URL");
    EXPECT_CONFIG_ERROR_NAMING(Vars({{"DATABASE_URL", "sqlite://"}}), "DATABASE_URL");
}

TEST(ParseConfig, RejectsAShortAdminToken) {
    EXPECT_CONFIG_ERROR_NAMING(Vars({{"ADMIN_TOKEN", "short"}}), "ADMIN_TOKEN");
    EXPECT_CONFIG_ERROR_NAMING(Vars({{"ADMIN_TOKEN", std::string(15, 'a')}}), "ADMIN_TOKEN");
    EXPECT_EQ(ParseConfig({{"ADMIN_TOKEN", std::string(16, 'a')}}).admin_token, std::string(16, 'a'));
}

TEST(ParseConfig, ShortAdminTokenErrorDoesNotEchoTheToken) {
    try {
        ParseConfig({{"ADMIN_TOKEN", "s3cr3t-v4lue"}});
        FAIL() << "expected a ConfigError";
    } catch (const ConfigError& e) {
        EXPECT_EQ(std::string(e.what()).find("s3cr3t-v4lue"), std::string::npos) << e.what();
    }
}

TEST(ParseConfig, RejectsABaseUrlWithoutScheme) {
    EXPECT_CONFIG_ERROR_NAMING(Vars({{"MYOPERATOR_BASE_URL", "publicapi.myoperator.co"}}), "MYOPERATOR_BASE_URL");
    EXPECT_CONFIG_ERROR_NAMING(Vars({{"MYOPERATOR_BASE_URL", "ftp://publicapi.myoperator.co"}}), "MYOPERATOR_BASE_URL");
}

TEST(ParseConfig, LogFormatIsTextUnlessSetToJson) {
    EXPECT_EQ(ParseConfig({}).log_format, "text");
    EXPECT_EQ(ParseConfig({{"LOG_FORMAT", "json"}}).log_format, "json");
    EXPECT_EQ(ParseConfig({{"LOG_FORMAT", "text"}}).log_format, "text");
}

TEST(ParseConfig, RejectsAnUnknownLogFormat) {
    EXPECT_CONFIG_ERROR_NAMING(Vars({{"LOG_FORMAT", "JSON"}}), "LOG_FORMAT");
    EXPECT_CONFIG_ERROR_NAMING(Vars({{"LOG_FORMAT", "logfmt"}}), "LOG_FORMAT");
}

TEST(ParseConfig, AccessLogIsOffUnlessOn) {
    EXPECT_FALSE(ParseConfig({}).access_log);
    EXPECT_FALSE(ParseConfig({{"ACCESS_LOG", "off"}}).access_log);
    EXPECT_TRUE(ParseConfig({{"ACCESS_LOG", "on"}}).access_log);
    EXPECT_CONFIG_ERROR_NAMING(Vars({{"ACCESS_LOG", "yes"}}), "ACCESS_LOG");
}

TEST(ParseConfig, RejectsAnUnknownLogLevel) { EXPECT_CONFIG_ERROR_NAMING(Vars({{"LOG_LEVEL", "loud"}}), "LOG_LEVEL"); }

TEST(ParseConfig, RejectsBadTuningValues) {
    EXPECT_CONFIG_ERROR_NAMING(Vars({{"HTTP_THREADS", "0"}}), "HTTP_THREADS");
    EXPECT_CONFIG_ERROR_NAMING(Vars({{"HANDLER_THREADS", "many"}}), "HANDLER_THREADS");
    EXPECT_CONFIG_ERROR_NAMING(Vars({{"PROCESSOR_CONCURRENCY", "0"}}), "PROCESSOR_CONCURRENCY");
    EXPECT_CONFIG_ERROR_NAMING(Vars({{"PROCESSOR_BATCH", "100000"}}), "PROCESSOR_BATCH");
    EXPECT_CONFIG_ERROR_NAMING(Vars({{"PROCESSOR_IDLE_POLL_MS", "1"}}), "PROCESSOR_IDLE_POLL_MS");
    EXPECT_CONFIG_ERROR_NAMING(Vars({{"SHUTDOWN_GRACE_MS", "-1"}}), "SHUTDOWN_GRACE_MS");
    EXPECT_CONFIG_ERROR_NAMING(Vars({{"RETENTION_DAYS", "-1"}}), "RETENTION_DAYS");
    EXPECT_CONFIG_ERROR_NAMING(Vars({{"RETENTION_DAYS", "half a year"}}), "RETENTION_DAYS");
    EXPECT_CONFIG_ERROR_NAMING(Vars({{"MAX_CONNECTIONS", "0"}}), "MAX_CONNECTIONS");
    EXPECT_CONFIG_ERROR_NAMING(Vars({{"MAX_CONNECTIONS", "lots"}}), "MAX_CONNECTIONS");
    EXPECT_CONFIG_ERROR_NAMING(Vars({{"HANDLER_QUEUE_LIMIT", "0"}}), "HANDLER_QUEUE_LIMIT");
    EXPECT_CONFIG_ERROR_NAMING(Vars({{"HEADER_TIMEOUT_MS", "10"}}), "HEADER_TIMEOUT_MS");
    EXPECT_CONFIG_ERROR_NAMING(Vars({{"BODY_TIMEOUT_MS", "1.5"}}), "BODY_TIMEOUT_MS");
}

// ---------------------------------------------------------------------------------------------
// Config::Secrets

TEST(ConfigSecrets, ListsKeyWebhookSecretAndAdminToken) {
    const Config c = ParseConfig(Merge(MyOperatorCredentials(), {{"MYOPERATOR_API_SECRET", "webhook-secret"},
                                                                 {"ADMIN_TOKEN", "admin-token-0123456789"}}));
    EXPECT_THAT(c.Secrets(), UnorderedElementsAre("key-0123456789", "webhook-secret", "admin-token-0123456789"));
}

TEST(ParseConfig, ReadsTheMetricsToken) {
    EXPECT_EQ(ParseConfig({{"METRICS_TOKEN", "metrics-token-0123456789"}}).metrics_token, "metrics-token-0123456789");
    EXPECT_FALSE(ParseConfig({{"METRICS_TOKEN", ""}}).metrics_token);
}

TEST(ParseConfig, RefusesAShortMetricsToken) {
    EXPECT_CONFIG_ERROR_NAMING(Vars({{"METRICS_TOKEN", "short"}}), "METRICS_TOKEN");
}

TEST(ConfigSecrets, ListsTheMetricsToken) {
    EXPECT_THAT(ParseConfig({{"METRICS_TOKEN", "metrics-token-0123456789"}}).Secrets(),
                UnorderedElementsAre("metrics-token-0123456789"));
}

TEST(ConfigSecrets, EmptyWithoutSecrets) { EXPECT_TRUE(ParseConfig({}).Secrets().empty()); }

// ---------------------------------------------------------------------------------------------
// ReadDotEnv

TEST(ReadDotEnv, MissingFileIsEmpty) {
    TempDir dir;
    EXPECT_TRUE(ReadDotEnv(dir.PathOf("no-such.env")).empty());
}

TEST(ReadDotEnv, ReadsKeyValueLines) {
    TempDir dir;
    const auto path = dir.Write(".env", "PORT=8080\nHOST=0.0.0.0\n");
    EXPECT_EQ(ReadDotEnv(path), (Vars{{"PORT", "8080"}, {"HOST", "0.0.0.0"}}));
}

TEST(ReadDotEnv, SkipsCommentsAndBlankLines) {
    TempDir dir;
    const auto path = dir.Write(".env", "# a comment\n\n   \n  # indented comment\nPORT=8080\n");
    EXPECT_EQ(ReadDotEnv(path), (Vars{{"PORT", "8080"}}));
}

TEST(ReadDotEnv, AcceptsExportPrefix) {
    TempDir dir;
    const auto path = dir.Write(".env", "export PORT=8080\nexport   HOST=0.0.0.0\n");
    EXPECT_EQ(ReadDotEnv(path), (Vars{{"PORT", "8080"}, {"HOST", "0.0.0.0"}}));
}

TEST(ReadDotEnv, StripsDoubleAndSingleQuotes) {
    TempDir dir;
    const auto path = dir.Write(".env", "A=\"hello world\"\nB='single # not a comment'\nC=\"\"\n");
    EXPECT_EQ(ReadDotEnv(path), (Vars{{"A", "hello world"}, {"B", "single # not a comment"}, {"C", ""}}));
}

TEST(ReadDotEnv, DropsATrailingCommentAfterAnUnquotedValue) {
    TempDir dir;
    const auto path = dir.Write(".env", "PORT=8080 # the port\nPASSWORD=abc#def\n");
    EXPECT_EQ(ReadDotEnv(path), (Vars{{"PORT", "8080"}, {"PASSWORD", "abc#def"}}));
}

TEST(ReadDotEnv, DropsATrailingCommentAfterAQuotedValue) {
    TempDir dir;
    const auto path = dir.Write(".env", "A=\"hello world\" # greeting\nB='x # y'   # note\n");
    EXPECT_EQ(ReadDotEnv(path), (Vars{{"A", "hello world"}, {"B", "x # y"}}));
}

TEST(ReadDotEnv, KeepsQuotesInsideAQuotedValue) {
    TempDir dir;
    const auto path = dir.Write(".env", "A=\"say \"hi\"\"\nB='it''s'\nC=\"x\" # \"y\"\n");
    EXPECT_EQ(ReadDotEnv(path), (Vars{{"A", "say \"hi\""}, {"B", "it''s"}, {"C", "x"}}));
}

TEST(ReadDotEnv, KeepsAnUnbalancedQuoteAsWritten) {
    TempDir dir;
    const auto path = dir.Write(".env", "A=\"abc\nB=abc\"\nC='x\" # note\n");
    EXPECT_EQ(ReadDotEnv(path), (Vars{{"A", "\"abc"}, {"B", "abc\""}, {"C", "'x\""}}));
}

TEST(ReadDotEnv, KeepsEqualsSignsInTheValue) {
    TempDir dir;
    const auto path = dir.Write(".env", "DATABASE_URL=postgresql://u:p@db/n?sslmode=require\n");
    EXPECT_EQ(ReadDotEnv(path).at("DATABASE_URL"), "postgresql://u:p@db/n?sslmode=require");
}

TEST(ReadDotEnv, TrimsSpacesAroundKeyAndValue) {
    TempDir dir;
    const auto path = dir.Write(".env", "  PORT =  8080  \n");
    EXPECT_EQ(ReadDotEnv(path), (Vars{{"PORT", "8080"}}));
}

TEST(ReadDotEnv, HandlesCrlfLineEndings) {
    TempDir dir;
    const auto path = dir.Write(".env", "PORT=8080\r\nHOST=0.0.0.0\r\n");
    EXPECT_EQ(ReadDotEnv(path), (Vars{{"PORT", "8080"}, {"HOST", "0.0.0.0"}}));
}

TEST(ReadDotEnv, AcceptsAnEmptyValue) {
    TempDir dir;
    const auto path = dir.Write(".env", "ADMIN_TOKEN=\n");
    EXPECT_EQ(ReadDotEnv(path), (Vars{{"ADMIN_TOKEN", ""}}));
}

TEST(ReadDotEnv, LaterLinesWin) {
    TempDir dir;
    const auto path = dir.Write(".env", "PORT=1\nPORT=2\n");
    EXPECT_EQ(ReadDotEnv(path).at("PORT"), "2");
}

TEST(ReadDotEnv, MalformedLineThrowsNamingFileAndLine) {
    TempDir dir;
    const auto path = dir.Write(".env", "PORT=8080\n# fine\nthis is not a setting\n");
    try {
        ReadDotEnv(path);
        FAIL() << "expected a ConfigError";
    } catch (const ConfigError& e) {
        EXPECT_THAT(std::string(e.what()), HasSubstr(path + ":3"));
    }
}

TEST(ReadDotEnv, LineWithoutKeyIsMalformed) {
    TempDir dir;
    const auto path = dir.Write(".env", "=value\n");
    try {
        ReadDotEnv(path);
        FAIL() << "expected a ConfigError";
    } catch (const ConfigError& e) {
        EXPECT_THAT(std::string(e.what()), HasSubstr(path + ":1"));
    }
}

// ---------------------------------------------------------------------------------------------
// CollectSettings

TEST(CollectSettings, ReadsTheDotEnvFile) {
    TempDir dir;
    ScopedEnv clear("NOTIFYD_TEST_ONLY_IN_DOTENV", std::nullopt);
    const auto path = dir.Write(".env", "NOTIFYD_TEST_ONLY_IN_DOTENV=from-file\n");
    EXPECT_EQ(CollectSettings(path).at("NOTIFYD_TEST_ONLY_IN_DOTENV"), "from-file");
}

TEST(CollectSettings, EnvironmentWinsOverDotEnv) {
    TempDir dir;
    ScopedEnv env("NOTIFYD_TEST_BOTH", std::string("from-env"));
    const auto path = dir.Write(".env", "NOTIFYD_TEST_BOTH=from-file\n");
    EXPECT_EQ(CollectSettings(path).at("NOTIFYD_TEST_BOTH"), "from-env");
}

TEST(CollectSettings, IncludesTheEnvironmentWithoutADotEnvFile) {
    TempDir dir;
    ScopedEnv env("NOTIFYD_TEST_ENV_ONLY", std::string("a=b"));
    const auto vars = CollectSettings(dir.PathOf("missing.env"));
    EXPECT_EQ(vars.at("NOTIFYD_TEST_ENV_ONLY"), "a=b");
}

TEST(CollectSettings, EnvironmentSetToEmptyStillWinsAndMeansUnset) {
    TempDir dir;
    ScopedEnv env("PORT", std::string(""));
    const auto path = dir.Write(".env", "PORT=8080\n");
    const auto vars = CollectSettings(path);
    EXPECT_EQ(vars.at("PORT"), "");
    EXPECT_EQ(ParseConfig(Only(vars, {"PORT"})).port, 1001);
}

TEST(CollectSettings, FeedsParseConfig) {
    TempDir dir;
    ScopedEnv port("PORT", std::string("9090"));
    ScopedEnv host("HOST", std::nullopt);
    const auto path = dir.Write(".env", "PORT=8080\nHOST=0.0.0.0\n");
    // Only the two variables under test: the rest of the environment is not this test's business.
    const Config c = ParseConfig(Only(CollectSettings(path), {"PORT", "HOST"}));
    EXPECT_EQ(c.port, 9090);
    EXPECT_EQ(c.host, "0.0.0.0");
}

TEST(ParseConfig, ProviderRateAndProbeIntervalHaveDefaultsAndBounds) {
    const Config defaults = ParseConfig({});
    EXPECT_EQ(defaults.provider_rate_per_second, 80);
    EXPECT_EQ(defaults.provider_probe_interval_ms, 30000);
    const Config c = ParseConfig({{"PROVIDER_RATE_PER_SECOND", "0"}, {"PROVIDER_PROBE_INTERVAL_MS", "500"}});
    EXPECT_EQ(c.provider_rate_per_second, 0);  // unlimited
    EXPECT_EQ(c.provider_probe_interval_ms, 500);
    EXPECT_CONFIG_ERROR_NAMING(Vars({{"PROVIDER_RATE_PER_SECOND", "-1"}}), "PROVIDER_RATE_PER_SECOND");
    EXPECT_CONFIG_ERROR_NAMING(Vars({{"PROVIDER_RATE_PER_SECOND", "fast"}}), "PROVIDER_RATE_PER_SECOND");
    EXPECT_CONFIG_ERROR_NAMING(Vars({{"PROVIDER_PROBE_INTERVAL_MS", "0"}}), "PROVIDER_PROBE_INTERVAL_MS");
    EXPECT_CONFIG_ERROR_NAMING(Vars({{"PROVIDER_PROBE_INTERVAL_MS", "1.5"}}), "PROVIDER_PROBE_INTERVAL_MS");
}

}  // namespace
}  // namespace notify
