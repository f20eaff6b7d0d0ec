#include "app/commands.h"

#include <signal.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <vector>

#include "api/api_context.h"
#include "api/json_io.h"
#include "app/doctor.h"
#include "app/logging.h"
#include "business/business_service.h"
#include "business/local_time.h"
#include "common/errors.h"
#include "common/random.h"
#include "common/time_format.h"
#include "http/auth.h"
#include "http/errors.h"
#include "http/router.h"
#include "http/server.h"
#include "metrics/measured_provider.h"
#include "metrics/service_metrics.h"
#include "notify/template_sync.h"
#include "providers/myoperator.h"
#include "providers/myoperator_templates.h"
#include "providers/sandbox.h"
#include "queue/dispatcher.h"
#include "queue/processor.h"
#include "queue/retention.h"
#include "queue/send_service.h"
#include "store/migrations.h"
#include "store/postgres/pg_backup.h"
#include "store/sqlite/sqlite_backup.h"
#include "store/store.h"

namespace notify {
namespace {

// Descriptors kept out of the connection cap besides one per handler thread and per processor
// send: the database and its WAL, read connections, logs, the listening socket, spares.
constexpr std::size_t kFileDescriptorReserve = 64;

std::unique_ptr<Provider> MakeProvider(const Config& config) {
    if (config.provider == "myoperator") return std::make_unique<MyOperatorProvider>(config.myoperator);
    return std::make_unique<SandboxProvider>();
}

std::string ProcessOwnerId() {
    char host[256] = {0};
    gethostname(host, sizeof host - 1);
    std::random_device random;
    return std::string(host) + ":" + std::to_string(getpid()) + ":" + std::to_string(random() % 100000);
}

ProcessorOptions MakeProcessorOptions(const Config& config) {
    ProcessorOptions options;
    options.concurrency = config.processor_concurrency;
    options.batch = config.processor_batch;
    // Three provider timeouts: a live sender always finishes well within its lease.
    options.lease_ms = 3LL * config.provider_timeout_ms;
    options.send_budget_ms = config.provider_timeout_ms;
    options.idle_poll_ms = config.processor_idle_poll_ms;
    options.owner = ProcessOwnerId();
    return options;
}

ThroughputOptions MakeThroughputOptions(const Config& config) {
    ThroughputOptions options;
    options.rate_per_second = config.provider_rate_per_second;
    options.probe_interval_ms = config.provider_probe_interval_ms;
    return options;
}

// Every connection is a file descriptor: the soft limit (often 1,024) goes up to the hard one,
// and the connection cap leaves room under it for the database, provider calls and logs.
HttpServerOptions MakeServerOptions(const Config& config, const Router& router) {
    const OpenFileLimit files = RaiseOpenFileLimit();
    spdlog::info("open file limit: soft {} (was {}), hard {}", files.soft, files.soft_before, files.hard);
    const std::size_t reserve =
        kFileDescriptorReserve + static_cast<std::size_t>(config.handler_threads + config.processor_concurrency);
    const auto wanted = static_cast<std::size_t>(config.max_connections);
    HttpServerOptions options;
    options.host = config.host;
    options.port = config.port;
    options.io_threads = config.http_threads;
    options.handler_threads = config.handler_threads;
    options.handler_queue_limit = static_cast<std::size_t>(config.handler_queue_limit);
    options.max_connections = ConnectionCapWithin(wanted, files.soft, reserve);
    if (options.max_connections < wanted) {
        spdlog::warn(
            "MAX_CONNECTIONS {} lowered to {}: the open file limit is {}, and {} are kept for the store "
            "and the provider",
            wanted, options.max_connections, files.soft, reserve);
    }
    options.header_timeout = std::chrono::milliseconds(config.header_timeout_ms);
    options.body_timeout = std::chrono::milliseconds(config.body_timeout_ms);
    // Route, authentication and role are settled from the header section, before any body is read.
    options.on_headers = [&router](HttpRequest& request) { return router.Admit(request); };
    options.async_handler = [&router](HttpRequest& request, AsyncReply reply) {
        router.HandleAsync(request, std::move(reply));
    };
    return options;
}

std::unique_ptr<Store> OpenMigratedStore(const Config& config) {
    auto store = OpenStore(config.database_url);
    int pending = 0;
    for (const auto& m : store->MigrationStatus()) pending += m.applied ? 0 : 1;
    if (pending > 0) {
        throw std::runtime_error("the database has " + std::to_string(pending) +
                                 " pending migration(s); run `notifyd migrate` first");
    }
    return store;
}

}  // namespace

int RunMigrate(const Config& config, bool status_only, std::optional<std::int64_t> to_version) {
    auto store = OpenStore(config.database_url);
    if (to_version) {
        int changed = 0;
        try {
            changed = store->MigrateTo(*to_version);
        } catch (const MigrationError& e) {
            std::cerr << "migrate: " << e.what() << std::endl;
            return 2;
        }
        std::cout << (changed == 0 ? "database is already at version " + std::to_string(*to_version)
                                   : "migrated to version " + std::to_string(*to_version) + ": " +
                                         std::to_string(changed) + " migration(s) applied or rolled back")
                  << std::endl;
    } else if (!status_only) {
        const int applied = store->Migrate();
        std::cout << (applied == 0 ? "database is up to date" : "applied " + std::to_string(applied) + " migration(s)")
                  << std::endl;
    }
    bool pending = false;
    for (const auto& m : store->MigrationStatus()) {
        std::cout << (m.applied ? "applied  " : "pending  ") << m.name;
        if (m.applied_at) std::cout << "  " << FormatIsoTime(*m.applied_at);
        std::cout << "\n";
        pending = pending || !m.applied;
    }
    // The templates are read with the latest schema: an older one (after `--to`) has no count.
    if (!pending) std::cout << "templates: " << store->ListTemplates().size() << "\n";
    std::cout.flush();
    return 0;
}

int RunBackup(const Config& config, const std::string& out_path) {
    const std::optional<std::string> sqlite_path = SqlitePathOf(config.database_url);
    if (!sqlite_path) {
        const BackupSummary summary = BackupPostgresDatabase(config.database_url, out_path);
        std::cout << "backup written to " << out_path << " (pg_dump custom format): " << summary.messages
                  << " message(s) when the dump started, schema " << summary.schema << std::endl;
        return 0;
    }
    const BackupSummary summary = BackupSqliteDatabase(*sqlite_path, out_path);
    std::cout << "backup written to " << out_path << ": " << summary.messages << " message(s), schema "
              << summary.schema << std::endl;
    return 0;
}

int RunRestore(const Config& config, const std::string& backup_path) {
    const std::optional<std::string> sqlite_path = SqlitePathOf(config.database_url);
    if (!sqlite_path) {
        const BackupSummary restored = RestorePostgresDatabase(backup_path, config.database_url);
        std::cout << "restored " << backup_path << " into the PostgreSQL database: " << restored.messages
                  << " message(s), schema " << restored.schema << std::endl;
        return 0;
    }
    const std::string& database_path = *sqlite_path;
    const RestoreSummary summary = RestoreSqliteDatabase(backup_path, database_path, SystemClock().NowMs());
    if (!summary.previous_saved_as.empty()) {
        std::cout << "the database it replaced is kept as " << summary.previous_saved_as << std::endl;
    }
    std::cout << "restored " << backup_path << " into " << database_path << ": " << summary.restored.messages
              << " message(s), schema " << summary.restored.schema << std::endl;
    return 0;
}

int RunTokenCreate(const Config& config, const std::string& role_text, const std::string& name,
                   const std::string& expires_in) {
    const auto role = ParseRole(role_text);
    if (!role) {
        std::cerr << "--role must be admin, operator or viewer" << std::endl;
        return 2;
    }
    if (name.empty() || name.size() > 100) {
        std::cerr << "--name must be 1 to 100 characters" << std::endl;
        return 2;
    }
    std::optional<TimeMs> lifetime;
    if (!expires_in.empty()) {
        lifetime = ParseTokenLifetime(expires_in);
        if (!lifetime) {
            std::cerr << "--expires-in must be a whole number of days, hours or minutes, e.g. 90d, 12h or 30m, "
                         "from 1m to 3650d"
                      << std::endl;
            return 2;
        }
    }
    auto store = OpenMigratedStore(config);
    // Names are how tokens are listed and revoked: one token per name keeps that unambiguous.
    for (const auto& existing : store->ListTokens()) {
        if (existing.name == name) {
            std::cerr << "a token named \"" << name << "\" exists; revoke it first or choose another name" << std::endl;
            return 2;
        }
    }
    const TimeMs now = SystemClock().NowMs();
    const std::string token = GenerateToken();
    ApiToken record{name, *role, HashToken(token), now, std::nullopt, std::nullopt};
    if (lifetime) record.expires_at = now + *lifetime;
    store->InsertToken(record);
    std::cerr << "token for " << name << " (" << role_text << ")"
              << (record.expires_at ? ", expires " + FormatIsoTime(*record.expires_at) : std::string())
              << "; it is shown once and stored only as a hash:" << std::endl;
    std::cout << token << std::endl;
    return 0;
}

int RunTokenList(const Config& config) {
    auto store = OpenMigratedStore(config);
    const TimeMs now = SystemClock().NowMs();
    // Never the token or its hash: those would let a reader of the output authenticate.
    std::vector<std::vector<std::string>> rows = {{"NAME", "ROLE", "CREATED", "LAST USED", "EXPIRES"}};
    for (const auto& token : store->ListTokens()) {
        std::string expires = "never";
        if (token.expires_at) {
            expires = FormatIsoTime(*token.expires_at) + (now >= *token.expires_at ? " (expired)" : "");
        }
        rows.push_back({token.name, std::string(ToString(token.role)), FormatIsoTime(token.created_at),
                        token.last_used_at ? FormatIsoTime(*token.last_used_at) : "never", expires});
    }
    std::vector<std::size_t> widths(rows.front().size(), 0);
    for (const auto& row : rows) {
        for (std::size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
    }
    for (const auto& row : rows) {
        std::string line;
        for (std::size_t i = 0; i < row.size(); ++i) {
            line += row[i];
            if (i + 1 < row.size()) line += std::string(widths[i] - row[i].size() + 2, ' ');
        }
        std::cout << line << "\n";
    }
    std::cout.flush();
    return 0;
}

int RunTokenRevoke(const Config& config, const std::string& name) {
    if (name.empty()) {
        std::cerr << "--name must name a token (see `notifyd token list`)" << std::endl;
        return 2;
    }
    auto store = OpenMigratedStore(config);
    const int revoked = store->RevokeTokens(name);
    if (revoked == 0) {
        std::cerr << "no token named \"" << name << "\"; `notifyd token list` shows them" << std::endl;
        return 1;
    }
    // Running servers trust a looked-up token for at most half a second (AuthOptions).
    std::cout << "revoked " << revoked << " token(s) named \"" << name
              << "\"; running servers refuse it within a second" << std::endl;
    return 0;
}

int RunProcessQueue(const Config& config, bool force) {
    auto store = OpenMigratedStore(config);
    auto provider = MakeProvider(config);
    SystemClock clock;
    SystemRandom random;
    Dispatcher dispatcher(*store, *provider, clock, random, config.retry, MakeThroughputOptions(config));
    QueueProcessor processor(*store, dispatcher, clock, MakeProcessorOptions(config));
    std::cout << DumpJsonSafe(PassResultToJson(processor.RunOnce(force))) << std::endl;
    return 0;
}

namespace {

DiskFacts GatherDiskFacts(const std::string& database_path) {
    DiskFacts facts;
    const std::filesystem::path parent = std::filesystem::path(database_path).parent_path();
    facts.directory = parent.empty() ? "." : parent.string();
    std::error_code error;
    const std::filesystem::space_info space = std::filesystem::space(facts.directory, error);
    if (error) {
        facts.error = error.message();
        return facts;
    }
    facts.available_bytes = space.available;
    facts.writable = access(facts.directory.c_str(), W_OK) == 0;
    return facts;
}

bool HasMyOperatorCredentials(const Config& config) {
    const MyOperatorOptions& mo = config.myoperator;
    return config.provider == "myoperator" && !mo.api_key.empty() && !mo.company_id.empty() &&
           !mo.phone_number_id.empty();
}

std::vector<DoctorCheck> GatherDoctorChecks(const Config& config) {
    std::vector<DoctorCheck> checks;
    // The store: SQLite's busy timeout (5 s) bounds every statement here.
    std::unique_ptr<Store> store;
    std::optional<std::string> store_error;
    std::vector<MigrationState> migrations;
    try {
        store = OpenStore(config.database_url);
        store->Ping();
        migrations = store->MigrationStatus();
    } catch (const std::exception& e) {
        store_error = e.what();
        store.reset();
    }
    checks.push_back(CheckStore(store_error, migrations));
    const bool migrated =
        store && std::all_of(migrations.begin(), migrations.end(), [](const MigrationState& m) { return m.applied; });
    std::optional<std::string> sqlite_path;
    try {
        sqlite_path = SqlitePathOf(config.database_url);
    } catch (const std::exception&) {
        // Already reported by the store check.
    }
    if (sqlite_path) checks.push_back(CheckDisk(GatherDiskFacts(*sqlite_path)));

    // The only traffic: one read-only call to the configured base URL, within PROVIDER_TIMEOUT_MS.
    std::optional<ProviderProbeFacts> probe;
    if (HasMyOperatorCredentials(config)) {
        const MyOperatorProbe answer = ProbeMyOperator(config.myoperator);
        probe = ProviderProbeFacts{answer.http_status, answer.error};
    }
    for (auto& check : CheckProvider(config, probe)) checks.push_back(std::move(check));
    for (auto& check : CheckSecrets(config)) checks.push_back(std::move(check));

    std::size_t stored_admins = 0;
    if (migrated) {
        const TimeMs now = SystemClock().NowMs();
        for (const auto& token : store->ListTokens()) {
            if (token.role == Role::kAdmin && (!token.expires_at || *token.expires_at > now)) ++stored_admins;
        }
    }
    checks.push_back(CheckAdminTokens(config.admin_token.has_value(), stored_admins));
    checks.push_back(CheckTimeZone(IsKnownTimeZone(kDefaultTimeZone)));
    if (migrated) {
        for (auto& check : CheckSettings(store->GetSettings())) checks.push_back(std::move(check));
        const std::vector<Template> templates = store->ListTemplates();
        checks.push_back(CheckTemplates(templates));
        // Then the listing, when the probe showed MyOperator answers with these credentials.
        std::optional<TemplateListingFacts> listing;
        if (probe && probe->http_status >= 200 && probe->http_status < 300) {
            MyOperatorTemplateListing fetched = FetchMyOperatorTemplates(config.myoperator);
            listing = TemplateListingFacts{std::move(fetched.templates), std::move(fetched.error)};
        }
        checks.push_back(CheckTemplatesApproved(config, templates, listing));
    }
    return checks;
}

}  // namespace

int RunDoctor(const std::optional<Config>& config, const std::optional<std::string>& config_error, bool json) {
    std::vector<DoctorCheck> checks = {CheckConfiguration(config_error)};
    if (config) {
        for (auto& check : GatherDoctorChecks(*config)) checks.push_back(std::move(check));
    } else {
        checks.push_back(CheckTimeZone(IsKnownTimeZone(kDefaultTimeZone)));
    }
    if (json) {
        std::cout << DoctorReportJson(checks).dump() << std::endl;
    } else {
        for (const auto& check : checks) std::cout << FormatCheckLine(check) << "\n";
        std::cout << (DoctorPassed(checks) ? "doctor: every required check passed" : "doctor: some checks failed")
                  << std::endl;
    }
    return DoctorPassed(checks) ? 0 : 1;
}

namespace {

constexpr int kSyncInSync = 0;
constexpr int kSyncDifferences = 1;
constexpr int kSyncCannotCompare = 2;

// templates sync could not compare: the reason on stderr, and in the JSON report when asked for.
int SyncCannotCompare(const std::string& reason, bool json) {
    std::cerr << "templates sync: " << reason << std::endl;
    if (json) std::cout << nlohmann::json{{"in_sync", false}, {"error", reason}}.dump() << std::endl;
    return kSyncCannotCompare;
}

}  // namespace

int RunTemplatesSync(const Config& config, bool json) {
    if (config.provider != "myoperator") {
        return SyncCannotCompare(
            "NOTIFY_PROVIDER is sandbox, which has no templates to compare with; set NOTIFY_PROVIDER=myoperator and "
            "the MYOPERATOR_* credentials",
            json);
    }
    if (!HasMyOperatorCredentials(config)) {
        return SyncCannotCompare(
            "MyOperator's credentials are incomplete: set MYOPERATOR_API_KEY, MYOPERATOR_ACCOUNT_ID and "
            "MYOPERATOR_WHATSAPP_NUMBER (`notifyd doctor` names the missing ones)",
            json);
    }
    std::vector<Template> templates;
    try {
        templates = OpenMigratedStore(config)->ListTemplates();
    } catch (const std::exception& e) {
        return SyncCannotCompare(std::string("cannot read the local templates: ") + e.what(), json);
    }
    const MyOperatorTemplateListing listing = FetchMyOperatorTemplates(config.myoperator);
    if (!listing.ok()) {
        return SyncCannotCompare("cannot list MyOperator's templates: GET " + DescribeUrl(config.myoperator.base_url) +
                                     "/chat/templates: " + listing.error,
                                 json);
    }
    // Reports only: the local templates are what the operators edit, MyOperator's what WhatsApp approved.
    const std::vector<TemplateDifference> differences = CompareTemplates(templates, listing.templates);
    const auto blocking = static_cast<std::size_t>(
        std::count_if(differences.begin(), differences.end(), [](const auto& d) { return BlocksSending(d); }));
    if (json) {
        nlohmann::json list = nlohmann::json::array();
        for (const auto& d : differences) {
            list.push_back(
                {{"kind", ToString(d.kind)},
                 {"template", d.template_name.empty() ? nlohmann::json(nullptr) : nlohmann::json(d.template_name)},
                 {"provider_template_name", d.provider_name},
                 {"language", d.language},
                 {"status", d.status.empty() ? nlohmann::json(nullptr) : nlohmann::json(d.status)},
                 {"local_variables", d.kind == TemplateDifferenceKind::kVariableCount
                                         ? nlohmann::json(d.local_variables)
                                         : nlohmann::json(nullptr)},
                 {"remote_variables",
                  d.remote_variables ? nlohmann::json(*d.remote_variables) : nlohmann::json(nullptr)},
                 {"blocks_sending", BlocksSending(d)},
                 {"detail", DescribeDifference(d)},
                 {"fix", FixForDifference(d)}});
        }
        std::cout << nlohmann::json{{"in_sync", blocking == 0},
                                    {"remote_templates", listing.templates.size()},
                                    {"differences", list}}
                         .dump()
                  << std::endl;
    } else {
        for (const auto& d : differences) {
            const std::string kind(ToString(d.kind));
            std::string line = kind + std::string(kind.size() < 15 ? 15 - kind.size() : 1, ' ') + DescribeDifference(d);
            line += BlocksSending(d) ? "; fix: " + FixForDifference(d) : " (informational)";
            std::cout << line << "\n";
        }
        if (blocking == 0) {
            std::cout << "templates sync: in sync with MyOperator (" << listing.templates.size()
                      << " template language(s) listed there)" << std::endl;
        } else {
            std::cout << "templates sync: " << blocking
                      << " difference(s) stop messages from being sent; nothing was changed" << std::endl;
        }
    }
    return blocking == 0 ? kSyncInSync : kSyncDifferences;
}

int RunServe(const Config& config) {
    // Signals are taken by sigwait in this thread only; every thread started below inherits the mask.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    signal(SIGPIPE, SIG_IGN);

    auto store = OpenMigratedStore(config);
    auto provider = MakeProvider(config);
    metrics::ServiceMetrics metrics;
    metrics::MeasuredProvider measured_provider(*provider, metrics);
    SystemClock clock;
    SystemRandom random;
    Dispatcher dispatcher(*store, measured_provider, clock, random, config.retry, MakeThroughputOptions(config));
    QueueProcessor processor(*store, dispatcher, clock, MakeProcessorOptions(config));
    SendService sender(*store, dispatcher, processor, clock, random);
    BusinessService business(*store, processor, clock, random, config.default_country);
    Authenticator auth(*store, clock, config.admin_token);
    Router router(auth);
    ApiContext ctx{.store = *store,
                   .dispatcher = dispatcher,
                   .processor = processor,
                   .sender = sender,
                   .business = business,
                   .provider = *provider,
                   .clock = clock,
                   .auth = auth,
                   .default_region = config.default_country,
                   .started_at = clock.NowMs(),
                   .webhook_secret = config.webhook_secret,
                   .metrics = metrics,
                   .metrics_token = config.metrics_token};
    RegisterApiRoutes(router, ctx);
    metrics.http.DeclareRoutes(router.RoutePatterns());

    spdlog::info("notifyd {} starting: store {}, {} templates, provider {}", NOTIFY_VERSION,
                 DescribeUrl(config.database_url), store->ListTemplates().size(), provider->Name());
    if (provider->Name() == "sandbox") {
        spdlog::warn("provider is the sandbox: messages are accepted and recorded, nothing is sent to WhatsApp");
    } else {
        spdlog::info("sending through MyOperator at {} (timeout {} ms)", DescribeUrl(config.myoperator.base_url),
                     config.provider_timeout_ms);
    }
    if (!config.admin_token) spdlog::info("no ADMIN_TOKEN set; use `notifyd token create` for bearer tokens");
    if (!config.webhook_secret) spdlog::warn("MYOPERATOR_API_SECRET is not set: status webhooks will be refused");

    HttpServerOptions server_options = MakeServerOptions(config, router);
    const std::vector<std::string> route_patterns = router.RoutePatterns();
    // One line per request at most: at info with ACCESS_LOG=on, else at debug (seen with LOG_LEVEL=debug).
    const spdlog::level::level_enum access_level = config.access_log ? spdlog::level::info : spdlog::level::debug;
    server_options.on_response = [&metrics, &route_patterns, access_level](const RequestOutcome& outcome) {
        metrics.http.Record(outcome.matched_route, outcome.method, outcome.status, outcome.seconds);
        if (spdlog::should_log(access_level)) {
            // The route's pattern, not the path, when one matched: ids and phone numbers stay out of the log.
            const std::string_view route = outcome.matched_route && *outcome.matched_route < route_patterns.size()
                                               ? std::string_view(route_patterns[*outcome.matched_route])
                                               : outcome.path;
            spdlog::log(access_level, "access {} {} {} {:.1f}ms request_id={} remote={}", outcome.method, route,
                        outcome.status, outcome.seconds * 1000, outcome.request_id, outcome.remote_address);
        }
    };
    HttpServer server(std::move(server_options), [&router](HttpRequest& request) { return router.Handle(request); });
    server.Start();
    processor.Start();
    // Several nodes on one database: another node's new message wakes this one's processor.
    const std::unique_ptr<WorkWatch> new_work = store->WatchNewWork([&processor] { processor.Wake(); });
    Retention retention(*store, clock, RetentionOptions{.days = config.retention_days});
    retention.Start();
    if (config.retention_days > 0) {
        spdlog::info("retention: finished messages and webhook events older than {} days are deleted hourly",
                     config.retention_days);
    }

    int signal_number = 0;
    sigwait(&signals, &signal_number);
    spdlog::info("received {}, shutting down: no new connections, finishing requests in progress",
                 signal_number == SIGTERM ? "SIGTERM" : "SIGINT");
    server.Stop(std::chrono::milliseconds(config.shutdown_grace_ms));
    retention.Stop();
    processor.Stop();
    spdlog::info("shutdown complete; queue depth {}", store->QueueDepth());
    return 0;
}

}  // namespace notify
