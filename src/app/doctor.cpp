#include "app/doctor.h"

#include <algorithm>
#include <cstdio>

#include "business/local_time.h"

namespace notify {
namespace {

DoctorCheck Ok(std::string name, std::string detail) {
    return {std::move(name), CheckStatus::kOk, std::move(detail), ""};
}
DoctorCheck Warn(std::string name, std::string detail, std::string hint) {
    return {std::move(name), CheckStatus::kWarn, std::move(detail), std::move(hint)};
}
DoctorCheck Fail(std::string name, std::string detail, std::string hint) {
    return {std::move(name), CheckStatus::kFail, std::move(detail), std::move(hint)};
}

// "a" + "b" -> "a, b": the names a line lists.
void AddToList(std::string& list, const std::string& item) {
    if (!list.empty()) list += ", ";
    list += item;
}

std::string Mebibytes(std::uint64_t bytes) {
    char text[32];
    std::snprintf(text, sizeof text, "%.0f MiB", static_cast<double>(bytes) / (1024.0 * 1024.0));
    return text;
}

}  // namespace

DoctorCheck CheckConfiguration(const std::optional<std::string>& error) {
    if (!error) return Ok("configuration", "every setting is valid");
    // ConfigError's text starts with the setting's name ("PORT: must be ..."): that is the line.
    return Fail("configuration", *error,
                "fix that setting in .env or the environment (docs/configuration.md); the other checks need a valid "
                "configuration");
}

DoctorCheck CheckStore(const std::optional<std::string>& open_error, const std::vector<MigrationState>& migrations) {
    if (open_error) {
        return Fail("store", "the store did not open or answer: " + *open_error,
                    "check DATABASE_URL and that the file and its directory belong to the service's user");
    }
    std::vector<std::string> pending;
    for (const auto& m : migrations) {
        if (!m.applied) pending.push_back(m.name);
    }
    if (!pending.empty()) {
        // A fresh database has all of them pending: the first and the last say enough.
        std::string names = pending.front();
        if (pending.size() == 2) names += ", " + pending.back();
        if (pending.size() > 2) names += " to " + pending.back();
        return Fail("store", std::to_string(pending.size()) + " migration(s) pending: " + names,
                    "run `notifyd migrate` (serve refuses to start until then)");
    }
    return Ok("store", "opens and answers; all " + std::to_string(migrations.size()) + " migrations applied");
}

DoctorCheck CheckDisk(const DiskFacts& facts) {
    const std::string where = facts.directory.empty() ? "." : facts.directory;
    if (facts.error) {
        return Fail("disk", "cannot examine " + where + ": " + *facts.error,
                    "create the directory and give it to the service's user");
    }
    if (!facts.writable) {
        return Fail("disk", where + " is not writable", "the service's user must be able to write there (WAL files)");
    }
    const std::string free_text = Mebibytes(facts.available_bytes) + " free in " + where;
    if (facts.available_bytes < kDiskFailBytes) {
        return Fail("disk", free_text + " (under 100 MiB): writes will soon be refused", "free disk space");
    }
    if (facts.available_bytes < kDiskWarnBytes) {
        return Warn("disk", free_text + " (under 1 GiB)", "free disk space or lower RETENTION_DAYS");
    }
    return Ok("disk", free_text + ", writable");
}

std::vector<DoctorCheck> CheckProvider(const Config& config, const std::optional<ProviderProbeFacts>& probe) {
    if (config.provider != "myoperator") {
        return {Warn("provider", "sandbox: nothing is sent to WhatsApp",
                     "set NOTIFY_PROVIDER=myoperator and the MYOPERATOR_* credentials to send for real")};
    }
    std::vector<DoctorCheck> checks;
    std::vector<std::string> missing;
    if (config.myoperator.api_key.empty()) missing.push_back("MYOPERATOR_API_KEY");
    if (config.myoperator.company_id.empty()) missing.push_back("MYOPERATOR_ACCOUNT_ID");
    if (config.myoperator.phone_number_id.empty()) missing.push_back("MYOPERATOR_WHATSAPP_NUMBER");
    if (!missing.empty()) {
        std::string names;
        for (const auto& name : missing) AddToList(names, name);
        checks.push_back(Fail("provider credentials", "missing: " + names, "set them from MyOperator's panel"));
        return checks;
    }
    checks.push_back(Ok("provider credentials", "API key, account id and WhatsApp number are set"));
    if (!probe) return checks;
    const std::string target = "GET " + config.myoperator.base_url + "/chat/templates";
    if (probe->http_status == 0) {
        checks.push_back(Fail(
            "provider",
            target + " got no answer within " + std::to_string(config.provider_timeout_ms) + " ms: " + probe->error,
            "check MYOPERATOR_BASE_URL, DNS, the firewall and outbound HTTPS from this host"));
    } else if (probe->http_status == 401 || probe->http_status == 403) {
        checks.push_back(Fail("provider",
                              "credentials refused: " + target + " answered " + std::to_string(probe->http_status),
                              "check MYOPERATOR_API_KEY and MYOPERATOR_ACCOUNT_ID in MyOperator's panel"));
    } else {
        // Any other answer shows the base URL is reachable; only 401/403 says the key is wrong.
        checks.push_back(Ok("provider", target + " answered " + std::to_string(probe->http_status)));
    }
    return checks;
}

std::vector<DoctorCheck> CheckSecrets(const Config& config) {
    std::vector<DoctorCheck> checks;
    if (!config.webhook_secret) {
        if (config.provider == "myoperator") {
            checks.push_back(Fail("webhook secret", "MYOPERATOR_API_SECRET is not set: status webhooks are refused",
                                  "set MYOPERATOR_API_SECRET to the secret configured for webhooks in MyOperator"));
        } else {
            checks.push_back(Warn("webhook secret", "MYOPERATOR_API_SECRET is not set: status webhooks are refused",
                                  "set it before switching to MyOperator"));
        }
    } else {
        checks.push_back(Ok("webhook secret", "MYOPERATOR_API_SECRET is set"));
    }
    const std::vector<std::pair<std::string, std::optional<std::string>>> secrets = {
        {"MYOPERATOR_API_KEY",
         config.myoperator.api_key.empty() ? std::nullopt : std::optional<std::string>(config.myoperator.api_key)},
        {"MYOPERATOR_API_SECRET", config.webhook_secret},
        {"ADMIN_TOKEN", config.admin_token},
        {"METRICS_TOKEN", config.metrics_token},
    };
    std::string short_ones;
    for (const auto& [name, value] : secrets) {
        if (value && value->size() < kShortSecret) AddToList(short_ones, name);
    }
    if (!short_ones.empty()) {
        // The redactor replaces every occurrence: a key "k" turns "worker" into "wor[REDACTED]er".
        checks.push_back(Warn("secret length",
                              short_ones + " shorter than 16 characters: easy to guess, and its redaction mangles "
                                           "ordinary words in log lines",
                              "use at least 16 random characters"));
    }
    return checks;
}

DoctorCheck CheckAdminTokens(bool admin_token_set, std::size_t stored_admin_tokens) {
    if (admin_token_set) return Ok("admin token", "ADMIN_TOKEN is set");
    if (stored_admin_tokens > 0)
        return Ok("admin token", std::to_string(stored_admin_tokens) + " stored admin token(s)");
    return Warn("admin token", "no ADMIN_TOKEN and no stored admin token: nobody can change settings or templates",
                "notifyd token create --role admin --name NAME");
}

DoctorCheck CheckTimeZone(bool kolkata_known) {
    const std::string zone(kDefaultTimeZone);
    if (kolkata_known) return Ok("time zone", zone + " is in the time zone database");
    return Fail("time zone",
                zone + " is not in the time zone database: delivery dates and quiet hours cannot be computed",
                "apt-get install tzdata");
}

std::vector<DoctorCheck> CheckSettings(const Settings& settings) {
    std::vector<DoctorCheck> checks;
    if (!settings.enabled) {
        checks.push_back(Warn("settings", "enabled is false: new messages are refused (409 notifications_disabled)",
                              "PUT /api/notifications/settings {\"enabled\": true} when ready"));
    }
    if (settings.paused) {
        checks.push_back(Warn("settings", "paused is true: messages are accepted and queued, nothing is sent",
                              "PUT /api/notifications/settings {\"paused\": false} to send what waits"));
    }
    if (settings.rollout_percent == 0) {
        checks.push_back(Warn("settings", "rollout_percent is 0: business events send no message",
                              "PUT /api/notifications/settings {\"rollout_percent\": N} to start the rollout"));
    }
    if (checks.empty()) {
        checks.push_back(
            Ok("settings", "enabled, not paused, rollout at " + std::to_string(settings.rollout_percent) + "%"));
    }
    return checks;
}

const std::vector<std::string>& ExpectedTemplateNames() {
    static const std::vector<std::string> kNames = {
        "welcome",          "order_confirmation", "delivery_reminder",    "delivery_completed",  "delivery_missed",
        "payment_reminder", "payment_received",   "subscription_created", "subscription_paused", "subscription_resumed",
    };
    return kNames;
}

DoctorCheck CheckTemplates(const std::vector<Template>& templates) {
    std::string missing;
    std::string disabled;
    for (const auto& name : ExpectedTemplateNames()) {
        const auto it =
            std::find_if(templates.begin(), templates.end(), [&](const Template& t) { return t.name == name; });
        if (it == templates.end()) {
            AddToList(missing, name);
        } else if (!it->enabled) {
            AddToList(disabled, name);
        }
    }
    if (!missing.empty()) {
        return Fail("templates", "missing: " + missing,
                    "run `notifyd migrate`, or restore the templates from a backup");
    }
    if (!disabled.empty()) {
        return Warn("templates", "disabled: " + disabled + " (their messages are refused)",
                    "PUT /api/notifications/templates/NAME {\"enabled\": true} for those that should send");
    }
    return Ok("templates", "all " + std::to_string(ExpectedTemplateNames().size()) + " present and enabled");
}

DoctorCheck CheckTemplatesApproved(const Config& config, const std::vector<Template>& templates,
                                   const std::optional<TemplateListingFacts>& listing) {
    const std::string name = "templates approved";
    if (config.provider != "myoperator") {
        return Warn(name, "skipped: the sandbox sends no templates to MyOperator",
                    "run `notifyd doctor` again once NOTIFY_PROVIDER=myoperator");
    }
    if (!listing) {
        return Fail(name, "not checked: MyOperator's template list was not read",
                    "fix the provider check above, then run `notifyd templates sync`");
    }
    if (!listing->error.empty()) {
        return Fail(name, "MyOperator's template list could not be read: " + listing->error,
                    "check the provider settings, then run `notifyd templates sync`");
    }
    std::size_t languages = 0;
    std::size_t enabled = 0;
    for (const auto& t : templates) {
        if (!t.enabled) continue;
        ++enabled;
        languages += t.variants.empty() ? 1 : t.variants.size();
    }
    std::string found;
    std::string fixes;
    std::size_t blocking = 0;
    std::size_t unused = 0;
    for (const auto& difference : CompareTemplates(templates, listing->templates)) {
        if (!BlocksSending(difference)) {
            ++unused;
            continue;
        }
        // One line stays readable: the first few, each with its fix; templates sync lists them all.
        if (++blocking > kTemplateDifferencesListed) continue;
        if (!found.empty()) found += "; ";
        found += DescribeDifference(difference);
        if (!fixes.empty()) fixes += "; ";
        fixes += FixForDifference(difference);
    }
    if (blocking > 0) {
        const std::string more = blocking > kTemplateDifferencesListed
                                     ? "; and " + std::to_string(blocking - kTemplateDifferencesListed) + " more"
                                     : "";
        return Fail(name,
                    std::to_string(blocking) + " of " + std::to_string(languages) +
                        " template language(s) cannot be sent: " + found + more,
                    fixes + " (`notifyd templates sync` lists " + (more.empty() ? "them" : "them all") + ")");
    }
    std::string detail = "all " + std::to_string(languages) + " language(s) of the " + std::to_string(enabled) +
                         " enabled templates approved at MyOperator with the same number of variables";
    if (unused > 0) detail += " (" + std::to_string(unused) + " more at MyOperator, unused here)";
    return Ok(name, detail);
}

bool DoctorPassed(const std::vector<DoctorCheck>& checks) {
    return std::none_of(checks.begin(), checks.end(),
                        [](const DoctorCheck& c) { return c.status == CheckStatus::kFail; });
}

std::string_view ToString(CheckStatus status) {
    switch (status) {
        case CheckStatus::kOk:
            return "ok";
        case CheckStatus::kWarn:
            return "warn";
        case CheckStatus::kFail:
            return "fail";
    }
    return "fail";
}

std::string FormatCheckLine(const DoctorCheck& check) {
    std::string status(ToString(check.status));
    std::transform(status.begin(), status.end(), status.begin(), [](unsigned char c) { return std::toupper(c); });
    std::string line = status + std::string(6 - status.size(), ' ') + check.name + ": " + check.detail;
    if (!check.hint.empty() && check.status != CheckStatus::kOk) line += "; fix: " + check.hint;
    return line;
}

nlohmann::json DoctorReportJson(const std::vector<DoctorCheck>& checks) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& c : checks) {
        list.push_back({{"name", c.name}, {"status", ToString(c.status)}, {"detail", c.detail}, {"hint", c.hint}});
    }
    return {{"ok", DoctorPassed(checks)}, {"checks", list}};
}

}  // namespace notify
