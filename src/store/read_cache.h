#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace notify {

// A process-local copy of rows that are read on every request and written rarely (settings,
// templates), keyed by name. The store invalidates it after each commit that changes those rows.
// A load that raced with an invalidation is not kept: the generation it started from is stale.
// Only writes made through this process's store are seen at once. That is enough while one process
// serves a database (the embedded SQLite store: no max_age). A store shared by several nodes gives a
// max_age: another node's write is seen once the copy is that old.
template <typename Value, typename Clock = std::chrono::steady_clock>
class ReadCache {
public:
    // max_age zero: kept until invalidated.
    explicit ReadCache(std::chrono::milliseconds max_age = std::chrono::milliseconds::zero()) : max_age_(max_age) {}

    // The cached value for key, or load() (which must read the database) kept and returned.
    template <typename Load>
    std::optional<Value> Get(std::string_view key, Load&& load) {
        std::uint64_t generation = 0;
        const typename Clock::time_point now = Clock::now();
        {
            std::lock_guard lock(mutex_);
            if (auto it = values_.find(key); it != values_.end()) {
                if (max_age_ == std::chrono::milliseconds::zero() || now - it->second.loaded_at < max_age_) {
                    return it->second.value;
                }
            }
            generation = generation_;
        }
        std::optional<Value> value = load();
        if (value) {
            std::lock_guard lock(mutex_);
            if (generation == generation_) values_.insert_or_assign(std::string(key), Entry{*value, now});
        }
        return value;
    }

    void Invalidate() {
        std::lock_guard lock(mutex_);
        values_.clear();
        ++generation_;
    }

private:
    struct Entry {
        Value value;
        typename Clock::time_point loaded_at;  // when the load began: the copy is at least this fresh
    };

    const std::chrono::milliseconds max_age_;
    std::mutex mutex_;
    std::map<std::string, Entry, std::less<>> values_;
    std::uint64_t generation_ = 0;
};

}  // namespace notify
