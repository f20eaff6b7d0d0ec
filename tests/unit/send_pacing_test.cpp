// The pacing shared by several nodes (MakeSharedSendPacing) over an in-memory PacingStore that
// behaves as the database does: two pacers on one store are two nodes on one database.

#include "queue/send_pacing.h"

#include <gtest/gtest.h>

#include <map>
#include <mutex>

#include "common/clock.h"

namespace notify {
namespace {

constexpr TimeMs kStart = 1'700'000'000'000;
constexpr TimeMs kProbeMs = 30000;
using Admission = SendingHold::Admission;

class InMemoryPacingStore final : public PacingStore {
public:
    PacingState ReadPacing() override {
        std::lock_guard lock(mutex_);
        ++reads;
        return state_;
    }
    void UpdatePacing(const std::function<void(PacingState&)>& decide) override {
        std::lock_guard lock(mutex_);
        ++updates;
        decide(state_);
    }
    std::optional<TimeMs> ReserveRecipient(std::string_view phone, TimeMs now, TimeMs gap_ms) override {
        std::lock_guard lock(mutex_);
        auto [it, inserted] = last_sends_.try_emplace(std::string(phone), now);
        if (inserted || it->second + gap_ms <= now) {
            it->second = now;
            return std::nullopt;
        }
        return it->second + gap_ms;
    }
    void ReleaseRecipient(std::string_view phone, TimeMs reserved_at) override {
        std::lock_guard lock(mutex_);
        if (auto it = last_sends_.find(std::string(phone)); it != last_sends_.end() && it->second == reserved_at) {
            last_sends_.erase(it);
        }
    }
    void ForgetRecipientsBefore(TimeMs cutoff) override {
        std::lock_guard lock(mutex_);
        std::erase_if(last_sends_, [&](const auto& entry) { return entry.second < cutoff; });
    }

    int reads = 0;
    int updates = 0;

private:
    std::mutex mutex_;
    PacingState state_;
    std::map<std::string, TimeMs, std::less<>> last_sends_;
};

struct TwoNodes {
    explicit TwoNodes(int rate)
        : a(MakeSharedSendPacing(store, rate, kProbeMs, clock)),
          b(MakeSharedSendPacing(store, rate, kProbeMs, clock)) {}
    ManualClock clock{kStart};
    InMemoryPacingStore store;
    std::unique_ptr<SendPacing> a;
    std::unique_ptr<SendPacing> b;
};

TEST(SharedSendPacing, TwoNodesShareOneBucketSoTogetherTheyKeepTheRate) {
    TwoNodes nodes(4);
    int granted = 0;
    for (int i = 0; i < 10; ++i) {
        if (nodes.a->TryAcquireToken(kStart) == 0) ++granted;
        if (nodes.b->TryAcquireToken(kStart) == 0) ++granted;
    }
    EXPECT_EQ(granted, 4);  // one second's burst between them, not one each
    EXPECT_EQ(nodes.b->TryAcquireToken(kStart), 250);
    EXPECT_EQ(nodes.a->TryAcquireToken(kStart + 250), 0);
    EXPECT_EQ(nodes.b->TryAcquireToken(kStart + 250), 250);
}

TEST(SharedSendPacing, ARetryAfterOneNodeHeardHoldsTheOther) {
    TwoNodes nodes(4);
    EXPECT_TRUE(nodes.a->ThrottleUntil(kStart + 5000));
    EXPECT_FALSE(nodes.b->ThrottleUntil(kStart + 4000));  // an earlier end changes nothing
    EXPECT_EQ(nodes.b->TryAcquireToken(kStart + 1000), 4000);
    EXPECT_EQ(nodes.b->Peek(kStart + 1000).throttled_until, kStart + 5000);
}

TEST(SharedSendPacing, WithoutARateLimitARetryAfterStillHoldsEveryNodeOnceTheirCopyIsRenewed) {
    TwoNodes nodes(0);
    EXPECT_EQ(nodes.b->TryAcquireToken(kStart), 0);  // b reads the state: nothing held
    nodes.a->ThrottleUntil(kStart + 5000);
    nodes.clock.Advance(kSharedPacingMaxAgeMs);
    EXPECT_EQ(nodes.b->TryAcquireToken(nodes.clock.NowMs()), 5000 - kSharedPacingMaxAgeMs);
}

TEST(SharedSendPacing, WithoutARateLimitASendPaysNoWriteAndAtMostOneReadPerCopyAge) {
    TwoNodes nodes(0);
    for (int i = 0; i < 100; ++i) {
        ASSERT_EQ(nodes.a->AdmitHold(kStart, true), Admission::kSend);
        ASSERT_EQ(nodes.a->TryAcquireToken(kStart), 0);
        ASSERT_FALSE(nodes.a->OnHealthy(kStart));
    }
    EXPECT_EQ(nodes.store.updates, 0);
    EXPECT_EQ(nodes.store.reads, 1);
}

TEST(SharedSendPacing, AFaultOnOneNodeHoldsBothAndOnlyOneProbeGoesPerInterval) {
    TwoNodes nodes(0);
    EXPECT_TRUE(nodes.a->OnStopAll("wallet empty", kStart));
    EXPECT_FALSE(nodes.b->OnStopAll("wallet empty", kStart + 1));  // already held: not a new hold
    const TimeMs probe_due = kStart + kProbeMs;
    nodes.clock.Set(probe_due);
    EXPECT_EQ(nodes.b->AdmitHold(probe_due, false), Admission::kHeld);  // an immediate send never probes
    EXPECT_EQ(nodes.b->AdmitHold(probe_due, true), Admission::kProbe);
    EXPECT_EQ(nodes.a->AdmitHold(probe_due, true), Admission::kHeld);  // b took this interval's probe
    const SendPacing::Look look = nodes.a->Peek(probe_due);
    ASSERT_TRUE(look.fault.has_value());
    EXPECT_EQ(look.fault->error, "wallet empty");
    EXPECT_EQ(look.next_probe_at, probe_due + kProbeMs);
    // b's probe is accepted: sending resumes on both.
    EXPECT_TRUE(nodes.b->OnHealthy(probe_due));
    nodes.clock.Advance(kSharedPacingMaxAgeMs);
    EXPECT_EQ(nodes.a->AdmitHold(nodes.clock.NowMs(), false), Admission::kSend);
    EXPECT_FALSE(nodes.a->Peek(nodes.clock.NowMs()).fault.has_value());
}

TEST(SharedSendPacing, AnAttemptAdmittedBeforeTheFaultDoesNotLiftIt) {
    TwoNodes nodes(0);
    nodes.a->OnStopAll("number disabled", kStart + 100);
    EXPECT_FALSE(nodes.b->OnHealthy(kStart));
    EXPECT_TRUE(nodes.b->ClearHold());
    EXPECT_FALSE(nodes.a->ClearHold());
}

TEST(SharedSendPacing, TheRecipientGapHoldsAcrossNodesAndAReleasedSlotIsFreeAgain) {
    TwoNodes nodes(0);
    EXPECT_EQ(nodes.a->ReserveRecipient("+919876543210", kStart, 6000), std::nullopt);
    EXPECT_EQ(nodes.b->ReserveRecipient("+919876543210", kStart + 1000, 6000), kStart + 6000);
    EXPECT_EQ(nodes.b->ReserveRecipient("+919800000001", kStart + 1000, 6000), std::nullopt);
    nodes.a->ReleaseRecipient("+919876543210", kStart);  // a's send did not reach the phone
    EXPECT_EQ(nodes.b->ReserveRecipient("+919876543210", kStart + 1000, 6000), std::nullopt);
    EXPECT_EQ(nodes.a->ReserveRecipient("+919876543210", kStart + 7000, 6000), std::nullopt);
    EXPECT_EQ(nodes.a->ReserveRecipient("+919876543210", kStart + 7000, 0), std::nullopt);  // no gap set
}

TEST(LocalSendPacing, PacesOneProcessInMemory) {
    auto pacing = MakeLocalSendPacing(2, kProbeMs, kStart);
    EXPECT_EQ(pacing->TryAcquireToken(kStart), 0);
    EXPECT_EQ(pacing->TryAcquireToken(kStart), 0);
    EXPECT_EQ(pacing->TryAcquireToken(kStart), 500);
    EXPECT_TRUE(pacing->OnStopAll("wallet empty", kStart));
    EXPECT_EQ(pacing->AdmitHold(kStart, true), Admission::kHeld);
    EXPECT_EQ(pacing->Peek(kStart).hold, Admission::kHeld);
}

// What the RateLimiter class asserted before the pacing moved behind SendPacing.
TEST(LocalSendPacing, AnswersTheWaitInsteadOfSleepingAndTakesNothing) {
    auto pacing = MakeLocalSendPacing(1, kProbeMs, kStart);
    EXPECT_EQ(pacing->TryAcquireToken(kStart), 0);
    EXPECT_EQ(pacing->TryAcquireToken(kStart), 1000);
    EXPECT_EQ(pacing->TryAcquireToken(kStart + 400), 600);  // the refused calls took nothing
    EXPECT_EQ(pacing->TryAcquireToken(kStart + 1000), 0);
}

TEST(LocalSendPacing, ARetryAfterHoldsEveryCallerEvenWithoutARateLimit) {
    auto pacing = MakeLocalSendPacing(0, kProbeMs, kStart);
    EXPECT_TRUE(pacing->ThrottleUntil(kStart + 30000));
    EXPECT_FALSE(pacing->ThrottleUntil(kStart + 10000));  // an earlier end does not shorten it
    EXPECT_EQ(pacing->Peek(kStart).throttled_until, kStart + 30000);
    EXPECT_EQ(pacing->TryAcquireToken(kStart), 30000);
    EXPECT_EQ(pacing->TryAcquireToken(kStart + 30000), 0);
}

}  // namespace
}  // namespace notify
