// libFuzzer entry point; the target itself is FuzzTemplateRender in fuzz/targets.cpp.
#include <cstddef>
#include <cstdint>

#include "targets.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    return notify::fuzz::FuzzTemplateRender(data, size);
}
