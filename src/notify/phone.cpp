#include "notify/phone.h"

#include <phonenumbers/logger.h>
#include <phonenumbers/phonenumber.pb.h>
#include <phonenumbers/phonenumberutil.h>

#include <algorithm>
#include <array>
#include <functional>
#include <mutex>
#include <unordered_map>

#include "common/errors.h"

namespace notify {
namespace {

using i18n::phonenumbers::PhoneNumber;
using i18n::phonenumbers::PhoneNumberUtil;

const PhoneNumberUtil& Util() {
    static std::once_flag once;
    std::call_once(once, [] {
        // libphonenumber logs parse failures to stdout by default; they are expected input errors here.
        PhoneNumberUtil::GetInstance()->SetLogger(new i18n::phonenumbers::NullLogger());
    });
    return *PhoneNumberUtil::GetInstance();
}

// E.164: at most 15 digits, country code included.
constexpr std::size_t kMaxE164Digits = 15;

bool HasOnlyPhoneCharacters(std::string_view text) {
    return std::all_of(text.begin(), text.end(), [](char c) {
        return (c >= '0' && c <= '9') || c == ' ' || c == '-' || c == '.' || c == '(' || c == ')' || c == '+';
    });
}

// Numbers that passed the full parse, by region and text. Sharded so that handler threads rarely
// meet on one lock; a full shard is emptied, so memory stays bounded whatever callers send. Only
// valid numbers are kept: malformed input never takes a place.
class ValidatedPhones {
public:
    std::optional<Phone> Find(const std::string& key) {
        Shard& shard = ShardFor(key);
        std::lock_guard lock(shard.mutex);
        const auto found = shard.phones.find(key);
        if (found == shard.phones.end()) return std::nullopt;
        return found->second;
    }

    void Remember(std::string key, const Phone& phone) {
        Shard& shard = ShardFor(key);
        std::lock_guard lock(shard.mutex);
        if (shard.phones.size() >= kPerShard) shard.phones.clear();
        shard.phones.emplace(std::move(key), phone);
    }

private:
    static constexpr std::size_t kShards = 16;
    static constexpr std::size_t kPerShard = 4096;  // 65,536 numbers in all, a few MB
    struct Shard {
        std::mutex mutex;
        std::unordered_map<std::string, Phone> phones;
    };
    Shard& ShardFor(const std::string& key) { return shards_[std::hash<std::string>{}(key) % kShards]; }

    std::array<Shard, kShards> shards_;
};

ValidatedPhones& Validated() {
    static ValidatedPhones phones;
    return phones;
}

// India, the business's market: "+91" and ten digits, the first not 0. For exactly this shape
// libphonenumber's Parse yields country code 91 and the ten digits as the national number (there
// is no national prefix to strip, and no leading zero), so only the validation is left to run; it
// is a third of the full parse's cost. ParsePhoneFast.AgreesWithTheFullParse checks the answers
// against ParsePhoneUncached.
constexpr std::string_view kIndiaPrefix = "+91";
constexpr std::size_t kIndiaNationalDigits = 10;

bool IsPlainIndianE164(std::string_view text) {
    if (text.size() != kIndiaPrefix.size() + kIndiaNationalDigits || !text.starts_with(kIndiaPrefix)) return false;
    const std::string_view national = text.substr(kIndiaPrefix.size());
    return national.front() != '0' &&
           std::all_of(national.begin(), national.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

std::optional<Phone> ParsePhone(std::string_view text, std::string_view default_region) {
    // Cheap refusals first: no key is built for what cannot be a number.
    if (text.empty() || text.size() > 32 || !HasOnlyPhoneCharacters(text)) return std::nullopt;
    std::string key;
    key.reserve(default_region.size() + 1 + text.size());
    key.append(default_region).append(1, '|').append(text);  // '|' is in neither a region nor a number
    if (auto known = Validated().Find(key)) return known;
    auto phone = IsPlainIndianE164(text) ? ValidatePlainIndianE164(text) : ParsePhoneUncached(text, default_region);
    if (phone) Validated().Remember(std::move(key), *phone);
    return phone;
}

bool IsSupportedRegion(std::string_view region) { return Util().GetCountryCodeForRegion(std::string(region)) != 0; }

std::optional<Phone> ParsePhoneUncached(std::string_view text, std::string_view default_region) {
    // libphonenumber also reads letters (vanity numbers) and extensions; a customer's WhatsApp
    // number has neither, so anything but digits and separators is refused up front.
    if (text.empty() || text.size() > 32 || !HasOnlyPhoneCharacters(text)) return std::nullopt;
    const std::size_t plus = text.find('+');
    if (plus != std::string_view::npos &&
        (plus != text.find_first_not_of(' ') || text.find('+', plus + 1) != std::string_view::npos)) {
        return std::nullopt;  // '+' only as the first character
    }
    const auto& util = Util();
    PhoneNumber number;
    if (util.Parse(std::string(text), std::string(default_region), &number) != PhoneNumberUtil::NO_PARSING_ERROR) {
        return std::nullopt;
    }
    if (!util.IsValidNumber(number)) return std::nullopt;
    Phone phone;
    util.Format(number, PhoneNumberUtil::E164, &phone.e164);
    // libphonenumber's metadata accepts some numbers longer than E.164 allows (German fixed lines
    // with a 15-digit national number); WhatsApp cannot reach them, and no webhook could name them.
    if (phone.e164.size() > 1 + kMaxE164Digits) return std::nullopt;
    phone.country_code = std::to_string(number.country_code());
    util.GetNationalSignificantNumber(number, &phone.national_number);
    return phone;
}

std::optional<Phone> ValidatePlainIndianE164(std::string_view text) {
    if (!IsPlainIndianE164(text)) return std::nullopt;
    const std::string_view national = text.substr(kIndiaPrefix.size());
    std::uint64_t value = 0;
    for (char c : national) value = value * 10 + static_cast<std::uint64_t>(c - '0');
    PhoneNumber number;
    number.set_country_code(91);
    number.set_national_number(value);
    if (!Util().IsValidNumber(number)) return std::nullopt;
    return Phone{std::string(text), "91", std::string(national)};
}

Phone ParsePhoneOrThrow(std::string_view text, std::string_view default_region, const std::string& field) {
    auto phone = ParsePhone(text, default_region);
    if (!phone) {
        throw InvalidInput("invalid_phone",
                           "not a valid phone number; use E.164 such as +919876543210 or a national number of " +
                               std::string(default_region),
                           field);
    }
    return *phone;
}

std::optional<Phone> SplitE164(std::string_view e164) {
    // E.164: '+', then at most 15 digits; country calling codes are 1 to 3 digits and prefix-free,
    // so at most one prefix of the digits is an assigned code.
    if (e164.size() < 3 || e164.size() > 16 || e164.front() != '+') return std::nullopt;
    const std::string_view digits = e164.substr(1);
    if (!std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) return std::nullopt;
    if (digits.front() == '0') return std::nullopt;
    const auto& util = Util();
    for (std::size_t length = 1; length <= 3 && length < digits.size(); ++length) {
        int code = 0;
        for (char c : digits.substr(0, length)) code = code * 10 + (c - '0');
        std::string region;
        util.GetRegionCodeForCountryCode(code, &region);
        if (region == "ZZ") continue;  // not an assigned code
        Phone phone;
        phone.e164 = std::string(e164);
        phone.country_code = std::string(digits.substr(0, length));
        phone.national_number = std::string(digits.substr(length));
        return phone;
    }
    return std::nullopt;
}

std::string MaskPhone(std::string_view e164) {
    std::size_t cc_len = 0;
    if (auto phone = SplitE164(e164)) cc_len = phone->country_code.size();
    const std::string_view digits = e164.substr(e164.starts_with('+') ? 1 : 0);
    if (digits.size() <= cc_len + 4)
        return std::string(e164.starts_with('+') ? "+" : "") + std::string(digits.size(), '*');
    std::string out = "+";
    out.append(digits.substr(0, cc_len));
    out.append(digits.size() - cc_len - 4, '*');
    out.append(digits.substr(digits.size() - 4));
    return out;
}

}  // namespace notify
