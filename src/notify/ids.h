#pragma once

#include <string>

#include "common/clock.h"
#include "common/random.h"

namespace notify {

// A ULID: 26 characters of Crockford base32, 48 bits of milliseconds then 80 random bits, so
// ids sort by creation time and never collide in practice across processes.
std::string NewMessageId(TimeMs now, RandomSource& random);

}  // namespace notify
