#include "app/logging.h"

#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <mutex>
#include <utility>

namespace notify {
namespace {

class RedactingStdoutSink final : public spdlog::sinks::base_sink<std::mutex> {
public:
    explicit RedactingStdoutSink(std::vector<std::string> secrets) : secrets_(std::move(secrets)) {}

protected:
    void sink_it_(const spdlog::details::log_msg& msg) override {
        spdlog::memory_buf_t formatted;
        formatter_->format(msg, formatted);
        const std::string text = RedactSecrets(std::string(formatted.data(), formatted.size()), secrets_);
        std::fwrite(text.data(), 1, text.size(), stdout);
    }
    void flush_() override { std::fflush(stdout); }

private:
    std::vector<std::string> secrets_;
};

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

void SetUpLogging(const std::string& level, const std::vector<std::string>& secrets) {
    auto sink = std::make_shared<RedactingStdoutSink>(secrets);
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
