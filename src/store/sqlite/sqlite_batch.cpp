// SqliteStore::EnqueueBatch: many messages in one write of the group commit.
#include "store/sqlite/sqlite_store.h"

namespace notify {

std::vector<EnqueueResult> SqliteStore::EnqueueBatch(const std::vector<Message>& messages, TimeMs next_attempt_at) {
    std::vector<EnqueueResult> results;
    results.reserve(messages.size());
    // One group member: its savepoint holds every item, so a failure part way undoes them all
    // and the whole batch is on disk, with one fsync, before any caller is answered.
    auto body = [&](SqliteConnection& c) {
        for (const Message& message : messages) results.push_back(EnqueueIn(c, message, next_attempt_at, std::nullopt));
    };
    WriteJob job("enqueue batch", body);
    RunInGroup(job);
    return results;
}

}  // namespace notify
