#pragma once

#include <optional>
#include <string>
#include <utility>

#include "common/clock.h"

namespace notify {

// Sending stops for the whole process when the provider reports a fault that no message can get
// past (empty wallet, disabled number, bad credentials): every further send would fail the same
// way and burn its attempts. While held, one message is let through every probe interval as the
// probe; an answer showing the account works again lifts the hold, and so can an admin.
// Pure logic with time as arguments; the dispatcher guards it with a mutex.
class SendingHold final {
public:
    struct Fault {
        std::string error;  // the provider's answer, as recorded on the attempt
        TimeMs since = 0;
    };
    enum class Admission { kSend, kProbe, kHeld };

    explicit SendingHold(TimeMs probe_interval_ms) : probe_interval_ms_(probe_interval_ms) {}
    // A hold as it was left (fault() and the next probe), for nodes that share it through their database.
    SendingHold(TimeMs probe_interval_ms, std::optional<Fault> fault, TimeMs next_probe_at)
        : probe_interval_ms_(probe_interval_ms), fault_(std::move(fault)), next_probe_at_(next_probe_at) {}

    // Whether a send may go out now. While held, a caller that may probe gets kProbe once per
    // interval (taking this interval's probe); everything else gets kHeld.
    Admission Admit(TimeMs now, bool may_probe);

    // Whether a probe is due: what Admit(now, true) would answer, without taking it.
    Admission Peek(TimeMs now) const;

    // A stop-all outcome. True when it starts the hold (the one moment to log it).
    bool OnStopAll(const std::string& error, TimeMs now);

    // An answer showing the account works, to an attempt admitted at `admitted_at`. True when it
    // lifts the hold. Attempts admitted before the hold began prove nothing: they may have been
    // accepted just before the fault.
    bool OnHealthy(TimeMs admitted_at);

    // An admin lifts the hold. True when there was one.
    bool Clear();

    bool held() const { return fault_.has_value(); }
    const std::optional<Fault>& fault() const { return fault_; }
    std::optional<TimeMs> next_probe_at() const;

private:
    TimeMs probe_interval_ms_;
    std::optional<Fault> fault_;
    TimeMs next_probe_at_ = 0;
};

}  // namespace notify
