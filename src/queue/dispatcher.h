#pragma once

#include <string>

#include "common/clock.h"
#include "notify/model.h"
#include "notify/retry.h"
#include "providers/provider.h"

namespace notify {

class Store;

struct DispatchResult {
    AfterAttempt after = AfterAttempt::kRetry;
    Attempt attempt;
    SendOutcome outcome;
    TimeMs next_attempt_at = 0;  // when after == kRetry
};

// Sends one message the caller has leased, and records the attempt and the message's next
// state in one store transaction. Used by the queue processor and by immediate sends.
class Dispatcher {
public:
    Dispatcher(Store& store, Provider& provider, const Clock& clock, RetryPolicy policy);

    DispatchResult Dispatch(const Message& message);

    const RetryPolicy& policy() const { return policy_; }

private:
    Store& store_;
    Provider& provider_;
    const Clock& clock_;
    RetryPolicy policy_;
};

}  // namespace notify
