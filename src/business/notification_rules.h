#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "business/model.h"
#include "business/replies.h"
#include "common/clock.h"
#include "notify/model.h"

namespace notify {

// Why a business event caused no message (the answer's "notification_reason").
enum class NotificationReason { kNotificationsDisabled, kTemplateDisabled, kCustomerNotOptedIn };
std::string_view ToString(NotificationReason reason);

// What a business event's message becomes, decided before anything is written.
struct NotificationPlan {
    std::optional<NotificationReason> none;  // set: no message at all
    // kQueued, or kSkippedRollout for a customer outside the staged rollout (stored, never sent).
    MessageStatus status = MessageStatus::kQueued;
    TimeMs due_at = 0;  // now, or when quiet hours end for a template they hold
};

// In order: notifications switched off (settings.enabled), the template missing or disabled, the
// customer not opted in to WhatsApp, outside the rollout (a stable hash of the number, see
// rollout.h), and quiet hours in the customer's time zone for a template flagged for them.
// `apply_rollout` false: the confirmation of a customer's own request (a reply), which the customer
// started and expects, whatever share of customers business messages go to.
NotificationPlan PlanNotification(const Settings& settings, const std::optional<Template>& tmpl,
                                  const Customer& customer, TimeMs now, bool apply_rollout = true);

// POST /api/notifications/events: the ten event types and the template each one sends.
std::optional<std::string_view> TemplateForEvent(std::string_view event_type);
// The types, for error messages and docs.
std::string_view EventTypeList();

// A subscription as GET shows it on `today` (the customer's date): paused while today lies inside
// its pause; a pause that has ended is no longer shown.
struct SubscriptionState {
    bool paused = false;
    std::optional<Pause> pause;  // the current or next pause
};
SubscriptionState SubscriptionStateOn(const Subscription& subscription, Date today);

// The pause a SKIP or PAUSE asks for, joined with the subscription's current or next one when the two
// overlap or touch (a subscription holds one pause). A disjoint pause that has not ended before the
// requested one starts is replaced, and said so, rather than lost without a word.
struct JoinedPause {
    Pause pause;
    std::optional<Pause> replaced;
};
JoinedPause JoinPause(const std::optional<Pause>& current, const Pause& requested);

// What a customer's reply does. `subscription`: the customer's latest subscription, if any.
struct ReplyDecision {
    std::string action;  // for the inbox: paused, resumed, opted_out, opted_in, help_sent, kept
    std::string detail;
    bool change_pause = false;
    std::optional<Pause> new_pause;     // with change_pause: the pause it gets (nullopt: none)
    std::optional<bool> opt_out;        // STOP (true) / START (false)
    std::string confirmation_template;  // subscription_paused / subscription_resumed, or empty
    bool send_help = false;             // answer with the help text
    Date resume_date{};                 // for subscription_resumed
};
ReplyDecision DecideReply(const ParsedReply& reply, bool known_customer,
                          const std::optional<Subscription>& subscription, Date next_delivery_day);

}  // namespace notify
