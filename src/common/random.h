#pragma once

#include <cstdint>
#include <mutex>
#include <random>

namespace notify {

// Chance is an I/O seam like time: message ids and retry jitter draw from an injected source,
// so tests can make them exact.
class RandomSource {
public:
    virtual ~RandomSource() = default;
    // 64 uniformly random bits. Safe to call from several threads.
    virtual std::uint64_t NextBits() = 0;
    // A draw in [0, 1).
    double Uniform01() { return static_cast<double>(NextBits() >> 11) * 0x1.0p-53; }
};

// Seeded once per thread from the operating system: no lock on the send path.
class SystemRandom final : public RandomSource {
public:
    std::uint64_t NextBits() override;
};

// The same sequence for the same seed: for tests.
class SeededRandom final : public RandomSource {
public:
    explicit SeededRandom(std::uint64_t seed) : engine_(seed) {}
    std::uint64_t NextBits() override {
        std::lock_guard lock(mutex_);
        return engine_();
    }

private:
    std::mutex mutex_;
    std::mt19937_64 engine_;
};

}  // namespace notify
