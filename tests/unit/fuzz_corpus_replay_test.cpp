// Runs every file of the committed fuzz corpora (fuzz/corpus/<target>/) through its fuzz target,
// so that the regular build, without clang or libFuzzer, replays them: a crash or a broken
// invariant that the fuzzers once found stays fixed. See docs/fuzzing.md.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "../../fuzz/targets.h"

#ifndef NOTIFY_FUZZ_CORPUS_DIR
#error "NOTIFY_FUZZ_CORPUS_DIR must name fuzz/corpus (CMakeLists.txt sets it)"
#endif

namespace notify {
namespace {

using FuzzTarget = int (*)(const std::uint8_t*, std::size_t);

std::vector<std::filesystem::path> CorpusFiles(const std::string& target) {
    const std::filesystem::path dir = std::filesystem::path(NOTIFY_FUZZ_CORPUS_DIR) / target;
    std::vector<std::filesystem::path> files;
    if (!std::filesystem::is_directory(dir)) return files;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
        if (entry.is_regular_file()) files.push_back(entry.path());
    }
    std::sort(files.begin(), files.end());
    return files;
}

std::string ReadFile(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void Replay(const std::string& target, FuzzTarget run) {
    const auto files = CorpusFiles(target);
    ASSERT_FALSE(files.empty()) << "no corpus in " << NOTIFY_FUZZ_CORPUS_DIR << "/" << target;
    for (const auto& file : files) {
        const std::string input = ReadFile(file);
        try {
            EXPECT_EQ(run(reinterpret_cast<const std::uint8_t*>(input.data()), input.size()), 0) << file;
        } catch (const std::exception& e) {
            ADD_FAILURE() << file << ": " << e.what();
        } catch (...) {
            ADD_FAILURE() << file << ": non-standard exception";
        }
    }
}

TEST(FuzzCorpusReplay, SendRequest) { Replay("send_request", fuzz::FuzzSendRequest); }

TEST(FuzzCorpusReplay, WebhookEvent) { Replay("webhook_event", fuzz::FuzzWebhookEvent); }

TEST(FuzzCorpusReplay, Phone) { Replay("phone", fuzz::FuzzPhone); }

TEST(FuzzCorpusReplay, TemplateRender) { Replay("template_render", fuzz::FuzzTemplateRender); }

// libFuzzer also calls a target with no bytes at all.
TEST(FuzzCorpusReplay, EmptyInputsAreFine) {
    EXPECT_EQ(fuzz::FuzzSendRequest(nullptr, 0), 0);
    EXPECT_EQ(fuzz::FuzzWebhookEvent(nullptr, 0), 0);
    EXPECT_EQ(fuzz::FuzzPhone(nullptr, 0), 0);
    EXPECT_EQ(fuzz::FuzzTemplateRender(nullptr, 0), 0);
}

}  // namespace
}  // namespace notify
