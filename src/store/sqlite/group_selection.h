#pragma once

#include <cstddef>
#include <vector>

namespace notify {

// Foreground: a caller answers a client with it (an enqueue, a settings change). Background: the
// queue processor's claims and attempt results.
enum class WriteClass { kForeground, kBackground };

// Which of the waiting writes (oldest first) the next group commit takes: up to max_size of them,
// in order, of which at most max_background background ones while any foreground write waits (the
// others wait for a later group, keeping their order). Alone, background writes fill whole groups.
// So a drain running flat out does not double the latency of every enqueue beside it, and still
// runs at full speed when nothing else writes. Returns the indices taken, ascending.
std::vector<std::size_t> SelectGroup(const std::vector<WriteClass>& waiting, std::size_t max_size,
                                     std::size_t max_background);

}  // namespace notify
