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

// One log line as JSON, newline-terminated: {"time":"2026-01-28T06:30:00.123Z","level":"info","message":"..."}.
// The message is escaped for JSON (quotes, backslashes, control characters); valid UTF-8 is kept as it
// is and any byte that is not part of valid UTF-8 becomes U+FFFD, so that every line parses.
std::string FormatJsonLogLine(std::chrono::system_clock::time_point time, std::string_view level,
                              std::string_view message);
// Appends `text` as the inside of a JSON string (no quotes around it).
void AppendJsonEscaped(std::string& out, std::string_view text);

// The default logger: UTC timestamps, flushed every line, and any configured secret that finds its
// way into a message replaced before it is written. Text is "TIME LEVEL MESSAGE"; JSON is one
// object per line (FormatJsonLogLine). `out` is stdout but for commands whose stdout is their result.
void SetUpLogging(const std::string& level, const std::vector<std::string>& secrets,
                  LogFormat format = LogFormat::kText, std::FILE* out = stdout);

// "postgresql://user:pass@host/db" -> "postgresql://host/db": what is safe to log of a URL.
std::string DescribeUrl(const std::string& url);

}  // namespace notify
