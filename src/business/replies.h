#pragma once

#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "business/local_time.h"
#include "common/clock.h"

namespace notify {

// The text of a customer's reply in a message.received payload: the first present, non-empty
// string of payload.data.context.body, payload.data.context.payload, payload.data.context.text,
// payload.data.button.payload, payload.data.button.text,
// payload.data.interactive.button_reply.id, .title, payload.data.interactive.list_reply.id,
// .title (myoperator-api.md, "Customer replies and buttons"). nullopt when none is (media).
// `payload` is the envelope's "payload"; anything that is not an object yields nullopt.
std::optional<std::string> ReplyText(const nlohmann::json& payload);

// What a reply asks for. The text's first word decides, in any case, after trimming spaces and
// punctuation: "skip", "Skip please" -> kSkip; "PAUSE 3", "pause 3 days", "Pause3" -> kPause with
// days 3 (1 to 60; a PAUSE with no number or one out of range is kHelp, so the customer is told the
// words); "resume" -> kResume; "stop", "unsubscribe" -> kStop; "start" -> kStart; "help" -> kHelp;
// anything else (or empty) -> kOther. '_' and '-' separate words like spaces do, so a button id such
// as "pause_3" or "pause-3" reads as PAUSE 3. The first word must be the whole command word
// ("skipping" is kOther).
enum class ReplyCommand { kSkip, kPause, kResume, kStop, kStart, kHelp, kOther };
struct ParsedReply {
    ReplyCommand command = ReplyCommand::kOther;
    int days = 0;  // kPause only
};
ParsedReply ParseReply(std::string_view text);
std::string_view ToString(ReplyCommand command);  // "skip", "pause", ...

inline constexpr int kMaxPauseDays = 60;

// The next delivery day for a reply at `now`: tomorrow in `zone`, or the day after when the wall
// clock there is at or past `order_cutoff_minute` (the order for tomorrow is already made).
Date NextDeliveryDay(TimeMs now, std::string_view zone, int order_cutoff_minute);

// The inclusive pause a SKIP (days = 1) or PAUSE N asks for: from the next delivery day, `days`
// delivery days (every day is a delivery day for a daily subscription). `days` below 1 is a broken
// invariant (ParseReply never yields one) and throws std::invalid_argument.
struct PauseRange {
    Date from{};
    Date until{};
};
PauseRange PauseFor(Date next_delivery_day, int days);

// The help text sent back inside the 24-hour window, in the customer's language ("en", "hi";
// anything else gets English). Lists the words; short enough for one WhatsApp message.
std::string ReplyHelpText(std::string_view language);

}  // namespace notify
