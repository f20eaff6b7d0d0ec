#include "queue/dispatcher.h"

#include <chrono>
#include <random>

#include <spdlog/spdlog.h>

#include "notify/phone.h"
#include "store/store.h"

namespace notify {
namespace {

double Uniform01() {
    thread_local std::mt19937_64 engine{std::random_device{}()};
    return std::uniform_real_distribution<double>(0.0, 1.0)(engine);
}

AttemptOutcome ToAttemptOutcome(SendOutcome::Kind kind) {
    switch (kind) {
        case SendOutcome::Kind::kAccepted: return AttemptOutcome::kAccepted;
        case SendOutcome::Kind::kRetryable: return AttemptOutcome::kRetryable;
        case SendOutcome::Kind::kPermanent: return AttemptOutcome::kPermanent;
    }
    std::abort();
}

}  // namespace

Dispatcher::Dispatcher(Store& store, Provider& provider, const Clock& clock, RetryPolicy policy)
    : store_(store), provider_(provider), clock_(clock), policy_(policy) {}

DispatchResult Dispatcher::Dispatch(const Message& message) {
    DispatchResult result;
    result.attempt.message_id = message.id;
    result.attempt.number = message.attempts + 1;
    result.attempt.started_at = clock_.NowMs();

    const auto phone = ParsePhone(message.phone, "ZZ");
    if (!phone) {
        // Only E.164 numbers are stored; one that no longer parses cannot be sent, ever.
        result.outcome.kind = SendOutcome::Kind::kPermanent;
        result.outcome.error = "stored phone number is not valid E.164";
    } else {
        OutboundMessage outbound{message.id, phone->country_code, phone->national_number,
                                 message.provider_template_name, message.language, message.parameters};
        const auto started = std::chrono::steady_clock::now();
        result.outcome = provider_.Send(outbound);
        result.attempt.latency_ms = static_cast<int>(
            std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count());
    }

    result.attempt.outcome = ToAttemptOutcome(result.outcome.kind);
    result.attempt.http_status = result.outcome.http_status;
    result.attempt.error = result.outcome.error;
    result.attempt.provider_message_id = result.outcome.provider_message_id;
    result.after = DecideAfterAttempt(result.attempt.outcome, result.attempt.number, policy_);

    AttemptResult record;
    record.attempt = result.attempt;
    record.now = clock_.NowMs();
    switch (result.after) {
        case AfterAttempt::kSent: record.next = AttemptResult::Next::kSent; break;
        case AfterAttempt::kFailed: record.next = AttemptResult::Next::kFailed; break;
        case AfterAttempt::kRetry:
            record.next = AttemptResult::Next::kRetry;
            result.next_attempt_at =
                record.now + NextRetryDelayMs(result.attempt.number, policy_, result.outcome.retry_after, Uniform01());
            record.next_attempt_at = result.next_attempt_at;
            break;
    }
    store_.CompleteAttempt(record);

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

}  // namespace notify
