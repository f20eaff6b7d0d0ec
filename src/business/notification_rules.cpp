#include "business/notification_rules.h"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <utility>

#include "business/quiet_hours.h"
#include "business/rollout.h"

namespace notify {
namespace {

constexpr std::array<std::pair<std::string_view, std::string_view>, 10> kEventTemplates = {{
    {"customer.created", "welcome"},
    {"order.created", "order_confirmation"},
    {"subscription.created", "subscription_created"},
    {"subscription.paused", "subscription_paused"},
    {"subscription.resumed", "subscription_resumed"},
    {"payment.received", "payment_received"},
    {"payment.due", "payment_reminder"},
    {"delivery.scheduled", "delivery_reminder"},
    {"delivery.completed", "delivery_completed"},
    {"delivery.missed", "delivery_missed"},
}};

}  // namespace

std::string_view ToString(NotificationReason reason) {
    switch (reason) {
        case NotificationReason::kNotificationsDisabled:
            return "notifications_disabled";
        case NotificationReason::kTemplateDisabled:
            return "template_disabled";
        case NotificationReason::kCustomerNotOptedIn:
            return "customer_not_opted_in";
    }
    std::abort();
}

NotificationPlan PlanNotification(const Settings& settings, const std::optional<Template>& tmpl,
                                  const Customer& customer, TimeMs now, bool apply_rollout) {
    NotificationPlan plan;
    plan.due_at = now;
    if (!settings.enabled) {
        plan.none = NotificationReason::kNotificationsDisabled;
    } else if (!tmpl || !tmpl->enabled) {
        plan.none = NotificationReason::kTemplateDisabled;
    } else if (!customer.whatsapp_opt_in) {
        plan.none = NotificationReason::kCustomerNotOptedIn;
    } else if (apply_rollout && !InsideRollout(customer.phone, settings.rollout_percent)) {
        plan.status = MessageStatus::kSkippedRollout;
    } else if (tmpl->quiet_hours && settings.quiet_hours) {
        if (auto release = QuietHoursRelease(*settings.quiet_hours, now, customer.time_zone)) plan.due_at = *release;
    }
    return plan;
}

std::optional<std::string_view> TemplateForEvent(std::string_view event_type) {
    for (const auto& [type, name] : kEventTemplates) {
        if (type == event_type) return name;
    }
    return std::nullopt;
}

std::string_view EventTypeList() {
    return "customer.created, order.created, subscription.created, subscription.paused, subscription.resumed, "
           "payment.received, payment.due, delivery.scheduled, delivery.completed, delivery.missed";
}

SubscriptionState SubscriptionStateOn(const Subscription& subscription, Date today) {
    SubscriptionState state;
    if (subscription.pause && subscription.pause->until >= today) {
        state.pause = subscription.pause;
        state.paused = subscription.pause->from <= today;
    }
    return state;
}

JoinedPause JoinPause(const std::optional<Pause>& current, const Pause& requested) {
    // A pause that ends before the day ahead of the requested one is over: nothing to keep.
    if (!current || AddDays(current->until, 1) < requested.from) return {requested, std::nullopt};
    // It ends on or after that day; it touches the requested pause unless it starts after it.
    if (current->from <= AddDays(requested.until, 1)) {
        return {Pause{std::min(current->from, requested.from), std::max(current->until, requested.until)},
                std::nullopt};
    }
    return {requested, current};  // a later pause, apart from this one
}

ReplyDecision DecideReply(const ParsedReply& reply, bool known_customer,
                          const std::optional<Subscription>& subscription, Date next_delivery_day) {
    ReplyDecision decision;
    decision.resume_date = next_delivery_day;
    switch (reply.command) {
        case ReplyCommand::kStop:
        case ReplyCommand::kStart:
            // Honoured for any number, customer or not: the opt-out list is what every send checks.
            decision.opt_out = reply.command == ReplyCommand::kStop;
            decision.action = *decision.opt_out ? "opted_out" : "opted_in";
            decision.detail = *decision.opt_out ? "WhatsApp messages stopped" : "WhatsApp messages started again";
            return decision;
        default:
            break;
    }
    if (!known_customer) {
        decision.action = "kept";
        decision.detail = "the number is no customer's; nothing changed";
        return decision;
    }
    const bool acts_on_subscription = reply.command == ReplyCommand::kSkip || reply.command == ReplyCommand::kPause ||
                                      reply.command == ReplyCommand::kResume;
    if (acts_on_subscription && !subscription) {
        decision.action = "help_sent";
        decision.detail = "the customer has no subscription";
        decision.send_help = true;
        return decision;
    }
    switch (reply.command) {
        case ReplyCommand::kSkip:
        case ReplyCommand::kPause: {
            const int days = reply.command == ReplyCommand::kSkip ? 1 : reply.days;
            const PauseRange range = PauseFor(next_delivery_day, days);
            const JoinedPause joined = JoinPause(subscription->pause, Pause{range.from, range.until});
            decision.change_pause = true;
            decision.new_pause = joined.pause;
            decision.confirmation_template = "subscription_paused";
            decision.action = "paused";
            decision.detail = "paused " + FormatIsoDate(joined.pause.from) + " to " + FormatIsoDate(joined.pause.until);
            if (joined.replaced) {
                decision.detail += "; replaced the planned pause " + FormatIsoDate(joined.replaced->from) + " to " +
                                   FormatIsoDate(joined.replaced->until);
            }
            return decision;
        }
        case ReplyCommand::kResume:
            decision.change_pause = true;
            decision.confirmation_template = "subscription_resumed";
            decision.action = "resumed";
            decision.detail = "pause ended; deliveries from " + FormatIsoDate(next_delivery_day);
            return decision;
        default:
            decision.action = "help_sent";
            decision.detail = reply.command == ReplyCommand::kHelp ? "asked for help" : "not a command word";
            decision.send_help = true;
            return decision;
    }
}

}  // namespace notify
