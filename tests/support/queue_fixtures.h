#pragma once

// The clock start, messages and processor options that the tests of the dispatcher, the queue
// processor and the send service share (with support/scripted_provider.h and
// support/temp_sqlite_store.h).

#include <string>

#include "common/clock.h"
#include "notify/model.h"
#include "queue/processor.h"

namespace notify::test_support {

// Where their ManualClock starts.
inline constexpr TimeMs kStart = 1'800'000'000'000;

// A "welcome" message to `phone` created at `now`, as send-message would store it.
inline Message WelcomeMessage(const std::string& id, const std::string& phone, TimeMs now) {
    Message m;
    m.id = id;
    m.phone = phone;
    m.message_type = "welcome";
    m.provider_template_name = "welcome";
    m.language = "en";
    m.parameters = {"Asha"};
    m.context_json = R"({"customer_name":"Asha"})";
    m.created_at = m.updated_at = now;
    return m;
}

// A processor `owner` with `concurrency` workers, leases of `lease_ms` and a one-second send budget.
inline ProcessorOptions TestProcessorOptions(int concurrency, TimeMs lease_ms, std::string owner = "test") {
    ProcessorOptions options;
    options.concurrency = concurrency;
    options.lease_ms = lease_ms;
    options.send_budget_ms = 1000;
    options.owner = std::move(owner);
    return options;
}

}  // namespace notify::test_support
