#include "store/sqlite/group_selection.h"

#include <algorithm>

namespace notify {

std::vector<std::size_t> SelectGroup(const std::vector<WriteClass>& waiting, std::size_t max_size,
                                     std::size_t max_background) {
    const bool foreground_waits = std::find(waiting.begin(), waiting.end(), WriteClass::kForeground) != waiting.end();
    std::vector<std::size_t> taken;
    std::size_t background = 0;
    for (std::size_t i = 0; i < waiting.size() && taken.size() < max_size; ++i) {
        if (waiting[i] == WriteClass::kBackground) {
            if (foreground_waits && background >= max_background) continue;
            ++background;
        }
        taken.push_back(i);
    }
    return taken;
}

}  // namespace notify
