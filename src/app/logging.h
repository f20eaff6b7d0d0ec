#pragma once

#include <chrono>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace notify {

// Replaces every occurrence of each secret in `text` with "[REDACTED]".
std::string RedactSecrets(std::string text, const std::vector<std::string>& secrets);

enum class LogFormat { kText, kJson };

// "text" or "json" (LOG_FORMAT); nullopt for anything else.
std::optional<LogFormat> ParseLogFormat(std::string_view text);

// Masks every full phone number in `text` in place, keeping its length: "+919876543210" becomes
// "+91******3210" (the country code and the last four digits stay), "919876543210" becomes
// "********3210" (without a '+' the country code is unknown: only the last four stay). A phone number
// here is a run of digits not touching any other digit: 8 to 15 digits after a '+', 10 to 15 without
// one (E.164 has at most 15). A run that is part of a longer token is left alone: one touching a
// letter, a digit or '_', or joined by '-' or '.' to one (hex request ids, ULIDs, UUIDs such as
// 123e4567-e89b-12d3-a456-426614174000, "req-1234567890", 0.1234567890); so are shorter runs
// (timestamps like 2026-11-30T17:00:00, durations, counts). Numbers written with separators
// ("+91 98765 43210") are not recognised: the service logs numbers in E.164 and masks them itself.
void MaskPhoneNumbers(std::string& text);

// One log line as JSON, newline-terminated:
// {"time":"2026-01-28T06:30:00.123Z","level":"info","request_id":"...","message":"..."}, request_id
// only when not empty. The strings are escaped for JSON (quotes, backslashes, control characters);
// valid UTF-8 is kept as it is and any byte that is not part of valid UTF-8 becomes U+FFFD, so that
// every line parses.
std::string FormatJsonLogLine(std::chrono::system_clock::time_point time, std::string_view level,
                              std::string_view message, std::string_view request_id = {});
// The same line appended to `out` (a buffer reused from line to line).
void AppendJsonLogLine(std::string& out, std::chrono::system_clock::time_point time, std::string_view level,
                       std::string_view message, std::string_view request_id = {});
// Appends `text` as the inside of a JSON string (no quotes around it).
void AppendJsonEscaped(std::string& out, std::string_view text);

// The default logger: UTC timestamps, flushed every line, any configured secret that finds its way
// into a message replaced and every full phone number masked (MaskPhoneNumbers) before it is
// written. Text is "TIME LEVEL MESSAGE", or "TIME LEVEL [req=ID] MESSAGE" while a request is
// handled (CurrentRequestId); JSON is one object per line (FormatJsonLogLine) with "request_id" then.
// `out` is stdout but for commands whose stdout is their result.
void SetUpLogging(const std::string& level, const std::vector<std::string>& secrets,
                  LogFormat format = LogFormat::kText, std::FILE* out = stdout);

// "postgresql://user:pass@host/db" -> "postgresql://host/db": what is safe to log of a URL.
std::string DescribeUrl(const std::string& url);

}  // namespace notify
