#include "providers/sandbox.h"

namespace notify {

SendOutcome SandboxProvider::Send(const OutboundMessage& message) {
    sent_count_.fetch_add(1);
    SendOutcome outcome;
    outcome.kind = SendOutcome::Kind::kAccepted;
    outcome.http_status = 200;
    outcome.provider_message_id = "sandbox-" + message.id;
    return outcome;
}

}  // namespace notify
