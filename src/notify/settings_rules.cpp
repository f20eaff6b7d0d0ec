#include "notify/settings_rules.h"

#include <algorithm>
#include <array>
#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>

#include "business/local_time.h"
#include "common/errors.h"
#include "common/time_format.h"
#include "notify/cost.h"

namespace notify {
namespace {

bool ReadBool(const nlohmann::json& patch, const char* key, bool current) {
    if (!patch.contains(key)) return current;
    if (!patch[key].is_boolean()) throw InvalidInput("invalid_field", std::string(key) + " must be true or false", key);
    return patch[key].get<bool>();
}

int ReadInt(const nlohmann::json& patch, const char* key, int current, int min, int max) {
    if (!patch.contains(key)) return current;
    const auto& v = patch[key];
    if (!v.is_number_integer() || v.get<long long>() < min || v.get<long long>() > max) {
        throw InvalidInput(
            "invalid_field",
            std::string(key) + " must be a whole number from " + std::to_string(min) + " to " + std::to_string(max),
            key);
    }
    return v.get<int>();
}

// A JSON clock time ("21:00") as minutes after midnight; nullopt when it is not one.
std::optional<int> ClockTimeValue(const nlohmann::json& value) {
    return value.is_string() ? ParseClockTime(value.get_ref<const std::string&>()) : std::nullopt;
}

int ReadClockTime(const nlohmann::json& patch, const char* key, int current) {
    if (!patch.contains(key)) return current;
    const std::optional<int> minute = ClockTimeValue(patch[key]);
    if (!minute) {
        throw InvalidInput("invalid_field", std::string(key) + " must be a time \"HH:MM\" (00:00 to 23:59)", key);
    }
    return *minute;
}

// null turns quiet hours off; {"start": "21:00", "end": "07:00"} sets them, crossing midnight when
// end is earlier than start.
std::optional<QuietHours> ReadQuietHours(const nlohmann::json& patch, std::optional<QuietHours> current) {
    constexpr const char* kKey = "quiet_hours";
    if (!patch.contains(kKey)) return current;
    const auto& v = patch[kKey];
    if (v.is_null()) return std::nullopt;
    const auto refuse = [](const std::string& why) {
        return InvalidInput("invalid_field", std::string(kKey) + " " + why, kKey);
    };
    const std::string shape = "must be null or {\"start\": \"HH:MM\", \"end\": \"HH:MM\"}";
    if (!v.is_object() || v.size() != 2 || !v.contains("start") || !v.contains("end")) throw refuse(shape);
    const auto clock_time = [&](const char* name) {
        const std::optional<int> minute = ClockTimeValue(v[name]);
        if (!minute) throw refuse(shape);
        return *minute;
    };
    const QuietHours window{clock_time("start"), clock_time("end")};
    // An empty window would hold nothing, or by the crossing rule everything, for ever: neither is meant.
    if (window.start_minute == window.end_minute) throw refuse("start and end must differ");
    return window;
}

// What PUT may change, and what GET shows but only the service sets (a client that sends back what it
// read is not mistaken; the values are ignored).
constexpr std::array<std::string_view, 7> kWritableFields = {
    "enabled",     "paused",       "rollout_percent", "recipient_min_gap_seconds",
    "quiet_hours", "order_cutoff", "message_prices"};
constexpr std::array<std::string_view, 2> kReadOnlyFields = {"updated_at", "updated_by"};

bool IsKnownField(std::string_view name) {
    return std::find(kWritableFields.begin(), kWritableFields.end(), name) != kWritableFields.end() ||
           std::find(kReadOnlyFields.begin(), kReadOnlyFields.end(), name) != kReadOnlyFields.end();
}

}  // namespace

Settings ApplySettingsPatch(Settings settings, const nlohmann::json& patch) {
    if (!patch.is_object()) throw InvalidInput("invalid_body", "request body must be a JSON object");
    // A misspelt field ("pasued") silently ignored would leave the service doing what the operator
    // meant to stop: refuse it, naming it, before anything is applied.
    for (const auto& [name, value] : patch.items()) {
        if (!IsKnownField(name)) {
            std::string known;
            for (std::string_view field : kWritableFields) known += (known.empty() ? "" : ", ") + std::string(field);
            throw InvalidInput("unknown_field", "unknown setting \"" + name + "\"; the settings are " + known, name);
        }
    }
    settings.enabled = ReadBool(patch, "enabled", settings.enabled);
    settings.paused = ReadBool(patch, "paused", settings.paused);
    settings.rollout_percent = ReadInt(patch, "rollout_percent", settings.rollout_percent, 0, 100);
    settings.recipient_min_gap_seconds =
        ReadInt(patch, "recipient_min_gap_seconds", settings.recipient_min_gap_seconds, 0, 86400);
    settings.quiet_hours = ReadQuietHours(patch, settings.quiet_hours);
    settings.order_cutoff_minute = ReadClockTime(patch, "order_cutoff", settings.order_cutoff_minute);
    if (const auto prices = patch.find("message_prices"); prices != patch.end()) {
        settings.message_prices = ParsePriceTable(*prices);
    }
    return settings;
}

nlohmann::json SettingsToJson(const Settings& settings) {
    nlohmann::json out = {
        {"enabled", settings.enabled},
        {"paused", settings.paused},
        {"rollout_percent", settings.rollout_percent},
        {"recipient_min_gap_seconds", settings.recipient_min_gap_seconds},
        {"quiet_hours", settings.quiet_hours
                            ? nlohmann::json{{"start", FormatClockTime(settings.quiet_hours->start_minute)},
                                             {"end", FormatClockTime(settings.quiet_hours->end_minute)}}
                            : nlohmann::json()},
        {"order_cutoff", FormatClockTime(settings.order_cutoff_minute)},
        {"message_prices", PriceTableToJson(settings.message_prices)},
        {"updated_at", settings.updated_at ? nlohmann::json(FormatIsoTime(settings.updated_at)) : nlohmann::json()},
        {"updated_by", settings.updated_by.empty() ? nlohmann::json() : nlohmann::json(settings.updated_by)},
    };
    return out;
}

}  // namespace notify
