#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace notify::fake {

struct PostResult {
    long status = 0;    // 0: no HTTP answer (see error)
    std::string body;   // the answer's body
    std::string error;  // libcurl's reason when status is 0
};

// One blocking POST with libcurl, bounded by `timeout` in total so that an unreachable or stuck
// receiver never holds a handler thread for long. `headers` are full lines ("Name: value").
PostResult PostJson(const std::string& url, const std::string& body, const std::vector<std::string>& headers,
                    std::chrono::milliseconds timeout);

}  // namespace notify::fake
