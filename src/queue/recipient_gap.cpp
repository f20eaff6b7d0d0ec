#include "queue/recipient_gap.h"

#include <algorithm>

namespace notify {

std::optional<TimeMs> RecipientGap::Reserve(const std::string& phone, TimeMs now, TimeMs gap_ms) {
    if (gap_ms <= 0) return std::nullopt;
    const auto it = last_sent_.find(phone);
    if (it != last_sent_.end() && now < it->second + gap_ms) return it->second + gap_ms;
    last_sent_[phone] = now;
    if (last_sent_.size() >= prune_at_size_) Prune(now, gap_ms);
    return std::nullopt;
}

void RecipientGap::Release(const std::string& phone, TimeMs reserved_at) {
    const auto it = last_sent_.find(phone);
    if (it != last_sent_.end() && it->second == reserved_at) last_sent_.erase(it);
}

void RecipientGap::Prune(TimeMs now, TimeMs gap_ms) {
    // Entries older than the gap constrain nothing. Pruning again only after the map has doubled
    // keeps the cost per send constant however many recipients there are.
    std::erase_if(last_sent_, [&](const auto& entry) { return entry.second + gap_ms <= now; });
    prune_at_size_ = std::max<std::size_t>(1024, 2 * last_sent_.size());
}

}  // namespace notify
