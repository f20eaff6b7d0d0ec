// GET /api/notifications/inbox: customers' WhatsApp replies and what was done about each.
#include <charconv>
#include <nlohmann/json.hpp>

#include "api/api_context.h"
#include "api/business_json.h"
#include "api/json_io.h"
#include "common/errors.h"
#include "http/errors.h"
#include "http/router.h"
#include "store/business_store.h"
#include "store/store.h"

namespace notify {
namespace {

int Limit(const HttpRequest& http) {
    const auto text = http.Query("limit");
    if (!text || text->empty()) return 50;
    int limit = 0;
    const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), limit);
    if (ec != std::errc() || end != text->data() + text->size() || limit < 1 || limit > 200) {
        throw InvalidInput("invalid_field", "limit must be a whole number from 1 to 200", "limit");
    }
    return limit;
}

std::optional<std::int64_t> Cursor(const HttpRequest& http) {
    const auto text = http.Query("cursor");
    if (!text || text->empty()) return std::nullopt;
    std::int64_t cursor = 0;
    const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), cursor);
    if (ec != std::errc() || end != text->data() + text->size() || cursor < 1) {
        throw InvalidInput("invalid_field", "cursor must be a next_cursor this endpoint gave", "cursor");
    }
    return cursor;
}

HttpResponse Inbox(ApiContext& ctx, HttpRequest& http, const RequestContext& rc) {
    InboxQuery query;
    query.since = QueryTime(http, "since");
    query.limit = Limit(http);
    query.before_seq = Cursor(http);
    const InboxPage page = ctx.store.Business().Inbox(query);
    nlohmann::json items = nlohmann::json::array();
    for (const InboxMessage& inbox : page.items) items.push_back(InboxToJson(inbox, rc.IsViewerOnly()));
    nlohmann::json body = {{"items", std::move(items)}};
    body["next_cursor"] =
        page.next_before_seq ? nlohmann::json(std::to_string(*page.next_before_seq)) : nlohmann::json(nullptr);
    return JsonResponse(200, body);
}

}  // namespace

void RegisterInboxRoutes(Router& router, ApiContext& ctx) {
    router.Add("GET", std::string(kApiPrefix) + "/inbox", Role::kViewer,
               [&ctx](HttpRequest& http, const RequestContext& rc) { return Inbox(ctx, http, rc); });
}

}  // namespace notify
