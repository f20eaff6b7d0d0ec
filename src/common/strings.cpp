#include "common/strings.h"

namespace notify {

std::string_view Trim(std::string_view text, std::string_view strip) {
    const std::size_t first = text.find_first_not_of(strip);
    if (first == std::string_view::npos) return {};
    const std::size_t last = text.find_last_not_of(strip);
    return text.substr(first, last - first + 1);
}

std::string AsciiLower(std::string_view text) {
    std::string out(text);
    for (char& c : out) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    return out;
}

std::string_view TruncateUtf8(std::string_view text, std::size_t max_bytes) {
    if (text.size() <= max_bytes) return text;
    std::size_t cut = max_bytes;
    // Back off continuation bytes (10xxxxxx): the character they belong to does not fit whole.
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
    return text.substr(0, cut);
}

}  // namespace notify
