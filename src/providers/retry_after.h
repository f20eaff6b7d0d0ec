#pragma once

#include <chrono>
#include <optional>
#include <string_view>

#include "common/clock.h"

namespace notify {

// Longest wait taken from a Retry-After header; anything larger is clamped to it, so that a
// broken or hostile value cannot park a message for months.
inline constexpr std::chrono::seconds kMaxRetryAfter{24 * 3600};

// Parses an HTTP Retry-After value (RFC 9110 10.2.3): delay-seconds ("120") or an HTTP-date in
// IMF-fixdate, RFC 850 or asctime form, relative to now_ms. A date in the past gives 0 s. Results
// are clamped to kMaxRetryAfter. nullopt for anything else (garbage is ignored, not an error).
std::optional<std::chrono::seconds> ParseRetryAfter(std::string_view value, TimeMs now_ms);

// Parses an HTTP-date (the three forms above) into milliseconds since the epoch; nullopt otherwise.
std::optional<TimeMs> ParseHttpDate(std::string_view text);

}  // namespace notify
