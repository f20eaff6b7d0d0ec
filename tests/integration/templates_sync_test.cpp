// `notifyd doctor`'s "templates approved" check and `notifyd templates sync`, run as the real binary
// against a migrated store and the fake MyOperator's scripted template listing.
#include <gtest/gtest.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "harness.h"

namespace notify::testing {
namespace {

using json = nlohmann::json;

std::vector<std::string> Lines(const std::string& output) {
    std::vector<std::string> lines;
    std::istringstream in(output);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

std::string LineStartingWith(const std::string& output, const std::string& prefix) {
    for (const auto& line : Lines(output)) {
        if (line.rfind(prefix, 0) == 0) return line;
    }
    return "";
}

// The lines of `templates sync` that report a difference, by their first word.
std::set<std::string> DifferenceLines(const std::string& output, const std::string& kind) {
    std::set<std::string> found;
    for (const auto& line : Lines(output)) {
        if (line.rfind(kind + " ", 0) == 0) found.insert(line);
    }
    return found;
}

bool Contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

class TemplatesSyncTest : public ::testing::Test {
protected:
    void SetUp() override {
        fake_.Start();  // first: the service's settings carry the fake's port
        service_ = std::make_unique<Notifyd>(fake_.ServiceEnv({{"LOG_LEVEL", "warn"}}));
        service_->Migrate();
    }

    // One template pending, one missing and one with another number of variables, and one more
    // at MyOperator that nothing here uses.
    void ScriptThreeDifferences() {
        json listing = json::array();
        for (auto entry : fake_.Templates()) {
            const std::string name = entry["name"];
            const std::string language = entry["language"];
            if (name == "payment_reminder" && language == "en") continue;  // missing
            if (name == "delivery_reminder" && language == "hi") entry["status"] = "PENDING";
            if (name == "order_confirmation" && language == "en") {
                entry.erase("components");
                entry["variables"] = 3;  // the local one has 4
            }
            listing.push_back(entry);
        }
        listing.push_back({{"name", "festival_offer"}, {"language", "en"}, {"variables", 1}});
        fake_.SetTemplates(listing);
    }

    TempDir fake_dir_;
    FakeMyOperator fake_{fake_dir_.path()};
    std::unique_ptr<Notifyd> service_;
};

TEST_F(TemplatesSyncTest, EverySeededTemplateApprovedPassesTheDoctorAndIsInSync) {
    const auto doctor = service_->Run({"doctor"});
    EXPECT_EQ(doctor.exit_code, 0) << doctor.output;
    const std::string check = LineStartingWith(doctor.output, "OK    templates approved:");
    EXPECT_TRUE(Contains(check, "all 20 language(s) of the 10 enabled templates approved")) << doctor.output;

    const auto sync = service_->Run({"templates", "sync"});
    EXPECT_EQ(sync.exit_code, 0) << sync.output;
    EXPECT_TRUE(Contains(sync.output, "templates sync: in sync with MyOperator (20 template language(s)"))
        << sync.output;
    EXPECT_EQ(Lines(sync.output).size(), 1u) << sync.output;

    // The listing was read with the service's credentials, paged.
    bool listed = false;
    const json requests = fake_.Requests();  // a local: never loop over a temporary's member
    for (const auto& request : requests["requests"]) {
        if (request["path"] != "/chat/templates") continue;
        EXPECT_EQ(request["headers"]["authorization"], std::string("Bearer ") + FakeMyOperator::kApiKey);
        EXPECT_EQ(request["headers"]["x-myop-company-id"], "company-42");
        listed = listed || Contains(request["target"].get<std::string>(), "offset=0");
    }
    EXPECT_TRUE(listed) << requests.dump();
}

TEST_F(TemplatesSyncTest, PendingMissingAndMismatchedTemplatesFailTheDoctorWithAFixForEach) {
    ScriptThreeDifferences();
    const auto r = service_->Run({"doctor"});
    EXPECT_EQ(r.exit_code, 1) << r.output;
    const std::string check = LineStartingWith(r.output, "FAIL  templates approved:");
    ASSERT_NE(check, "") << r.output;
    EXPECT_TRUE(Contains(check, "3 of 20 template language(s) cannot be sent")) << check;
    EXPECT_TRUE(Contains(check, "delivery_reminder (hi): PENDING at MyOperator, not approved")) << check;
    EXPECT_TRUE(Contains(check, "payment_reminder (en): not at MyOperator")) << check;
    EXPECT_TRUE(Contains(check, "order_confirmation (en): 4 variables here, 3 variables at MyOperator")) << check;
    const std::string fix = check.substr(check.find("; fix: "));
    EXPECT_TRUE(Contains(fix, "wait for WhatsApp to approve template delivery_reminder (hi)")) << check;
    EXPECT_TRUE(Contains(fix, "submit template payment_reminder (en) in MyOperator's panel")) << check;
    EXPECT_TRUE(Contains(fix, "make order_confirmation have 3 variables")) << check;
    EXPECT_FALSE(Contains(check, "festival_offer")) << check;  // informational, not a failure
    // Only that check fails: the credentials are fine.
    EXPECT_NE(LineStartingWith(r.output, "OK    provider:"), "") << r.output;
}

TEST_F(TemplatesSyncTest, SyncListsExactlyTheDifferencesAndExitsOne) {
    ScriptThreeDifferences();
    const auto r = service_->Run({"templates", "sync"});
    EXPECT_EQ(r.exit_code, 1) << r.output;
    EXPECT_EQ(DifferenceLines(r.output, "not_approved"),
              std::set<std::string>{"not_approved   delivery_reminder (hi): PENDING at MyOperator, not approved; fix: "
                                    "wait for WhatsApp to approve template delivery_reminder (hi), or see its status "
                                    "in MyOperator's panel"})
        << r.output;
    const auto missing = DifferenceLines(r.output, "missing");
    ASSERT_EQ(missing.size(), 1u) << r.output;
    EXPECT_TRUE(Contains(*missing.begin(), "payment_reminder (en): not at MyOperator; fix: submit template"))
        << r.output;
    const auto variables = DifferenceLines(r.output, "variable_count");
    ASSERT_EQ(variables.size(), 1u) << r.output;
    EXPECT_TRUE(Contains(*variables.begin(), "order_confirmation (en): 4 variables here, 3 variables at MyOperator"))
        << r.output;
    const auto unused = DifferenceLines(r.output, "unused");
    ASSERT_EQ(unused.size(), 1u) << r.output;
    EXPECT_TRUE(Contains(*unused.begin(),
                         "festival_offer (en): at MyOperator (APPROVED), no local template uses it "
                         "(informational)"))
        << r.output;
    // Four difference lines and the summary: nothing else.
    EXPECT_EQ(Lines(r.output).size(), 5u) << r.output;
    EXPECT_TRUE(
        Contains(r.output, "templates sync: 3 difference(s) stop messages from being sent; nothing was changed"))
        << r.output;

    // It reports only: the local template still has its four variables.
    service_->env()["LOG_LEVEL"] = "info";  // Start waits for the "listening" line
    service_->Start();
    const auto local = service_->Get("/templates/order_confirmation");
    EXPECT_EQ(local.Json()["variables"].size(), 4u) << local.body;
    service_->Stop();
}

TEST_F(TemplatesSyncTest, SyncJsonHasEachDifferenceTyped) {
    ScriptThreeDifferences();
    service_->env()["LOG_LEVEL"] = "off";
    const auto r = service_->Run({"templates", "sync", "--json"});
    EXPECT_EQ(r.exit_code, 1) << r.output;
    const json report = json::parse(r.output);
    EXPECT_EQ(report["in_sync"], false);
    EXPECT_EQ(report["remote_templates"], 20);  // 20 seeded, less one missing, plus one unused
    ASSERT_EQ(report["differences"].size(), 4u) << report.dump(2);
    std::set<std::string> kinds;
    for (const auto& d : report["differences"]) {
        kinds.insert(d["kind"].get<std::string>() + " " + d["provider_template_name"].get<std::string>() + " " +
                     d["language"].get<std::string>());
        if (d["kind"] == "variable_count") {
            EXPECT_EQ(d["local_variables"], 4);
            EXPECT_EQ(d["remote_variables"], 3);
        }
        if (d["kind"] == "not_approved") {
            EXPECT_EQ(d["status"], "PENDING");
        }
        EXPECT_EQ(d["blocks_sending"], d["kind"] != "unused");
    }
    EXPECT_EQ(kinds, (std::set<std::string>{"not_approved delivery_reminder hi", "missing payment_reminder en",
                                            "variable_count order_confirmation en", "unused festival_offer en"}));
}

TEST_F(TemplatesSyncTest, AListingOfManyPagesIsReadWhole) {
    json listing = fake_.Templates();
    for (int i = 0; i < 230; ++i) listing.push_back({{"name", "other_" + std::to_string(i)}, {"variables", 0}});
    fake_.SetTemplates(listing);
    const auto r = service_->Run({"templates", "sync"});
    EXPECT_EQ(r.exit_code, 0) << r.output;  // unused ones are informational
    EXPECT_EQ(DifferenceLines(r.output, "unused").size(), 230u) << r.output;
    EXPECT_TRUE(Contains(r.output, "(250 template language(s) listed there)")) << r.output;
}

TEST_F(TemplatesSyncTest, AnUnreachableMyOperatorIsAClearErrorWithExitTwo) {
    fake_.Stop();
    service_->env()["PROVIDER_TIMEOUT_MS"] = "2000";
    const auto sync = service_->Run({"templates", "sync"});
    EXPECT_EQ(sync.exit_code, 2) << sync.output;
    EXPECT_TRUE(Contains(sync.output, "templates sync: cannot list MyOperator's templates: GET ")) << sync.output;
    EXPECT_TRUE(Contains(sync.output, "/chat/templates: no answer within 2000 ms")) << sync.output;

    const auto doctor = service_->Run({"doctor"});
    EXPECT_EQ(doctor.exit_code, 1) << doctor.output;
    EXPECT_NE(LineStartingWith(doctor.output, "FAIL  provider:"), "") << doctor.output;
    EXPECT_NE(LineStartingWith(doctor.output, "FAIL  templates approved: not checked"), "") << doctor.output;
}

TEST_F(TemplatesSyncTest, RefusedCredentialsAreAnErrorWithExitTwo) {
    service_->env()["MYOPERATOR_API_KEY"] = "a-wrong-key-0123456789";
    const auto r = service_->Run({"templates", "sync"});
    EXPECT_EQ(r.exit_code, 2) << r.output;
    EXPECT_TRUE(Contains(r.output, "credentials refused (HTTP 401")) << r.output;
}

TEST(TemplatesSync, TheSandboxHasNothingToCompareAndTheDoctorSkipsTheCheck) {
    Notifyd service;
    service.Migrate();
    const auto sync = service.Run({"templates", "sync"});
    EXPECT_EQ(sync.exit_code, 2) << sync.output;
    EXPECT_TRUE(Contains(sync.output, "NOTIFY_PROVIDER is sandbox")) << sync.output;

    const auto doctor = service.Run({"doctor"});
    EXPECT_EQ(doctor.exit_code, 0) << doctor.output;
    EXPECT_NE(LineStartingWith(doctor.output, "WARN  templates approved: skipped"), "") << doctor.output;
}

TEST(TemplatesSync, AnUnmigratedStoreIsAnErrorWithExitTwo) {
    TempDir dir;
    FakeMyOperator fake(dir.path());
    fake.Start();
    Notifyd service(fake.ServiceEnv());
    const auto r = service.Run({"templates", "sync"});
    EXPECT_EQ(r.exit_code, 2) << r.output;
    EXPECT_TRUE(Contains(r.output, "notifyd migrate")) << r.output;
}

}  // namespace
}  // namespace notify::testing
