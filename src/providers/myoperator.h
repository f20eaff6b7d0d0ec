#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "providers/provider.h"

namespace notify {

struct MyOperatorOptions {
    std::string base_url = "https://publicapi.myoperator.co";  // no trailing slash needed
    std::string api_key;                                       // sent as "Authorization: Bearer <key>"; never logged
    std::string company_id;                                    // sent as X-MYOP-COMPANY-ID
    std::string phone_number_id;                               // the business number's phone_number_id
    std::chrono::milliseconds timeout{10000};                  // whole call, connect included
};

// Pure pieces, unit-tested without a network.
// The JSON body of POST /chat/messages: a template message, or a free-text one when message.text is set.
std::string BuildMyOperatorSendBody(const OutboundMessage& message, std::string_view phone_number_id);

// Classifies one HTTP response. retry_after_header is the raw Retry-After value, if any.
SendOutcome ClassifyMyOperatorResponse(int http_status, std::string_view body,
                                       std::optional<std::string_view> retry_after_header);

// Classifies a transport failure (no HTTP response): always retryable.
SendOutcome TransportFailure(std::string_view what);

// A harmless authenticated read, GET {base}/chat/templates?limit=1 with the send's credentials,
// for `notifyd doctor`: any HTTP status shows the base URL answers, 401/403 that the credentials
// are refused. Bounded by options.timeout; sends nothing to anyone.
struct MyOperatorProbe {
    long http_status = 0;  // 0: no HTTP answer
    std::string error;     // the transport error when there was none
};
MyOperatorProbe ProbeMyOperator(const MyOperatorOptions& options);

// One authenticated read-only GET {base}{path_and_query} with the send's credentials, bounded by
// options.timeout, redirects not followed. The body is kept up to max_body_bytes (truncated says
// more came). The plumbing of ProbeMyOperator and of the template listing.
struct MyOperatorGetResult {
    long http_status = 0;  // 0: no HTTP answer
    std::string error;     // the transport error when there was none (never the API key)
    std::string body;
    bool truncated = false;
};
MyOperatorGetResult MyOperatorGet(const MyOperatorOptions& options, std::string_view path_and_query,
                                  std::size_t max_body_bytes);

// Sends through MyOperator's REST API with libcurl. Thread-safe; reuses one connection per
// calling thread.
class MyOperatorProvider final : public Provider {
public:
    explicit MyOperatorProvider(MyOperatorOptions options);
    ~MyOperatorProvider() override;
    std::string Name() const override { return "myoperator"; }
    SendOutcome Send(const OutboundMessage& message) override;

private:
    MyOperatorOptions options_;
};

}  // namespace notify
