#pragma once

#include <string>
#include <string_view>
#include <utility>

namespace notify {

// The X-Request-Id of the request this thread is working for, empty outside any request (the queue
// processor, start-up). The log sink adds it to every line, so that a request's lines can be found
// together; the HTTP server sets it around every part of a request it runs, and work that hops to
// another thread carries it with CarryRequestId.
std::string_view CurrentRequestId() noexcept;

// Makes `id` the current request id of this thread until destroyed, then restores the previous one
// (scopes nest). `id` must outlive the scope: the scope keeps a view of it, not a copy.
class RequestIdScope final {
public:
    explicit RequestIdScope(std::string_view id) noexcept;
    ~RequestIdScope();
    RequestIdScope(const RequestIdScope&) = delete;
    RequestIdScope& operator=(const RequestIdScope&) = delete;

private:
    std::string_view previous_;
};

// `fn` wrapped so that, wherever and whenever it is called, it runs under the request id current
// here and now (a copy: 16 characters fit in the string without allocating). For callbacks and work
// handed to another thread: a store completion, a pool task.
template <typename Fn>
auto CarryRequestId(Fn fn) {
    return [id = std::string(CurrentRequestId()), fn = std::move(fn)](auto&&... args) mutable -> decltype(auto) {
        const RequestIdScope scope(id);
        return fn(std::forward<decltype(args)>(args)...);
    };
}

}  // namespace notify
