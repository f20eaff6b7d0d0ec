#include "queue/work_pool.h"

#include <algorithm>
#include <string>

#include "common/log_context.h"

namespace notify {

// One RunBeside call: whether its caller is done, how many helpers are inside fn, and the request
// the caller works for (POST /process-queue): the helpers' log lines carry its id too.
struct WorkPool::Shared {
    std::string request_id;
    std::mutex mutex;
    std::condition_variable idle;
    bool closed = false;
    int running = 0;
};

WorkPool::WorkPool(int threads) {
    for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { Loop(); });
}

WorkPool::~WorkPool() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    work_ready_.notify_all();
    for (auto& thread : threads_) thread.join();
}

void WorkPool::Loop() {
    for (;;) {
        std::function<void()> task;
        {
            std::unique_lock lock(mutex_);
            work_ready_.wait(lock, [this] { return stopping_ || !tasks_.empty(); });
            if (tasks_.empty()) return;  // stopping, nothing left
            task = std::move(tasks_.front());
            tasks_.pop_front();
        }
        task();
    }
}

void WorkPool::RunBeside(int helpers, const std::function<void()>& fn) {
    helpers = std::min(helpers, size());
    if (helpers <= 0) {
        fn();
        return;
    }
    auto shared = std::make_shared<Shared>();
    shared->request_id = CurrentRequestId();
    {
        std::lock_guard lock(mutex_);
        for (int i = 0; i < helpers; ++i) {
            tasks_.emplace_back([shared, &fn] {
                {
                    std::lock_guard joined(shared->mutex);
                    if (shared->closed) return;  // the caller is done: fn and its work may be gone
                    ++shared->running;
                }
                {
                    const RequestIdScope scope(shared->request_id);
                    fn();
                }
                std::lock_guard left(shared->mutex);
                if (--shared->running == 0) shared->idle.notify_all();
            });
        }
    }
    work_ready_.notify_all();
    fn();
    std::unique_lock lock(shared->mutex);
    shared->closed = true;
    shared->idle.wait(lock, [&] { return shared->running == 0; });
}

}  // namespace notify
