#include "queue/sending_hold.h"

#include <gtest/gtest.h>

namespace notify {
namespace {

using Admission = SendingHold::Admission;
constexpr TimeMs kStart = 1'700'000'000'000;

TEST(SendingHold, SendsFreelyUntilAStopAllFault) {
    SendingHold hold(30000);
    EXPECT_FALSE(hold.held());
    EXPECT_EQ(hold.Admit(kStart, true), Admission::kSend);
    EXPECT_EQ(hold.Admit(kStart, false), Admission::kSend);
    EXPECT_EQ(hold.next_probe_at(), std::nullopt);
}

TEST(SendingHold, TheFirstFaultStartsTheHoldAndLaterOnesOnlyUpdateTheError) {
    SendingHold hold(30000);
    EXPECT_TRUE(hold.OnStopAll("400 CHAT_4001 Insufficient wallet balance", kStart));
    EXPECT_FALSE(hold.OnStopAll("401 Unauthorized", kStart + 10));
    ASSERT_TRUE(hold.fault());
    EXPECT_EQ(hold.fault()->since, kStart);
    EXPECT_EQ(hold.fault()->error, "401 Unauthorized");
    EXPECT_EQ(hold.Admit(kStart + 10, true), Admission::kHeld);
    EXPECT_EQ(hold.next_probe_at(), kStart + 30000);
}

TEST(SendingHold, LetsExactlyOneProbeThroughPerIntervalAndOnlyFromTheQueue) {
    SendingHold hold(30000);
    hold.OnStopAll("wallet", kStart);
    EXPECT_EQ(hold.Peek(kStart + 29999), Admission::kHeld);
    EXPECT_EQ(hold.Peek(kStart + 30000), Admission::kProbe);
    EXPECT_EQ(hold.Admit(kStart + 30000, false), Admission::kHeld);  // an immediate send never probes
    EXPECT_EQ(hold.Admit(kStart + 30000, true), Admission::kProbe);
    EXPECT_EQ(hold.Admit(kStart + 30001, true), Admission::kHeld);
    EXPECT_EQ(hold.next_probe_at(), kStart + 60000);
    EXPECT_EQ(hold.Admit(kStart + 60000, true), Admission::kProbe);
}

TEST(SendingHold, AHealthyAnswerToAnAttemptAdmittedDuringTheHoldLiftsIt) {
    SendingHold hold(30000);
    hold.OnStopAll("wallet", kStart);
    EXPECT_FALSE(hold.OnHealthy(kStart - 1));  // sent before the fault: proves nothing
    EXPECT_TRUE(hold.held());
    EXPECT_TRUE(hold.OnHealthy(kStart + 30000));
    EXPECT_FALSE(hold.held());
    EXPECT_EQ(hold.Admit(kStart + 30001, false), Admission::kSend);
    EXPECT_FALSE(hold.OnHealthy(kStart + 30002));  // nothing left to lift
}

TEST(SendingHold, AnAdminClearLiftsItAndANewFaultHoldsAgain) {
    SendingHold hold(1000);
    EXPECT_FALSE(hold.Clear());
    hold.OnStopAll("wallet", kStart);
    EXPECT_TRUE(hold.Clear());
    EXPECT_EQ(hold.Admit(kStart + 1, true), Admission::kSend);
    EXPECT_TRUE(hold.OnStopAll("wallet again", kStart + 5));
    EXPECT_EQ(hold.fault()->since, kStart + 5);
    EXPECT_EQ(hold.next_probe_at(), kStart + 1005);
}

}  // namespace
}  // namespace notify
