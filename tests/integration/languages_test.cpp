// Templates in several languages against the real binary and the fake MyOperator: what GET shows,
// the preview, PUT's checks, and the language a send reaches MyOperator with.
#include <gtest/gtest.h>

#include "harness.h"

namespace notify::testing {
namespace {

class LanguagesTest : public ::testing::Test {
protected:
    void SetUp() override {
        fake_.Start();
        service_ = std::make_unique<Notifyd>(fake_.ServiceEnv({{"PROVIDER_TIMEOUT_MS", "2000"}}));
        service_->Migrate();
        service_->Start();
    }

    // The data.context of the one request the fake got.
    nlohmann::json OnlySentContext() {
        const auto received = fake_.Requests();
        EXPECT_EQ(received["count"], 1) << received.dump();
        return received["requests"][0]["body"]["data"]["context"];
    }

    TempDir fake_dir_;
    FakeMyOperator fake_{fake_dir_.path()};
    std::unique_ptr<Notifyd> service_;
};

TEST_F(LanguagesTest, ATemplateShowsItsQuietHoursFlagAndItsEnglishAndHindiVariants) {
    const auto r = service_->Get("/templates/delivery_reminder");
    ASSERT_EQ(r.status, 200) << r.body;
    const auto body = r.Json();
    EXPECT_EQ(body["quiet_hours"], true);
    ASSERT_EQ(body["variants"].size(), 2u) << body.dump();
    EXPECT_EQ(body["variants"][0]["language"], "en");
    EXPECT_EQ(body["variants"][0]["body"], body["body"]);
    EXPECT_EQ(body["variants"][1]["language"], "hi");
    EXPECT_NE(body["variants"][1]["body"].get<std::string>().find("{{area}}"), std::string::npos);

    EXPECT_EQ(service_->Get("/templates/welcome").Json()["quiet_hours"], false);
    const nlohmann::json templates =
        service_->Get("/templates").Json();  // kept: a loop over a temporary's member dangles
    ASSERT_EQ(templates["items"].size(), 10u);
    for (const auto& t : templates["items"]) EXPECT_EQ(t["variants"].size(), 2u) << t["name"];
}

TEST_F(LanguagesTest, APreviewRendersTheRequestedVariant) {
    const nlohmann::json context = {{"customer_name", "Asha"}, {"delivery_date", "Jan 28"}, {"area", "Sector 21"}};
    const auto hi = service_->Post("/templates/delivery_reminder/preview", {{"context", context}, {"language", "hi"}});
    ASSERT_EQ(hi.status, 200) << hi.body;
    EXPECT_EQ(hi.Json()["language"], "hi");
    EXPECT_EQ(hi.Json()["body"], "नमस्ते Asha जी, Sector 21 में आपकी Jan 28 की डिलीवरी रास्ते में है।");
    EXPECT_EQ(hi.Json()["parameters"], (nlohmann::json{{"1", "Asha"}, {"2", "Jan 28"}, {"3", "Sector 21"}}));

    const auto fallback =
        service_->Post("/templates/delivery_reminder/preview", {{"context", context}, {"language", "ta"}});
    ASSERT_EQ(fallback.status, 200) << fallback.body;
    EXPECT_EQ(fallback.Json()["language"], "en");

    const auto bad =
        service_->Post("/templates/delivery_reminder/preview", {{"context", context}, {"language", "Hindi"}});
    EXPECT_EQ(bad.status, 400) << bad.body;
    EXPECT_EQ(bad.Json()["error"]["field"], "language");
}

TEST_F(LanguagesTest, ASendInHindiReachesMyOperatorWithLanguageHi) {
    nlohmann::json request = DeliveryReminder();
    request["language"] = "hi";
    const auto r = service_->Post("/send-message", request);
    ASSERT_EQ(r.status, 200) << r.body;
    const auto context = OnlySentContext();
    EXPECT_EQ(context["template_name"], "delivery_reminder");
    EXPECT_EQ(context["language"], "hi");
    EXPECT_EQ(context["body"], (nlohmann::json{{"1", "Test"}, {"2", "Jan 28"}, {"3", "Test"}}));
    EXPECT_EQ(service_->Get("/messages/" + r.Json()["id"].get<std::string>()).Json()["language"], "hi");
}

TEST_F(LanguagesTest, ASendInALanguageTheTemplateLacksGoesInEnglish) {
    nlohmann::json request = DeliveryReminder();
    request["language"] = "ta";
    ASSERT_EQ(service_->Post("/send-message", request).status, 200);
    EXPECT_EQ(OnlySentContext()["language"], "en");
}

TEST_F(LanguagesTest, ASendWithABadLanguageIsRefusedAndNothingIsSent) {
    nlohmann::json request = DeliveryReminder();
    request["language"] = "hi-IN";
    const auto r = service_->Post("/send-message", request);
    EXPECT_EQ(r.status, 400) << r.body;
    EXPECT_EQ(r.Json()["error"]["field"], "language");
    EXPECT_EQ(fake_.RequestCount(), 0);
}

TEST_F(LanguagesTest, PutReplacesTheVariantsAndRefusesBadOnes) {
    const auto put =
        service_->Put("/templates/welcome", {{"quiet_hours", true},
                                             {"variants",
                                              {{{"language", "hi"}, {"body", "नमस्ते {{customer_name}} जी!"}},
                                               {{"language", "mr"}, {"body", "नमस्कार {{customer_name}}!"}}}}});
    ASSERT_EQ(put.status, 200) << put.body;
    const auto got = service_->Get("/templates/welcome").Json();
    EXPECT_EQ(got["quiet_hours"], true);
    ASSERT_EQ(got["variants"].size(), 3u) << got.dump();
    EXPECT_EQ(got["variants"][0]["language"], "en");
    EXPECT_EQ(got["variants"][1]["body"], "नमस्ते {{customer_name}} जी!");
    EXPECT_EQ(got["variants"][2]["language"], "mr");

    for (const nlohmann::json& bad : {nlohmann::json{{"variants", {{"hi", "नमस्ते"}}}},
                                      nlohmann::json{{"variants", {{{"language", "hi"}, {"body", "नमस्ते {{amount}}"}}}}},
                                      nlohmann::json{{"variants", {{{"language", "HI"}, {"body", "नमस्ते"}}}}}}) {
        const auto r = service_->Put("/templates/welcome", bad);
        EXPECT_EQ(r.status, 400) << bad.dump() << " " << r.body;
        EXPECT_EQ(r.Json()["error"]["field"], "variants") << r.body;
    }
    EXPECT_EQ(service_->Get("/templates/welcome").Json(), got);  // refused edits changed nothing
}

}  // namespace
}  // namespace notify::testing
