#include "http/server.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <spdlog/spdlog.h>

#include "http/errors.h"

namespace notify {
namespace {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

constexpr std::uint32_t kHeaderLimit = 16 * 1024;
// After a response that closes the connection we keep reading (and discarding) for a while, so
// that unread request bytes do not make the kernel answer with a RST that destroys the response
// before the client has read it (typical after a 413 sent while the client is still uploading).
constexpr std::chrono::seconds kLingerTimeout{3};
constexpr std::size_t kLingerMaxBytes = 8 * 1024 * 1024;
constexpr std::size_t kLingerChunk = 64 * 1024;
// Stop(): how long to wait for the connections' strands to run their close after the drain.
constexpr std::chrono::seconds kCloseWait{1};
// accept() failing (EMFILE, ...) would otherwise spin the acceptor.
constexpr std::chrono::milliseconds kAcceptRetryDelay{100};
constexpr std::size_t kMaxLoggedPath = 200;
constexpr std::size_t kIdleBufferCapacity = 8 * 1024;

std::string_view Sv(beast::string_view s) { return {s.data(), s.size()}; }

std::string ToLower(std::string_view s) {
    std::string out(s);
    for (char& c : out) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    return out;
}

int HexValue(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// A '%' not followed by two hex digits is kept as it is: lenient, and nothing can be lost.
std::string PercentDecode(std::string_view in, bool plus_is_space) {
    std::string out;
    out.reserve(in.size());
    for (std::size_t i = 0; i < in.size(); ++i) {
        char c = in[i];
        if (c == '%' && i + 2 < in.size()) {
            int hi = HexValue(in[i + 1]);
            int lo = HexValue(in[i + 2]);
            if (hi >= 0 && lo >= 0) {
                out += static_cast<char>(hi * 16 + lo);
                i += 2;
                continue;
            }
        }
        out += (plus_is_space && c == '+') ? ' ' : c;
    }
    return out;
}

std::map<std::string, std::string> ParseQuery(std::string_view query) {
    std::map<std::string, std::string> out;
    while (!query.empty()) {
        std::size_t amp = query.find('&');
        std::string_view pair = query.substr(0, amp);
        query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
        if (pair.empty()) continue;
        std::size_t eq = pair.find('=');
        std::string key = PercentDecode(pair.substr(0, eq), true);
        std::string value = eq == std::string_view::npos ? std::string{} : PercentDecode(pair.substr(eq + 1), true);
        out[std::move(key)] = std::move(value);  // last value wins
    }
    return out;
}

struct SplitTarget {
    std::string_view path;
    std::string_view query;
};

SplitTarget Split(std::string_view target) {
    // absolute-form ("http://host/path?q", RFC 9112 3.2.2): keep only what follows the authority.
    if (!target.empty() && target.front() != '/') {
        std::size_t scheme = target.find("://");
        if (scheme != std::string_view::npos) {
            std::size_t slash = target.find_first_of("/?", scheme + 3);
            target = slash == std::string_view::npos ? std::string_view{"/"} : target.substr(slash);
        }
    }
    target = target.substr(0, target.find('#'));
    std::size_t question = target.find('?');
    if (question == std::string_view::npos) return {target, {}};
    return {target.substr(0, question), target.substr(question + 1)};
}

bool IsTokenChar(char c) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
    return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// Handler-supplied headers are checked so that a value can never split the response.
bool IsValidHeader(const std::string& name, const std::string& value) {
    if (name.empty() || !std::all_of(name.begin(), name.end(), IsTokenChar)) return false;
    return std::none_of(value.begin(), value.end(), [](char c) { return c == '\r' || c == '\n' || c == '\0'; });
}

std::string HostPort(const std::string& host, std::uint16_t port) {
    bool v6 = host.find(':') != std::string::npos;
    return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

bool IsHttpParseError(const beast::error_code& ec) {
    return ec.category() == beast::error_code(http::error::bad_target).category();
}

}  // namespace

struct HttpServer::Impl {
    class Session;

    Impl(HttpServerOptions options, HttpHandler handler)
        : options_(std::move(options)), handler_(std::move(handler)), ioc_(std::max(1, options_.io_threads)) {}

    std::uint16_t Start();
    void Stop(std::chrono::milliseconds drain);
    std::size_t OpenConnections() const;

    void DoAccept();
    void OnAccept(beast::error_code ec, tcp::socket socket);
    void RunIo();
    HttpResponse RunHandler(HttpRequest& request);
    void Unregister(std::uint64_t id);
    std::vector<std::shared_ptr<Session>> LiveSessionsLocked();
    void EndRequest();

    const HttpServerOptions options_;
    const HttpHandler handler_;

    // Declared before ioc_: sessions destroyed along with the io_context still unregister here.
    mutable std::mutex sessions_mutex_;
    std::condition_variable sessions_cv_;
    std::unordered_map<std::uint64_t, std::weak_ptr<Session>> sessions_;
    std::uint64_t next_session_id_ = 0;
    std::atomic<bool> draining_{false};  // set under sessions_mutex_

    std::atomic<int> in_flight_{0};  // requests read and not yet answered
    std::mutex drain_mutex_;
    std::condition_variable drain_cv_;

    net::io_context ioc_;
    tcp::acceptor acceptor_{net::make_strand(ioc_)};
    net::steady_timer accept_timer_{acceptor_.get_executor()};
    std::optional<net::executor_work_guard<net::io_context::executor_type>> work_;
    std::vector<std::thread> io_threads_;
    // Declared after ioc_: handlers still queued here hold sessions whose sockets need the io_context.
    std::optional<net::thread_pool> handler_pool_;

    std::mutex state_mutex_;
    bool started_ = false;
    bool stopped_ = false;
};

// One connection. Every member is touched only on the connection's strand (or, in Stop(), after
// the I/O threads have been joined).
class HttpServer::Impl::Session final : public std::enable_shared_from_this<Session> {
public:
    Session(tcp::socket socket, Impl& server, std::uint64_t id)
        : server_(server), id_(id), executor_(socket.get_executor()), stream_(std::move(socket)) {
        beast::error_code ec;
        auto endpoint = stream_.socket().remote_endpoint(ec);
        if (!ec) remote_address_ = endpoint.address().to_string();
    }
    ~Session() { server_.Unregister(id_); }

    const net::any_io_executor& executor() const { return executor_; }

    void Start() { net::dispatch(executor_, beast::bind_front_handler(&Session::ReadHeader, shared_from_this())); }

    // Stop() began: a connection with no request in progress has nothing left to do.
    void OnDrain() {
        if (!busy_) Close();
    }

    void Close() {
        if (closed_) return;
        closed_ = true;
        stream_.close();
        server_.Unregister(id_);
    }

private:
    void ReadHeader() {
        if (closed_) return;
        if (server_.draining_) {
            Close();
            return;
        }
        // An idle keep-alive connection should not keep a large buffer from an earlier request.
        if (buffer_.size() == 0 && buffer_.capacity() > kIdleBufferCapacity) buffer_.shrink_to_fit();
        parser_.emplace();
        parser_->body_limit(static_cast<std::uint64_t>(server_.options_.body_limit));
        parser_->header_limit(kHeaderLimit);
        stream_.expires_after(server_.options_.idle_timeout);
        http::async_read_header(stream_, buffer_, *parser_,
                                beast::bind_front_handler(&Session::OnHeader, shared_from_this()));
    }

    void OnHeader(beast::error_code ec, std::size_t) {
        if (closed_) return;
        if (ec) {
            OnReadError(ec);
            return;
        }
        if (parser_->is_done()) {
            OnRead({}, 0);
            return;
        }
        const auto& header = parser_->get();
        // Clients such as curl wait (a second) for this before sending a large body.
        if (header.version() >= 11 && beast::iequals(header[http::field::expect], "100-continue")) {
            continue_ = http::response<http::empty_body>{http::status::continue_, header.version()};
            http::async_write(stream_, continue_, beast::bind_front_handler(&Session::OnContinue, shared_from_this()));
            return;
        }
        ReadBody();
    }

    void OnContinue(beast::error_code ec, std::size_t) {
        if (closed_) return;
        if (ec) {
            Close();
            return;
        }
        ReadBody();
    }

    void ReadBody() {
        http::async_read(stream_, buffer_, *parser_, beast::bind_front_handler(&Session::OnRead, shared_from_this()));
    }

    void NoteRequestLine() {
        started_ = Clock::now();
        version_ = 11;
        log_method_ = "-";
        log_path_ = "-";
        head_ = false;
        if (!parser_ || !parser_->is_header_done()) return;
        const auto& header = parser_->get();
        version_ = header.version() == 10 ? 10 : 11;
        head_ = header.method() == http::verb::head;
        log_method_ = std::string(Sv(header.method_string()));
        // The query is left out of the log: it may carry a webhook secret.
        log_path_ = std::string(Split(Sv(header.target())).path.substr(0, kMaxLoggedPath));
    }

    void OnReadError(beast::error_code ec) {
        if (ec == http::error::body_limit) {
            RespondAndClose(ErrorResponse(413, "payload_too_large",
                                          "request body exceeds " + std::to_string(server_.options_.body_limit) +
                                              " bytes"));
        } else if (ec == http::error::header_limit) {
            RespondAndClose(ErrorResponse(431, "headers_too_large",
                                          "request header section exceeds " + std::to_string(kHeaderLimit) + " bytes"));
        } else if (IsHttpParseError(ec) && ec != http::error::end_of_stream && ec != http::error::partial_message) {
            RespondAndClose(ErrorResponse(400, "bad_request", "malformed HTTP request"));
        } else {
            // The peer closed or reset, the idle timeout fired, or Stop() closed the socket.
            Close();
        }
    }

    void RespondAndClose(HttpResponse response) {
        NoteRequestLine();
        keep_alive_ = false;
        BeginRequest();
        Write(std::move(response));
    }

    void OnRead(beast::error_code ec, std::size_t) {
        if (closed_) return;
        if (ec) {
            OnReadError(ec);
            return;
        }
        stream_.expires_never();  // the handler may take long; the idle timeout is for reading only
        NoteRequestLine();
        http::request<http::string_body> message = parser_->release();
        parser_.reset();
        keep_alive_ = message.keep_alive();

        HttpRequest request;
        request.method = std::string(Sv(message.method_string()));
        request.target = std::string(Sv(message.target()));
        SplitTarget split = Split(request.target);
        request.path = PercentDecode(split.path, false);
        request.query = ParseQuery(split.query);
        for (const auto& field : message) {
            auto [it, inserted] = request.headers.emplace(ToLower(Sv(field.name_string())), Sv(field.value()));
            if (!inserted) {  // repeated header: combined as RFC 9110 5.3 allows
                it->second += ", ";
                it->second += Sv(field.value());
            }
        }
        request.body = std::move(message.body());
        request.remote_address = remote_address_;

        BeginRequest();
        net::post(*server_.handler_pool_, [self = shared_from_this(), request = std::move(request)]() mutable {
            HttpResponse response = self->server_.RunHandler(request);
            net::post(self->executor_, [self, response = std::move(response)]() mutable {
                self->Write(std::move(response));
            });
        });
    }

    void BeginRequest() {
        busy_ = true;
        ++server_.in_flight_;
    }

    void FinishRequest() {
        busy_ = false;
        server_.EndRequest();
    }

    void Write(HttpResponse response) {
        if (closed_) {
            FinishRequest();
            return;
        }
        if (response.status < 200 || response.status > 599) {
            spdlog::error("handler returned invalid HTTP status {}", response.status);
            response = ErrorResponse(500, "internal", "internal error");
        }
        bool keep_alive = keep_alive_ && !server_.draining_;

        response_ = {};
        response_.version(version_);
        response_.result(static_cast<unsigned>(response.status));
        response_.set(http::field::server, "notifyd");
        if (!response.content_type.empty()) response_.set(http::field::content_type, response.content_type);
        response_.set("X-Content-Type-Options", "nosniff");
        for (const auto& [name, value] : response.headers) {
            if (!IsValidHeader(name, value)) {
                spdlog::warn("dropping an invalid response header from {} {}", log_method_, log_path_);
                continue;
            }
            std::string lower = ToLower(name);
            if (lower == "content-length" || lower == "transfer-encoding") continue;  // framing is ours
            if (lower == "connection") {
                if (ToLower(value).find("close") != std::string::npos) keep_alive = false;
                continue;
            }
            if (lower == "content-type" || lower == "server" || lower == "x-content-type-options") {
                response_.set(name, value);
            } else {
                response_.insert(name, value);
            }
        }
        if (response.status != 204 && response.status != 304) {  // these carry neither body nor length
            response_.content_length(response.body.size());
            // HEAD: the length of what GET would send, and no body.
            if (!head_) response_.body() = std::move(response.body);
        }
        response_.keep_alive(keep_alive);

        stream_.expires_after(server_.options_.idle_timeout);  // a client that never reads cannot pin us
        http::async_write(stream_, response_, beast::bind_front_handler(&Session::OnWrite, shared_from_this()));
    }

    void OnWrite(beast::error_code ec, std::size_t) {
        double ms = std::chrono::duration<double, std::milli>(Clock::now() - started_).count();
        spdlog::debug("{} {} {} {:.1f}ms", log_method_, log_path_, response_.result_int(), ms);
        bool keep_alive = response_.keep_alive();
        response_ = {};
        FinishRequest();
        if (closed_) return;
        if (ec) {
            Close();
            return;
        }
        if (!keep_alive || server_.draining_) {
            GracefulClose();
            return;
        }
        ReadHeader();
    }

    void GracefulClose() {
        beast::error_code ec;
        stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
        if (ec) {
            Close();
            return;
        }
        lingered_ = 0;
        buffer_.clear();
        stream_.expires_after(std::min<Clock::duration>(kLingerTimeout, server_.options_.idle_timeout));
        Linger();
    }

    void Linger() {
        stream_.async_read_some(buffer_.prepare(kLingerChunk),
                                beast::bind_front_handler(&Session::OnLinger, shared_from_this()));
    }

    void OnLinger(beast::error_code ec, std::size_t bytes) {
        if (closed_) return;
        lingered_ += bytes;
        if (ec || lingered_ >= kLingerMaxBytes) {
            Close();
            return;
        }
        Linger();
    }

    Impl& server_;
    const std::uint64_t id_;
    const net::any_io_executor executor_;  // the connection's strand
    beast::tcp_stream stream_;
    beast::flat_buffer buffer_;
    std::optional<http::request_parser<http::string_body>> parser_;
    http::response<http::empty_body> continue_;
    http::response<http::string_body> response_;
    std::string remote_address_;

    // The request in progress.
    Clock::time_point started_;
    std::string log_method_;
    std::string log_path_;
    unsigned version_ = 11;
    bool keep_alive_ = false;
    bool head_ = false;

    bool busy_ = false;  // a request is being handled or its response written
    bool closed_ = false;
    std::size_t lingered_ = 0;
};

std::uint16_t HttpServer::Impl::Start() {
    std::lock_guard state_lock(state_mutex_);
    if (started_ || stopped_) throw std::logic_error("HttpServer::Start may be called only once");

    auto fail = [&](const std::string& reason) -> std::runtime_error {
        beast::error_code ignored;
        acceptor_.close(ignored);
        return std::runtime_error("cannot listen on " + HostPort(options_.host, options_.port) + ": " + reason);
    };
    beast::error_code ec;
    tcp::endpoint endpoint;
    net::ip::address address = net::ip::make_address(options_.host, ec);
    if (!ec) {
        endpoint = tcp::endpoint(address, options_.port);
    } else {
        // Not numeric ("localhost"): what the resolver gives first.
        tcp::resolver resolver(ioc_);
        auto results = resolver.resolve(options_.host, std::to_string(options_.port), tcp::resolver::passive, ec);
        if (ec || results.empty()) throw fail("cannot resolve host: " + (ec ? ec.message() : "no address"));
        endpoint = results.begin()->endpoint();
    }
    acceptor_.open(endpoint.protocol(), ec);
    if (ec) throw fail(ec.message());
    acceptor_.set_option(net::socket_base::reuse_address(true), ec);
    if (ec) throw fail(ec.message());
    acceptor_.bind(endpoint, ec);
    if (ec) throw fail(ec.message());
    acceptor_.listen(net::socket_base::max_listen_connections, ec);
    if (ec) throw fail(ec.message());
    std::uint16_t port = acceptor_.local_endpoint(ec).port();
    if (ec) throw fail(ec.message());

    handler_pool_.emplace(static_cast<std::size_t>(std::max(1, options_.handler_threads)));
    work_.emplace(ioc_.get_executor());
    net::post(acceptor_.get_executor(), [this] { DoAccept(); });
    for (int i = 0; i < std::max(1, options_.io_threads); ++i) io_threads_.emplace_back([this] { RunIo(); });
    started_ = true;
    spdlog::info("listening on http://{}", HostPort(options_.host, port));
    return port;
}

void HttpServer::Impl::RunIo() {
    for (;;) {
        try {
            ioc_.run();
            return;
        } catch (const std::exception& e) {
            spdlog::error("unexpected exception on an HTTP I/O thread: {}", e.what());
        }
    }
}

void HttpServer::Impl::DoAccept() {
    acceptor_.async_accept(net::make_strand(ioc_),
                           [this](beast::error_code ec, tcp::socket socket) { OnAccept(ec, std::move(socket)); });
}

void HttpServer::Impl::OnAccept(beast::error_code ec, tcp::socket socket) {
    if (!acceptor_.is_open()) return;
    if (ec) {
        if (ec == net::error::operation_aborted) return;
        spdlog::warn("accepting an HTTP connection failed: {}", ec.message());
        accept_timer_.expires_after(kAcceptRetryDelay);
        accept_timer_.async_wait([this](beast::error_code wait_ec) {
            if (!wait_ec && acceptor_.is_open()) DoAccept();
        });
        return;
    }
    beast::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);  // responses go out in one write; don't hold them back
    std::shared_ptr<Session> session;
    {
        std::lock_guard lock(sessions_mutex_);
        if (draining_) return;  // the socket closes as it goes out of scope
        std::uint64_t id = next_session_id_++;
        session = std::make_shared<Session>(std::move(socket), *this, id);
        sessions_.emplace(id, session);
    }
    session->Start();
    DoAccept();
}

HttpResponse HttpServer::Impl::RunHandler(HttpRequest& request) {
    try {
        return handler_(request);
    } catch (...) {
        return ResponseForException(std::current_exception());
    }
}

void HttpServer::Impl::Unregister(std::uint64_t id) {
    std::lock_guard lock(sessions_mutex_);
    if (sessions_.erase(id) > 0 && sessions_.empty() && draining_) sessions_cv_.notify_all();
}

std::vector<std::shared_ptr<HttpServer::Impl::Session>> HttpServer::Impl::LiveSessionsLocked() {
    std::vector<std::shared_ptr<Session>> live;
    live.reserve(sessions_.size());
    for (auto& [id, weak] : sessions_) {
        if (auto session = weak.lock()) live.push_back(std::move(session));
    }
    return live;
}

void HttpServer::Impl::EndRequest() {
    if (--in_flight_ == 0 && draining_) {
        std::lock_guard lock(drain_mutex_);
        drain_cv_.notify_all();
    }
}

std::size_t HttpServer::Impl::OpenConnections() const {
    std::lock_guard lock(sessions_mutex_);
    return sessions_.size();
}

void HttpServer::Impl::Stop(std::chrono::milliseconds drain) {
    {
        std::lock_guard state_lock(state_mutex_);
        if (!started_ || stopped_) return;
        // Joining the handler pool from one of its own threads would never return.
        if (handler_pool_->get_executor().running_in_this_thread()) {
            throw std::logic_error("HttpServer::Stop must not be called from a request handler");
        }
        stopped_ = true;
    }
    auto deadline = Clock::now() + drain;

    // 1. No new connections; idle ones are closed; busy ones close after their response.
    std::vector<std::shared_ptr<Session>> live;
    {
        std::lock_guard lock(sessions_mutex_);
        draining_ = true;
        live = LiveSessionsLocked();
    }
    net::post(acceptor_.get_executor(), [this] {
        beast::error_code ignored;
        acceptor_.close(ignored);
        accept_timer_.cancel();
    });
    for (auto& session : live) net::post(session->executor(), [session] { session->OnDrain(); });
    live.clear();

    // 2. Requests in progress get until the deadline to be answered.
    bool drained;
    {
        std::unique_lock lock(drain_mutex_);
        drained = drain_cv_.wait_until(lock, deadline, [this] { return in_flight_.load() == 0; });
    }
    if (!drained) {
        spdlog::warn("HTTP server stopping with {} request(s) still in progress after the {}ms drain",
                     in_flight_.load(), drain.count());
    }

    // 3. Everything still open is closed.
    {
        std::lock_guard lock(sessions_mutex_);
        live = LiveSessionsLocked();
    }
    for (auto& session : live) net::post(session->executor(), [session] { session->Close(); });
    live.clear();
    {
        std::unique_lock lock(sessions_mutex_);
        sessions_cv_.wait_for(lock, kCloseWait, [this] { return sessions_.empty(); });
    }

    // 4. Threads. Handlers still running cannot be interrupted: join() waits for them; queued
    // ones whose connection is gone are dropped by stop().
    work_.reset();
    ioc_.stop();
    for (auto& thread : io_threads_) thread.join();
    io_threads_.clear();
    handler_pool_->stop();
    handler_pool_->join();

    // No I/O thread runs any more, so whatever is left can be closed from here.
    {
        std::lock_guard lock(sessions_mutex_);
        live = LiveSessionsLocked();
    }
    for (auto& session : live) session->Close();
    live.clear();
    spdlog::info("HTTP server stopped");
}

HttpServer::HttpServer(HttpServerOptions options, HttpHandler handler)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(handler))) {}

HttpServer::~HttpServer() { impl_->Stop(std::chrono::milliseconds(0)); }

std::uint16_t HttpServer::Start() { return impl_->Start(); }

void HttpServer::Stop(std::chrono::milliseconds drain) { impl_->Stop(drain); }

std::size_t HttpServer::OpenConnections() const { return impl_->OpenConnections(); }

}  // namespace notify
