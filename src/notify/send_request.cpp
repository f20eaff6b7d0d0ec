#include "notify/send_request.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "common/errors.h"

namespace notify {

SendRequest ParseSendRequest(const nlohmann::json& body, std::string_view default_region) {
    if (!body.is_object()) throw InvalidInput("invalid_body", "request body must be a JSON object");
    SendRequest request;

    if (!body.contains("phone") || body["phone"].is_null()) {
        throw InvalidInput("missing_field", "phone is required", "phone");
    }
    if (!body["phone"].is_string()) throw InvalidInput("invalid_phone", "phone must be a string", "phone");
    request.phone = ParsePhoneOrThrow(body["phone"].get<std::string>(), default_region, "phone");

    if (!body.contains("message_type") || body["message_type"].is_null()) {
        throw InvalidInput("missing_field", "message_type is required", "message_type");
    }
    if (!body["message_type"].is_string()) {
        throw InvalidInput("invalid_field", "message_type must be a string", "message_type");
    }
    request.message_type = body["message_type"].get<std::string>();

    request.context = ParseContext(body.contains("context") ? body["context"] : nlohmann::json());

    if (body.contains("immediate") && !body["immediate"].is_null()) {
        if (!body["immediate"].is_boolean()) {
            throw InvalidInput("invalid_field", "immediate must be true or false", "immediate");
        }
        request.immediate = body["immediate"].get<bool>();
    }

    if (body.contains("idempotency_key") && !body["idempotency_key"].is_null()) {
        const auto& key = body["idempotency_key"];
        if (!key.is_string())
            throw InvalidInput("invalid_field", "idempotency_key must be a string", "idempotency_key");
        std::string value = key.get<std::string>();
        const bool printable = std::all_of(value.begin(), value.end(), [](char c) { return c >= 0x21 && c <= 0x7e; });
        if (value.empty() || value.size() > 128 || !printable) {
            throw InvalidInput("invalid_field",
                               "idempotency_key must be 1 to 128 printable ASCII characters, no spaces",
                               "idempotency_key");
        }
        request.idempotency_key = std::move(value);
    }

    if (std::string language = ParseOptionalLanguage(body); !language.empty()) request.language = std::move(language);
    return request;
}

}  // namespace notify
