#include "business/replies.h"

#include <array>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <vector>

#include "common/strings.h"

namespace notify {
namespace {

// Where the providers' payload shapes put the customer's words, most specific first.
constexpr std::array<std::array<const char*, 3>, 9> kReplyTextPaths = {{
    {"context", "body", nullptr},
    {"context", "payload", nullptr},
    {"context", "text", nullptr},
    {"button", "payload", nullptr},
    {"button", "text", nullptr},
    {"interactive", "button_reply", "id"},
    {"interactive", "button_reply", "title"},
    {"interactive", "list_reply", "id"},
    {"interactive", "list_reply", "title"},
}};

const nlohmann::json* Child(const nlohmann::json* node, const char* key) {
    if (node == nullptr || !node->is_object()) return nullptr;
    const auto it = node->find(key);
    return it == node->end() ? nullptr : &*it;
}

// Button ids such as "pause_3" separate their words with '_' or '-'.
constexpr std::string_view kWordSeparators = " \t\r\n\v\f_-";
constexpr std::string_view kPunctuation = ".,!?";

std::vector<std::string_view> Words(std::string_view text) {
    std::vector<std::string_view> words;
    std::size_t pos = 0;
    while ((pos = text.find_first_not_of(kWordSeparators, pos)) != std::string_view::npos) {
        const std::size_t end = text.find_first_of(kWordSeparators, pos);
        const std::string_view word = Trim(text.substr(pos, end - pos), kPunctuation);
        if (!word.empty()) words.push_back(word);
        if (end == std::string_view::npos) break;
        pos = end;
    }
    return words;
}

bool AllDigits(std::string_view text) { return text.find_first_not_of("0123456789") == std::string_view::npos; }

// PAUSE's number, whether written apart ("pause 3") or joined to it ("pause3"). nullopt when it is
// missing, not a number or out of range, so the customer gets the help text.
std::optional<int> PauseDays(std::string_view joined, const std::vector<std::string_view>& words) {
    std::string_view number = joined;
    if (number.empty() && words.size() > 1) number = words[1];
    // Three digits are enough to see that a number is out of range, and never overflow.
    if (number.empty() || !AllDigits(number) || number.size() > 3) return std::nullopt;
    int days = 0;
    for (char c : number) days = days * 10 + (c - '0');
    if (days < 1 || days > kMaxPauseDays) return std::nullopt;
    return days;
}

}  // namespace

std::optional<std::string> ReplyText(const nlohmann::json& payload) {
    const nlohmann::json* data = Child(&payload, "data");
    for (const auto& path : kReplyTextPaths) {
        const nlohmann::json* node = data;
        for (const char* key : path) {
            if (key != nullptr) node = Child(node, key);
        }
        if (node != nullptr && node->is_string() && !node->get_ref<const std::string&>().empty()) {
            return node->get<std::string>();
        }
    }
    return std::nullopt;
}

ParsedReply ParseReply(std::string_view text) {
    const std::string lower = AsciiLower(text);
    const std::vector<std::string_view> words = Words(lower);
    if (words.empty()) return {};
    const std::string_view first = words.front();
    if (first == "skip") return {ReplyCommand::kSkip};
    if (first == "resume") return {ReplyCommand::kResume};
    if (first == "stop" || first == "unsubscribe") return {ReplyCommand::kStop};
    if (first == "start") return {ReplyCommand::kStart};
    if (first == "help") return {ReplyCommand::kHelp};
    constexpr std::string_view kPause = "pause";
    if (first.starts_with(kPause)) {
        const std::string_view joined = first.substr(kPause.size());
        if (!joined.empty() && !AllDigits(joined)) return {};  // "paused", "pausefor": not the word
        const std::optional<int> days = PauseDays(joined, words);
        if (!days) return {ReplyCommand::kHelp};
        return {ReplyCommand::kPause, *days};
    }
    return {};
}

std::string_view ToString(ReplyCommand command) {
    switch (command) {
        case ReplyCommand::kSkip:
            return "skip";
        case ReplyCommand::kPause:
            return "pause";
        case ReplyCommand::kResume:
            return "resume";
        case ReplyCommand::kStop:
            return "stop";
        case ReplyCommand::kStart:
            return "start";
        case ReplyCommand::kHelp:
            return "help";
        case ReplyCommand::kOther:
            break;
    }
    return "other";
}

Date NextDeliveryDay(TimeMs now, std::string_view zone, int order_cutoff_minute) {
    const LocalTime local = ToLocalTime(now, zone);
    return AddDays(local.date, local.minute_of_day >= order_cutoff_minute ? 2 : 1);
}

PauseRange PauseFor(Date next_delivery_day, int days) {
    if (days < 1) throw std::invalid_argument("a pause lasts at least one day");
    return PauseRange{next_delivery_day, AddDays(next_delivery_day, days - 1)};
}

std::string ReplyHelpText(std::string_view language) {
    if (language == "hi") {
        return "अगली डिलीवरी छोड़ने के लिए SKIP, 3 दिन के लिए रोकने के लिए PAUSE 3 (60 दिन तक), डिलीवरी फिर से "
               "शुरू करने के लिए RESUME, WhatsApp संदेश बंद करने के लिए STOP और दोबारा पाने के लिए START भेजें।";
    }
    return "Reply SKIP to skip your next delivery, PAUSE 3 to pause for 3 days (up to 60), RESUME to restart "
           "deliveries, STOP to stop WhatsApp messages, START to get them again.";
}

}  // namespace notify
