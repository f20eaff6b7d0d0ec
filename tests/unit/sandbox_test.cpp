#include "providers/sandbox.h"

#include <gtest/gtest.h>

namespace notify {
namespace {

TEST(SandboxProvider, AcceptsTemplateAndFreeTextMessagesAlike) {
    SandboxProvider sandbox;
    OutboundMessage message;
    message.id = "m1";
    message.template_name = "welcome";
    message.parameters = {"Asha"};
    EXPECT_EQ(sandbox.Send(message).kind, SendOutcome::Kind::kAccepted);

    OutboundMessage text;
    text.id = "m2";
    text.text = "Reply SKIP, PAUSE 3 or RESUME.";
    const SendOutcome outcome = sandbox.Send(text);
    EXPECT_EQ(outcome.kind, SendOutcome::Kind::kAccepted);
    EXPECT_EQ(outcome.provider_message_id, "sandbox-m2");
    EXPECT_EQ(sandbox.sent_count(), 2u);
}

}  // namespace
}  // namespace notify
