// sc-audit tests: small arm64 objects, module-like objects and a linked,
// vmlinux-like shared image are built with binutils in a temporary directory
// in the v2 trampoline layout (sct_layout.h); each test breaks one invariant
// and checks that sc-audit's exit code and ERROR line name it. The real-kernel
// test is in sc_audit_vmlinux_test.cpp.
#include "audit.h"
#include "sc_audit_helpers.h"
#include "test_util.h"

#include <gtest/gtest.h>

using testutil::has;
using testutil::run;
using testutil::shell_quote;

namespace {

#define REQUIRE_BINUTILS()                                                                         \
    REQUIRE_BINUTILS_FOR("sc-audit", testutil::kAs, testutil::kLd, testutil::kObjdump)

// far_target is linked 256 MiB above .text (out of branch range of the slots).
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
	.section .text.far,"ax"
	.globl far_target
	.type far_target,%function
far_target:
	bti c
	ret
)";

// One v2 trampoline, written as the kernel does (`ldr x16, 0f`, `.size` up to
// the end of the literal). Each part can be broken by a test:
// Tramp("foo").slot("nop").str().
class Tramp {
  public:
    explicit Tramp(std::string key) : key_(std::move(key)) {}
    const std::string &key() const { return key_; }
    Tramp &literal(std::string v) { return set(literal_, std::move(v)); }
    Tramp &slot(std::string v) { return set(slot_, std::move(v)); }
    Tramp &section(std::string v) { return set(section_, std::move(v)); }
    Tramp &flags(std::string v) { return set(flags_, std::move(v)); }
    Tramp &before(std::string v) { return set(before_, std::move(v)); } // after .balign
    Tramp &bti(std::string v) { return set(bti_, std::move(v)); }
    Tramp &ldr(std::string v) { return set(ldr_, std::move(v)); }
    Tramp &br(std::string v) { return set(br_, std::move(v)); }
    Tramp &size(std::string v) { return set(size_, std::move(v)); }

    std::string str() const {
        const std::string sym = "__SCT__" + key_;
        return "\t.section " + section_ + ",\"" + flags_ + "\"\n\t.balign 8\n" + before_ +
               "\t.globl " + sym + "\n\t.type " + sym + ",%function\n" + sym + ":\n\t" + bti_ +
               "\n\t" + slot_ + "\n\t" + ldr_ + "\n\t" + br_ + "\n0:\t.quad " + literal_ +
               "\n\t.size " + sym + ", " + (size_.empty() ? ". - " + sym : size_) + "\n";
    }

  private:
    Tramp &set(std::string &field, std::string v) {
        field = std::move(v);
        return *this;
    }
    std::string key_;
    std::string literal_ = "target_a";
    std::string slot_ = "b target_a";
    std::string section_ = ".static_call.text";
    std::string flags_ = "ax";
    std::string before_;
    std::string bti_ = "bti c";
    std::string ldr_ = "ldr x16, 0f";
    std::string br_ = "br x16";
    std::string size_; // .size expression; default `. - __SCT__<key>`
};

// What the series emits, valid both as an object and linked into vmlinux:
// foo `b target_a`, bar (a NULL/RET0 key) `b __static_call_return0`, far nop.
std::string good_trampolines() {
    return Tramp("foo").str() +
           Tramp("bar").literal("__static_call_return0").slot("b __static_call_return0").str() +
           Tramp("far").literal("far_target").slot("nop").str();
}

std::string good_source() {
    return std::string(kTargets) + good_trampolines();
}

// A module: modpost's .gnu.linkonce.this_module and .modinfo; nop slots.
std::string module_source(const std::string &foo_slot = "nop") {
    return std::string(kTargets) + Tramp("foo").slot(foo_slot).str() +
           Tramp("bar").literal("__static_call_return0").slot("nop").str() +
           "\t.section .modinfo,\"a\"\n\t.asciz \"license=GPL\"\n"
           "\t.section .gnu.linkonce.this_module,\"aw\"\n\t.balign 8\n\t.zero 64\n";
}

// The v1 layout (literal at entry-8, 16-byte aligned, size 16).
std::string v1_tramp(const std::string &key) {
    const std::string sym = "__SCT__" + key;
    return "\t.section .static_call.text,\"ax\"\n\t.balign 16\n\t.skip 8\n0:\t.quad target_a\n"
           "\t.globl " +
           sym + "\n\t.type " + sym + ",%function\n" + sym +
           ":\n\tbti c\n\tb target_a\n\tldr x16, 0b\n\tbr x16\n\t.size " + sym + ", . - " + sym +
           "\n";
}

const char *kKprobeEntry = "\t.section _kprobe_blacklist,\"aw\"\n\t.balign 8\n\t.quad __SCT__foo\n";

struct BrokenImage;

class ScAudit : public ::testing::Test {
  protected:
    testutil::TempDir dir;

    std::string assemble(const std::string &name, const std::string &src) {
        return testutil::assemble(dir, name, src);
    }

    // Linked like a relocatable arm64 vmlinux: -shared -Bsymbolic
    // --no-apply-dynamic-relocs (literals live in .rela.dyn), static call
    // text merged into .text between __static_call_text_start/end, kprobe
    // blacklist entries in init data between __start/__stop_kprobe_blacklist.
    std::string link_vmlinux_like(const std::string &name, const std::string &src) {
        const std::string obj = assemble(name, src);
        testutil::write_file(dir / "vm.lds", R"(SECTIONS {
  . = 0xffff800080000000;
  .text : { *(.text) . = ALIGN(8); __static_call_text_start = .;
            *(.static_call.text) __static_call_text_end = .; }
  .init.data : { . = ALIGN(8); __start_kprobe_blacklist = .; KEEP(*(_kprobe_blacklist))
                 __stop_kprobe_blacklist = .; }
  .data : { *(.data) }
  .text.far 0xffff800090000000 : { *(.text.far) }
})");
        const std::string out = (dir / (name + ".elf")).string();
        auto r = run(testutil::kLd.path +
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

    // sc-audit (with `flags`) on `file` exits with `exit`, its output naming
    // each of `present` and none of `absent`.
    void expect_audit(const std::string &file, int exit, const std::vector<std::string> &present,
                      const std::vector<std::string> &absent = {}, const std::string &flags = "") {
        auto r = audit(file, flags);
        EXPECT_EQ(r.exit_code, exit) << r.output;
        for (const auto &e : present)
            EXPECT_TRUE(has(r.output, e)) << "expected `" << e << "` in:\n" << r.output;
        for (const auto &e : absent)
            EXPECT_FALSE(has(r.output, e)) << "unexpected `" << e << "` in:\n" << r.output;
    }

    void check_image(const std::string &name, const BrokenImage &image); // the table below
};

const scaudit::Trampoline *find_tramp(const scaudit::Report &rep, const std::string &key) {
    for (const auto &t : rep.trampolines)
        if (t.key == key)
            return &t;
    return nullptr;
}

} // namespace

// --- relocatable objects ---------------------------------------------------

TEST_F(ScAudit, CorrectObjectPasses) {
    REQUIRE_BINUTILS();
    expect_audit(assemble("good", good_source()), scaudit::kExitOk,
                 {"3 trampolines, 0 broken, 1 on the literal path", "3 direct call sites"},
                 {"ERROR"});
}

TEST_F(ScAudit, LibraryReportsV2LayoutOfObject) {
    REQUIRE_BINUTILS();
    auto rep = scaudit::audit(assemble("good", good_source()));
    ASSERT_TRUE(rep.ok()) << rep.error();
    ASSERT_EQ(rep->trampolines.size(), 3u);
    EXPECT_FALSE(rep->module);
    // Sorted by address: packed at a 24-byte stride from the section start.
    const char *keys[] = {"foo", "bar", "far"};
    for (size_t i = 0; i < 3; ++i) {
        const auto &t = rep->trampolines[i];
        EXPECT_EQ(t.key, keys[i]);
        EXPECT_EQ(t.addr, 24 * i);
        EXPECT_EQ(t.size, 24u);
        EXPECT_EQ(t.words[0], 0xd503245fu);
        EXPECT_EQ(t.words[2], 0x58000050u); // `ldr x16, 0f` resolved by the assembler
        EXPECT_EQ(t.words[3], 0xd61f0200u);
        EXPECT_EQ(t.literal.source, "R_AARCH64_ABS64");
        EXPECT_TRUE(t.errors.empty()) << t.errors[0];
    }
    const auto &foo = rep->trampolines[0];
    EXPECT_TRUE(foo.slot_is_b);
    EXPECT_EQ(foo.agree, "yes");
    EXPECT_EQ(foo.calls, 2u);
    EXPECT_EQ(foo.literal.text, "target_a");
    EXPECT_EQ(rep->trampolines[1].literal.text, "__static_call_return0");
    EXPECT_EQ(rep->trampolines[1].calls, 1u);
    EXPECT_TRUE(rep->trampolines[2].slot_is_nop);
    EXPECT_TRUE(rep->errors.empty());
}

// `ldr x16, __SCT__x + 16` against the global symbol keeps an LD_PREL_LO19
// relocation (word 0x58000010 in the object); accepted when it is the literal.
TEST_F(ScAudit, LdrRelocatedAgainstOwnLiteralIsAccepted) {
    REQUIRE_BINUTILS();
    auto rep = scaudit::audit(
        assemble("glob", good_source() + Tramp("glob").ldr("ldr x16, __SCT__glob + 16").str()));
    ASSERT_TRUE(rep.ok()) << rep.error();
    const auto *t = find_tramp(*rep, "glob");
    ASSERT_TRUE(t);
    EXPECT_TRUE(t->errors.empty()) << t->errors[0];
    EXPECT_EQ(t->words[2], 0x58000050u);
}

// --- modules ------------------------------------------------------------------

TEST_F(ScAudit, ModuleWithNopSlotsPasses) {
    REQUIRE_BINUTILS();
    const std::string ko = assemble("mod", module_source());
    expect_audit(ko, scaudit::kExitOk,
                 {"(ET_REL module, arm64)", "2 trampolines, 0 broken, 2 on the literal path",
                  "module_finalize"},
                 {}, "-v");
    auto rep = scaudit::audit(ko);
    ASSERT_TRUE(rep.ok()) << rep.error();
    EXPECT_TRUE(rep->module);
    for (const auto &t : rep->trampolines)
        EXPECT_EQ(t.literal.source, "R_AARCH64_ABS64") << t.key;
}

// --- linked, vmlinux-like images ----------------------------------------------

TEST_F(ScAudit, LinkedImageV2Passes) {
    REQUIRE_BINUTILS();
    const std::string vm = link_vmlinux_like("vm", good_source());
    expect_audit(vm, scaudit::kExitOk,
                 {"__static_call_text_start", "R_AARCH64_RELATIVE",
                  "3 trampolines, 0 broken, 1 on the literal path", "3 direct call sites", "(far)"},
                 {}, "-v");

    auto rep = scaudit::audit(vm);
    ASSERT_TRUE(rep.ok()) << rep.error();
    ASSERT_EQ(rep->trampolines.size(), 3u);
    bool saw_8_mod_16 = false;
    for (size_t i = 0; i < 3; ++i) {
        const auto &t = rep->trampolines[i];
        EXPECT_EQ(t.addr, rep->trampolines[0].addr + 24 * i) << t.key;
        EXPECT_EQ(t.addr % 8, 0u);
        saw_8_mod_16 |= t.addr % 16 == 8;
        EXPECT_EQ(t.words[2], 0x58000050u) << t.key;
        EXPECT_EQ(t.literal.source, ".rela.dyn R_AARCH64_RELATIVE") << t.key;
    }
    EXPECT_TRUE(saw_8_mod_16); // 8-byte (not 16-byte) alignment is accepted
    const auto *far = find_tramp(*rep, "far");
    ASSERT_TRUE(far);
    EXPECT_TRUE(far->slot_is_nop);
    EXPECT_EQ(find_tramp(*rep, "bar")->agree, "yes");
}

// Cross-check with binutils: objdump decodes each linked trampoline's +8 word
// as `ldr x16, <entry+16>`, and the bytes sc-audit read are the same.
TEST_F(ScAudit, LinkedImageLdrAgreesWithObjdump) {
    REQUIRE_BINUTILS();
    const std::string vm = link_vmlinux_like("vm", good_source());
    auto rep = scaudit::audit(vm);
    ASSERT_TRUE(rep.ok()) << rep.error();
    auto dump = run(testutil::kObjdump.path + " -d " + shell_quote(vm));
    ASSERT_EQ(dump.exit_code, 0) << dump.output;
    for (const auto &t : rep->trampolines) {
        char line[160];
        std::snprintf(line, sizeof line, "%llx:\t58000050 \tldr\tx16, %llx <%s+0x10>",
                      (unsigned long long)(t.addr + 8), (unsigned long long)(t.addr + 16),
                      t.symbol.c_str());
        EXPECT_TRUE(has(dump.output, line)) << "missing `" << line << "` in\n" << dump.output;
    }
}

TEST_F(ScAudit, CorruptedSlotByteInLinkedImageIsNamed) {
    REQUIRE_BINUTILS();
    const std::string vm = link_vmlinux_like("vm", good_source());
    const std::string bad = (dir / "vm-corrupt.elf").string();
    const std::string victim = testutil::corrupt_one_slot(vm, bad);
    ASSERT_FALSE(victim.empty());
    expect_audit(bad, scaudit::kExitBroken, {"ERROR " + victim + ":"});
}

// Literal bytes written into a copy (the linked image keeps them 0 and the
// value in .rela.dyn): they must agree with the relocation.
TEST_F(ScAudit, CorruptedLiteralInLinkedImageIsNamed) {
    REQUIRE_BINUTILS();
    const std::string vm = link_vmlinux_like("vm", good_source());
    auto rep = scaudit::audit(vm);
    ASSERT_TRUE(rep.ok()) << rep.error();
    const auto *victim = testutil::first_intact(*rep);
    ASSERT_TRUE(victim);
    const std::string bad = (dir / "vm-lit.elf").string();
    ASSERT_TRUE(testutil::xor_copy(vm, bad, victim->literal_file_offset, "\x04"));
    expect_audit(bad, scaudit::kExitBroken,
                 {"ERROR " + victim->symbol +
                  ": literal bytes 0x4 disagree with R_AARCH64_RELATIVE addend"});
}

// --- broken images (table) ---------------------------------------------------
//
// Each row is a test, ScAudit.<name>: one or more images, each assembled (or
// linked like vmlinux) from its source, on which sc-audit must exit
// kExitBroken naming each of `present` and none of `absent`.

namespace {

struct BrokenImage {
    bool linked = false; // linked like vmlinux, else an object
    std::string source;
    std::vector<std::string> present;
    std::vector<std::string> absent;
};

struct BrokenCase {
    const char *name;
    std::vector<BrokenImage> images;
};

BrokenImage object(std::string source, std::vector<std::string> present,
                   std::vector<std::string> absent = {}) {
    return {false, std::move(source), std::move(present), std::move(absent)};
}

BrokenImage linked(std::string source, std::vector<std::string> present,
                   std::vector<std::string> absent = {}) {
    return {true, std::move(source), std::move(present), std::move(absent)};
}

// good_source() + `extra` as an object: the error is `error`, and the
// trampolines of good_source() stay intact.
BrokenImage object_error(const std::string &extra, const std::string &error) {
    return object(good_source() + extra, {error}, {"ERROR __SCT__foo"});
}

// A trampoline with a code word changed (each is the 4th trampoline of its
// object, at .static_call.text+0x48).
BrokenImage wrong_word(const Tramp &t, const std::string &error) {
    return object_error(t.str(), "ERROR __SCT__" + t.key() + ": layout: " + error);
}

const std::vector<BrokenCase> &broken_cases() {
    static const std::vector<BrokenCase> cases = {
        // --- relocatable objects
        {"LdrRelocatedElsewhereIsNamed",
         {object_error(Tramp("glob").ldr("ldr x16, __SCT__glob + 8").str(),
                       "ERROR __SCT__glob: ldr x16 at +8 is relocated against __SCT__glob+0x8")}},
        {"FlippedSlotIsNamed",
         {object_error(Tramp("flip").slot("b target_b").str(),
                       "ERROR __SCT__flip: slot `b target_b` disagrees with literal target_a")}},
        // .balign 8, then 4 bytes: the entry (and the literal at +16) 4 mod 8.
        {"MisalignedEntryIsNamed",
         {object_error(Tramp("mis").before("\t.word 0\n").str(),
                       "ERROR __SCT__mis: misaligned trampoline: section offset 0x4c is not "
                       "8-byte aligned")}},
        {"WrongSymbolSizeIsNamed",
         {object_error(Tramp("s16").size("16").str(),
                       "ERROR __SCT__s16: symbol size 16, expected 24"),
          object_error(Tramp("s0").size("0").str(),
                       "ERROR __SCT__s0: symbol size 0, expected 24")}},
        {"WrongCodeWordsAreNamed",
         {wrong_word(Tramp("w0").bti("nop"), "word at +0 is `nop` (0xd503201f), expected `bti c`"),
          // The v1 encoding (ldr x16, entry-8) and near misses of the v2 one.
          wrong_word(Tramp("w8a").ldr("ldr x16, . - 16"),
                     "word at +8 is `ldr x16, 0x40` (0x58ffff90), expected `ldr x16, <entry+16>` "
                     "(0x58000050)"),
          wrong_word(Tramp("w8b").ldr("ldr x16, . + 16"),
                     "word at +8 is `ldr x16, 0x60` (0x58000090), expected `ldr x16, <entry+16>`"),
          wrong_word(Tramp("w8c").ldr("ldr x17, 0f"),
                     "word at +8 is `ldr x17, 0x58` (0x58000051), expected `ldr x16, <entry+16>`"),
          wrong_word(Tramp("w8d").ldr("ldr w16, 0f"),
                     "word at +8 is `.inst 0x18000050` (0x18000050)"),
          wrong_word(Tramp("w12").br("br x17"),
                     "word at +12 is `br x17` (0xd61f0220), expected `br x16`")}},
        // Two of them, so that the first one's 24 bytes fit in the section.
        {"V1LayoutIsRejected",
         {object(std::string(kTargets) + v1_tramp("old") + v1_tramp("old2"),
                 {"ERROR __SCT__old: symbol size 16, expected 24",
                  "ERROR __SCT__old: layout: word at +8 is `ldr x16, 0x8` (0x58ffff90), expected "
                  "`ldr x16, <entry+16>` (0x58000050)",
                  "ERROR __SCT__old: literal is 0"})}},
        {"ZeroLiteralIsNamed",
         {object_error(Tramp("zero").literal("0").slot("nop").str(),
                       "ERROR __SCT__zero: literal is 0")}},
        {"LiteralWithoutRelocationIsNamed",
         {object_error(Tramp("const").literal("0x1234").slot("nop").str(),
                       "ERROR __SCT__const: literal 0x1234 has no R_AARCH64_ABS64 relocation")}},
        {"WrongSectionIsNamed",
         {object_error(Tramp("wrong").section(".text.other").str(),
                       "ERROR __SCT__wrong: trampoline is in section .text.other")}},
        {"NonExecutableSectionIsNamed",
         {object(std::string(kTargets) + Tramp("nx").flags("a").str(),
                 {"ERROR __SCT__nx: section .static_call.text is not executable"})}},
        {"SlotThatIsNeitherBNorNopIsNamed",
         {object_error(Tramp("ret").slot("ret").str(),
                       "ERROR __SCT__ret: slot is neither `b` nor `nop`: `ret` (0xd65f03c0)")}},
        {"PaddingBetweenTrampolinesIsNamed",
         {object(good_source() + Tramp("pad").before("\t.skip 8\n").str(),
                 {"ERROR .static_call.text: 8 byte(s) at [.static_call.text+0x48, "
                  ".static_call.text+0x50) belong to no trampoline"},
                 {"ERROR __SCT__"}), // every trampoline is intact
          object(good_source() + "\t.quad 0\n",
                 {"ERROR .static_call.text: 8 byte(s) at [.static_call.text+0x48, "
                  ".static_call.text+0x50) after the last trampoline"})}},
        // A second symbol 8 bytes into __SCT__far.
        {"OverlappingTrampolinesAreNamed",
         {object_error(
             "\t.globl __SCT__ovl\n\t.set __SCT__ovl, __SCT__far + 8\n",
             "ERROR __SCT__ovl: overlaps __SCT__far (starts 16 byte(s) before its end)")}},
        {"KprobeBlacklistEntryIsNamed",
         {object(good_source() + kKprobeEntry,
                 {"ERROR __SCT__foo: _kprobe_blacklist entry at _kprobe_blacklist+0x0 names this "
                  "trampoline"})}},
        // --- modules
        {"ModuleBranchSlotIsNamed",
         {object(module_source("b target_a"),
                 {"ERROR __SCT__foo: slot is `b target_a` in a module"}, {"ERROR __SCT__bar"})}},
        {"ModuleLiteralWithoutRelocationIsNamed",
         {object(module_source() + Tramp("c").literal("0xffff800080001000").slot("nop").str(),
                 {"ERROR __SCT__c: literal 0xffff800080001000 has no R_AARCH64_ABS64 "
                  "relocation"})}},
        // --- linked, vmlinux-like images
        {"LinkedImageFlippedSlotIsNamed",
         {linked(good_source() + Tramp("flip").slot("b target_b").str(),
                 {"ERROR __SCT__flip: slot `b 0x", "<target_b>` disagrees with literal"})}},
        {"LinkedImageNopSlotWithTargetInRangeIsNamed",
         {linked(good_source() + Tramp("n").slot("nop").str(),
                 {"ERROR __SCT__n: slot `nop` although the literal 0x",
                  "<target_a> is in branch range: expected `b target_a`"})}},
        // `b far_target` in a vmlinux trampoline: ld inserts a veneer (inside
        // the static call text, hence the bytes that belong to no
        // trampoline), the slot no longer branches to the literal's value.
        {"LinkedImageFarBranchThroughVeneerIsNamed",
         {linked(good_source() + Tramp("vf").literal("far_target").slot("b far_target").str(),
                 {"ERROR __SCT__vf: slot `b 0x",
                  "veneer>` disagrees with literal 0xffff800090000000 <far_target>",
                  "belong to no trampoline"})}},
        {"LinkedImagePaddingIsNamed",
         {linked(good_source() + Tramp("pad").before("\t.skip 8\n").str(),
                 {"ERROR __static_call_text_start..__static_call_text_end: 8 byte(s) at [0x"},
                 {"ERROR __SCT__"})}},
        {"LinkedImageTrampolineOutsideStaticCallTextIsNamed",
         {linked(good_source() + Tramp("out").section(".text").str(),
                 {"ERROR __SCT__out: trampoline outside .static_call.text"})}},
        {"LinkedImageKprobeBlacklistEntryIsNamed",
         {linked(good_source() + kKprobeEntry, {"ERROR __SCT__foo: _kprobe_blacklist entry at 0x"},
                 {"ERROR __SCT__bar"})}},
    };
    return cases;
}

void ScAudit::check_image(const std::string &name, const BrokenImage &image) {
    REQUIRE_BINUTILS();
    expect_audit(image.linked ? link_vmlinux_like(name, image.source)
                              : assemble(name, image.source),
                 scaudit::kExitBroken, image.present, image.absent);
}

[[maybe_unused]] const bool kBrokenCasesRegistered =
    testutil::register_rows<ScAudit>("ScAudit", broken_cases(), __FILE__, __LINE__);

} // namespace

// --- other inputs -------------------------------------------------------------

TEST_F(ScAudit, NoTrampolines) {
    REQUIRE_BINUTILS();
    const std::string obj = assemble("none", "\t.text\n\t.globl f\nf:\n\tret\n");
    expect_audit(obj, scaudit::kExitOk, {"no arm64 static call trampolines"});
    EXPECT_EQ(audit(obj, "--require").exit_code, scaudit::kExitNoneRequired);
}

TEST_F(ScAudit, NotAnElfFile) {
    testutil::write_file(dir / "junk", "not an elf\n");
    auto r = audit((dir / "junk").string());
    EXPECT_EQ(r.exit_code, scaudit::kExitError) << r.output;
    EXPECT_EQ(run(std::string(SC_AUDIT_BIN)).exit_code, scaudit::kExitError);
}
