#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <random>
#include <vector>

#include "common/clock.h"
#include "notify/model.h"

namespace notify {

struct RetryPolicy {
    int max_attempts = 10;
    TimeMs base_delay_ms = 30000;
    TimeMs max_delay_ms = 3600000;
};

// Delay before the next attempt after `attempts_made` attempts (1 after the first failure):
// full jitter, uniform in [0, min(max, base * 2^(attempts_made-1))], and never less than the
// provider's Retry-After. `uniform01` is a draw in [0, 1), injected so tests are exact.
TimeMs NextRetryDelayMs(int attempts_made, const RetryPolicy& policy, std::optional<std::chrono::seconds> retry_after,
                        double uniform01);

// What to do with a message after an attempt with this outcome.
enum class AfterAttempt { kSent, kRetry, kFailed };
AfterAttempt DecideAfterAttempt(AttemptOutcome outcome, int attempts_made, const RetryPolicy& policy);

// The attempts that count toward max_attempts: those not refused for a fault that stops all
// sending (an empty wallet must not use up the messages waiting for it to be topped up).
int CountedAttempts(const std::vector<Attempt>& recorded);

}  // namespace notify
