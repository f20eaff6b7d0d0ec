// deploy/notifyd.service: the systemd unit runs notifyd with the least it needs.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

namespace notify {
namespace {

std::string ReadServiceUnit() {
    // The source tree from this file's path, or from the usual working directories (root, build/).
    const std::filesystem::path here(__FILE__);
    for (const auto& candidate :
         {here.parent_path().parent_path().parent_path() / "deploy" / "notifyd.service",
          std::filesystem::path("deploy/notifyd.service"), std::filesystem::path("../deploy/notifyd.service")}) {
        std::ifstream in(candidate);
        if (in) return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    }
    ADD_FAILURE() << "deploy/notifyd.service not found from " << here << " or the working directory";
    return {};
}

TEST(ServiceUnit, RunsAsItsOwnUserWithOnlyTheCapabilityToBindPort1001) {
    const std::string unit = ReadServiceUnit();
    for (const char* line : {"\nUser=notifyd\n", "\nAmbientCapabilities=CAP_NET_BIND_SERVICE\n",
                             "\nCapabilityBoundingSet=CAP_NET_BIND_SERVICE\n", "\nUMask=0077\n",
                             "\nNoNewPrivileges=true\n", "\nProtectSystem=strict\n",
                             "\nReadWritePaths=/var/lib/notifyd\n", "\nPrivateTmp=true\n", "\nProtectHome=true\n"}) {
        EXPECT_NE(unit.find(line), std::string::npos) << "missing" << line;
    }
}

}  // namespace
}  // namespace notify
