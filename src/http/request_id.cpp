#include "http/request_id.h"

#include <chrono>
#include <cstdint>
#include <random>
#include <thread>

namespace notify {
namespace {

constexpr std::size_t kMaxRequestIdLength = 128;

// splitmix64: fast, and each thread's sequence starts from its own random seed.
std::uint64_t NextRandom() {
    thread_local std::uint64_t state = [] {
        std::random_device device;
        return (static_cast<std::uint64_t>(device()) << 32) ^ device() ^
               static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()) ^
               std::hash<std::thread::id>{}(std::this_thread::get_id());
    }();
    std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

}  // namespace

bool IsAcceptableRequestId(std::string_view id) {
    if (id.empty() || id.size() > kMaxRequestIdLength) return false;
    for (const char c : id) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                        c == '_' || c == '-';
        if (!ok) return false;
    }
    return true;
}

void AssignNewRequestId(std::string& out) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::uint64_t value = NextRandom();
    out.resize(16);
    for (std::size_t i = 0; i < 16; ++i, value >>= 4) out[i] = kHex[value & 0xF];
}

void AssignRequestId(std::string& out, std::string_view from_client) {
    if (IsAcceptableRequestId(from_client)) {
        out.assign(from_client);
    } else {
        AssignNewRequestId(out);
    }
}

}  // namespace notify
