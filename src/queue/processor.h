#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "queue/dispatcher.h"
#include "queue/work_pool.h"
#include "store/store.h"

namespace notify {

struct ProcessorOptions {
    int concurrency = 4;            // messages in flight at once
    int batch = 64;                 // entries claimed per store round trip (split among workers)
    TimeMs lease_ms = 30000;        // a claim outlives a provider call; a dead process's claims expire
    TimeMs send_budget_ms = 10000;  // the longest one send may take (the provider timeout)
    TimeMs idle_poll_ms = 1000;     // longest sleep when nothing is due and nobody wakes us
    int max_per_pass = 1000;        // RunOnce stops after this many, so the endpoint answers in time
    std::string owner = "notifyd";  // lease owner prefix; unique per process
};

struct PassResult {
    int processed = 0;
    int sent = 0;
    int failed = 0;
    int retry_scheduled = 0;
    int suppressed = 0;  // the recipient opted out after the message was queued: not sent
    std::int64_t remaining = 0;
    bool paused = false;
    int deferred = 0;   // rescheduled without an attempt (rate limit, Retry-After, recipient gap, hold)
    bool held = false;  // stopped early: sending is held after a provider fault, or throttled
};

struct ProcessorStatus {
    bool running = false;
    std::optional<TimeMs> last_run_at;
    // How long the last pass that claimed work took (a worker's claim and its sends, or a whole
    // RunOnce); absent before the first.
    std::optional<TimeMs> last_pass_ms;
};

// Sends what the queue holds. RunOnce is one pass, driven by a caller (tests, the process-queue
// endpoint and command); Start runs workers in the background that wake on new work (Wake) or
// when the next retry is due.
class QueueProcessor {
public:
    QueueProcessor(Store& store, Dispatcher& dispatcher, const Clock& clock, ProcessorOptions options);
    ~QueueProcessor();

    // Claims and sends everything due now (with force, also retries not yet due), up to
    // max_per_pass messages. Sends nothing while settings say paused. The sends of a pass run on
    // the calling thread and the processor's fixed helper pool (concurrency - 1 threads), which
    // passes made at once share. Sent messages whose record is still pending are written first;
    // while that fails, nothing is claimed (StoreUnavailable).
    PassResult RunOnce(bool force);

    void Start();
    // Workers finish the send they are in, hand back what they claimed but did not send, and exit.
    void Stop();
    // New work: wakes one idle worker (Wake) or all of them (WakeAll, e.g. on unpause).
    void Wake();
    void WakeAll();

    ProcessorStatus Status() const;

    // A lease for a send made outside the processor (immediate sends).
    Lease NewLease() const;

private:
    void WorkerLoop(int index);
    void Tally(const DispatchResult& result, PassResult& pass);
    void MarkRun();
    // Whether one more send can finish before the lease ends.
    bool LeaseHasRoom(const Lease& lease) const;

    Store& store_;
    Dispatcher& dispatcher_;
    const Clock& clock_;
    ProcessorOptions options_;

    std::atomic<bool> running_{false};
    std::atomic<bool> stopping_{false};
    std::atomic<TimeMs> last_run_at_{0};
    std::atomic<TimeMs> last_pass_ms_{-1};  // -1: no pass has claimed work yet
    std::mutex mutex_;
    std::condition_variable wake_;
    std::uint64_t wake_generation_ = 0;
    std::vector<std::thread> workers_;
    WorkPool pass_helpers_;  // last: its threads stop before the members fn may use
};

}  // namespace notify
