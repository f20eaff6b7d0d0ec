#pragma once

#include <optional>
#include <string>
#include <unordered_map>

#include "common/clock.h"

namespace notify {

// Settings::recipient_min_gap_seconds: the last send to each recipient, so that a burst of
// messages to one phone is spread out (WhatsApp refuses more than about one per 6 s to a user).
// Kept in memory per process: with several processes sending, each keeps its own gap, and a
// gap across nodes would need the store. Pure logic; the dispatcher guards it with a mutex.
class RecipientGap final {
public:
    // nullopt: the message may go now, and `now` is reserved as the phone's last send. Otherwise
    // the time the gap ends, when the message should be tried again. gap_ms 0: no gap, no memory.
    std::optional<TimeMs> Reserve(const std::string& phone, TimeMs now, TimeMs gap_ms);

    // The reserved send did not reach the phone (refused, deferred): forget it, unless a later
    // send has replaced it.
    void Release(const std::string& phone, TimeMs reserved_at);

    std::size_t size() const { return last_sent_.size(); }

private:
    void Prune(TimeMs now, TimeMs gap_ms);

    std::unordered_map<std::string, TimeMs> last_sent_;
    std::size_t prune_at_size_ = 1024;
};

}  // namespace notify
