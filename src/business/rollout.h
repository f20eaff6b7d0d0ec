#pragma once

#include <string_view>

namespace notify {

// Staged rollout: a customer's bucket is a stable hash of their E.164 number ("+919876543210")
// modulo 100: the first eight bytes of its SHA-256, big-endian, mod 100. Stable across processes,
// machines and versions (it is a documented contract: a customer inside at 5% stays inside at 25%).
int RolloutBucket(std::string_view e164);

// Inside the rollout at `percent` (0 to 100): bucket < percent. 0: nobody; 100: everybody.
bool InsideRollout(std::string_view e164, int percent);

}  // namespace notify
