#include "business/business_service.h"

#include <spdlog/spdlog.h>

#include <nlohmann/json.hpp>
#include <utility>

#include "business/replies.h"
#include "common/errors.h"
#include "notify/ids.h"
#include "notify/phone.h"
#include "notify/webhook_event.h"
#include "queue/processor.h"

namespace notify {
namespace {

// The message type of the free-text answer to a customer's reply (it has no template).
constexpr std::string_view kHelpReplyType = "help_reply";
constexpr std::size_t kMaxInboxText = 2000;

Error NotFound(const std::string& what, const std::string& id, const std::string& field) {
    return Error(ErrorKind::kNotFound, "not_found", "no " + what + " with id " + id, field);
}

// At most `max_bytes` of `text`, never ending inside a UTF-8 character (replies are often Hindi).
std::string Utf8Prefix(const std::string& text, std::size_t max_bytes) {
    if (text.size() <= max_bytes) return text;
    std::size_t end = max_bytes;
    while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
    return text.substr(0, end);
}

// An event for a known customer: its message, and the name and language the backend now gives, so
// that later confirmations and help texts use them too.
EventMessage EventUpdate(const Customer& stored, const Customer& from_event) {
    EventMessage update;
    update.customer_id = stored.id;
    if (from_event.name != stored.name) update.name = from_event.name;
    if (from_event.language != stored.language) update.language = from_event.language;
    return update;
}

Message NewBusinessMessage(std::string id, const Customer& customer, TimeMs now) {
    Message message;
    message.id = std::move(id);
    message.phone = customer.phone;
    message.status = MessageStatus::kQueued;
    message.created_at = now;
    message.updated_at = now;
    return message;
}

}  // namespace

BusinessService::BusinessService(Store& store, QueueProcessor& processor, const Clock& clock, RandomSource& random,
                                 std::string default_region)
    : store_(store),
      business_(store.Business()),
      processor_(processor),
      clock_(clock),
      random_(random),
      default_region_(std::move(default_region)) {}

std::string BusinessService::NewId(std::string_view prefix) {
    return std::string(prefix) + "_" + NewMessageId(clock_.NowMs(), random_);
}

Date BusinessService::TodayIn(std::string_view time_zone) const { return ToLocalTime(clock_.NowMs(), time_zone).date; }

Date BusinessService::TodayFor(const std::string& customer_id) {
    const auto customer = business_.GetCustomer(customer_id);
    return TodayIn(customer ? customer->time_zone : kDefaultTimeZone);
}

Customer BusinessService::RequireCustomer(const std::string& id, const std::string& field) {
    auto customer = business_.GetCustomer(id);
    if (!customer) throw NotFound("customer", id, field);
    return std::move(*customer);
}

Subscription BusinessService::RequireSubscription(const std::string& id) {
    auto subscription = business_.GetSubscription(id);
    if (!subscription) throw NotFound("subscription", id, "id");
    return std::move(*subscription);
}

std::optional<OutboxMessage> BusinessService::PlanMessage(const Settings& settings, const Customer& customer,
                                                          std::string_view template_name, Context context,
                                                          std::optional<std::string> idempotency_key,
                                                          Notified& notified, bool apply_rollout) {
    const std::optional<Template> tmpl = store_.GetTemplate(template_name);
    const TimeMs now = clock_.NowMs();
    const NotificationPlan plan = PlanNotification(settings, tmpl, customer, now, apply_rollout);
    if (plan.none) {
        notified.reason = plan.none;
        return std::nullopt;
    }
    context.try_emplace("customer_name", customer.name);
    const std::string language = SelectVariant(*tmpl, customer.language).language;
    const RenderedTemplate rendered = RenderTemplate(*tmpl, context, language);
    OutboxMessage outbox{NewBusinessMessage(NewMessageId(now, random_), customer, now), plan.due_at};
    Message& message = outbox.message;
    message.message_type = tmpl->name;
    message.provider_template_name = tmpl->provider_template_name;
    message.language = language;
    message.parameters = rendered.parameters;
    message.context_json = nlohmann::json(context).dump();
    message.status = plan.status;
    message.idempotency_key = std::move(idempotency_key);
    return outbox;
}

Notified BusinessService::Settle(const std::optional<OutboxMessage>& planned, const BusinessWriteResult& written,
                                 Notified notified) {
    if (!written.notification) return notified;
    notified.message = written.notification->message;
    const Message& message = *notified.message;
    if (written.notification->created && message.status == MessageStatus::kQueued && planned &&
        planned->next_attempt_at <= clock_.NowMs()) {
        processor_.Wake();
    }
    return notified;
}

template <typename Row, typename Change>
BusinessResult<Row> BusinessService::Write(const Settings& settings, Row row, Change change, const Customer& customer,
                                           std::string_view template_name, Context context,
                                           std::optional<std::string> idempotency_key) {
    Notified notified;
    const std::optional<OutboxMessage> planned =
        PlanMessage(settings, customer, template_name, std::move(context), std::move(idempotency_key), notified);
    const BusinessWriteResult written = business_.WriteBusiness(BusinessChange(std::move(change)), planned);
    BusinessResult<Row> result{std::move(row), Settle(planned, written, std::move(notified)),
                               TodayIn(customer.time_zone)};
    if (result.notification.message) result.row.notification_id = result.notification.message->id;
    return result;
}

BusinessResult<Customer> BusinessService::CreateCustomer(const CustomerInput& input) {
    Customer customer;
    customer.id = NewId("cus");
    customer.name = input.name;
    customer.phone = ParsePhoneOrThrow(input.phone, default_region_, "phone").e164;
    customer.area = input.area;
    customer.language = input.language;
    customer.whatsapp_opt_in = input.whatsapp_opt_in;
    customer.time_zone = input.time_zone;
    customer.created_at = clock_.NowMs();
    if (!customer.whatsapp_opt_in) {
        // Nobody is greeted without their consent: no welcome, and the reason says why.
        business_.WriteBusiness(NewCustomer{customer}, std::nullopt);
        return {customer, Notified{std::nullopt, NotificationReason::kCustomerNotOptedIn}, TodayIn(customer.time_zone)};
    }
    return Write(store_.GetSettings(), customer, NewCustomer{customer}, customer, "welcome", {});
}

BusinessResult<Order> BusinessService::CreateOrder(const OrderInput& input) {
    const Customer customer = RequireCustomer(input.customer_id, "customer_id");
    Order order;
    order.id = NewId("ord");
    order.customer_id = customer.id;
    order.items = input.items;
    for (const OrderItem& item : order.items) order.amount += item.quantity * item.unit_price;
    if (order.amount > kMaxPaise) throw InvalidInput("invalid_amount", "the order's total is too large", "items");
    order.delivery_date = input.delivery_date;
    order.created_at = clock_.NowMs();
    Context context{{"order_id", order.id},
                    {"delivery_date", FormatDisplayDate(order.delivery_date)},
                    {"amount", FormatRupees(order.amount)}};
    return Write(store_.GetSettings(), order, NewOrder{order}, customer, "order_confirmation", std::move(context));
}

BusinessResult<Subscription> BusinessService::CreateSubscription(const std::string& customer_id,
                                                                 const std::string& plan, Date start_date) {
    const Customer customer = RequireCustomer(customer_id, "customer_id");
    Subscription subscription;
    subscription.id = NewId("sub");
    subscription.customer_id = customer.id;
    subscription.plan = plan;
    subscription.start_date = start_date;
    subscription.created_at = clock_.NowMs();
    subscription.updated_at = subscription.created_at;
    Context context{{"plan", plan}, {"start_date", FormatDisplayDate(start_date)}};
    return Write(store_.GetSettings(), subscription, NewSubscription{subscription}, customer, "subscription_created",
                 std::move(context));
}

BusinessResult<Subscription> BusinessService::PauseSubscription(const std::string& id, const Pause& pause) {
    Subscription subscription = RequireSubscription(id);
    const Customer customer = RequireCustomer(subscription.customer_id, "customer_id");
    if (pause.until < pause.from) {
        throw InvalidInput("invalid_field", "until must not be before from", "until");
    }
    if (pause.until < TodayIn(customer.time_zone)) {
        throw InvalidInput("invalid_field", "the pause is over already: until is before today", "until");
    }
    subscription.pause = pause;
    subscription.updated_at = clock_.NowMs();
    Context context{{"pause_from", FormatDisplayDate(pause.from)}, {"pause_until", FormatDisplayDate(pause.until)}};
    return Write(store_.GetSettings(), subscription,
                 SubscriptionPauseChange{subscription.id, pause, subscription.updated_at}, customer,
                 "subscription_paused", std::move(context));
}

BusinessResult<Subscription> BusinessService::ResumeSubscription(const std::string& id) {
    Subscription subscription = RequireSubscription(id);
    const Customer customer = RequireCustomer(subscription.customer_id, "customer_id");
    subscription.pause.reset();
    subscription.updated_at = clock_.NowMs();
    const Settings settings = store_.GetSettings();
    const Date resume = NextDeliveryDay(subscription.updated_at, customer.time_zone, settings.order_cutoff_minute);
    Context context{{"resume_date", FormatDisplayDate(std::max(resume, subscription.start_date))}};
    return Write(settings, subscription,
                 SubscriptionPauseChange{subscription.id, std::nullopt, subscription.updated_at}, customer,
                 "subscription_resumed", std::move(context));
}

Payment BusinessService::NewPaymentRow(const Customer& customer, Payment::Kind kind, Paise amount) {
    Payment payment;
    payment.id = NewId("pay");
    payment.customer_id = customer.id;
    payment.kind = kind;
    payment.amount = amount;
    payment.created_at = clock_.NowMs();
    return payment;
}

BusinessResult<Payment> BusinessService::RecordPayment(const PaymentInput& input) {
    const Customer customer = RequireCustomer(input.customer_id, "customer_id");
    Payment payment = NewPaymentRow(customer, Payment::Kind::kReceived, input.amount);
    payment.method = input.method;
    payment.reference = input.reference;
    Context context{{"amount", FormatRupees(payment.amount)},
                    {"payment_id", payment.reference.empty() ? payment.id : payment.reference}};
    return Write(store_.GetSettings(), payment, NewPayment{payment}, customer, "payment_received", std::move(context));
}

BusinessResult<Payment> BusinessService::RecordPaymentDue(const PaymentDueInput& input) {
    const Customer customer = RequireCustomer(input.customer_id, "customer_id");
    Payment payment = NewPaymentRow(customer, Payment::Kind::kDue, input.amount_due);
    payment.due_date = input.due_date;
    Context context{{"amount_due", FormatRupees(payment.amount)}, {"due_date", FormatDisplayDate(input.due_date)}};
    return Write(store_.GetSettings(), payment, NewPayment{payment}, customer, "payment_reminder", std::move(context));
}

BusinessResult<Delivery> BusinessService::RecordDelivery(const DeliveryInput& input) {
    const Customer customer = RequireCustomer(input.customer_id, "customer_id");
    if (input.order_id) {
        const auto order = business_.GetOrder(*input.order_id);
        if (!order) throw NotFound("order", *input.order_id, "order_id");
        if (order->customer_id != customer.id) {
            throw InvalidInput("order_customer_mismatch", "order " + order->id + " belongs to another customer",
                               "order_id");
        }
    }
    Delivery delivery;
    delivery.id = NewId("dlv");
    delivery.customer_id = customer.id;
    delivery.order_id = input.order_id;
    delivery.date = input.date;
    delivery.delivered = input.delivered;
    delivery.reason = input.reason;
    delivery.created_at = clock_.NowMs();
    Context context{{"delivery_date", FormatDisplayDate(delivery.date)}};
    if (!delivery.delivered) context.emplace("reason", delivery.reason);
    return Write(store_.GetSettings(), delivery, NewDelivery{delivery}, customer,
                 delivery.delivered ? "delivery_completed" : "delivery_missed", std::move(context));
}

EventResult BusinessService::Publish(const EventInput& input) {
    const auto template_name = TemplateForEvent(input.type);
    if (!template_name) {
        throw InvalidInput("unknown_event_type",
                           "unknown event type \"" + input.type + "\"; one of: " + std::string(EventTypeList()),
                           "type");
    }
    const Phone phone = ParsePhoneOrThrow(input.phone, default_region_, "customer.phone");
    std::optional<Customer> known = business_.FindCustomerByPhone(phone.e164);
    Customer customer;
    if (known) {
        customer = *known;
    } else {
        // Created on first sight, in the transaction that writes the event's message, so that
        // rollout, language, quiet hours and replies apply to this customer from now on.
        customer.id = NewId("cus");
        customer.name = input.name;
        customer.phone = phone.e164;
        customer.language = input.language.value_or("en");
        // The backend that sends its events decides whom it notifies; STOP still opts a number out.
        customer.whatsapp_opt_in = true;
        customer.source = "event";
        customer.created_at = clock_.NowMs();
    }
    // The event's own name and language win for this message: the backend knows them best.
    Customer recipient = customer;
    if (!input.name.empty()) recipient.name = input.name;
    if (input.language) recipient.language = *input.language;
    std::optional<std::string> key;
    if (input.idempotency_key) key = "event:" + *input.idempotency_key;
    Notified notified;
    std::optional<OutboxMessage> planned;
    try {
        planned = PlanMessage(store_.GetSettings(), recipient, *template_name, input.data, std::move(key), notified);
    } catch (const Error& e) {
        // The template's variables come from the event's "data": name the field where it is.
        constexpr std::string_view kContext = "context.";
        if (e.kind() != ErrorKind::kInvalidInput || e.field().rfind(kContext, 0) != 0) throw;
        const std::string name = e.field().substr(kContext.size());
        std::string message = e.what();
        if (const auto at = message.find(std::string(kContext) + name); at != std::string::npos) {
            message.replace(at, kContext.size(), "data.");
        }
        throw InvalidInput(e.code(), message, "data." + name);
    }
    BusinessWriteResult written;
    try {
        written = known ? business_.WriteBusiness(EventUpdate(customer, recipient), planned)
                        : business_.WriteBusiness(NewCustomer{customer}, planned);
    } catch (const Error& e) {
        // Two first events for one number at once: the other one created the customer.
        if (e.code() != "customer_exists") throw;
        known = business_.FindCustomerByPhone(phone.e164);
        if (!known) throw;
        customer = *known;
        written = business_.WriteBusiness(EventUpdate(customer, recipient), planned);
    }
    if (known) {  // as just updated (the id is the stored customer's: recipient may carry a new one)
        customer.name = recipient.name;
        customer.language = recipient.language;
    }
    EventResult result{customer, Settle(planned, written, std::move(notified)), false};
    result.duplicate = written.notification && !written.notification->created;
    return result;
}

ReplyOutcome BusinessService::HandleReply(const ReplyInput& input) {
    ParsedReply parsed = ParseReply(input.text);
    // The opt-out words keep their wider reading (UNSUBSCRIBE, the Hindi ones): whole text only.
    switch (ClassifyInboundText(input.text)) {
        case OptKeyword::kOptOut:
            parsed = {ReplyCommand::kStop, 0};
            break;
        case OptKeyword::kOptIn:
            parsed = {ReplyCommand::kStart, 0};
            break;
        case OptKeyword::kNone:
            break;
    }
    const std::optional<Customer> customer = business_.FindCustomerByPhone(input.phone);
    std::optional<Subscription> subscription;
    if (customer) {
        auto all = business_.ListSubscriptions(customer->id);
        if (!all.empty()) subscription = std::move(all.back());  // the latest
    }
    const Settings settings = store_.GetSettings();
    const TimeMs now = clock_.NowMs();
    const std::string_view zone = customer ? std::string_view(customer->time_zone) : kDefaultTimeZone;
    const Date next_day = NextDeliveryDay(now, zone, settings.order_cutoff_minute);
    const ReplyDecision decision = DecideReply(parsed, customer.has_value(), subscription, next_day);

    ReplyReceived change;
    change.event = input.event;
    change.inbox.id = NewId("rpl");
    change.inbox.event_id = input.event.event_id;
    change.inbox.phone = input.phone;
    if (customer) change.inbox.customer_id = customer->id;
    // Kept for people to read; a longer text is cut, not refused (MyOperator would retry it for a day).
    change.inbox.text = Utf8Prefix(input.text, kMaxInboxText);
    change.inbox.command = std::string(ToString(parsed.command));
    change.inbox.action = decision.action;
    change.inbox.detail = decision.detail;
    change.inbox.received_at = input.event.received_at;
    if (decision.change_pause && subscription) {
        change.pause_change = SubscriptionPauseChange{subscription->id, decision.new_pause, now};
    }
    if (decision.opt_out) change.opt_out = OptOutChange{input.phone, *decision.opt_out};

    Notified notified;
    std::optional<OutboxMessage> planned;
    if (customer && !decision.confirmation_template.empty()) {
        Context context;
        if (decision.new_pause) {
            context = {{"pause_from", FormatDisplayDate(decision.new_pause->from)},
                       {"pause_until", FormatDisplayDate(decision.new_pause->until)}};
        } else {
            context = {{"resume_date", FormatDisplayDate(decision.resume_date)}};
        }
        // The customer asked: the confirmation goes whatever the rollout share (business-api.md's
        // rollout is about the messages the business starts).
        planned = PlanMessage(settings, *customer, decision.confirmation_template, std::move(context), std::nullopt,
                              notified, false);
    } else if (customer && decision.send_help && settings.enabled) {
        // A free-text answer: the customer's message opened WhatsApp's 24-hour window just now.
        planned = OutboxMessage{NewBusinessMessage(NewMessageId(now, random_), *customer, now), now};
        planned->message.message_type = std::string(kHelpReplyType);
        planned->message.language = customer->language;
        planned->message.text = ReplyHelpText(customer->language);
        planned->message.context_json = "{}";
    }
    if (notified.reason) change.inbox.detail += "; no confirmation: " + std::string(ToString(*notified.reason));

    const BusinessWriteResult written = business_.WriteBusiness(change, planned);
    ReplyOutcome outcome;
    outcome.duplicate = written.duplicate;
    outcome.inbox = change.inbox;
    notified = Settle(planned, written, std::move(notified));
    if (notified.message) {
        outcome.inbox.notification_id = notified.message->id;
        outcome.message = std::move(notified.message);
    }
    return outcome;
}

}  // namespace notify
