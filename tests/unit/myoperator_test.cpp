#include "providers/myoperator.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <ctime>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>
#include <vector>

namespace notify {
namespace {

using json = nlohmann::json;
using Kind = SendOutcome::Kind;
using std::chrono::milliseconds;
using std::chrono::seconds;

OutboundMessage SampleMessage() {
    OutboundMessage message;
    message.id = "msg_01HZX";
    message.country_code = "91";
    message.national_number = "9876543210";
    message.template_name = "delivery_reminder";
    message.language = "en";
    message.parameters = {"Asha", "Jan 28", "Sector 21"};
    return message;
}

constexpr const char* kSuccessBody =
    R"({"status":"success","code":"200","message":"Accepted",)"
    R"("data":{"conversation_id":"c-1","message_id":"6b1c1d0e-7d4e-4f6a-9a51-1d2f3e4a5b6c"}})";

// ---------------------------------------------------------------------------------------------
// The request body

TEST(BuildMyOperatorSendBody, WritesTheDocumentedTemplateBody) {
    EXPECT_EQ(BuildMyOperatorSendBody(SampleMessage(), "1122334455"),
              R"({"phone_number_id":"1122334455","customer_country_code":"91","customer_number":"9876543210",)"
              R"("data":{"type":"template","context":{"template_name":"delivery_reminder","language":"en",)"
              R"("body":{"1":"Asha","2":"Jan 28","3":"Sector 21"}}},"reply_to":null,"myop_ref_id":"msg_01HZX"})");
}

TEST(BuildMyOperatorSendBody, SendsParametersVerbatimAsJsonStrings) {
    OutboundMessage message = SampleMessage();
    message.parameters = {R"(Robert"); DROP TABLE x;--)", "<script>alert(1)</script>", "{{1}} ${HOME} %s \\n",
                          "Ünïcödé ✓ 😀", "a\\b/c"};
    json body = json::parse(BuildMyOperatorSendBody(message, "p"));
    const json& params = body["data"]["context"]["body"];
    ASSERT_EQ(params.size(), message.parameters.size());
    for (std::size_t i = 0; i < message.parameters.size(); ++i) {
        EXPECT_EQ(params[std::to_string(i + 1)], message.parameters[i]);
    }
}

TEST(BuildMyOperatorSendBody, KeepsOnlyDigitsOfTheNumberParts) {
    OutboundMessage message = SampleMessage();
    message.country_code = "+91";
    message.national_number = "98765 43210";
    json body = json::parse(BuildMyOperatorSendBody(message, "p"));
    EXPECT_EQ(body["customer_country_code"], "91");
    EXPECT_EQ(body["customer_number"], "9876543210");
}

TEST(BuildMyOperatorSendBody, DefaultsLanguageAndWritesAnEmptyBodyObject) {
    OutboundMessage message = SampleMessage();
    message.language.clear();
    message.parameters.clear();
    json body = json::parse(BuildMyOperatorSendBody(message, "p"));
    EXPECT_EQ(body["data"]["context"]["language"], "en");
    EXPECT_TRUE(body["data"]["context"]["body"].is_object());
    EXPECT_TRUE(body["data"]["context"]["body"].empty());
}

TEST(BuildMyOperatorSendBody, SendsTheVariantsLanguage) {
    OutboundMessage message = SampleMessage();
    message.language = "hi";
    json body = json::parse(BuildMyOperatorSendBody(message, "p"));
    EXPECT_EQ(body["data"]["context"]["language"], "hi");
    EXPECT_EQ(body["data"]["context"]["template_name"], "delivery_reminder");
}

TEST(BuildMyOperatorSendBody, WritesTheDocumentedTextBodyForAFreeTextMessage) {
    OutboundMessage message = SampleMessage();
    message.text = "Reply SKIP, PAUSE 3 or RESUME.";
    EXPECT_EQ(BuildMyOperatorSendBody(message, "1122334455"),
              R"({"phone_number_id":"1122334455","customer_country_code":"91","customer_number":"9876543210",)"
              R"("data":{"type":"text","context":{"body":"Reply SKIP, PAUSE 3 or RESUME.","preview_url":false}},)"
              R"("reply_to":null,"myop_ref_id":"msg_01HZX"})");
}

TEST(BuildMyOperatorSendBody, SendsATextVerbatimWithItsLineBreaks) {
    // Unlike a template parameter, a text body may hold newlines; markup and quotes are data.
    OutboundMessage message = SampleMessage();
    message.text = "Hindi: \u0928 नमस्ते\nLine two\t\"quoted\" <b>{{1}}</b>";
    json body = json::parse(BuildMyOperatorSendBody(message, "p"));
    EXPECT_EQ(body["data"]["context"]["body"], *message.text);
    EXPECT_FALSE(body["data"]["context"].contains("template_name"));
    EXPECT_FALSE(body["data"]["context"].contains("language"));
}

TEST(BuildMyOperatorSendBody, AnEmptyTextIsStillATextMessage) {
    OutboundMessage message = SampleMessage();
    message.text = "";
    json body = json::parse(BuildMyOperatorSendBody(message, "p"));
    EXPECT_EQ(body["data"]["type"], "text");
    EXPECT_EQ(body["data"]["context"]["body"], "");
}

TEST(BuildMyOperatorSendBody, NeverThrowsOnInvalidUtf8) {
    OutboundMessage message = SampleMessage();
    message.parameters = {std::string("bad \xff byte")};
    json body = json::parse(BuildMyOperatorSendBody(message, "p"));
    EXPECT_EQ(body["data"]["context"]["body"]["1"], "bad \xEF\xBF\xBD byte");
}

// ---------------------------------------------------------------------------------------------
// Classifying responses

SendOutcome Classify(int status, std::string_view body, std::optional<std::string_view> retry_after = std::nullopt) {
    return ClassifyMyOperatorResponse(status, body, retry_after);
}

TEST(ClassifyMyOperatorResponse, SuccessIsAcceptedWithTheMessageId) {
    for (int status : {200, 201, 202}) {
        SendOutcome outcome = Classify(status, kSuccessBody);
        EXPECT_EQ(outcome.kind, Kind::kAccepted) << status;
        EXPECT_EQ(outcome.provider_message_id, "6b1c1d0e-7d4e-4f6a-9a51-1d2f3e4a5b6c");
        EXPECT_EQ(outcome.http_status, status);
        EXPECT_TRUE(outcome.error.empty());
        EXPECT_FALSE(outcome.stops_all_sending);
        EXPECT_FALSE(outcome.retry_after.has_value());
    }
}

TEST(ClassifyMyOperatorResponse, ToleratesVariationsOfTheSuccessBody) {
    const char* misspelt = R"({"status":"success","data":{"conversaton_id":"c","message_id":"m1"}})";
    EXPECT_EQ(Classify(200, misspelt).provider_message_id, "m1");
    EXPECT_EQ(Classify(200, R"({"data":{"message_id":"m2"}})").kind, Kind::kAccepted);  // no status field
    EXPECT_EQ(Classify(200, R"({"status":"SUCCESS","message_id":"m3"})").provider_message_id, "m3");
    EXPECT_EQ(Classify(202, R"({"data":{"message_id":12345}})").provider_message_id, "12345");
}

TEST(ClassifyMyOperatorResponse, SuccessWithoutMessageIdIsRetryable) {
    SendOutcome outcome = Classify(200, R"({"status":"success","data":{}})");
    EXPECT_EQ(outcome.kind, Kind::kRetryable);
    EXPECT_EQ(outcome.error, "HTTP 200: accepted without message_id");
    EXPECT_TRUE(outcome.provider_message_id.empty());

    EXPECT_EQ(Classify(200, "").kind, Kind::kRetryable);
    EXPECT_EQ(Classify(200, "OK").kind, Kind::kRetryable);
    EXPECT_EQ(Classify(200, R"({"data":{"message_id":""}})").kind, Kind::kRetryable);
}

TEST(ClassifyMyOperatorResponse, SuccessStatusWithAFailureBodyIsNotAccepted) {
    SendOutcome outcome =
        Classify(200, R"({"status":"error","message":"Template not approved","data":{"message_id":"m"}})");
    EXPECT_EQ(outcome.kind, Kind::kRetryable);
    EXPECT_EQ(outcome.error, "HTTP 200: Template not approved (no message_id)");
}

TEST(ClassifyMyOperatorResponse, ServerErrorsAndTimeoutsAreRetryable) {
    for (int status : {408, 425, 429, 500, 502, 503, 504, 599}) {
        SendOutcome outcome = Classify(status, R"({"message": null})");
        EXPECT_EQ(outcome.kind, Kind::kRetryable) << status;
        EXPECT_FALSE(outcome.stops_all_sending) << status;
        EXPECT_EQ(outcome.http_status, status);
        EXPECT_EQ(outcome.error, "HTTP " + std::to_string(status));
    }
}

TEST(ClassifyMyOperatorResponse, OtherClientErrorsArePermanent) {
    for (int status : {400, 404, 405, 409, 413, 415, 422}) {
        SendOutcome outcome = Classify(status, R"({"status":"error","code":"CHAT_1234","message":"Bad template"})");
        EXPECT_EQ(outcome.kind, Kind::kPermanent) << status;
        EXPECT_FALSE(outcome.stops_all_sending) << status;
        EXPECT_EQ(outcome.error, "HTTP " + std::to_string(status) + ": CHAT_1234 Bad template");
    }
}

TEST(ClassifyMyOperatorResponse, BadCredentialsArePermanentAndStopAllSending) {
    for (int status : {401, 403}) {
        SendOutcome outcome = Classify(status, R"({"message":"Unauthorized"})");
        EXPECT_EQ(outcome.kind, Kind::kPermanent) << status;
        EXPECT_TRUE(outcome.stops_all_sending) << status;
        EXPECT_EQ(outcome.error, "HTTP " + std::to_string(status) + ": Unauthorized");
    }
    EXPECT_TRUE(Classify(403, "<html>Forbidden</html>").stops_all_sending);
}

TEST(ClassifyMyOperatorResponse, AccountBlockingCodesAreRetryableAndStopAllSending) {
    const std::vector<std::string> bodies = {
        R"({"status":"error","code":"CHAT_4001","message":"Insufficient wallet balance"})",
        R"({"error_code":"CHAT_0302","message":"WABA disabled"})",
        R"({"error":{"code":"CHAT_0303","message":"Phone number disabled"}})",
        R"({"message":"CHAT_0304: phone number not connected"})",
        R"({"errors":[{"code":"chat_4001"}]})",
    };
    for (const std::string& body : bodies) {
        for (int status : {200, 400, 402, 403, 422, 500}) {
            SendOutcome outcome = Classify(status, body);
            EXPECT_EQ(outcome.kind, Kind::kRetryable) << status << " " << body;
            EXPECT_TRUE(outcome.stops_all_sending) << status << " " << body;
        }
    }
    EXPECT_EQ(Classify(402, bodies[0]).error, "HTTP 402: CHAT_4001 Insufficient wallet balance");
}

TEST(ClassifyMyOperatorResponse, CodesMatchOnlyAsWholeWords) {
    SendOutcome outcome = Classify(400, R"({"code":"CHAT_40011","message":"something else 9130429000"})");
    EXPECT_EQ(outcome.kind, Kind::kPermanent);
    EXPECT_FALSE(outcome.stops_all_sending);
}

TEST(ClassifyMyOperatorResponse, WhatsAppRateLimitCodesAreRetryable) {
    const std::vector<std::string> bodies = {
        R"({"error":{"code":130429,"message":"Rate limit hit"}})",
        R"({"status":"error","code":"131056","message":"Pair rate limit hit"})",
        R"({"message":"(#131056) (Business Account, Consumer Account) pair rate limit hit"})",
    };
    for (const std::string& body : bodies) {
        SendOutcome outcome = Classify(400, body);
        EXPECT_EQ(outcome.kind, Kind::kRetryable) << body;
        EXPECT_FALSE(outcome.stops_all_sending) << body;
    }
    EXPECT_EQ(Classify(400, bodies[0]).error, "HTTP 400: 130429 Rate limit hit");
}

TEST(ClassifyMyOperatorResponse, HonoursRetryAfterOn429And503Only) {
    EXPECT_EQ(Classify(429, "{}", "30").retry_after, seconds(30));
    EXPECT_EQ(Classify(503, "", " 5 ").retry_after, seconds(5));
    EXPECT_EQ(Classify(429, "{}", "soon").retry_after, std::nullopt);
    EXPECT_EQ(Classify(429, "{}", "").retry_after, std::nullopt);
    EXPECT_EQ(Classify(429, "{}").retry_after, std::nullopt);
    EXPECT_EQ(Classify(500, "{}", "30").retry_after, std::nullopt);
    EXPECT_EQ(Classify(502, "{}", "30").retry_after, std::nullopt);
    EXPECT_EQ(Classify(200, kSuccessBody, "30").retry_after, std::nullopt);
}

TEST(ClassifyMyOperatorResponse, ReadsRetryAfterAsAnHttpDate) {
    std::time_t in_two_minutes = std::time(nullptr) + 120;
    std::tm tm{};
    gmtime_r(&in_two_minutes, &tm);
    char date[64];
    std::strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    auto retry_after = Classify(429, "{}", std::string_view(date)).retry_after;
    ASSERT_TRUE(retry_after.has_value()) << date;
    EXPECT_GE(*retry_after, seconds(110));
    EXPECT_LE(*retry_after, seconds(121));
    EXPECT_EQ(Classify(503, "{}", "Sun, 06 Nov 1994 08:49:37 GMT").retry_after, seconds(0));
}

TEST(ClassifyMyOperatorResponse, HandlesNonJsonBodies) {
    SendOutcome outcome = Classify(502, "<html>\r\n<body>502 Bad\tGateway</body>\n</html>");
    EXPECT_EQ(outcome.kind, Kind::kRetryable);
    EXPECT_EQ(outcome.error, "HTTP 502: <html> <body>502 Bad Gateway</body> </html>");

    EXPECT_EQ(Classify(500, "").error, "HTTP 500");
    EXPECT_EQ(Classify(400, "[1,2,3]").kind, Kind::kPermanent);
    EXPECT_EQ(Classify(400, "null").error, "HTTP 400");
    EXPECT_EQ(Classify(400, R"({"message":{"nested":true},"code":null})").error, "HTTP 400");
    EXPECT_EQ(Classify(400, std::string("bad \xff\xfe bytes")).error, "HTTP 400: bad ?? bytes");
}

TEST(ClassifyMyOperatorResponse, SkipsACodeThatOnlyRepeatsTheStatus) {
    EXPECT_EQ(Classify(400, R"({"status":"error","code":"400","message":"Invalid number"})").error,
              "HTTP 400: Invalid number");
    EXPECT_EQ(Classify(400, R"({"code":400,"error":{"code":"E1","message":"Bad"}})").error, "HTTP 400: E1 Bad");
}

TEST(ClassifyMyOperatorResponse, TruncatesLongErrorsOnACharacterBoundary) {
    std::string message;
    for (int i = 0; i < 400; ++i) message += "é";  // two bytes each
    SendOutcome outcome = Classify(400, json{{"message", message}}.dump());
    EXPECT_LE(outcome.error.size(), 300u);
    EXPECT_GE(outcome.error.size(), 290u);
    EXPECT_TRUE(outcome.error.starts_with("HTTP 400: éé"));
    EXPECT_TRUE(outcome.error.ends_with("..."));
    EXPECT_NO_THROW(json(outcome.error).dump());  // still valid UTF-8

    SendOutcome html = Classify(500, std::string(100000, 'x'));
    EXPECT_LE(html.error.size(), 300u);
}

TEST(TransportFailure, IsRetryableWithoutHttpStatus) {
    SendOutcome outcome = TransportFailure("Couldn't connect to server");
    EXPECT_EQ(outcome.kind, Kind::kRetryable);
    EXPECT_EQ(outcome.http_status, 0);
    EXPECT_EQ(outcome.error, "transport: Couldn't connect to server");
    EXPECT_FALSE(outcome.stops_all_sending);
    EXPECT_FALSE(outcome.retry_after.has_value());
}

// ---------------------------------------------------------------------------------------------
// Sending over a real socket

// A minimal HTTP/1.1 listener on 127.0.0.1:0 with keep-alive. `respond` gets each raw request
// (head and body) and returns the raw response, or nullopt to never answer that request.
class RawHttpListener {
public:
    using Responder = std::function<std::optional<std::string>(const std::string& request)>;

    explicit RawHttpListener(Responder respond) : respond_(std::move(respond)) {
        listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        int one = 1;
        ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        address.sin_port = 0;
        if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
            ::listen(listen_fd_, 16) != 0) {
            throw std::runtime_error("cannot listen on 127.0.0.1");
        }
        socklen_t length = sizeof address;
        ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length);
        port_ = ntohs(address.sin_port);
        accept_thread_ = std::thread([this] { AcceptLoop(); });
    }

    ~RawHttpListener() {
        stopping_ = true;
        ::shutdown(listen_fd_, SHUT_RDWR);
        accept_thread_.join();
        {
            std::lock_guard lock(mutex_);
            for (int fd : connection_fds_) ::shutdown(fd, SHUT_RDWR);
        }
        for (auto& thread : connection_threads_) thread.join();
        for (int fd : connection_fds_) ::close(fd);
        ::close(listen_fd_);
    }

    std::uint16_t port() const { return port_; }
    std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }
    int connections() const { return connections_.load(); }
    std::vector<std::string> requests() const {
        std::lock_guard lock(mutex_);
        return requests_;
    }

private:
    void AcceptLoop() {
        while (!stopping_) {
            int fd = ::accept(listen_fd_, nullptr, nullptr);
            if (fd < 0) return;
            ++connections_;
            std::lock_guard lock(mutex_);
            connection_fds_.push_back(fd);
            connection_threads_.emplace_back([this, fd] { Serve(fd); });
        }
    }

    void Serve(int fd) {
        std::string buffer;
        char chunk[4096];
        while (true) {
            std::size_t head_end;
            while ((head_end = buffer.find("\r\n\r\n")) == std::string::npos) {
                ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
                if (n <= 0) return;
                buffer.append(chunk, static_cast<std::size_t>(n));
            }
            std::size_t content_length = 0;
            std::string head = buffer.substr(0, head_end);
            std::string lower = head;
            for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            if (auto pos = lower.find("\r\ncontent-length:"); pos != std::string::npos) {
                content_length = std::stoul(head.substr(pos + 17));
            }
            while (buffer.size() < head_end + 4 + content_length) {
                ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
                if (n <= 0) return;
                buffer.append(chunk, static_cast<std::size_t>(n));
            }
            std::string request = buffer.substr(0, head_end + 4 + content_length);
            buffer.erase(0, request.size());
            {
                std::lock_guard lock(mutex_);
                requests_.push_back(request);
            }
            std::optional<std::string> response = respond_(request);
            if (!response) continue;  // never answer; wait for the client to give up
            if (::send(fd, response->data(), response->size(), MSG_NOSIGNAL) < 0) return;
        }
    }

    Responder respond_;
    int listen_fd_ = -1;
    std::uint16_t port_ = 0;
    std::atomic<bool> stopping_{false};
    std::atomic<int> connections_{0};
    mutable std::mutex mutex_;
    std::vector<std::string> requests_;
    std::vector<int> connection_fds_;
    std::vector<std::thread> connection_threads_;
    std::thread accept_thread_;
};

std::string HttpResponseText(int status, const std::string& body, const std::string& extra_headers = {}) {
    return "HTTP/1.1 " + std::to_string(status) +
           " X\r\nContent-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n" +
           extra_headers + "\r\n" + body;
}

MyOperatorOptions OptionsFor(const std::string& base_url, milliseconds timeout = milliseconds(5000)) {
    MyOperatorOptions options;
    options.base_url = base_url;
    options.api_key = "sk_live_SECRET_123456";
    options.company_id = "company-42";
    options.phone_number_id = "1122334455";
    options.timeout = timeout;
    return options;
}

std::string HeaderValue(const std::string& request, const std::string& name) {
    std::istringstream lines(request.substr(0, request.find("\r\n\r\n")));
    std::string line;
    while (std::getline(lines, line)) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.size() > name.size() && line.compare(0, name.size() + 1, name + ":") == 0) {
            std::string value = line.substr(name.size() + 1);
            while (!value.empty() && value.front() == ' ') value.erase(0, 1);
            return value;
        }
    }
    return "<missing>";
}

TEST(MyOperatorProvider, PostsTheTemplateWithTheDocumentedHeaders) {
    RawHttpListener listener([](const std::string&) { return HttpResponseText(200, kSuccessBody); });
    MyOperatorProvider provider(OptionsFor(listener.base_url() + "/"));  // trailing slash is dropped
    SendOutcome outcome = provider.Send(SampleMessage());

    EXPECT_EQ(outcome.kind, Kind::kAccepted) << outcome.error;
    EXPECT_EQ(outcome.provider_message_id, "6b1c1d0e-7d4e-4f6a-9a51-1d2f3e4a5b6c");
    EXPECT_EQ(outcome.http_status, 200);
    auto requests = listener.requests();
    ASSERT_EQ(requests.size(), 1u);
    const std::string& request = requests[0];
    EXPECT_TRUE(request.starts_with("POST /chat/messages HTTP/1.1\r\n")) << request;
    EXPECT_EQ(HeaderValue(request, "Authorization"), "Bearer sk_live_SECRET_123456");
    EXPECT_EQ(HeaderValue(request, "X-MYOP-COMPANY-ID"), "company-42");
    EXPECT_EQ(HeaderValue(request, "Content-Type"), "application/json");
    EXPECT_EQ(HeaderValue(request, "Accept"), "application/json");
    EXPECT_EQ(HeaderValue(request, "Expect"), "<missing>");
    EXPECT_EQ(request.substr(request.find("\r\n\r\n") + 4), BuildMyOperatorSendBody(SampleMessage(), "1122334455"));
}

TEST(MyOperatorProvider, ReusesOneConnectionPerThread) {
    RawHttpListener listener([](const std::string&) { return HttpResponseText(200, kSuccessBody); });
    MyOperatorProvider provider(OptionsFor(listener.base_url()));
    for (int i = 0; i < 3; ++i) EXPECT_EQ(provider.Send(SampleMessage()).kind, Kind::kAccepted);
    EXPECT_EQ(listener.requests().size(), 3u);
    EXPECT_EQ(listener.connections(), 1);
}

TEST(MyOperatorProvider, CapturesRetryAfterFromTheResponse) {
    RawHttpListener listener([](const std::string&) {
        return HttpResponseText(429, R"({"message":"Too many requests"})", "Retry-After: 7\r\n");
    });
    MyOperatorProvider provider(OptionsFor(listener.base_url()));
    SendOutcome outcome = provider.Send(SampleMessage());
    EXPECT_EQ(outcome.kind, Kind::kRetryable);
    EXPECT_EQ(outcome.http_status, 429);
    EXPECT_EQ(outcome.retry_after, seconds(7));
    EXPECT_EQ(outcome.error, "HTTP 429: Too many requests");
}

TEST(MyOperatorProvider, DoesNotFollowRedirects) {
    RawHttpListener listener(
        [](const std::string&) { return HttpResponseText(307, "", "Location: http://127.0.0.1:1/elsewhere\r\n"); });
    MyOperatorProvider provider(OptionsFor(listener.base_url()));
    SendOutcome outcome = provider.Send(SampleMessage());
    EXPECT_EQ(outcome.kind, Kind::kRetryable);
    EXPECT_EQ(outcome.http_status, 307);
    EXPECT_EQ(listener.requests().size(), 1u);
}

TEST(MyOperatorProvider, CapsLargeResponseBodies) {
    RawHttpListener listener([](const std::string&) { return HttpResponseText(500, std::string(1 << 20, 'x')); });
    MyOperatorProvider provider(OptionsFor(listener.base_url()));
    SendOutcome outcome = provider.Send(SampleMessage());
    EXPECT_EQ(outcome.kind, Kind::kRetryable);
    EXPECT_EQ(outcome.http_status, 500);
    EXPECT_LE(outcome.error.size(), 300u);
}

TEST(MyOperatorProvider, NeverPutsTheApiKeyInTheErrorOrTheLog) {
    // A provider (or proxy) that echoes the request back in its error.
    RawHttpListener listener([](const std::string& request) {
        return HttpResponseText(400, json{{"message", "rejected: " + request.substr(0, 200)}}.dump());
    });
    std::ostringstream log;
    auto previous = spdlog::default_logger();
    auto capture = std::make_shared<spdlog::logger>("capture", std::make_shared<spdlog::sinks::ostream_sink_mt>(log));
    capture->set_level(spdlog::level::debug);
    spdlog::set_default_logger(capture);
    MyOperatorProvider provider(OptionsFor(listener.base_url()));
    SendOutcome outcome = provider.Send(SampleMessage());
    spdlog::set_default_logger(previous);

    EXPECT_EQ(outcome.kind, Kind::kPermanent);
    EXPECT_NE(outcome.error.find("Bearer [redacted]"), std::string::npos) << outcome.error;
    EXPECT_EQ(outcome.error.find("SECRET"), std::string::npos) << outcome.error;
    const std::string line = log.str();
    EXPECT_NE(line.find("id=msg_01HZX"), std::string::npos) << line;
    EXPECT_NE(line.find("to=+91******3210"), std::string::npos) << line;
    EXPECT_NE(line.find("http_status=400"), std::string::npos) << line;
    EXPECT_NE(line.find("outcome=permanent"), std::string::npos) << line;
    EXPECT_EQ(line.find("SECRET"), std::string::npos) << line;
    EXPECT_EQ(line.find("9876543210"), std::string::npos) << line;
}

TEST(MyOperatorProvider, GivesUpOnASilentServerWithinTheTimeout) {
    RawHttpListener listener([](const std::string&) { return std::nullopt; });
    MyOperatorProvider provider(OptionsFor(listener.base_url(), milliseconds(300)));
    auto started = std::chrono::steady_clock::now();
    SendOutcome outcome = provider.Send(SampleMessage());
    auto elapsed = std::chrono::steady_clock::now() - started;
    EXPECT_EQ(outcome.kind, Kind::kRetryable);
    EXPECT_EQ(outcome.http_status, 0);
    EXPECT_TRUE(outcome.error.starts_with("transport: Timeout was reached")) << outcome.error;
    EXPECT_GE(elapsed, milliseconds(250));
    EXPECT_LT(elapsed, milliseconds(2000));
    EXPECT_EQ(listener.requests().size(), 1u);
}

TEST(MyOperatorProvider, ConnectionRefusedIsRetryable) {
    // Bind to learn a free port, then close it so nothing listens there.
    std::uint16_t port;
    {
        RawHttpListener closed([](const std::string&) { return std::nullopt; });
        port = closed.port();
    }
    MyOperatorProvider provider(OptionsFor("http://127.0.0.1:" + std::to_string(port), milliseconds(2000)));
    auto started = std::chrono::steady_clock::now();
    SendOutcome outcome = provider.Send(SampleMessage());
    EXPECT_EQ(outcome.kind, Kind::kRetryable);
    EXPECT_EQ(outcome.http_status, 0);
    EXPECT_TRUE(outcome.error.starts_with("transport: Couldn't connect to server")) << outcome.error;
    EXPECT_LT(std::chrono::steady_clock::now() - started, milliseconds(1500));
}

TEST(MyOperatorProvider, AMalformedBaseUrlIsATransportFailure) {
    MyOperatorProvider provider(OptionsFor("ftp://127.0.0.1:1"));
    SendOutcome outcome = provider.Send(SampleMessage());
    EXPECT_EQ(outcome.kind, Kind::kRetryable);
    EXPECT_EQ(outcome.http_status, 0);
    EXPECT_TRUE(outcome.error.starts_with("transport: ")) << outcome.error;
}

TEST(MyOperatorProvider, IsSafeToCallFromManyThreads) {
    RawHttpListener listener([](const std::string&) { return HttpResponseText(200, kSuccessBody); });
    MyOperatorProvider provider(OptionsFor(listener.base_url()));
    std::atomic<int> accepted{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&] {
            for (int i = 0; i < 5; ++i) accepted += provider.Send(SampleMessage()).kind == Kind::kAccepted;
        });
    }
    for (auto& thread : threads) thread.join();
    EXPECT_EQ(accepted.load(), 20);
    EXPECT_EQ(listener.requests().size(), 20u);
}

}  // namespace
}  // namespace notify
