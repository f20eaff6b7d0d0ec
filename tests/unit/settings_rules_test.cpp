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

TEST(ApplySettingsPatch, QuietHoursAreOffAndTheCutoffIsTenByDefault) {
    const Settings s;
    EXPECT_EQ(s.quiet_hours, std::nullopt);
    EXPECT_EQ(s.order_cutoff_minute, 22 * 60);
}

TEST(ApplySettingsPatch, SetsQuietHours) {
    const Settings s =
        ApplySettingsPatch(Defaults(), json::parse(R"({"quiet_hours": {"start": "21:00", "end": "07:00"}})"));
    EXPECT_EQ(s.quiet_hours, (QuietHours{21 * 60, 7 * 60}));
    const Settings afternoon =
        ApplySettingsPatch(s, json::parse(R"({"quiet_hours": {"end": "15:30", "start": "13:05"}})"));
    EXPECT_EQ(afternoon.quiet_hours, (QuietHours{13 * 60 + 5, 15 * 60 + 30}));
}

TEST(ApplySettingsPatch, NullTurnsQuietHoursOff) {
    Settings before;
    before.quiet_hours = QuietHours{21 * 60, 7 * 60};
    EXPECT_EQ(ApplySettingsPatch(before, json::parse(R"({"quiet_hours": null})")).quiet_hours, std::nullopt);
    // Absent is not null: other changes keep them.
    EXPECT_EQ(ApplySettingsPatch(before, json{{"paused", true}}).quiet_hours, before.quiet_hours);
}

TEST(ApplySettingsPatch, RejectsMalformedQuietHoursNamingThem) {
    for (const char* patch : {
             R"({"quiet_hours": {"start": "21:00"}})",
             R"({"quiet_hours": {"end": "07:00"}})",
             R"({"quiet_hours": {}})",
             R"({"quiet_hours": {"start": "21:00", "end": "07:00", "zone": "Asia/Kolkata"}})",
             R"({"quiet_hours": {"start": "21:00", "stop": "07:00"}})",
             R"({"quiet_hours": {"start": "21:00", "end": "7:00"}})",
             R"({"quiet_hours": {"start": "24:00", "end": "07:00"}})",
             R"({"quiet_hours": {"start": 1260, "end": 420}})",
             R"({"quiet_hours": {"start": "21:00", "end": null}})",
             R"({"quiet_hours": {"start": "21:00", "end": "21:00"}})",
             R"({"quiet_hours": "21:00-07:00"})",
             R"({"quiet_hours": ["21:00", "07:00"]})",
             R"({"quiet_hours": false})",
         }) {
        SCOPED_TRACE(patch);
        EXPECT_INVALID_INPUT(ApplySettingsPatch(Defaults(), json::parse(patch)), "invalid_field", "quiet_hours");
    }
}

TEST(ApplySettingsPatch, SetsTheOrderCutoff) {
    EXPECT_EQ(ApplySettingsPatch(Defaults(), json{{"order_cutoff", "20:30"}}).order_cutoff_minute, 20 * 60 + 30);
    EXPECT_EQ(ApplySettingsPatch(Defaults(), json{{"order_cutoff", "00:00"}}).order_cutoff_minute, 0);
    EXPECT_EQ(ApplySettingsPatch(Defaults(), json{{"order_cutoff", "23:59"}}).order_cutoff_minute, 23 * 60 + 59);
}

TEST(ApplySettingsPatch, RejectsAnOrderCutoffThatIsNotHHMM) {
    for (const json& value : {json("24:00"), json("9:00"), json("21:00:00"), json(""), json(1320), json(nullptr),
                              json::object({{"hour", 22}})}) {
        SCOPED_TRACE(value.dump());
        EXPECT_INVALID_INPUT(ApplySettingsPatch(Defaults(), json{{"order_cutoff", value}}), "invalid_field",
                             "order_cutoff");
    }
}

TEST(ApplySettingsPatch, InvalidQuietHoursChangeNothingElse) {
    Settings result = Defaults();
    try {
        result =
            ApplySettingsPatch(Defaults(), json::parse(R"({"order_cutoff": "20:00", "quiet_hours": {"start": "x"}})"));
        FAIL() << "expected invalid_field";
    } catch (const Error& e) {
        EXPECT_EQ(e.field(), "quiet_hours");
    }
    EXPECT_EQ(result.order_cutoff_minute, 22 * 60);
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
    EXPECT_TRUE(j.at("quiet_hours").is_null());
    EXPECT_EQ(j.at("order_cutoff"), "22:00");
}

TEST(SettingsToJson, WritesQuietHoursAndTheCutoffAsClockTimes) {
    Settings s;
    s.quiet_hours = QuietHours{21 * 60, 7 * 60 + 5};
    s.order_cutoff_minute = 20 * 60 + 30;
    const json j = SettingsToJson(s);
    EXPECT_EQ(j.at("quiet_hours"), json::parse(R"({"start": "21:00", "end": "07:05"})"));
    EXPECT_EQ(j.at("order_cutoff"), "20:30");
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
    EXPECT_EQ(back.quiet_hours, s.quiet_hours);
    EXPECT_EQ(back.order_cutoff_minute, s.order_cutoff_minute);
}

TEST(SettingsToJson, QuietHoursAndTheCutoffRoundTripThroughThePatch) {
    Settings s;
    s.quiet_hours = QuietHours{22 * 60 + 15, 6 * 60 + 45};
    s.order_cutoff_minute = 21 * 60;
    const Settings back = ApplySettingsPatch(Settings{}, SettingsToJson(s));
    EXPECT_EQ(back.quiet_hours, s.quiet_hours);
    EXPECT_EQ(back.order_cutoff_minute, s.order_cutoff_minute);
}

}  // namespace
}  // namespace notify
