#pragma once

// A Provider for unit tests: answers with the scripted outcomes in order, then accepts. It can
// move a ManualClock forward during a send, and call a hook as each send starts.

#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "common/clock.h"
#include "providers/provider.h"

namespace notify::test_support {

class ScriptedProvider final : public Provider {
public:
    ScriptedProvider() = default;
    explicit ScriptedProvider(ManualClock& clock) : clock_(&clock) {}

    std::string Name() const override { return "scripted"; }
    SendOutcome Send(const OutboundMessage& message) override {
        std::lock_guard lock(mutex_);
        sent_ids.push_back(message.id);
        if (on_send) on_send(message.id);
        if (clock_) clock_->Advance(send_takes_ms);
        if (!script.empty()) {
            SendOutcome next = script.front();
            script.pop_front();
            return next;
        }
        SendOutcome ok;
        ok.kind = SendOutcome::Kind::kAccepted;
        ok.http_status = 200;
        ok.provider_message_id = "prov-" + message.id;
        return ok;
    }

    std::deque<SendOutcome> script;
    std::vector<std::string> sent_ids;
    TimeMs send_takes_ms = 0;  // with a clock: how far one send moves it
    std::function<void(const std::string&)> on_send;

private:
    ManualClock* clock_ = nullptr;
    std::mutex mutex_;
};

}  // namespace notify::test_support
