#include "notify/template_sync.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace notify {
namespace {

using ::testing::HasSubstr;

Template MakeTemplate(const std::string& name, std::vector<std::string> variables,
                      std::vector<std::string> languages = {"en", "hi"}) {
    Template t;
    t.name = name;
    t.provider_template_name = name;
    t.language = languages.front();
    t.variables = std::move(variables);
    for (const auto& language : languages) t.variants.push_back({language, "body"});
    return t;
}

RemoteTemplate Approved(const std::string& name, const std::string& language, int variables) {
    return {name, language, "APPROVED", variables};
}

TEST(CompareTemplates, EveryLanguageApprovedWithTheSameVariablesIsInSync) {
    const std::vector<Template> local = {MakeTemplate("welcome", {"customer_name"}),
                                         MakeTemplate("payment_received", {"customer_name", "amount", "payment_id"})};
    const std::vector<RemoteTemplate> remote = {Approved("welcome", "en", 1), Approved("welcome", "hi", 1),
                                                Approved("payment_received", "en", 3),
                                                Approved("payment_received", "hi", 3)};
    EXPECT_TRUE(CompareTemplates(local, remote).empty());
}

TEST(CompareTemplates, ALanguageMyOperatorDoesNotHaveIsMissing) {
    const auto differences =
        CompareTemplates({MakeTemplate("welcome", {"customer_name"})}, {Approved("welcome", "en", 1)});
    ASSERT_EQ(differences.size(), 1u);
    EXPECT_EQ(differences[0].kind, TemplateDifferenceKind::kMissing);
    EXPECT_EQ(differences[0].template_name, "welcome");
    EXPECT_EQ(differences[0].language, "hi");
    EXPECT_TRUE(BlocksSending(differences[0]));
    EXPECT_EQ(DescribeDifference(differences[0]), "welcome (hi): not at MyOperator");
    EXPECT_THAT(FixForDifference(differences[0]), HasSubstr("submit template welcome (hi) in MyOperator's panel"));
}

TEST(CompareTemplates, PendingOrRejectedIsNotApprovedWithItsStatus) {
    const auto differences = CompareTemplates({MakeTemplate("welcome", {"customer_name"})},
                                              {{"welcome", "en", "PENDING", 1}, {"welcome", "hi", "rejected", 1}});
    ASSERT_EQ(differences.size(), 2u);
    EXPECT_EQ(differences[0].kind, TemplateDifferenceKind::kNotApproved);
    EXPECT_EQ(differences[0].status, "PENDING");
    EXPECT_EQ(DescribeDifference(differences[0]), "welcome (en): PENDING at MyOperator, not approved");
    EXPECT_THAT(FixForDifference(differences[0]), HasSubstr("wait for WhatsApp to approve template welcome (en)"));
    EXPECT_EQ(differences[1].kind, TemplateDifferenceKind::kNotApproved);
    EXPECT_THAT(FixForDifference(differences[1]), HasSubstr("submit it again"));
}

TEST(CompareTemplates, AMissingStatusIsNotTakenForApproval) {
    const auto differences =
        CompareTemplates({MakeTemplate("welcome", {"customer_name"}, {"en"})}, {{"welcome", "en", "", 1}});
    ASSERT_EQ(differences.size(), 1u);
    EXPECT_EQ(differences[0].kind, TemplateDifferenceKind::kNotApproved);
    EXPECT_THAT(DescribeDifference(differences[0]), HasSubstr("no status"));
}

TEST(CompareTemplates, ADifferentNumberOfVariablesSaysBothCounts) {
    const auto differences = CompareTemplates({MakeTemplate("delivery_reminder", {"a", "b", "c"}, {"en"})},
                                              {Approved("delivery_reminder", "en", 2)});
    ASSERT_EQ(differences.size(), 1u);
    EXPECT_EQ(differences[0].kind, TemplateDifferenceKind::kVariableCount);
    EXPECT_EQ(differences[0].local_variables, 3);
    EXPECT_EQ(differences[0].remote_variables, 2);
    EXPECT_EQ(DescribeDifference(differences[0]),
              "delivery_reminder (en): 3 variables here, 2 variables at MyOperator");
    EXPECT_THAT(FixForDifference(differences[0]), HasSubstr("make delivery_reminder have 2 variables"));
}

TEST(CompareTemplates, AnUnknownVariableCountIsNoDifference) {
    const auto differences =
        CompareTemplates({MakeTemplate("welcome", {"customer_name"}, {"en"})}, {{"welcome", "en", "APPROVED", {}}});
    EXPECT_TRUE(differences.empty());
}

TEST(CompareTemplates, UnusedAtMyOperatorIsInformationalAndComesLast) {
    const auto differences =
        CompareTemplates({MakeTemplate("welcome", {"customer_name"}, {"en"})},
                         {Approved("zz_promo", "en", 0), Approved("a_offer", "hi", 2), Approved("welcome", "en", 1)});
    ASSERT_EQ(differences.size(), 2u);
    EXPECT_EQ(differences[0].kind, TemplateDifferenceKind::kUnusedAtProvider);
    EXPECT_EQ(differences[0].provider_name, "a_offer");
    EXPECT_EQ(differences[1].provider_name, "zz_promo");
    EXPECT_FALSE(BlocksSending(differences[0]));
    EXPECT_EQ(FixForDifference(differences[0]), "");
    EXPECT_THAT(DescribeDifference(differences[0]), HasSubstr("no local template uses it"));
}

TEST(CompareTemplates, MatchesOnTheProviderTemplateName) {
    Template t = MakeTemplate("welcome", {"customer_name"}, {"en"});
    t.provider_template_name = "welcome_v2";
    const auto differences = CompareTemplates({t}, {Approved("welcome", "en", 1), Approved("welcome_v2", "en", 1)});
    ASSERT_EQ(differences.size(), 1u);
    EXPECT_EQ(differences[0].kind, TemplateDifferenceKind::kUnusedAtProvider);
    EXPECT_EQ(differences[0].provider_name, "welcome");

    const auto missing = CompareTemplates({t}, {Approved("welcome", "en", 1)});
    ASSERT_EQ(missing.size(), 2u);
    EXPECT_EQ(DescribeDifference(missing[0]), "welcome as welcome_v2 (en): not at MyOperator");
}

TEST(CompareTemplates, DisabledTemplatesAreNotCheckedNorTheirListingsUnused) {
    Template t = MakeTemplate("welcome", {"customer_name"});
    t.enabled = false;
    EXPECT_TRUE(CompareTemplates({t}, {{"welcome", "en", "PENDING", 4}}).empty());
}

TEST(CompareTemplates, ATemplateWithoutListedVariantsIsCheckedInItsOwnLanguage) {
    Template t;
    t.name = "welcome";
    t.language = "hi";
    t.variables = {"customer_name"};
    const auto differences = CompareTemplates({t}, {});
    ASSERT_EQ(differences.size(), 1u);
    EXPECT_EQ(differences[0].language, "hi");
    EXPECT_EQ(differences[0].provider_name, "welcome");
}

TEST(CompareTemplates, LanguageCodesMatchWhateverTheirCaseOrSeparator) {
    const auto differences = CompareTemplates({MakeTemplate("welcome", {"customer_name"}, {"pt_BR", "en"})},
                                              {Approved("welcome", "pt-br", 1), Approved("welcome", "EN", 1)});
    EXPECT_TRUE(differences.empty());
}

TEST(CompareTemplates, AnApprovedListingWinsOverAnotherOfTheSameNameAndLanguage) {
    const auto differences = CompareTemplates({MakeTemplate("welcome", {"customer_name"}, {"en"})},
                                              {{"welcome", "en", "REJECTED", 1}, {"welcome", "en", "APPROVED", 1}});
    EXPECT_TRUE(differences.empty());
}

TEST(TemplateDifferenceKind, HasStableNames) {
    EXPECT_EQ(ToString(TemplateDifferenceKind::kMissing), "missing");
    EXPECT_EQ(ToString(TemplateDifferenceKind::kNotApproved), "not_approved");
    EXPECT_EQ(ToString(TemplateDifferenceKind::kVariableCount), "variable_count");
    EXPECT_EQ(ToString(TemplateDifferenceKind::kUnusedAtProvider), "unused");
}

TEST(CountPlaceholders, CountsDistinctPlaceholders) {
    EXPECT_EQ(CountPlaceholders("Hi {{1}}, {{2}} and {{ 1 }} again"), 2);
    EXPECT_EQ(CountPlaceholders("no variables"), 0);
    EXPECT_EQ(CountPlaceholders("{{customer_name}} {{area}} {{"), 2);
}

TEST(IsApprovedStatus, IgnoresCaseAndSpaces) {
    EXPECT_TRUE(IsApprovedStatus("APPROVED"));
    EXPECT_TRUE(IsApprovedStatus(" approved "));
    EXPECT_FALSE(IsApprovedStatus("PENDING"));
    EXPECT_FALSE(IsApprovedStatus(""));
}

}  // namespace
}  // namespace notify
