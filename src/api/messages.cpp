// POST /send-message, GET /history, GET /messages/{id}, POST /messages/{id}/retry.
#include <spdlog/spdlog.h>

#include <charconv>
#include <nlohmann/json.hpp>

#include "api/api_context.h"
#include "api/json_io.h"
#include "common/errors.h"
#include "http/errors.h"
#include "http/router.h"
#include "notify/send_request.h"
#include "queue/send_service.h"
#include "store/store.h"

namespace notify {
namespace {

// A message as the send and retry answers show it: AppendMessageJson writes the same bytes as
// JsonResponse(status, MessageToJson(message, false, false)) without building the JSON tree.
HttpResponse MessageResponse(int status, const Message& message) {
    HttpResponse response;
    response.status = status;
    response.body.reserve(512);
    AppendMessageJson(response.body, message, false);
    return response;
}

// 202 while the message waits (queued, or sent with its record still pending); 200 when it has
// reached a state of its own (a repeated idempotency key, suppressed, sent, failed for good).
int SendStatusCode(SendDisposition disposition) {
    switch (disposition) {
        case SendDisposition::kQueued:
        case SendDisposition::kRecordPending:
            return 202;
        case SendDisposition::kDuplicate:
        case SendDisposition::kSuppressed:
        case SendDisposition::kFinished:
            return 200;
    }
    return 200;
}

// Runs on the I/O thread. A queued send answers from its group commit's completion and holds no
// thread meanwhile; an immediate one calls the provider, so it goes to the handler pool.
void SendMessage(ApiContext& ctx, HttpRequest& http, const Reply& reply) {
    SendRequest request = ParseSendRequest(ParseJsonObjectBody(http, false), ctx.default_region);
    if (request.immediate) {
        reply.Offload([&ctx, request = std::move(request)] {
            const SendResult result = ctx.sender.Send(request);
            return MessageResponse(SendStatusCode(result.disposition), result.message);
        });
        return;
    }
    ctx.sender.SendQueuedAsync(request, [reply](std::optional<SendResult> result, std::exception_ptr error) {
        if (error) {
            reply.Fail(error);
            return;
        }
        try {
            reply.Respond(MessageResponse(SendStatusCode(result->disposition), result->message));
        } catch (...) {
            reply.Fail(std::current_exception());
        }
    });
}

HttpResponse History(ApiContext& ctx, HttpRequest& http, const RequestContext& rc) {
    HistoryQuery query;
    if (auto phone = http.Query("phone"); phone && !phone->empty()) {
        // Filtering by a number would tell a viewer whom it was sent to, which its masked view hides.
        if (rc.IsViewerOnly()) {
            throw Error(ErrorKind::kForbidden, "forbidden", "viewers may not filter history by phone", "phone");
        }
        query.phone = ParsePhoneOrThrow(*phone, ctx.default_region, "phone").e164;
    }
    if (auto status = http.Query("status"); status && !status->empty()) {
        query.status = ParseMessageStatus(*status);
        if (!query.status) {
            throw InvalidInput("invalid_field",
                               "status must be one of queued, sending, sent, delivered, read, failed, suppressed, "
                               "skipped_rollout",
                               "status");
        }
    }
    if (auto type = http.Query("message_type"); type && !type->empty()) {
        if (!ctx.store.GetTemplate(*type)) {
            throw InvalidInput("unknown_message_type", "no template named \"" + *type + "\"", "message_type");
        }
        query.message_type = *type;
    }
    query.since = QueryTime(http, "since");
    query.until = QueryTime(http, "until");
    if (auto limit = http.Query("limit"); limit && !limit->empty()) {
        int value = 0;
        const auto [ptr, ec] = std::from_chars(limit->data(), limit->data() + limit->size(), value);
        if (ec != std::errc() || ptr != limit->data() + limit->size() || value < 1 || value > 200) {
            throw InvalidInput("invalid_field", "limit must be a whole number from 1 to 200", "limit");
        }
        query.limit = value;
    }
    if (auto cursor = http.Query("cursor"); cursor && !cursor->empty()) {
        std::int64_t seq = 0;
        const auto [ptr, ec] = std::from_chars(cursor->data(), cursor->data() + cursor->size(), seq);
        if (ec != std::errc() || ptr != cursor->data() + cursor->size() || seq < 1) {
            throw InvalidInput("invalid_field", "cursor is not one this service gave out", "cursor");
        }
        query.before_seq = seq;
    }
    const HistoryPage page = ctx.store.History(query);
    // Written directly, byte for byte what JsonResponse would print for
    // {"items": [MessageToJson(...), ...], "next_cursor": "<seq>" or null}: building and dumping a
    // JSON tree of 50-200 messages was most of the cost of a page.
    HttpResponse response;
    response.status = 200;
    std::string& body = response.body;
    body.reserve(64 + page.items.size() * 480);
    body += "{\"items\":[";
    const bool mask = rc.IsViewerOnly();
    for (std::size_t i = 0; i < page.items.size(); ++i) {
        if (i > 0) body += ',';
        if (mask) {
            // The provider's error may quote the number; list rows carry no parameters or context,
            // so the number is what can be taken out here (GET /messages/{id} takes out the rest).
            Message shown = page.items[i];
            shown.last_error = RedactForViewer(shown.last_error, shown);
            AppendMessageJson(body, shown, true);
        } else {
            AppendMessageJson(body, page.items[i], false);
        }
    }
    body += "],\"next_cursor\":";
    if (page.next_before_seq) {
        body += '"';
        body += std::to_string(*page.next_before_seq);
        body += '"';
    } else {
        body += "null";
    }
    body += '}';
    return response;
}

Message FindMessage(ApiContext& ctx, const HttpRequest& http) {
    const std::string& id = http.path_params.at("id");
    auto message = ctx.store.GetMessage(id);
    if (!message) throw Error(ErrorKind::kNotFound, "not_found", "no message with id " + id);
    return *message;
}

HttpResponse GetMessage(ApiContext& ctx, HttpRequest& http, const RequestContext& rc) {
    const Message message = FindMessage(ctx, http);
    return JsonResponse(200, MessageDetailToJson(message, ctx.store.ListAttempts(message.id),
                                                 ctx.store.ListStatusEvents(message.id), rc.IsViewerOnly()));
}

HttpResponse RetryMessage(ApiContext& ctx, HttpRequest& http) {
    return MessageResponse(202, ctx.sender.Retry(http.path_params.at("id")));
}

}  // namespace

void RegisterMessageRoutes(Router& router, ApiContext& ctx) {
    const std::string prefix = kApiPrefix;
    router.AddAsync(
        "POST", prefix + "/send-message", Role::kOperator,
        [&ctx](HttpRequest& http, const RequestContext&, const Reply& reply) { SendMessage(ctx, http, reply); });
    router.Add("GET", prefix + "/history", Role::kViewer,
               [&ctx](HttpRequest& http, const RequestContext& rc) { return History(ctx, http, rc); });
    router.Add("GET", prefix + "/messages/{id}", Role::kViewer,
               [&ctx](HttpRequest& http, const RequestContext& rc) { return GetMessage(ctx, http, rc); });
    router.Add("POST", prefix + "/messages/{id}/retry", Role::kOperator,
               [&ctx](HttpRequest& http, const RequestContext&) { return RetryMessage(ctx, http); });
}

}  // namespace notify
