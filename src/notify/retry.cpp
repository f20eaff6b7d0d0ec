#include "notify/retry.h"

#include <algorithm>

namespace notify {

TimeMs NextRetryDelayMs(int attempts_made, const RetryPolicy& policy, std::optional<std::chrono::seconds> retry_after,
                        double uniform01) {
    const int exponent = std::clamp(attempts_made - 1, 0, 40);
    // Doubling in floating point cannot overflow before the cap applies.
    const double ceiling = std::min(static_cast<double>(policy.max_delay_ms),
                                    static_cast<double>(policy.base_delay_ms) * static_cast<double>(1ULL << exponent));
    TimeMs delay = static_cast<TimeMs>(ceiling * std::clamp(uniform01, 0.0, 1.0));
    if (retry_after) delay = std::max<TimeMs>(delay, retry_after->count() * 1000);
    return delay;
}

AfterAttempt DecideAfterAttempt(AttemptOutcome outcome, int attempts_made, const RetryPolicy& policy) {
    switch (outcome) {
        case AttemptOutcome::kAccepted:
            return AfterAttempt::kSent;
        case AttemptOutcome::kPermanent:
            return AfterAttempt::kFailed;
        case AttemptOutcome::kRetryable:
            return attempts_made >= policy.max_attempts ? AfterAttempt::kFailed : AfterAttempt::kRetry;
    }
    std::abort();
}

int CountedAttempts(const std::vector<Attempt>& recorded) {
    return static_cast<int>(
        std::count_if(recorded.begin(), recorded.end(), [](const Attempt& a) { return !a.stops_all_sending; }));
}

}  // namespace notify
