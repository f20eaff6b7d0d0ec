#pragma once

#include <string>
#include <vector>

namespace notify {

// Replaces every occurrence of each secret in `text` with "[REDACTED]".
std::string RedactSecrets(std::string text, const std::vector<std::string>& secrets);

// The default logger: UTC timestamps on stdout, flushed every line, and any configured secret
// that finds its way into a message replaced before it is written.
void SetUpLogging(const std::string& level, const std::vector<std::string>& secrets);

// "postgresql://user:pass@host/db" -> "postgresql://host/db": what is safe to log of a URL.
std::string DescribeUrl(const std::string& url);

}  // namespace notify
