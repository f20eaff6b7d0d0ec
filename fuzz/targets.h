#pragma once

// The bodies of the fuzz targets, as plain functions: fuzz/fuzz_<name>.cpp hands them libFuzzer's
// input, tests/unit/fuzz_corpus_replay_test.cpp hands them every file of fuzz/corpus/<name>/.
//
// Each one feeds the bytes to the same code the service runs on a request and accepts only the
// expected failures (notify::Error of kind kInvalidInput, which the API answers with a 400).
// Anything else escapes: another exception, a sanitizer report, or a broken invariant, which
// throws InvariantViolation. Every function returns 0 (libFuzzer's "keep going").

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

namespace notify::fuzz {

class InvariantViolation : public std::logic_error {
public:
    explicit InvariantViolation(const std::string& what) : std::logic_error(what) {}
};

// POST /send-message: raw body -> ParseJsonObjectBody -> ParseSendRequest -> RenderTemplate with the
// contract's ten templates -> the context as stored (JSON text).
int FuzzSendRequest(const std::uint8_t* data, std::size_t size);

// POST /webhooks/myoperator: raw body -> ParseWebhookEvent; for inbound events the STOP/START
// keyword and the customer's number as the handler derives them. The raw bytes also go through
// ClassifyInboundText and CustomerIdentifierToE164 directly.
int FuzzWebhookEvent(const std::uint8_t* data, std::size_t size);

// ParsePhone / ParsePhoneOrThrow / MaskPhone. The first byte picks the default region, the rest
// is the number as a caller writes it.
int FuzzPhone(const std::uint8_t* data, std::size_t size);

// Templates: a JSON object that is both a PUT /templates patch (body, variables, ...) applied to a
// one-variable template and, under "context", a send-message context; the result is rendered.
int FuzzTemplateRender(const std::uint8_t* data, std::size_t size);

}  // namespace notify::fuzz
