#pragma once

#include <string>

#include "metrics/service_metrics.h"
#include "providers/provider.h"

namespace notify::metrics {

// A Provider that counts each call's outcome and times it, around the provider the dispatcher would
// call directly: every send (immediate or queued) passes through Provider::Send, so wrapping the
// seam measures them all without the dispatcher knowing about metrics.
class MeasuredProvider final : public Provider {
public:
    MeasuredProvider(Provider& inner, ServiceMetrics& metrics) : inner_(inner), metrics_(metrics) {}

    std::string Name() const override { return inner_.Name(); }
    SendOutcome Send(const OutboundMessage& message) override;

private:
    Provider& inner_;
    ServiceMetrics& metrics_;
};

}  // namespace notify::metrics
