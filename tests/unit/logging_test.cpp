#include "app/logging.h"

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "common/log_context.h"
#include "notify/phone.h"

namespace notify {
namespace {

// ---------------------------------------------------------------------------------------------
// RedactSecrets

TEST(RedactSecrets, ReplacesEveryOccurrence) {
    EXPECT_EQ(RedactSecrets("key=abc123 again abc123, abc123", {"abc123"}),
              "key=[REDACTED] again [REDACTED], [REDACTED]");
}

TEST(RedactSecrets, ReplacesEachOfSeveralSecrets) {
    EXPECT_EQ(RedactSecrets("api key k-111, webhook w-222, admin a-333", {"k-111", "w-222", "a-333"}),
              "api key [REDACTED], webhook [REDACTED], admin [REDACTED]");
}

TEST(RedactSecrets, ReplacesAdjacentOccurrencesSeparately) {
    EXPECT_EQ(RedactSecrets("abcabc", {"abc"}), "[REDACTED][REDACTED]");
}

TEST(RedactSecrets, LeavesTextWithoutSecretsAlone) {
    EXPECT_EQ(RedactSecrets("nothing to hide", {"abc123"}), "nothing to hide");
    EXPECT_EQ(RedactSecrets("nothing to hide", {}), "nothing to hide");
    EXPECT_EQ(RedactSecrets("", {"abc123"}), "");
}

TEST(RedactSecrets, IgnoresEmptySecrets) {
    EXPECT_EQ(RedactSecrets("text with abc123", {"", "abc123", ""}), "text with [REDACTED]");
    EXPECT_EQ(RedactSecrets("text", {""}), "text");
}

TEST(RedactSecrets, TreatsSecretsAsLiteralText) {
    EXPECT_EQ(RedactSecrets("a.*b and axxb", {".*"}), "a[REDACTED]b and axxb");
}

TEST(RedactSecrets, RedactsALongerSecretWhoseStartIsAnotherSecret) {
    // The shorter secret is listed first; no part of the longer one may be left behind.
    EXPECT_EQ(RedactSecrets("token=abcdef", {"abc", "abcdef"}), "token=[REDACTED]");
    EXPECT_EQ(RedactSecrets("token=abcdef", {"def", "abcdef"}), "token=[REDACTED]");
}

TEST(RedactSecrets, RedactsOverlappingOccurrencesOfOneSecretCompletely) {
    EXPECT_EQ(RedactSecrets("x ababab y", {"abab"}), "x [REDACTED] y");
}

TEST(RedactSecrets, RedactsSecretsThatOverlapEachOtherCompletely) {
    EXPECT_EQ(RedactSecrets("x abcde y", {"abc", "cde"}), "x [REDACTED] y");
}

TEST(RedactSecrets, DoesNotRedactInsideItsOwnMarker) {
    // A secret that happens to be part of "[REDACTED]" only matches the caller's text.
    EXPECT_EQ(RedactSecrets("RED and abc", {"abc", "RED"}), "[REDACTED] and [REDACTED]");
    EXPECT_EQ(RedactSecrets("abc", {"abc", "REDACTED"}), "[REDACTED]");
}

TEST(RedactSecrets, LeavesNoSecretInTheOutput) {
    const std::vector<std::string> secrets = {"aa", "aab", "ba", "abba", "b"};
    const std::vector<std::string> texts = {"aaaa", "abbaab", "aabaa", "bab", "xaabbax", "ab ba aab"};
    for (const auto& text : texts) {
        const std::string out = RedactSecrets(text, secrets);
        std::string without_markers = out;
        for (auto pos = without_markers.find("[REDACTED]"); pos != std::string::npos;
             pos = without_markers.find("[REDACTED]")) {
            without_markers.replace(pos, 10, " ");
        }
        for (const auto& secret : secrets) {
            EXPECT_EQ(without_markers.find(secret), std::string::npos) << text << " -> " << out;
        }
    }
}

// ---------------------------------------------------------------------------------------------
// SetUpLogging

TEST(SetUpLogging, RedactsSecretsInLogLines) {
    const auto previous = spdlog::default_logger();
    SetUpLogging("info", {"s3cr3t-key"});
    ::testing::internal::CaptureStdout();
    spdlog::info("calling provider with key {}", "s3cr3t-key");
    spdlog::debug("below the level");
    const std::string out = ::testing::internal::GetCapturedStdout();
    spdlog::set_default_logger(previous);

    EXPECT_EQ(out.find("s3cr3t-key"), std::string::npos) << out;
    EXPECT_NE(out.find("calling provider with key [REDACTED]"), std::string::npos) << out;
    EXPECT_EQ(out.find("below the level"), std::string::npos) << out;
    EXPECT_NE(out.find(" info "), std::string::npos) << out;
    EXPECT_EQ(out.back(), '\n');
}

TEST(SetUpLogging, JsonFormatWritesOneParsableObjectPerLineWithSecretsRedacted) {
    const auto previous = spdlog::default_logger();
    SetUpLogging("info", {"s3cr3t\"key"}, LogFormat::kJson);
    ::testing::internal::CaptureStdout();
    spdlog::info("calling provider with key {}", "s3cr3t\"key");
    spdlog::warn("two\nlines");
    const std::string out = ::testing::internal::GetCapturedStdout();
    spdlog::set_default_logger(previous);

    std::vector<nlohmann::json> lines;
    std::size_t start = 0;
    for (std::size_t end = out.find('\n'); end != std::string::npos; start = end + 1, end = out.find('\n', start)) {
        lines.push_back(nlohmann::json::parse(out.substr(start, end - start)));
    }
    ASSERT_EQ(lines.size(), 2u) << out;
    EXPECT_EQ(lines[0]["level"], "info");
    EXPECT_EQ(lines[0]["message"], "calling provider with key [REDACTED]");
    EXPECT_EQ(lines[1]["level"], "warning");
    EXPECT_EQ(lines[1]["message"], "two\nlines");
    EXPECT_EQ(out.find("s3cr3t"), std::string::npos) << out;
}

TEST(SetUpLogging, TextLinesCarryTheCurrentRequestIdAndNoneOutsideARequest) {
    const auto previous = spdlog::default_logger();
    SetUpLogging("info", {});
    ::testing::internal::CaptureStdout();
    spdlog::info("before");
    {
        const RequestIdScope scope("abc123def4567890");
        spdlog::info("inside");
    }
    spdlog::info("after");
    const std::string out = ::testing::internal::GetCapturedStdout();
    spdlog::set_default_logger(previous);

    EXPECT_NE(out.find(" info before\n"), std::string::npos) << out;
    EXPECT_NE(out.find(" info [req=abc123def4567890] inside\n"), std::string::npos) << out;
    EXPECT_NE(out.find(" info after\n"), std::string::npos) << out;
}

TEST(SetUpLogging, JsonLinesCarryTheCurrentRequestIdAsAField) {
    const auto previous = spdlog::default_logger();
    SetUpLogging("info", {}, LogFormat::kJson);
    ::testing::internal::CaptureStdout();
    {
        const RequestIdScope scope("client-req.42_a");
        spdlog::info("inside");
    }
    spdlog::info("outside");
    const std::string out = ::testing::internal::GetCapturedStdout();
    spdlog::set_default_logger(previous);

    const auto newline = out.find('\n');
    ASSERT_NE(newline, std::string::npos) << out;
    const auto inside = nlohmann::json::parse(out.substr(0, newline));
    const auto outside = nlohmann::json::parse(out.substr(newline + 1));
    EXPECT_EQ(inside["request_id"], "client-req.42_a");
    EXPECT_EQ(inside["message"], "inside");
    EXPECT_FALSE(outside.contains("request_id")) << out;
}

TEST(SetUpLogging, MasksPhoneNumbersInTheMessageOfBothFormatsButNotTheRequestId) {
    const auto previous = spdlog::default_logger();
    for (const LogFormat format : {LogFormat::kText, LogFormat::kJson}) {
        SetUpLogging("info", {"s3cr3t-key-1234567890"}, format);
        ::testing::internal::CaptureStdout();
        {
            const RequestIdScope scope("9876543210");  // a client's id: its own, never masked
            spdlog::info("to {} and {} with key {}", "+919876543210", "919812345678", "s3cr3t-key-1234567890");
        }
        const std::string out = ::testing::internal::GetCapturedStdout();
        EXPECT_EQ(out.find("919876543210"), std::string::npos) << out;
        EXPECT_EQ(out.find("919812345678"), std::string::npos) << out;
        EXPECT_EQ(out.find("s3cr3t"), std::string::npos) << out;
        EXPECT_NE(out.find("to +91******3210 and ********5678 with key [REDACTED]"), std::string::npos) << out;
        EXPECT_NE(out.find(format == LogFormat::kJson ? "\"request_id\":\"9876543210\"" : "[req=9876543210]"),
                  std::string::npos)
            << out;
    }
    spdlog::set_default_logger(previous);
}

// ---------------------------------------------------------------------------------------------
// MaskPhoneNumbers

std::string Masked(std::string text) {
    MaskPhoneNumbers(text);
    return text;
}

TEST(MaskPhoneNumbers, KeepsTheCountryCodeAndTheLastFourDigitsOfAnE164Number) {
    EXPECT_EQ(Masked("+919876543210"), "+91******3210");
    EXPECT_EQ(Masked("to=+919876543210 sent"), "to=+91******3210 sent");
    EXPECT_EQ(Masked("+14155552671"), "+1******2671");
    EXPECT_EQ(Masked("+447911123456"), "+44******3456");
    EXPECT_EQ(Masked("+9715012345678"), "+971******5678");
}

TEST(MaskPhoneNumbers, AgreesWithMaskPhoneOnEveryE164Number) {
    for (const std::string phone : {"+919876543210", "+14155552671", "+4930123456", "+971501234567"}) {
        EXPECT_EQ(Masked(phone), MaskPhone(phone)) << phone;
    }
}

TEST(MaskPhoneNumbers, KeepsOnlyTheLastFourDigitsOfANumberWithoutPlus) {
    EXPECT_EQ(Masked("919876543210"), "********3210");
    EXPECT_EQ(Masked("recipient 9876543210 is not on WhatsApp"), "recipient ******3210 is not on WhatsApp");
    EXPECT_EQ(Masked("\"customer_identifier\":\"919876543210\""), "\"customer_identifier\":\"********3210\"");
}

TEST(MaskPhoneNumbers, MasksEveryNumberInALineAndNumbersAtSentenceEnds) {
    EXPECT_EQ(Masked("+919876543210,+919812345678"), "+91******3210,+91******5678");
    EXPECT_EQ(Masked("sent to +919876543210."), "sent to +91******3210.");
    EXPECT_EQ(Masked("(9876543210)"), "(******3210)");
    EXPECT_EQ(Masked("phone:919876543210;"), "phone:********3210;");
}

TEST(MaskPhoneNumbers, TakesShortNumbersOnlyAfterAPlus) {
    EXPECT_EQ(Masked("+35312345"), "+353*2345");  // 8 digits after '+'
    EXPECT_EQ(Masked("12345678"), "12345678");
    EXPECT_EQ(Masked("123456789"), "123456789");
    EXPECT_EQ(Masked("+1234567"), "+1234567");  // 7 digits: too short for anyone's number
}

TEST(MaskPhoneNumbers, LeavesTimestampsDurationsAndCountsAlone) {
    for (const std::string text :
         {"2026-11-30T17:00:00", "2026-11-30T17:00:00.123Z", "2026-11-30 17:00:00", "latency_ms=1234",
          "retry in 3600000 ms", "deleted 123456789 message(s)", "0.123 s", "{:.1f}ms 12.3ms", "127.0.0.1:8080",
          "[::1]:8080", "queue depth 60000", "HTTP 429"}) {
        EXPECT_EQ(Masked(text), text);
    }
}

TEST(MaskPhoneNumbers, LeavesIdsMadeOfLettersAndDigitsAlone) {
    for (const std::string text :
         {"request_id=9f1234567890ab12", "request_id=1234567890abcdef", "request_id=abcdef1234567890",
          "01JDXK4M2N9876543210ABCDEF",            // a ULID with a long run of digits
          "01ARZ3NDEKTSV4RRFFQ69G5FAV",            // a ULID
          "123e4567-e89b-12d3-a456-426614174000",  // a UUID whose last group is all digits
          "wamid.HBgMOTE5ODc2NTQzMjEwFQIAERgS", "req-1234567890", "1234567890-req", "v1.1234567890", "msg_9876543210",
          "9876543210_x", "0.1234567890123", "key=abc9876543210"}) {
        EXPECT_EQ(Masked(text), text);
    }
}

TEST(MaskPhoneNumbers, LeavesRunsLongerThanAnyPhoneNumberAlone) {
    EXPECT_EQ(Masked("1234567890123456"), "1234567890123456");  // 16 digits: a 16-hex id of digits only
    EXPECT_EQ(Masked("+12345678901234567890"), "+12345678901234567890");
}

TEST(MaskPhoneNumbers, MasksANationalNumberWrittenApartFromItsCountryCode) {
    EXPECT_EQ(Masked("+91-9876543210"), "+91-******3210");
    EXPECT_EQ(Masked("+91 9876543210"), "+91 ******3210");
    EXPECT_EQ(Masked("a 9876543210-"), "a ******3210-");
}

// ---------------------------------------------------------------------------------------------
// FormatJsonLogLine

TEST(FormatJsonLogLine, HasTheTimeInUtcWithMillisecondsTheLevelAndTheMessage) {
    const auto time = std::chrono::system_clock::time_point(std::chrono::milliseconds(1769581800123LL));
    EXPECT_EQ(FormatJsonLogLine(time, "info", "listening"),
              "{\"time\":\"2026-01-28T06:30:00.123Z\",\"level\":\"info\",\"message\":\"listening\"}\n");
}

TEST(FormatJsonLogLine, CarriesARequestIdBetweenTheLevelAndTheMessageWhenThereIsOne) {
    const auto time = std::chrono::system_clock::time_point(std::chrono::milliseconds(1769581800123LL));
    EXPECT_EQ(FormatJsonLogLine(time, "info", "listening", "abc-1"),
              "{\"time\":\"2026-01-28T06:30:00.123Z\",\"level\":\"info\",\"request_id\":\"abc-1\","
              "\"message\":\"listening\"}\n");
}

TEST(FormatJsonLogLine, EscapesQuotesBackslashesAndControlCharacters) {
    const std::string line = FormatJsonLogLine({}, "info", std::string("a\"b\\c\nd\re\tf\x01g\x1fh\x7f", 16));
    EXPECT_NE(line.find(R"("message":"a\"b\\c\nd\re\tf\u0001g\u001fh\u007f")"), std::string::npos) << line;
    EXPECT_EQ(nlohmann::json::parse(line)["message"], std::string("a\"b\\c\nd\re\tf\x01g\x1fh\x7f", 16));
}

TEST(FormatJsonLogLine, KeepsUtf8AsItIs) {
    const std::string message = "₹1,23,456 — छोड़ें 😀";
    const std::string line = FormatJsonLogLine({}, "info", message);
    EXPECT_NE(line.find(message), std::string::npos) << line;
    EXPECT_EQ(nlohmann::json::parse(line)["message"], message);
}

TEST(FormatJsonLogLine, ReplacesBytesThatAreNotUtf8SoTheLineStillParses) {
    // A lone continuation byte, a truncated sequence, an overlong '/', a surrogate, beyond U+10FFFF.
    for (const std::string bad : {"\x80", "\xe2\x82", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xff"}) {
        const std::string line = FormatJsonLogLine({}, "info", "x" + bad + "y");
        const auto parsed = nlohmann::json::parse(line);
        const std::string message = parsed["message"];
        EXPECT_EQ(message.front(), 'x');
        EXPECT_EQ(message.back(), 'y');
        EXPECT_NE(message.find("\xef\xbf\xbd"), std::string::npos) << line;  // U+FFFD
    }
}

TEST(ParseLogFormat, KnowsTextAndJsonOnly) {
    EXPECT_EQ(ParseLogFormat("text"), LogFormat::kText);
    EXPECT_EQ(ParseLogFormat("json"), LogFormat::kJson);
    EXPECT_EQ(ParseLogFormat("Json"), std::nullopt);
    EXPECT_EQ(ParseLogFormat(""), std::nullopt);
}

// ---------------------------------------------------------------------------------------------
// DescribeUrl

TEST(DescribeUrl, StripsUserAndPassword) {
    EXPECT_EQ(DescribeUrl("postgresql://user:pass@db.internal/notify"), "postgresql://db.internal/notify");
}

TEST(DescribeUrl, StripsAUserWithoutPassword) {
    EXPECT_EQ(DescribeUrl("postgresql://user@db.internal:5432/notify"), "postgresql://db.internal:5432/notify");
}

TEST(DescribeUrl, StripsCredentialsWhenThereIsNoPath) {
    EXPECT_EQ(DescribeUrl("postgresql://user:pass@db.internal"), "postgresql://db.internal");
    EXPECT_EQ(DescribeUrl("postgresql://user:pass@db.internal?sslmode=require"),
              "postgresql://db.internal?sslmode=require");
}

TEST(DescribeUrl, LeavesUrlsWithoutCredentialsAlone) {
    EXPECT_EQ(DescribeUrl("postgresql://db.internal/notify"), "postgresql://db.internal/notify");
    EXPECT_EQ(DescribeUrl("https://publicapi.myoperator.co"), "https://publicapi.myoperator.co");
    EXPECT_EQ(DescribeUrl("sqlite:data/notifications.db"), "sqlite:data/notifications.db");
    EXPECT_EQ(DescribeUrl(""), "");
}

TEST(DescribeUrl, KeepsAnAtSignInThePath) {
    EXPECT_EQ(DescribeUrl("https://host/people/@asha"), "https://host/people/@asha");
}

TEST(DescribeUrl, NeverShowsThePassword) {
    for (const char* url : {"postgresql://u:hunter2@h/db", "postgres://u:hunter2@h:1/db?x=1",
                            "postgresql://:hunter2@h/db", "http://u:hunter2@h"}) {
        EXPECT_EQ(DescribeUrl(url).find("hunter2"), std::string::npos) << url << " -> " << DescribeUrl(url);
    }
}

}  // namespace
}  // namespace notify
