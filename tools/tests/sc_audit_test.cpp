// sc-audit tests: small arm64 objects and a linked, vmlinux-like shared image
// are built with binutils in a temporary directory; sc-audit's exit code and
// output are checked. SC_AUDIT_VMLINUX=<path> adds a test on a real kernel.
#include "audit.h"
#include "test_util.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

using testutil::run;
using testutil::shell_quote;

namespace {

bool have_binutils() {
    return testutil::tool_available(AARCH64_AS) && testutil::tool_available(AARCH64_LD);
}

#define REQUIRE_BINUTILS()                                                                         \
    do {                                                                                           \
        if (!have_binutils())                                                                      \
            GTEST_SKIP() << "aarch64-linux-gnu-as/ld not found; install "                          \
                            "binutils-aarch64-linux-gnu to run the sc-audit tests";                \
    } while (0)

const char *kTargets = R"(
	.text
	.globl target_a, target_b, __static_call_return0
	.type target_a,%function
target_a:
	bti c
	ret
	.type target_b,%function
target_b:
	bti c
	ret
	.type __static_call_return0,%function
__static_call_return0:
	bti c
	mov x0, xzr
	ret
	.globl caller
	.type caller,%function
caller:
	bl __SCT__foo
	bl __SCT__foo
	b __SCT__bar
	ret
)";

// One trampoline as the series lays it out (in the given section).
std::string tramp(const std::string &key, const std::string &literal, const std::string &slot,
                  const std::string &section = ".static_call.text",
                  const std::string &br = "br x16") {
    return "\t.section " + section + ",\"ax\"\n\t.balign 16\n\t.quad 0\n\t.quad " + literal +
           "\n\t.globl __SCT__" + key + "\n\t.type __SCT__" + key + ",%function\n__SCT__" + key +
           ":\n\tbti c\n\t" + slot + "\n\tldr x16, __SCT__" + key + " - 8\n\t" + br +
           "\n\t.size __SCT__" + key + ", 16\n";
}

std::string good_source() {
    return std::string(kTargets) + tramp("foo", "target_a", "b target_a") +
           tramp("bar", "__static_call_return0", "nop");
}

class ScAudit : public ::testing::Test {
  protected:
    testutil::TempDir dir;

    std::string assemble(const std::string &name, const std::string &src) {
        testutil::write_file(dir / (name + ".s"), src);
        const std::string obj = (dir / (name + ".o")).string();
        auto r = run(std::string(AARCH64_AS) + " -o " + shell_quote(obj) + " " +
                     shell_quote((dir / (name + ".s")).string()));
        EXPECT_EQ(r.exit_code, 0) << r.output;
        return obj;
    }

    // Linked like a relocatable arm64 vmlinux: -shared -Bsymbolic
    // --no-apply-dynamic-relocs (literals live in .rela.dyn), static call
    // text merged into .text between __static_call_text_start/end.
    std::string link_vmlinux_like(const std::string &name, const std::string &src) {
        const std::string obj = assemble(name, src);
        testutil::write_file(dir / "vm.lds", R"(SECTIONS {
  . = 0xffff800080000000;
  .text : { *(.text) . = ALIGN(16); __static_call_text_start = .;
            *(.static_call.text) __static_call_text_end = .; }
  .data : { *(.data) }
})");
        const std::string out = (dir / (name + ".elf")).string();
        auto r = run(std::string(AARCH64_LD) +
                     " -shared -Bsymbolic -z notext --no-apply-dynamic-relocs --no-warn-rwx-"
                     "segments -T " +
                     shell_quote((dir / "vm.lds").string()) + " -o " + shell_quote(out) + " " +
                     shell_quote(obj));
        EXPECT_EQ(r.exit_code, 0) << r.output;
        return out;
    }

    testutil::CommandResult audit(const std::string &file, const std::string &flags = "") {
        return run(std::string(SC_AUDIT_BIN) + " " + flags + " " + shell_quote(file));
    }
};

// Copies `src` to `dst` and flips the low bit of one trampoline's slot word.
// Returns the trampoline's symbol.
std::string corrupt_one_slot(const std::string &src, const std::string &dst) {
    auto rep = scaudit::audit(src);
    if (!rep)
        return "";
    const scaudit::Trampoline *victim = nullptr;
    for (const auto &t : rep->trampolines)
        if (t.errors.empty() && t.slot_file_offset) {
            victim = &t;
            break;
        }
    if (!victim)
        return "";
    std::filesystem::copy_file(src, dst, std::filesystem::copy_options::overwrite_existing);
    std::fstream f(dst, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(std::streamoff(victim->slot_file_offset));
    char c = 0;
    f.read(&c, 1);
    c = char(c ^ 1);
    f.seekp(std::streamoff(victim->slot_file_offset));
    f.write(&c, 1);
    return f ? victim->symbol : "";
}

} // namespace

TEST_F(ScAudit, CorrectObjectPasses) {
    REQUIRE_BINUTILS();
    auto r = audit(assemble("good", good_source()));
    EXPECT_EQ(r.exit_code, scaudit::kExitOk) << r.output;
    EXPECT_NE(r.output.find("2 trampolines, 0 broken, 1 on the literal path"), std::string::npos)
        << r.output;
    EXPECT_NE(r.output.find("3 direct call sites"), std::string::npos) << r.output;
    EXPECT_EQ(r.output.find("ERROR"), std::string::npos) << r.output;
}

TEST_F(ScAudit, LibraryReportsRelocatedTargets) {
    REQUIRE_BINUTILS();
    auto rep = scaudit::audit(assemble("good", good_source()));
    ASSERT_TRUE(rep.ok()) << rep.error();
    ASSERT_EQ(rep->trampolines.size(), 2u);
    const auto &bar = rep->trampolines[1];
    const auto &foo = rep->trampolines[0];
    EXPECT_EQ(foo.key, "foo");
    EXPECT_TRUE(foo.slot_is_b);
    EXPECT_EQ(foo.agree, "yes");
    EXPECT_EQ(foo.calls, 2u);
    EXPECT_EQ(foo.literal.source, "R_AARCH64_ABS64");
    EXPECT_TRUE(bar.slot_is_nop);
    EXPECT_EQ(bar.literal.text, "__static_call_return0");
    EXPECT_EQ(bar.calls, 1u);
}

TEST_F(ScAudit, FlippedSlotIsNamed) {
    REQUIRE_BINUTILS();
    auto r = audit(assemble("flip", good_source() + tramp("flip", "target_a", "b target_b")));
    EXPECT_EQ(r.exit_code, scaudit::kExitBroken) << r.output;
    EXPECT_NE(r.output.find("ERROR __SCT__flip: slot `b target_b` disagrees with literal target_a"),
              std::string::npos)
        << r.output;
    EXPECT_EQ(r.output.find("ERROR __SCT__foo"), std::string::npos) << r.output;
}

TEST_F(ScAudit, MisalignedLiteralIsNamed) {
    REQUIRE_BINUTILS();
    const std::string src = good_source() +
                            "\t.section .static_call.text,\"ax\"\n\t.balign 16\n\t.word 0\n"
                            "\t.quad target_a\n\t.globl __SCT__mis\n__SCT__mis:\n\tbti c\n"
                            "\tb target_a\n\tldr x16, __SCT__mis - 8\n\tbr x16\n";
    auto r = audit(assemble("mis", src));
    EXPECT_EQ(r.exit_code, scaudit::kExitBroken) << r.output;
    EXPECT_NE(r.output.find("ERROR __SCT__mis: misaligned trampoline"), std::string::npos)
        << r.output;
}

TEST_F(ScAudit, ZeroLiteralIsNamed) {
    REQUIRE_BINUTILS();
    auto r = audit(assemble("zero", good_source() + tramp("zero", "0", "nop")));
    EXPECT_EQ(r.exit_code, scaudit::kExitBroken) << r.output;
    EXPECT_NE(r.output.find("ERROR __SCT__zero: literal is 0"), std::string::npos) << r.output;
}

TEST_F(ScAudit, WrongSectionIsNamed) {
    REQUIRE_BINUTILS();
    auto r = audit(
        assemble("wrong", good_source() + tramp("wrong", "target_a", "b target_a", ".text.other")));
    EXPECT_EQ(r.exit_code, scaudit::kExitBroken) << r.output;
    EXPECT_NE(r.output.find("ERROR __SCT__wrong: trampoline is in section .text.other"),
              std::string::npos)
        << r.output;
}

TEST_F(ScAudit, WrongLayoutIsNamed) {
    REQUIRE_BINUTILS();
    auto r = audit(assemble("lay", good_source() + tramp("lay", "target_a", "b target_a",
                                                         ".static_call.text", "br x17")));
    EXPECT_EQ(r.exit_code, scaudit::kExitBroken) << r.output;
    EXPECT_NE(r.output.find("ERROR __SCT__lay: layout: word at +12"), std::string::npos)
        << r.output;
}

TEST_F(ScAudit, SlotThatIsNeitherBNorNopIsNamed) {
    REQUIRE_BINUTILS();
    auto r = audit(assemble("ret", good_source() + tramp("ret", "target_a", "ret")));
    EXPECT_EQ(r.exit_code, scaudit::kExitBroken) << r.output;
    EXPECT_NE(r.output.find("ERROR __SCT__ret: slot is neither"), std::string::npos) << r.output;
}

TEST_F(ScAudit, LinkedImageUsesRelaDynLiterals) {
    REQUIRE_BINUTILS();
    const std::string vm = link_vmlinux_like("vm", good_source());
    auto r = audit(vm, "-v");
    EXPECT_EQ(r.exit_code, scaudit::kExitOk) << r.output;
    EXPECT_NE(r.output.find("__static_call_text_start"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("R_AARCH64_RELATIVE"), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("3 direct call sites"), std::string::npos) << r.output;
}

TEST_F(ScAudit, LinkedImageFlippedSlotIsNamed) {
    REQUIRE_BINUTILS();
    auto r =
        audit(link_vmlinux_like("vmflip", good_source() + tramp("flip", "target_a", "b target_b")));
    EXPECT_EQ(r.exit_code, scaudit::kExitBroken) << r.output;
    EXPECT_NE(r.output.find("ERROR __SCT__flip: slot `b"), std::string::npos) << r.output;
}

TEST_F(ScAudit, CorruptedSlotByteInLinkedImageIsNamed) {
    REQUIRE_BINUTILS();
    const std::string vm = link_vmlinux_like("vm", good_source());
    const std::string bad = (dir / "vm-corrupt.elf").string();
    const std::string victim = corrupt_one_slot(vm, bad);
    ASSERT_FALSE(victim.empty());
    auto r = audit(bad);
    EXPECT_EQ(r.exit_code, scaudit::kExitBroken) << r.output;
    EXPECT_NE(r.output.find("ERROR " + victim + ":"), std::string::npos) << r.output;
}

TEST_F(ScAudit, NoTrampolines) {
    REQUIRE_BINUTILS();
    const std::string obj = assemble("none", "\t.text\n\t.globl f\nf:\n\tret\n");
    auto r = audit(obj);
    EXPECT_EQ(r.exit_code, scaudit::kExitOk) << r.output;
    EXPECT_NE(r.output.find("no arm64 static call trampolines"), std::string::npos) << r.output;
    EXPECT_EQ(audit(obj, "--require").exit_code, scaudit::kExitNoneRequired);
}

TEST_F(ScAudit, NotAnElfFile) {
    testutil::write_file(dir / "junk", "not an elf\n");
    auto r = audit((dir / "junk").string());
    EXPECT_EQ(r.exit_code, scaudit::kExitError) << r.output;
    EXPECT_EQ(run(std::string(SC_AUDIT_BIN)).exit_code, scaudit::kExitError);
}

// A real kernel: SC_AUDIT_VMLINUX=/path/to/vmlinux (patched build).
TEST_F(ScAudit, RealVmlinuxCorruptedSlotIsNamed) {
    const char *vmlinux = std::getenv("SC_AUDIT_VMLINUX");
    if (!vmlinux || !*vmlinux)
        GTEST_SKIP() << "set SC_AUDIT_VMLINUX=<patched arm64 vmlinux> to run this test";
    auto clean = audit(vmlinux);
    ASSERT_EQ(clean.exit_code, scaudit::kExitOk) << clean.output.substr(0, 4000);
    const std::string bad = (dir / "vmlinux-corrupt").string();
    const std::string victim = corrupt_one_slot(vmlinux, bad);
    ASSERT_FALSE(victim.empty()) << "no intact trampoline found in " << vmlinux;
    auto r = audit(bad);
    EXPECT_EQ(r.exit_code, scaudit::kExitBroken);
    EXPECT_NE(r.output.find("ERROR " + victim + ":"), std::string::npos);
}
