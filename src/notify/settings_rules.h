#pragma once

#include <nlohmann/json_fwd.hpp>

#include "notify/model.h"

namespace notify {

// PUT /settings: applies the fields present in `patch`, validating each (invalid_field naming
// it). A field that is not a setting is unknown_field naming it (updated_at and updated_by, which
// GET shows, are accepted and ignored). Nothing is applied when any field is invalid or unknown.
Settings ApplySettingsPatch(Settings settings, const nlohmann::json& patch);

nlohmann::json SettingsToJson(const Settings& settings);

}  // namespace notify
