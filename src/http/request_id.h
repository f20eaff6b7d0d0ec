#pragma once

#include <string>
#include <string_view>

namespace notify {

// X-Request-Id: a client's own id is kept when it is 1 to 128 characters of [A-Za-z0-9._-] (safe in
// a header and a log line as it is); anything else is replaced by a generated one.
bool IsAcceptableRequestId(std::string_view id);

// Writes a new id into `out` (reusing its capacity): 16 lowercase hex digits from a per-thread
// generator, so no lock and no allocation once `out` has held one. Unique enough to find a
// request's lines in the logs, not a secret.
void AssignNewRequestId(std::string& out);

// The client's id when acceptable, else a new one, into `out`.
void AssignRequestId(std::string& out, std::string_view from_client);

}  // namespace notify
