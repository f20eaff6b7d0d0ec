#include "queue/processor.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "common/errors.h"

namespace notify {
namespace {

// How soon a worker tries again to write records left pending by a store failure.
constexpr TimeMs kPendingRecordPollMs = 200;

}  // namespace

QueueProcessor::QueueProcessor(Store& store, Dispatcher& dispatcher, const Clock& clock, ProcessorOptions options)
    : store_(store),
      dispatcher_(dispatcher),
      clock_(clock),
      options_(std::move(options)),
      pass_helpers_(std::max(1, options_.concurrency) - 1) {}

QueueProcessor::~QueueProcessor() { Stop(); }

Lease QueueProcessor::NewLease() const { return Lease{options_.owner, clock_.NowMs() + options_.lease_ms}; }

void QueueProcessor::MarkRun() { last_run_at_.store(clock_.NowMs()); }

bool QueueProcessor::LeaseHasRoom(const Lease& lease) const {
    return clock_.NowMs() + options_.send_budget_ms < lease.expires_at;
}

void QueueProcessor::Tally(const DispatchResult& result, PassResult& pass) {
    if (result.deferred) {  // no attempt: rescheduled by the dispatcher's pacing
        ++pass.deferred;
        return;
    }
    ++pass.processed;
    if (result.suppressed) {
        ++pass.suppressed;
        return;
    }
    switch (result.after) {
        case AfterAttempt::kSent:
            ++pass.sent;
            break;
        case AfterAttempt::kFailed:
            ++pass.failed;
            break;
        case AfterAttempt::kRetry:
            ++pass.retry_scheduled;
            break;
    }
}

PassResult QueueProcessor::RunOnce(bool force) {
    PassResult pass;
    MarkRun();
    const TimeMs started_at = clock_.NowMs();
    if (!dispatcher_.WritePendingRecords()) {
        throw StoreUnavailable("messages already sent wait to be recorded; nothing more is claimed until they are");
    }
    if (store_.GetSettings().paused) {
        pass.paused = true;
        pass.remaining = store_.QueueDepth();
        return pass;
    }
    const int parallelism = std::max(1, options_.concurrency);
    while (pass.processed + pass.deferred < options_.max_per_pass) {
        // Sending held or throttled: claim nothing, or only the one probe.
        const SendGate gate = dispatcher_.Gate(clock_.NowMs());
        if (gate.kind == SendGate::Kind::kClosed) {
            pass.held = true;
            break;
        }
        const int limit = gate.kind == SendGate::Kind::kProbe
                              ? 1
                              : std::min(options_.batch, options_.max_per_pass - pass.processed - pass.deferred);
        const Lease lease = NewLease();
        std::vector<Message> claimed = store_.ClaimDue(clock_.NowMs(), limit, lease, force);
        if (claimed.empty()) break;

        // Send the batch with up to `parallelism` threads; each takes the next unsent message.
        // A store failure stops the pass; entries not completed keep their lease and are taken
        // again when it expires.
        std::atomic<std::size_t> next{0};
        std::mutex tally_mutex;
        std::exception_ptr failure;
        std::vector<std::string> unsent;
        auto work = [&] {
            try {
                for (std::size_t i = next.fetch_add(1); i < claimed.size(); i = next.fetch_add(1)) {
                    if (!LeaseHasRoom(lease)) {
                        std::lock_guard lock(tally_mutex);
                        unsent.push_back(claimed[i].id);
                        continue;
                    }
                    const DispatchResult result = dispatcher_.Dispatch(claimed[i], lease.owner, true);
                    std::lock_guard lock(tally_mutex);
                    Tally(result, pass);
                }
            } catch (...) {
                std::lock_guard lock(tally_mutex);
                if (!failure) failure = std::current_exception();
                next.store(claimed.size());
            }
        };
        const int threads = std::min<int>(parallelism, static_cast<int>(claimed.size()));
        pass_helpers_.RunBeside(threads - 1, work);
        if (failure) std::rethrow_exception(failure);
        if (!unsent.empty()) store_.ReleaseLeases(lease.owner, unsent, clock_.NowMs());
        // A forced pass must not loop on the retries it has just scheduled; a probe goes alone.
        if (force || gate.kind == SendGate::Kind::kProbe) break;
    }
    pass.remaining = store_.QueueDepth();
    MarkRun();
    if (pass.processed + pass.deferred > 0) last_pass_ms_.store(clock_.NowMs() - started_at);
    return pass;
}

void QueueProcessor::Start() {
    if (running_.exchange(true)) return;
    stopping_.store(false);
    for (int i = 0; i < std::max(1, options_.concurrency); ++i) {
        workers_.emplace_back([this, i] { WorkerLoop(i); });
    }
    spdlog::info("queue processor started with {} worker(s)", workers_.size());
}

void QueueProcessor::Stop() {
    if (!running_.load()) return;
    {
        std::lock_guard lock(mutex_);
        stopping_.store(true);
        ++wake_generation_;
    }
    wake_.notify_all();
    for (auto& worker : workers_) {
        if (worker.joinable()) worker.join();
    }
    workers_.clear();
    running_.store(false);
    spdlog::info("queue processor stopped");
}

void QueueProcessor::Wake() {
    {
        std::lock_guard lock(mutex_);
        ++wake_generation_;
    }
    // One new message needs one worker; waking them all on every request costs more CPU in
    // context switches than the request itself. A worker that finds work loops for more.
    wake_.notify_one();
}

void QueueProcessor::WakeAll() {
    {
        std::lock_guard lock(mutex_);
        ++wake_generation_;
    }
    wake_.notify_all();
}

ProcessorStatus QueueProcessor::Status() const {
    ProcessorStatus status;
    status.running = running_.load();
    const TimeMs last = last_run_at_.load();
    if (last != 0) status.last_run_at = last;
    const TimeMs pass_ms = last_pass_ms_.load();
    if (pass_ms >= 0) status.last_pass_ms = pass_ms;
    return status;
}

void QueueProcessor::WorkerLoop(int index) {
    const std::string owner = options_.owner + "/w" + std::to_string(index);
    // Small claims per worker so that one worker does not sit on work the others could send.
    const int claim_size = std::max(1, options_.batch / std::max(1, options_.concurrency));
    while (!stopping_.load()) {
        std::uint64_t seen_generation;
        {
            std::lock_guard lock(mutex_);
            seen_generation = wake_generation_;
        }
        TimeMs sleep_ms = options_.idle_poll_ms;
        try {
            MarkRun();
            // A sent message's record comes before any claim: its entry stays leased meanwhile,
            // and this process takes nothing that might be it.
            if (!dispatcher_.WritePendingRecords()) {
                sleep_ms = std::min<TimeMs>(sleep_ms, kPendingRecordPollMs);
            } else if (const SendGate gate = dispatcher_.Gate(clock_.NowMs()); gate.kind == SendGate::Kind::kClosed) {
                // Held or throttled: claim nothing until the next probe or the end of the Retry-After.
                sleep_ms = std::clamp<TimeMs>(gate.reopens_at - clock_.NowMs(), 1, sleep_ms);
            } else if (!store_.GetSettings().paused) {
                const TimeMs now = clock_.NowMs();
                const Lease lease{owner, now + options_.lease_ms};
                std::vector<Message> claimed =
                    store_.ClaimDue(now, gate.kind == SendGate::Kind::kProbe ? 1 : claim_size, lease, false);
                // A full claim means more may be due: another idle worker takes the next ones.
                if (static_cast<int>(claimed.size()) == claim_size) Wake();
                std::size_t sent = 0;
                // Entries still waiting when the lease nears its end are handed back rather than sent
                // late: once the lease expires another worker may take them, and both would send.
                for (; sent < claimed.size() && !stopping_.load() && LeaseHasRoom(lease); ++sent) {
                    dispatcher_.Dispatch(claimed[sent], owner, true);
                }
                if (sent < claimed.size()) {
                    std::vector<std::string> unsent;
                    for (std::size_t i = sent; i < claimed.size(); ++i) unsent.push_back(claimed[i].id);
                    store_.ReleaseLeases(owner, unsent, clock_.NowMs());
                }
                if (!claimed.empty()) {
                    last_pass_ms_.store(clock_.NowMs() - now);
                    continue;  // there may be more due right away
                }
                if (auto due = store_.NextDueAt()) sleep_ms = std::clamp<TimeMs>(*due - clock_.NowMs(), 0, sleep_ms);
            }
        } catch (const Error& e) {
            spdlog::error("queue processor: {}", e.what());
        } catch (const std::exception& e) {
            spdlog::error("queue processor: unexpected error: {}", e.what());
        }
        if (sleep_ms <= 0) continue;
        std::unique_lock lock(mutex_);
        wake_.wait_for(lock, std::chrono::milliseconds(sleep_ms),
                       [&] { return stopping_.load() || wake_generation_ != seen_generation; });
    }
}

}  // namespace notify
