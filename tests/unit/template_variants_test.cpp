// Templates in several languages and the quiet-hours flag: language codes, choosing a variant,
// rendering one, and editing them with ApplyTemplatePatch.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/errors.h"
#include "expect_invalid_input.h"
#include "notify/templates.h"

namespace notify {
namespace {

using nlohmann::json;

const char* const kEnglish = "Hi {{customer_name}}, your delivery for {{delivery_date}} in {{area}} is on its way.";
const char* const kHindi = "नमस्ते {{customer_name}} जी, {{area}} में आपकी {{delivery_date}} की डिलीवरी रास्ते में है।";
const char* const kMarathi = "नमस्कार {{customer_name}}, {{delivery_date}} ची डिलिव्हरी {{area}} मध्ये येत आहे.";

// delivery_reminder as the store reads it: en (default), hi and mr.
Template Reminder() {
    Template t;
    t.name = "delivery_reminder";
    t.provider_template_name = "delivery_reminder";
    t.variables = {"customer_name", "delivery_date", "area"};
    t.language = "en";
    t.body = kEnglish;
    t.variants = {{"en", kEnglish}, {"hi", kHindi}, {"mr", kMarathi}};
    return t;
}

Context FullContext() { return {{"customer_name", "Asha"}, {"delivery_date", "Jan 28"}, {"area", "Sector 21"}}; }

std::vector<std::string> Languages(const Template& t) {
    std::vector<std::string> out;
    for (const auto& v : t.variants) out.push_back(v.language);
    return out;
}

const TemplateVariant* Find(const Template& t, const std::string& language) {
    for (const auto& v : t.variants) {
        if (v.language == language) return &v;
    }
    return nullptr;
}

// ---------------------------------------------------------------------------------------------
// IsValidLanguageCode

TEST(IsValidLanguageCode, AcceptsTwoOrThreeLowercaseLettersWithAnOptionalRegion) {
    for (const char* code : {"en", "hi", "mai", "pt_BR", "en_GB", "zh_CN"})
        EXPECT_TRUE(IsValidLanguageCode(code)) << code;
}

TEST(IsValidLanguageCode, RejectsEverythingElse) {
    for (const char* code : {"", "e", "engl", "EN", "Hi", "en-GB", "en_gb", "en_", "en_GBR", "en_G", "_GB", "en_GB_x",
                             "h1", "en ", " en", "हि", "en\n", "pt_B1"}) {
        EXPECT_FALSE(IsValidLanguageCode(code)) << '"' << code << '"';
    }
}

// ---------------------------------------------------------------------------------------------
// SelectVariant

TEST(SelectVariant, PicksTheVariantOfTheLanguage) {
    const TemplateVariant v = SelectVariant(Reminder(), "hi");
    EXPECT_EQ(v.language, "hi");
    EXPECT_EQ(v.body, kHindi);
    EXPECT_EQ(SelectVariant(Reminder(), "mr").body, kMarathi);
}

// The same, made Hindi by default (language and body), English still among its variants.
Template HindiByDefault() {
    Template t = Reminder();
    t.language = "hi";
    t.body = kHindi;
    return t;
}

TEST(SelectVariant, AnEmptyLanguageIsTheDefault) {
    EXPECT_EQ(SelectVariant(HindiByDefault(), "").language, "hi");
    EXPECT_EQ(SelectVariant(HindiByDefault(), "").body, kHindi);
    EXPECT_EQ(SelectVariant(Reminder(), "").body, kEnglish);
}

TEST(SelectVariant, AMissingLanguageFallsBackToEnglishEvenWhenItIsNotTheDefault) {
    EXPECT_EQ(SelectVariant(HindiByDefault(), "ta").language, "en");
    EXPECT_EQ(SelectVariant(HindiByDefault(), "ta").body, kEnglish);
    EXPECT_EQ(SelectVariant(Reminder(), "ta").language, "en");
}

TEST(SelectVariant, WithoutEnglishAMissingLanguageFallsBackToTheDefault) {
    Template t = HindiByDefault();
    t.variants = {{"hi", kHindi}, {"mr", kMarathi}};
    EXPECT_EQ(SelectVariant(t, "ta").language, "hi");
    EXPECT_EQ(SelectVariant(t, "ta").body, kHindi);
}

TEST(SelectVariant, ATemplateWithoutListedVariantsHasItsDefault) {
    Template t = Reminder();
    t.variants.clear();
    EXPECT_EQ(SelectVariant(t, "hi").language, "en");
    EXPECT_EQ(SelectVariant(t, "hi").body, kEnglish);
    EXPECT_EQ(SelectVariant(t, "").body, kEnglish);
}

TEST(SelectVariant, TheDefaultsOwnFieldsWinOverAStaleListedCopy) {
    Template t = Reminder();
    t.body = "Dear {{customer_name}}";  // edited; variants[0] still has the old text
    EXPECT_EQ(SelectVariant(t, "en").body, "Dear {{customer_name}}");
    EXPECT_EQ(SelectVariant(t, "ta").body, "Dear {{customer_name}}");
}

// ---------------------------------------------------------------------------------------------
// NormalizeVariants

TEST(NormalizeVariants, PutsTheDefaultFirstAndTheOthersByCode) {
    Template t = HindiByDefault();
    t.variants = {{"mr", kMarathi}, {"en", kEnglish}, {"hi", kHindi}, {"bn", "x"}};
    NormalizeVariants(t);
    EXPECT_EQ(Languages(t), (std::vector<std::string>{"hi", "bn", "en", "mr"}));
}

TEST(NormalizeVariants, AddsAMissingDefaultAndSyncsAStaleOne) {
    Template t = Reminder();
    t.variants = {{"hi", kHindi}};
    NormalizeVariants(t);
    EXPECT_EQ(Languages(t), (std::vector<std::string>{"en", "hi"}));
    EXPECT_EQ(t.variants[0].body, kEnglish);

    t.body = "Dear {{customer_name}}";
    NormalizeVariants(t);
    EXPECT_EQ(t.variants[0].body, "Dear {{customer_name}}");
}

TEST(NormalizeVariants, KeepsTheFirstOfARepeatedLanguage) {
    Template t = Reminder();
    t.variants = {{"hi", kHindi}, {"hi", "second"}, {"en", "stale"}};
    NormalizeVariants(t);
    ASSERT_EQ(Languages(t), (std::vector<std::string>{"en", "hi"}));
    EXPECT_EQ(t.variants[0].body, kEnglish);
    EXPECT_EQ(t.variants[1].body, kHindi);
}

// ---------------------------------------------------------------------------------------------
// RenderTemplate in a language

TEST(RenderTemplateInALanguage, PreviewUsesTheVariantAndParametersStayTheSame) {
    const RenderedTemplate en = RenderTemplate(Reminder(), FullContext());
    const RenderedTemplate hi = RenderTemplate(Reminder(), FullContext(), "hi");
    EXPECT_EQ(en.language, "en");
    EXPECT_EQ(en.preview, "Hi Asha, your delivery for Jan 28 in Sector 21 is on its way.");
    EXPECT_EQ(hi.language, "hi");
    EXPECT_EQ(hi.preview, "नमस्ते Asha जी, Sector 21 में आपकी Jan 28 की डिलीवरी रास्ते में है।");
    EXPECT_EQ(hi.parameters, en.parameters);
    EXPECT_EQ(hi.parameters, (std::vector<std::string>{"Asha", "Jan 28", "Sector 21"}));
}

TEST(RenderTemplateInALanguage, AMissingLanguageRendersTheFallback) {
    const RenderedTemplate r = RenderTemplate(Reminder(), FullContext(), "ta");
    EXPECT_EQ(r.language, "en");
    EXPECT_EQ(r.preview, "Hi Asha, your delivery for Jan 28 in Sector 21 is on its way.");
}

TEST(RenderTemplateInALanguage, MissingContextIsRefusedInEveryLanguage) {
    Context c = FullContext();
    c.erase("area");
    EXPECT_INVALID_INPUT(RenderTemplate(Reminder(), c, "hi"), "missing_context", "context.area");
}

// ---------------------------------------------------------------------------------------------
// ParseOptionalLanguage

TEST(ParseOptionalLanguage, AbsentOrNullIsEmpty) {
    EXPECT_EQ(ParseOptionalLanguage(json::object()), "");
    EXPECT_EQ(ParseOptionalLanguage(json{{"language", nullptr}}), "");
    EXPECT_EQ(ParseOptionalLanguage(json{{"language", "pt_BR"}}), "pt_BR");
}

TEST(ParseOptionalLanguage, RejectsABadCodeOrType) {
    for (const json& bad : {json(""), json("HI"), json("hindi"), json("hi-IN"), json(1), json(true),
                            json::array({"hi"}), json{{"code", "hi"}}}) {
        EXPECT_INVALID_INPUT(ParseOptionalLanguage(json{{"language", bad}}), "invalid_field", "language");
    }
}

// ---------------------------------------------------------------------------------------------
// ApplyTemplatePatch: quiet_hours

TEST(ApplyTemplatePatchQuietHours, SetsAndClearsTheFlag) {
    Template t = Reminder();
    t = ApplyTemplatePatch(t, json{{"quiet_hours", true}});
    EXPECT_TRUE(t.quiet_hours);
    t = ApplyTemplatePatch(t, json{{"quiet_hours", false}});
    EXPECT_FALSE(t.quiet_hours);
    t.quiet_hours = true;
    EXPECT_TRUE(ApplyTemplatePatch(t, json{{"enabled", false}}).quiet_hours);  // untouched when absent
}

TEST(ApplyTemplatePatchQuietHours, RejectsAnythingButABoolean) {
    for (const json& bad : {json("true"), json(1), json(nullptr), json::object()}) {
        EXPECT_INVALID_INPUT(ApplyTemplatePatch(Reminder(), json{{"quiet_hours", bad}}), "invalid_field",
                             "quiet_hours");
    }
}

// ---------------------------------------------------------------------------------------------
// ApplyTemplatePatch: variants

TEST(ApplyTemplatePatchVariants, TheListReplacesTheOtherLanguagesAndKeepsTheDefault) {
    const Template t =
        ApplyTemplatePatch(Reminder(), json{{"variants",
                                             {{{"language", "ta"}, {"body", "{{customer_name}} வணக்கம்"}},
                                              {{"language", "hi"}, {"body", "नमस्ते {{customer_name}}"}}}}});
    EXPECT_EQ(Languages(t), (std::vector<std::string>{"en", "hi", "ta"}));  // mr went, en stayed
    EXPECT_EQ(Find(t, "en")->body, kEnglish);
    EXPECT_EQ(Find(t, "hi")->body, "नमस्ते {{customer_name}}");
    EXPECT_EQ(t.body, kEnglish);
}

TEST(ApplyTemplatePatchVariants, AnEmptyListLeavesOnlyTheDefault) {
    const Template t = ApplyTemplatePatch(Reminder(), json{{"variants", json::array()}});
    EXPECT_EQ(Languages(t), std::vector<std::string>{"en"});
    EXPECT_EQ(t.variants[0].body, kEnglish);
}

TEST(ApplyTemplatePatchVariants, WhatGetShowsCanBeSentBack) {
    json variants = json::array();
    for (const auto& v : Reminder().variants) variants.push_back({{"language", v.language}, {"body", v.body}});
    const Template t = ApplyTemplatePatch(Reminder(), json{{"variants", variants}});
    EXPECT_EQ(Languages(t), (std::vector<std::string>{"en", "hi", "mr"}));
    EXPECT_EQ(t.body, kEnglish);
}

TEST(ApplyTemplatePatchVariants, TheDefaultLanguagesVariantSetsTheBody) {
    const Template t =
        ApplyTemplatePatch(Reminder(), json{{"variants", {{{"language", "en"}, {"body", "Dear {{customer_name}}"}}}}});
    EXPECT_EQ(t.body, "Dear {{customer_name}}");
    EXPECT_EQ(Find(t, "en")->body, "Dear {{customer_name}}");
}

TEST(ApplyTemplatePatchVariants, APatchedBodyKeepsTheDefaultVariantInSync) {
    const Template t = ApplyTemplatePatch(Reminder(), json{{"body", "Dear {{customer_name}}"}});
    EXPECT_EQ(t.variants[0].language, "en");
    EXPECT_EQ(t.variants[0].body, "Dear {{customer_name}}");
    EXPECT_EQ(Find(t, "hi")->body, kHindi);
}

TEST(ApplyTemplatePatchVariants, BodyAndADifferentDefaultVariantTogetherAreRefused) {
    EXPECT_INVALID_INPUT(
        ApplyTemplatePatch(Reminder(), json{{"body", "Dear {{customer_name}}"},
                                            {"variants", {{{"language", "en"}, {"body", "Hello {{customer_name}}"}}}}}),
        "invalid_field", "variants");
    // The same text twice is no conflict.
    const Template t =
        ApplyTemplatePatch(Reminder(), json{{"body", "Dear {{customer_name}}"},
                                            {"variants", {{{"language", "en"}, {"body", "Dear {{customer_name}}"}}}}});
    EXPECT_EQ(t.body, "Dear {{customer_name}}");
}

TEST(ApplyTemplatePatchVariants, ANewDefaultLanguageTakesItsVariantsBody) {
    const Template t = ApplyTemplatePatch(Reminder(), json{{"language", "hi"}});
    EXPECT_EQ(t.language, "hi");
    EXPECT_EQ(t.body, kHindi);
    EXPECT_EQ(Languages(t), (std::vector<std::string>{"hi", "en", "mr"}));
    EXPECT_EQ(Find(t, "en")->body, kEnglish);  // the old default stays as a variant
}

TEST(ApplyTemplatePatchVariants, ANewDefaultLanguageWithABodyOverwritesItsVariant) {
    const Template t = ApplyTemplatePatch(Reminder(), json{{"language", "hi"}, {"body", "नमस्ते {{customer_name}}"}});
    EXPECT_EQ(t.body, "नमस्ते {{customer_name}}");
    EXPECT_EQ(Find(t, "hi")->body, "नमस्ते {{customer_name}}");
}

TEST(ApplyTemplatePatchVariants, ANewDefaultLanguageWithoutAVariantKeepsTheBody) {
    const Template t = ApplyTemplatePatch(Reminder(), json{{"language", "ta"}});
    EXPECT_EQ(t.body, kEnglish);
    EXPECT_EQ(Languages(t), (std::vector<std::string>{"ta", "en", "hi", "mr"}));
}

TEST(ApplyTemplatePatchVariants, ATemplateBuiltWithoutVariantsGetsItsDefaultListed) {
    Template t = Reminder();
    t.variants.clear();
    t = ApplyTemplatePatch(t, json::object());
    ASSERT_EQ(Languages(t), std::vector<std::string>{"en"});
    EXPECT_EQ(t.variants[0].body, kEnglish);
}

TEST(ApplyTemplatePatchVariants, ANewLanguageForATemplateWithOnlyItsDefaultMovesIt) {
    Template t = Reminder();
    t.variants.clear();
    t = ApplyTemplatePatch(t, json{{"language", "en_US"}});
    ASSERT_EQ(Languages(t), std::vector<std::string>{"en_US"});
    EXPECT_EQ(t.variants[0].body, kEnglish);
}

TEST(ApplyTemplatePatchVariants, AStaleListedDefaultDoesNotOverwriteTheBody) {
    Template t = Reminder();
    t.body = "Dear {{customer_name}}";  // variants[0] still has the old English text
    t = ApplyTemplatePatch(t, json{{"enabled", false}});
    EXPECT_EQ(t.body, "Dear {{customer_name}}");
    EXPECT_EQ(t.variants[0].body, "Dear {{customer_name}}");
}

TEST(ApplyTemplatePatchVariants, RejectsAListOfTheWrongShape) {
    for (const json& bad : {json(nullptr), json("hi"), json{{"hi", "नमस्ते"}}, json::array({"hi"}),
                            json::array({json::array({"hi", "नमस्ते"})})}) {
        SCOPED_TRACE(bad.dump());
        EXPECT_INVALID_INPUT(ApplyTemplatePatch(Reminder(), json{{"variants", bad}}), "invalid_field", "variants");
    }
}

TEST(ApplyTemplatePatchVariants, RejectsMoreThanTwentyVariants) {
    json many = json::array();
    for (char a = 'a'; a < 'a' + 21; ++a) many.push_back({{"language", std::string("x") + a}, {"body", "x"}});
    EXPECT_INVALID_INPUT(ApplyTemplatePatch(Reminder(), json{{"variants", many}}), "invalid_field", "variants");
    many.erase(many.end() - 1);
    EXPECT_EQ(ApplyTemplatePatch(Reminder(), json{{"variants", many}}).variants.size(), 21u);  // 20 and en
}

TEST(ApplyTemplatePatchVariants, RejectsABadLanguage) {
    for (const json& language : {json(nullptr), json(""), json("HI"), json("hi-IN"), json("hindi"), json(7)}) {
        SCOPED_TRACE(language.dump());
        EXPECT_INVALID_INPUT(
            ApplyTemplatePatch(Reminder(), json{{"variants", {{{"language", language}, {"body", "नमस्ते"}}}}}),
            "invalid_field", "variants");
    }
    EXPECT_INVALID_INPUT(ApplyTemplatePatch(Reminder(), json{{"variants", {{{"body", "नमस्ते"}}}}}), "invalid_field",
                         "variants");
}

TEST(ApplyTemplatePatchVariants, RejectsAMissingEmptyOrOverLongBody) {
    for (const json& body : {json(nullptr), json(""), json(" \n "), json(3), json(std::string(4097, 'x'))}) {
        EXPECT_INVALID_INPUT(ApplyTemplatePatch(Reminder(), json{{"variants", {{{"language", "hi"}, {"body", body}}}}}),
                             "invalid_field", "variants");
    }
    EXPECT_INVALID_INPUT(ApplyTemplatePatch(Reminder(), json{{"variants", {{{"language", "hi"}}}}}), "invalid_field",
                         "variants");
    EXPECT_EQ(
        ApplyTemplatePatch(Reminder(), json{{"variants", {{{"language", "hi"}, {"body", std::string(4096, 'x')}}}}})
            .variants.size(),
        2u);
}

TEST(ApplyTemplatePatchVariants, RejectsALanguageListedTwice) {
    EXPECT_INVALID_INPUT(
        ApplyTemplatePatch(
            Reminder(),
            json{{"variants", {{{"language", "hi"}, {"body", "एक"}}, {{"language", "hi"}, {"body", "दो"}}}}}),
        "invalid_field", "variants");
}

TEST(ApplyTemplatePatchVariants, RejectsAPlaceholderThatIsNotAVariable) {
    EXPECT_INVALID_INPUT(
        ApplyTemplatePatch(Reminder(),
                           json{{"variants", {{{"language", "hi"}, {"body", "नमस्ते {{customer_name}}, {{amount}}"}}}}}),
        "invalid_field", "variants");
    // In the default language's variant too: the field named is the one that brought it.
    EXPECT_INVALID_INPUT(
        ApplyTemplatePatch(Reminder(), json{{"variants", {{{"language", "en"}, {"body", "Hi {{name}}"}}}}}),
        "invalid_field", "variants");
}

TEST(ApplyTemplatePatchVariants, VariablesThatLeaveAVariantsPlaceholderUndeclaredAreRefused) {
    // The English body is edited to drop {{area}}, but the Hindi variant still uses it.
    EXPECT_INVALID_INPUT(ApplyTemplatePatch(Reminder(), json{{"variables", {"customer_name", "delivery_date"}},
                                                             {"body", "Hi {{customer_name}}, {{delivery_date}}"}}),
                         "invalid_field", "variants");
}

TEST(ApplyTemplatePatchVariants, ARefusedPatchNamesTheBodyFirst) {
    EXPECT_INVALID_INPUT(ApplyTemplatePatch(Reminder(), json{{"body", "Hi {{nobody}}"},
                                                             {"variants", {{{"language", "hi"}, {"body", "{{x}}"}}}}}),
                         "invalid_field", "body");
}

}  // namespace
}  // namespace notify
