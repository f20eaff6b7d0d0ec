#pragma once

// A Provider for unit tests: answers with the scripted outcomes in order, then accepts. It can
// move a ManualClock forward during a send, and call a hook as each send starts. Below it, the
// outcomes that the queue tests script.

#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "common/clock.h"
#include "providers/provider.h"

namespace notify::test_support {

// What MyOperator answers to a message it takes: its id for `message_id` is "prov-" + that.
inline SendOutcome Accepted(const std::string& message_id) {
    SendOutcome ok;
    ok.kind = SendOutcome::Kind::kAccepted;
    ok.http_status = 200;
    ok.provider_message_id = "prov-" + message_id;
    return ok;
}

// A failure worth retrying: HTTP `status`.
inline SendOutcome Retryable(int status = 503) {
    SendOutcome o;
    o.kind = SendOutcome::Kind::kRetryable;
    o.http_status = status;
    o.error = "HTTP " + std::to_string(status);
    return o;
}

// A refusal for good: the template is not approved.
inline SendOutcome Permanent() {
    SendOutcome o;
    o.kind = SendOutcome::Kind::kPermanent;
    o.http_status = 400;
    o.error = "HTTP 400: template not approved";
    return o;
}

class ScriptedProvider final : public Provider {
public:
    ScriptedProvider() = default;
    explicit ScriptedProvider(ManualClock& clock) : clock_(&clock) {}

    std::string Name() const override { return "scripted"; }
    SendOutcome Send(const OutboundMessage& message) override {
        std::lock_guard lock(mutex_);
        sent_ids.push_back(message.id);
        sent.push_back(message);
        if (on_send) on_send(message.id);
        if (clock_) clock_->Advance(send_takes_ms);
        if (!script.empty()) {
            SendOutcome next = script.front();
            script.pop_front();
            return next;
        }
        return Accepted(message.id);
    }

    std::deque<SendOutcome> script;
    std::vector<std::string> sent_ids;
    std::vector<OutboundMessage> sent;  // what each send was given, in order
    TimeMs send_takes_ms = 0;           // with a clock: how far one send moves it
    std::function<void(const std::string&)> on_send;

private:
    ManualClock* clock_ = nullptr;
    std::mutex mutex_;
};

}  // namespace notify::test_support
