// sc-audit on a real kernel: SC_AUDIT_VMLINUX=<arm64 vmlinux with static call
// trampolines, of any layout sc-audit knows>; with SC_AUDIT_LAYOUT=<name> as
// well, the layout sc-audit detects must be that one. CTest only registers
// this test when SC_AUDIT_VMLINUX is set in ctest's environment (see
// CMakeLists.txt), so a plain `ctest` never skips it; run directly without
// the variable it fails.
#include "audit.h"
#include "sc_audit_helpers.h"
#include "test_util.h"

#include <gtest/gtest.h>

#include <cstdlib>

// The vmlinux is clean (and of SC_AUDIT_LAYOUT, if set); copies with one trampoline's slot (where
// its layout has one), literal, or literal-locating word corrupted are each reported, naming that
// trampoline.
TEST(ScAudit, RealVmlinuxCorruptedCopiesAreNamed) {
    const char *vmlinux = std::getenv("SC_AUDIT_VMLINUX");
    ASSERT_TRUE(vmlinux && *vmlinux) << "set SC_AUDIT_VMLINUX=<arm64 vmlinux with trampolines>";
    auto run = [](const std::string &file) {
        return testutil::run(std::string(SC_AUDIT_BIN) + " " + testutil::shell_quote(file));
    };
    auto clean = run(vmlinux);
    ASSERT_EQ(clean.exit_code, scaudit::kExitOk) << clean.output.substr(0, 4000);
    auto rep = scaudit::audit(vmlinux);
    ASSERT_TRUE(rep.ok()) << rep.error();
    ASSERT_TRUE(rep->layout) << "no trampolines in " << vmlinux;
    if (const char *want = std::getenv("SC_AUDIT_LAYOUT"); want && *want) {
        ASSERT_TRUE(sct::find_layout(want))
            << "SC_AUDIT_LAYOUT=" << want << ": known layouts are " << sct::layout_names();
        EXPECT_EQ(std::string(rep->layout->name), want) << vmlinux;
    }
    std::printf("[ vmlinux  ] %s: layout %s, %zu trampolines\n", vmlinux, rep->layout->name,
                rep->trampolines.size());
    testutil::TempDir dir;
    using testutil::Part;
    for (Part part : {Part::Slot, Part::Literal, Part::LiteralLoad}) {
        if (part == Part::Slot && !rep->layout->has_slot())
            continue;
        const std::string bad = (dir / "vmlinux-corrupt").string();
        const std::string victim = testutil::corrupt_one(vmlinux, bad, part);
        ASSERT_FALSE(victim.empty()) << "no intact trampoline found in " << vmlinux;
        auto r = run(bad);
        EXPECT_EQ(r.exit_code, scaudit::kExitBroken) << int(part);
        EXPECT_NE(r.output.find("ERROR " + victim + ":"), std::string::npos)
            << int(part) << "\n"
            << r.output.substr(0, 4000);
    }
}
