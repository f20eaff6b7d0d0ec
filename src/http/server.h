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
    std::uint16_t port = 0;                 // 0: the system picks one; Start() returns it
    int io_threads = 1;                     // threads running the sockets
    int handler_threads = 4;                // threads running handlers (they may block on I/O)
    std::size_t body_limit = 1024 * 1024;   // larger bodies: 413 with the contract's error body
    std::chrono::seconds idle_timeout{60};  // keep-alive connections idle longer are closed
};

// Asynchronous HTTP/1.1 server on Boost.Beast with keep-alive. Sockets run on io_threads; each
// request's handler runs on a separate pool so that a slow handler never stalls other
// connections. Beast is confined to server.cpp to keep the rest of the build light.
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

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace notify
