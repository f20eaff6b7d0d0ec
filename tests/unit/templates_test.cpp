#include "notify/templates.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/errors.h"
#include "expect_invalid_input.h"

namespace notify {
namespace {

using nlohmann::json;

// Runs `statement`, expecting a notify::Error of kind invalid input with this code and field.
Template DeliveryReminder() {
    Template t;
    t.name = "delivery_reminder";
    t.description = "Reminds a customer of a delivery";
    t.provider_template_name = "delivery_reminder";
    t.variables = {"customer_name", "delivery_date", "area"};
    t.body = "Hi {{customer_name}}, your delivery on {{delivery_date}} to {{area}} is on its way.";
    t.category = "utility";
    return t;
}

Context FullContext() { return {{"customer_name", "Asha"}, {"delivery_date", "Jan 28"}, {"area", "Koramangala"}}; }

// ---------------------------------------------------------------------------------------------
// ParseContext

TEST(ParseContext, KeepsStringsAsTheyAre) {
    const Context c = ParseContext(json{{"customer_name", "Asha  Rao"}, {"area", ""}});
    EXPECT_EQ(c.at("customer_name"), "Asha  Rao");
    EXPECT_EQ(c.at("area"), "");
    EXPECT_EQ(c.size(), 2u);
}

TEST(ParseContext, TurnsIntegersIntoDecimalText) {
    const Context c =
        ParseContext(json{{"order_id", 12345}, {"neg", -7}, {"zero", 0}, {"big", 18446744073709551615ULL}});
    EXPECT_EQ(c.at("order_id"), "12345");
    EXPECT_EQ(c.at("neg"), "-7");
    EXPECT_EQ(c.at("zero"), "0");
    EXPECT_EQ(c.at("big"), "18446744073709551615");
}

TEST(ParseContext, TurnsFloatsIntoShortestDecimalText) {
    const Context c = ParseContext(json{{"amount", 499.5}, {"tenth", 0.1}, {"whole", 250.0}});
    EXPECT_EQ(c.at("amount"), "499.5");
    EXPECT_EQ(c.at("tenth"), "0.1");
    EXPECT_EQ(c.at("whole"), "250.0");
}

TEST(ParseContext, NumbersParsedFromRequestTextBecomeText) {
    const Context c = ParseContext(json::parse(R"({"amount": 1299.00, "order_id": 42})"));
    EXPECT_EQ(c.at("amount"), "1299.0");
    EXPECT_EQ(c.at("order_id"), "42");
}

TEST(ParseContext, MissingOrNullContextIsEmpty) {
    EXPECT_TRUE(ParseContext(json()).empty());
    EXPECT_TRUE(ParseContext(json::object()).empty());
}

TEST(ParseContext, RejectsBooleanNamingTheField) {
    EXPECT_INVALID_INPUT(ParseContext(json{{"x", true}}), "invalid_context", "context.x");
}

TEST(ParseContext, RejectsNullValueNamingTheField) {
    EXPECT_INVALID_INPUT(ParseContext(json{{"x", nullptr}}), "invalid_context", "context.x");
}

TEST(ParseContext, RejectsObjectValueNamingTheField) {
    EXPECT_INVALID_INPUT(ParseContext(json{{"x", {{"nested", 1}}}}), "invalid_context", "context.x");
}

TEST(ParseContext, RejectsArrayValueNamingTheField) {
    EXPECT_INVALID_INPUT(ParseContext(json{{"x", json::array({1, 2})}}), "invalid_context", "context.x");
}

TEST(ParseContext, RejectsAContextThatIsNotAnObject) {
    EXPECT_INVALID_INPUT(ParseContext(json::array({"a"})), "invalid_context", "context");
    EXPECT_INVALID_INPUT(ParseContext(json("text")), "invalid_context", "context");
    EXPECT_INVALID_INPUT(ParseContext(json(5)), "invalid_context", "context");
}

TEST(ParseContext, AcceptsAValueOfExactlyTheMaximumLength) {
    const std::string value(kMaxContextValueLength, 'a');
    EXPECT_EQ(ParseContext(json{{"x", value}}).at("x"), value);
}

TEST(ParseContext, RejectsAnOverLongValueNamingTheField) {
    const std::string value(kMaxContextValueLength + 1, 'a');
    EXPECT_INVALID_INPUT(ParseContext(json{{"area", value}}), "invalid_context", "context.area");
}

TEST(ParseContext, ErrorMessageNamesTheField) {
    try {
        ParseContext(json{{"customer_name", false}});
        FAIL() << "expected an error";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("context.customer_name"), std::string::npos) << e.what();
    }
}

// ---------------------------------------------------------------------------------------------
// NormalizeParameter

TEST(NormalizeParameter, LeavesOrdinaryTextAlone) {
    EXPECT_EQ(NormalizeParameter("Asha Rao"), "Asha Rao");
    EXPECT_EQ(NormalizeParameter("₹1,299.00"), "₹1,299.00");
}

TEST(NormalizeParameter, ReplacesANewlineWithOneSpace) {
    EXPECT_EQ(NormalizeParameter("line one\nline two"), "line one line two");
}

TEST(NormalizeParameter, ReplacesATabWithOneSpace) { EXPECT_EQ(NormalizeParameter("a\tb"), "a b"); }

TEST(NormalizeParameter, ReplacesCrlfWithOneSpace) { EXPECT_EQ(NormalizeParameter("a\r\nb"), "a b"); }

TEST(NormalizeParameter, CollapsesAWhitespaceRunContainingANewline) {
    EXPECT_EQ(NormalizeParameter("a \n\n  b"), "a b");
    EXPECT_EQ(NormalizeParameter("a \tb"), "a b");
}

TEST(NormalizeParameter, CollapsesFourOrMoreSpaces) {
    EXPECT_EQ(NormalizeParameter("a    b"), "a b");
    EXPECT_EQ(NormalizeParameter("a          b"), "a b");
}

TEST(NormalizeParameter, KeepsTwoOrThreeSpaces) {
    EXPECT_EQ(NormalizeParameter("a  b"), "a  b");
    EXPECT_EQ(NormalizeParameter("a   b"), "a   b");
}

TEST(NormalizeParameter, TrimsLeadingAndTrailingWhitespace) {
    EXPECT_EQ(NormalizeParameter("  Asha "), "Asha");
    EXPECT_EQ(NormalizeParameter("\n\tAsha\r\n"), "Asha");
}

TEST(NormalizeParameter, WhitespaceOnlyBecomesEmpty) {
    EXPECT_EQ(NormalizeParameter(""), "");
    EXPECT_EQ(NormalizeParameter("   "), "");
    EXPECT_EQ(NormalizeParameter("\r\n\t "), "");
}

TEST(NormalizeParameter, NeverLeavesANewlineTabOrFourSpaces) {
    const std::string inputs[] = {"a\n\n\nb", "\t\t", "x \r y", "p     q", "1\v2\f3"};
    for (const auto& in : inputs) {
        const std::string out = NormalizeParameter(in);
        EXPECT_EQ(out.find_first_of("\n\t\r\v\f"), std::string::npos) << in;
        EXPECT_EQ(out.find("    "), std::string::npos) << in;
    }
}

// ---------------------------------------------------------------------------------------------
// RenderTemplate

TEST(RenderTemplate, ParametersFollowTheTemplateVariableOrder) {
    const RenderedTemplate r = RenderTemplate(DeliveryReminder(), FullContext());
    EXPECT_EQ(r.parameters, (std::vector<std::string>{"Asha", "Jan 28", "Koramangala"}));
}

TEST(RenderTemplate, PreviewFillsEveryPlaceholder) {
    const RenderedTemplate r = RenderTemplate(DeliveryReminder(), FullContext());
    EXPECT_EQ(r.preview, "Hi Asha, your delivery on Jan 28 to Koramangala is on its way.");
}

TEST(RenderTemplate, PreviewAcceptsSpacesInsidePlaceholderBraces) {
    Template t = DeliveryReminder();
    t.body = "Hello {{ customer_name }}!";
    EXPECT_EQ(RenderTemplate(t, FullContext()).preview, "Hello Asha!");
}

TEST(RenderTemplate, PreviewRepeatsAVariableUsedTwice) {
    Template t = DeliveryReminder();
    t.body = "{{area}}/{{area}}";
    EXPECT_EQ(RenderTemplate(t, FullContext()).preview, "Koramangala/Koramangala");
}

TEST(RenderTemplate, MissingVariableIsMissingContextNamingIt) {
    Context c = FullContext();
    c.erase("delivery_date");
    EXPECT_INVALID_INPUT(RenderTemplate(DeliveryReminder(), c), "missing_context", "context.delivery_date");
}

TEST(RenderTemplate, NamesTheFirstMissingVariableInTemplateOrder) {
    EXPECT_INVALID_INPUT(RenderTemplate(DeliveryReminder(), Context{}), "missing_context", "context.customer_name");
}

TEST(RenderTemplate, ValueEmptyAfterNormalisingIsInvalidContext) {
    Context c = FullContext();
    c["area"] = " \n\t ";
    EXPECT_INVALID_INPUT(RenderTemplate(DeliveryReminder(), c), "invalid_context", "context.area");
    c["area"] = "";
    EXPECT_INVALID_INPUT(RenderTemplate(DeliveryReminder(), c), "invalid_context", "context.area");
}

TEST(RenderTemplate, NormalisesParameterValues) {
    Context c = FullContext();
    c["customer_name"] = "  Asha\nRao ";
    const RenderedTemplate r = RenderTemplate(DeliveryReminder(), c);
    EXPECT_EQ(r.parameters[0], "Asha Rao");
    EXPECT_EQ(r.preview.rfind("Hi Asha Rao,", 0), 0u);
}

TEST(RenderTemplate, ExtraContextValuesAreIgnored) {
    Context c = FullContext();
    c["unused"] = "whatever";
    EXPECT_EQ(RenderTemplate(DeliveryReminder(), c).parameters.size(), 3u);
}

TEST(RenderTemplate, PlaceholderSyntaxInsideAValueIsNeverExpanded) {
    Context c = FullContext();
    c["customer_name"] = "{{area}}";
    const RenderedTemplate r = RenderTemplate(DeliveryReminder(), c);
    EXPECT_EQ(r.parameters[0], "{{area}}");
    EXPECT_EQ(r.preview, "Hi {{area}}, your delivery on Jan 28 to Koramangala is on its way.");
}

TEST(RenderTemplate, MarkupInAValueIsKeptVerbatim) {
    Context c = FullContext();
    c["customer_name"] = "<script>alert('x')</script>";
    const RenderedTemplate r = RenderTemplate(DeliveryReminder(), c);
    EXPECT_EQ(r.parameters[0], "<script>alert('x')</script>");
    EXPECT_NE(r.preview.find("<script>alert('x')</script>"), std::string::npos);
}

TEST(RenderTemplate, SqlTextInAValueIsKeptVerbatim) {
    Context c = FullContext();
    c["area"] = "'; DROP TABLE notifications_log; --";
    const RenderedTemplate r = RenderTemplate(DeliveryReminder(), c);
    EXPECT_EQ(r.parameters[2], "'; DROP TABLE notifications_log; --");
}

TEST(RenderTemplate, PlaceholderThatIsNotAVariableIsShownAsWritten) {
    Template t = DeliveryReminder();
    t.body = "Hi {{customer_name}} {{ other }}";
    EXPECT_EQ(RenderTemplate(t, FullContext()).preview, "Hi Asha {{ other }}");
}

TEST(RenderTemplate, UnclosedBracesStayAsLiteralText) {
    Template t = DeliveryReminder();
    t.body = "Hi {{customer_name}}, {{ unfinished";
    EXPECT_EQ(RenderTemplate(t, FullContext()).preview, "Hi Asha, {{ unfinished");
}

TEST(RenderTemplate, BodyWithoutPlaceholdersIsThePreview) {
    Template t = DeliveryReminder();
    t.body = "Plain text.";
    EXPECT_EQ(RenderTemplate(t, FullContext()).preview, "Plain text.");
}

// ---------------------------------------------------------------------------------------------
// ApplyTemplatePatch

TEST(ApplyTemplatePatch, EmptyPatchChangesNothing) {
    const Template before = DeliveryReminder();
    const Template after = ApplyTemplatePatch(before, json::object());
    EXPECT_EQ(after.body, before.body);
    EXPECT_EQ(after.variables, before.variables);
    EXPECT_EQ(after.language, before.language);
    EXPECT_EQ(after.enabled, before.enabled);
}

TEST(ApplyTemplatePatch, AppliesEveryValidField) {
    const Template after = ApplyTemplatePatch(DeliveryReminder(), json{
                                                                      {"description", "new description"},
                                                                      {"language", "en_US"},
                                                                      {"provider_template_name", "delivery_v2"},
                                                                      {"body", "Dear {{customer_name}}"},
                                                                      {"category", "marketing"},
                                                                      {"enabled", false},
                                                                      {"variables", {"customer_name"}},
                                                                  });
    EXPECT_EQ(after.description, "new description");
    EXPECT_EQ(after.language, "en_US");
    EXPECT_EQ(after.provider_template_name, "delivery_v2");
    EXPECT_EQ(after.body, "Dear {{customer_name}}");
    EXPECT_EQ(after.category, "marketing");
    EXPECT_FALSE(after.enabled);
    EXPECT_EQ(after.variables, std::vector<std::string>{"customer_name"});
    EXPECT_EQ(after.name, "delivery_reminder");
}

TEST(ApplyTemplatePatch, ChangesOnlyTheFieldsPresent) {
    const Template after = ApplyTemplatePatch(DeliveryReminder(), json{{"enabled", false}});
    const Template before = DeliveryReminder();
    EXPECT_FALSE(after.enabled);
    EXPECT_EQ(after.body, before.body);
    EXPECT_EQ(after.description, before.description);
    EXPECT_EQ(after.provider_template_name, before.provider_template_name);
}

TEST(ApplyTemplatePatch, IgnoresUnknownFields) {
    const Template after = ApplyTemplatePatch(DeliveryReminder(), json{{"name", "renamed"}, {"colour", "blue"}});
    EXPECT_EQ(after.name, "delivery_reminder");
}

TEST(ApplyTemplatePatch, RejectsABodyThatIsNotAnObject) {
    EXPECT_INVALID_INPUT(ApplyTemplatePatch(DeliveryReminder(), json::array()), "invalid_body", "");
    EXPECT_INVALID_INPUT(ApplyTemplatePatch(DeliveryReminder(), json("x")), "invalid_body", "");
}

TEST(ApplyTemplatePatch, RejectsNonStringDescription) {
    EXPECT_INVALID_INPUT(ApplyTemplatePatch(DeliveryReminder(), json{{"description", 5}}), "invalid_field",
                         "description");
}

TEST(ApplyTemplatePatch, AcceptsAnEmptyDescription) {
    EXPECT_EQ(ApplyTemplatePatch(DeliveryReminder(), json{{"description", ""}}).description, "");
}

TEST(ApplyTemplatePatch, RejectsAnOverLongDescription) {
    EXPECT_INVALID_INPUT(ApplyTemplatePatch(DeliveryReminder(), json{{"description", std::string(501, 'd')}}),
                         "invalid_field", "description");
}

TEST(ApplyTemplatePatch, RejectsABadLanguage) {
    EXPECT_INVALID_INPUT(ApplyTemplatePatch(DeliveryReminder(), json{{"language", ""}}), "invalid_field", "language");
    EXPECT_INVALID_INPUT(ApplyTemplatePatch(DeliveryReminder(), json{{"language", "en US"}}), "invalid_field",
                         "language");
    EXPECT_INVALID_INPUT(ApplyTemplatePatch(DeliveryReminder(), json{{"language", "e1"}}), "invalid_field", "language");
    EXPECT_INVALID_INPUT(ApplyTemplatePatch(DeliveryReminder(), json{{"language", std::string(17, 'e')}}),
                         "invalid_field", "language");
    EXPECT_INVALID_INPUT(ApplyTemplatePatch(DeliveryReminder(), json{{"language", nullptr}}), "invalid_field",
                         "language");
}

TEST(ApplyTemplatePatch, AcceptsLanguageCodesWithRegion) {
    EXPECT_EQ(ApplyTemplatePatch(DeliveryReminder(), json{{"language", "hi"}}).language, "hi");
    EXPECT_EQ(ApplyTemplatePatch(DeliveryReminder(), json{{"language", "en_GB"}}).language, "en_GB");
    // WhatsApp writes the region after an underscore: en-GB would never match a variant or a customer.
    EXPECT_INVALID_INPUT(ApplyTemplatePatch(DeliveryReminder(), json{{"language", "en-GB"}}), "invalid_field",
                         "language");
}

TEST(ApplyTemplatePatch, RejectsABadProviderTemplateName) {
    EXPECT_INVALID_INPUT(ApplyTemplatePatch(DeliveryReminder(), json{{"provider_template_name", ""}}), "invalid_field",
                         "provider_template_name");
    EXPECT_INVALID_INPUT(ApplyTemplatePatch(DeliveryReminder(), json{{"provider_template_name", "Delivery-V2"}}),
                         "invalid_field", "provider_template_name");
    EXPECT_INVALID_INPUT(ApplyTemplatePatch(DeliveryReminder(), json{{"provider_template_name", 7}}), "invalid_field",
                         "provider_template_name");
}

TEST(ApplyTemplatePatch, RejectsAnEmptyOrBlankBody) {
    EXPECT_INVALID_INPUT(ApplyTemplatePatch(DeliveryReminder(), json{{"body", ""}}), "invalid_field", "body");
    EXPECT_INVALID_INPUT(ApplyTemplatePatch(DeliveryReminder(), json{{"body", "  \n "}}), "invalid_field", "body");
}

TEST(ApplyTemplatePatch, RejectsAnOverLongBody) {
    EXPECT_INVALID_INPUT(ApplyTemplatePatch(DeliveryReminder(), json{{"body", std::string(4097, 'b')}}),
                         "invalid_field", "body");
}

TEST(ApplyTemplatePatch, RejectsABodyReferringToAnUnknownVariable) {
    EXPECT_INVALID_INPUT(ApplyTemplatePatch(DeliveryReminder(), json{{"body", "Hi {{customer_name}} {{amount}}"}}),
                         "invalid_field", "body");
}

TEST(ApplyTemplatePatch, RejectsVariablesThatLeaveABodyPlaceholderUndeclared) {
    // The current body uses all three variables; dropping one makes it refer to an unknown name.
    EXPECT_INVALID_INPUT(ApplyTemplatePatch(DeliveryReminder(), json{{"variables", {"customer_name", "area"}}}),
                         "invalid_field", "body");
}

TEST(ApplyTemplatePatch, AcceptsNewVariablesTogetherWithABodyUsingThem) {
    const Template after = ApplyTemplatePatch(DeliveryReminder(), json{{"variables", {"customer_name", "amount"}},
                                                                       {"body", "{{customer_name}}: {{amount}}"}});
    EXPECT_EQ(after.variables, (std::vector<std::string>{"customer_name", "amount"}));
}

TEST(ApplyTemplatePatch, RejectsDuplicateVariables) {
    EXPECT_INVALID_INPUT(
        ApplyTemplatePatch(DeliveryReminder(), json{{"variables", {"customer_name", "delivery_date", "area", "area"}}}),
        "invalid_field", "variables");
}

TEST(ApplyTemplatePatch, RejectsMalformedVariables) {
    EXPECT_INVALID_INPUT(ApplyTemplatePatch(DeliveryReminder(), json{{"variables", json::array()}}), "invalid_field",
                         "variables");
    EXPECT_INVALID_INPUT(ApplyTemplatePatch(DeliveryReminder(), json{{"variables", "customer_name"}}), "invalid_field",
                         "variables");
    EXPECT_INVALID_INPUT(ApplyTemplatePatch(DeliveryReminder(), json{{"variables", {"customer_name", 3}}}),
                         "invalid_field", "variables");
    EXPECT_INVALID_INPUT(ApplyTemplatePatch(DeliveryReminder(), json{{"variables", {"Customer Name"}}}),
                         "invalid_field", "variables");
    json many = json::array();
    for (int i = 0; i < 21; ++i) many.push_back("v" + std::to_string(i));
    EXPECT_INVALID_INPUT(ApplyTemplatePatch(DeliveryReminder(), json{{"variables", many}, {"body", "x"}}),
                         "invalid_field", "variables");
}

TEST(ApplyTemplatePatch, AcceptsTwentyVariables) {
    json names = json::array();
    for (int i = 0; i < 20; ++i) names.push_back("v" + std::to_string(i));
    EXPECT_EQ(ApplyTemplatePatch(DeliveryReminder(), json{{"variables", names}, {"body", "{{v19}}"}}).variables.size(),
              20u);
}

TEST(ApplyTemplatePatch, RejectsNonBooleanEnabled) {
    EXPECT_INVALID_INPUT(ApplyTemplatePatch(DeliveryReminder(), json{{"enabled", "false"}}), "invalid_field",
                         "enabled");
    EXPECT_INVALID_INPUT(ApplyTemplatePatch(DeliveryReminder(), json{{"enabled", 0}}), "invalid_field", "enabled");
}

TEST(ApplyTemplatePatch, RejectsAnOverLongCategory) {
    EXPECT_INVALID_INPUT(ApplyTemplatePatch(DeliveryReminder(), json{{"category", std::string(65, 'c')}}),
                         "invalid_field", "category");
}

// ---------------------------------------------------------------------------------------------
// UnknownPlaceholders

TEST(UnknownPlaceholders, EmptyWhenEveryPlaceholderIsAVariable) {
    EXPECT_TRUE(UnknownPlaceholders(DeliveryReminder()).empty());
}

TEST(UnknownPlaceholders, ListsUnknownNamesInOrderOfAppearance) {
    Template t = DeliveryReminder();
    t.body = "{{zeta}} {{customer_name}} {{ alpha }} {{zeta}}";
    EXPECT_EQ(UnknownPlaceholders(t), (std::vector<std::string>{"zeta", "alpha", "zeta"}));
}

TEST(UnknownPlaceholders, IgnoresTextWithoutClosingBraces) {
    Template t = DeliveryReminder();
    t.body = "{{customer_name}} and {{ never closed";
    EXPECT_TRUE(UnknownPlaceholders(t).empty());
}

// ---------------------------------------------------------------------------------------------
// IsValidTemplateName

TEST(IsValidTemplateName, AcceptsLowercaseSnakeCaseNames) {
    EXPECT_TRUE(IsValidTemplateName("delivery_reminder"));
    EXPECT_TRUE(IsValidTemplateName("welcome2"));
    EXPECT_TRUE(IsValidTemplateName(std::string(64, 'a')));
}

TEST(IsValidTemplateName, RejectsOtherNames) {
    EXPECT_FALSE(IsValidTemplateName(""));
    EXPECT_FALSE(IsValidTemplateName("Welcome"));
    EXPECT_FALSE(IsValidTemplateName("delivery-reminder"));
    EXPECT_FALSE(IsValidTemplateName("../etc/passwd"));
    EXPECT_FALSE(IsValidTemplateName(std::string(65, 'a')));
}

}  // namespace
}  // namespace notify
