#include "app/logging.h"

#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <memory>
#include <mutex>
#include <utility>

namespace notify {
namespace {

class RedactingSink final : public spdlog::sinks::base_sink<std::mutex> {
public:
    RedactingSink(std::vector<std::string> secrets, LogFormat format, std::FILE* out)
        : secrets_(std::move(secrets)), format_(format), out_(out) {}

protected:
    void sink_it_(const spdlog::details::log_msg& msg) override {
        std::string text;
        if (format_ == LogFormat::kJson) {
            // Redacted before escaping: a secret with a quote or a backslash in it is escaped in the line.
            const spdlog::string_view_t level = spdlog::level::to_string_view(msg.level);
            text = FormatJsonLogLine(msg.time, std::string_view(level.data(), level.size()),
                                     RedactSecrets(std::string(msg.payload.data(), msg.payload.size()), secrets_));
        } else {
            spdlog::memory_buf_t formatted;
            formatter_->format(msg, formatted);
            text = RedactSecrets(std::string(formatted.data(), formatted.size()), secrets_);
        }
        std::fwrite(text.data(), 1, text.size(), out_);
    }
    void flush_() override { std::fflush(out_); }

private:
    std::vector<std::string> secrets_;
    LogFormat format_;
    std::FILE* out_;
};

// The length of the valid UTF-8 sequence at the start of `text` (RFC 3629: no overlongs, no surrogates,
// nothing above U+10FFFF); 0 when it does not start with one.
std::size_t Utf8SequenceLength(std::string_view text) {
    const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
    const unsigned char lead = byte(0);
    std::size_t length = 0;
    unsigned char low = 0x80;
    unsigned char high = 0xBF;
    if (lead >= 0xC2 && lead <= 0xDF) {
        length = 2;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        length = 3;
        if (lead == 0xE0) low = 0xA0;
        if (lead == 0xED) high = 0x9F;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        length = 4;
        if (lead == 0xF0) low = 0x90;
        if (lead == 0xF4) high = 0x8F;
    } else {
        return 0;
    }
    if (text.size() < length) return 0;
    if (byte(1) < low || byte(1) > high) return 0;
    for (std::size_t i = 2; i < length; ++i) {
        if (byte(i) < 0x80 || byte(i) > 0xBF) return 0;
    }
    return length;
}

}  // namespace

std::string RedactSecrets(std::string text, const std::vector<std::string>& secrets) {
    // Every occurrence is found in the original text first and overlapping ones are replaced together, so that no
    // part of a secret survives whatever the order or overlap of the secrets (e.g. "abc" listed before "abcdef").
    std::vector<std::pair<std::size_t, std::size_t>> spans;  // [begin, end)
    for (const auto& secret : secrets) {
        if (secret.empty()) continue;
        for (std::size_t pos = text.find(secret); pos != std::string::npos; pos = text.find(secret, pos + 1)) {
            spans.emplace_back(pos, pos + secret.size());
        }
    }
    if (spans.empty()) return text;
    std::sort(spans.begin(), spans.end());
    std::string out;
    std::size_t copied = 0;
    for (std::size_t i = 0; i < spans.size();) {
        auto [begin, end] = spans[i];
        for (++i; i < spans.size() && spans[i].first < end; ++i) end = std::max(end, spans[i].second);
        out.append(text, copied, begin - copied);
        out += "[REDACTED]";
        copied = end;
    }
    out.append(text, copied, std::string::npos);
    return out;
}

std::optional<LogFormat> ParseLogFormat(std::string_view text) {
    if (text == "text") return LogFormat::kText;
    if (text == "json") return LogFormat::kJson;
    return std::nullopt;
}

void AppendJsonEscaped(std::string& out, std::string_view text) {
    static constexpr char kHex[] = "0123456789abcdef";
    for (std::size_t i = 0; i < text.size();) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c >= 0x80) {
            const std::size_t length = Utf8SequenceLength(text.substr(i));
            if (length == 0) {
                out += "\ufffd";
                ++i;
            } else {
                out.append(text, i, length);
                i += length;
            }
            continue;
        }
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            default:
                if (c < 0x20 || c == 0x7F) {
                    out += "\\u00";
                    out += kHex[c >> 4];
                    out += kHex[c & 0xF];
                } else {
                    out += static_cast<char>(c);
                }
        }
        ++i;
    }
}

std::string FormatJsonLogLine(std::chrono::system_clock::time_point time, std::string_view level,
                              std::string_view message) {
    const auto since_epoch = std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch()).count();
    const std::time_t seconds = static_cast<std::time_t>(since_epoch / 1000);
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    char stamp[96];  // room for any int the compiler imagines in tm
    std::snprintf(stamp, sizeof stamp, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900, utc.tm_mon + 1,
                  utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, static_cast<int>(since_epoch % 1000));
    std::string line;
    line.reserve(message.size() + 80);
    line += "{\"time\":\"";
    line += stamp;
    line += "\",\"level\":\"";
    AppendJsonEscaped(line, level);
    line += "\",\"message\":\"";
    AppendJsonEscaped(line, message);
    line += "\"}\n";
    return line;
}

void SetUpLogging(const std::string& level, const std::vector<std::string>& secrets, LogFormat format, std::FILE* out) {
    auto sink = std::make_shared<RedactingSink>(secrets, format, out);
    auto logger = std::make_shared<spdlog::logger>("notifyd", sink);
    logger->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %l %v", spdlog::pattern_time_type::utc);
    logger->set_level(spdlog::level::from_str(level));
    logger->flush_on(spdlog::level::trace);
    spdlog::set_default_logger(logger);
}

std::string DescribeUrl(const std::string& url) {
    const auto scheme_end = url.find("://");
    if (scheme_end == std::string::npos) return url;
    const auto at = url.find('@', scheme_end + 3);
    const auto slash = url.find('/', scheme_end + 3);
    if (at == std::string::npos || (slash != std::string::npos && at > slash)) return url;
    return url.substr(0, scheme_end + 3) + url.substr(at + 1);
}

}  // namespace notify
