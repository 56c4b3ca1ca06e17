// sc-audit on a real kernel: SC_AUDIT_VMLINUX=<patched arm64 vmlinux>. CTest
// only registers this test when SC_AUDIT_VMLINUX is set in ctest's
// environment (see CMakeLists.txt), so a plain `ctest` never skips it; run
// directly without the variable it fails.
#include "audit.h"
#include "sc_audit_helpers.h"
#include "test_util.h"

#include <gtest/gtest.h>

#include <cstdlib>

TEST(ScAudit, RealVmlinuxCorruptedSlotIsNamed) {
    const char *vmlinux = std::getenv("SC_AUDIT_VMLINUX");
    ASSERT_TRUE(vmlinux && *vmlinux) << "set SC_AUDIT_VMLINUX=<patched arm64 vmlinux>";
    auto run = [](const std::string &file) {
        return testutil::run(std::string(SC_AUDIT_BIN) + " " + testutil::shell_quote(file));
    };
    auto clean = run(vmlinux);
    ASSERT_EQ(clean.exit_code, scaudit::kExitOk) << clean.output.substr(0, 4000);
    testutil::TempDir dir;
    const std::string bad = (dir / "vmlinux-corrupt").string();
    const std::string victim = testutil::corrupt_one_slot(vmlinux, bad);
    ASSERT_FALSE(victim.empty()) << "no intact trampoline found in " << vmlinux;
    auto r = run(bad);
    EXPECT_EQ(r.exit_code, scaudit::kExitBroken);
    EXPECT_NE(r.output.find("ERROR " + victim + ":"), std::string::npos);
}
