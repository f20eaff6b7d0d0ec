#include "api/json_io.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "common/time_format.h"
#include "http/errors.h"
#include "notify/cost.h"

namespace notify {
namespace {

Message Sample() {
    Message m;
    m.seq = 7;
    m.id = "0190f5b2-0000-7000-8000-000000000001";
    m.phone = "+919876543210";
    m.message_type = "delivery_reminder";
    m.provider_template_name = "delivery_reminder";
    m.language = "en";
    m.parameters = {"Asha", "Jan 28"};
    m.context_json = R"({"customer_name":"Asha"})";
    m.status = MessageStatus::kDelivered;
    m.provider_message_id = "wamid.HBgM";
    m.attempts = 2;
    m.created_at = 1'700'000'000'123;
    m.updated_at = 1'700'000'360'000;
    m.sent_at = 1'700'000'001'000;
    m.delivered_at = 1'700'000'002'000;
    return m;
}

std::string Fast(const Message& m, bool mask) {
    std::string out = "prefix";
    AppendMessageJson(out, m, mask);
    return out.substr(6);
}

// GET /history writes its items with AppendMessageJson; the bytes must be those of the JSON tree.
TEST(AppendMessageJson, MatchesTheDumpOfMessageToJson) {
    for (bool mask : {false, true}) {
        Message m = Sample();
        EXPECT_EQ(Fast(m, mask), DumpJsonSafe(MessageToJson(m, mask, false)));
        m.status = MessageStatus::kFailed;
        m.provider_message_id.clear();
        m.sent_at.reset();
        m.delivered_at.reset();
        m.failed_at = 1'700'000'003'000;
        m.next_attempt_at = 0;
        m.attempts = 0;
        m.last_error = "HTTP 503: upstream unavailable";
        EXPECT_EQ(Fast(m, mask), DumpJsonSafe(MessageToJson(m, mask, false)));
        m.read_at = -1;                  // before the epoch: the general time format
        m.updated_at = 253402300800000;  // the year 10000
        m.attempts = -3;
        EXPECT_EQ(Fast(m, mask), DumpJsonSafe(MessageToJson(m, mask, false)));
    }
}

TEST(AppendMessageJson, EscapesTextLikeDumpJsonSafe) {
    for (const std::string& text :
         {std::string("quote \" and backslash \\ and slash /"), std::string("<script>&amp;</script>"),
          std::string("tab\tnew line\nnul") + '\0' + "\x01\x1f\x7f",
          std::string("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"), std::string("invalid \xff\xfe utf-8 \xc3"),
          std::string(" ~ printable ! #$%'()*+,-.:;=?@[]^_`{|}")}) {
        Message m = Sample();
        m.last_error = text;
        m.provider_message_id = text;
        m.message_type = text;
        m.id = text;
        m.phone = text;
        EXPECT_EQ(Fast(m, false), DumpJsonSafe(MessageToJson(m, false, false))) << text;
    }
}

// ---------------------------------------------------------------------------------------------
// What a viewer sees of one message

Message WithProviderTexts() {
    Message m = Sample();
    m.context_json = R"({"customer_name":"Asha Verma","area":"Koramangala","amount":4990})";
    m.parameters = {"Asha Verma", "Jan 28", "Koramangala", "4990"};
    m.idempotency_key = "order-8812-reminder";
    m.last_error = "(#131008) Parameter 'Asha Verma' is invalid for 919876543210";
    return m;
}

std::vector<Attempt> AttemptsQuoting() {
    Attempt a;
    a.number = 1;
    a.outcome = AttemptOutcome::kPermanent;
    a.http_status = 400;
    a.error = "recipient +919876543210 (9876543210) refused text 'Koramangala' and 4990";
    return {a};
}

std::vector<StatusEvent> EventsQuoting() {
    StatusEvent e;
    e.event_id = "evt-1";
    e.status = MessageStatus::kFailed;
    e.note = "failed: user 919876543210 blocked 'Jan 28' template for Asha Verma";
    return {e};
}

TEST(MessageDetailToJson, AViewerSeesNoContextParametersKeyOrFullNumber) {
    const Message m = WithProviderTexts();
    const nlohmann::json body = MessageDetailToJson(m, AttemptsQuoting(), EventsQuoting(), true);
    EXPECT_EQ(body["phone"], "+91******3210");
    for (const char* hidden : {"context", "parameters", "idempotency_key"})
        EXPECT_FALSE(body.contains(hidden)) << hidden;
    EXPECT_EQ(body["message_type"], "delivery_reminder");
    EXPECT_EQ(body["provider_template_name"], "delivery_reminder");
    ASSERT_EQ(body["attempt_history"].size(), 1u);
    ASSERT_EQ(body["status_events"].size(), 1u);
    EXPECT_EQ(body["attempt_history"][0]["http_status"], 400);
    const std::string dumped = DumpJsonSafe(body);
    for (const char* secret : {"9876543210", "Asha", "Verma", "Koramangala", "4990", "Jan 28", "order-8812"}) {
        EXPECT_EQ(dumped.find(secret), std::string::npos) << secret << " in " << dumped;
    }
    // The provider's words around them are kept: they are what a viewer diagnoses with.
    EXPECT_NE(dumped.find("(#131008) Parameter"), std::string::npos) << dumped;
}

TEST(MessageDetailToJson, OperatorsSeeEverything) {
    const Message m = WithProviderTexts();
    const nlohmann::json body = MessageDetailToJson(m, AttemptsQuoting(), EventsQuoting(), false);
    EXPECT_EQ(body["phone"], "+919876543210");
    EXPECT_EQ(body["idempotency_key"], "order-8812-reminder");
    EXPECT_EQ(body["parameters"].size(), 4u);
    EXPECT_EQ(body["context"]["area"], "Koramangala");
    EXPECT_EQ(body["last_error"], m.last_error);
    EXPECT_EQ(body["attempt_history"][0]["error"], AttemptsQuoting()[0].error);
    EXPECT_EQ(body["status_events"][0]["note"], EventsQuoting()[0].note);
}

TEST(RedactForViewer, ReplacesTheNumberAndTheValuesLongestFirst) {
    Message m = Sample();
    m.phone = "+919876543210";
    m.parameters = {"Asha", "Asha Verma"};
    m.context_json = "{}";
    EXPECT_EQ(RedactForViewer("to +919876543210 for Asha Verma", m), "to *** for ***");
    EXPECT_EQ(RedactForViewer("919876543210 / 9876543210 / Asha", m), "*** / *** / ***");
    EXPECT_EQ(RedactForViewer("", m), "");
    EXPECT_EQ(RedactForViewer("HTTP 503: upstream unavailable", m), "HTTP 503: upstream unavailable");
}

TEST(RedactForViewer, ValuesShorterThanThreeCharactersAreLeftAlone) {
    Message m = Sample();
    m.parameters = {"a", "10"};
    m.context_json = R"({"x":"a"})";
    EXPECT_EQ(RedactForViewer("a 10 error", m), "a 10 error");
}

// A free-text message (the help text answering a reply): its text is the customer's business.
Message HelpText() {
    Message m = Sample();
    m.message_type = "help_reply";
    m.provider_template_name.clear();
    m.parameters.clear();
    m.context_json = "{}";
    m.text = "Reply SKIP, PAUSE 3 or RESUME, Asha";
    m.last_error = "HTTP 400: text 'Reply SKIP, PAUSE 3 or RESUME, Asha' outside the 24h window";
    return m;
}

TEST(MessageDetailToJson, OperatorsSeeAFreeTextMessagesTextAndViewersDoNot) {
    const Message m = HelpText();
    const nlohmann::json operator_view = MessageDetailToJson(m, {}, {}, false);
    EXPECT_EQ(operator_view["text"], "Reply SKIP, PAUSE 3 or RESUME, Asha");
    const nlohmann::json viewer_view = MessageDetailToJson(m, {}, {}, true);
    EXPECT_FALSE(viewer_view.contains("text"));
    // A provider quoting the text does not give it away either.
    EXPECT_EQ(viewer_view["last_error"], "HTTP 400: text '***' outside the 24h window");
}

TEST(MessageDetailToJson, ATemplateMessageHasNoText) {
    EXPECT_TRUE(MessageDetailToJson(Sample(), {}, {}, false)["text"].is_null());
}

TEST(TemplateToJson, ShowsTheQuietHoursFlagAndTheVariantsInOrder) {
    Template t;
    t.name = "delivery_reminder";
    t.language = "en";
    t.body = "Hi {{customer_name}}";
    t.quiet_hours = true;
    t.variants = {{"en", "Hi {{customer_name}}"}, {"hi", "नमस्ते {{customer_name}} जी"}};
    const nlohmann::json body = TemplateToJson(t);
    EXPECT_EQ(body["quiet_hours"], true);
    EXPECT_EQ(body["variants"], nlohmann::json::parse(R"([{"language":"en","body":"Hi {{customer_name}}"},)"
                                                      R"({"language":"hi","body":"नमस्ते {{customer_name}} जी"}])"));
    t.quiet_hours = false;
    t.variants.clear();
    EXPECT_EQ(TemplateToJson(t)["quiet_hours"], false);
    EXPECT_EQ(TemplateToJson(t)["variants"], nlohmann::json::array());
}

// GET /statistics as it was built before AppendStatisticsJson: a JSON tree, dumped.
nlohmann::json ReferencePercent(std::int64_t numerator, std::int64_t denominator) {
    if (denominator == 0) return nullptr;
    return std::round(10000.0 * static_cast<double>(numerator) / static_cast<double>(denominator)) / 100.0;
}

nlohmann::json ReferenceCounts(const StatusCounts& c) {
    return {
        {"total", c.total},
        {"queued", c.queued},
        {"sent", c.sent},
        {"delivered", c.delivered},
        {"read", c.read},
        {"failed", c.failed},
        {"suppressed", c.suppressed},
        {"skipped_rollout", c.skipped_rollout},
        {"success_rate", ReferencePercent(c.sent, c.sent + c.failed)},
        {"delivery_rate", ReferencePercent(c.delivered, c.sent)},
    };
}

std::string ReferenceStatistics(const Statistics& stats, const SpendEstimate& spend, const std::optional<TimeMs>& since,
                                const std::optional<TimeMs>& until) {
    nlohmann::json body = ReferenceCounts(stats.all);
    body["estimated_cost"] = SpendToJson(spend);
    nlohmann::json by_type = nlohmann::json::object();
    for (const auto& [type, counts] : stats.by_type) by_type[type] = ReferenceCounts(counts);
    body["by_type"] = std::move(by_type);
    body["since"] = TimeOrNull(since);
    body["until"] = TimeOrNull(until);
    return DumpJsonSafe(body);
}

TEST(AppendStatisticsJson, MatchesTheDumpOfTheJsonTree) {
    std::mt19937_64 random(7);
    std::uniform_int_distribution<std::int64_t> small(0, 40);
    std::uniform_int_distribution<std::int64_t> large(0, 5'000'000);
    const std::vector<std::string> types = {"delivery_reminder", "payment_reminder",   "order_confirmation",
                                            "welcome",           "<odd> & \"quoted\"", "caf\xc3\xa9"};
    for (int round = 0; round < 500; ++round) {
        Statistics stats;
        auto& dist = round % 2 ? small : large;
        for (std::size_t t = 0; t < static_cast<std::size_t>(round) % (types.size() + 1); ++t) {
            StatusCounts c;
            c.queued = dist(random);
            c.read = dist(random);
            c.delivered = c.read + dist(random);
            c.sent = c.delivered + dist(random);
            c.failed = round % 7 == 0 ? 0 : dist(random);
            c.suppressed = dist(random);
            c.skipped_rollout = dist(random);
            c.total = c.queued + c.sent + c.failed + c.suppressed + c.skipped_rollout;
            stats.by_type[types[t]] = c;
            stats.all.total += c.total;
            stats.all.queued += c.queued;
            stats.all.sent += c.sent;
            stats.all.delivered += c.delivered;
            stats.all.read += c.read;
            stats.all.failed += c.failed;
            stats.all.suppressed += c.suppressed;
            stats.all.skipped_rollout += c.skipped_rollout;
        }
        const std::optional<TimeMs> since = round % 3 ? std::optional<TimeMs>(1'700'000'000'000 + round) : std::nullopt;
        const std::optional<TimeMs> until = round % 5 ? std::optional<TimeMs>(1'800'000'000'000 - round) : std::nullopt;
        const SpendEstimate spend = EstimateSpend(stats, DefaultPrices());
        std::string out;
        AppendStatisticsJson(out, stats, spend, since, until);
        ASSERT_EQ(out, ReferenceStatistics(stats, spend, since, until)) << round;
    }
    // Every rate a count can give: k / 100 for k = 0..10000.
    for (std::int64_t sent = 0; sent <= 10000; ++sent) {
        Statistics stats;
        stats.all.sent = sent;
        stats.all.failed = 10000 - sent;
        stats.all.delivered = sent / 3;
        const SpendEstimate spend = EstimateSpend(stats, DefaultPrices());
        std::string out;
        AppendStatisticsJson(out, stats, spend, std::nullopt, std::nullopt);
        ASSERT_EQ(out, ReferenceStatistics(stats, spend, std::nullopt, std::nullopt)) << sent;
    }
}

TEST(AppendIsoTime, WritesWhatFormatIsoTimeWrites) {
    std::mt19937_64 random(42);
    std::uniform_int_distribution<TimeMs> any(-100'000'000'000'000, 300'000'000'000'000);
    std::uniform_int_distribution<TimeMs> recent(0, 4'102'444'800'000);  // 1970..2100
    std::vector<TimeMs> times = {0,
                                 1,
                                 999,
                                 1000,
                                 86'399'999,
                                 86'400'000,
                                 951'782'400'000,
                                 951'868'799'999,
                                 4'102'444'799'999,
                                 253'402'300'799'999,
                                 253'402'300'800'000,
                                 -1,
                                 -86'400'001};
    for (int i = 0; i < 20000; ++i) times.push_back(i % 2 ? any(random) : recent(random));
    for (TimeMs t : times) {
        std::string out = "x";
        AppendIsoTime(out, t);
        ASSERT_EQ(out, "x" + FormatIsoTime(t)) << t;
    }
}

}  // namespace
}  // namespace notify

namespace notify {
namespace {

// GET /health's body as the handler built it before it was written directly.
std::string HealthAsJsonTree(const HealthView& view) {
    nlohmann::json body;
    body["status"] = view.store_ok ? "ok" : "degraded";
    body["database"] = view.store_ok ? "ok" : "unavailable";
    body["provider"] = view.provider;
    body["queue_depth"] = view.queue_depth ? nlohmann::json(*view.queue_depth) : nlohmann::json(nullptr);
    body["processor"] = {{"running", view.processor_running}, {"last_run_at", TimeOrNull(view.processor_last_run_at)}};
    body["sending"] = view.sending;
    body["provider_fault"] = nullptr;
    if (view.provider_fault) {
        body["provider_fault"] = {{"error", view.provider_fault->error},
                                  {"since", TimeOrNull(view.provider_fault->since)},
                                  {"next_probe_at", TimeOrNull(view.provider_fault->next_probe_at)}};
    }
    body["throttled_until"] = TimeOrNull(view.throttled_until);
    body["notifications"] = nullptr;
    if (view.notifications) {
        body["notifications"] = {{"enabled", view.notifications->enabled},
                                 {"paused", view.notifications->paused},
                                 {"rollout_percent", view.notifications->rollout_percent}};
    }
    body["version"] = view.version;
    body["uptime_seconds"] = view.uptime_seconds;
    return JsonResponse(200, body).body;
}

TEST(AppendHealthJson, MatchesTheDumpOfTheJsonTree) {
    HealthView healthy;
    healthy.queue_depth = 60000;
    healthy.provider = "myoperator";
    healthy.processor_running = true;
    healthy.processor_last_run_at = 1'780'000'000'123;
    healthy.sending = "ok";
    healthy.version = "0.1.0";
    healthy.uptime_seconds = 42;

    healthy.notifications = HealthView::Switches{true, false, 25};
    HealthView held = healthy;
    held.notifications = HealthView::Switches{false, true, 0};
    held.sending = "held";
    held.provider_fault =
        HealthView::Fault{"CHAT_4001 \"wallet\" <empty> & \xe2\x82\xb9 0", 1'780'000'000'000, std::nullopt};
    held.throttled_until = 1'780'000'060'000;

    HealthView down;
    down.store_ok = false;
    down.provider = "sandbox";
    down.sending = "throttled";
    down.version = "0.1.0";

    for (const HealthView* view : {&healthy, &held, &down}) {
        std::string direct;
        AppendHealthJson(direct, *view);
        EXPECT_EQ(direct, HealthAsJsonTree(*view));
    }
}

}  // namespace
}  // namespace notify
