// The business rules that decide before anything is written (src/business/notification_rules.h).
#include <gtest/gtest.h>

#include "business/notification_rules.h"
#include "business/rollout.h"

namespace notify {
namespace {

Date D(int y, unsigned m, unsigned d) { return Date{std::chrono::year{y}, std::chrono::month{m}, std::chrono::day{d}}; }

constexpr TimeMs kNow = 1'800'000'000'000;  // 2027-01-15 08:00 UTC, 13:30 in Kolkata

Customer OptedIn(const std::string& phone = "+919876543210") {
    Customer customer;
    customer.phone = phone;
    customer.whatsapp_opt_in = true;
    return customer;
}

Template Reminder(bool quiet) {
    Template tmpl;
    tmpl.name = "payment_reminder";
    tmpl.quiet_hours = quiet;
    return tmpl;
}

// A number outside the rollout at `percent` (found, not assumed, so the test follows the hash).
std::string OutsideAt(int percent) {
    for (int i = 0;; ++i) {
        const std::string phone = "+9198" + std::to_string(10000000 + i);
        if (!InsideRollout(phone, percent)) return phone;
    }
}

TEST(PlanNotification, ChecksSwitchesTemplateConsentRolloutAndQuietHoursInOrder) {
    Settings settings;
    const Customer customer = OptedIn();
    EXPECT_FALSE(PlanNotification(settings, Reminder(false), customer, kNow).none);
    EXPECT_EQ(PlanNotification(settings, Reminder(false), customer, kNow).due_at, kNow);

    Settings off = settings;
    off.enabled = false;
    EXPECT_EQ(PlanNotification(off, Reminder(false), customer, kNow).none, NotificationReason::kNotificationsDisabled);
    EXPECT_EQ(PlanNotification(settings, std::nullopt, customer, kNow).none, NotificationReason::kTemplateDisabled);
    Template disabled = Reminder(false);
    disabled.enabled = false;
    EXPECT_EQ(PlanNotification(settings, disabled, customer, kNow).none, NotificationReason::kTemplateDisabled);
    Customer silent = customer;
    silent.whatsapp_opt_in = false;
    EXPECT_EQ(PlanNotification(settings, Reminder(false), silent, kNow).none, NotificationReason::kCustomerNotOptedIn);
}

TEST(PlanNotification, OutsideTheRolloutIsSkippedUnlessTheCustomerAsked) {
    Settings settings;
    settings.rollout_percent = 5;
    const Customer outside = OptedIn(OutsideAt(5));
    EXPECT_EQ(PlanNotification(settings, Reminder(false), outside, kNow).status, MessageStatus::kSkippedRollout);
    EXPECT_EQ(PlanNotification(settings, Reminder(false), outside, kNow, false).status, MessageStatus::kQueued);
}

TEST(PlanNotification, QuietHoursHoldOnlyFlaggedTemplates) {
    Settings settings;
    settings.quiet_hours = QuietHours{13 * 60, 14 * 60};  // 13:30 in Kolkata lies inside
    const Customer customer = OptedIn();
    EXPECT_GT(PlanNotification(settings, Reminder(true), customer, kNow).due_at, kNow);
    EXPECT_EQ(PlanNotification(settings, Reminder(false), customer, kNow).due_at, kNow);
    settings.quiet_hours.reset();
    EXPECT_EQ(PlanNotification(settings, Reminder(true), customer, kNow).due_at, kNow);
}

TEST(TemplateForEvent, MapsTheTenTypes) {
    EXPECT_EQ(TemplateForEvent("payment.due"), "payment_reminder");
    EXPECT_EQ(TemplateForEvent("delivery.scheduled"), "delivery_reminder");
    EXPECT_EQ(TemplateForEvent("customer.created"), "welcome");
    EXPECT_FALSE(TemplateForEvent("order.shipped"));
    EXPECT_FALSE(TemplateForEvent(""));
}

TEST(JoinPause, JoinsTouchingPausesAndSaysWhenItReplacesOne) {
    const Pause asked{D(2027, 1, 16), D(2027, 1, 16)};
    EXPECT_EQ(JoinPause(std::nullopt, asked).pause.from, asked.from);
    // Over before the asked day's eve: forgotten.
    auto joined = JoinPause(Pause{D(2027, 1, 1), D(2027, 1, 14)}, asked);
    EXPECT_EQ(joined.pause.from, D(2027, 1, 16));
    EXPECT_FALSE(joined.replaced);
    // Ends the day before: they touch, one pause.
    joined = JoinPause(Pause{D(2027, 1, 10), D(2027, 1, 15)}, asked);
    EXPECT_EQ(joined.pause.from, D(2027, 1, 10));
    EXPECT_EQ(joined.pause.until, D(2027, 1, 16));
    // Starts the day after: they touch.
    joined = JoinPause(Pause{D(2027, 1, 17), D(2027, 1, 20)}, asked);
    EXPECT_EQ(joined.pause.from, D(2027, 1, 16));
    EXPECT_EQ(joined.pause.until, D(2027, 1, 20));
    // Covers it already: unchanged.
    joined = JoinPause(Pause{D(2027, 1, 12), D(2027, 1, 20)}, asked);
    EXPECT_EQ(joined.pause.from, D(2027, 1, 12));
    EXPECT_EQ(joined.pause.until, D(2027, 1, 20));
    // A later pause apart from it: replaced, and said so.
    joined = JoinPause(Pause{D(2027, 1, 20), D(2027, 1, 25)}, asked);
    EXPECT_EQ(joined.pause.from, D(2027, 1, 16));
    EXPECT_EQ(joined.pause.until, D(2027, 1, 16));
    ASSERT_TRUE(joined.replaced);
    EXPECT_EQ(joined.replaced->from, D(2027, 1, 20));
}

TEST(SubscriptionStateOn, PausedOnlyInsideThePauseAndAnEndedPauseIsNotShown) {
    Subscription subscription;
    subscription.pause = Pause{D(2027, 1, 16), D(2027, 1, 18)};
    EXPECT_FALSE(SubscriptionStateOn(subscription, D(2027, 1, 15)).paused);
    EXPECT_TRUE(SubscriptionStateOn(subscription, D(2027, 1, 15)).pause);
    EXPECT_TRUE(SubscriptionStateOn(subscription, D(2027, 1, 16)).paused);
    EXPECT_TRUE(SubscriptionStateOn(subscription, D(2027, 1, 18)).paused);
    EXPECT_FALSE(SubscriptionStateOn(subscription, D(2027, 1, 19)).paused);
    EXPECT_FALSE(SubscriptionStateOn(subscription, D(2027, 1, 19)).pause);
}

TEST(DecideReply, UnknownNumbersChangeNothingButStopIsHonoured) {
    const Date next = D(2027, 1, 16);
    EXPECT_EQ(DecideReply({ReplyCommand::kPause, 3}, false, std::nullopt, next).action, "kept");
    EXPECT_FALSE(DecideReply({ReplyCommand::kPause, 3}, false, std::nullopt, next).change_pause);
    const ReplyDecision stop = DecideReply({ReplyCommand::kStop, 0}, false, std::nullopt, next);
    EXPECT_EQ(stop.opt_out, true);
    EXPECT_EQ(stop.action, "opted_out");
}

TEST(DecideReply, PauseAndResumeActOnTheSubscription) {
    Subscription subscription;
    subscription.pause = Pause{D(2027, 1, 20), D(2027, 1, 22)};
    const ReplyDecision pause = DecideReply({ReplyCommand::kPause, 3}, true, subscription, D(2027, 1, 16));
    ASSERT_TRUE(pause.new_pause);
    EXPECT_EQ(pause.new_pause->from, D(2027, 1, 16));
    EXPECT_EQ(pause.new_pause->until, D(2027, 1, 18));
    EXPECT_NE(pause.detail.find("replaced the planned pause 2027-01-20 to 2027-01-22"), std::string::npos);
    const ReplyDecision resume = DecideReply({ReplyCommand::kResume, 0}, true, subscription, D(2027, 1, 16));
    EXPECT_TRUE(resume.change_pause);
    EXPECT_FALSE(resume.new_pause);
    EXPECT_EQ(resume.confirmation_template, "subscription_resumed");
    EXPECT_TRUE(DecideReply({ReplyCommand::kOther, 0}, true, subscription, D(2027, 1, 16)).send_help);
    EXPECT_TRUE(DecideReply({ReplyCommand::kSkip, 0}, true, std::nullopt, D(2027, 1, 16)).send_help);
}

}  // namespace
}  // namespace notify
