#include <gtest/gtest.h>

#include <initializer_list>
#include <nlohmann/json.hpp>
#include <stdexcept>

#include "business/replies.h"
#include "calendar_helpers.h"

namespace notify {
namespace {

using nlohmann::json;

std::optional<std::string> TextOf(const char* payload) { return ReplyText(json::parse(payload)); }

TEST(Replies, ReadsATextMessagesBody) {
    EXPECT_EQ(TextOf(R"({"data":{"type":"text","context":{"body":"SKIP"}}})"), "SKIP");
}

TEST(Replies, ReadsAQuickReplyButtonsPayloadAndText) {
    EXPECT_EQ(TextOf(R"({"data":{"context":{"payload":"Pause 3"}}})"), "Pause 3");
    EXPECT_EQ(TextOf(R"({"data":{"context":{"text":"Help"}}})"), "Help");
}

TEST(Replies, ReadsACloudApiButton) {
    EXPECT_EQ(TextOf(R"({"data":{"type":"button","button":{"payload":"SKIP","text":"Skip"}}})"), "SKIP");
    EXPECT_EQ(TextOf(R"({"data":{"type":"button","button":{"text":"Skip"}}})"), "Skip");
}

TEST(Replies, ReadsInteractiveButtonAndListReplies) {
    EXPECT_EQ(TextOf(R"({"data":{"type":"interactive","interactive":{"type":"button_reply",
                         "button_reply":{"id":"pause_3","title":"Pause 3"}}}})"),
              "pause_3");
    EXPECT_EQ(TextOf(R"({"data":{"interactive":{"button_reply":{"title":"Pause 3"}}}})"), "Pause 3");
    EXPECT_EQ(TextOf(R"({"data":{"type":"interactive","interactive":{"type":"list_reply",
                         "list_reply":{"id":"skip","title":"Skip tomorrow"}}}})"),
              "skip");
    EXPECT_EQ(TextOf(R"({"data":{"interactive":{"list_reply":{"title":"Resume"}}}})"), "Resume");
}

TEST(Replies, TakesTheFirstPathInTheHeadersOrder) {
    EXPECT_EQ(TextOf(R"({"data":{"context":{"text":"third","payload":"second","body":"first"}}})"), "first");
    EXPECT_EQ(TextOf(R"({"data":{"button":{"payload":"button"},"context":{"text":"context"}}})"), "context");
    EXPECT_EQ(TextOf(R"({"data":{"interactive":{"list_reply":{"id":"list"},"button_reply":{"title":"button"}}}})"),
              "button");
}

TEST(Replies, SkipsEmptyStringsAndWrongTypes) {
    EXPECT_EQ(TextOf(R"({"data":{"context":{"body":"","payload":"SKIP"}}})"), "SKIP");
    EXPECT_EQ(TextOf(R"({"data":{"context":{"body":3,"payload":null,"text":"STOP"}}})"), "STOP");
    EXPECT_EQ(TextOf(R"({"data":{"context":"SKIP","button":{"payload":"PAUSE 2"}}})"), "PAUSE 2");
    EXPECT_EQ(TextOf(R"({"data":{"button":[],"interactive":{"button_reply":{"id":7,"title":"Help"}}}})"), "Help");
}

TEST(Replies, MediaWithoutTextHasNone) {
    EXPECT_EQ(TextOf(R"({"data":{"type":"image","image":{"id":"media-1","caption":"look"}}})"), std::nullopt);
    EXPECT_EQ(TextOf(R"({"data":{"context":{"body":""}}})"), std::nullopt);
    EXPECT_EQ(TextOf(R"({"data":{}})"), std::nullopt);
    EXPECT_EQ(TextOf(R"({})"), std::nullopt);
}

TEST(Replies, APayloadThatIsNotAnObjectHasNoText) {
    EXPECT_EQ(ReplyText(json()), std::nullopt);
    EXPECT_EQ(ReplyText(json("SKIP")), std::nullopt);
    EXPECT_EQ(ReplyText(json::array({"SKIP"})), std::nullopt);
    EXPECT_EQ(TextOf(R"({"data":"SKIP"})"), std::nullopt);
    EXPECT_EQ(TextOf(R"({"data":[{"context":{"body":"SKIP"}}]})"), std::nullopt);
}

void ExpectCommand(std::string_view text, ReplyCommand command, int days = 0) {
    const ParsedReply reply = ParseReply(text);
    EXPECT_EQ(ToString(reply.command), ToString(command)) << '"' << text << '"';
    EXPECT_EQ(reply.days, days) << '"' << text << '"';
}

void ExpectEach(std::initializer_list<std::string_view> texts, ReplyCommand command) {
    for (std::string_view text : texts) ExpectCommand(text, command);
}

TEST(Replies, ParsesSkipInAnyCaseAsAWholeWord) {
    ExpectEach({"SKIP", "skip", "Skip please", "  skip!  ", "Skip.", "skip, thanks"}, ReplyCommand::kSkip);
    ExpectEach({"skipping", "skiptomorrow", "don't skip"}, ReplyCommand::kOther);
}

TEST(Replies, ParsesPauseWithItsDays) {
    ExpectCommand("PAUSE 3", ReplyCommand::kPause, 3);
    ExpectCommand("pause 3 days", ReplyCommand::kPause, 3);
    ExpectCommand("Pause3", ReplyCommand::kPause, 3);
    ExpectCommand("pause 1", ReplyCommand::kPause, 1);
    ExpectCommand("pause 60", ReplyCommand::kPause, 60);
    ExpectCommand("Pause 07.", ReplyCommand::kPause, 7);
    ExpectCommand("PAUSE  10!", ReplyCommand::kPause, 10);
}

TEST(Replies, ReadsUnderscoresAndHyphensAsSpaces) {
    ExpectCommand("pause_3", ReplyCommand::kPause, 3);
    ExpectCommand("pause-14", ReplyCommand::kPause, 14);
    ExpectCommand("skip_next", ReplyCommand::kSkip);
    ExpectCommand("RESUME-deliveries", ReplyCommand::kResume);
}

TEST(Replies, APauseWithoutAUsableNumberGetsHelp) {
    ExpectEach({"PAUSE", "pause.", "PAUSE 0", "PAUSE 61", "pause0", "pause 1000", "pause 99999999999999999999",
                "pause three", "pause 3days", "pause 2.5"},
               ReplyCommand::kHelp);
}

TEST(Replies, PauseMustBeTheWholeWord) { ExpectEach({"paused", "pause3x", "pauses 3"}, ReplyCommand::kOther); }

TEST(Replies, ParsesTheOtherCommands) {
    ExpectEach({"resume", "Resume please"}, ReplyCommand::kResume);
    ExpectEach({"STOP", "stop.", "Unsubscribe"}, ReplyCommand::kStop);
    ExpectEach({"start", "START!"}, ReplyCommand::kStart);
    ExpectEach({"help", "Help?"}, ReplyCommand::kHelp);
}

TEST(Replies, AnythingElseIsOther) {
    ExpectEach({"", "   ", "?!", "thank you", "3 pause", "कल दूध मत भेजना", "\xF0\x9F\x91\x8D" /* thumbs up */, "st op"},
               ReplyCommand::kOther);
}

TEST(Replies, NamesEveryCommand) {
    EXPECT_EQ(ToString(ReplyCommand::kSkip), "skip");
    EXPECT_EQ(ToString(ReplyCommand::kPause), "pause");
    EXPECT_EQ(ToString(ReplyCommand::kResume), "resume");
    EXPECT_EQ(ToString(ReplyCommand::kStop), "stop");
    EXPECT_EQ(ToString(ReplyCommand::kStart), "start");
    EXPECT_EQ(ToString(ReplyCommand::kHelp), "help");
    EXPECT_EQ(ToString(ReplyCommand::kOther), "other");
}

constexpr int kCutoff = 22 * 60;

TEST(Replies, BeforeTheCutoffTheNextDeliveryIsTomorrow) {
    EXPECT_EQ(NextDeliveryDay(KolkataMs(2026, 1, 28, 21, 59), "Asia/Kolkata", kCutoff), MakeDate(2026, 1, 29));
    EXPECT_EQ(NextDeliveryDay(KolkataMs(2026, 1, 28, 0, 0), "Asia/Kolkata", kCutoff), MakeDate(2026, 1, 29));
}

TEST(Replies, FromTheCutoffTheNextDeliveryIsTheDayAfter) {
    EXPECT_EQ(NextDeliveryDay(KolkataMs(2026, 1, 28, 22, 0), "Asia/Kolkata", kCutoff), MakeDate(2026, 1, 30));
    EXPECT_EQ(NextDeliveryDay(KolkataMs(2026, 1, 28, 23, 59), "Asia/Kolkata", kCutoff), MakeDate(2026, 1, 30));
    EXPECT_EQ(NextDeliveryDay(KolkataMs(2026, 12, 31, 22, 30), "Asia/Kolkata", kCutoff), MakeDate(2027, 1, 2));
}

TEST(Replies, TheNextDeliveryDayFollowsTheLocalDate) {
    // 23:30 in Kolkata is 18:00 UTC the same date: past the cutoff.
    EXPECT_EQ(NextDeliveryDay(UtcMs(2026, 1, 28, 18, 0), "Asia/Kolkata", kCutoff), MakeDate(2026, 1, 30));
    // 04:00 in Kolkata on the 28th is 22:30 UTC on the 27th: the local date is already the 28th.
    EXPECT_EQ(NextDeliveryDay(UtcMs(2026, 1, 27, 22, 30), "Asia/Kolkata", kCutoff), MakeDate(2026, 1, 29));
    // The same moment in New York is 17:30 on the 27th.
    EXPECT_EQ(NextDeliveryDay(UtcMs(2026, 1, 27, 22, 30), "America/New_York", kCutoff), MakeDate(2026, 1, 28));
}

TEST(Replies, TheCutoffIsASetting) {
    const TimeMs at_eight_pm = KolkataMs(2026, 1, 28, 20, 0);
    EXPECT_EQ(NextDeliveryDay(at_eight_pm, "Asia/Kolkata", 20 * 60), MakeDate(2026, 1, 30));
    EXPECT_EQ(NextDeliveryDay(at_eight_pm, "Asia/Kolkata", 20 * 60 + 1), MakeDate(2026, 1, 29));
}

TEST(Replies, APauseCoversItsDaysFromTheNextDelivery) {
    const PauseRange skip = PauseFor(MakeDate(2026, 1, 29), 1);
    EXPECT_EQ(skip.from, MakeDate(2026, 1, 29));
    EXPECT_EQ(skip.until, MakeDate(2026, 1, 29));
    const PauseRange three = PauseFor(MakeDate(2026, 1, 30), 3);
    EXPECT_EQ(three.from, MakeDate(2026, 1, 30));
    EXPECT_EQ(three.until, MakeDate(2026, 2, 1));
    const PauseRange longest = PauseFor(MakeDate(2028, 2, 1), kMaxPauseDays);
    EXPECT_EQ(longest.until, MakeDate(2028, 3, 31));
}

TEST(Replies, APauseOfNoDaysIsABrokenInvariant) {
    EXPECT_THROW(PauseFor(MakeDate(2026, 1, 29), 0), std::invalid_argument);
    EXPECT_THROW(PauseFor(MakeDate(2026, 1, 29), -3), std::invalid_argument);
}

TEST(Replies, HelpTextListsTheWords) {
    for (const char* language : {"en", "hi"}) {
        const std::string text = ReplyHelpText(language);
        SCOPED_TRACE(text);
        for (const char* word : {"SKIP", "PAUSE 3", "60", "RESUME", "STOP", "START"}) {
            EXPECT_NE(text.find(word), std::string::npos) << word;
        }
        EXPECT_EQ(text.find('\n'), std::string::npos);
        EXPECT_LT(text.size(), 1024u);  // one WhatsApp message, with room to spare
    }
}

TEST(Replies, HelpTextIsInTheCustomersLanguage) {
    EXPECT_EQ(ReplyHelpText("en"),
              "Reply SKIP to skip your next delivery, PAUSE 3 to pause for 3 days (up to 60), RESUME to restart "
              "deliveries, STOP to stop WhatsApp messages, START to get them again.");
    EXPECT_NE(ReplyHelpText("hi"), ReplyHelpText("en"));
    EXPECT_NE(ReplyHelpText("hi").find("डिलीवरी"), std::string::npos);
    EXPECT_EQ(ReplyHelpText("ta"), ReplyHelpText("en"));
    EXPECT_EQ(ReplyHelpText(""), ReplyHelpText("en"));
}

}  // namespace
}  // namespace notify
