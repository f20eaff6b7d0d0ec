#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http/http_types.h"

namespace notify::fake {

// How POST /chat/messages answers; switched at run time through POST /_fake/mode.
enum class Mode {
    kOk,        // 200 with a fresh message_id
    kError500,  // 500 {"message": null}, as MyOperator answers for an account not set up
    kError429,  // 429 with a Retry-After header
    kError400,  // 400 with an error code and message
    kSlow,      // waits delay_ms, then answers as kOk
    kWallet,    // 400 CHAT_4001 insufficient wallet balance
    kHang,      // waits delay_ms (60 s by default) before answering 504: clients time out first
};

struct FakeOptions {
    std::string api_key;     // expected after "Bearer "; empty: any key passes
    std::string company_id;  // expected X-MYOP-COMPANY-ID; empty: any (or none) passes
    // Where simulated customer replies (POST /_fake/inbound) are posted, and the secret sent with
    // them as X-Webhook-Secret; both replaceable at run time through POST /_fake/webhook.
    std::string webhook_url;
    std::string webhook_secret;
    std::string phone_number_id = "fake-phone-number-id";  // the envelope's system_identifier
};

// Why a webhook URL is unusable, or nullopt: only http:// and https:// URLs are taken.
std::optional<std::string> WebhookUrlProblem(const std::string& url);

// The listing GET /chat/templates answers by default: the ten templates the service seeds (the
// contract's table), each in en and hi, APPROVED, with a BODY of as many variables as it has.
nlohmann::json DefaultTemplates();

// A stand-in for MyOperator's send API with fault switches, and for its customers replying through
// webhooks, for integration tests and manual runs. Handle() is the whole HTTP surface; it is
// thread-safe and meant to run on an HttpServer whose handler pool is large enough that slow or
// hanging sends, and inbound events waiting for the service, never block the control API.
//
//   POST /chat/messages     MyOperator's send call, template or free text (auth and body checked,
//                           request recorded)
//   POST /_fake/mode        {"mode", "delay_ms", "retry_after", "fail_next"}; answers the state
//   GET  /_fake/mode        the state
//   GET  /_fake/requests    {"count": N, "requests": [...]} every non-control request, in order
//   POST /_fake/reset       forgets requests and inbound events, back to "ok", wakes waiting
//                           requests (the webhook settings stay)
//   POST /_fake/inbound     a simulated customer reply: {"phone", "text"} or {"phone", "button",
//                           "shape"}, optional "event_id" and "repeat" (1-5); builds MyOperator's
//                           message.received envelope, posts it to the webhook URL `repeat` times
//                           and answers {"event", "deliveries": [{"status", "body"}...]}
//   GET  /_fake/inbound     {"count": N, "events": [...]} every inbound event built, in order
//   POST /_fake/webhook     {"url", "secret"}: where inbound events go (tests learn the service's
//                           port only after starting the fake)
//   GET  /_fake/webhook     {"url", "secret_set"}
//   GET  /chat/templates    MyOperator's template listing (auth checked, request recorded):
//                           {"status", "data": {"count", "results"}}, paged by limit (default
//                           100) and offset, filtered by waba_template_status when given
//   POST /_fake/templates   {"templates": [...]}: what the listing answers from now on. Each entry
//                           is an object with a "name"; "language" defaults to "en", "status" to
//                           "APPROVED", and "variables": N becomes a BODY component with {{1}}..{{N}};
//                           any other field is served as given. Reset restores the default: the
//                           ten templates the service seeds, in en and hi, all APPROVED.
//   GET  /_fake/templates   {"count": N, "templates": [...]}
class FakeMyOperator final {
public:
    explicit FakeMyOperator(FakeOptions options = {});
    ~FakeMyOperator();
    FakeMyOperator(const FakeMyOperator&) = delete;
    FakeMyOperator& operator=(const FakeMyOperator&) = delete;

    HttpResponse Handle(HttpRequest& request);

    // Wakes every request waiting in slow or hang mode (they answer 503) so that the server can
    // stop without waiting out the delays. Later requests are not delayed.
    void Shutdown();

    // For in-process use: the same data as the control API.
    nlohmann::json State() const;
    nlohmann::json Requests() const;

private:
    struct Behaviour {
        Mode mode = Mode::kOk;
        std::chrono::milliseconds delay{0};
        int retry_after_seconds = 1;
    };

    HttpResponse HandleControl(HttpRequest& request);
    HttpResponse HandleSend(HttpRequest& request);
    HttpResponse SetMode(const std::string& body);
    HttpResponse SetWebhook(const std::string& body);
    HttpResponse SetTemplates(const std::string& body);
    HttpResponse ListTemplates(const HttpRequest& request) const;
    nlohmann::json WebhookState() const;
    // POST /_fake/inbound. The webhook is called without holding mutex_: the service may call
    // back into this fake (a confirmation send) while it handles the event.
    HttpResponse Inbound(const std::string& body);
    // The message.received envelope for one reply from `digits`; counts the event sequence.
    nlohmann::json BuildInboundEvent(const std::string& digits, const std::string& event_id, nlohmann::json data);
    // The behaviour for one send; counts down fail_next.
    Behaviour TakeBehaviour();
    // Sleeps up to `delay`; false when woken early by a reset or Shutdown().
    bool Wait(std::chrono::milliseconds delay);
    // Appends the request to the log; its index and the reset generation it belongs to.
    std::pair<std::size_t, std::uint64_t> Record(const HttpRequest& request, const nlohmann::json& body);
    void Complete(std::size_t index, std::uint64_t generation, int status, const std::string& message_id);
    std::string NewUuid();
    nlohmann::json StateLocked() const;

    const FakeOptions options_;
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    Mode mode_ = Mode::kOk;
    std::optional<std::chrono::milliseconds> delay_;  // nullopt: the mode's default
    int retry_after_seconds_ = 1;
    std::optional<int> fail_next_;  // nullopt: the mode stays until changed
    std::uint64_t generation_ = 0;  // bumped by reset: wakes waiters, orphans old record indexes
    bool shutting_down_ = false;
    std::vector<nlohmann::json> requests_;
    std::string webhook_url_;
    std::string webhook_secret_;
    std::uint64_t event_sequence_ = 0;
    std::map<std::string, std::string> sessions_;  // customer digits -> session_id, stable per customer
    std::vector<nlohmann::json> inbound_;          // {"event", "deliveries"} per POST /_fake/inbound
    nlohmann::json templates_;                     // what GET /chat/templates lists
    std::mt19937_64 random_;
};

std::string_view ToString(Mode mode);
std::optional<Mode> ParseMode(std::string_view text);

}  // namespace notify::fake
