// The runbook's concurrency test, and what happens to accepted messages when the process dies.
#include <gtest/gtest.h>

#include <csignal>
#include <set>
#include <thread>

#include "harness.h"

namespace notify::testing {
namespace {

std::map<std::string, std::string> FakeProviderEnv(const FakeMyOperator& fake) {
    return fake.ServiceEnv(
        {{"PROVIDER_TIMEOUT_MS", "1000"},  // leases last three timeouts: a dead process's work resumes in 3 s
         {"PROCESSOR_CONCURRENCY", "4"},
         {"HANDLER_THREADS", "16"},
         {"LOG_LEVEL", "info"}});
}

// myop_ref_id (our message id) of every request the fake received, with how often it came.
std::map<std::string, int> ReceivedIds(FakeMyOperator& fake) {
    std::map<std::string, int> ids;
    const nlohmann::json all = fake.Requests();  // a named copy: the loop must not range over a temporary
    for (const auto& request : all["requests"]) {
        if (request.contains("body") && request["body"].contains("myop_ref_id")) {
            ++ids[request["body"]["myop_ref_id"].get<std::string>()];
        }
    }
    return ids;
}

std::string Phone(int i) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "+9198765%05d", i);
    return buf;
}

// Runs `count` calls at once (all threads start together) and returns their results in order.
std::vector<HttpResult> AllAtOnce(int count, const std::function<HttpResult(int)>& call) {
    std::vector<HttpResult> results(static_cast<std::size_t>(count));
    std::atomic<int> ready{0};
    std::atomic<bool> go{false};
    std::vector<std::thread> threads;
    for (int i = 0; i < count; ++i) {
        threads.emplace_back([&, i] {
            ++ready;
            while (!go.load()) std::this_thread::yield();
            results[static_cast<std::size_t>(i)] = call(i);
        });
    }
    while (ready.load() < count) std::this_thread::yield();
    go.store(true);
    for (auto& t : threads) t.join();
    return results;
}

class ConcurrencyTest : public ::testing::Test {
protected:
    void SetUp() override {
        fake_.Start();
        service_ = std::make_unique<Notifyd>(FakeProviderEnv(fake_));
        service_->Migrate();
        service_->Start();
    }

    TempDir fake_dir_;
    FakeMyOperator fake_{fake_dir_.path()};
    std::unique_ptr<Notifyd> service_;
};

TEST_F(ConcurrencyTest, TenSimultaneousImmediateSendsGiveTenMessagesAndTenProviderCalls) {
    const auto results =
        AllAtOnce(10, [&](int i) { return service_->Post("/send-message", DeliveryReminder(Phone(i))); });
    std::set<std::string> ids;
    for (const auto& r : results) {
        ASSERT_EQ(r.status, 200) << r.body;
        EXPECT_EQ(r.Json()["status"], "sent");
        ids.insert(r.Json()["id"].get<std::string>());
    }
    EXPECT_EQ(ids.size(), 10u);
    const auto received = ReceivedIds(fake_);
    EXPECT_EQ(received.size(), 10u);
    for (const auto& [id, times] : received) {
        EXPECT_EQ(times, 1) << id;
        EXPECT_TRUE(ids.count(id)) << id;
    }
    const auto stats = service_->Get("/statistics").Json();
    EXPECT_EQ(stats["total"], 10);
    EXPECT_EQ(stats["sent"], 10);
    EXPECT_EQ(stats["queued"], 0);
    EXPECT_EQ(service_->Get("/history?limit=200").Json()["items"].size(), 10u);
}

TEST_F(ConcurrencyTest, HundredSimultaneousSendsAreEachSentExactlyOnce) {
    // Half immediate, half queued for the background workers: both paths race for the provider.
    const auto results =
        AllAtOnce(100, [&](int i) { return service_->Post("/send-message", DeliveryReminder(Phone(i), i % 2 == 0)); });
    std::set<std::string> ids;
    for (const auto& r : results) {
        ASSERT_TRUE(r.status == 200 || r.status == 202) << r.body;
        ids.insert(r.Json()["id"].get<std::string>());
    }
    ASSERT_EQ(ids.size(), 100u);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (service_->Get("/statistics").Json()["sent"] != 100 && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    const auto stats = service_->Get("/statistics").Json();
    EXPECT_EQ(stats["total"], 100);
    EXPECT_EQ(stats["sent"], 100);
    EXPECT_EQ(stats["queued"], 0);
    const auto received = ReceivedIds(fake_);
    EXPECT_EQ(received.size(), 100u);
    for (const auto& [id, times] : received) EXPECT_EQ(times, 1) << "sent more than once: " << id;
    EXPECT_EQ(HttpCall("GET", service_->api("/health")).Json()["queue_depth"], 0);
}

TEST_F(ConcurrencyTest, SimultaneousRequestsWithOneIdempotencyKeyMakeOneMessage) {
    auto body = DeliveryReminder();
    body["idempotency_key"] = "payment-77-received";
    const auto results = AllAtOnce(20, [&](int) { return service_->Post("/send-message", body); });
    std::set<std::string> ids;
    for (const auto& r : results) {
        ASSERT_TRUE(r.status == 200 || r.status == 202) << r.body;
        ids.insert(r.Json()["id"].get<std::string>());
    }
    EXPECT_EQ(ids.size(), 1u);
    EXPECT_TRUE(service_->WaitForStatus(*ids.begin(), "sent"));
    EXPECT_EQ(fake_.RequestCount(), 1);
    EXPECT_EQ(service_->Get("/statistics").Json()["total"], 1);
}

TEST(CrashTest, AfterKill9EveryAcceptedMessageIsStillSent) {
    TempDir fake_dir;
    FakeMyOperator fake(fake_dir.path());
    fake.Start();
    // Slow answers keep sends in flight when the process dies.
    fake.SetMode({{"mode", "slow"}, {"delay_ms", 300}});
    Notifyd service(FakeProviderEnv(fake));
    service.Migrate();
    service.Start();

    constexpr int kMessages = 30;
    std::set<std::string> accepted;
    for (int i = 0; i < kMessages; ++i) {
        const auto r = service.Post("/send-message", DeliveryReminder(Phone(i), false));
        ASSERT_EQ(r.status, 202) << r.body;
        accepted.insert(r.Json()["id"].get<std::string>());
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (fake.RequestCount() < 6 && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    EXPECT_EQ(service.Stop(SIGKILL), 128 + SIGKILL);
    const int sent_before_kill = fake.RequestCount();
    ASSERT_LT(sent_before_kill, kMessages) << "the kill came too late to test anything";

    fake.SetMode({{"mode", "ok"}});
    service.Start();
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (service.Get("/statistics").Json()["sent"] != kMessages && std::chrono::steady_clock::now() < until) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    EXPECT_EQ(service.Get("/statistics").Json()["sent"], kMessages);
    const auto received = ReceivedIds(fake);
    int repeats = 0;
    for (const auto& id : accepted) {
        ASSERT_TRUE(received.count(id)) << "never sent: " << id;
        repeats += received.at(id) - 1;
    }
    // Only sends in flight at the kill may repeat: at most one per worker.
    EXPECT_LE(repeats, 4);
    EXPECT_EQ(received.size(), accepted.size());
}

}  // namespace
}  // namespace notify::testing
