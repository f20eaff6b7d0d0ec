// The real fake_myoperator binary, driven over HTTP: its control API and fault modes,
// MyOperatorProvider against it as it would run against MyOperator, and the simulated customer
// replies it posts to a webhook (an in-process receiver, or a real notifyd).

#include <arpa/inet.h>
#include <curl/curl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <mutex>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "harness.h"
#include "http/errors.h"
#include "http/server.h"
#include "providers/myoperator.h"
#include "providers/myoperator_templates.h"

namespace notify {
namespace {

using json = nlohmann::json;
using Kind = SendOutcome::Kind;
using std::chrono::milliseconds;
using Steady = std::chrono::steady_clock;

constexpr const char* kApiKey = "test-key-123";
constexpr const char* kCompanyId = "company-7";

// fake_myoperator on port 0; the port comes from its one stdout line.
class FakeProcess {
public:
    explicit FakeProcess(const std::vector<std::string>& extra_arguments = {}) {
        std::vector<std::string> arguments = {
            FAKE_MYOPERATOR_BINARY, "--port",  "0", "--host", "127.0.0.1", "--api-key", kApiKey,
            "--company-id",         kCompanyId};
        arguments.insert(arguments.end(), extra_arguments.begin(), extra_arguments.end());
        std::vector<char*> argv;
        for (auto& argument : arguments) argv.push_back(argument.data());
        argv.push_back(nullptr);
        int out[2];
        if (::pipe(out) != 0) throw std::runtime_error("pipe");
        pid_ = ::fork();
        if (pid_ < 0) throw std::runtime_error("fork");
        if (pid_ == 0) {
            ::dup2(out[1], STDOUT_FILENO);
            ::close(out[0]);
            ::close(out[1]);
            ::execv(FAKE_MYOPERATOR_BINARY, argv.data());
            ::_exit(127);
        }
        ::close(out[1]);
        stdout_fd_ = out[0];
        std::string line = ReadLine(std::chrono::seconds(10));
        const std::string prefix = "listening on 127.0.0.1:";
        if (!line.starts_with(prefix)) throw std::runtime_error("unexpected first line: " + line);
        port_ = std::stoi(line.substr(prefix.size()));
    }

    ~FakeProcess() {
        if (pid_ > 0 && !exited_) {
            ::kill(pid_, SIGKILL);
            ::waitpid(pid_, nullptr, 0);
        }
        if (stdout_fd_ >= 0) ::close(stdout_fd_);
    }

    std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }

    // SIGTERM, then the exit status, or -1 if it did not exit within `limit`.
    int Terminate(milliseconds limit) {
        ::kill(pid_, SIGTERM);
        auto deadline = Steady::now() + limit;
        while (Steady::now() < deadline) {
            int status = 0;
            if (::waitpid(pid_, &status, WNOHANG) == pid_) {
                exited_ = true;
                return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
            }
            std::this_thread::sleep_for(milliseconds(10));
        }
        return -1;
    }

    // Whatever the fake wrote to stdout after the first line.
    std::string RemainingStdout() {
        std::string rest;
        char buffer[256];
        ssize_t n;
        while ((n = ::read(stdout_fd_, buffer, sizeof buffer)) > 0) rest.append(buffer, static_cast<std::size_t>(n));
        return rest;
    }

private:
    std::string ReadLine(std::chrono::seconds limit) {
        std::string line;
        auto deadline = Steady::now() + limit;
        while (Steady::now() < deadline) {
            pollfd fd{stdout_fd_, POLLIN, 0};
            if (::poll(&fd, 1, 100) <= 0) continue;
            char c;
            if (::read(stdout_fd_, &c, 1) != 1) break;
            if (c == '\n') return line;
            line += c;
        }
        return line;
    }

    pid_t pid_ = -1;
    int stdout_fd_ = -1;
    int port_ = 0;
    bool exited_ = false;
};

struct Reply {
    long status = 0;
    std::string body;
    json Json() const { return json::parse(body); }
};

std::size_t Collect(char* data, std::size_t size, std::size_t count, void* user) {
    static_cast<std::string*>(user)->append(data, size * count);
    return size * count;
}

Reply Call(const std::string& method, const std::string& url, const std::string& body = {},
           const std::vector<std::string>& headers = {}) {
    CURL* curl = curl_easy_init();
    Reply reply;
    curl_slist* list = nullptr;
    for (const auto& header : headers) list = curl_slist_append(list, header.c_str());
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
    if (method == "POST") curl_easy_setopt(curl, CURLOPT_COPYPOSTFIELDS, body.c_str());
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 5000L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &Collect);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &reply.body);
    if (curl_easy_perform(curl) == CURLE_OK) curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &reply.status);
    curl_slist_free_all(list);
    curl_easy_cleanup(curl);
    return reply;
}

OutboundMessage Message(const std::string& id, std::vector<std::string> parameters = {"Asha", "Jan 28", "Sector 21"}) {
    OutboundMessage message;
    message.id = id;
    message.country_code = "91";
    message.national_number = "9876543210";
    message.template_name = "delivery_reminder";
    message.language = "en";
    message.parameters = std::move(parameters);
    return message;
}

// Stands in for the service's webhook endpoint: records what reaches it and answers `answer`.
class Receiver {
public:
    explicit Receiver(json answer = {{"status", "applied"}})
        : answer_(std::move(answer)), server_(HttpServerOptions{}, [this](HttpRequest& request) {
              {
                  std::lock_guard lock(mutex_);
                  received_.push_back(request);
              }
              return JsonResponse(200, answer_);
          }) {
        port_ = server_.Start();
    }
    ~Receiver() { Stop(); }

    std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/hook"; }
    void Stop() { server_.Stop(milliseconds(1000)); }
    std::vector<HttpRequest> Received() {
        std::lock_guard lock(mutex_);
        return received_;
    }

private:
    const json answer_;
    std::mutex mutex_;
    std::vector<HttpRequest> received_;
    HttpServer server_;
    int port_ = 0;
};

class FakeMyOperatorTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() { curl_global_init(CURL_GLOBAL_DEFAULT); }

    MyOperatorOptions Options(milliseconds timeout = milliseconds(5000), std::string key = kApiKey) const {
        MyOperatorOptions options;
        options.base_url = fake_.base_url();
        options.api_key = std::move(key);
        options.company_id = kCompanyId;
        options.phone_number_id = "1122334455";
        options.timeout = timeout;
        return options;
    }

    Reply SetMode(const json& mode) { return Call("POST", fake_.base_url() + "/_fake/mode", mode.dump()); }
    json Requests() { return Call("GET", fake_.base_url() + "/_fake/requests").Json(); }
    Reply SetWebhook(const json& webhook) { return Call("POST", fake_.base_url() + "/_fake/webhook", webhook.dump()); }
    Reply Inbound(const json& reply) { return Call("POST", fake_.base_url() + "/_fake/inbound", reply.dump()); }
    // A send straight to /chat/messages with the right credentials.
    Reply Send(const json& body) {
        return Call("POST", fake_.base_url() + "/chat/messages", body.dump(),
                    {std::string("Authorization: Bearer ") + kApiKey, std::string("X-MYOP-COMPANY-ID: ") + kCompanyId,
                     "Content-Type: application/json"});
    }

    FakeProcess fake_;
};

TEST_F(FakeMyOperatorTest, AcceptsASendAndRecordsWhatItReceived) {
    MyOperatorProvider provider(Options());
    SendOutcome outcome = provider.Send(Message("msg-1"));
    ASSERT_EQ(outcome.kind, Kind::kAccepted) << outcome.error;
    EXPECT_EQ(outcome.http_status, 200);

    json requests = Requests();
    ASSERT_EQ(requests["count"], 1);
    const json& request = requests["requests"][0];
    EXPECT_EQ(request["method"], "POST");
    EXPECT_EQ(request["path"], "/chat/messages");
    EXPECT_EQ(request["headers"]["authorization"], std::string("Bearer ") + kApiKey);
    EXPECT_EQ(request["headers"]["x-myop-company-id"], kCompanyId);
    EXPECT_EQ(request["headers"]["content-type"], "application/json");
    EXPECT_EQ(request["headers"]["accept"], "application/json");
    EXPECT_EQ(request["body"], json::parse(BuildMyOperatorSendBody(Message("msg-1"), "1122334455")));
    EXPECT_EQ(request["response_status"], 200);
    EXPECT_EQ(request["message_id"], outcome.provider_message_id);
    EXPECT_TRUE(request["received_at"].is_string());
}

TEST_F(FakeMyOperatorTest, GivesEverySendAFreshMessageId) {
    MyOperatorProvider provider(Options());
    std::set<std::string> ids;
    for (int i = 0; i < 5; ++i) ids.insert(provider.Send(Message("msg-" + std::to_string(i))).provider_message_id);
    EXPECT_EQ(ids.size(), 5u);
    EXPECT_EQ(ids.count(""), 0u);
}

TEST_F(FakeMyOperatorTest, RefusesBadCredentialsLikeMyOperator) {
    MyOperatorProvider wrong_key(Options(milliseconds(5000), "wrong"));
    SendOutcome outcome = wrong_key.Send(Message("m"));
    EXPECT_EQ(outcome.http_status, 401);
    EXPECT_EQ(outcome.kind, Kind::kPermanent);
    EXPECT_TRUE(outcome.stops_all_sending);

    const std::string body = BuildMyOperatorSendBody(Message("m"), "p");
    const std::string company = std::string("X-MYOP-COMPANY-ID: ") + kCompanyId;
    EXPECT_EQ(Call("POST", fake_.base_url() + "/chat/messages", body,
                   {std::string("Authorization: bearer ") + kApiKey, company})
                  .status,
              403);
    EXPECT_EQ(Call("POST", fake_.base_url() + "/chat/messages", body, {company}).status, 401);
    EXPECT_EQ(Call("POST", fake_.base_url() + "/chat/messages", body, {std::string("Authorization: Bearer ") + kApiKey})
                  .status,
              401);
    EXPECT_EQ(Requests()["count"], 4);  // refused requests are recorded too
}

TEST_F(FakeMyOperatorTest, RefusesTemplateParametersWhatsAppWouldRefuse) {
    MyOperatorProvider provider(Options());
    for (const std::string& bad :
         {std::string(""), std::string("two\nlines"), std::string("a\tb"), std::string("five     spaces")}) {
        SendOutcome outcome = provider.Send(Message("m", {"Asha", bad}));
        EXPECT_EQ(outcome.http_status, 400) << bad;
        EXPECT_EQ(outcome.kind, Kind::kPermanent) << bad;
    }
    EXPECT_EQ(provider.Send(Message("m", {"Asha", "four    spaces"})).kind, Kind::kAccepted);
}

TEST_F(FakeMyOperatorTest, ErrorModesClassifyAsTheProviderExpects) {
    MyOperatorProvider provider(Options());

    ASSERT_EQ(SetMode({{"mode", "error500"}}).status, 200);
    SendOutcome outcome = provider.Send(Message("m"));
    EXPECT_EQ(outcome.http_status, 500);
    EXPECT_EQ(outcome.kind, Kind::kRetryable);

    ASSERT_EQ(SetMode({{"mode", "error429"}, {"retry_after", 9}}).status, 200);
    outcome = provider.Send(Message("m"));
    EXPECT_EQ(outcome.http_status, 429);
    EXPECT_EQ(outcome.kind, Kind::kRetryable);
    EXPECT_EQ(outcome.retry_after, std::chrono::seconds(9));

    ASSERT_EQ(SetMode({{"mode", "error400"}}).status, 200);
    outcome = provider.Send(Message("m"));
    EXPECT_EQ(outcome.http_status, 400);
    EXPECT_EQ(outcome.kind, Kind::kPermanent);
    EXPECT_FALSE(outcome.stops_all_sending);

    ASSERT_EQ(SetMode({{"mode", "wallet"}}).status, 200);
    outcome = provider.Send(Message("m"));
    EXPECT_EQ(outcome.kind, Kind::kRetryable);
    EXPECT_TRUE(outcome.stops_all_sending);
    EXPECT_NE(outcome.error.find("CHAT_4001"), std::string::npos) << outcome.error;

    ASSERT_EQ(SetMode({{"mode", "ok"}}).status, 200);
    EXPECT_EQ(provider.Send(Message("m")).kind, Kind::kAccepted);
}

TEST_F(FakeMyOperatorTest, FailNextFailsThatManyThenAnswersOk) {
    MyOperatorProvider provider(Options());
    json state = SetMode({{"mode", "error500"}, {"fail_next", 2}}).Json();
    EXPECT_EQ(state["fail_next"], 2);
    EXPECT_EQ(provider.Send(Message("m")).http_status, 500);
    EXPECT_EQ(provider.Send(Message("m")).http_status, 500);
    EXPECT_EQ(provider.Send(Message("m")).kind, Kind::kAccepted);
    EXPECT_EQ(Call("GET", fake_.base_url() + "/_fake/mode").Json()["mode"], "ok");
}

TEST_F(FakeMyOperatorTest, RefusesAnInvalidModeRequest) {
    EXPECT_EQ(SetMode({{"mode", "sideways"}}).status, 400);
    EXPECT_EQ(SetMode({{"mode", "slow"}, {"delay_ms", -1}}).status, 400);
    EXPECT_EQ(SetMode({{"mode", "error500"}, {"fail_next", 0}}).status, 400);
    EXPECT_EQ(Call("POST", fake_.base_url() + "/_fake/mode", "not json").status, 400);
    EXPECT_EQ(Call("GET", fake_.base_url() + "/_fake/nothing").status, 404);
    EXPECT_EQ(Call("GET", fake_.base_url() + "/_fake/mode").Json()["mode"], "ok");
}

TEST_F(FakeMyOperatorTest, SlowModeAnswersAfterTheDelay) {
    ASSERT_EQ(SetMode({{"mode", "slow"}, {"delay_ms", 400}}).status, 200);
    MyOperatorProvider provider(Options(milliseconds(3000)));
    auto started = Steady::now();
    SendOutcome outcome = provider.Send(Message("m"));
    EXPECT_EQ(outcome.kind, Kind::kAccepted) << outcome.error;
    EXPECT_GE(Steady::now() - started, milliseconds(380));
}

TEST_F(FakeMyOperatorTest, HangOutlastsTheProviderTimeoutWhileTheControlApiAnswers) {
    ASSERT_EQ(SetMode({{"mode", "hang"}}).status, 200);
    MyOperatorProvider provider(Options(milliseconds(1500)));
    std::vector<std::thread> senders;
    std::vector<SendOutcome> outcomes(3);
    auto started = Steady::now();
    for (std::size_t i = 0; i < outcomes.size(); ++i) {
        senders.emplace_back([&, i] { outcomes[i] = provider.Send(Message("m" + std::to_string(i))); });
    }
    std::this_thread::sleep_for(milliseconds(300));
    // Three requests hang, yet the control API answers at once.
    auto asked = Steady::now();
    json requests = Requests();
    EXPECT_LT(Steady::now() - asked, milliseconds(500));
    EXPECT_EQ(requests["count"], 3);
    EXPECT_TRUE(requests["requests"][0]["response_status"].is_null());
    for (auto& sender : senders) sender.join();
    auto elapsed = Steady::now() - started;
    for (const SendOutcome& outcome : outcomes) {
        EXPECT_EQ(outcome.kind, Kind::kRetryable);
        EXPECT_EQ(outcome.http_status, 0);
        EXPECT_TRUE(outcome.error.starts_with("transport: Timeout was reached")) << outcome.error;
    }
    EXPECT_GE(elapsed, milliseconds(1400));
    EXPECT_LT(elapsed, milliseconds(4000));
}

TEST_F(FakeMyOperatorTest, ResetForgetsRequestsAndModes) {
    MyOperatorProvider provider(Options());
    provider.Send(Message("m"));
    SetMode({{"mode", "error500"}});
    json state = Call("POST", fake_.base_url() + "/_fake/reset").Json();
    EXPECT_EQ(state["mode"], "ok");
    EXPECT_EQ(Requests()["count"], 0);
    EXPECT_EQ(provider.Send(Message("m")).kind, Kind::kAccepted);
}

TEST_F(FakeMyOperatorTest, ListsTheSeededTemplatesApprovedUntilScriptedOtherwise) {
    MyOperatorTemplateListing listing = FetchMyOperatorTemplates(Options());
    ASSERT_TRUE(listing.ok()) << listing.error;
    ASSERT_EQ(listing.templates.size(), 20u);  // ten templates in en and hi
    for (const auto& remote : listing.templates) {
        EXPECT_EQ(remote.status, "APPROVED") << remote.name;
        EXPECT_TRUE(remote.language == "en" || remote.language == "hi") << remote.language;
    }
    EXPECT_EQ(listing.templates[2].name, "order_confirmation");
    EXPECT_EQ(listing.templates[2].variable_count, 4);

    const json scripted = {{{"name", "a"}, {"status", "PENDING"}, {"variables", 2}},
                           {{"name", "b"}, {"language", "hi"}, {"status", "REJECTED"}}};
    ASSERT_EQ(Call("POST", fake_.base_url() + "/_fake/templates", json{{"templates", scripted}}.dump()).status, 200);
    listing = FetchMyOperatorTemplates(Options());
    ASSERT_TRUE(listing.ok()) << listing.error;
    ASSERT_EQ(listing.templates.size(), 2u);
    EXPECT_EQ(listing.templates[0].language, "en");
    EXPECT_EQ(listing.templates[0].status, "PENDING");
    EXPECT_EQ(listing.templates[0].variable_count, 2);
    EXPECT_EQ(listing.templates[1].variable_count, std::nullopt);

    // The documented filter, and the credentials, as MyOperator checks them.
    const Reply rejected =
        Call("GET", fake_.base_url() + "/chat/templates?waba_template_status=rejected", "",
             {std::string("Authorization: Bearer ") + kApiKey, std::string("X-MYOP-COMPANY-ID: ") + kCompanyId});
    EXPECT_EQ(rejected.Json()["data"]["count"], 1) << rejected.body;
    EXPECT_EQ(rejected.Json()["data"]["results"][0]["name"], "b");
    const MyOperatorTemplateListing refused = FetchMyOperatorTemplates(Options(milliseconds(5000), "wrong-key"));
    EXPECT_EQ(refused.http_status, 401);
    EXPECT_NE(refused.error.find("credentials refused"), std::string::npos) << refused.error;

    EXPECT_EQ(Call("POST", fake_.base_url() + "/_fake/templates", R"({"templates": [{"status": "APPROVED"}]})").status,
              400);
    EXPECT_EQ(Call("POST", fake_.base_url() + "/_fake/templates", R"({"templates": {}})").status, 400);
    Call("POST", fake_.base_url() + "/_fake/reset");
    EXPECT_EQ(Call("GET", fake_.base_url() + "/_fake/templates").Json()["count"], 20);
}

TEST_F(FakeMyOperatorTest, StopsPromptlyOnSigtermEvenWithAHangingRequest) {
    ASSERT_EQ(SetMode({{"mode", "hang"}, {"delay_ms", 60000}}).status, 200);
    std::thread sender([&] { Call("POST", fake_.base_url() + "/chat/messages", "{}"); });
    std::this_thread::sleep_for(milliseconds(200));
    EXPECT_EQ(fake_.Terminate(milliseconds(5000)), 0);
    sender.join();
    EXPECT_EQ(fake_.RemainingStdout(), "");  // one line on stdout, nothing else
}

TEST_F(FakeMyOperatorTest, AcceptsAFreeTextSendAndRecordsIt) {
    const json body = {
        {"phone_number_id", "1122334455"},
        {"customer_country_code", "91"},
        {"customer_number", "9876543210"},
        {"data", {{"type", "text"}, {"context", {{"body", "Reply SKIP, PAUSE 3 or RESUME"}, {"preview_url", false}}}}},
        {"reply_to", nullptr},
        {"myop_ref_id", "help-1"}};
    const Reply reply = Send(body);
    ASSERT_EQ(reply.status, 200) << reply.body;
    EXPECT_EQ(reply.Json()["status"], "success");
    const json requests = Requests();
    ASSERT_EQ(requests["count"], 1);
    EXPECT_EQ(requests["requests"][0]["body"], body);
    EXPECT_EQ(requests["requests"][0]["response_status"], 200);
    EXPECT_EQ(requests["requests"][0]["message_id"], reply.Json()["data"]["message_id"]);
}

TEST_F(FakeMyOperatorTest, RefusesAFreeTextSendWithoutABody) {
    json body = {{"phone_number_id", "1122334455"},
                 {"customer_country_code", "91"},
                 {"customer_number", "9876543210"},
                 {"data", {{"type", "text"}, {"context", {{"preview_url", false}}}}}};
    EXPECT_EQ(Send(body).status, 400);
    body["data"]["context"]["body"] = "";
    EXPECT_EQ(Send(body).status, 400);
    body["data"]["type"] = "image";
    body["data"]["context"]["body"] = "hello";
    EXPECT_EQ(Send(body).status, 400);
}

TEST_F(FakeMyOperatorTest, ShowsTheTemplateLanguageOfEachSend) {
    MyOperatorProvider provider(Options());
    OutboundMessage hindi = Message("msg-hi");
    hindi.language = "hi";
    ASSERT_EQ(provider.Send(hindi).kind, Kind::kAccepted);
    ASSERT_EQ(provider.Send(Message("msg-en")).kind, Kind::kAccepted);
    const json requests = Requests()["requests"];
    EXPECT_EQ(requests[0]["body"]["data"]["context"]["language"], "hi");
    EXPECT_EQ(requests[1]["body"]["data"]["context"]["language"], "en");
}

TEST_F(FakeMyOperatorTest, InboundTextPostsMyOperatorsEnvelopeToTheWebhook) {
    Receiver receiver;
    ASSERT_EQ(SetWebhook({{"url", receiver.url()}, {"secret", "s3cret"}}).status, 200);
    const Reply reply = Inbound({{"phone", "+919876543210"}, {"text", "PAUSE 3"}});
    ASSERT_EQ(reply.status, 200) << reply.body;
    const json answer = reply.Json();
    const json& event = answer["event"];

    const std::set<std::string> root = {
        "event_id", "company_id", "event_type", "event_sequence",    "event_version",       "timestamp",
        "channel",  "direction",  "session_id", "system_identifier", "customer_identifier", "payload"};
    std::set<std::string> keys;
    for (const auto& [key, value] : event.items()) keys.insert(key);
    EXPECT_EQ(keys, root);
    EXPECT_EQ(event["event_type"], "message.received");
    EXPECT_EQ(event["channel"], "whatsapp");
    EXPECT_EQ(event["direction"], "incoming");
    EXPECT_EQ(event["company_id"], kCompanyId);
    EXPECT_EQ(event["customer_identifier"], "919876543210");
    EXPECT_TRUE(std::regex_match(event["timestamp"].get<std::string>(),
                                 std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z)")))
        << event["timestamp"];
    EXPECT_TRUE(event["event_id"].is_string() && !event["event_id"].get<std::string>().empty());
    EXPECT_EQ(event["payload"]["status"], "received");
    EXPECT_TRUE(event["payload"]["id"].is_string());
    EXPECT_EQ(event["payload"]["data"], json({{"type", "text"}, {"context", {{"body", "PAUSE 3"}}}}));

    ASSERT_EQ(answer["deliveries"].size(), 1u);
    EXPECT_EQ(answer["deliveries"][0]["status"], 200);
    EXPECT_EQ(answer["deliveries"][0]["body"], json({{"status", "applied"}}));

    const auto received = receiver.Received();
    ASSERT_EQ(received.size(), 1u);
    EXPECT_EQ(received[0].method, "POST");
    EXPECT_EQ(received[0].path, "/hook");
    EXPECT_EQ(received[0].Header("x-webhook-secret"), "s3cret");
    EXPECT_EQ(received[0].Header("content-type"), "application/json");
    EXPECT_EQ(json::parse(received[0].body), event);

    // A second reply from the same customer: a new event, the same session, the next sequence.
    const json next = Inbound({{"phone", "91 98765-43210"}, {"text", "RESUME"}}).Json()["event"];
    EXPECT_NE(next["event_id"], event["event_id"]);
    EXPECT_EQ(next["session_id"], event["session_id"]);
    EXPECT_EQ(next["event_sequence"].get<long long>(), event["event_sequence"].get<long long>() + 1);
    const json log = Call("GET", fake_.base_url() + "/_fake/inbound").Json();
    EXPECT_EQ(log["count"], 2);
    EXPECT_EQ(log["events"][1]["event"], next);
}

TEST_F(FakeMyOperatorTest, InboundButtonsArriveInEachShape) {
    Receiver receiver;
    ASSERT_EQ(SetWebhook({{"url", receiver.url()}}).status, 200);
    const std::vector<std::pair<json, json>> cases = {
        {{{"button", "Pause 3"}}, {{"type", "button"}, {"button", {{"payload", "Pause 3"}, {"text", "Pause 3"}}}}},
        {{{"button", "Pause 3"}, {"shape", "button"}},
         {{"type", "button"}, {"button", {{"payload", "Pause 3"}, {"text", "Pause 3"}}}}},
        {{{"button", "Pause 3"}, {"shape", "context_payload"}},
         {{"type", "button"}, {"context", {{"payload", "Pause 3"}}}}},
        {{{"button", "Pause 3"}, {"shape", "interactive"}},
         {{"type", "interactive"},
          {"interactive", {{"type", "button_reply"}, {"button_reply", {{"id", "pause_3"}, {"title", "Pause 3"}}}}}}},
        {{{"button", "Skip — छोड़ें"}, {"shape", "list"}},
         {{"type", "interactive"},
          {"interactive", {{"type", "list_reply"}, {"list_reply", {{"id", "skip_—_छोड़ें"}, {"title", "Skip — छोड़ें"}}}}}}},
    };
    for (const auto& [extra, data] : cases) {
        json input = extra;
        input["phone"] = "919876543210";
        const Reply reply = Inbound(input);
        ASSERT_EQ(reply.status, 200) << input << " " << reply.body;
        EXPECT_EQ(reply.Json()["event"]["payload"]["data"], data) << input;
    }
    const auto received = receiver.Received();
    ASSERT_EQ(received.size(), cases.size());
    EXPECT_FALSE(received[0].Header("x-webhook-secret").has_value());  // none configured, none sent
    for (std::size_t i = 0; i < cases.size(); ++i) {
        EXPECT_EQ(json::parse(received[i].body)["payload"]["data"], cases[i].second);
    }
}

TEST_F(FakeMyOperatorTest, InboundRepeatDeliversTheSameEventAgain) {
    Receiver receiver(json{{"status", "duplicate"}});
    ASSERT_EQ(SetWebhook({{"url", receiver.url()}, {"secret", "s"}}).status, 200);
    const Reply reply = Inbound({{"phone", "+919876543210"}, {"text", "SKIP"}, {"event_id", "evt-7"}, {"repeat", 3}});
    ASSERT_EQ(reply.status, 200) << reply.body;
    EXPECT_EQ(reply.Json()["event"]["event_id"], "evt-7");
    EXPECT_EQ(reply.Json()["deliveries"].size(), 3u);
    const auto received = receiver.Received();
    ASSERT_EQ(received.size(), 3u);
    EXPECT_EQ(received[0].body, received[1].body);
    EXPECT_EQ(received[1].body, received[2].body);
    EXPECT_EQ(json::parse(received[0].body)["event_id"], "evt-7");
}

TEST_F(FakeMyOperatorTest, InboundRefusesBadInput) {
    Receiver receiver;
    ASSERT_EQ(SetWebhook({{"url", receiver.url()}}).status, 200);
    const std::vector<std::pair<json, std::string>> cases = {
        {{{"text", "STOP"}}, "phone"},
        {{{"phone", ""}, {"text", "STOP"}}, "phone"},
        {{{"phone", "9876543210"}, {"text", "STOP"}}, "phone"},  // no country code
        {{{"phone", "+91987654321x"}, {"text", "STOP"}}, "phone"},
        {{{"phone", 919876543210LL}, {"text", "STOP"}}, "phone"},
        {{{"phone", "+919876543210"}}, "text"},
        {{{"phone", "+919876543210"}, {"text", ""}}, "text"},
        {{{"phone", "+919876543210"}, {"text", 5}}, "text"},
        {{{"phone", "+919876543210"}, {"text", "STOP"}, {"button", "Stop"}}, "button"},
        {{{"phone", "+919876543210"}, {"button", "Skip"}, {"shape", "carousel"}}, "shape"},
        {{{"phone", "+919876543210"}, {"text", "SKIP"}, {"shape", "button"}}, "shape"},
        {{{"phone", "+919876543210"}, {"button", "Pause delivery for three days"}}, "button"},  // 29 > 25
        {{{"phone", "+919876543210"}, {"text", "SKIP"}, {"repeat", 0}}, "repeat"},
        {{{"phone", "+919876543210"}, {"text", "SKIP"}, {"repeat", 6}}, "repeat"},
        {{{"phone", "+919876543210"}, {"text", "SKIP"}, {"repeat", "2"}}, "repeat"},
        {{{"phone", "+919876543210"}, {"text", "SKIP"}, {"event_id", ""}}, "event_id"},
        {{{"phone", "+919876543210"}, {"txt", "SKIP"}}, "txt"},
    };
    for (const auto& [input, field] : cases) {
        const Reply reply = Inbound(input);
        EXPECT_EQ(reply.status, 400) << input << " " << reply.body;
        EXPECT_EQ(reply.Json()["error"]["field"], field) << input << " " << reply.body;
    }
    EXPECT_EQ(Call("POST", fake_.base_url() + "/_fake/inbound", "not json").status, 400);
    EXPECT_EQ(Call("POST", fake_.base_url() + "/_fake/inbound", "[1]").status, 400);
    EXPECT_EQ(Call("PUT", fake_.base_url() + "/_fake/inbound", "{}").status, 405);
    EXPECT_TRUE(receiver.Received().empty());
    // A button of exactly 25 characters, Hindi counted by character, passes.
    EXPECT_EQ(Inbound({{"phone", "+919876543210"}, {"button", "Skip — छोड़ें 12345678901"}}).status, 200);
}

TEST_F(FakeMyOperatorTest, InboundFailsClearlyWithoutAReachableWebhook) {
    Reply reply = Inbound({{"phone", "+919876543210"}, {"text", "STOP"}});
    EXPECT_EQ(reply.status, 409) << reply.body;
    EXPECT_EQ(reply.Json()["error"]["code"], "webhook_not_configured");

    // A port nothing listens on: bound by the system, then closed, so connecting is refused.
    const int probe = ::socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(probe, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::bind(probe, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    socklen_t length = sizeof address;
    ASSERT_EQ(::getsockname(probe, reinterpret_cast<sockaddr*>(&address), &length), 0);
    ::close(probe);
    const std::string url = "http://127.0.0.1:" + std::to_string(ntohs(address.sin_port)) + "/hook";
    ASSERT_EQ(SetWebhook({{"url", url}}).status, 200);
    const auto started = Steady::now();
    reply = Inbound({{"phone", "+919876543210"}, {"text", "STOP"}});
    EXPECT_LT(Steady::now() - started, milliseconds(4000));
    EXPECT_EQ(reply.status, 502) << reply.body;
    EXPECT_EQ(reply.Json()["error"]["code"], "webhook_unreachable");
    EXPECT_EQ(reply.Json()["event"]["customer_identifier"], "919876543210");
    EXPECT_TRUE(reply.Json()["deliveries"].empty());
}

TEST_F(FakeMyOperatorTest, WebhookIsSetAtRunTimeWithoutEchoingTheSecret) {
    EXPECT_EQ(Call("GET", fake_.base_url() + "/_fake/webhook").Json(), json({{"url", nullptr}, {"secret_set", false}}));
    EXPECT_EQ(SetWebhook({{"url", "ftp://127.0.0.1/x"}}).status, 400);
    EXPECT_EQ(SetWebhook({{"secret", "s"}}).status, 400);
    EXPECT_EQ(SetWebhook({{"url", "http://127.0.0.1:1/x"}, {"secret", 5}}).status, 400);
    EXPECT_EQ(SetWebhook({{"url", "http://127.0.0.1:1/x"}, {"extra", 1}}).status, 400);
    const Reply reply = SetWebhook({{"url", "http://127.0.0.1:1/x"}, {"secret", "top-secret"}});
    ASSERT_EQ(reply.status, 200) << reply.body;
    EXPECT_EQ(reply.body.find("top-secret"), std::string::npos);
    EXPECT_EQ(Call("GET", fake_.base_url() + "/_fake/webhook").Json(),
              json({{"url", "http://127.0.0.1:1/x"}, {"secret_set", true}}));
    // A reset forgets requests and events, not where the service is.
    Call("POST", fake_.base_url() + "/_fake/reset");
    EXPECT_EQ(Call("GET", fake_.base_url() + "/_fake/webhook").Json()["url"], "http://127.0.0.1:1/x");
}

TEST_F(FakeMyOperatorTest, TakesTheWebhookFromTheCommandLine) {
    Receiver receiver;
    FakeProcess fake({"--webhook-url", receiver.url(), "--webhook-secret", "from-argv", "--phone-number-id", "pn-9"});
    const Reply reply =
        Call("POST", fake.base_url() + "/_fake/inbound", R"({"phone": "+919876543210", "text": "HELP"})");
    ASSERT_EQ(reply.status, 200) << reply.body;
    EXPECT_EQ(reply.Json()["event"]["system_identifier"], "pn-9");
    const auto received = receiver.Received();
    ASSERT_EQ(received.size(), 1u);
    EXPECT_EQ(received[0].Header("x-webhook-secret"), "from-argv");
}

// Through the fake into a real notifyd: a customer's STOP, delivered twice as MyOperator's retries
// would, opts the number out once, and later sends to it are suppressed without reaching the fake.
TEST_F(FakeMyOperatorTest, StopRepliedThroughTheFakeSuppressesLaterSendsInNotifyd) {
    testing::Notifyd service({{"NOTIFY_PROVIDER", "myoperator"},
                              {"MYOPERATOR_BASE_URL", fake_.base_url()},
                              {"MYOPERATOR_API_KEY", kApiKey},
                              {"MYOPERATOR_ACCOUNT_ID", kCompanyId},
                              {"MYOPERATOR_WHATSAPP_NUMBER", "1122334455"}});
    service.Migrate();
    service.Start();
    auto sent = service.Post("/send-message", testing::DeliveryReminder("+919876543210"));
    ASSERT_EQ(sent.status, 200) << sent.body;
    ASSERT_EQ(sent.Json()["status"], "sent");
    ASSERT_EQ(Requests()["count"], 1);

    ASSERT_EQ(SetWebhook({{"url", service.api("/webhooks/myoperator")}, {"secret", "wrong"}}).status, 200);
    Reply reply = Inbound({{"phone", "+919876543210"}, {"text", "STOP"}});
    ASSERT_EQ(reply.status, 200) << reply.body;
    EXPECT_EQ(reply.Json()["deliveries"][0]["status"], 401);  // the fake reports what the service answered

    ASSERT_EQ(
        SetWebhook({{"url", service.api("/webhooks/myoperator")}, {"secret", testing::Notifyd::kWebhookSecret}}).status,
        200);
    reply = Inbound({{"phone", "+919876543210"}, {"text", "STOP"}, {"repeat", 2}});
    ASSERT_EQ(reply.status, 200) << reply.body;
    const json deliveries = reply.Json()["deliveries"];
    ASSERT_EQ(deliveries.size(), 2u);
    EXPECT_EQ(deliveries[0]["status"], 200);
    EXPECT_EQ(deliveries[0]["body"]["opted_out"], true) << deliveries;
    EXPECT_EQ(deliveries[1]["body"]["status"], "duplicate") << deliveries;

    sent = service.Post("/send-message", testing::DeliveryReminder("+919876543210"));
    ASSERT_EQ(sent.status, 200) << sent.body;
    EXPECT_EQ(sent.Json()["status"], "suppressed");
    EXPECT_EQ(Requests()["count"], 1);
}

}  // namespace
}  // namespace notify
