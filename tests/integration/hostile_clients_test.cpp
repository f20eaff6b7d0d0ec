// Hostile and careless clients against the real binary: a flood of idle and slow connections
// must not keep /health or an authenticated send from being answered.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "harness.h"

namespace notify::testing {
namespace {

using namespace std::chrono_literals;

constexpr int kFloodConnections = 3000;
constexpr int kMaxConnections = 400;
constexpr rlim_t kSystemdSoftLimit = 1024;

// The flood's sockets, closed when the test ends however it ends.
class Flood {
public:
    ~Flood() {
        for (int fd : fds_) ::close(fd);
    }
    // A connected socket (the kernel completes the handshake whether or not the server accepts),
    // or -1.
    int Open(int port) {
        const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        if (fd < 0) return -1;
        fds_.push_back(fd);
        timeval timeout{2, 0};
        ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(static_cast<std::uint16_t>(port));
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) return -1;
        return fd;
    }
    static bool Send(int fd, const std::string& bytes) {
        return ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(bytes.size());
    }
    std::size_t size() const { return fds_.size(); }

private:
    std::vector<int> fds_;
};

int PortOf(const std::string& base_url) { return std::stoi(base_url.substr(base_url.rfind(':') + 1)); }

TEST(HostileClients, HealthAndSendsAnswerThroughAFloodOfIdleAndSlowConnections) {
    // The flood needs more descriptors than the usual soft limit in this process too.
    rlimit own{};
    ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &own), 0);
    const rlim_t needed = kFloodConnections + 512;
    if (own.rlim_max != RLIM_INFINITY && own.rlim_max < needed) {
        GTEST_SKIP() << "the hard open-file limit (" << own.rlim_max << ") is below " << needed;
    }
    if (own.rlim_cur != RLIM_INFINITY && own.rlim_cur < needed) {
        own.rlim_cur = needed;
        ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &own), 0);
    }

    // LOG_LEVEL debug (the harness's default) logs each eviction, to show the flood reached the cap.
    Notifyd service({{"MAX_CONNECTIONS", std::to_string(kMaxConnections)}});
    service.SetSoftOpenFileLimit(kSystemdSoftLimit);
    service.Migrate();
    service.Start();
    // serve raised its own soft limit; the log says from what.
    const auto raised = WaitForLogLine(service.dir() / "notifyd.log", "open file limit: soft ", 5s);
    ASSERT_TRUE(raised);
    EXPECT_NE(raised->find("(was 1024)"), std::string::npos) << *raised;
    EXPECT_EQ(raised->rfind("1024 ", 0), std::string::npos) << "still 1024: " << *raised;

    const int port = PortOf(service.base_url());
    const std::string host = "Host: 127.0.0.1\r\n";
    Flood flood;
    int opened = 0;
    for (int i = 0; i < kFloodConnections; ++i) {
        const int fd = flood.Open(port);
        if (fd < 0) continue;  // refused under the flood: that is the server protecting itself
        ++opened;
        switch (i % 3) {
            case 0:  // idle: connected, nothing sent
                break;
            case 1:  // a header section trickled and never finished
                Flood::Send(fd, "GET /api/notifications/health HTTP/1.1\r\n" + host + "X-Slow: ");
                break;
            case 2:  // a body promised and never sent, without a token: refused before any body is read
                Flood::Send(fd, "POST /api/notifications/send-message HTTP/1.1\r\n" + host +
                                    "Content-Type: application/json\r\nContent-Length: 4096\r\n\r\n{");
                break;
        }
    }
    EXPECT_GT(opened, kFloodConnections / 2) << "the flood itself could not connect";

    // While the flood is held open. The bounds are generous; they are not a speed measurement (under
    // ThreadSanitizer on a loaded 2-core machine a call took more than 5 s; alone it takes milliseconds).
    constexpr int kCallTimeoutMs = 15000;
    for (int round = 0; round < 3; ++round) {
        const auto health = HttpCall("GET", service.api("/health"), "", {}, kCallTimeoutMs);
        EXPECT_EQ(health.status, 200) << "round " << round << ": " << health.body;
        const auto send =
            HttpCall("POST", service.api("/send-message"), DeliveryReminder().dump(),
                     {"Content-Type: application/json", std::string("Authorization: Bearer ") + Notifyd::kAdminToken},
                     kCallTimeoutMs);
        EXPECT_TRUE(send.status == 200 || send.status == 202)
            << "round " << round << ": " << send.status << " " << send.body;
    }
    const std::string log = service.Log();
    EXPECT_NE(log.find("connection cap reached: closing the connection idle longest"), std::string::npos);
    EXPECT_EQ(log.find("Too many open files"), std::string::npos);
    EXPECT_EQ(log.find("out of file descriptors"), std::string::npos);
    EXPECT_EQ(service.Stop(), 0);
}

// Sends `bytes` on a new connection and returns everything the server sends until it closes
// (or 10 s pass, which fails the caller's expectations).
std::string Exchange(int port, const std::string& bytes) {
    Flood connection;
    const int fd = connection.Open(port);
    if (fd < 0 || !Flood::Send(fd, bytes)) return "(could not send)";
    timeval timeout{10, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    std::string received;
    char buffer[4096];
    for (;;) {
        const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
        if (n <= 0) return n == 0 ? received : received + "(no close)";
        received.append(buffer, static_cast<std::size_t>(n));
    }
}

int CountResponses(const std::string& received) {
    int count = 0;
    for (std::size_t at = received.find("HTTP/1.1 "); at != std::string::npos;
         at = received.find("HTTP/1.1 ", at + 1)) {
        ++count;
    }
    return count;
}

TEST(HostileClients, RefusedCallersGetTheirAnswerBeforeAnyBodyAndAreClosed) {
    Notifyd service(std::map<std::string, std::string>{
        {"BODY_TIMEOUT_MS", "60000"}});  // an answer now cannot come from the body deadline
    service.Migrate();
    const std::string viewer = service.CreateToken("viewer", "dashboard");
    service.Start();
    const int port = PortOf(service.base_url());
    const std::string promised = "Content-Type: application/json\r\nContent-Length: 5000\r\n\r\n{";
    struct Case {
        std::string request;
        std::string status_line;
        std::string code;
    };
    const std::vector<Case> cases = {
        {"POST /api/notifications/send-message HTTP/1.1\r\nHost: x\r\n" + promised, "HTTP/1.1 401", "unauthorized"},
        {"POST /api/notifications/send-message HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + viewer + "\r\n" +
             promised,
         "HTTP/1.1 403", "forbidden"},
        {"POST /api/notifications/webhooks/myoperator HTTP/1.1\r\nHost: x\r\nX-Webhook-Secret: wrong\r\n" + promised,
         "HTTP/1.1 401", "unauthorized"},
        {"POST /api/notifications/nowhere HTTP/1.1\r\nHost: x\r\n" + promised, "HTTP/1.1 404", "not_found"},
        {"GET /api/notifications/health HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n{", "HTTP/1.1 400",
         "bad_request"},
    };
    for (const auto& c : cases) {
        const std::string received = Exchange(port, c.request);
        EXPECT_EQ(received.rfind(c.status_line, 0), 0u) << c.request << "\n---\n" << received;
        EXPECT_NE(received.find("\"code\":\"" + c.code + "\""), std::string::npos) << received;
        EXPECT_EQ(CountResponses(received), 1) << received;
    }
    EXPECT_EQ(service.Get("/statistics").Json()["total"], 0);
}

TEST(HostileClients, SmuggledRequestAfterABadTransferEncodingIsNeverAnswered) {
    Notifyd service;
    service.Migrate();
    service.Start();
    const int port = PortOf(service.base_url());
    for (const std::string framing :
         {"Transfer-Encoding: gzip, chunked\r\n", "Transfer-Encoding: chunked, identity\r\n",
          "Transfer-Encoding: chunked\r\nContent-Length: 5\r\n"}) {
        const std::string received =
            Exchange(port, "POST /api/notifications/webhooks/myoperator HTTP/1.1\r\nHost: x\r\nX-Webhook-Secret: " +
                               std::string(Notifyd::kWebhookSecret) + "\r\n" + framing +
                               "\r\n0\r\n\r\nGET /api/notifications/health HTTP/1.1\r\nHost: x\r\n\r\n");
        EXPECT_EQ(received.rfind("HTTP/1.1 400", 0), 0u) << framing << "\n---\n" << received;
        EXPECT_NE(received.find("\"code\":\"bad_request\""), std::string::npos) << received;
        EXPECT_EQ(CountResponses(received), 1) << framing << "\n---\n" << received;
    }
}

}  // namespace
}  // namespace notify::testing
