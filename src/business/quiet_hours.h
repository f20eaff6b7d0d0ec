#pragma once

#include <optional>
#include <string_view>

#include "common/clock.h"
#include "notify/model.h"

namespace notify {

// Whether `minute_of_day` lies in the window [start, end): a window whose end is not after its
// start crosses midnight (21:00-07:00 holds 23:00 and 06:59, not 07:00).
bool InsideQuietHours(const QuietHours& window, int minute_of_day);

// When a message held by quiet hours may go: nullopt when `now` is outside the window in `zone`
// (send now), else the moment the window ends there (the next time the wall clock reads `end`).
std::optional<TimeMs> QuietHoursRelease(const QuietHours& window, TimeMs now, std::string_view zone);

}  // namespace notify
