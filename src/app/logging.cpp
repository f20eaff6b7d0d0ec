#include "app/logging.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <memory>
#include <mutex>
#include <utility>

#include "common/log_context.h"
#include "notify/phone.h"

namespace notify {
namespace {

// Secrets and phone numbers are taken out of the message before it is formatted, so that nothing the
// formatter adds (the time, the level, the request id) is scanned or changed. The buffers are the
// sink's own (base_sink holds its mutex around sink_it_) and keep their capacity from line to line.
class RedactingSink final : public spdlog::sinks::base_sink<std::mutex> {
public:
    RedactingSink(std::vector<std::string> secrets, LogFormat format, std::FILE* out)
        : secrets_(std::move(secrets)), format_(format), out_(out) {}

protected:
    void sink_it_(const spdlog::details::log_msg& msg) override {
        payload_.assign(msg.payload.data(), msg.payload.size());
        // Redacted before escaping: a secret with a quote or a backslash in it is escaped in the line.
        if (!secrets_.empty()) payload_ = RedactSecrets(std::move(payload_), secrets_);
        MaskPhoneNumbers(payload_);
        if (format_ == LogFormat::kJson) {
            const spdlog::string_view_t level = spdlog::level::to_string_view(msg.level);
            line_.clear();
            AppendJsonLogLine(line_, msg.time, std::string_view(level.data(), level.size()), payload_,
                              CurrentRequestId());
            std::fwrite(line_.data(), 1, line_.size(), out_);
        } else {
            spdlog::details::log_msg redacted = msg;
            redacted.payload = spdlog::string_view_t(payload_.data(), payload_.size());
            spdlog::memory_buf_t formatted;
            formatter_->format(redacted, formatted);
            std::fwrite(formatted.data(), 1, formatted.size(), out_);
        }
    }
    void flush_() override { std::fflush(out_); }

private:
    std::vector<std::string> secrets_;
    LogFormat format_;
    std::FILE* out_;
    std::string payload_;
    std::string line_;
};

// %* in the text pattern: "[req=ID] " while the thread works for a request, nothing otherwise.
class RequestIdFlag final : public spdlog::custom_flag_formatter {
public:
    void format(const spdlog::details::log_msg&, const std::tm&, spdlog::memory_buf_t& dest) override {
        const std::string_view id = CurrentRequestId();
        if (id.empty()) return;
        static constexpr std::string_view kOpen = "[req=";
        static constexpr std::string_view kClose = "] ";
        dest.append(kOpen.data(), kOpen.data() + kOpen.size());
        dest.append(id.data(), id.data() + id.size());
        dest.append(kClose.data(), kClose.data() + kClose.size());
    }
    std::unique_ptr<custom_flag_formatter> clone() const override { return std::make_unique<RequestIdFlag>(); }
};

bool IsAsciiDigit(char c) { return c >= '0' && c <= '9'; }

// A character that continues a token: a digit run touching one is part of an id, not a number.
bool IsWordChar(char c) { return IsAsciiDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }

// '-' or '.' between two word characters joins them into one token (a UUID, "req-1234567890", 0.5).
bool IsJoiner(char c) { return c == '-' || c == '.'; }

// Whether text[0, joiner) ends with "+" and one to three digits: "+91-9876543210" is a number written
// apart from its country code, not an id.
bool FollowsCountryCode(std::string_view text, std::size_t joiner) {
    std::size_t k = joiner;
    while (k > 0 && IsAsciiDigit(text[k - 1])) --k;
    const std::size_t digits = joiner - k;
    return digits >= 1 && digits <= 3 && k > 0 && text[k - 1] == '+';
}

constexpr std::size_t kMaxPhoneDigits = 15;      // E.164
constexpr std::size_t kMinPhoneDigitsPlus = 8;   // "+" and a short E.164 number
constexpr std::size_t kMinPhoneDigitsBare = 10;  // without "+": a national number or longer
constexpr std::size_t kPhoneDigitsShown = 4;

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

void MaskPhoneNumbers(std::string& text) {
    const std::size_t size = text.size();
    std::size_t i = 0;
    while (i < size) {
        if (!IsAsciiDigit(text[i])) {
            ++i;
            continue;
        }
        const std::size_t begin = i;
        while (i < size && IsAsciiDigit(text[i])) ++i;
        const std::size_t end = i;
        const std::size_t digits = end - begin;
        const bool plus = begin > 0 && text[begin - 1] == '+';
        const std::size_t start = plus ? begin - 1 : begin;
        if (digits > kMaxPhoneDigits || digits < (plus ? kMinPhoneDigitsPlus : kMinPhoneDigitsBare)) continue;
        if (start > 0) {
            const char before = text[start - 1];
            if (IsWordChar(before)) continue;
            if (IsJoiner(before) && start > 1 && IsWordChar(text[start - 2]) && !FollowsCountryCode(text, start - 1)) {
                continue;
            }
        }
        if (end < size) {
            const char after = text[end];
            if (IsWordChar(after)) continue;
            if (IsJoiner(after) && end + 1 < size && IsWordChar(text[end + 1])) continue;
        }
        std::size_t shown_front = 0;
        if (plus) {
            if (auto phone = SplitE164(std::string_view(text).substr(start, end - start))) {
                shown_front = phone->country_code.size();
            }
        }
        const std::size_t masked_end = digits > shown_front + kPhoneDigitsShown ? end - kPhoneDigitsShown : end;
        for (std::size_t j = begin + shown_front; j < masked_end; ++j) text[j] = '*';
    }
}

void AppendJsonLogLine(std::string& out, std::chrono::system_clock::time_point time, std::string_view level,
                       std::string_view message, std::string_view request_id) {
    const auto since_epoch = std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch()).count();
    const std::time_t seconds = static_cast<std::time_t>(since_epoch / 1000);
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    char stamp[96];  // room for any int the compiler imagines in tm
    std::snprintf(stamp, sizeof stamp, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900, utc.tm_mon + 1,
                  utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, static_cast<int>(since_epoch % 1000));
    out.reserve(out.size() + message.size() + request_id.size() + 96);
    out += "{\"time\":\"";
    out += stamp;
    out += "\",\"level\":\"";
    AppendJsonEscaped(out, level);
    if (!request_id.empty()) {
        out += "\",\"request_id\":\"";
        AppendJsonEscaped(out, request_id);
    }
    out += "\",\"message\":\"";
    AppendJsonEscaped(out, message);
    out += "\"}\n";
}

std::string FormatJsonLogLine(std::chrono::system_clock::time_point time, std::string_view level,
                              std::string_view message, std::string_view request_id) {
    std::string line;
    AppendJsonLogLine(line, time, level, message, request_id);
    return line;
}

void SetUpLogging(const std::string& level, const std::vector<std::string>& secrets, LogFormat format, std::FILE* out) {
    auto sink = std::make_shared<RedactingSink>(secrets, format, out);
    auto logger = std::make_shared<spdlog::logger>("notifyd", sink);
    auto formatter = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc);
    formatter->add_flag<RequestIdFlag>('*').set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %l %*%v");
    logger->set_formatter(std::move(formatter));
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
