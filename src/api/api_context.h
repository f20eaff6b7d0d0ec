#pragma once

#include <optional>
#include <string>

#include "common/clock.h"

namespace notify {

class Store;
class Dispatcher;
class QueueProcessor;
class SendService;
class BusinessService;
class Provider;
class Router;
class Authenticator;
namespace metrics {
class ServiceMetrics;
}

// What the handlers need; built once in src/app/ and shared by every request.
struct ApiContext {
    Store& store;
    Dispatcher& dispatcher;
    QueueProcessor& processor;
    SendService& sender;        // send-message, send-batch and retry: one call each
    BusinessService& business;  // the business API, events and customers' replies
    const Provider& provider;
    const Clock& clock;
    const Authenticator& auth;  // the router's: a wrong webhook secret counts as a failed authentication
    std::string default_region;
    TimeMs started_at = 0;
    std::optional<std::string> webhook_secret;  // MYOPERATOR_API_SECRET; webhooks are refused without it
    metrics::ServiceMetrics& metrics;           // counters the handlers move, and what /metrics renders
    std::optional<std::string> metrics_token;   // METRICS_TOKEN; without it /metrics is public
};

inline constexpr const char* kApiPrefix = "/api/notifications";

// One function per resource file; RegisterApiRoutes calls them all.
void RegisterHealthRoutes(Router& router, ApiContext& ctx);
void RegisterMessageRoutes(Router& router, ApiContext& ctx);
void RegisterBatchRoutes(Router& router, ApiContext& ctx);
void RegisterStatisticsRoutes(Router& router, ApiContext& ctx);
void RegisterQueueRoutes(Router& router, ApiContext& ctx);
void RegisterTemplateRoutes(Router& router, ApiContext& ctx);
void RegisterSettingsRoutes(Router& router, ApiContext& ctx);
void RegisterWebhookRoutes(Router& router, ApiContext& ctx);
void RegisterMetricsRoutes(Router& router, ApiContext& ctx);
void RegisterOpenApiRoutes(Router& router, ApiContext& ctx);
void RegisterBusinessRoutes(Router& router, ApiContext& ctx);
void RegisterEventRoutes(Router& router, ApiContext& ctx);
void RegisterInboxRoutes(Router& router, ApiContext& ctx);
void RegisterApiRoutes(Router& router, ApiContext& ctx);

}  // namespace notify
