#pragma once

#include <cstddef>
#include <exception>
#include <functional>
#include <optional>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/errors.h"
#include "common/random.h"
#include "notify/model.h"
#include "notify/send_request.h"
#include "store/store.h"

namespace notify {

class Dispatcher;
class QueueProcessor;

// What became of one send, for the caller to answer.
enum class SendDisposition {
    kDuplicate,      // the idempotency key was seen before: the first message, nothing sent now
    kSuppressed,     // the recipient opted out: kept on record as suppressed, nothing sent
    kQueued,         // waiting in the queue (also an immediate send that could not go at once)
    kFinished,       // an immediate send that ended now: sent, or failed for good
    kRecordPending,  // an immediate send the provider took whose record the store could not yet write
};

struct SendResult {
    Message message;
    SendDisposition disposition = SendDisposition::kQueued;
};

// One item of a batch: a parsed request, or why it could not be parsed (kept to report alone).
struct BatchItem {
    std::optional<SendRequest> request;
    std::optional<Error> error;
};

// One item's answer: the message it became (or the first one with its idempotency key), or its error.
struct BatchItemResult {
    std::optional<Message> message;
    std::optional<Error> error;
};

inline constexpr std::size_t kMaxBatchItems = 1000;

// How an asynchronous send ends: its result, or the error Send would have thrown (StoreUnavailable).
using SendDone = std::function<void(std::optional<SendResult> result, std::exception_ptr error)>;

// The send use case, shared by POST /send-message, POST /send-batch and POST /messages/{id}/retry:
// it checks settings and templates, builds the message (rendered text, id), writes it with its
// queue entry (leased at once for an immediate send), sends it now when asked, and returns the
// message as it stands. Handlers parse, call one method, and answer.
class SendService {
public:
    SendService(Store& store, Dispatcher& dispatcher, QueueProcessor& processor, const Clock& clock,
                RandomSource& random);

    // Throws notifications_disabled (settings), unknown_message_type / template_disabled, the
    // template's missing_context / invalid_context, or StoreUnavailable; then nothing was stored.
    SendResult Send(const SendRequest& request);

    // Send for a request that waits in the queue (not immediate), without holding the calling
    // thread while the write waits for its group commit. The checks run now and throw as Send's
    // do (then nothing was stored and `done` is never called); `done` gets the stored message's
    // result, or the store's failure, once, from a store thread or this one.
    void SendQueuedAsync(const SendRequest& request, SendDone done);

    // All items in one durable transaction; results in the order given. An item that is bad
    // (its parse error, an unknown or disabled template, a context the template refuses) gets its
    // error and the others are kept. `immediate` is ignored: every item is queued. Throws
    // notifications_disabled for the whole batch, and StoreUnavailable (then nothing was stored).
    std::vector<BatchItemResult> SendBatch(const std::vector<BatchItem>& items);

    // Puts a failed message back in the queue. Throws not_found, not_retryable or StoreUnavailable.
    Message Retry(std::string_view message_id);

private:
    Message BuildMessage(const SendRequest& request, const Template& tmpl, TimeMs now);
    Template EnabledTemplate(std::string_view name);
    SendResult SendNow(Message stored, const Lease& lease);
    // The answer for a message stored to wait in the queue: a repeated key, suppressed, or queued
    // (then the processor is woken, unless sending is paused).
    SendResult Settle(EnqueueResult stored, bool wake_processor);
    Message ReadBack(std::string_view message_id);

    Store& store_;
    Dispatcher& dispatcher_;
    QueueProcessor& processor_;
    const Clock& clock_;
    RandomSource& random_;
};

}  // namespace notify
