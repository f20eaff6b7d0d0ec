#pragma once

#include <atomic>
#include <cstdint>

#include "providers/provider.h"

namespace notify {

// For running without credentials: accepts every message (template or free text), sends nothing,
// returns a made-up provider message id ("sandbox-<our id>").
class SandboxProvider final : public Provider {
public:
    std::string Name() const override { return "sandbox"; }
    SendOutcome Send(const OutboundMessage& message) override;
    std::uint64_t sent_count() const { return sent_count_.load(); }

private:
    std::atomic<std::uint64_t> sent_count_{0};
};

}  // namespace notify
