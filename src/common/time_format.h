#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/clock.h"

namespace notify {

// "2026-11-25T14:54:58.123Z"
std::string FormatIsoTime(TimeMs t);
// The same text appended to `out`, without a temporary string (for output of many times).
void AppendIsoTime(std::string& out, TimeMs t);

// Accepts "2026-11-25", "2026-11-25T14:54:58Z", fractional seconds up to 9 digits (truncated to
// milliseconds) and offsets such as "+05:30". nullopt for anything else.
std::optional<TimeMs> ParseIsoTime(std::string_view text);

}  // namespace notify
