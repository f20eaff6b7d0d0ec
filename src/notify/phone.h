#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace notify {

struct Phone {
    std::string e164;             // "+919876543210"
    std::string country_code;     // "91"
    std::string national_number;  // "9876543210"
};

// E.164, or a national number of default_region ("IN"); spaces, dashes, dots and parentheses
// allowed. nullopt for anything libphonenumber does not consider a valid number.
// Valid numbers are remembered (bounded, per text and region): libphonenumber's parse was a
// quarter of the cost of accepting a message, and a business writes to the same customers again.
// The answer is always ParsePhoneUncached's.
std::optional<Phone> ParsePhone(std::string_view text, std::string_view default_region);

// The full libphonenumber parse and validation, every time.
std::optional<Phone> ParsePhoneUncached(std::string_view text, std::string_view default_region);

// "+91" and ten digits, the first not 0, validated without libphonenumber's parse (the answer is
// ParsePhoneUncached's for every such text); nullopt for any other text or an invalid number.
std::optional<Phone> ValidatePlainIndianE164(std::string_view text);

// Same as ParsePhone but throws invalid_phone naming `field`.
Phone ParsePhoneOrThrow(std::string_view text, std::string_view default_region, const std::string& field);

// "+919876543210" -> "+91******3210": country code and the last four digits stay visible.
// A stored E.164 number split into country code and national number, without validating the
// national part again (it was validated when the message was accepted): libphonenumber's full
// parse costs tens of microseconds, this a table lookup. Nullopt when it is not E.164 with an
// assigned country code.
std::optional<Phone> SplitE164(std::string_view e164);

std::string MaskPhone(std::string_view e164);

bool IsSupportedRegion(std::string_view region);

}  // namespace notify
