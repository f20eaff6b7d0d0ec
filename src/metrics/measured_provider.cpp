#include "metrics/measured_provider.h"

#include <chrono>

namespace notify::metrics {

SendOutcome MeasuredProvider::Send(const OutboundMessage& message) {
    // A duration, not a time of day: the steady clock, not the injected Clock (which tests stop).
    const auto started = std::chrono::steady_clock::now();
    SendOutcome outcome = inner_.Send(message);
    const std::chrono::duration<double> took = std::chrono::steady_clock::now() - started;
    metrics_.RecordProviderCall(outcome.kind, took.count());
    return outcome;
}

}  // namespace notify::metrics
