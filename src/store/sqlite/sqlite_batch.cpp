// SqliteStore::EnqueueBatch: many messages in one write of the group commit.
#include "store/sqlite/sqlite_store_internal.h"

namespace notify {

std::vector<EnqueueResult> SqliteStore::EnqueueBatch(const std::vector<Message>& messages, TimeMs next_attempt_at) {
    constexpr const char* kOperation = "enqueue batch";
    // One group member: its savepoint holds every item, so a failure part way undoes them all (their
    // counter changes too), and the whole batch is on disk, with one fsync, before the caller is
    // answered. Each item goes through EnqueueOne, as a single enqueue does.
    return Write(kOperation, [&](SqliteConnection& c) {
        std::vector<EnqueueResult> results;
        results.reserve(messages.size());
        for (const Message& message : messages) {
            results.push_back(EnqueueOne(c, message, next_attempt_at, std::nullopt, kOperation));
        }
        return results;
    });
}

}  // namespace notify
