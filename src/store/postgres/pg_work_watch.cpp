// LISTEN notifyd_new_work on a connection of its own (migration 0002's trigger notifies at the
// commit of every statement that queues messages), so that idle nodes start at once.

#include <spdlog/spdlog.h>

#include <atomic>
#include <thread>

#include "common/errors.h"
#include "store/postgres/pg_connection.h"
#include "store/postgres/pg_store.h"

namespace notify {
namespace {

constexpr std::chrono::milliseconds kStopCheck{250};  // how soon the thread notices the watch ends
constexpr std::chrono::milliseconds kReconnectAfter{1000};

class PgWorkWatch final : public WorkWatch {
public:
    PgWorkWatch(const PgPool& pool, std::function<void()> on_new_work)
        : pool_(pool), on_new_work_(std::move(on_new_work)), thread_([this] { Run(); }) {}
    ~PgWorkWatch() override {
        stopping_.store(true);
        thread_.join();
    }
    PgWorkWatch(const PgWorkWatch&) = delete;
    PgWorkWatch& operator=(const PgWorkWatch&) = delete;

private:
    void Run() {
        bool failing = false;
        while (!stopping_.load()) {
            try {
                const std::unique_ptr<PgConnection> connection = pool_.Connect();
                connection->Exec("LISTEN notifyd_new_work", "listen");
                if (failing) spdlog::info("store: listening for new work again");
                failing = false;
                on_new_work_();  // anything queued while not listening
                while (!stopping_.load()) {
                    if (connection->WaitForNotifications(kStopCheck) > 0) on_new_work_();
                }
            } catch (const StoreUnavailable& e) {
                // Polling still finds the work meanwhile; only the wake-up is late.
                if (!failing) spdlog::warn("store: not listening for new work ({}); retrying", e.what());
                failing = true;
                for (auto waited = std::chrono::milliseconds::zero(); waited < kReconnectAfter && !stopping_.load();
                     waited += kStopCheck) {
                    std::this_thread::sleep_for(kStopCheck);
                }
            }
        }
    }

    const PgPool& pool_;
    const std::function<void()> on_new_work_;
    std::atomic<bool> stopping_{false};
    std::thread thread_;  // last: starts once the members above exist
};

}  // namespace

std::unique_ptr<WorkWatch> PostgresStore::WatchNewWork(std::function<void()> on_new_work) {
    return std::make_unique<PgWorkWatch>(*pool_, std::move(on_new_work));
}

}  // namespace notify
