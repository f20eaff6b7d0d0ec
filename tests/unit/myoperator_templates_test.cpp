#include "providers/myoperator_templates.h"

#include <gtest/gtest.h>

#include <string>

namespace notify {
namespace {

TEST(ParseMyOperatorTemplatePage, ReadsTheDocumentedShapeWithWhatsAppStyleEntries) {
    const auto page = ParseMyOperatorTemplatePage(R"({"status": "success", "data": {"count": 3, "results": [
        {"id": "1", "name": "welcome", "language": "en", "status": "APPROVED", "category": "UTILITY",
         "components": [{"type": "HEADER", "text": "{{1}}"}, {"type": "BODY", "text": "Welcome, {{1}}!"}]},
        {"name": "delivery_reminder", "language": {"code": "hi"}, "status": "PENDING",
         "components": [{"type": "body", "text": "{{1}} {{2}} {{3}}"}]},
        {"name": "payment_received", "language": "en", "status": "REJECTED"}]}})");
    ASSERT_TRUE(page.error.empty()) << page.error;
    EXPECT_EQ(page.entries, 3u);
    EXPECT_EQ(page.total, 3u);
    ASSERT_EQ(page.templates.size(), 3u);
    EXPECT_EQ(page.templates[0].name, "welcome");
    EXPECT_EQ(page.templates[0].language, "en");
    EXPECT_EQ(page.templates[0].status, "APPROVED");
    EXPECT_EQ(page.templates[0].variable_count, 1);  // the header's variable is not a body parameter
    EXPECT_EQ(page.templates[1].language, "hi");
    EXPECT_EQ(page.templates[1].status, "PENDING");
    EXPECT_EQ(page.templates[1].variable_count, 3);
    EXPECT_EQ(page.templates[2].variable_count, std::nullopt);  // no body: unknown
}

TEST(ParseMyOperatorTemplatePage, ReadsOtherSpellingsOfTheFields) {
    const auto page = ParseMyOperatorTemplatePage(R"({"data": [
        {"template_name": "a", "language_code": "en", "waba_template_status": "approved", "variable_count": "2"},
        {"element_name": "b", "lang": "hi", "template_status": "APPROVED", "variables": ["x", "y", "z"]},
        {"name": "c", "locale": "en", "approval_status": "APPROVED", "body": "Hi {{name}}"},
        {"language": "en", "status": "APPROVED"},
        "not an object"]})");
    ASSERT_TRUE(page.error.empty()) << page.error;
    EXPECT_EQ(page.entries, 5u);
    EXPECT_EQ(page.total, std::nullopt);
    ASSERT_EQ(page.templates.size(), 3u);  // the nameless entry and the string are skipped
    EXPECT_EQ(page.templates[0].name, "a");
    EXPECT_EQ(page.templates[0].status, "approved");
    EXPECT_EQ(page.templates[0].variable_count, 2);
    EXPECT_EQ(page.templates[1].name, "b");
    EXPECT_EQ(page.templates[1].variable_count, 3);
    EXPECT_EQ(page.templates[2].language, "en");
    EXPECT_EQ(page.templates[2].variable_count, 1);
}

TEST(ParseMyOperatorTemplatePage, ControlCharactersCannotSplitAReportLine) {
    const auto page =
        ParseMyOperatorTemplatePage(R"({"data": {"results": [{"name": "a\nb", "status": " APPROVED\t"}]}})");
    ASSERT_EQ(page.templates.size(), 1u);
    EXPECT_EQ(page.templates[0].name, "a?b");
    EXPECT_EQ(page.templates[0].status, "APPROVED");
}

TEST(ParseMyOperatorTemplatePage, AcceptsTheListAtTheTopOrUnderResults) {
    EXPECT_EQ(ParseMyOperatorTemplatePage(R"([{"name": "a", "language": "en"}])").templates.size(), 1u);
    EXPECT_EQ(ParseMyOperatorTemplatePage(R"({"results": [{"name": "a"}], "count": 7})").total, 7u);
    EXPECT_EQ(ParseMyOperatorTemplatePage(R"({"data": {"results": []}})").entries, 0u);
}

TEST(ParseMyOperatorTemplatePage, WhatIsNotAListingIsAnError) {
    EXPECT_FALSE(ParseMyOperatorTemplatePage("<html>502</html>").error.empty());
    EXPECT_FALSE(ParseMyOperatorTemplatePage(R"({"status": "success", "data": {}})").error.empty());
    const auto failed = ParseMyOperatorTemplatePage(R"({"status": "error", "message": "waba_id is required"})");
    EXPECT_NE(failed.error.find("waba_id is required"), std::string::npos) << failed.error;
}

}  // namespace
}  // namespace notify
