#pragma once

// `notifyd doctor`: the rules that turn facts gathered about a deployment into one verdict per
// check. Pure: the command (commands.cpp) does the I/O and hands the facts in, so every rule is
// unit-tested without a store, a disk or a network.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "app/config.h"
#include "notify/model.h"
#include "notify/template_sync.h"
#include "store/store.h"

namespace notify {

enum class CheckStatus { kOk, kWarn, kFail };

struct DoctorCheck {
    std::string name;  // e.g. "store", "provider"
    CheckStatus status = CheckStatus::kOk;
    std::string detail;  // what was found
    std::string hint;    // how to fix it; empty when there is nothing to do
};

// The configuration: `error` is ConfigError's text, which starts with the setting's name.
DoctorCheck CheckConfiguration(const std::optional<std::string>& error);

// The store: `open_error` when it would not open or answer; otherwise its migrations.
DoctorCheck CheckStore(const std::optional<std::string>& open_error, const std::vector<MigrationState>& migrations);

struct DiskFacts {
    std::string directory;
    std::optional<std::string> error;  // the directory could not be examined
    bool writable = false;
    std::uint64_t available_bytes = 0;
};
inline constexpr std::uint64_t kDiskWarnBytes = 1ULL << 30;             // 1 GiB
inline constexpr std::uint64_t kDiskFailBytes = 100ULL * (1ULL << 20);  // 100 MiB
DoctorCheck CheckDisk(const DiskFacts& facts);

// What GET {base}/chat/templates?limit=1 gave: an HTTP status, or the transport error.
struct ProviderProbeFacts {
    long http_status = 0;  // 0: no HTTP answer
    std::string error;     // set when there was no HTTP answer (connection, TLS, timeout)
};
// Sandbox: a warning. MyOperator: credentials present, then the probe (nullopt: not made, because
// credentials are missing).
std::vector<DoctorCheck> CheckProvider(const Config& config, const std::optional<ProviderProbeFacts>& probe);

// The webhook secret, and every secret long enough not to mangle log lines when redacted.
std::vector<DoctorCheck> CheckSecrets(const Config& config);
inline constexpr std::size_t kShortSecret = 16;

DoctorCheck CheckAdminTokens(bool admin_token_set, std::size_t stored_admin_tokens);
DoctorCheck CheckTimeZone(bool kolkata_known);
std::vector<DoctorCheck> CheckSettings(const Settings& settings);
DoctorCheck CheckTemplates(const std::vector<Template>& templates);

// MyOperator's template listing as the doctor got it: the templates, or why it could not be read.
struct TemplateListingFacts {
    std::vector<RemoteTemplate> templates;
    std::string error;  // set when the listing could not be read
};
// "templates approved": every language of every enabled template approved at MyOperator with the
// same number of variables (notify/template_sync.h). The sandbox skips it with a warning, as it
// does the provider; `listing` is nullopt when MyOperator was not asked (credentials missing, or
// the provider probe failed), which fails: nothing says the templates can be sent.
// The line names at most kTemplateDifferencesListed differences, then says how many more.
inline constexpr std::size_t kTemplateDifferencesListed = 5;
DoctorCheck CheckTemplatesApproved(const Config& config, const std::vector<Template>& templates,
                                   const std::optional<TemplateListingFacts>& listing);

// The ten message types of the contract, each of which needs its template.
const std::vector<std::string>& ExpectedTemplateNames();

// True when no check failed (warnings pass).
bool DoctorPassed(const std::vector<DoctorCheck>& checks);
std::string_view ToString(CheckStatus status);
// "FAIL  store: 2 migration(s) pending — fix: run `notifyd migrate`"
std::string FormatCheckLine(const DoctorCheck& check);
// {"ok": bool, "checks": [{"name", "status", "detail", "hint"}]}
nlohmann::json DoctorReportJson(const std::vector<DoctorCheck>& checks);

}  // namespace notify
