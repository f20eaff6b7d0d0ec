// The real fake_myoperator binary, driven over HTTP: its control API and fault modes, and
// MyOperatorProvider against it as it would run against MyOperator.

#include <curl/curl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "providers/myoperator.h"

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
    FakeProcess() {
        int out[2];
        if (::pipe(out) != 0) throw std::runtime_error("pipe");
        pid_ = ::fork();
        if (pid_ < 0) throw std::runtime_error("fork");
        if (pid_ == 0) {
            ::dup2(out[1], STDOUT_FILENO);
            ::close(out[0]);
            ::close(out[1]);
            ::execl(FAKE_MYOPERATOR_BINARY, FAKE_MYOPERATOR_BINARY, "--port", "0", "--host", "127.0.0.1", "--api-key",
                    kApiKey, "--company-id", kCompanyId, static_cast<char*>(nullptr));
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

TEST_F(FakeMyOperatorTest, StopsPromptlyOnSigtermEvenWithAHangingRequest) {
    ASSERT_EQ(SetMode({{"mode", "hang"}, {"delay_ms", 60000}}).status, 200);
    std::thread sender([&] { Call("POST", fake_.base_url() + "/chat/messages", "{}"); });
    std::this_thread::sleep_for(milliseconds(200));
    EXPECT_EQ(fake_.Terminate(milliseconds(5000)), 0);
    sender.join();
    EXPECT_EQ(fake_.RemainingStdout(), "");  // one line on stdout, nothing else
}

}  // namespace
}  // namespace notify
