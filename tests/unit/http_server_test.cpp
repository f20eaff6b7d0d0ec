#include <arpa/inet.h>
#include <curl/curl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "common/errors.h"
#include "common/log_context.h"
#include "http/errors.h"
#include "http/server.h"

namespace notify {
namespace {

using namespace std::chrono_literals;
using Json = nlohmann::json;

HttpServerOptions LocalOptions() {
    HttpServerOptions options;
    options.host = "127.0.0.1";
    options.port = 0;
    return options;
}

HttpResponse Text(int status, std::string body) {
    HttpResponse response;
    response.status = status;
    response.content_type = "text/plain; charset=utf-8";
    response.body = std::move(body);
    return response;
}

std::string Lower(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

// Polls `done` until it holds or `timeout` passes: a bounded wait, never a fixed sleep.
template <class Pred>
bool WaitFor(Pred done, std::chrono::milliseconds timeout = 5s) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!done()) {
        if (std::chrono::steady_clock::now() > deadline) return false;
        std::this_thread::sleep_for(2ms);
    }
    return true;
}

// Holds a handler inside its call until the test opens it.
class Gate {
public:
    void Enter() {
        std::unique_lock lock(mutex_);
        entered_ = true;
        cv_.notify_all();
        cv_.wait_for(lock, 20s, [this] { return open_; });  // bounded so a failing test cannot hang
    }
    bool WaitEntered() {
        std::unique_lock lock(mutex_);
        return cv_.wait_for(lock, 5s, [this] { return entered_; });
    }
    void Open() {
        std::lock_guard lock(mutex_);
        open_ = true;
        cv_.notify_all();
    }

private:
    std::mutex mutex_;
    std::condition_variable cv_;
    bool entered_ = false;
    bool open_ = false;
};

struct RawResponse {
    int status = 0;
    std::map<std::string, std::string> headers;  // names lower-cased
    std::string body;
};

// A blocking client socket, for what curl hides: exact bytes, keep-alive, the server closing.
class RawClient {
public:
    explicit RawClient(std::uint16_t port) {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        timeval timeout{10, 0};
        ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
        ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(port);
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
    }
    ~RawClient() { ::close(fd_); }
    RawClient(const RawClient&) = delete;
    RawClient& operator=(const RawClient&) = delete;

    bool connected() const { return connected_; }

    // A socket made now and connected later: connecting needs no new file descriptor.
    struct Deferred {};
    RawClient(Deferred, std::uint16_t port) : port_(port) {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        timeval timeout{10, 0};
        ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
        ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
    }
    bool Connect() {
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(port_);
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
        return connected_;
    }

    bool Send(std::string_view data) {
        while (!data.empty()) {
            ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
            if (n <= 0) return false;
            data.remove_prefix(static_cast<std::size_t>(n));
        }
        return true;
    }

    // One response; `head` when it answers a HEAD request (a Content-Length but no body).
    std::optional<RawResponse> Read(bool head = false) {
        std::size_t end;
        while ((end = pending_.find("\r\n\r\n")) == std::string::npos) {
            if (!Fill()) return std::nullopt;
        }
        std::istringstream lines(pending_.substr(0, end + 2));
        pending_.erase(0, end + 4);
        RawResponse response;
        std::string line;
        std::getline(lines, line);
        if (line.rfind("HTTP/1.", 0) != 0 || line.size() < 12) return std::nullopt;
        response.status = std::stoi(line.substr(9, 3));
        while (std::getline(lines, line)) {
            if (!line.empty() && line.back() == '\r') line.pop_back();
            std::size_t colon = line.find(':');
            if (colon == std::string::npos) continue;
            std::string value = line.substr(colon + 1);
            value.erase(0, value.find_first_not_of(' '));
            response.headers[Lower(line.substr(0, colon))] = value;
        }
        if (head || !response.headers.count("content-length")) return response;
        std::size_t length = std::stoul(response.headers["content-length"]);
        while (pending_.size() < length) {
            if (!Fill()) return std::nullopt;
        }
        response.body = pending_.substr(0, length);
        pending_.erase(0, length);
        return response;
    }

    // True when the server closes the connection (EOF or reset) within the receive timeout.
    bool PeerClosed() {
        char c;
        ssize_t n = ::recv(fd_, &c, 1, 0);
        return n == 0 || (n < 0 && (errno == ECONNRESET || errno == EPIPE));
    }

private:
    bool Fill() {
        char buffer[65536];
        ssize_t n = ::recv(fd_, buffer, sizeof buffer, 0);
        if (n <= 0) return false;
        pending_.append(buffer, static_cast<std::size_t>(n));
        return true;
    }

    int fd_ = -1;
    bool connected_ = false;
    std::uint16_t port_ = 0;
    std::string pending_;
};

std::string Get(const std::string& target, const std::string& extra_headers = {}) {
    return "GET " + target + " HTTP/1.1\r\nHost: test\r\n" + extra_headers + "\r\n";
}

struct CurlResponse {
    CURLcode code = CURLE_OK;
    long status = 0;
    long connects = 0;                           // new connections this transfer opened
    std::map<std::string, std::string> headers;  // names lower-cased, of the final response
    std::string body;
};

// One curl handle; reusing it reuses its connection.
class Curl {
public:
    Curl() {
        static const bool initialised = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
        EXPECT_TRUE(initialised);
        easy_ = curl_easy_init();
    }
    ~Curl() { curl_easy_cleanup(easy_); }
    Curl(const Curl&) = delete;
    Curl& operator=(const Curl&) = delete;

    CurlResponse Request(const std::string& method, const std::string& url, const std::string& body = {},
                         const std::vector<std::string>& headers = {}) {
        CurlResponse response;
        curl_slist* list = nullptr;
        for (const auto& header : headers) list = curl_slist_append(list, header.c_str());
        curl_easy_setopt(easy_, CURLOPT_URL, url.c_str());
        curl_easy_setopt(easy_, CURLOPT_NOPROXY, "*");
        curl_easy_setopt(easy_, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(easy_, CURLOPT_TIMEOUT_MS, 15000L);
        curl_easy_setopt(easy_, CURLOPT_HTTPHEADER, list);
        if (method == "GET") {
            curl_easy_setopt(easy_, CURLOPT_HTTPGET, 1L);
        } else {
            curl_easy_setopt(easy_, CURLOPT_POST, 1L);
            curl_easy_setopt(easy_, CURLOPT_POSTFIELDS, body.data());
            curl_easy_setopt(easy_, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
        }
        curl_easy_setopt(easy_, CURLOPT_CUSTOMREQUEST, method == "GET" || method == "POST" ? nullptr : method.c_str());
        curl_easy_setopt(easy_, CURLOPT_WRITEFUNCTION, &Curl::OnBody);
        curl_easy_setopt(easy_, CURLOPT_WRITEDATA, &response);
        curl_easy_setopt(easy_, CURLOPT_HEADERFUNCTION, &Curl::OnHeader);
        curl_easy_setopt(easy_, CURLOPT_HEADERDATA, &response);
        response.code = curl_easy_perform(easy_);
        curl_easy_getinfo(easy_, CURLINFO_RESPONSE_CODE, &response.status);
        curl_easy_getinfo(easy_, CURLINFO_NUM_CONNECTS, &response.connects);
        curl_easy_setopt(easy_, CURLOPT_HTTPHEADER, nullptr);
        curl_slist_free_all(list);
        return response;
    }

private:
    static std::size_t OnBody(char* data, std::size_t size, std::size_t count, void* user) {
        static_cast<CurlResponse*>(user)->body.append(data, size * count);
        return size * count;
    }
    static std::size_t OnHeader(char* data, std::size_t size, std::size_t count, void* user) {
        auto* response = static_cast<CurlResponse*>(user);
        std::string line(data, size * count);
        if (line.rfind("HTTP/", 0) == 0) response->headers.clear();  // a 100 Continue came first
        std::size_t colon = line.find(':');
        if (colon != std::string::npos) {
            std::string value = line.substr(colon + 1);
            value.erase(0, value.find_first_not_of(' '));
            while (!value.empty() && (value.back() == '\r' || value.back() == '\n')) value.pop_back();
            response->headers[Lower(line.substr(0, colon))] = value;
        }
        return size * count;
    }

    CURL* easy_ = nullptr;
};

std::string Url(std::uint16_t port, const std::string& target) {
    return "http://127.0.0.1:" + std::to_string(port) + target;
}

void ExpectJsonError(const std::string& body, const std::string& code) {
    Json json = Json::parse(body, nullptr, false);
    ASSERT_FALSE(json.is_discarded()) << body;
    EXPECT_EQ(json["error"]["code"], code) << body;
    EXPECT_TRUE(json["error"]["message"].is_string()) << body;
}

TEST(HttpServer, StartOnPortZeroReturnsTheChosenPort) {
    HttpServer server(LocalOptions(), [](HttpRequest&) { return Text(200, "ok"); });
    std::uint16_t port = server.Start();
    ASSERT_NE(port, 0);
    RawClient client(port);
    ASSERT_TRUE(client.connected());
    ASSERT_TRUE(client.Send(Get("/")));
    auto response = client.Read();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->body, "ok");
}

TEST(HttpServer, AfterStopWithNothingInFlightNewConnectionsAreRefused) {
    HttpServer server(LocalOptions(), [](HttpRequest&) { return Text(200, "ok"); });
    const std::uint16_t port = server.Start();
    server.Stop(std::chrono::milliseconds(0));
    // The listening socket is closed by Stop itself, not later by the destructor: a client is
    // refused at once instead of waiting in the backlog of a server that will never accept it.
    RawClient client(port);
    EXPECT_FALSE(client.connected());
}

TEST(HttpServer, BindingAPortInUseThrowsAClearError) {
    HttpServer first(LocalOptions(), [](HttpRequest&) { return Text(200, "ok"); });
    std::uint16_t port = first.Start();
    HttpServerOptions options = LocalOptions();
    options.port = port;
    HttpServer second(options, [](HttpRequest&) { return Text(200, "ok"); });
    try {
        second.Start();
        FAIL() << "Start() on a port in use did not throw";
    } catch (const std::runtime_error& e) {
        EXPECT_EQ(std::string(e.what()),
                  "cannot listen on 127.0.0.1:" + std::to_string(port) + ": Address already in use");
    }
}

TEST(HttpServer, HandlerSeesTheDecodedRequest) {
    std::mutex mutex;
    std::optional<HttpRequest> seen;
    HttpServer server(LocalOptions(), [&](HttpRequest& request) {
        std::lock_guard lock(mutex);
        seen = request;
        return Text(200, "ok");
    });
    std::uint16_t port = server.Start();
    const std::string target = "/api/some%20path/a+b%C3%A9?a=1&b=hello+world&c=%2Fx%26y&b=last&flag&=&d=%zz";
    Curl curl;
    auto response = curl.Request("POST", Url(port, target), "payload body",
                                 {"X-Custom-Thing: Value", "Content-Type: text/plain", "X-Twice: 1", "X-Twice: 2"});
    ASSERT_EQ(response.code, CURLE_OK);
    EXPECT_EQ(response.status, 200);

    std::lock_guard lock(mutex);
    ASSERT_TRUE(seen);
    EXPECT_EQ(seen->method, "POST");
    EXPECT_EQ(seen->target, target);
    EXPECT_EQ(seen->path, "/api/some path/a+b\xC3\xA9");  // '+' is a space only in the query
    std::map<std::string, std::string> query = {{"a", "1"},   {"b", "last"}, {"c", "/x&y"},
                                                {"flag", ""}, {"", ""},      {"d", "%zz"}};
    EXPECT_EQ(seen->query, query);
    EXPECT_EQ(seen->Header("x-custom-thing"), "Value");
    EXPECT_EQ(seen->Header("content-type"), "text/plain");
    EXPECT_EQ(seen->Header("x-twice"), "1, 2");
    EXPECT_EQ(seen->Header("host"), "127.0.0.1:" + std::to_string(port));
    EXPECT_EQ(seen->body, "payload body");
    EXPECT_EQ(seen->remote_address, "127.0.0.1");
}

TEST(HttpServer, EveryResponseCarriesTheStandardAndTheHandlersHeaders) {
    HttpServer server(LocalOptions(), [](HttpRequest&) {
        HttpResponse response = Text(201, "hi");
        response.headers = {{"X-Request-Id", "abc"}, {"X-Evil", "a\r\nInjected: yes"}, {"Content-Length", "99"}};
        return response;
    });
    std::uint16_t port = server.Start();
    RawClient client(port);
    ASSERT_TRUE(client.Send(Get("/x")));
    auto response = client.Read();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 201);
    EXPECT_EQ(response->body, "hi");
    EXPECT_EQ(response->headers["content-type"], "text/plain; charset=utf-8");
    EXPECT_EQ(response->headers["content-length"], "2");
    EXPECT_EQ(response->headers["x-content-type-options"], "nosniff");
    EXPECT_EQ(response->headers["server"], "notifyd");
    EXPECT_EQ(response->headers["x-request-id"], "abc");
    EXPECT_EQ(response->headers.count("injected"), 0u);
    EXPECT_EQ(response->headers.count("x-evil"), 0u);
}

TEST(HttpServer, EchoesASaneRequestIdAndMakesOneOtherwise) {
    HttpServer server(LocalOptions(), [](HttpRequest&) { return Text(200, "ok"); });
    std::uint16_t port = server.Start();
    RawClient client(port);
    ASSERT_TRUE(client.Send(Get("/x", "X-Request-Id: client.id_1-A\r\n")));
    auto echoed = client.Read();
    ASSERT_TRUE(echoed);
    EXPECT_EQ(echoed->headers["x-request-id"], "client.id_1-A");

    ASSERT_TRUE(client.Send(Get("/x", "X-Request-Id: has spaces\r\n")));
    auto replaced = client.Read();
    ASSERT_TRUE(replaced);
    EXPECT_EQ(replaced->headers["x-request-id"].size(), 16u);

    ASSERT_TRUE(client.Send(Get("/x")));
    auto made = client.Read();
    ASSERT_TRUE(made);
    EXPECT_EQ(made->headers["x-request-id"].size(), 16u);
    EXPECT_NE(made->headers["x-request-id"], replaced->headers["x-request-id"]);
}

TEST(HttpServer, KeepAliveServesSeveralRequestsOnOneConnection) {
    HttpServer server(LocalOptions(), [](HttpRequest& request) { return Text(200, request.path); });
    std::uint16_t port = server.Start();

    RawClient client(port);
    for (int i = 0; i < 3; ++i) {
        std::string path = "/n" + std::to_string(i);
        ASSERT_TRUE(client.Send(Get(path)));
        auto response = client.Read();
        ASSERT_TRUE(response) << "request " << i;
        EXPECT_EQ(response->body, path);
        EXPECT_EQ(response->headers.count("connection"), 0u);  // HTTP/1.1: persistent by default
    }
    EXPECT_EQ(server.OpenConnections(), 1u);

    Curl curl;
    for (int i = 0; i < 3; ++i) {
        auto response = curl.Request("GET", Url(port, "/c"));
        EXPECT_EQ(response.status, 200);
        EXPECT_EQ(response.connects, i == 0 ? 1 : 0) << "request " << i << " opened a new connection";
    }
}

TEST(HttpServer, ConnectionCloseFromTheClientClosesAfterTheResponse) {
    HttpServer server(LocalOptions(), [](HttpRequest&) { return Text(200, "bye"); });
    std::uint16_t port = server.Start();

    {
        RawClient client(port);
        ASSERT_TRUE(client.Send(Get("/", "Connection: close\r\n")));
        auto response = client.Read();
        ASSERT_TRUE(response);
        EXPECT_EQ(response->body, "bye");
        EXPECT_EQ(Lower(response->headers["connection"]), "close");
        EXPECT_TRUE(client.PeerClosed());

        RawClient old(port);  // HTTP/1.0 without keep-alive closes too
        ASSERT_TRUE(old.Send("GET / HTTP/1.0\r\n\r\n"));
        ASSERT_TRUE(old.Read());
        EXPECT_TRUE(old.PeerClosed());
    }
    // The server lingers until the client has closed its side too (see kLingerTimeout).
    EXPECT_TRUE(WaitFor([&] { return server.OpenConnections() == 0; }));
}

TEST(HttpServer, HeadAndNoContentResponsesCarryNoBody) {
    HttpServer server(LocalOptions(), [](HttpRequest& request) {
        return request.path == "/empty" ? Text(204, "dropped") : Text(200, "hello");
    });
    std::uint16_t port = server.Start();
    RawClient client(port);
    ASSERT_TRUE(client.Send("HEAD / HTTP/1.1\r\nHost: test\r\n\r\n"));
    auto head = client.Read(/*head=*/true);
    ASSERT_TRUE(head);
    EXPECT_EQ(head->headers["content-length"], "5");
    ASSERT_TRUE(client.Send(Get("/empty")));
    auto empty = client.Read();
    ASSERT_TRUE(empty);
    EXPECT_EQ(empty->status, 204);
    EXPECT_EQ(empty->headers.count("content-length"), 0u);
    EXPECT_EQ(empty->headers["x-content-type-options"], "nosniff");
    ASSERT_TRUE(client.Send(Get("/")));  // no stray body bytes precede the next response
    auto get = client.Read();
    ASSERT_TRUE(get);
    EXPECT_EQ(get->status, 200);
    EXPECT_EQ(get->body, "hello");
}

TEST(HttpServer, OversizedBodyGets413JsonFromCurl) {
    std::atomic<int> calls{0};
    HttpServer server(LocalOptions(), [&](HttpRequest&) {
        ++calls;
        return Text(200, "ok");
    });
    std::uint16_t port = server.Start();
    Curl curl;
    auto response = curl.Request("POST", Url(port, "/api/notifications/send-message"), std::string(2 << 20, 'x'),
                                 {"Content-Type: application/json"});
    ASSERT_EQ(response.code, CURLE_OK) << curl_easy_strerror(response.code);
    EXPECT_EQ(response.status, 413);
    ExpectJsonError(response.body, "payload_too_large");
    EXPECT_EQ(Json::parse(response.body)["error"]["message"], "request body exceeds 1048576 bytes");
    EXPECT_EQ(response.headers["content-type"], "application/json; charset=utf-8");
    EXPECT_EQ(response.headers["x-content-type-options"], "nosniff");
    EXPECT_EQ(calls.load(), 0);
}

TEST(HttpServer, OversizedBodyGets413EvenWhileTheClientKeepsUploading) {
    HttpServer server(LocalOptions(), [](HttpRequest&) { return Text(200, "ok"); });
    std::uint16_t port = server.Start();
    const std::string body(2 << 20, 'x');

    // Announced by Content-Length, and the whole body sent anyway.
    RawClient client(port);
    std::thread upload([&] {
        client.Send("POST / HTTP/1.1\r\nHost: test\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n");
        client.Send(body);
    });
    auto response = client.Read();
    upload.join();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 413);
    EXPECT_EQ(response->headers["x-content-type-options"], "nosniff");
    ExpectJsonError(response->body, "payload_too_large");
    EXPECT_TRUE(client.PeerClosed());

    // Chunked: found out only while reading.
    RawClient chunked(port);
    std::thread chunks([&] {
        chunked.Send("POST / HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n");
        for (int i = 0; i < 40; ++i) {
            if (!chunked.Send("10000\r\n" + std::string(0x10000, 'y') + "\r\n")) break;
        }
        chunked.Send("0\r\n\r\n");
    });
    response = chunked.Read();
    chunks.join();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 413);
    ExpectJsonError(response->body, "payload_too_large");
}

TEST(HttpServer, ExpectContinueGets100BeforeTheBody) {
    HttpServerOptions options = LocalOptions();
    options.body_limit = 4 << 20;
    HttpServer server(options, [](HttpRequest& request) { return Text(200, request.body); });
    std::uint16_t port = server.Start();
    RawClient client(port);
    ASSERT_TRUE(client.Send("POST / HTTP/1.1\r\nHost: test\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n"));
    auto interim = client.Read();
    ASSERT_TRUE(interim);
    EXPECT_EQ(interim->status, 100);
    ASSERT_TRUE(client.Send("hello"));
    auto response = client.Read();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->body, "hello");
}

TEST(HttpServer, OversizedHeaderSectionGets431Json) {
    HttpServer server(LocalOptions(), [](HttpRequest&) { return Text(200, "ok"); });
    std::uint16_t port = server.Start();
    RawClient client(port);
    ASSERT_TRUE(client.Send(Get("/", "X-Big: " + std::string(20000, 'a') + "\r\n")));
    auto response = client.Read();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 431);
    ExpectJsonError(response->body, "headers_too_large");
    EXPECT_TRUE(client.PeerClosed());
}

TEST(HttpServer, MalformedRequestGets400JsonAndClose) {
    HttpServer server(LocalOptions(), [](HttpRequest&) { return Text(200, "ok"); });
    std::uint16_t port = server.Start();
    for (const std::string raw : {"THIS IS NOT HTTP\r\n\r\n", "GET / HTTP/1.1\r\nHost test\r\n\r\n",
                                  "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: zz\r\n\r\n"}) {
        RawClient client(port);
        ASSERT_TRUE(client.Send(raw));
        auto response = client.Read();
        ASSERT_TRUE(response) << raw;
        EXPECT_EQ(response->status, 400) << raw;
        EXPECT_EQ(response->headers["content-type"], "application/json; charset=utf-8");
        EXPECT_EQ(response->headers["x-content-type-options"], "nosniff");
        ExpectJsonError(response->body, "bad_request");
        EXPECT_TRUE(client.PeerClosed()) << raw;
    }
}

TEST(HttpServer, HandlerExceptionsBecomeJsonErrors) {
    HttpServer server(LocalOptions(), [](HttpRequest& request) -> HttpResponse {
        if (request.path == "/boom") throw std::runtime_error("boom");
        if (request.path == "/invalid") throw InvalidInput("invalid_phone", "not a phone number", "phone");
        return Text(200, "ok");
    });
    std::uint16_t port = server.Start();
    Curl curl;
    auto boom = curl.Request("GET", Url(port, "/boom"));
    EXPECT_EQ(boom.status, 500);
    ExpectJsonError(boom.body, "internal");
    EXPECT_EQ(boom.headers["x-content-type-options"], "nosniff");

    auto invalid = curl.Request("GET", Url(port, "/invalid"));
    EXPECT_EQ(invalid.status, 400);
    ExpectJsonError(invalid.body, "invalid_phone");
    EXPECT_EQ(Json::parse(invalid.body)["error"]["field"], "phone");

    auto ok = curl.Request("GET", Url(port, "/"));  // the connection survives
    EXPECT_EQ(ok.status, 200);
    EXPECT_EQ(ok.connects, 0);
}

TEST(HttpServer, SlowHandlerDoesNotBlockAnotherConnection) {
    Gate gate;
    HttpServerOptions options = LocalOptions();
    options.io_threads = 1;
    options.handler_threads = 2;
    HttpServer server(options, [&](HttpRequest& request) {
        if (request.path == "/slow") gate.Enter();
        return Text(200, request.path);
    });
    std::uint16_t port = server.Start();

    CurlResponse slow;
    std::thread slow_client([&] { slow = Curl().Request("GET", Url(port, "/slow")); });
    ASSERT_TRUE(gate.WaitEntered());
    auto fast = Curl().Request("GET", Url(port, "/fast"));
    EXPECT_EQ(fast.status, 200);
    EXPECT_EQ(fast.body, "/fast");
    gate.Open();
    slow_client.join();
    EXPECT_EQ(slow.status, 200);
    EXPECT_EQ(slow.body, "/slow");
}

TEST(HttpServer, HoldsThreeHundredIdleKeepAliveConnections) {
    HttpServerOptions options = LocalOptions();
    options.io_threads = 2;
    HttpServer server(options, [](HttpRequest& request) { return Text(200, request.path); });
    std::uint16_t port = server.Start();

    std::vector<std::unique_ptr<RawClient>> clients;
    for (int i = 0; i < 300; ++i) {
        clients.push_back(std::make_unique<RawClient>(port));
        ASSERT_TRUE(clients.back()->connected()) << "connection " << i;
    }
    ASSERT_TRUE(WaitFor([&] { return server.OpenConnections() == 300; }, 10s)) << server.OpenConnections();
    for (int i = 0; i < 300; ++i) {
        std::string path = "/c" + std::to_string(i);
        ASSERT_TRUE(clients[i]->Send(Get(path))) << "connection " << i;
        auto response = clients[i]->Read();
        ASSERT_TRUE(response) << "connection " << i;
        EXPECT_EQ(response->body, path);
    }
    EXPECT_EQ(server.OpenConnections(), 300u);
}

TEST(HttpServer, IdleKeepAliveConnectionIsClosedAfterTheIdleTimeout) {
    HttpServerOptions options = LocalOptions();
    options.idle_timeout = 1s;
    HttpServer server(options, [](HttpRequest&) { return Text(200, "ok"); });
    std::uint16_t port = server.Start();
    RawClient client(port);
    ASSERT_TRUE(client.Send(Get("/")));
    ASSERT_TRUE(client.Read());
    auto idle_since = std::chrono::steady_clock::now();
    EXPECT_TRUE(client.PeerClosed());
    EXPECT_GE(std::chrono::steady_clock::now() - idle_since, 900ms);
    EXPECT_TRUE(WaitFor([&] { return server.OpenConnections() == 0; }));
}

TEST(HttpServer, HandlerSlowerThanTheIdleTimeoutIsNotCut) {
    HttpServerOptions options = LocalOptions();
    options.idle_timeout = 1s;
    HttpServer server(options, [](HttpRequest&) {
        std::this_thread::sleep_for(1500ms);  // the work itself, not synchronisation
        return Text(200, "late");
    });
    std::uint16_t port = server.Start();
    RawClient client(port);
    ASSERT_TRUE(client.Send(Get("/")));
    auto response = client.Read();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->body, "late");
}

TEST(HttpServer, StopLetsAnInFlightRequestCompleteAndClosesTheRest) {
    Gate gate;
    HttpServer server(LocalOptions(), [&](HttpRequest& request) {
        if (request.path == "/slow") gate.Enter();
        return Text(200, "done");
    });
    std::uint16_t port = server.Start();
    RawClient busy(port);
    RawClient idle(port);
    ASSERT_TRUE(WaitFor([&] { return server.OpenConnections() == 2; }));
    ASSERT_TRUE(busy.Send(Get("/slow")));
    ASSERT_TRUE(gate.WaitEntered());

    std::atomic<bool> stopped{false};
    std::thread stopper([&] {
        server.Stop(10s);
        stopped = true;
    });
    EXPECT_TRUE(idle.PeerClosed());  // nothing in progress there
    EXPECT_TRUE(WaitFor([&] { return !RawClient(port).connected(); })) << "still accepting";
    EXPECT_FALSE(stopped.load());

    gate.Open();
    auto response = busy.Read();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->body, "done");
    EXPECT_EQ(Lower(response->headers["connection"]), "close");
    EXPECT_TRUE(busy.PeerClosed());
    stopper.join();
    EXPECT_EQ(server.OpenConnections(), 0u);
}

TEST(HttpServer, StopClosesAConnectionWhoseHandlerOutlivesTheDrain) {
    Gate gate;
    HttpServer server(LocalOptions(), [&](HttpRequest&) {
        gate.Enter();
        return Text(200, "too late");
    });
    std::uint16_t port = server.Start();
    RawClient client(port);
    ASSERT_TRUE(client.Send(Get("/")));
    ASSERT_TRUE(gate.WaitEntered());
    std::thread stopper([&] { server.Stop(100ms); });
    EXPECT_TRUE(client.PeerClosed());
    gate.Open();  // Stop() joins the handler threads, so it returns once the handler does
    stopper.join();
    EXPECT_EQ(server.OpenConnections(), 0u);
}

TEST(HttpServer, StopIsIdempotentAndTheDestructorStops) {
    {
        HttpServer server(LocalOptions(), [](HttpRequest&) { return Text(200, "ok"); });
        server.Start();
        server.Stop(0ms);
        server.Stop(0ms);
    }
    std::unique_ptr<RawClient> client;
    {
        HttpServer server(LocalOptions(), [](HttpRequest&) { return Text(200, "ok"); });
        std::uint16_t port = server.Start();
        client = std::make_unique<RawClient>(port);
        ASSERT_TRUE(WaitFor([&] { return server.OpenConnections() == 1; }));
    }
    EXPECT_TRUE(client->PeerClosed());
    HttpServer never_started(LocalOptions(), [](HttpRequest&) { return Text(200, "ok"); });
    never_started.Stop(0ms);
}

// The server writes no line per request of its own (the access log is the observer's, so that
// LOG_LEVEL=debug with ACCESS_LOG=on gives one line, not two); what it tells the observer and what
// it logs never hold the query, the body or the headers.
TEST(HttpServer, WritesNoLinePerRequestAndReportsThePathWithoutQueryOrHeaders) {
    auto output = std::make_shared<std::ostringstream>();
    auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(*output);
    auto logger = std::make_shared<spdlog::logger>("http-test", sink);
    logger->set_level(spdlog::level::trace);
    auto previous = spdlog::default_logger();
    spdlog::set_default_logger(logger);  // only while no server thread logs
    std::uint16_t port;
    std::mutex mutex;
    std::string reported;
    {
        HttpServerOptions options = LocalOptions();
        options.on_response = [&](const RequestOutcome& outcome) {
            std::lock_guard lock(mutex);
            reported = std::string(outcome.method) + " " + std::string(outcome.path);
        };
        HttpServer server(options, [](HttpRequest&) { return Text(200, "ok"); });
        port = server.Start();
        auto response = Curl().Request("POST", Url(port, "/webhooks/myoperator?key=QUERYSECRET"), "BODYSECRET",
                                       {"X-Webhook-Secret: HEADERSECRET"});
        EXPECT_EQ(response.status, 200);
        server.Stop(1s);
    }
    spdlog::set_default_logger(previous);
    std::string text = output->str();
    EXPECT_NE(text.find("listening on http://127.0.0.1:" + std::to_string(port)), std::string::npos) << text;
    EXPECT_EQ(text.find("/webhooks/myoperator"), std::string::npos) << text;
    EXPECT_EQ(reported, "POST /webhooks/myoperator");
    for (const char* secret : {"QUERYSECRET", "BODYSECRET", "HEADERSECRET", "key="}) {
        EXPECT_EQ(text.find(secret), std::string::npos) << secret << " in " << text;
    }
}

// ---------------------------------------------------------------------------------------------
// Hostile clients

// A header-stage hook like the Router's: /public goes on, /inline runs on the I/O thread, anything
// else without "Authorization: Bearer good" is refused before its body is read.
HeaderVerdict CheckToken(HttpRequest& request) {
    if (request.path == "/inline") return {std::nullopt, true};
    if (request.path == "/public" || request.Header("authorization") == "Bearer good") return {};
    return {ErrorResponse(401, "unauthorized", "a valid bearer token is required"), false};
}

TEST(HttpServer, AtTheConnectionCapTheOldestIdleConnectionMakesRoom) {
    HttpServerOptions options = LocalOptions();
    options.max_connections = 3;
    HttpServer server(options, [](HttpRequest& request) { return Text(200, request.path); });
    std::uint16_t port = server.Start();
    std::vector<std::unique_ptr<RawClient>> idle;
    for (std::size_t i = 0; i < 3; ++i) {
        idle.push_back(std::make_unique<RawClient>(port));
        ASSERT_TRUE(WaitFor([&] { return server.OpenConnections() == i + 1; }));
    }
    // The middle one has served a request, so it is now idle more recently than the first.
    ASSERT_TRUE(idle[1]->Send(Get("/middle")));
    ASSERT_TRUE(idle[1]->Read());

    RawClient newcomer(port);
    ASSERT_TRUE(newcomer.Send(Get("/new")));
    auto response = newcomer.Read();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->body, "/new");
    EXPECT_TRUE(idle[0]->PeerClosed());  // idle longest
    for (std::size_t i = 1; i < 3; ++i) {
        ASSERT_TRUE(idle[i]->Send(Get("/still-open"))) << i;
        auto still = idle[i]->Read();
        ASSERT_TRUE(still) << i;
        EXPECT_EQ(still->body, "/still-open");
    }
    EXPECT_LE(server.OpenConnections(), 3u);
}

TEST(HttpServer, AClientTricklingItsHeadersCountsAsIdleAtTheCap) {
    HttpServerOptions options = LocalOptions();
    options.max_connections = 2;
    HttpServer server(options, [](HttpRequest& request) { return Text(200, request.path); });
    std::uint16_t port = server.Start();
    RawClient trickler(port);
    ASSERT_TRUE(trickler.Send("GET /never-finished HTTP/1.1\r\nHo"));
    ASSERT_TRUE(WaitFor([&] { return server.OpenConnections() == 1; }));
    RawClient idle(port);
    ASSERT_TRUE(WaitFor([&] { return server.OpenConnections() == 2; }));

    RawClient newcomer(port);
    ASSERT_TRUE(newcomer.Send(Get("/new")));
    auto response = newcomer.Read();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 200);
    EXPECT_TRUE(trickler.PeerClosed());
    ASSERT_TRUE(idle.Send(Get("/idle")));
    ASSERT_TRUE(idle.Read());
}

TEST(HttpServer, AtTheCapWithNoneIdleTheNewcomerGets503Overloaded) {
    Gate gate;
    HttpServerOptions options = LocalOptions();
    options.max_connections = 1;
    HttpServer server(options, [&](HttpRequest&) {
        gate.Enter();
        return Text(200, "done");
    });
    std::uint16_t port = server.Start();
    RawClient busy(port);
    ASSERT_TRUE(busy.Send(Get("/busy")));
    ASSERT_TRUE(gate.WaitEntered());

    RawClient refused(port);
    auto response = refused.Read();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 503);
    EXPECT_EQ(response->headers["retry-after"], "1");
    ExpectJsonError(response->body, "overloaded");
    EXPECT_TRUE(refused.PeerClosed());

    gate.Open();
    auto done = busy.Read();
    ASSERT_TRUE(done);
    EXPECT_EQ(done->body, "done");
}

// Restores the soft open-file limit it lowered, whatever happens in between.
class FileLimitGuard {
public:
    FileLimitGuard() { ::getrlimit(RLIMIT_NOFILE, &saved_); }
    ~FileLimitGuard() { ::setrlimit(RLIMIT_NOFILE, &saved_); }
    FileLimitGuard(const FileLimitGuard&) = delete;
    FileLimitGuard& operator=(const FileLimitGuard&) = delete;
    // No descriptor can be created after this (every number below the limit is taken).
    bool Exhaust() {
        const int lowest_free = ::dup(0);
        if (lowest_free < 0) return false;
        ::close(lowest_free);
        rlimit limit = saved_;
        limit.rlim_cur = static_cast<rlim_t>(lowest_free);
        return ::setrlimit(RLIMIT_NOFILE, &limit) == 0;
    }
    void Restore() { ::setrlimit(RLIMIT_NOFILE, &saved_); }

private:
    rlimit saved_{};
};

TEST(HttpServer, OutOfFileDescriptorsTheNewcomerIsClosedAndAcceptingGoesOn) {
#if defined(__SANITIZE_ADDRESS__)
    // The ASan/UBSan runtime needs descriptors of its own (it reads /proc/self/maps to check a
    // vptr): with none left, UBSan reports a type_info as having an invalid vptr. The plain and
    // ThreadSanitizer builds run this test.
    GTEST_SKIP() << "exhausting file descriptors starves the AddressSanitizer/UBSan runtime";
#endif
    HttpServer server(LocalOptions(), [](HttpRequest& request) { return Text(200, request.path); });
    std::uint16_t port = server.Start();
    RawClient starved(RawClient::Deferred{}, port);
    RawClient later(RawClient::Deferred{}, port);
    {
        FileLimitGuard limit;
        ASSERT_TRUE(limit.Exhaust());
        ASSERT_TRUE(starved.Connect());  // the kernel completes it; accept() then fails with EMFILE
        EXPECT_TRUE(starved.PeerClosed());
        limit.Restore();
    }
    ASSERT_TRUE(later.Connect());
    ASSERT_TRUE(later.Send(Get("/after")));
    auto response = later.Read();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->body, "/after");
}

TEST(HttpServer, HeaderSectionTrickledPastTheHeaderTimeoutGets408AndClose) {
    HttpServerOptions options = LocalOptions();
    options.header_timeout = 300ms;
    HttpServer server(options, [](HttpRequest&) { return Text(200, "ok"); });
    std::uint16_t port = server.Start();
    RawClient client(port);
    ASSERT_TRUE(client.Send("GET / HTTP/1.1\r\n"));
    // Each byte arrives well within the timeout: the deadline runs from the first byte, not the last.
    std::atomic<bool> stop{false};
    std::thread trickle([&] {
        for (int i = 0; i < 200 && !stop; ++i) {
            if (!client.Send("X")) return;
            std::this_thread::sleep_for(25ms);  // the client's pace, not synchronisation
        }
    });
    auto response = client.Read();
    stop = true;
    trickle.join();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 408);
    ExpectJsonError(response->body, "request_timeout");
    EXPECT_EQ(Lower(response->headers["connection"]), "close");
    EXPECT_TRUE(client.PeerClosed());
}

TEST(HttpServer, BodyPromisedAndNeverSentGets408AndClose) {
    std::atomic<int> calls{0};
    HttpServerOptions options = LocalOptions();
    options.body_timeout = 300ms;
    HttpServer server(options, [&](HttpRequest&) {
        ++calls;
        return Text(200, "ok");
    });
    std::uint16_t port = server.Start();
    RawClient client(port);
    ASSERT_TRUE(client.Send("POST / HTTP/1.1\r\nHost: test\r\nContent-Length: 10\r\n\r\nabc"));
    auto response = client.Read();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 408);
    ExpectJsonError(response->body, "request_timeout");
    EXPECT_TRUE(client.PeerClosed());
    EXPECT_EQ(calls, 0);
}

TEST(HttpServer, EveryResponseIsReportedWithTheRouteTheHeaderStageMatched) {
    std::mutex mutex;
    std::vector<RequestOutcome> outcomes;
    std::vector<std::string> methods;  // RequestOutcome::method lives only as long as the call
    HttpServerOptions options = LocalOptions();
    options.on_headers = [](HttpRequest& request) {
        if (request.path == "/known") request.matched_route = 3;
        HeaderVerdict verdict;
        if (request.path == "/refused") verdict.reject = ErrorResponse(401, "unauthorized", "no");
        return verdict;
    };
    options.on_response = [&](const RequestOutcome& outcome) {
        std::lock_guard lock(mutex);
        outcomes.push_back(outcome);
        methods.emplace_back(outcome.method);
    };
    HttpServer server(options, [](HttpRequest&) { return Text(202, "ok"); });
    std::uint16_t port = server.Start();
    Curl curl;
    EXPECT_EQ(curl.Request("POST", Url(port, "/known"), "x").status, 202);
    EXPECT_EQ(curl.Request("GET", Url(port, "/refused")).status, 401);
    ASSERT_TRUE(WaitFor([&] {
        std::lock_guard lock(mutex);
        return outcomes.size() == 2;
    }));
    std::lock_guard lock(mutex);
    EXPECT_EQ(methods, (std::vector<std::string>{"POST", "GET"}));
    EXPECT_EQ(outcomes[0].matched_route, 3u);
    EXPECT_EQ(outcomes[0].status, 202);
    EXPECT_GE(outcomes[0].seconds, 0);
    EXPECT_FALSE(outcomes[1].matched_route);
    EXPECT_EQ(outcomes[1].status, 401);
}

TEST(HttpServer, RefusedAtTheHeaderStageNoBodyIsReadAndTheConnectionCloses) {
    std::atomic<int> calls{0};
    HttpServerOptions options = LocalOptions();
    options.body_timeout = 60s;  // an answer now cannot come from the body deadline
    options.on_headers = CheckToken;
    HttpServer server(options, [&](HttpRequest&) {
        ++calls;
        return Text(200, "ok");
    });
    std::uint16_t port = server.Start();
    RawClient client(port);
    ASSERT_TRUE(client.Send("POST /send HTTP/1.1\r\nHost: test\r\nContent-Length: 100000\r\n\r\n"));
    auto response = client.Read();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 401);
    ExpectJsonError(response->body, "unauthorized");
    EXPECT_TRUE(client.PeerClosed());
    EXPECT_EQ(calls, 0);
}

TEST(HttpServer, RefusedAtTheHeaderStageNo100ContinueIsSent) {
    HttpServerOptions options = LocalOptions();
    options.on_headers = CheckToken;
    HttpServer server(options, [](HttpRequest& request) { return Text(200, request.body); });
    std::uint16_t port = server.Start();
    RawClient refused(port);
    ASSERT_TRUE(refused.Send("POST /send HTTP/1.1\r\nHost: test\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n"));
    auto response = refused.Read();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 401);

    RawClient allowed(port);
    ASSERT_TRUE(
        allowed.Send("POST /send HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer good\r\nContent-Length: 5\r\n"
                     "Expect: 100-continue\r\n\r\n"));
    auto interim = allowed.Read();
    ASSERT_TRUE(interim);
    EXPECT_EQ(interim->status, 100);
    ASSERT_TRUE(allowed.Send("hello"));
    auto accepted = allowed.Read();
    ASSERT_TRUE(accepted);
    EXPECT_EQ(accepted->status, 200);
    EXPECT_EQ(accepted->body, "hello");
}

TEST(HttpServer, RefusedWithoutABodyTheConnectionServesTheNextRequest) {
    HttpServerOptions options = LocalOptions();
    options.on_headers = CheckToken;
    HttpServer server(options, [](HttpRequest& request) { return Text(200, request.path); });
    std::uint16_t port = server.Start();
    RawClient client(port);
    ASSERT_TRUE(client.Send(Get("/private")));
    auto refused = client.Read();
    ASSERT_TRUE(refused);
    EXPECT_EQ(refused->status, 401);
    ASSERT_TRUE(client.Send(Get("/public")));
    auto served = client.Read();
    ASSERT_TRUE(served);
    EXPECT_EQ(served->status, 200);
    EXPECT_EQ(served->body, "/public");
}

TEST(HttpServer, WhatTheHeaderStageRecordsReachesTheHandler) {
    HttpServerOptions options = LocalOptions();
    options.on_headers = [](HttpRequest& request) {
        request.route_index = 7;
        return HeaderVerdict{};
    };
    HttpServer server(options, [](HttpRequest& request) {
        return Text(200, std::to_string(request.route_index.value_or(0)) + " " + request.body);
    });
    std::uint16_t port = server.Start();
    auto response = Curl().Request("POST", Url(port, "/x"), "payload");
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(response.body, "7 payload");
}

TEST(HttpServer, FullHandlerQueueGets503OverloadedWhileInlineHandlersStillAnswer) {
    Gate gate;
    HttpServerOptions options = LocalOptions();
    options.handler_threads = 1;
    options.handler_queue_limit = 1;
    options.on_headers = CheckToken;
    HttpServer server(options, [&](HttpRequest& request) {
        if (request.path == "/public") gate.Enter();
        return Text(200, request.path);
    });
    std::uint16_t port = server.Start();
    RawClient running(port);
    ASSERT_TRUE(running.Send(Get("/public")));
    ASSERT_TRUE(gate.WaitEntered());  // the only handler thread is taken
    RawClient waiting(port);
    ASSERT_TRUE(waiting.Send(Get("/queued", "Authorization: Bearer good\r\n")));
    ASSERT_TRUE(WaitFor([&] { return server.WaitingForHandler() == 1; }));

    RawClient overflow(port);
    ASSERT_TRUE(overflow.Send(Get("/more", "Authorization: Bearer good\r\n")));
    auto refused = overflow.Read();
    ASSERT_TRUE(refused);
    EXPECT_EQ(refused->status, 503);
    EXPECT_EQ(refused->headers["retry-after"], "1");
    ExpectJsonError(refused->body, "overloaded");

    // A non-blocking handler runs on the I/O thread: it answers while the pool is saturated.
    ASSERT_TRUE(overflow.Send(Get("/inline")));
    auto inline_response = overflow.Read();
    ASSERT_TRUE(inline_response);
    EXPECT_EQ(inline_response->status, 200);
    EXPECT_EQ(inline_response->body, "/inline");

    gate.Open();
    auto first = running.Read();
    ASSERT_TRUE(first);
    EXPECT_EQ(first->body, "/public");
    auto second = waiting.Read();
    ASSERT_TRUE(second);
    EXPECT_EQ(second->body, "/queued");
}

// Each of these frames a request in a way some proxy may read differently; the bytes after it
// hold a second request that must never be answered.
TEST(HttpServer, TransferEncodingOtherThanExactlyChunkedIs400AndNothingAfterItIsParsed) {
    const std::vector<std::string> framings = {
        "Transfer-Encoding: gzip, chunked\r\n",
        "Transfer-Encoding: chunked, identity\r\n",
        "Transfer-Encoding: xchunked\r\n",
        "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n",
        "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n",
        "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n",
        "Content-Length: 5\r\nContent-Length: 5\r\n",
    };
    std::mutex mutex;
    std::vector<std::string> handled;
    HttpServer server(LocalOptions(), [&](HttpRequest& request) {
        std::lock_guard lock(mutex);
        handled.push_back(request.path);
        return Text(200, request.body);
    });
    std::uint16_t port = server.Start();
    for (const auto& framing : framings) {
        RawClient client(port);
        ASSERT_TRUE(client.Send("POST /first HTTP/1.1\r\nHost: test\r\n" + framing +
                                "\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: test\r\n\r\n"));
        auto response = client.Read();
        ASSERT_TRUE(response) << framing;
        EXPECT_EQ(response->status, 400) << framing;
        ExpectJsonError(response->body, "bad_request");
        EXPECT_TRUE(client.PeerClosed()) << framing;  // and no second response before the close
    }
    std::lock_guard lock(mutex);
    EXPECT_TRUE(handled.empty()) << handled.front();
}

TEST(HttpServer, ExactlyChunkedIsAccepted) {
    HttpServer server(LocalOptions(), [](HttpRequest& request) { return Text(200, request.body); });
    std::uint16_t port = server.Start();
    RawClient client(port);
    ASSERT_TRUE(
        client.Send("POST / HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: Chunked \r\n\r\n"
                    "5\r\nhello\r\n0\r\n\r\n"));
    auto response = client.Read();
    ASSERT_TRUE(response);
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->body, "hello");
}

// ---------------------------------------------------------------------------------------------
// Asynchronous handlers: run on the I/O thread, answered later from any thread

// Admits /async* to the asynchronous handler; everything else goes to the pool.
HeaderVerdict AsyncWhenAsked(HttpRequest& request) {
    HeaderVerdict verdict;
    verdict.run_async = request.path.rfind("/async", 0) == 0;
    return verdict;
}

// Replies kept by the test until it answers them from its own thread.
class HeldReplies {
public:
    void Hold(AsyncReply reply) {
        std::lock_guard lock(mutex_);
        replies_.push_back(std::move(reply));
    }
    std::size_t Count() {
        std::lock_guard lock(mutex_);
        return replies_.size();
    }
    void AnswerAll(const std::string& body) {
        std::vector<AsyncReply> replies;
        {
            std::lock_guard lock(mutex_);
            replies.swap(replies_);
        }
        for (auto& reply : replies) reply.respond(Text(200, body));
    }

private:
    std::mutex mutex_;
    std::vector<AsyncReply> replies_;
};

TEST(HttpServer, AnAsynchronousReplyFromAnotherThreadHoldsNoHandlerThreadMeanwhile) {
    HeldReplies held;
    HttpServerOptions options = LocalOptions();
    options.handler_threads = 1;
    options.handler_queue_limit = 1;
    options.on_headers = AsyncWhenAsked;
    options.async_handler = [&](HttpRequest& request, AsyncReply reply) {
        EXPECT_EQ(request.body, "payload");  // the body was read before the handler runs
        held.Hold(std::move(reply));
    };
    HttpServer server(options, [](HttpRequest& request) { return Text(200, "pool " + request.path); });
    std::uint16_t port = server.Start();

    // More requests wait for their answer than the pool has threads and queue places.
    std::vector<std::unique_ptr<RawClient>> clients;
    for (int i = 0; i < 5; ++i) {
        clients.push_back(std::make_unique<RawClient>(port));
        ASSERT_TRUE(clients.back()->Send("POST /async HTTP/1.1\r\nHost: x\r\nContent-Length: 7\r\n\r\npayload"));
    }
    ASSERT_TRUE(WaitFor([&] { return held.Count() == 5; }));
    RawClient other(port);
    ASSERT_TRUE(other.Send(Get("/plain")));
    auto plain = other.Read();
    ASSERT_TRUE(plain);
    EXPECT_EQ(plain->body, "pool /plain");
    EXPECT_EQ(server.WaitingForHandler(), 0u);

    std::thread answering([&] { held.AnswerAll("answered"); });
    answering.join();
    for (auto& client : clients) {
        auto response = client->Read();
        ASSERT_TRUE(response);
        EXPECT_EQ(response->status, 200);
        EXPECT_EQ(response->body, "answered");
        // Still in step: the connection serves the next request.
        ASSERT_TRUE(client->Send(Get("/plain")));
        auto next = client->Read();
        ASSERT_TRUE(next);
        EXPECT_EQ(next->body, "pool /plain");
    }
}

TEST(HttpServer, AnAsynchronousHandlerOffloadsBlockingWorkAndAThrowIsAJsonError) {
    HttpServerOptions options = LocalOptions();
    options.on_headers = AsyncWhenAsked;
    options.async_handler = [](HttpRequest& request, AsyncReply reply) {
        if (request.path == "/async-throw") throw Error(ErrorKind::kInvalidInput, "bad_thing", "no");
        if (request.path == "/async-offload-throw") {
            reply.offload([]() -> HttpResponse { throw std::runtime_error("boom"); });
            return;
        }
        reply.offload([path = request.path] { return Text(200, "offloaded " + path); });
    };
    HttpServer server(options, [](HttpRequest&) { return Text(200, "pool"); });
    std::uint16_t port = server.Start();
    RawClient client(port);
    ASSERT_TRUE(client.Send(Get("/async-work")));
    auto offloaded = client.Read();
    ASSERT_TRUE(offloaded);
    EXPECT_EQ(offloaded->body, "offloaded /async-work");
    ASSERT_TRUE(client.Send(Get("/async-throw")));
    auto thrown = client.Read();
    ASSERT_TRUE(thrown);
    EXPECT_EQ(thrown->status, 400);
    ExpectJsonError(thrown->body, "bad_thing");
    ASSERT_TRUE(client.Send(Get("/async-offload-throw")));
    auto offload_thrown = client.Read();
    ASSERT_TRUE(offload_thrown);
    EXPECT_EQ(offload_thrown->status, 500);
    ExpectJsonError(offload_thrown->body, "internal");
}

// Each part of a request runs with its id current (CurrentRequestId, which the log sink adds to every
// line): the header stage, a handler on the pool, one on the I/O thread, an asynchronous one and the
// work it offloads, and the observer told of the response. Nothing is current between requests.
TEST(HttpServer, EveryPartOfARequestRunsUnderItsRequestId) {
    std::mutex mutex;
    std::vector<std::string> seen;  // "stage path id"
    const auto note = [&](const std::string& stage, const std::string& path) {
        std::lock_guard lock(mutex);
        seen.push_back(stage + " " + path + " " + std::string(CurrentRequestId()));
    };
    HttpServerOptions options = LocalOptions();
    options.on_headers = [&](HttpRequest& request) {
        note("headers", request.path);
        HeaderVerdict verdict;
        verdict.run_inline = request.path == "/inline";
        verdict.run_async = request.path == "/async";
        return verdict;
    };
    options.async_handler = [&](HttpRequest& request, AsyncReply reply) {
        note("async", request.path);
        reply.offload([&, path = request.path] {
            note("offload", path);
            return Text(200, "ok");
        });
    };
    options.on_response = [&](const RequestOutcome& outcome) {
        note("response", std::string(outcome.path));
        EXPECT_EQ(CurrentRequestId(), outcome.request_id);
    };
    HttpServer server(options, [&](HttpRequest& request) {
        note("handler", request.path);
        return Text(200, "ok");
    });
    std::uint16_t port = server.Start();
    RawClient client(port);
    for (const char* path : {"/pool", "/inline", "/async"}) {
        ASSERT_TRUE(client.Send(Get(path, "X-Request-Id: id-of" + std::string(path).replace(0, 1, "-") + "\r\n")));
        auto response = client.Read();
        ASSERT_TRUE(response);
        EXPECT_EQ(response->status, 200);
    }
    ASSERT_TRUE(WaitFor([&] {
        std::lock_guard lock(mutex);
        return seen.size() == 10;
    }));
    std::lock_guard lock(mutex);
    EXPECT_EQ(seen, (std::vector<std::string>{"headers /pool id-of-pool", "handler /pool id-of-pool",
                                              "response /pool id-of-pool", "headers /inline id-of-inline",
                                              "handler /inline id-of-inline", "response /inline id-of-inline",
                                              "headers /async id-of-async", "async /async id-of-async",
                                              "offload /async id-of-async", "response /async id-of-async"}));
    EXPECT_EQ(CurrentRequestId(), "");
}

TEST(HttpServer, AReplyDroppedUnansweredIs500AndASecondAnswerIsIgnored) {
    HttpServerOptions options = LocalOptions();
    options.on_headers = AsyncWhenAsked;
    options.async_handler = [](HttpRequest& request, AsyncReply reply) {
        if (request.path == "/async-twice") {
            reply.respond(Text(200, "first"));
            reply.respond(Text(200, "second"));
        }
        // /async-drop: the reply goes out of scope unanswered.
    };
    HttpServer server(options, [](HttpRequest&) { return Text(200, "pool"); });
    std::uint16_t port = server.Start();
    RawClient client(port);
    ASSERT_TRUE(client.Send(Get("/async-drop")));
    auto dropped = client.Read();
    ASSERT_TRUE(dropped);
    EXPECT_EQ(dropped->status, 500);
    ASSERT_TRUE(client.Send(Get("/async-twice")));
    auto twice = client.Read();
    ASSERT_TRUE(twice);
    EXPECT_EQ(twice->body, "first");
    ASSERT_TRUE(client.Send(Get("/plain")));
    auto next = client.Read();
    ASSERT_TRUE(next);
    EXPECT_EQ(next->body, "pool");  // "second" was never written
}

TEST(HttpServer, StopWaitsForAnAsynchronousReplyStillOwed) {
    HeldReplies held;
    HttpServerOptions options = LocalOptions();
    options.on_headers = AsyncWhenAsked;
    options.async_handler = [&](HttpRequest&, AsyncReply reply) { held.Hold(std::move(reply)); };
    HttpServer server(options, [](HttpRequest&) { return Text(200, "pool"); });
    std::uint16_t port = server.Start();
    RawClient client(port);
    ASSERT_TRUE(client.Send(Get("/async")));
    ASSERT_TRUE(WaitFor([&] { return held.Count() == 1; }));
    std::atomic<bool> stopped{false};
    std::thread stopper([&] {
        server.Stop(0ms);  // no drain: the connection is closed, but the reply is still owed
        stopped = true;
    });
    EXPECT_TRUE(client.PeerClosed());
    EXPECT_FALSE(stopped.load());
    held.AnswerAll("late");  // as a store thread would, after its commit
    stopper.join();
    EXPECT_TRUE(stopped.load());
}

TEST(HttpServer, ConnectionCapLeavesRoomUnderTheFileLimit) {
    EXPECT_EQ(ConnectionCapWithin(10000, 1024, 200), 824u);
    EXPECT_EQ(ConnectionCapWithin(500, 1024, 200), 500u);
    EXPECT_EQ(ConnectionCapWithin(10000, 1048576, 200), 10000u);
    EXPECT_EQ(ConnectionCapWithin(10000, 100, 200), 1u);  // never zero: the server must still answer
}

TEST(HttpServer, RaisingTheFileLimitReachesTheHardLimit) {
    FileLimitGuard restore;
    rlimit limit{};
    ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &limit), 0);
    if (limit.rlim_max != RLIM_INFINITY && limit.rlim_max > 1024) {
        limit.rlim_cur = 1024;
        ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &limit), 0);
    }
    const OpenFileLimit raised = RaiseOpenFileLimit();
    ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &limit), 0);
    EXPECT_EQ(raised.soft, limit.rlim_cur);
    EXPECT_EQ(raised.hard, limit.rlim_max);
    if (limit.rlim_max != RLIM_INFINITY) {
        EXPECT_EQ(limit.rlim_cur, limit.rlim_max);
    }
    EXPECT_LE(raised.soft_before, raised.soft);
}

}  // namespace
}  // namespace notify
