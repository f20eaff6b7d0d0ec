// fake_myoperator: a local stand-in for MyOperator's send API, with fault switches, its template
// listing (scriptable), and the customer's side of its webhooks (simulated replies posted to the
// service).
//
//   fake_myoperator [--host 127.0.0.1] [--port 0] [--api-key KEY] [--company-id ID]
//                   [--webhook-url URL] [--webhook-secret SECRET] [--phone-number-id ID]
//
// Prints exactly one line on stdout, "listening on HOST:PORT", once it accepts connections (port 0
// lets the system pick one, which tests read from that line). Logs go to stderr. Exits 0 on
// SIGTERM or SIGINT. See fake_myoperator.h for the HTTP surface.

#include <pthread.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>

#include "fake_myoperator.h"
#include "http/server.h"

namespace {

constexpr std::string_view kUsage =
    "usage: fake_myoperator [--host 127.0.0.1] [--port 0] [--api-key KEY] [--company-id ID]\n"
    "                       [--webhook-url URL] [--webhook-secret SECRET] [--phone-number-id ID]\n"
    "Serves POST /chat/messages and GET /chat/templates like MyOperator; control API under /_fake/\n"
    "(mode, requests, reset, inbound, webhook, templates). POST /_fake/inbound posts a simulated\n"
    "customer reply to --webhook-url\n"
    "(e.g. http://127.0.0.1:1001/api/notifications/webhooks/myoperator) with the header\n"
    "X-Webhook-Secret: SECRET (the service's MYOPERATOR_API_SECRET).\n";

struct Arguments {
    std::string host = "127.0.0.1";
    std::uint16_t port = 0;
    notify::fake::FakeOptions fake;
};

std::optional<std::uint16_t> ParsePort(const std::string& text) {
    if (text.empty() || text.size() > 5 || text.find_first_not_of("0123456789") != std::string::npos) {
        return std::nullopt;
    }
    int value = std::stoi(text);
    if (value > 65535) return std::nullopt;
    return static_cast<std::uint16_t>(value);
}

// Accepts "--name value" and "--name=value". Exits with status 2 on anything unknown.
Arguments ParseArguments(int argc, char** argv) {
    Arguments arguments;
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        if (arg == "--help" || arg == "-h") {
            std::cout << kUsage;
            std::exit(0);
        }
        std::string value;
        if (auto eq = arg.find('='); arg.starts_with("--") && eq != std::string::npos) {
            value = arg.substr(eq + 1);
            arg.resize(eq);
        } else if (i + 1 < argc) {
            value = argv[++i];
        } else {
            std::cerr << "fake_myoperator: " << arg << " needs a value\n" << kUsage;
            std::exit(2);
        }
        if (arg == "--host") {
            arguments.host = value;
        } else if (arg == "--port") {
            auto port = ParsePort(value);
            if (!port) {
                std::cerr << "fake_myoperator: --port must be 0-65535, got '" << value << "'\n";
                std::exit(2);
            }
            arguments.port = *port;
        } else if (arg == "--api-key") {
            arguments.fake.api_key = value;
        } else if (arg == "--company-id") {
            arguments.fake.company_id = value;
        } else if (arg == "--webhook-url") {
            if (auto problem = notify::fake::WebhookUrlProblem(value)) {
                std::cerr << "fake_myoperator: --webhook-url: " << *problem << "\n";
                std::exit(2);
            }
            arguments.fake.webhook_url = value;
        } else if (arg == "--webhook-secret") {
            arguments.fake.webhook_secret = value;
        } else if (arg == "--phone-number-id") {
            arguments.fake.phone_number_id = value;
        } else {
            std::cerr << "fake_myoperator: unknown option " << arg << "\n" << kUsage;
            std::exit(2);
        }
    }
    return arguments;
}

}  // namespace

int main(int argc, char** argv) {
    Arguments arguments = ParseArguments(argc, argv);
    // stdout carries only the "listening on" line that tests wait for.
    spdlog::set_default_logger(spdlog::stderr_color_mt("fake_myoperator"));

    // Block the stop signals before any thread starts, so that every thread inherits the mask and
    // main alone receives them through sigwait.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGTERM);
    sigaddset(&stop_signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

    notify::fake::FakeMyOperator fake(arguments.fake);
    notify::HttpServerOptions options;
    options.host = arguments.host;
    options.port = arguments.port;
    options.handler_threads = 16;  // slow and hang requests each hold one; the control API needs more
    notify::HttpServer server(options, [&fake](notify::HttpRequest& request) { return fake.Handle(request); });
    std::uint16_t port = 0;
    try {
        port = server.Start();
    } catch (const std::exception& e) {
        std::cerr << "fake_myoperator: cannot listen on " << arguments.host << ":" << arguments.port << ": " << e.what()
                  << "\n";
        return 1;
    }
    std::printf("listening on %s:%u\n", arguments.host.c_str(), static_cast<unsigned>(port));
    std::fflush(stdout);

    int signal_number = 0;
    sigwait(&stop_signals, &signal_number);
    spdlog::info("signal {} received, stopping", signal_number);
    fake.Shutdown();  // wake slow and hanging requests first so that the drain is short
    server.Stop(std::chrono::milliseconds(2000));
    return 0;
}
