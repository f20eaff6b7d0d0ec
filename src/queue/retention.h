#pragma once

#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <thread>

#include "common/clock.h"
#include "store/store.h"

namespace notify {

struct RetentionOptions {
    int days = 180;                  // RETENTION_DAYS; 0 keeps everything
    std::size_t batch = 500;         // rows per delete: small, so a purge never holds the writer long
    TimeMs interval_ms = 3'600'000;  // between purges
};

// The time before which finished messages and webhook events go: `days` whole days before now.
// Nothing (the earliest time) when days is 0.
TimeMs RetentionCutoff(TimeMs now, int days);

// Deletes what RETENTION_DAYS no longer keeps (Store::PurgeOlderThan) in small batches: at start
// and then every interval, on a thread of its own, so that sending never waits for it (its
// writes are background writes, which the group commit puts after the API's).
class Retention {
public:
    Retention(Store& store, const Clock& clock, RetentionOptions options);
    ~Retention();
    Retention(const Retention&) = delete;
    Retention& operator=(const Retention&) = delete;

    // One purge to the end: batches until one comes back short. Throws StoreUnavailable.
    PurgeResult RunOnce();

    void Start();
    void Stop();  // returns once the thread is gone; a batch in progress finishes first

private:
    void Loop();

    Store& store_;
    const Clock& clock_;
    const RetentionOptions options_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    std::thread thread_;
};

}  // namespace notify
