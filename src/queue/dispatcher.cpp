#include "queue/dispatcher.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

#include "common/errors.h"
#include "notify/phone.h"
#include "store/store.h"

namespace notify {
namespace {

AttemptOutcome ToAttemptOutcome(SendOutcome::Kind kind) {
    switch (kind) {
        case SendOutcome::Kind::kAccepted:
            return AttemptOutcome::kAccepted;
        case SendOutcome::Kind::kRetryable:
            return AttemptOutcome::kRetryable;
        case SendOutcome::Kind::kPermanent:
            return AttemptOutcome::kPermanent;
    }
    return AttemptOutcome::kPermanent;  // not reached: the switch names every kind
}

}  // namespace

Dispatcher::Dispatcher(Store& store, Provider& provider, const Clock& clock, RandomSource& random, RetryPolicy policy,
                       ThroughputOptions throughput)
    : store_(store),
      provider_(provider),
      clock_(clock),
      random_(random),
      policy_(policy),
      throughput_(throughput),
      pacing_(store.SharedPacing() != nullptr
                  ? MakeSharedSendPacing(*store.SharedPacing(), throughput.rate_per_second,
                                         throughput.probe_interval_ms, clock)
                  : MakeLocalSendPacing(throughput.rate_per_second, throughput.probe_interval_ms, clock.NowMs())) {}

DispatchResult Dispatcher::Dispatch(const Message& message, const std::string& lease_owner, bool from_queue) {
    DispatchResult result;
    // The recipient may have written STOP since the message was queued: suppress it, send nothing.
    if (store_.IsOptedOut(message.phone)) {
        store_.MarkSuppressed(message.id, clock_.NowMs());
        result.suppressed = true;
        result.after = AfterAttempt::kFailed;  // final, not sent (the processor has no tally for it yet)
        spdlog::info("message {} suppressed before sending: the recipient opted out", message.id);
        return result;
    }
    result.attempt.message_id = message.id;
    result.attempt.number = message.attempts + 1;
    result.attempt.started_at = clock_.NowMs();

    const auto phone = SplitE164(message.phone);
    if (!phone) {
        // Only E.164 numbers are stored; one that no longer parses cannot be sent, ever.
        result.outcome.kind = SendOutcome::Kind::kPermanent;
        result.outcome.error = "stored phone number is not valid E.164";
    } else {
        if (auto due_at = Admit(message, from_queue, result.attempt.started_at)) {
            return Defer(message, lease_owner, *due_at, std::move(result));
        }
        OutboundMessage outbound{message.id,
                                 phone->country_code,
                                 phone->national_number,
                                 message.provider_template_name,
                                 message.language,
                                 message.parameters,
                                 message.text};
        const auto started = std::chrono::steady_clock::now();
        result.outcome = provider_.Send(outbound);
        result.attempt.latency_ms = static_cast<int>(
            std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count());
        Observe(result.outcome, result.attempt.started_at, clock_.NowMs());
        if (result.outcome.kind != SendOutcome::Kind::kAccepted) {
            pacing_->ReleaseRecipient(message.phone, result.attempt.started_at);  // the phone got nothing
        }
    }

    result.attempt.outcome = ToAttemptOutcome(result.outcome.kind);
    result.attempt.http_status = result.outcome.http_status;
    result.attempt.error = result.outcome.error;
    result.attempt.provider_message_id = result.outcome.provider_message_id;
    result.attempt.stops_all_sending = result.outcome.stops_all_sending;
    if (result.outcome.stops_all_sending) {
        // The account's fault, not the message's: retried when sending resumes, never failed for it.
        result.after = AfterAttempt::kRetry;
    } else {
        result.after = DecideAfterAttempt(result.attempt.outcome, result.attempt.number, policy_);
        if (result.after == AfterAttempt::kFailed && result.attempt.outcome == AttemptOutcome::kRetryable &&
            message.attempts > 0) {
            // Out of attempts by number; those refused while sending was held do not count.
            const int counted = CountedAttempts(store_.ListAttempts(message.id)) + 1;
            result.after = DecideAfterAttempt(result.attempt.outcome, counted, policy_);
        }
    }

    AttemptResult record;
    record.attempt = result.attempt;
    record.lease_owner = lease_owner;
    record.now = clock_.NowMs();
    record.next = result.after;
    if (result.after == AfterAttempt::kRetry) {
        // While held, the processor claims nothing but the probe: due at once, the message goes
        // out as soon as sending resumes.
        result.next_attempt_at = result.outcome.stops_all_sending
                                     ? record.now
                                     : record.now + NextRetryDelayMs(result.attempt.number, policy_,
                                                                     result.outcome.retry_after, random_.Uniform01());
        record.next_attempt_at = result.next_attempt_at;
    }
    result.completed_at = record.now;
    result.record_pending = !Record(record, result.after == AfterAttempt::kSent);

    switch (result.after) {
        case AfterAttempt::kSent:
            spdlog::info("message {} sent (attempt {}, {} ms, provider id {})", message.id, result.attempt.number,
                         result.attempt.latency_ms, result.outcome.provider_message_id);
            break;
        case AfterAttempt::kRetry:
            spdlog::warn("message {} attempt {} failed, retry in {} ms: {}", message.id, result.attempt.number,
                         result.next_attempt_at - record.now, result.outcome.error);
            break;
        case AfterAttempt::kFailed:
            spdlog::error("message {} failed after {} attempt(s): {}", message.id, result.attempt.number,
                          result.outcome.error);
            break;
    }
    return result;
}

bool Dispatcher::Record(const AttemptResult& record, bool accepted) {
    TimeMs backoff = kRecordBackoffMs;
    for (int tries = 1;; ++tries) {
        try {
            if (!store_.CompleteAttempt(record)) {
                // Our lease expired and another worker holds the entry now: the attempt is on
                // record, the message's state is the newer owner's to set.
                spdlog::warn(
                    "message {}: the lease of {} had passed to another worker; attempt recorded, state left "
                    "to it",
                    record.attempt.message_id, record.lease_owner);
            }
            return true;
        } catch (const StoreUnavailable& e) {
            // Nothing went out: the entry keeps its lease and is taken again when it expires.
            if (!accepted) throw;
            if (tries == kRecordTries) {
                spdlog::error(
                    "message {} was sent but its record failed {} times ({}); kept to write later, "
                    "not sent again",
                    record.attempt.message_id, tries, e.what());
                std::lock_guard lock(pending_mutex_);
                pending_records_.push_back(record);
                return false;
            }
            spdlog::warn("message {} was sent but recording it failed ({}); trying again in {} ms",
                         record.attempt.message_id, e.what(), backoff);
        }
        clock_.SleepFor(backoff);
        backoff *= 2;
    }
}

bool Dispatcher::WritePendingRecords() {
    std::lock_guard lock(pending_mutex_);
    while (!pending_records_.empty()) {
        try {
            store_.CompleteAttempt(pending_records_.front());
        } catch (const StoreUnavailable& e) {
            spdlog::warn("{} sent message(s) still unrecorded: {}", pending_records_.size(), e.what());
            return false;
        }
        spdlog::info("message {} recorded as sent after the store recovered",
                     pending_records_.front().attempt.message_id);
        pending_records_.erase(pending_records_.begin());
    }
    return true;
}

std::size_t Dispatcher::PendingRecords() const {
    std::lock_guard lock(pending_mutex_);
    return pending_records_.size();
}

std::optional<TimeMs> Dispatcher::Admit(const Message& message, bool from_queue, TimeMs now) {
    // Read per send so that a PUT /settings applies at once; the gap is in whole seconds.
    const Settings settings = store_.GetSettings();
    // Paused after the processor claimed this message: it goes back to the queue unsent, so that
    // nothing is sent once PUT /settings {"paused": true} has answered.
    if (from_queue && settings.paused) return now;
    const TimeMs gap_ms = static_cast<TimeMs>(settings.recipient_min_gap_seconds) * 1000;
    if (pacing_->AdmitHold(now, from_queue) == SendingHold::Admission::kHeld) {
        return now;  // due at once; the processor claims nothing but probes until the hold lifts
    }
    if (auto gap_ends = pacing_->ReserveRecipient(message.phone, now, gap_ms)) return *gap_ends;
    // The bucket answers the wait; an immediate send takes no wait at all (it is queued and
    // answered 202), the queue processor waits briefly for a token rather than reschedule.
    for (TimeMs wait = pacing_->TryAcquireToken(clock_.NowMs()); wait > 0;
         wait = pacing_->TryAcquireToken(clock_.NowMs())) {
        if (!from_queue || wait > throughput_.max_token_wait_ms) {
            pacing_->ReleaseRecipient(message.phone, now);
            return clock_.NowMs() + wait;
        }
        clock_.SleepFor(wait);  // another thread may take the token first; then we wait again
    }
    return std::nullopt;
}

DispatchResult Dispatcher::Defer(const Message& message, const std::string& lease_owner, TimeMs due_at,
                                 DispatchResult result) {
    // Not an attempt and not a failure: the entry goes back to the queue, due when it may go.
    store_.ReleaseLeases(lease_owner, {message.id}, due_at);
    result.deferred = true;
    result.after = AfterAttempt::kRetry;
    result.next_attempt_at = due_at;
    spdlog::debug("message {} deferred for {} ms (rate limit, Retry-After, recipient gap or sending held)", message.id,
                  due_at - clock_.NowMs());
    return result;
}

void Dispatcher::Observe(const SendOutcome& outcome, TimeMs admitted_at, TimeMs now) {
    if (outcome.kind == SendOutcome::Kind::kRetryable && outcome.retry_after && !outcome.stops_all_sending) {
        // The provider asked the whole sender to slow down, not just this message.
        const TimeMs until = now + outcome.retry_after->count() * 1000;
        if (pacing_->ThrottleUntil(until)) {
            spdlog::warn("provider asked to slow down (HTTP {}): no provider call for {} s", outcome.http_status,
                         outcome.retry_after->count());
        }
    }
    if (outcome.stops_all_sending) {
        if (pacing_->OnStopAll(outcome.error, now)) {
            spdlog::error(
                "sending held: the provider refuses every message ({}); messages stay queued, one is "
                "tried every {} ms, and PUT /settings lifts the hold",
                outcome.error, throughput_.probe_interval_ms);
        }
        return;
    }
    // An answer about the message itself (accepted, or refused for its own content) shows the
    // account works; a timeout or a 5xx shows nothing either way.
    const bool account_works = outcome.kind == SendOutcome::Kind::kAccepted ||
                               (outcome.kind == SendOutcome::Kind::kPermanent && outcome.http_status != 0);
    if (account_works && pacing_->OnHealthy(admitted_at)) {
        spdlog::info("sending resumes: the provider answered a probe normally");
    }
}

SendGate Dispatcher::Gate(TimeMs now) const {
    SendGate gate;
    const SendPacing::Look look = pacing_->Peek(now);
    const TimeMs throttled_until = look.throttled_until;
    switch (look.hold) {
        case SendingHold::Admission::kSend:
            break;
        case SendingHold::Admission::kProbe:
            gate.kind = SendGate::Kind::kProbe;
            break;
        case SendingHold::Admission::kHeld:
            gate.kind = SendGate::Kind::kClosed;
            gate.reopens_at = look.next_probe_at.value_or(now);
            break;
    }
    if (throttled_until > now) {
        gate.kind = SendGate::Kind::kClosed;
        gate.reopens_at = std::max(gate.reopens_at, throttled_until);
    }
    return gate;
}

SendingStatus Dispatcher::Status() const {
    SendingStatus status;
    const TimeMs now = clock_.NowMs();
    const SendPacing::Look look = pacing_->Peek(now);
    if (look.throttled_until > now) status.throttled_until = look.throttled_until;
    status.fault = look.fault;
    status.next_probe_at = look.next_probe_at;
    return status;
}

void Dispatcher::ClearHold(const std::string& by) {
    if (pacing_->ClearHold()) spdlog::warn("sending resumes: the hold on the provider fault was lifted by {}", by);
}

}  // namespace notify
