#include "notify/phone.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/errors.h"

namespace notify {
namespace {

std::string E164(std::string_view text, std::string_view region = "IN") {
    const auto phone = ParsePhone(text, region);
    return phone ? phone->e164 : "<invalid>";
}

// ---------------------------------------------------------------------------------------------
// ParsePhone

TEST(ParsePhone, AcceptsE164AndSplitsItsParts) {
    const auto phone = ParsePhone("+919876543210", "IN");
    ASSERT_TRUE(phone);
    EXPECT_EQ(phone->e164, "+919876543210");
    EXPECT_EQ(phone->country_code, "91");
    EXPECT_EQ(phone->national_number, "9876543210");
}

TEST(ParsePhone, ReadsANationalNumberInTheDefaultRegion) { EXPECT_EQ(E164("9876543210"), "+919876543210"); }

TEST(ParsePhone, DropsTheIndianTrunkPrefixZero) {
    // libphonenumber strips the national prefix 0 for IN, so these are the same number.
    EXPECT_EQ(E164("09876543210"), "+919876543210");
    EXPECT_EQ(E164("098765 43210"), "+919876543210");
}

TEST(ParsePhone, AcceptsSpacesDashesDotsAndParentheses) {
    EXPECT_EQ(E164("+91 98765-43210"), "+919876543210");
    EXPECT_EQ(E164("+91 98765 43210"), "+919876543210");
    EXPECT_EQ(E164("98765.43210"), "+919876543210");
    EXPECT_EQ(E164("+91 (98765) 43210"), "+919876543210");
}

TEST(ParsePhone, ToleratesSurroundingSpaces) {
    EXPECT_EQ(E164(" +919876543210"), "+919876543210");
    EXPECT_EQ(E164("+919876543210 "), "+919876543210");
}

TEST(ParsePhone, ReadsTheCountryCodeWithoutPlusOrWithInternationalPrefix) {
    EXPECT_EQ(E164("919876543210"), "+919876543210");
    EXPECT_EQ(E164("00919876543210"), "+919876543210");
}

TEST(ParsePhone, AcceptsNumbersOfOtherRegionsInE164) {
    const auto us = ParsePhone("+14155552671", "IN");
    ASSERT_TRUE(us);
    EXPECT_EQ(us->e164, "+14155552671");
    EXPECT_EQ(us->country_code, "1");
    EXPECT_EQ(us->national_number, "4155552671");
    EXPECT_EQ(E164("+1 415 555 2671"), "+14155552671");
    EXPECT_EQ(E164("+447911123456"), "+447911123456");
}

TEST(ParsePhone, ReadsNationalNumbersOfAnotherDefaultRegion) {
    EXPECT_EQ(E164("4155552671", "US"), "+14155552671");
    EXPECT_EQ(E164("(415) 555-2671", "US"), "+14155552671");
}

TEST(ParsePhone, RejectsLetters) {
    EXPECT_FALSE(ParsePhone("98765abcde", "IN"));
    EXPECT_FALSE(ParsePhone("+91 98765 4321O", "IN"));  // letter O for zero
    EXPECT_FALSE(ParsePhone("1-800-FLOWERS", "US"));    // vanity numbers are not WhatsApp numbers
}

TEST(ParsePhone, RejectsExtensions) {
    EXPECT_FALSE(ParsePhone("+919876543210 ext. 12", "IN"));
    EXPECT_FALSE(ParsePhone("+919876543210#12", "IN"));
}

TEST(ParsePhone, RejectsTooShortNumbers) {
    EXPECT_FALSE(ParsePhone("12345", "IN"));
    EXPECT_FALSE(ParsePhone("+91 12345", "IN"));
    EXPECT_FALSE(ParsePhone("+91987654321", "IN"));  // one digit short
}

TEST(ParsePhone, RejectsTooLongNumbers) {
    EXPECT_FALSE(ParsePhone("+9198765432100", "IN"));
    EXPECT_FALSE(ParsePhone(std::string(40, '9'), "IN"));
}

// Found by fuzz_phone (fuzz/corpus/phone/regress-longer-than-e164): libphonenumber calls this German
// number valid, but with its 15-digit national number it has 17 digits, more than E.164 allows.
TEST(ParsePhone, RejectsNumbersLongerThanFifteenDigits) {
    EXPECT_EQ(E164("0669876543210719", "DE"), "<invalid>");
    EXPECT_EQ(E164("+49669876543210719", "IN"), "<invalid>");
    EXPECT_EQ(E164("+4966987654321071", "IN"), "<invalid>");  // sixteen digits
    // Fifteen digits are fine.
    EXPECT_EQ(E164("+496698765432107", "IN"), "+496698765432107");
}

TEST(ParsePhone, RejectsEmptyAndBlank) {
    EXPECT_FALSE(ParsePhone("", "IN"));
    EXPECT_FALSE(ParsePhone("   ", "IN"));
    EXPECT_FALSE(ParsePhone("+", "IN"));
}

TEST(ParsePhone, RejectsADoublePlus) { EXPECT_FALSE(ParsePhone("++919876543210", "IN")); }

TEST(ParsePhone, RejectsAPlusAnywhereButTheStart) {
    EXPECT_FALSE(ParsePhone("+91+9876543210", "IN"));
    EXPECT_FALSE(ParsePhone("91+9876543210", "IN"));
    EXPECT_FALSE(ParsePhone("9876543210+", "IN"));
}

TEST(ParsePhone, RejectsControlCharactersAndNonAscii) {
    EXPECT_FALSE(ParsePhone(std::string("+9198765\0"
                                        "43210",
                                        14),
                            "IN"));
    EXPECT_FALSE(ParsePhone("+91\n9876543210", "IN"));
    EXPECT_FALSE(ParsePhone("+９１９８７６５４３２１０", "IN"));  // full-width digits
}

TEST(ParsePhone, RejectsAnUnknownCountryCode) { EXPECT_FALSE(ParsePhone("+999123456789", "IN")); }

TEST(ParsePhone, RejectsANationalNumberWithoutAUsableRegion) { EXPECT_FALSE(ParsePhone("9876543210", "ZZ")); }

// ---------------------------------------------------------------------------------------------
// ParsePhoneOrThrow

TEST(ParsePhoneOrThrow, ReturnsTheParsedNumber) {
    EXPECT_EQ(ParsePhoneOrThrow("+91 98765-43210", "IN", "phone").e164, "+919876543210");
}

TEST(ParsePhoneOrThrow, ThrowsInvalidPhoneNamingTheField) {
    try {
        ParsePhoneOrThrow("not a phone", "IN", "recipient");
        FAIL() << "expected invalid_phone";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::kInvalidInput);
        EXPECT_EQ(e.code(), "invalid_phone");
        EXPECT_EQ(e.field(), "recipient");
    }
}

// ---------------------------------------------------------------------------------------------
// MaskPhone

TEST(MaskPhone, KeepsCountryCodeAndLastFourDigits) { EXPECT_EQ(MaskPhone("+919876543210"), "+91******3210"); }

TEST(MaskPhone, UsesTheRealCountryCodeLength) {
    EXPECT_EQ(MaskPhone("+14155552671"), "+1******2671");
    EXPECT_EQ(MaskPhone("+447911123456"), "+44******3456");
}

TEST(MaskPhone, HidesEverythingOfAVeryShortValue) {
    EXPECT_EQ(MaskPhone("+12"), "+**");
    EXPECT_EQ(MaskPhone("+9198"), "+****");
    EXPECT_EQ(MaskPhone(""), "");
}

TEST(MaskPhone, NeverShowsTheMiddleDigits) {
    const std::string masked = MaskPhone("+919876543210");
    EXPECT_EQ(masked.find("98765"), std::string::npos);
    EXPECT_EQ(masked.size(), std::string("+919876543210").size());
}

// ---------------------------------------------------------------------------------------------
// IsSupportedRegion

TEST(IsSupportedRegion, AcceptsKnownRegionCodes) {
    EXPECT_TRUE(IsSupportedRegion("IN"));
    EXPECT_TRUE(IsSupportedRegion("US"));
    EXPECT_TRUE(IsSupportedRegion("GB"));
}

TEST(IsSupportedRegion, RejectsUnknownOrMalformedCodes) {
    EXPECT_FALSE(IsSupportedRegion("XX"));
    EXPECT_FALSE(IsSupportedRegion("ZZ"));
    EXPECT_FALSE(IsSupportedRegion(""));
    EXPECT_FALSE(IsSupportedRegion("IND"));
    EXPECT_FALSE(IsSupportedRegion("in"));  // callers upper-case first (see ParseConfig)
}

// ---- SplitE164

TEST(SplitE164, AgreesWithTheFullParseOnValidNumbers) {
    for (const char* number : {"+919876543210", "+14155552671", "+447911123456", "+971501234567", "+8613912345678",
                               "+35312345678", "+2348031234567", "+886912345678"}) {
        const auto full = ParsePhone(number, "ZZ");
        ASSERT_TRUE(full) << number;
        const auto split = SplitE164(number);
        ASSERT_TRUE(split) << number;
        EXPECT_EQ(split->e164, full->e164);
        EXPECT_EQ(split->country_code, full->country_code) << number;
        EXPECT_EQ(split->national_number, full->national_number) << number;
    }
}

TEST(SplitE164, RefusesWhatIsNotE164WithAnAssignedCountryCode) {
    for (const char* text : {"", "+", "+9", "919876543210", "+91 98765 43210", "+91-9876543210", "+0919876543210",
                             "+9198765432101234", "+91987654321a", "+999123456789", "++919876543210"}) {
        EXPECT_FALSE(SplitE164(text)) << text;
    }
}

void ExpectSameAnswer(const std::optional<Phone>& got, const std::optional<Phone>& full, const std::string& what) {
    ASSERT_EQ(got.has_value(), full.has_value()) << what;
    if (!full) return;
    EXPECT_EQ(got->e164, full->e164) << what;
    EXPECT_EQ(got->country_code, full->country_code) << what;
    EXPECT_EQ(got->national_number, full->national_number) << what;
}

// The cache of validated numbers answers exactly what the full parse answers: first asked (a
// miss) and asked again (a hit), for valid and invalid numbers, written in every accepted form,
// read with different default regions.
TEST(ParsePhone, RememberedNumbersGiveExactlyTheFullParsesAnswer) {
    std::vector<std::string> texts;
    for (int i = 0; i < 400; ++i) {
        const std::string digits = std::to_string(6000000000LL + 9876543LL * i);  // 10 digits, 6..9 first
        texts.push_back("+91" + digits);
        texts.push_back(digits);
        texts.push_back("0" + digits);
        texts.push_back(digits.substr(0, 5) + " " + digits.substr(5));
        texts.push_back("+1 (" + digits.substr(0, 3) + ") " + digits.substr(3, 3) + "-" + digits.substr(6));
        texts.push_back("+44" + digits);
        texts.push_back("+9" + digits);
        texts.push_back(digits.substr(1));  // too short for most regions
        texts.push_back("+91" + digits + "1");
    }
    for (const char* region : {"IN", "US", "GB", "ZZ"}) {
        int valid = 0;
        for (const std::string& text : texts) {
            const auto full = ParsePhoneUncached(text, region);
            valid += full ? 1 : 0;
            ExpectSameAnswer(ParsePhone(text, region), full, text + " in " + region);
            ExpectSameAnswer(ParsePhone(text, region), full, text + " in " + region + ", asked again");
        }
        EXPECT_GT(valid, 100) << region;  // both answers were exercised
        EXPECT_LT(valid, static_cast<int>(texts.size())) << region;
    }
}

TEST(ValidatePlainIndianE164, AgreesWithTheFullParseOverEveryLeadingPair) {
    // Every two-digit start of an Indian national number (valid mobiles, fixed lines and the
    // unassigned ranges alike), 200 numbers each, read in two default regions.
    int valid = 0;
    int invalid = 0;
    for (long long lead = 10; lead <= 99; ++lead) {
        for (long long i = 0; i < 200; ++i) {
            const std::string text = "+91" + std::to_string(lead * 100000000LL + (i * 4999999LL) % 100000000LL);
            ASSERT_EQ(text.size(), 13u) << text;
            const auto fast = ValidatePlainIndianE164(text);
            (fast ? valid : invalid) += 1;
            for (const char* region : {"IN", "US"}) {
                ExpectSameAnswer(fast, ParsePhoneUncached(text, region), text + " in " + region);
            }
        }
    }
    EXPECT_GT(valid, 1000);
    EXPECT_GT(invalid, 1000);
}

TEST(ValidatePlainIndianE164, TakesOnlyPlusNinetyOneAndTenDigitsNotStartingWithZero) {
    EXPECT_TRUE(ValidatePlainIndianE164("+919876543210"));
    for (const char* other : {"919876543210", "+91 9876543210", "+9109876543210", "+91987654321", "+9198765432100",
                              "+449876543210", "+91987654321x", ""}) {
        EXPECT_FALSE(ValidatePlainIndianE164(other)) << other;
    }
}

TEST(ParsePhone, ANumberValidInOneRegionIsNotRememberedForAnother) {
    ASSERT_TRUE(ParsePhone("9876543210", "IN"));
    EXPECT_EQ(ParsePhone("9876543210", "IN")->e164, "+919876543210");
    ExpectSameAnswer(ParsePhone("9876543210", "US"), ParsePhoneUncached("9876543210", "US"), "9876543210 in US");
    EXPECT_FALSE(ParsePhone("9876543210", "ZZ"));
}

}  // namespace
}  // namespace notify
