#include "queue/sending_hold.h"

namespace notify {

SendingHold::Admission SendingHold::Peek(TimeMs now) const {
    if (!fault_) return Admission::kSend;
    return now >= next_probe_at_ ? Admission::kProbe : Admission::kHeld;
}

SendingHold::Admission SendingHold::Admit(TimeMs now, bool may_probe) {
    const Admission admission = Peek(now);
    if (admission != Admission::kProbe) return admission;
    if (!may_probe) return Admission::kHeld;
    next_probe_at_ = now + probe_interval_ms_;
    return Admission::kProbe;
}

bool SendingHold::OnStopAll(const std::string& error, TimeMs now) {
    if (fault_) {
        fault_->error = error;  // the latest answer says most about the account now
        return false;
    }
    fault_ = Fault{error, now};
    next_probe_at_ = now + probe_interval_ms_;
    return true;
}

bool SendingHold::OnHealthy(TimeMs admitted_at) {
    if (!fault_ || admitted_at < fault_->since) return false;
    fault_.reset();
    return true;
}

bool SendingHold::Clear() {
    const bool was_held = fault_.has_value();
    fault_.reset();
    return was_held;
}

std::optional<TimeMs> SendingHold::next_probe_at() const {
    if (!fault_) return std::nullopt;
    return next_probe_at_;
}

}  // namespace notify
