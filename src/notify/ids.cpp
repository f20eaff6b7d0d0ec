#include "notify/ids.h"

namespace notify {

std::string NewMessageId(TimeMs now, RandomSource& random) {
    static constexpr char kAlphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    std::string id(26, '0');
    auto time = static_cast<std::uint64_t>(now);
    for (int i = 9; i >= 0; --i) {
        id[static_cast<std::size_t>(i)] = kAlphabet[time & 31];
        time >>= 5;
    }
    std::uint64_t high = random.NextBits();
    std::uint64_t low = random.NextBits();
    for (int i = 10; i < 26; ++i) {  // 16 characters x 5 bits = 80 random bits
        std::uint64_t& source = i < 18 ? high : low;
        id[static_cast<std::size_t>(i)] = kAlphabet[source & 31];
        source >>= 5;
    }
    return id;
}

}  // namespace notify
