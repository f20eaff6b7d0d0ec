#include "common/log_context.h"

namespace notify {
namespace {

// A view, not a string: setting and reading it never allocates, and the owner (the connection's
// request, or a CarryRequestId wrapper) outlives every scope that points at it.
thread_local std::string_view current_request_id;

}  // namespace

std::string_view CurrentRequestId() noexcept { return current_request_id; }

RequestIdScope::RequestIdScope(std::string_view id) noexcept : previous_(current_request_id) {
    current_request_id = id;
}

RequestIdScope::~RequestIdScope() { current_request_id = previous_; }

}  // namespace notify
