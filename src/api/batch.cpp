// POST /send-batch: up to 1,000 send-message bodies in one durable transaction.
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "api/api_context.h"
#include "api/json_io.h"
#include "common/errors.h"
#include "http/errors.h"
#include "http/router.h"
#include "notify/send_request.h"
#include "queue/send_service.h"

namespace notify {
namespace {

std::vector<BatchItem> ParseBatch(const nlohmann::json& body, std::string_view default_region) {
    const auto messages = body.find("messages");
    if (messages == body.end() || messages->is_null()) {
        throw InvalidInput("missing_field", "messages is required", "messages");
    }
    if (!messages->is_array()) {
        throw InvalidInput("invalid_field", "messages must be an array of send-message bodies", "messages");
    }
    if (messages->empty() || messages->size() > kMaxBatchItems) {
        throw InvalidInput("invalid_field",
                           "messages must hold 1 to " + std::to_string(kMaxBatchItems) +
                               " send-message bodies; it has " + std::to_string(messages->size()),
                           "messages");
    }
    std::vector<BatchItem> items(messages->size());
    for (std::size_t i = 0; i < items.size(); ++i) {
        // A bad item is reported alone: the others are still sent.
        try {
            items[i].request = ParseSendRequest((*messages)[i], default_region);
        } catch (const Error& e) {
            items[i].error = e;
        }
    }
    return items;
}

// {"results": [{"index", "id", "status"} or {"index", "error": {"code", "message", "field"?}}]}
// in request order. Written directly: ids and statuses need no escaping; error text goes through
// DumpJsonSafe like every other error.
HttpResponse BatchResponse(const std::vector<BatchItemResult>& results) {
    HttpResponse response;
    response.status = 202;
    std::string& body = response.body;
    body.reserve(16 + results.size() * 64);
    body += "{\"results\":[";
    for (std::size_t i = 0; i < results.size(); ++i) {
        if (i > 0) body += ',';
        body += "{\"index\":";
        body += std::to_string(i);
        if (results[i].message) {
            body += ",\"id\":\"";
            body += results[i].message->id;
            body += "\",\"status\":\"";
            body += ToString(results[i].message->status);
            body += "\"}";
        } else {
            const Error& error = *results[i].error;
            nlohmann::json detail = {{"code", error.code()}, {"message", error.what()}};
            if (!error.field().empty()) detail["field"] = error.field();
            body += ",\"error\":";
            body += DumpJsonSafe(detail);
            body += '}';
        }
    }
    body += "]}";
    return response;
}

}  // namespace

void RegisterBatchRoutes(Router& router, ApiContext& ctx) {
    router.Add("POST", std::string(kApiPrefix) + "/send-batch", Role::kOperator,
               [&ctx](HttpRequest& http, const RequestContext&) {
                   const std::vector<BatchItem> items =
                       ParseBatch(ParseJsonObjectBody(http, false), ctx.default_region);
                   return BatchResponse(ctx.sender.SendBatch(items));
               });
}

}  // namespace notify
