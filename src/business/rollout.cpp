#include "business/rollout.h"

#include <openssl/evp.h>

#include <cstdint>
#include <stdexcept>

namespace notify {

int RolloutBucket(std::string_view e164) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int length = 0;
    if (EVP_Digest(e164.data(), e164.size(), digest, &length, EVP_sha256(), nullptr) != 1) {
        throw std::runtime_error("SHA-256 failed");
    }
    std::uint64_t prefix = 0;
    for (int i = 0; i < 8; ++i) prefix = (prefix << 8) | digest[i];
    return static_cast<int>(prefix % 100);
}

bool InsideRollout(std::string_view e164, int percent) { return RolloutBucket(e164) < percent; }

}  // namespace notify
