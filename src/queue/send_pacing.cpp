#include "queue/send_pacing.h"

#include <atomic>
#include <mutex>

#include "queue/rate_limiter.h"
#include "queue/recipient_gap.h"

namespace notify {
namespace {

class LocalSendPacing final : public SendPacing {
public:
    LocalSendPacing(int rate_per_second, TimeMs probe_interval_ms, TimeMs now)
        : bucket_(rate_per_second, now), hold_(probe_interval_ms) {}

    SendingHold::Admission AdmitHold(TimeMs now, bool may_probe) override {
        std::lock_guard lock(mutex_);
        return hold_.Admit(now, may_probe);
    }
    TimeMs TryAcquireToken(TimeMs now) override {
        std::lock_guard lock(mutex_);
        return bucket_.TryAcquire(now);
    }
    std::optional<TimeMs> ReserveRecipient(const std::string& phone, TimeMs now, TimeMs gap_ms) override {
        std::lock_guard lock(mutex_);
        return gaps_.Reserve(phone, now, gap_ms);
    }
    void ReleaseRecipient(const std::string& phone, TimeMs reserved_at) override {
        std::lock_guard lock(mutex_);
        gaps_.Release(phone, reserved_at);
    }
    bool ThrottleUntil(TimeMs until) override {
        std::lock_guard lock(mutex_);
        const bool extends = until > bucket_.held_until();
        bucket_.HoldUntil(until);
        return extends;
    }
    bool OnStopAll(const std::string& error, TimeMs now) override {
        std::lock_guard lock(mutex_);
        return hold_.OnStopAll(error, now);
    }
    bool OnHealthy(TimeMs admitted_at) override {
        std::lock_guard lock(mutex_);
        return hold_.OnHealthy(admitted_at);
    }
    bool ClearHold() override {
        std::lock_guard lock(mutex_);
        return hold_.Clear();
    }
    Look Peek(TimeMs now) override {
        std::lock_guard lock(mutex_);
        return Look{hold_.Peek(now), hold_.fault(), hold_.next_probe_at(), bucket_.held_until()};
    }

private:
    std::mutex mutex_;
    TokenBucket bucket_;
    SendingHold hold_;
    RecipientGap gaps_;
};

class SharedSendPacing final : public SendPacing {
public:
    SharedSendPacing(PacingStore& store, int rate_per_second, TimeMs probe_interval_ms, const Clock& clock)
        : store_(store), rate_(rate_per_second), probe_interval_ms_(probe_interval_ms), clock_(clock) {}

    SendingHold::Admission AdmitHold(TimeMs now, bool may_probe) override {
        // Only a held sender needs the lock: the probe is one per interval across all nodes.
        if (!Recent().fault_error) return SendingHold::Admission::kSend;
        SendingHold::Admission admission = SendingHold::Admission::kSend;
        Update([&](SendingHold& hold, TokenBucket&) { admission = hold.Admit(now, may_probe); });
        return admission;
    }

    TimeMs TryAcquireToken(TimeMs now) override {
        if (rate_ == 0) {
            // No bucket to share; a Retry-After still holds every node.
            const TimeMs throttled_until = Recent().throttled_until;
            return now < throttled_until ? throttled_until - now : 0;
        }
        TimeMs wait = 0;
        Update([&](SendingHold&, TokenBucket& bucket) { wait = bucket.TryAcquire(now); });
        return wait;
    }

    std::optional<TimeMs> ReserveRecipient(const std::string& phone, TimeMs now, TimeMs gap_ms) override {
        if (gap_ms <= 0) return std::nullopt;
        auto gap_ends = store_.ReserveRecipient(phone, now, gap_ms);
        // Older entries constrain nothing; clearing them now and then keeps the table small.
        if (!gap_ends && ++reservations_ % kForgetEvery == 0) store_.ForgetRecipientsBefore(now - gap_ms);
        return gap_ends;
    }

    void ReleaseRecipient(const std::string& phone, TimeMs reserved_at) override {
        store_.ReleaseRecipient(phone, reserved_at);
    }

    bool ThrottleUntil(TimeMs until) override {
        bool extends = false;
        Update([&](SendingHold&, TokenBucket& bucket) {
            extends = until > bucket.held_until();
            bucket.HoldUntil(until);
        });
        return extends;
    }

    bool OnStopAll(const std::string& error, TimeMs now) override {
        bool starts = false;
        Update([&](SendingHold& hold, TokenBucket&) { starts = hold.OnStopAll(error, now); });
        return starts;
    }

    bool OnHealthy(TimeMs admitted_at) override {
        // Called after every accepted send: a write only while a fault is recorded.
        const PacingState recent = Recent();
        if (!recent.fault_error || admitted_at < recent.fault_since) return false;
        bool lifts = false;
        Update([&](SendingHold& hold, TokenBucket&) { lifts = hold.OnHealthy(admitted_at); });
        return lifts;
    }

    bool ClearHold() override {
        bool was_held = false;
        Update([&](SendingHold& hold, TokenBucket&) { was_held = hold.Clear(); });
        return was_held;
    }

    Look Peek(TimeMs now) override {
        const PacingState state = Recent();
        const SendingHold hold = HoldOf(state);
        return Look{hold.Peek(now), hold.fault(), hold.next_probe_at(), state.throttled_until};
    }

private:
    static constexpr std::uint64_t kForgetEvery = 1024;

    SendingHold HoldOf(const PacingState& state) const {
        std::optional<SendingHold::Fault> fault;
        if (state.fault_error) fault = SendingHold::Fault{*state.fault_error, state.fault_since};
        return SendingHold(probe_interval_ms_, std::move(fault), state.next_probe_at);
    }

    // The rules decide on the locked state; what they leave is written back and kept as the copy.
    template <typename Decide>
    void Update(Decide&& decide) {
        PacingState written;
        store_.UpdatePacing([&](PacingState& state) {
            SendingHold hold = HoldOf(state);
            TokenBucket bucket(rate_,
                               TokenBucket::State{state.bucket_units, state.bucket_refilled_at, state.throttled_until});
            decide(hold, bucket);
            const TokenBucket::State left = bucket.state();
            state.bucket_units = left.units;
            state.bucket_refilled_at = left.refilled_at;
            state.throttled_until = left.held_until;
            state.fault_error.reset();
            if (hold.fault()) {
                state.fault_error = hold.fault()->error;
                state.fault_since = hold.fault()->since;
            }
            state.next_probe_at = hold.next_probe_at().value_or(state.next_probe_at);
            written = state;
        });
        Keep(written);
    }

    PacingState Recent() {
        const TimeMs now = clock_.NowMs();
        {
            std::lock_guard lock(mutex_);
            if (copy_ && now >= copy_at_ && now - copy_at_ < kSharedPacingMaxAgeMs) return *copy_;
        }
        PacingState state = store_.ReadPacing();
        std::lock_guard lock(mutex_);
        copy_ = state;
        copy_at_ = now;
        return state;
    }

    void Keep(const PacingState& state) {
        std::lock_guard lock(mutex_);
        copy_ = state;
        copy_at_ = clock_.NowMs();
    }

    PacingStore& store_;
    const int rate_;
    const TimeMs probe_interval_ms_;
    const Clock& clock_;
    std::mutex mutex_;  // guards the copy
    std::optional<PacingState> copy_;
    TimeMs copy_at_ = 0;
    std::atomic<std::uint64_t> reservations_{0};
};

}  // namespace

std::unique_ptr<SendPacing> MakeLocalSendPacing(int rate_per_second, TimeMs probe_interval_ms, TimeMs now) {
    return std::make_unique<LocalSendPacing>(rate_per_second, probe_interval_ms, now);
}

std::unique_ptr<SendPacing> MakeSharedSendPacing(PacingStore& store, int rate_per_second, TimeMs probe_interval_ms,
                                                 const Clock& clock) {
    return std::make_unique<SharedSendPacing>(store, rate_per_second, probe_interval_ms, clock);
}

}  // namespace notify
