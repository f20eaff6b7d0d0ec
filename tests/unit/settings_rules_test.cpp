#include "notify/settings_rules.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "common/errors.h"
#include "expect_invalid_input.h"

namespace notify {
namespace {

using nlohmann::json;

Settings Defaults() { return Settings{}; }

TEST(ApplySettingsPatch, DefaultsAreEnabledUnpausedFullRollout) {
    const Settings s;
    EXPECT_TRUE(s.enabled);
    EXPECT_FALSE(s.paused);
    EXPECT_EQ(s.rollout_percent, 100);
    EXPECT_EQ(s.recipient_min_gap_seconds, 0);
}

TEST(ApplySettingsPatch, EmptyPatchChangesNothing) {
    const Settings s = ApplySettingsPatch(Defaults(), json::object());
    EXPECT_TRUE(s.enabled);
    EXPECT_FALSE(s.paused);
    EXPECT_EQ(s.rollout_percent, 100);
    EXPECT_EQ(s.recipient_min_gap_seconds, 0);
}

TEST(ApplySettingsPatch, ChangesOnlyTheFieldsPresent) {
    Settings before;
    before.enabled = false;
    before.rollout_percent = 30;
    before.recipient_min_gap_seconds = 60;
    const Settings after = ApplySettingsPatch(before, json{{"paused", true}});
    EXPECT_TRUE(after.paused);
    EXPECT_FALSE(after.enabled);
    EXPECT_EQ(after.rollout_percent, 30);
    EXPECT_EQ(after.recipient_min_gap_seconds, 60);
}

TEST(ApplySettingsPatch, AppliesEveryField) {
    const Settings s = ApplySettingsPatch(
        Defaults(),
        json{{"enabled", false}, {"paused", true}, {"rollout_percent", 25}, {"recipient_min_gap_seconds", 3600}});
    EXPECT_FALSE(s.enabled);
    EXPECT_TRUE(s.paused);
    EXPECT_EQ(s.rollout_percent, 25);
    EXPECT_EQ(s.recipient_min_gap_seconds, 3600);
}

TEST(ApplySettingsPatch, RejectsAnUnknownFieldNamingIt) {
    EXPECT_INVALID_INPUT(ApplySettingsPatch(Defaults(), json{{"pasued", true}}), "unknown_field", "pasued");
    EXPECT_INVALID_INPUT(ApplySettingsPatch(Defaults(), json{{"colour", "blue"}}), "unknown_field", "colour");
}

TEST(ApplySettingsPatch, AnUnknownFieldBesideAValidOneChangesNothing) {
    const Settings before = Defaults();
    Settings result = before;
    try {
        result = ApplySettingsPatch(before, json{{"paused", true}, {"rollout_precent", 10}});
        FAIL() << "expected unknown_field";
    } catch (const Error& e) {
        EXPECT_EQ(e.code(), "unknown_field");
        EXPECT_EQ(e.field(), "rollout_precent");
    }
    EXPECT_FALSE(result.paused);
    EXPECT_EQ(result.rollout_percent, 100);
}

TEST(ApplySettingsPatch, AcceptsAndIgnoresTheReadOnlyFieldsGetShows) {
    const Settings s = ApplySettingsPatch(Defaults(), json{{"updated_by", "mallory"}, {"updated_at", "2026-01-01"}});
    EXPECT_TRUE(s.enabled);
    EXPECT_EQ(s.updated_by, "");
    EXPECT_EQ(s.updated_at, 0);
}

TEST(ApplySettingsPatch, RejectsANonObjectBody) {
    EXPECT_INVALID_INPUT(ApplySettingsPatch(Defaults(), json::array()), "invalid_body", "");
    EXPECT_INVALID_INPUT(ApplySettingsPatch(Defaults(), json()), "invalid_body", "");
    EXPECT_INVALID_INPUT(ApplySettingsPatch(Defaults(), json(true)), "invalid_body", "");
}

TEST(ApplySettingsPatch, RejectsNonBooleanFlags) {
    EXPECT_INVALID_INPUT(ApplySettingsPatch(Defaults(), json{{"enabled", "true"}}), "invalid_field", "enabled");
    EXPECT_INVALID_INPUT(ApplySettingsPatch(Defaults(), json{{"enabled", 1}}), "invalid_field", "enabled");
    EXPECT_INVALID_INPUT(ApplySettingsPatch(Defaults(), json{{"paused", nullptr}}), "invalid_field", "paused");
}

TEST(ApplySettingsPatch, AcceptsRolloutBounds) {
    EXPECT_EQ(ApplySettingsPatch(Defaults(), json{{"rollout_percent", 0}}).rollout_percent, 0);
    EXPECT_EQ(ApplySettingsPatch(Defaults(), json{{"rollout_percent", 100}}).rollout_percent, 100);
}

TEST(ApplySettingsPatch, RejectsRolloutOutsideZeroToHundred) {
    EXPECT_INVALID_INPUT(ApplySettingsPatch(Defaults(), json{{"rollout_percent", -1}}), "invalid_field",
                         "rollout_percent");
    EXPECT_INVALID_INPUT(ApplySettingsPatch(Defaults(), json{{"rollout_percent", 101}}), "invalid_field",
                         "rollout_percent");
}

TEST(ApplySettingsPatch, RejectsNonIntegerRollout) {
    EXPECT_INVALID_INPUT(ApplySettingsPatch(Defaults(), json{{"rollout_percent", 50.5}}), "invalid_field",
                         "rollout_percent");
    EXPECT_INVALID_INPUT(ApplySettingsPatch(Defaults(), json{{"rollout_percent", "50"}}), "invalid_field",
                         "rollout_percent");
    EXPECT_INVALID_INPUT(ApplySettingsPatch(Defaults(), json{{"rollout_percent", nullptr}}), "invalid_field",
                         "rollout_percent");
}

TEST(ApplySettingsPatch, RejectsHugeIntegersThatWouldWrap) {
    EXPECT_INVALID_INPUT(ApplySettingsPatch(Defaults(), json{{"rollout_percent", 4294967346LL}}), "invalid_field",
                         "rollout_percent");  // 2^32 + 50
    EXPECT_INVALID_INPUT(ApplySettingsPatch(Defaults(), json::parse(R"({"rollout_percent": 18446744073709551615})")),
                         "invalid_field", "rollout_percent");
}

TEST(ApplySettingsPatch, ValidatesRecipientMinGap) {
    EXPECT_EQ(ApplySettingsPatch(Defaults(), json{{"recipient_min_gap_seconds", 86400}}).recipient_min_gap_seconds,
              86400);
    EXPECT_INVALID_INPUT(ApplySettingsPatch(Defaults(), json{{"recipient_min_gap_seconds", 86401}}), "invalid_field",
                         "recipient_min_gap_seconds");
    EXPECT_INVALID_INPUT(ApplySettingsPatch(Defaults(), json{{"recipient_min_gap_seconds", -1}}), "invalid_field",
                         "recipient_min_gap_seconds");
}

TEST(ApplySettingsPatch, AppliesNothingWhenAnyFieldIsInvalid) {
    const Settings before = Defaults();
    Settings result = before;
    try {
        result = ApplySettingsPatch(before, json{{"paused", true}, {"rollout_percent", 500}});
        FAIL() << "expected invalid_field";
    } catch (const Error& e) {
        EXPECT_EQ(e.field(), "rollout_percent");
    }
    EXPECT_FALSE(result.paused);
}

// ---------------------------------------------------------------------------------------------
// SettingsToJson

TEST(SettingsToJson, WritesEveryField) {
    Settings s;
    s.enabled = false;
    s.paused = true;
    s.rollout_percent = 40;
    s.recipient_min_gap_seconds = 120;
    s.updated_at = 1764082498123;  // 2025-11-25T14:54:58.123Z
    s.updated_by = "ops";
    const json j = SettingsToJson(s);
    EXPECT_EQ(j.at("enabled"), false);
    EXPECT_EQ(j.at("paused"), true);
    EXPECT_EQ(j.at("rollout_percent"), 40);
    EXPECT_EQ(j.at("recipient_min_gap_seconds"), 120);
    EXPECT_EQ(j.at("updated_at"), "2025-11-25T14:54:58.123Z");
    EXPECT_EQ(j.at("updated_by"), "ops");
}

TEST(SettingsToJson, NeverUpdatedIsNull) {
    const json j = SettingsToJson(Settings{});
    EXPECT_TRUE(j.at("updated_at").is_null());
    EXPECT_TRUE(j.at("updated_by").is_null());
}

TEST(SettingsToJson, RoundTripsThroughThePatch) {
    Settings s;
    s.paused = true;
    s.rollout_percent = 10;
    const Settings back = ApplySettingsPatch(Settings{}, SettingsToJson(s));
    EXPECT_EQ(back.paused, s.paused);
    EXPECT_EQ(back.enabled, s.enabled);
    EXPECT_EQ(back.rollout_percent, s.rollout_percent);
    EXPECT_EQ(back.recipient_min_gap_seconds, s.recipient_min_gap_seconds);
}

}  // namespace
}  // namespace notify
