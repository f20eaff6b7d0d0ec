#pragma once

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
// Only writes made through this process's store are seen, which holds while one process serves
// a database (the embedded SQLite store); a store shared by several nodes needs another signal.
template <typename Value>
class ReadCache {
public:
    // The cached value for key, or load() (which must read the database) kept and returned.
    template <typename Load>
    std::optional<Value> Get(std::string_view key, Load&& load) {
        std::uint64_t generation = 0;
        {
            std::lock_guard lock(mutex_);
            if (auto it = values_.find(key); it != values_.end()) return it->second;
            generation = generation_;
        }
        std::optional<Value> value = load();
        if (value) {
            std::lock_guard lock(mutex_);
            if (generation == generation_) values_.insert_or_assign(std::string(key), *value);
        }
        return value;
    }

    void Invalidate() {
        std::lock_guard lock(mutex_);
        values_.clear();
        ++generation_;
    }

private:
    std::mutex mutex_;
    std::map<std::string, Value, std::less<>> values_;
    std::uint64_t generation_ = 0;
};

}  // namespace notify
