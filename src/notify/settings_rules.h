#pragma once

#include <nlohmann/json_fwd.hpp>

#include "notify/model.h"

namespace notify {

// PUT /settings: applies the fields present in `patch`, validating each (invalid_field naming
// it); unknown fields are ignored. Nothing is applied when any field is invalid.
Settings ApplySettingsPatch(Settings settings, const nlohmann::json& patch);

nlohmann::json SettingsToJson(const Settings& settings);

}  // namespace notify
