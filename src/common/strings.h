#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace notify {

// ASCII whitespace: space, tab, CR, LF, vertical tab, form feed.
inline constexpr std::string_view kAsciiWhitespace = " \t\r\n\v\f";

// `text` without leading and trailing characters from `strip` (ASCII whitespace by default).
std::string_view Trim(std::string_view text, std::string_view strip = kAsciiWhitespace);

// A-Z to a-z, every other byte as it is: independent of the C locale, and UTF-8 stays intact.
std::string AsciiLower(std::string_view text);

// The longest prefix of `text` of at most `max_bytes` bytes that does not end inside a UTF-8
// character: cut text is shown again as JSON, where half a character is invalid.
std::string_view TruncateUtf8(std::string_view text, std::size_t max_bytes);

}  // namespace notify
