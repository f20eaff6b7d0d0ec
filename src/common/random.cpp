#include "common/random.h"

namespace notify {

std::uint64_t SystemRandom::NextBits() {
    thread_local std::mt19937_64 engine{(static_cast<std::uint64_t>(std::random_device{}()) << 32) ^
                                        std::random_device{}()};
    return engine();
}

}  // namespace notify
