// Part of the store contract (every fixture in StoreFixtures): templates' language variants and
// quiet-hours flag as migration 0010 seeds them and UpdateTemplate writes them, and free-text
// messages' text. Only the public Store interface is used.

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "common/errors.h"
#include "notify/templates.h"
#include "store/store.h"
#include "store_fixtures.h"
#include "store_test_support.h"

namespace notify::store_test {
namespace {

template <typename Fixture>
class StoreLanguagesTest : public ::testing::Test {
protected:
    void SetUp() override { store_ = Fixture::Open(dir_.path()); }

    TempDir dir_;
    std::unique_ptr<Store> store_;
};

TYPED_TEST_SUITE(StoreLanguagesTest, StoreFixtures, StoreFixtureNames);

std::vector<std::string> Languages(const Template& t) {
    std::vector<std::string> out;
    for (const auto& v : t.variants) out.push_back(v.language);
    return out;
}

// The {{placeholders}} of a body, as a set.
std::set<std::string> Placeholders(const std::string& body) {
    Template t;
    t.body = body;  // no variables: every placeholder is "unknown"
    const auto names = UnknownPlaceholders(t);
    return {names.begin(), names.end()};
}

TYPED_TEST(StoreLanguagesTest, EveryTemplateIsSeededInEnglishAndHindiWithTheSamePlaceholders) {
    const std::vector<Template> templates = this->store_->ListTemplates();
    ASSERT_EQ(templates.size(), 10u);
    for (const Template& t : templates) {
        SCOPED_TRACE(t.name);
        ASSERT_EQ(Languages(t), (std::vector<std::string>{"en", "hi"}));
        EXPECT_EQ(t.variants[0].body, t.body);
        const std::string& hindi = t.variants[1].body;
        EXPECT_NE(hindi, t.body);
        EXPECT_NE(hindi.find("\xE0\xA4"), std::string::npos) << "no Devanagari in " << hindi;  // U+0900..U+093F
        EXPECT_EQ(Placeholders(hindi), Placeholders(t.body));
        const std::set<std::string> variables(t.variables.begin(), t.variables.end());
        EXPECT_EQ(Placeholders(hindi), variables);
        // What GET /templates/{name} shows is what a send reads.
        const Template one = *this->store_->GetTemplate(t.name);
        EXPECT_EQ(Languages(one), Languages(t));
        EXPECT_EQ(one.variants[1].body, hindi);
    }
}

TYPED_TEST(StoreLanguagesTest, OnlyTheTwoRemindersAreSeededWithQuietHours) {
    for (const Template& t : this->store_->ListTemplates()) {
        const bool reminder = t.name == "delivery_reminder" || t.name == "payment_reminder";
        EXPECT_EQ(t.quiet_hours, reminder) << t.name;
        EXPECT_EQ(this->store_->GetTemplate(t.name)->quiet_hours, reminder) << t.name;
    }
}

TYPED_TEST(StoreLanguagesTest, UpdateTemplateReplacesTheVariantsAndTheFlag) {
    Template t = *this->store_->GetTemplate("welcome");  // read first: the update must not leave a stale copy
    t.quiet_hours = true;
    t.variants = {{"ta", "வணக்கம் {{customer_name}}"}, {"hi", "नमस्ते {{customer_name}}"}, {"en", "stale"}};
    t.updated_at = kT0;
    this->store_->UpdateTemplate(t);

    for (const Template& got : {*this->store_->GetTemplate("welcome"), this->store_->ListTemplates().back()}) {
        SCOPED_TRACE(got.name);
        ASSERT_EQ(got.name, "welcome");
        EXPECT_TRUE(got.quiet_hours);
        ASSERT_EQ(Languages(got), (std::vector<std::string>{"en", "hi", "ta"}));
        EXPECT_EQ(got.variants[0].body, t.body);  // the default variant is the body, not the stale copy
        EXPECT_EQ(got.variants[1].body, "नमस्ते {{customer_name}}");
        EXPECT_EQ(got.variants[2].body, "வணக்கம் {{customer_name}}");
    }
    // Other templates keep theirs.
    EXPECT_EQ(Languages(*this->store_->GetTemplate("payment_reminder")), (std::vector<std::string>{"en", "hi"}));

    // A language left out is gone; the flag goes back off.
    t = *this->store_->GetTemplate("welcome");
    t.quiet_hours = false;
    t.variants.erase(t.variants.begin() + 2);
    this->store_->UpdateTemplate(t);
    const Template after = *this->store_->GetTemplate("welcome");
    EXPECT_FALSE(after.quiet_hours);
    EXPECT_EQ(Languages(after), (std::vector<std::string>{"en", "hi"}));
}

TYPED_TEST(StoreLanguagesTest, ANewDefaultLanguageIsListedFirstWithTheBody) {
    Template t = *this->store_->GetTemplate("delivery_reminder");
    const std::string english = t.body;
    const std::string hindi = t.variants[1].body;
    t.language = "hi";
    t.body = hindi;
    this->store_->UpdateTemplate(t);
    const Template got = *this->store_->GetTemplate("delivery_reminder");
    EXPECT_EQ(got.language, "hi");
    ASSERT_EQ(Languages(got), (std::vector<std::string>{"hi", "en"}));
    EXPECT_EQ(got.variants[0].body, hindi);
    EXPECT_EQ(got.variants[1].body, english);  // the old default stays as the en variant
}

TYPED_TEST(StoreLanguagesTest, AFailedUpdateLeavesTheVariantsAlone) {
    Template t = *this->store_->GetTemplate("welcome");
    t.name = "no_such_template";
    t.variants = {{"ta", "x"}};
    EXPECT_THROW(this->store_->UpdateTemplate(t), Error);
    EXPECT_EQ(Languages(*this->store_->GetTemplate("welcome")), (std::vector<std::string>{"en", "hi"}));
    EXPECT_FALSE(this->store_->GetTemplate("no_such_template").has_value());
}

TYPED_TEST(StoreLanguagesTest, AFreeTextMessageKeepsItsTextAndATemplateMessageHasNone) {
    Message text = MakeMessage("m-text", kT0, "help_reply");
    text.parameters.clear();
    text.text = "Reply SKIP, PAUSE 3 or RESUME.\nनमस्ते \"quoted\" <b>";
    this->store_->Enqueue(text, kT0, std::nullopt);
    this->store_->Enqueue(MakeMessage("m-template", kT0 + 1), kT0, std::nullopt);

    EXPECT_EQ(this->store_->GetMessage("m-text")->text, text.text);
    EXPECT_FALSE(this->store_->GetMessage("m-template")->text.has_value());

    // The queue hands the text to the sender.
    const std::vector<Message> claimed = this->store_->ClaimDue(kT0 + 10, 10, Lease{"w", kT0 + 60'000}, false);
    ASSERT_EQ(claimed.size(), 2u);
    const auto claimed_text =
        std::find_if(claimed.begin(), claimed.end(), [](const Message& m) { return m.id == "m-text"; });
    ASSERT_NE(claimed_text, claimed.end());
    EXPECT_EQ(claimed_text->text, text.text);

    // An empty text is still a text (not a template message).
    Message empty = MakeMessage("m-empty", kT0 + 2, "help_reply");
    empty.text = "";
    this->store_->Enqueue(empty, kT0, std::nullopt);
    EXPECT_EQ(this->store_->GetMessage("m-empty")->text, std::optional<std::string>(""));
}

}  // namespace
}  // namespace notify::store_test
