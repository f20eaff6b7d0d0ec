#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace notify {

// A fixed set of helper threads, made once. POST /process-queue passes share them, so calls made
// at once never add threads of their own.
class WorkPool final {
public:
    explicit WorkPool(int threads);
    ~WorkPool();
    WorkPool(const WorkPool&) = delete;
    WorkPool& operator=(const WorkPool&) = delete;

    // Runs `fn` in the calling thread and on up to `helpers` pool threads that are free to join
    // in, and returns once every call of fn has returned. fn must not throw, and must tolerate
    // being called when the work is already done. A helper that gets to the task only after the
    // caller's fn has returned skips it, so a caller never waits behind another call's work.
    void RunBeside(int helpers, const std::function<void()>& fn);

    int size() const { return static_cast<int>(threads_.size()); }

private:
    struct Shared;
    void Loop();

    std::mutex mutex_;
    std::condition_variable work_ready_;
    std::deque<std::function<void()>> tasks_;
    bool stopping_ = false;
    std::vector<std::thread> threads_;
};

}  // namespace notify
