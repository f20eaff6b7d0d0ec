#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "http/http_types.h"

namespace notify {

struct HttpServerOptions {
    std::string host = "127.0.0.1";
    std::uint16_t port = 0;                           // 0: the system picks one; Start() returns it
    int io_threads = 1;                               // threads running the sockets
    int handler_threads = 4;                          // threads running handlers (they may block on I/O)
    std::size_t handler_queue_limit = 1024;           // requests waiting for a handler; more: 503 overloaded
    std::size_t body_limit = 1024 * 1024;             // larger bodies: 413 with the contract's error body
    std::size_t max_connections = 10000;              // at the cap the oldest idle connection is closed
    std::chrono::milliseconds idle_timeout{60000};    // no byte of a next request for this long: closed
    std::chrono::milliseconds header_timeout{10000};  // header section complete within this of its first byte
    std::chrono::milliseconds body_timeout{30000};    // body complete within this of the header section
    HeaderHook on_headers;           // asked before any body byte is read; empty: every request goes on
    AsyncHttpHandler async_handler;  // answers the requests on_headers marks run_async
    ResponseObserver on_response;    // told of every response written; empty: nobody is
};

// Asynchronous HTTP/1.1 server on Boost.Beast with keep-alive. Sockets run on io_threads; each
// request's handler runs on a separate pool so that a slow handler never stalls other
// connections, unless on_headers says it never blocks. Beast is confined to server.cpp to keep
// the rest of the build light.
//
// Hostile clients: connections are capped (at the cap the one idle longest, waiting for a
// request or trickling its header section, is closed to admit the newcomer; with none idle the
// newcomer gets 503 overloaded), reads of the header section and of the body have deadlines
// (408 request_timeout), the queue of requests waiting for a handler is bounded (503
// overloaded), and a Transfer-Encoding other than exactly "chunked" is refused (400) with the
// connection closed, so that nothing after it is read as another request.
class HttpServer {
public:
    HttpServer(HttpServerOptions options, HttpHandler handler);
    ~HttpServer();
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    // Binds and starts serving; returns the bound port. Throws std::runtime_error when the
    // address cannot be bound.
    std::uint16_t Start();

    // Stops accepting, lets requests in progress finish for up to `drain`, then closes every
    // connection and joins the threads. Safe to call more than once.
    void Stop(std::chrono::milliseconds drain);

    std::size_t OpenConnections() const;
    // Requests read and waiting for a handler thread (bounded by handler_queue_limit).
    std::size_t WaitingForHandler() const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

struct OpenFileLimit {
    std::uint64_t soft_before = 0;
    std::uint64_t soft = 0;
    std::uint64_t hard = 0;
};

// Raises this process's soft RLIMIT_NOFILE to its hard limit (often 1,024 soft and far more hard):
// every connection is a file descriptor. Returns the limits before and after.
OpenFileLimit RaiseOpenFileLimit();

// The connection cap that fits `open_file_limit` with `reserve` descriptors kept for everything
// else (the database, provider connections, logs): at most `wanted`, at least 1.
std::size_t ConnectionCapWithin(std::size_t wanted, std::uint64_t open_file_limit, std::size_t reserve);

}  // namespace notify
