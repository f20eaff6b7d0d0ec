#include "http/server.h"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
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
#include <cerrno>
#include <condition_variable>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/log_context.h"
#include "common/strings.h"
#include "http/errors.h"
#include "http/request_id.h"

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
// Warnings a flood can repeat for every connection are written at most this often.
constexpr std::chrono::seconds kWarningInterval{10};
constexpr std::size_t kMaxLoggedPath = 200;
constexpr std::size_t kIdleBufferCapacity = 8 * 1024;
// The first read of a request, made under the idle timeout; its bytes begin the header section.
constexpr std::size_t kFirstReadSize = 4 * 1024;

std::string_view Sv(beast::string_view s) { return {s.data(), s.size()}; }

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

// Whether a connection may be closed to admit a newcomer at the cap, shared between the
// connection's strand and the acceptor. idle_since is a steady-clock count while the connection
// waits for a request or its header section, kLingering while it drains a closed request's unread
// bytes, kBusy while a request is read, handled or answered, and kEvicting once the acceptor has
// chosen it.
struct ConnectionMark {
    static constexpr std::int64_t kBusy = 0;
    static constexpr std::int64_t kEvicting = -1;
    static constexpr std::int64_t kLingering = 1;  // idle since the beginning of time: evicted first
    std::atomic<std::int64_t> idle_since{kBusy};

    // False when the connection was already chosen for eviction.
    bool Set(std::int64_t value) {
        std::int64_t current = idle_since.load();
        while (current != kEvicting) {
            if (idle_since.compare_exchange_weak(current, value)) return true;
        }
        return false;
    }
};

std::int64_t IdleStamp() {
    // Never kBusy, kEvicting or kLingering: the steady clock of a running system is past its epoch.
    return std::max<std::int64_t>(2, Clock::now().time_since_epoch().count());
}

HttpResponse Overloaded(const std::string& message) {
    HttpResponse response = ErrorResponse(503, "overloaded", message);
    response.headers.emplace_back("Retry-After", "1");
    return response;
}

// RFC 9112 6.1 and 6.3: the only transfer coding a request may carry here is exactly "chunked",
// once, and never together with Content-Length. Anything else is how requests are smuggled past
// a proxy that reads the framing differently.
bool HasAmbiguousFraming(const http::request_parser<http::string_body>::value_type& header) {
    std::size_t transfer_encodings = 0;
    std::size_t content_lengths = 0;
    bool chunked_exactly = false;
    for (const auto& field : header) {
        if (field.name() == http::field::transfer_encoding) {
            ++transfer_encodings;
            std::string_view value = Sv(field.value());
            while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
            while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
            chunked_exactly = beast::iequals(beast::string_view(value.data(), value.size()), "chunked");
        } else if (field.name() == http::field::content_length) {
            ++content_lengths;
        }
    }
    if (transfer_encodings == 0) return content_lengths > 1;
    return transfer_encodings > 1 || !chunked_exactly || content_lengths > 0;
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
    bool OnTooManyOpenFiles();
    void Refuse(tcp::socket& socket);
    bool ClaimOldestIdleLocked(std::shared_ptr<Session>& victim);
    void RunIo();
    HttpResponse RunHandler(HttpRequest& request);
    bool TryQueueHandler();
    bool HandlerQueueFull() const {
        return handler_queue_.load() >= std::max<std::size_t>(1, options_.handler_queue_limit);
    }
    void Unregister(std::uint64_t id);
    std::vector<std::shared_ptr<Session>> LiveSessionsLocked();
    void EndRequest();
    void ReplyDone();
    void WarnThrottled(const std::string& message);

    const HttpServerOptions options_;
    const HttpHandler handler_;

    struct SessionEntry {
        std::weak_ptr<Session> session;
        std::shared_ptr<ConnectionMark> mark;
    };

    // Declared before ioc_: sessions destroyed along with the io_context still unregister here.
    mutable std::mutex sessions_mutex_;
    std::condition_variable sessions_cv_;
    std::unordered_map<std::uint64_t, SessionEntry> sessions_;
    std::size_t pending_evictions_ = 0;  // chosen for eviction and not yet unregistered
    std::uint64_t next_session_id_ = 0;
    std::atomic<bool> draining_{false};  // set under sessions_mutex_

    std::atomic<int> in_flight_{0};  // requests read and not yet answered
    std::mutex drain_mutex_;
    std::condition_variable drain_cv_;
    std::atomic<std::size_t> handler_queue_{0};  // requests posted to the pool and not yet started
    std::mutex replies_mutex_;
    std::condition_variable replies_cv_;
    std::atomic<std::size_t> replies_pending_{0};  // asynchronous requests not yet answered

    std::mutex warn_mutex_;
    Clock::time_point last_warning_{};
    std::size_t warnings_suppressed_ = 0;

    net::io_context ioc_;
    tcp::acceptor acceptor_{net::make_strand(ioc_)};
    net::steady_timer accept_timer_{acceptor_.get_executor()};
    // Held open so that, when accept() fails for want of descriptors, one can be freed to take the
    // pending connection off the queue and close it instead of leaving it there and spinning.
    int spare_fd_ = -1;
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
    Session(tcp::socket socket, Impl& server, std::uint64_t id, std::shared_ptr<ConnectionMark> mark)
        : server_(server),
          id_(id),
          mark_(std::move(mark)),
          executor_(socket.get_executor()),
          stream_(std::move(socket)),
          deadline_(executor_) {
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
        deadline_.cancel();
        stream_.close();
        server_.Unregister(id_);
    }

private:
    enum class ReadPhase { kIdle, kHeader, kBody };

    // Reads have their own deadline rather than the stream's: the stream closes the socket when
    // its timer fires, which would leave no way to answer 408.
    void ArmDeadline(std::chrono::milliseconds timeout, ReadPhase phase) {
        stream_.expires_never();
        phase_ = phase;
        timed_out_ = false;
        deadline_.expires_after(timeout);
        deadline_.async_wait([self = shared_from_this(), generation = ++deadline_generation_](beast::error_code ec) {
            if (ec || self->closed_ || generation != self->deadline_generation_) return;
            self->timed_out_ = true;
            beast::error_code ignored;
            self->stream_.socket().cancel(ignored);
        });
    }

    void DisarmDeadline() {
        ++deadline_generation_;
        deadline_.cancel();
    }

    void ReadHeader() {
        if (closed_) return;
        if (server_.draining_ || !mark_->Set(IdleStamp())) {
            Close();
            return;
        }
        // An idle keep-alive connection should not keep a large buffer from an earlier request.
        if (buffer_.size() == 0 && buffer_.capacity() > kIdleBufferCapacity) buffer_.shrink_to_fit();
        parser_.emplace();
        parser_->body_limit(static_cast<std::uint64_t>(server_.options_.body_limit));
        parser_->header_limit(kHeaderLimit);
        if (buffer_.size() > 0) {  // a pipelined request has begun already
            ReadHeaderSection();
            return;
        }
        // Wait for the first byte under the idle timeout; the header deadline starts with it.
        ArmDeadline(server_.options_.idle_timeout, ReadPhase::kIdle);
        stream_.async_read_some(buffer_.prepare(kFirstReadSize),
                                beast::bind_front_handler(&Session::OnFirstBytes, shared_from_this()));
    }

    void OnFirstBytes(beast::error_code ec, std::size_t bytes) {
        if (closed_) return;
        DisarmDeadline();
        if (ec) {
            OnReadError(ec);
            return;
        }
        buffer_.commit(bytes);
        ReadHeaderSection();
    }

    void ReadHeaderSection() {
        ArmDeadline(server_.options_.header_timeout, ReadPhase::kHeader);
        http::async_read_header(stream_, buffer_, *parser_,
                                beast::bind_front_handler(&Session::OnHeader, shared_from_this()));
    }

    void OnHeader(beast::error_code ec, std::size_t) {
        if (closed_) return;
        DisarmDeadline();
        if (ec) {
            OnReadError(ec);
            return;
        }
        if (!mark_->Set(ConnectionMark::kBusy)) {  // chosen to make room for a newer connection
            Close();
            return;
        }
        NoteRequestLine();
        // Every line logged while this request is handled carries its id: here, and (through the
        // scopes below and the copies taken by work handed to other threads) wherever it goes next.
        const RequestIdScope scope(request_id_);
        const auto& header = parser_->get();
        if (HasAmbiguousFraming(header)) {
            RespondAndClose(ErrorResponse(
                400, "bad_request", "Transfer-Encoding must be exactly \"chunked\", once, without Content-Length"));
            return;
        }
        keep_alive_ = header.keep_alive();
        request_ = RequestFromHeader(header);
        const bool body_follows = !parser_->is_done();

        HeaderVerdict verdict;
        if (server_.options_.on_headers) {
            try {
                verdict = server_.options_.on_headers(request_);
            } catch (...) {
                verdict.reject = ResponseForException(std::current_exception());
            }
        }
        matched_route_ = request_.matched_route;
        run_inline_ = verdict.run_inline;
        run_async_ = verdict.run_async && server_.options_.async_handler;
        if (!verdict.reject && !run_inline_ && !run_async_ && server_.HandlerQueueFull()) {
            verdict.reject = Overloaded("too many requests are waiting for a handler; retry shortly");
        }
        if (verdict.reject) {
            // Without a body the connection is still in step and may serve the next request;
            // with one it is closed, for its bytes are never read.
            if (body_follows) {
                RespondAndClose(std::move(*verdict.reject));
            } else {
                Respond(std::move(*verdict.reject));
            }
            return;
        }
        if (!body_follows) {
            Dispatch();
            return;
        }
        // Clients such as curl wait (a second) for this before sending a large body.
        if (header.version() >= 11 && beast::iequals(header[http::field::expect], "100-continue")) {
            continue_ = http::response<http::empty_body>{http::status::continue_, header.version()};
            stream_.expires_after(server_.options_.idle_timeout);
            http::async_write(stream_, continue_, beast::bind_front_handler(&Session::OnContinue, shared_from_this()));
            return;
        }
        ReadBody();
    }

    HttpRequest RequestFromHeader(const http::request_parser<http::string_body>::value_type& header) const {
        HttpRequest request;
        request.method = std::string(Sv(header.method_string()));
        request.target = std::string(Sv(header.target()));
        SplitTarget split = Split(request.target);
        request.path = PercentDecode(split.path, false);
        request.query = ParseQuery(split.query);
        for (const auto& field : header) {
            auto [it, inserted] = request.headers.emplace(AsciiLower(Sv(field.name_string())), Sv(field.value()));
            if (!inserted) {  // repeated header: combined as RFC 9110 5.3 allows
                it->second += ", ";
                it->second += Sv(field.value());
            }
        }
        request.remote_address = remote_address_;
        return request;
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
        ArmDeadline(server_.options_.body_timeout, ReadPhase::kBody);
        http::async_read(stream_, buffer_, *parser_, beast::bind_front_handler(&Session::OnBody, shared_from_this()));
    }

    void OnBody(beast::error_code ec, std::size_t) {
        if (closed_) return;
        DisarmDeadline();
        if (ec) {
            OnReadError(ec);
            return;
        }
        const RequestIdScope scope(request_id_);
        Dispatch();
    }

    void NoteRequestLine() {
        started_ = Clock::now();
        matched_route_.reset();
        version_ = 11;
        log_method_ = "-";
        log_path_ = "-";
        head_ = false;
        if (!parser_ || !parser_->is_header_done()) {
            AssignNewRequestId(request_id_);
            return;
        }
        const auto& header = parser_->get();
        AssignRequestId(request_id_, Sv(header["X-Request-Id"]));
        version_ = header.version() == 10 ? 10 : 11;
        head_ = header.method() == http::verb::head;
        log_method_ = std::string(Sv(header.method_string()));
        // The query is left out of the log: it may carry a webhook secret.
        log_path_ = std::string(Split(Sv(header.target())).path.substr(0, kMaxLoggedPath));
    }

    void OnReadError(beast::error_code ec) {
        if (timed_out_) {
            if (phase_ == ReadPhase::kIdle) {
                Close();  // nothing of a request arrived: nobody waits for an answer
            } else {
                RespondAndClose(ErrorResponse(408, "request_timeout",
                                              phase_ == ReadPhase::kHeader
                                                  ? "the request header section did not arrive in time"
                                                  : "the request body did not arrive in time"));
            }
        } else if (ec == http::error::body_limit) {
            RespondAndClose(
                ErrorResponse(413, "payload_too_large",
                              "request body exceeds " + std::to_string(server_.options_.body_limit) + " bytes"));
        } else if (ec == http::error::header_limit) {
            RespondAndClose(ErrorResponse(431, "headers_too_large",
                                          "request header section exceeds " + std::to_string(kHeaderLimit) + " bytes"));
        } else if (IsHttpParseError(ec) && ec != http::error::end_of_stream && ec != http::error::partial_message) {
            RespondAndClose(ErrorResponse(400, "bad_request", "malformed HTTP request"));
        } else {
            // The peer closed or reset, or Stop() or an eviction closed the socket.
            Close();
        }
    }

    // The request is answered now, whatever it asked; the connection closes after the response.
    void RespondAndClose(HttpResponse response) {
        keep_alive_ = false;
        Respond(std::move(response));
    }

    void Respond(HttpResponse response) {
        if (!mark_->Set(ConnectionMark::kBusy)) {
            Close();
            return;
        }
        if (!parser_ || !parser_->is_header_done()) NoteRequestLine();
        const RequestIdScope scope(request_id_);
        parser_.reset();
        BeginRequest();
        Write(std::move(response));
    }

    void Dispatch() {
        request_.body = std::move(parser_->release().body());
        parser_.reset();
        BeginRequest();
        if (run_inline_) {
            Write(server_.RunHandler(request_));
            return;
        }
        if (run_async_) {
            RunAsync();
            return;
        }
        if (!server_.TryQueueHandler()) {
            Write(Overloaded("too many requests are waiting for a handler; retry shortly"));
            return;
        }
        net::post(*server_.handler_pool_,
                  [self = shared_from_this(), request = std::move(request_), request_id = request_id_]() mutable {
                      --self->server_.handler_queue_;
                      const RequestIdScope scope(request_id);
                      HttpResponse response = self->server_.RunHandler(request);
                      net::post(self->executor_,
                                [self, response = std::move(response)]() mutable { self->Write(std::move(response)); });
                  });
    }

    // The asynchronous handler runs here, on the I/O thread; its reply may come from any thread
    // and is written on this connection's strand.
    void RunAsync() {
        auto state = std::make_shared<PendingReply>(shared_from_this());
        AsyncReply reply;
        reply.respond = [state](HttpResponse response) { state->Send(std::move(response)); };
        reply.offload = [state, request_id = request_id_](std::function<HttpResponse()> work) {
            Impl& server = state->session->server_;
            if (!server.TryQueueHandler()) {
                state->Send(Overloaded("too many requests are waiting for a handler; retry shortly"));
                return;
            }
            net::post(*server.handler_pool_, [state, &server, request_id, work = std::move(work)] {
                --server.handler_queue_;
                const RequestIdScope scope(request_id);
                HttpResponse response;
                try {
                    response = work();
                } catch (...) {
                    response = ResponseForException(std::current_exception());
                }
                state->Send(std::move(response));
            });
        };
        try {
            server_.options_.async_handler(request_, std::move(reply));
        } catch (...) {
            state->Send(ResponseForException(std::current_exception()));
        }
    }

    // An asynchronous request not yet answered: Send() posts the response to the connection once;
    // destroyed unanswered (a handler that lost its reply, or work dropped at shutdown), it answers
    // 500. Counted, so that Stop() waits for every reply before the io_context goes.
    struct PendingReply {
        explicit PendingReply(std::shared_ptr<Session> owner) : session(std::move(owner)) {
            ++session->server_.replies_pending_;
        }
        ~PendingReply() {
            if (!sent.load()) {
                spdlog::error("an asynchronous handler dropped its reply without answering");
                Send(ErrorResponse(500, "internal", "internal error"));
            }
        }
        PendingReply(const PendingReply&) = delete;
        PendingReply& operator=(const PendingReply&) = delete;

        // The session goes with the posted write: whatever thread drops this object later (a store
        // thread, after Stop() returned) must not be the one that destroys the session.
        void Send(HttpResponse response) {
            if (sent.exchange(true)) return;
            std::shared_ptr<Session> owner = std::move(session);
            Impl& server = owner->server_;
            const net::any_io_executor executor = owner->executor_;
            net::post(executor, [owner = std::move(owner), response = std::move(response)]() mutable {
                owner->Write(std::move(response));
            });
            server.ReplyDone();
        }

        std::shared_ptr<Session> session;
        std::atomic<bool> sent{false};
    };

    void BeginRequest() {
        busy_ = true;
        ++server_.in_flight_;
    }

    void FinishRequest() {
        busy_ = false;
        server_.EndRequest();
    }

    void Write(HttpResponse response) {
        const RequestIdScope scope(request_id_);
        request_ = {};
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
        response_.set("X-Request-Id", request_id_);
        for (const auto& [name, value] : response.headers) {
            if (!IsValidHeader(name, value)) {
                spdlog::warn("dropping an invalid response header from {} {}", log_method_, log_path_);
                continue;
            }
            std::string lower = AsciiLower(name);
            if (lower == "content-length" || lower == "transfer-encoding") continue;  // framing is ours
            if (lower == "connection") {
                if (AsciiLower(value).find("close") != std::string::npos) keep_alive = false;
                continue;
            }
            // A handler's own X-Request-Id replaces the one above rather than adding a second.
            if (lower == "content-type" || lower == "server" || lower == "x-content-type-options" ||
                lower == "x-request-id") {
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
        const std::chrono::duration<double> took = Clock::now() - started_;
        // The request's one line, if any, is the observer's (the access log): the server writes none.
        if (server_.options_.on_response) {
            const RequestIdScope scope(request_id_);
            server_.options_.on_response(RequestOutcome{log_method_, matched_route_,
                                                        static_cast<int>(response_.result_int()), took.count(),
                                                        log_path_, request_id_, remote_address_});
        }
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

    // Unread request bytes are read and dropped, never parsed: after a refused framing nothing
    // that follows may be taken for another request.
    void GracefulClose() {
        beast::error_code ec;
        stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
        if (ec) {
            Close();
            return;
        }
        // Nothing more is owed to this client: at the cap it is the first to make room.
        if (!mark_->Set(ConnectionMark::kLingering)) {
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
    const std::shared_ptr<ConnectionMark> mark_;
    const net::any_io_executor executor_;  // the connection's strand
    beast::tcp_stream stream_;
    beast::flat_buffer buffer_;
    std::optional<http::request_parser<http::string_body>> parser_;
    http::response<http::empty_body> continue_;
    http::response<http::string_body> response_;
    std::string remote_address_;

    net::steady_timer deadline_;
    std::uint64_t deadline_generation_ = 0;
    ReadPhase phase_ = ReadPhase::kIdle;
    bool timed_out_ = false;

    // The request in progress.
    HttpRequest request_;
    bool run_inline_ = false;
    bool run_async_ = false;
    Clock::time_point started_;
    std::string log_method_;
    std::string log_path_;
    std::string request_id_;  // X-Request-Id: reused between requests, so its buffer is allocated once
    std::optional<std::size_t> matched_route_;  // of the request being answered, for on_response
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
    acceptor_.non_blocking(true, ec);  // OnTooManyOpenFiles() calls accept() itself and must not block
    if (ec) throw fail(ec.message());
    std::uint16_t port = acceptor_.local_endpoint(ec).port();
    if (ec) throw fail(ec.message());

    // Logged before any thread of ours starts: spdlog's registry (in Debian's uninstrumented
    // libspdlog.so) is then set up before those threads exist, which ThreadSanitizer can see.
    spdlog::info("listening on http://{}", HostPort(options_.host, port));
    spare_fd_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    handler_pool_.emplace(static_cast<std::size_t>(std::max(1, options_.handler_threads)));
    work_.emplace(ioc_.get_executor());
    net::post(acceptor_.get_executor(), [this] { DoAccept(); });
    for (int i = 0; i < std::max(1, options_.io_threads); ++i) io_threads_.emplace_back([this] { RunIo(); });
    started_ = true;
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
        if ((ec == net::error::no_descriptors || ec.value() == ENFILE) && OnTooManyOpenFiles()) {
            // Linux's accept() fails with EMFILE even when no connection waits, so accepting again
            // at once would spin (and take a connection that arrives the moment the limit rises):
            // wait until one is actually waiting.
            acceptor_.async_wait(tcp::acceptor::wait_read, [this](beast::error_code wait_ec) {
                if (!wait_ec && acceptor_.is_open()) DoAccept();
            });
            return;
        }
        WarnThrottled("accepting an HTTP connection failed: " + ec.message());
        accept_timer_.expires_after(kAcceptRetryDelay);
        accept_timer_.async_wait([this](beast::error_code wait_ec) {
            if (!wait_ec && acceptor_.is_open()) DoAccept();
        });
        return;
    }
    beast::error_code ignored;
    socket.set_option(tcp::no_delay(true), ignored);  // responses go out in one write; don't hold them back
    std::shared_ptr<Session> session;
    std::shared_ptr<Session> evicted;  // released outside the lock: its destructor unregisters
    {
        std::lock_guard lock(sessions_mutex_);
        if (draining_) return;  // the socket closes as it goes out of scope
        const std::size_t cap = std::max<std::size_t>(1, options_.max_connections);
        if (sessions_.size() - pending_evictions_ >= cap) {
            if (!ClaimOldestIdleLocked(evicted)) {
                Refuse(socket);
                DoAccept();
                return;
            }
        }
        std::uint64_t id = next_session_id_++;
        auto mark = std::make_shared<ConnectionMark>();
        session = std::make_shared<Session>(std::move(socket), *this, id, mark);
        sessions_.emplace(id, SessionEntry{session, std::move(mark)});
    }
    if (evicted) net::post(evicted->executor(), [evicted] { evicted->Close(); });
    session->Start();
    DoAccept();
}

// At the cap: the connection idle longest (waiting for a request, or for the rest of its header
// section) makes room, so that idle clients cannot lock out ones with work to do.
bool HttpServer::Impl::ClaimOldestIdleLocked(std::shared_ptr<Session>& victim) {
    for (;;) {
        SessionEntry* oldest = nullptr;
        std::int64_t oldest_since = 0;
        for (auto& [id, entry] : sessions_) {
            const std::int64_t since = entry.mark->idle_since.load();
            if (since > 0 && (!oldest || since < oldest_since)) {
                oldest = &entry;
                oldest_since = since;
            }
        }
        if (!oldest) return false;
        std::int64_t expected = oldest_since;
        // It may have just become busy; then look again.
        if (!oldest->mark->idle_since.compare_exchange_strong(expected, ConnectionMark::kEvicting)) continue;
        ++pending_evictions_;
        spdlog::debug("connection cap reached: closing the connection idle longest");
        // Null when it is already being destroyed: its unregistration frees the slot all the same.
        victim = oldest->session.lock();
        return true;
    }
}

// Nothing can make room: the newcomer is told so at once, without a session or a read.
void HttpServer::Impl::Refuse(tcp::socket& socket) {
    static const std::string kResponse = [] {
        const HttpResponse body = Overloaded("too many open connections; retry shortly");
        return "HTTP/1.1 503 Service Unavailable\r\nServer: notifyd\r\nContent-Type: " + body.content_type +
               "\r\nRetry-After: 1\r\nConnection: close\r\nContent-Length: " + std::to_string(body.body.size()) +
               "\r\n\r\n" + body.body;
    }();
    WarnThrottled("connection cap of " + std::to_string(options_.max_connections) +
                  " reached with none idle: refusing new connections");
    beast::error_code ignored;
    socket.non_blocking(true, ignored);
    socket.write_some(net::buffer(kResponse), ignored);  // best effort: a full send buffer drops it
    socket.shutdown(tcp::socket::shutdown_both, ignored);
    socket.close(ignored);
}

// accept() failed for want of descriptors. The pending connection stays queued and would fail
// every accept again, so the spare descriptor is freed to take it and close it. False when no
// spare is held (the caller then waits a little before accepting again).
bool HttpServer::Impl::OnTooManyOpenFiles() {
    WarnThrottled("out of file descriptors: refusing new connections (raise the limit or lower MAX_CONNECTIONS)");
    if (spare_fd_ < 0) return false;
    ::close(spare_fd_);
    spare_fd_ = -1;
    for (;;) {
        const int fd = ::accept4(acceptor_.native_handle(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) break;  // EAGAIN: none left waiting
        ::close(fd);
        break;
    }
    spare_fd_ = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    return true;
}

void HttpServer::Impl::WarnThrottled(const std::string& message) {
    std::lock_guard lock(warn_mutex_);
    const auto now = Clock::now();
    if (last_warning_ != Clock::time_point{} && now - last_warning_ < kWarningInterval) {
        ++warnings_suppressed_;
        return;
    }
    if (warnings_suppressed_ > 0) {
        spdlog::warn("{} ({} similar warnings suppressed)", message, warnings_suppressed_);
    } else {
        spdlog::warn("{}", message);
    }
    warnings_suppressed_ = 0;
    last_warning_ = now;
}

HttpResponse HttpServer::Impl::RunHandler(HttpRequest& request) {
    try {
        return handler_(request);
    } catch (...) {
        return ResponseForException(std::current_exception());
    }
}

bool HttpServer::Impl::TryQueueHandler() {
    const std::size_t limit = std::max<std::size_t>(1, options_.handler_queue_limit);
    if (handler_queue_.fetch_add(1) >= limit) {
        --handler_queue_;
        return false;
    }
    return true;
}

void HttpServer::Impl::Unregister(std::uint64_t id) {
    std::lock_guard lock(sessions_mutex_);
    auto it = sessions_.find(id);
    if (it == sessions_.end()) return;
    if (it->second.mark->idle_since.load() == ConnectionMark::kEvicting) --pending_evictions_;
    sessions_.erase(it);
    if (sessions_.empty() && draining_) sessions_cv_.notify_all();
}

std::vector<std::shared_ptr<HttpServer::Impl::Session>> HttpServer::Impl::LiveSessionsLocked() {
    std::vector<std::shared_ptr<Session>> live;
    live.reserve(sessions_.size());
    for (auto& [id, entry] : sessions_) {
        if (auto session = entry.session.lock()) live.push_back(std::move(session));
    }
    return live;
}

void HttpServer::Impl::EndRequest() {
    if (--in_flight_ == 0 && draining_) {
        std::lock_guard lock(drain_mutex_);
        drain_cv_.notify_all();
    }
}

// Under the mutex: Stop() may destroy this object as soon as it sees zero, so nothing of it may be
// touched after the lock is released.
void HttpServer::Impl::ReplyDone() {
    std::lock_guard lock(replies_mutex_);
    if (--replies_pending_ == 0) replies_cv_.notify_all();
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
    // A reply still owed (a write waiting for its commit) is posted to the io_context: wait for it
    // while the io_context exists. No new ones start: no I/O thread runs.
    {
        std::unique_lock lock(replies_mutex_);
        replies_cv_.wait(lock, [this] { return replies_pending_.load() == 0; });
    }

    // No I/O thread runs any more, so whatever is left can be closed from here: also the listening
    // socket, whose close posted in step 1 may not have run before ioc_.stop() (with nothing in
    // flight, steps 2 and 3 return at once); left open, new connections would hang, not be refused.
    {
        beast::error_code ignored;
        acceptor_.close(ignored);
        accept_timer_.cancel();
    }
    {
        std::lock_guard lock(sessions_mutex_);
        live = LiveSessionsLocked();
    }
    for (auto& session : live) session->Close();
    live.clear();
    if (spare_fd_ >= 0) ::close(spare_fd_);
    spare_fd_ = -1;
    spdlog::info("HTTP server stopped");
}

HttpServer::HttpServer(HttpServerOptions options, HttpHandler handler)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(handler))) {}

HttpServer::~HttpServer() { impl_->Stop(std::chrono::milliseconds(0)); }

std::uint16_t HttpServer::Start() { return impl_->Start(); }

void HttpServer::Stop(std::chrono::milliseconds drain) { impl_->Stop(drain); }

std::size_t HttpServer::OpenConnections() const { return impl_->OpenConnections(); }

std::size_t HttpServer::WaitingForHandler() const { return impl_->handler_queue_.load(); }

OpenFileLimit RaiseOpenFileLimit() {
    OpenFileLimit result;
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return result;
    result.soft_before = result.soft = limit.rlim_cur;
    result.hard = limit.rlim_max;
    rlim_t target = limit.rlim_max;
    if (target == RLIM_INFINITY) {
        // The kernel caps descriptors per process at fs.nr_open even when the hard limit says
        // "unlimited"; asking for more fails.
        target = 1024 * 1024;
        std::ifstream nr_open("/proc/sys/fs/nr_open");
        unsigned long long value = 0;
        if (nr_open >> value && value > 0) target = static_cast<rlim_t>(value);
    }
    if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur >= target) return result;
    limit.rlim_cur = target;
    if (::setrlimit(RLIMIT_NOFILE, &limit) == 0) result.soft = target;
    return result;
}

std::size_t ConnectionCapWithin(std::size_t wanted, std::uint64_t open_file_limit, std::size_t reserve) {
    const std::uint64_t room = open_file_limit > reserve ? open_file_limit - reserve : 1;
    return static_cast<std::size_t>(std::max<std::uint64_t>(1, std::min<std::uint64_t>(wanted, room)));
}

}  // namespace notify
