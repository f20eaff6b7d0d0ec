#include "notify/settings_rules.h"

#include <nlohmann/json.hpp>

#include "common/errors.h"
#include "common/time_format.h"

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
        throw InvalidInput("invalid_field",
                           std::string(key) + " must be a whole number from " + std::to_string(min) + " to " +
                               std::to_string(max),
                           key);
    }
    return v.get<int>();
}

}  // namespace

Settings ApplySettingsPatch(Settings settings, const nlohmann::json& patch) {
    if (!patch.is_object()) throw InvalidInput("invalid_body", "request body must be a JSON object");
    settings.enabled = ReadBool(patch, "enabled", settings.enabled);
    settings.paused = ReadBool(patch, "paused", settings.paused);
    settings.rollout_percent = ReadInt(patch, "rollout_percent", settings.rollout_percent, 0, 100);
    settings.recipient_min_gap_seconds =
        ReadInt(patch, "recipient_min_gap_seconds", settings.recipient_min_gap_seconds, 0, 86400);
    return settings;
}

nlohmann::json SettingsToJson(const Settings& settings) {
    nlohmann::json out = {
        {"enabled", settings.enabled},
        {"paused", settings.paused},
        {"rollout_percent", settings.rollout_percent},
        {"recipient_min_gap_seconds", settings.recipient_min_gap_seconds},
        {"updated_at", settings.updated_at ? nlohmann::json(FormatIsoTime(settings.updated_at)) : nlohmann::json()},
        {"updated_by", settings.updated_by.empty() ? nlohmann::json() : nlohmann::json(settings.updated_by)},
    };
    return out;
}

}  // namespace notify
