#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace notify {

struct OutboundMessage {
    std::string id;                       // our message id, sent as myop_ref_id
    std::string country_code;             // digits, no '+', e.g. "91"
    std::string national_number;          // digits, e.g. "9876543210"
    std::string template_name;            // provider's template name
    std::string language;                 // e.g. "en"
    std::vector<std::string> parameters;  // body parameters "1", "2", ...
    // Set: a free-text message (data.type "text", inside the 24-hour window); the template fields
    // above are then not sent.
    std::optional<std::string> text;
};

struct SendOutcome {
    enum class Kind { kAccepted, kRetryable, kPermanent };
    Kind kind = Kind::kRetryable;
    std::string provider_message_id;                  // set when accepted
    std::optional<std::chrono::seconds> retry_after;  // from Retry-After, when given
    int http_status = 0;                              // 0 when no HTTP response came back
    std::string error;                                // provider's code and message, for people; no secrets
    bool stops_all_sending = false;                   // wallet empty, number disabled, bad credentials
};

// "accepted", "retryable" or "permanent": for logs and metric labels.
inline std::string_view ToString(SendOutcome::Kind kind) {
    switch (kind) {
        case SendOutcome::Kind::kAccepted:
            return "accepted";
        case SendOutcome::Kind::kRetryable:
            return "retryable";
        case SendOutcome::Kind::kPermanent:
            return "permanent";
    }
    return "unknown";
}

// The one I/O seam to the WhatsApp provider. Implementations must be thread-safe, must never
// throw for provider or network failures (they are outcomes), and must bound every call by the
// configured timeout.
class Provider {
public:
    virtual ~Provider() = default;
    virtual std::string Name() const = 0;  // "myoperator" or "sandbox"
    virtual SendOutcome Send(const OutboundMessage& message) = 0;
};

}  // namespace notify
