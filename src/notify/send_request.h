#pragma once

#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "notify/phone.h"
#include "notify/templates.h"

namespace notify {

struct SendRequest {
    Phone phone;
    std::string message_type;
    Context context;
    bool immediate = false;
    std::optional<std::string> idempotency_key;
    // The variant to send (SelectVariant: a language the template lacks falls back to en, then to
    // its default); none: the template's default.
    std::optional<std::string> language;
};

// Validates the shape of a send-message body (types, phone, context values); unknown fields are
// ignored. Whether message_type names a template is the caller's question (it needs the store).
SendRequest ParseSendRequest(const nlohmann::json& body, std::string_view default_region);

}  // namespace notify
