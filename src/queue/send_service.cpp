#include "queue/send_service.h"

#include <spdlog/spdlog.h>

#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "notify/ids.h"
#include "notify/templates.h"
#include "queue/dispatcher.h"
#include "queue/processor.h"
#include "store/store.h"

namespace notify {
namespace {

Error NotificationsDisabled() {
    return Error(ErrorKind::kConflict, "notifications_disabled",
                 "notifications are switched off in settings; nothing was accepted");
}

// The message as the store has it after a sent attempt, for when the store cannot be read back:
// the provider took it, and the client must hear so rather than send it again.
Message AsSent(Message message, const DispatchResult& result) {
    message.status = MessageStatus::kSent;
    message.attempts = result.attempt.number;
    message.provider_message_id = result.attempt.provider_message_id;
    message.last_error.clear();
    message.sent_at = result.completed_at;
    message.updated_at = result.completed_at;
    message.next_attempt_at.reset();
    return message;
}

}  // namespace

SendService::SendService(Store& store, Dispatcher& dispatcher, QueueProcessor& processor, const Clock& clock,
                         RandomSource& random)
    : store_(store), dispatcher_(dispatcher), processor_(processor), clock_(clock), random_(random) {}

Message SendService::BuildMessage(const SendRequest& request, const Template& tmpl, TimeMs now) {
    const RenderedTemplate rendered = RenderTemplate(tmpl, request.context, request.language.value_or(""));
    Message message;
    message.id = NewMessageId(now, random_);
    message.phone = request.phone.e164;
    message.message_type = tmpl.name;
    message.provider_template_name = tmpl.provider_template_name;
    message.language = rendered.language;  // SelectVariant's: MyOperator picks the approved text by it
    message.parameters = rendered.parameters;
    message.context_json = nlohmann::json(request.context).dump();
    message.status = MessageStatus::kQueued;
    message.idempotency_key = request.idempotency_key;
    message.created_at = now;
    message.updated_at = now;
    return message;
}

Template SendService::EnabledTemplate(std::string_view name) {
    auto tmpl = store_.GetTemplate(name);
    if (!tmpl) {
        throw InvalidInput("unknown_message_type", "no template named \"" + std::string(name) + "\"", "message_type");
    }
    if (!tmpl->enabled) {
        throw Error(ErrorKind::kConflict, "template_disabled", "template " + tmpl->name + " is disabled",
                    "message_type");
    }
    return std::move(*tmpl);
}

SendResult SendService::Send(const SendRequest& request) {
    const Settings settings = store_.GetSettings();
    if (!settings.enabled) throw NotificationsDisabled();
    const Template tmpl = EnabledTemplate(request.message_type);
    const TimeMs now = clock_.NowMs();
    Message message = BuildMessage(request, tmpl, now);
    // An immediate send claims its queue entry in the same transaction that stores it, so the
    // background processor cannot send it a second time meanwhile.
    const bool send_now = request.immediate && !settings.paused;
    std::optional<Lease> lease;
    if (send_now) lease = processor_.NewLease();
    EnqueueResult stored = store_.Enqueue(message, now, lease);
    if (send_now && stored.created && stored.message.status != MessageStatus::kSuppressed) {
        return SendNow(std::move(stored.message), *lease);
    }
    return Settle(std::move(stored), !settings.paused);
}

void SendService::SendQueuedAsync(const SendRequest& request, SendDone done) {
    const Settings settings = store_.GetSettings();
    if (!settings.enabled) throw NotificationsDisabled();
    const Template tmpl = EnabledTemplate(request.message_type);
    const TimeMs now = clock_.NowMs();
    const Message message = BuildMessage(request, tmpl, now);
    store_.EnqueueAsync(message, now, [this, wake = !settings.paused, done = std::move(done)](EnqueueOutcome outcome) {
        if (outcome.error) {
            done(std::nullopt, outcome.error);
            return;
        }
        done(Settle(std::move(*outcome.result), wake), nullptr);
    });
}

SendResult SendService::Settle(EnqueueResult stored, bool wake_processor) {
    if (!stored.created) return {std::move(stored.message), SendDisposition::kDuplicate};
    if (stored.message.status == MessageStatus::kSuppressed) {
        spdlog::info("message {} suppressed: the recipient opted out", stored.message.id);
        return {std::move(stored.message), SendDisposition::kSuppressed};
    }
    if (wake_processor) processor_.Wake();
    return {std::move(stored.message), SendDisposition::kQueued};
}

SendResult SendService::SendNow(Message stored, const Lease& lease) {
    const DispatchResult result = dispatcher_.Dispatch(stored, lease.owner, false);
    if (result.record_pending) return {AsSent(std::move(stored), result), SendDisposition::kRecordPending};
    if (result.deferred || result.after == AfterAttempt::kRetry) {
        processor_.Wake();
        return {ReadBack(stored.id), SendDisposition::kQueued};
    }
    if (result.after == AfterAttempt::kSent) {
        // It went out and is recorded: a failed read now must not make the client send it again.
        try {
            return {ReadBack(stored.id), SendDisposition::kFinished};
        } catch (const StoreUnavailable& e) {
            spdlog::warn("message {} sent and recorded, but reading it back failed: {}", stored.id, e.what());
            return {AsSent(std::move(stored), result), SendDisposition::kFinished};
        }
    }
    return {ReadBack(stored.id), SendDisposition::kFinished};  // suppressed or failed for good
}

Message SendService::ReadBack(std::string_view message_id) {
    auto message = store_.GetMessage(message_id);
    // Written moments ago; gone now means the store is not what it was (restored, or replaced).
    if (!message) throw StoreUnavailable("message " + std::string(message_id) + " was written but cannot be read back");
    return std::move(*message);
}

std::vector<BatchItemResult> SendService::SendBatch(const std::vector<BatchItem>& items) {
    const Settings settings = store_.GetSettings();
    if (!settings.enabled) throw NotificationsDisabled();
    const TimeMs now = clock_.NowMs();

    std::vector<BatchItemResult> results(items.size());
    std::vector<Message> messages;
    std::vector<std::size_t> message_item;  // messages[i] belongs to items[message_item[i]]
    messages.reserve(items.size());
    message_item.reserve(items.size());
    std::map<std::string, Template, std::less<>> templates;  // a batch names few types: one look-up each
    for (std::size_t i = 0; i < items.size(); ++i) {
        const BatchItem& item = items[i];
        if (!item.request) {
            results[i].error = item.error;
            continue;
        }
        try {
            auto known = templates.find(item.request->message_type);
            if (known == templates.end()) {
                known =
                    templates.emplace(item.request->message_type, EnabledTemplate(item.request->message_type)).first;
            }
            messages.push_back(BuildMessage(*item.request, known->second, now));
            message_item.push_back(i);
        } catch (const StoreUnavailable&) {
            throw;
        } catch (const Error& e) {
            results[i].error = e;
        }
    }
    if (messages.empty()) return results;

    std::vector<EnqueueResult> stored = store_.EnqueueBatch(messages, now);
    bool queued_any = false;
    for (std::size_t m = 0; m < stored.size(); ++m) {
        queued_any = queued_any || (stored[m].created && stored[m].message.status == MessageStatus::kQueued);
        results[message_item[m]].message = std::move(stored[m].message);
    }
    if (queued_any && !settings.paused) processor_.WakeAll();
    return results;
}

Message SendService::Retry(std::string_view message_id) {
    auto message = store_.GetMessage(message_id);
    if (!message) throw Error(ErrorKind::kNotFound, "not_found", "no message with id " + std::string(message_id));
    if (!store_.Requeue(message->id, clock_.NowMs())) {
        throw Error(ErrorKind::kConflict, "not_retryable",
                    "only failed messages can be retried; this one is " + std::string(ToString(message->status)));
    }
    processor_.Wake();
    return ReadBack(message->id);
}

}  // namespace notify
