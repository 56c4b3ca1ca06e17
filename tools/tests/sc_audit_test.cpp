// sc-audit tests: small arm64 objects, module-like objects and a linked,
// vmlinux-like shared image are built with binutils in a temporary directory
// in the trampoline layouts of sct_layout.h (the series' slot-adrp unless a
// test names another); each test breaks one invariant and checks that
// sc-audit's exit code and ERROR line name it. The real-kernel
// test is in sc_audit_vmlinux_test.cpp.
#include "audit.h"
#include "sc_audit_helpers.h"
#include "test_util.h"

#include <gtest/gtest.h>

#include <stdexcept>

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

// One trampoline, written as its kernel writes it, in the layout named
// `layout` (sct_layout.h; slot-adrp unless given): slot-adrp as the series
// does on 6.12 and mainline (`.balign 32`, adrp/ldr of a .rodata literal,
// `.size` over the code, `.balign 32` after), mainline as mainline does
// (`.align 4`, no slot). Each part can be broken by a test:
// Tramp("foo").slot("nop").str(), Tramp("foo", "mainline").adrp("adrp x17, 1f").str().
class Tramp {
  public:
    explicit Tramp(std::string key, std::string layout = "slot-adrp")
        : key_(std::move(key)), layout_(std::move(layout)) {
        if (layout_ == "slot-adrp") {
            align_ = "\t.balign 32\n";
            after_ = "\t.balign 32\n";
        } else if (layout_ == "mainline") {
            align_ = "\t.align 4\n";
            slot_.clear();
        } else {
            throw std::logic_error("Tramp: no source for layout " + layout_);
        }
    }
    const std::string &key() const { return key_; }
    Tramp &literal(std::string v) { return set(literal_, std::move(v)); }
    Tramp &slot(std::string v) { return set(slot_, std::move(v)); }
    Tramp &section(std::string v) { return set(section_, std::move(v)); }
    Tramp &flags(std::string v) { return set(flags_, std::move(v)); }
    Tramp &before(std::string v) { return set(before_, std::move(v)); } // after the alignment
    Tramp &bti(std::string v) { return set(bti_, std::move(v)); }
    Tramp &adrp(std::string v) { return set(adrp_, std::move(v)); }
    Tramp &lo12(std::string v) { return set(lo12_, std::move(v)); } // the literal load
    Tramp &br(std::string v) { return set(br_, std::move(v)); }
    Tramp &size(std::string v) { return set(size_, std::move(v)); }
    Tramp &after(std::string v) { return set(after_, std::move(v)); } // after `.size`
    Tramp &literal_section(std::string v) { return set(literal_section_, std::move(v)); }

    std::string str() const {
        const std::string sym = "__SCT__" + key_;
        std::string s = "\t.section " + section_ + ",\"" + flags_ + "\"\n" + align_ + before_ +
                        "\t.globl " + sym + "\n\t.type " + sym + ",%function\n" + sym + ":\n\t" +
                        bti_ + "\n" + (slot_.empty() ? "" : "\t" + slot_ + "\n");
        const std::string size =
            "\t.size " + sym + ", " + (size_.empty() ? ". - " + sym : size_) + "\n";
        return s + "\t" + adrp_ + "\n\t" + lo12_ + "\n\t" + br_ + "\n" + size + after_ +
               "\t.section " + literal_section_ + ",\"a\"\n\t.align 3\n1:\t.quad " + literal_ +
               "\n";
    }

  private:
    Tramp &set(std::string &field, std::string v) {
        field = std::move(v);
        return *this;
    }
    std::string key_;
    std::string layout_;
    std::string literal_ = "target_a";
    std::string slot_ = "b target_a";
    std::string section_ = ".static_call.text";
    std::string flags_ = "ax";
    std::string align_;
    std::string before_;
    std::string bti_ = "bti c";
    std::string adrp_ = "adrp x16, 1f";
    std::string lo12_ = "ldr x16, [x16, :lo12:1f]";
    std::string br_ = "br x16";
    std::string size_; // .size expression; default `. - __SCT__<key>`
    std::string after_;
    std::string literal_section_ = ".rodata";
};

bool has_slot(const std::string &layout) {
    return sct::find_layout(layout)->has_slot();
}

// What the series emits, valid both as an object and linked into vmlinux:
// foo `b target_a`, bar (a NULL/RET0 key) `b __static_call_return0`, far nop
// (without a slot: the same literals).
std::string good_trampolines(const std::string &layout = "slot-adrp") {
    return Tramp("foo", layout).str() +
           Tramp("bar", layout)
               .literal("__static_call_return0")
               .slot(has_slot(layout) ? "b __static_call_return0" : "")
               .str() +
           Tramp("far", layout).literal("far_target").slot(has_slot(layout) ? "nop" : "").str();
}

std::string good_source(const std::string &layout = "slot-adrp") {
    return std::string(kTargets) + good_trampolines(layout);
}

const char *kModuleSections = "\t.section .modinfo,\"a\"\n\t.asciz \"license=GPL\"\n"
                              "\t.section .gnu.linkonce.this_module,\"aw\"\n\t.balign 8\n"
                              "\t.zero 64\n";

// A module: modpost's .gnu.linkonce.this_module and .modinfo; nop slots.
std::string module_source(const std::string &foo_slot = "nop",
                          const std::string &layout = "slot-adrp") {
    const std::string bar_slot = has_slot(layout) ? "nop" : "";
    return std::string(kTargets) + Tramp("foo", layout).slot(foo_slot).str() +
           Tramp("bar", layout).literal("__static_call_return0").slot(bar_slot).str() +
           kModuleSections;
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
  .rodata : { *(.rodata) }
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

TEST_F(ScAudit, LibraryReportsSlotAdrpLayoutOfObject) {
    REQUIRE_BINUTILS();
    auto rep = scaudit::audit(assemble("good", good_source()));
    ASSERT_TRUE(rep.ok()) << rep.error();
    ASSERT_EQ(rep->layout, sct::find_layout("slot-adrp"));
    ASSERT_EQ(rep->trampolines.size(), 3u);
    EXPECT_FALSE(rep->module);
    // Sorted by address: packed at a 32-byte stride from the section start.
    const char *keys[] = {"foo", "bar", "far"};
    for (size_t i = 0; i < 3; ++i) {
        const auto &t = rep->trampolines[i];
        EXPECT_EQ(t.key, keys[i]);
        EXPECT_EQ(t.addr, 32 * i);
        EXPECT_EQ(t.size, 20u);
        ASSERT_EQ(t.words.size(), 5u);
        EXPECT_EQ(t.words[0], 0xd503245fu);
        EXPECT_EQ(t.words[2], 0x90000010u); // `adrp x16, 1f`, left to its relocation
        EXPECT_EQ(t.words[3], 0xf9400210u); // `ldr x16, [x16, :lo12:1f]`, the same
        EXPECT_EQ(t.words[4], 0xd61f0200u);
        EXPECT_EQ(t.literal.source, "R_AARCH64_ABS64");
        EXPECT_EQ(t.literal_at, ".rodata+" + a64::hex(8 * i));
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

// --- every layout (sct_layout.h) ------------------------------------------------
//
// ScAuditLayout.<test>/<layout>: the same images in each layout, written as
// its kernel writes them (Tramp): detected, audited clean, and corrupted
// copies caught. A layout without a Tramp source fails here.

namespace {

class ScAuditLayout : public ScAudit, public ::testing::WithParamInterface<std::string> {
  protected:
    const sct::Layout &layout() const { return *sct::find_layout(GetParam()); }
    std::string source() const { return good_source(GetParam()); }
    std::string detected(size_t n) const {
        return "layout: " + GetParam() + " (detected, " + std::to_string(n) + " of " +
               std::to_string(n) + " trampolines)";
    }
};

std::vector<std::string> layout_names() {
    std::vector<std::string> v;
    for (const auto &l : sct::kLayouts)
        v.push_back(l.name);
    return v;
}

} // namespace

TEST_P(ScAuditLayout, ObjectPasses) {
    REQUIRE_BINUTILS();
    const sct::Layout &l = layout();
    const std::string obj = assemble("good", source());
    expect_audit(
        obj, scaudit::kExitOk,
        {detected(3), "3 trampolines, 0 broken", "3 direct call sites",
         l.has_slot() ? "1 on the literal path (slot nop)" : "3 on the literal path (no slot)"},
        {"ERROR"});
    auto rep = scaudit::audit(obj);
    ASSERT_TRUE(rep.ok()) << rep.error();
    ASSERT_EQ(rep->layout, &l);
    ASSERT_EQ(rep->trampolines.size(), 3u);
    const char *keys[] = {"foo", "bar", "far"};
    const char *literals[] = {"target_a", "__static_call_return0", "far_target"};
    for (size_t i = 0; i < 3; ++i) {
        const auto &t = rep->trampolines[i];
        EXPECT_EQ(t.key, keys[i]);
        EXPECT_EQ(t.addr, l.stride * i); // packed at the stride from the section start
        EXPECT_EQ(t.size, l.size);
        ASSERT_EQ(t.words.size(), l.code.size());
        EXPECT_TRUE(sct::matches(l, t.words));
        EXPECT_EQ(t.literal.source, "R_AARCH64_ABS64");
        EXPECT_EQ(t.literal.text, literals[i]);
        EXPECT_TRUE(t.errors.empty()) << t.errors[0];
        EXPECT_EQ(t.literal_at, ".rodata+" + a64::hex(8 * i)); // one literal each, in order
    }
    if (l.has_slot()) {
        EXPECT_EQ(rep->trampolines[0].agree, "yes");
        EXPECT_EQ(rep->trampolines[1].agree, "yes");
        EXPECT_TRUE(rep->trampolines[2].slot_is_nop);
    } else {
        for (const auto &t : rep->trampolines) {
            EXPECT_EQ(t.slot, "-");
            EXPECT_EQ(t.slot_file_offset, 0u);
        }
    }
    EXPECT_EQ(rep->trampolines[0].calls, 2u);
    EXPECT_TRUE(rep->errors.empty());
}

TEST_P(ScAuditLayout, ModulePasses) {
    REQUIRE_BINUTILS();
    const bool slot = layout().has_slot();
    const std::string ko = assemble("mod", module_source(slot ? "nop" : "", GetParam()));
    expect_audit(
        ko, scaudit::kExitOk,
        {"(ET_REL module, arm64)", detected(2), "2 trampolines, 0 broken, 2 on the literal path"},
        {"ERROR"}, "-v");
}

TEST_P(ScAuditLayout, LinkedImagePasses) {
    REQUIRE_BINUTILS();
    const sct::Layout &l = layout();
    const std::string vm = link_vmlinux_like("vm", source());
    expect_audit(vm, scaudit::kExitOk,
                 {"__static_call_text_start", detected(3), "R_AARCH64_RELATIVE",
                  "3 trampolines, 0 broken", "3 direct call sites"},
                 {"ERROR"}, "-v");
    auto rep = scaudit::audit(vm);
    ASSERT_TRUE(rep.ok()) << rep.error();
    ASSERT_EQ(rep->layout, &l);
    ASSERT_EQ(rep->trampolines.size(), 3u);
    for (size_t i = 0; i < 3; ++i) {
        const auto &t = rep->trampolines[i];
        EXPECT_EQ(t.addr, rep->trampolines[0].addr + l.stride * i) << t.key;
        EXPECT_EQ(t.addr % l.align, 0u);
        EXPECT_EQ(t.literal.source, ".rela.dyn R_AARCH64_RELATIVE") << t.key;
        EXPECT_TRUE(t.errors.empty()) << t.errors[0];
        EXPECT_NE(t.literal_at.find(" in .rodata"), std::string::npos) << t.literal_at;
    }
    if (l.has_slot()) {
        EXPECT_TRUE(find_tramp(*rep, "far")->slot_is_nop);
        EXPECT_NE(find_tramp(*rep, "far")->distance.find("(far)"), std::string::npos);
        EXPECT_EQ(find_tramp(*rep, "bar")->agree, "yes");
    }
}

// Cross-check with binutils: objdump -d decodes the adrp/ldr pair that locates
// each linked trampoline's literal to the address sc-audit read it from, and
// objdump -R has the R_AARCH64_RELATIVE there whose value sc-audit reports.
TEST_P(ScAuditLayout, LinkedImageLiteralAgreesWithObjdump) {
    REQUIRE_BINUTILS();
    const sct::Layout &l = layout();
    const std::string vm = link_vmlinux_like("vm", source());
    auto rep = scaudit::audit(vm);
    ASSERT_TRUE(rep.ok()) << rep.error();
    auto dump = run(testutil::kObjdump.path + " -d " + shell_quote(vm));
    ASSERT_EQ(dump.exit_code, 0) << dump.output;
    auto dynrel = run(testutil::kObjdump.path + " -R " + shell_quote(vm));
    ASSERT_EQ(dynrel.exit_code, 0) << dynrel.output;
    for (const auto &t : rep->trampolines) {
        char line[200];
        const uint64_t adrp = *l.offset_of(sct::WordKind::Adrp);
        const uint64_t ldr = *l.offset_of(sct::WordKind::LdrLo12);
        std::snprintf(line, sizeof line, "%llx:\t%08x \tadrp\tx16, %llx",
                      (unsigned long long)(t.addr + adrp), t.words[adrp / 4],
                      (unsigned long long)(t.literal_addr & ~0xfffull));
        EXPECT_TRUE(has(dump.output, line)) << "missing `" << line << "` in\n" << dump.output;
        std::snprintf(line, sizeof line, "%llx:\t%08x \tldr\tx16, [x16, #%llu]",
                      (unsigned long long)(t.addr + ldr), t.words[ldr / 4],
                      (unsigned long long)(t.literal_addr & 0xfff));
        if (t.literal_addr & 0xfff) {
            EXPECT_TRUE(has(dump.output, line)) << "missing `" << line << "`";
        }
        // objdump prints the addend signed: *ABS*-0x00007fff7ff00000.
        const int64_t addend = int64_t(t.literal.abs);
        std::snprintf(line, sizeof line, "%016llx R_AARCH64_RELATIVE  *ABS*%c0x%016llx",
                      (unsigned long long)t.literal_addr, addend < 0 ? '-' : '+',
                      (unsigned long long)(addend < 0 ? -addend : addend));
        EXPECT_TRUE(has(dynrel.output, line)) << "missing `" << line << "` in\n" << dynrel.output;
    }
}

// A copy with one trampoline's slot (where the layout has one), literal, or
// literal-locating word (adrp) corrupted: each is reported, naming it.
TEST_P(ScAuditLayout, CorruptedCopiesOfLinkedImageAreNamed) {
    REQUIRE_BINUTILS();
    const sct::Layout &l = layout();
    const std::string vm = link_vmlinux_like("vm", source());
    using testutil::Part;
    const std::string load = std::to_string(*l.offset_of(sct::WordKind::Adrp));
    struct Case {
        Part part;
        std::string error; // after "ERROR <victim>: "
    };
    std::vector<Case> cases = {
        {Part::Literal, "literal bytes 0x8000000000000000 disagree with R_AARCH64_RELATIVE addend"},
        {Part::LiteralLoad, "layout: word at +" + load + " is `"},
    };
    if (l.has_slot())
        cases.push_back({Part::Slot, "slot `b 0x"});
    for (const auto &c : cases) {
        const std::string bad = (dir / "vm-corrupt.elf").string();
        const std::string victim = testutil::corrupt_one(vm, bad, c.part);
        ASSERT_FALSE(victim.empty()) << int(c.part);
        expect_audit(bad, scaudit::kExitBroken, {"ERROR " + victim + ": " + c.error});
    }
    EXPECT_TRUE(testutil::corrupt_one(vm, (dir / "x.elf").string(), Part::Slot).empty() ==
                !l.has_slot());
}

// --layout NAME checks against that layout: the right one passes, every other
// one reports the file's trampolines as broken.
TEST_P(ScAuditLayout, GivenLayoutIsUsed) {
    REQUIRE_BINUTILS();
    const std::string obj = assemble("good", source());
    expect_audit(obj, scaudit::kExitOk, {"layout: " + GetParam() + " (--layout)"}, {"ERROR"},
                 "--layout " + GetParam());
    for (const auto &other : sct::kLayouts) {
        if (other.name == GetParam())
            continue;
        expect_audit(obj, scaudit::kExitBroken,
                     {std::string("layout: ") + other.name + " (--layout)",
                      "ERROR __SCT__foo: code is layout " + GetParam() + " ("},
                     {}, std::string("--layout=") + other.name);
    }
}

INSTANTIATE_TEST_SUITE_P(EveryLayout, ScAuditLayout, ::testing::ValuesIn(layout_names()),
                         [](const ::testing::TestParamInfo<std::string> &i) {
                             std::string n = i.param;
                             for (char &c : n)
                                 if (c == '-')
                                     c = '_';
                             return n;
                         });

// The static call text may start less aligned than the layout (the kernel's
// ALIGN_FUNCTION() before .static_call.text): the bytes up to the first
// trampoline's alignment are no error, and the region line says so.
TEST_F(ScAudit, AlignmentBeforeTheFirstTrampolineIsAccepted) {
    REQUIRE_BINUTILS();
    expect_audit(link_vmlinux_like("vm", good_source("slot-adrp")), scaudit::kExitOk,
                 {"static call text: __static_call_text_start..__static_call_text_end "
                  "[0xffff800080000030, 0xffff8000800000a0), 16 byte(s) of alignment before the "
                  "first\n"},
                 {"ERROR"});
}

TEST_F(ScAudit, UnknownLayoutIsAUsageError) {
    REQUIRE_BINUTILS();
    auto r = audit(assemble("good", good_source()), "--layout v9");
    EXPECT_EQ(r.exit_code, scaudit::kExitError) << r.output;
    EXPECT_TRUE(has(r.output, "unknown layout 'v9' (known: slot-adrp, mainline)")) << r.output;
    EXPECT_EQ(audit(assemble("good", good_source()), "--layout").exit_code, scaudit::kExitError);
    // The 6.12 series' old 24-byte layout is gone.
    r = audit(assemble("good", good_source()), "--layout=v2");
    EXPECT_EQ(r.exit_code, scaudit::kExitError) << r.output;
    EXPECT_TRUE(has(r.output, "unknown layout 'v2' (known: slot-adrp, mainline)")) << r.output;
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

// good_source(layout) + `extra` as an object: the error is `error`, and the
// trampolines of good_source() stay intact.
BrokenImage object_error(const std::string &extra, const std::string &error,
                         const std::string &layout = "slot-adrp") {
    return object(good_source(layout) + extra, {error}, {"ERROR __SCT__foo"});
}

// The same, linked like vmlinux.
BrokenImage linked_error(const std::string &extra, const std::string &error,
                         const std::string &layout = "slot-adrp") {
    return linked(good_source(layout) + extra, {error}, {"ERROR __SCT__foo"});
}

const char *kSA = "slot-adrp";
const char *kML = "mainline";

// A trampoline with a code word changed (each is the 4th trampoline of its
// object: slot-adrp at .static_call.text+0x60, mainline +0x30).
BrokenImage wrong_word(const Tramp &t, const std::string &error,
                       const std::string &layout = "slot-adrp") {
    return object_error(t.str(), "ERROR __SCT__" + t.key() + ": layout: " + error, layout);
}

const std::vector<BrokenCase> &broken_cases() {
    static const std::vector<BrokenCase> cases = {
        // --- relocatable objects (slot-adrp unless named)
        {"WrongSymbolSizeIsNamed",
         {object_error(Tramp("s16").size("16").str(),
                       "ERROR __SCT__s16: symbol size 16, expected 20 (`.size` must cover the 20 "
                       "bytes of code, not the padding)"),
          object_error(Tramp("s0").size("0").str(),
                       "ERROR __SCT__s0: symbol size 0, expected 20")}},
        // Two of them, so that the first one's 20 bytes fit in the section.
        // v1's words match no layout; the nearest (2 of its words each, the
        // tie to the first) is slot-adrp.
        {"V1LayoutIsRejected",
         {object(std::string(kTargets) + v1_tramp("old") + v1_tramp("old2"),
                 {"layout: slot-adrp (nearest: no trampoline matches any layout)",
                  "ERROR layout: no trampoline matches a known layout (slot-adrp, mainline); "
                  "checked against the nearest, slot-adrp",
                  "ERROR __SCT__old: symbol size 16, expected 20",
                  "ERROR __SCT__old: layout: word at +8 is `ldr x16, 0x8` (0x58ffff90), expected "
                  "`adrp x16, <literal>`",
                  "ERROR __SCT__old: adrp x16 at +8 has no R_AARCH64_ADR_PREL_PG_HI21 "
                  "relocation"})}},
        {"LiteralWithoutRelocationIsNamed",
         {object_error(Tramp("const").literal("0x1234").slot("nop").str(),
                       "ERROR __SCT__const: literal 0x1234 has no R_AARCH64_ABS64 relocation")}},
        {"WrongSectionIsNamed",
         {object_error(Tramp("wrong").section(".text.other").str(),
                       "ERROR __SCT__wrong: trampoline is in section .text.other"),
          object_error(Tramp("wrong", kML).section(".text.other").str(),
                       "ERROR __SCT__wrong: trampoline is in section .text.other", kML)}},
        {"NonExecutableSectionIsNamed",
         {object(std::string(kTargets) + Tramp("nx").flags("a").str(),
                 {"ERROR __SCT__nx: section .static_call.text is not executable"})}},
        {"SlotThatIsNeitherBNorNopIsNamed",
         {object_error(Tramp("ret").slot("ret").str(),
                       "ERROR __SCT__ret: slot is neither `b` nor `nop`: `ret` (0xd65f03c0)")}},
        {"PaddingBetweenTrampolinesIsNamed",
         {object(good_source(kML) + Tramp("pad", kML).before("\t.skip 16\n").str(),
                 {"ERROR .static_call.text: 16 byte(s) at [.static_call.text+0x30, "
                  ".static_call.text+0x40) belong to no trampoline"},
                 {"ERROR __SCT__"}), // every trampoline is intact
          object(good_source() + "\t.section .static_call.text,\"ax\"\n\t.quad 0\n",
                 {"ERROR .static_call.text: 8 byte(s) at [.static_call.text+0x60, "
                  ".static_call.text+0x68) after the last trampoline"})}},
        // A second symbol 8 bytes into __SCT__far (at +0x40, its stride 32 bytes).
        {"OverlappingTrampolinesAreNamed",
         {object_error(
             "\t.globl __SCT__ovl\n\t.set __SCT__ovl, __SCT__far + 8\n",
             "ERROR __SCT__ovl: overlaps __SCT__far (starts 24 byte(s) before its end)")}},
        {"KprobeBlacklistEntryIsNamed",
         {object(good_source() + kKprobeEntry,
                 {"ERROR __SCT__foo: _kprobe_blacklist entry at _kprobe_blacklist+0x0 names this "
                  "trampoline"})}},
        // --- modules
        {"ModuleLiteralWithoutRelocationIsNamed",
         {object(module_source() + Tramp("c").literal("0xffff800080001000").slot("nop").str(),
                 {"ERROR __SCT__c: literal 0xffff800080001000 has no R_AARCH64_ABS64 "
                  "relocation"})}},
        // --- linked, vmlinux-like images
        // `b far_target` in a vmlinux trampoline: ld inserts a veneer (inside
        // the static call text, hence the bytes that belong to no
        // trampoline), the slot no longer branches to the literal's value.
        {"LinkedImageFarBranchThroughVeneerIsNamed",
         {linked(good_source() + Tramp("vf").literal("far_target").slot("b far_target").str(),
                 {"ERROR __SCT__vf: slot `b 0x",
                  "veneer>` disagrees with literal 0xffff800090000000 <far_target>",
                  "belong to no trampoline"})}},
        {"LinkedImagePaddingIsNamed",
         {linked(good_source() + Tramp("pad").before("\t.skip 32\n").str(),
                 {"ERROR __static_call_text_start..__static_call_text_end: 32 byte(s) at [0x"},
                 {"ERROR __SCT__"})}},
        {"LinkedImageTrampolineOutsideStaticCallTextIsNamed",
         {linked(good_source() + Tramp("out").section(".text").str(),
                 {"ERROR __SCT__out: trampoline outside .static_call.text"})}},
        {"LinkedImageKprobeBlacklistEntryIsNamed",
         {linked(good_source() + kKprobeEntry, {"ERROR __SCT__foo: _kprobe_blacklist entry at 0x"},
                 {"ERROR __SCT__bar"})}},
        // --- per layout (slot-adrp: the series on 6.12 and mainline;
        // mainline: mainline's own), each the 4th trampoline of its object
        // (slot-adrp at .static_call.text+0x60, mainline +0x30).
        {"SlotAdrpFlippedSlotIsNamed",
         {object_error(Tramp("flip", kSA).slot("b target_b").str(),
                       "ERROR __SCT__flip: slot `b target_b` disagrees with literal target_a", kSA),
          linked(good_source(kSA) + Tramp("flip", kSA).slot("b target_b").str(),
                 {"ERROR __SCT__flip: slot `b 0x", "<target_b>` disagrees with literal"})}},
        {"SlotAdrpNopSlotWithTargetInRangeIsNamed",
         {linked(good_source(kSA) + Tramp("n", kSA).slot("nop").str(),
                 {"ERROR __SCT__n: slot `nop` although the literal 0x",
                  "<target_a> is in branch range: expected `b target_a`"},
                 {"ERROR __SCT__foo"})}},
        {"SlotAdrpModuleBranchSlotIsNamed",
         {object(module_source("b target_a", kSA),
                 {"ERROR __SCT__foo: slot is `b target_a` in a module"}, {"ERROR __SCT__bar"})}},
        {"AdrpWrongCodeWordsAreNamed",
         {wrong_word(Tramp("w0", kSA).bti("nop"),
                     "word at +0 is `nop` (0xd503201f), expected `bti c` (0xd503245f)", kSA),
          wrong_word(Tramp("w8", kSA).adrp("adrp x17, 1f"),
                     "word at +8 is `adrp x17, 0x0` (0x90000011), expected `adrp x16, <literal>`",
                     kSA),
          wrong_word(Tramp("w12", kSA).lo12("ldr x16, [x17, :lo12:1f]"),
                     "word at +12 is `ldr x16, [x17]` (0xf9400230), expected `ldr x16, [x16, "
                     ":lo12:<literal>]`",
                     kSA),
          wrong_word(Tramp("w16", kSA).br("br x17"),
                     "word at +16 is `br x17` (0xd61f0220), expected `br x16`", kSA),
          wrong_word(Tramp("m0", kML).bti("nop"),
                     "word at +0 is `nop` (0xd503201f), expected `bti c` (0xd503245f)", kML),
          wrong_word(Tramp("m4", kML).adrp("adrp x15, 1f"),
                     "word at +4 is `adrp x15, 0x0` (0x9000000f), expected `adrp x16, <literal>`",
                     kML),
          wrong_word(Tramp("m8", kML).lo12("ldr x17, [x16, :lo12:1f]"),
                     "word at +8 is `ldr x17, [x16]` (0xf9400211), expected `ldr x16, [x16, "
                     ":lo12:<literal>]`",
                     kML),
          wrong_word(Tramp("m12", kML).br("ret"), "word at +12 is `ret` (0xd65f03c0)", kML)}},
        // .balign 32 (16), then 8 bytes.
        {"AdrpMisalignedEntryIsNamed",
         {object_error(Tramp("mis", kSA).before("\t.skip 8\n").str(),
                       "ERROR __SCT__mis: misaligned trampoline: section offset 0x68 is not "
                       "32-byte aligned",
                       kSA),
          object_error(Tramp("mis", kML).before("\t.skip 8\n").str(),
                       "ERROR __SCT__mis: misaligned trampoline: section offset 0x38 is not "
                       "16-byte aligned",
                       kML)}},
        {"AdrpWrongSymbolSizeIsNamed",
         {object_error(Tramp("s32", kSA).size("32").str(),
                       "ERROR __SCT__s32: symbol size 32, expected 20 (`.size` must cover the 20 "
                       "bytes of code, not the padding)",
                       kSA),
          object_error(Tramp("s20", kML).size("20").str(),
                       "ERROR __SCT__s20: symbol size 20, expected 16 (`.size` must cover the 16 "
                       "bytes of code)",
                       kML)}},
        {"AdrpLiteralInWrongSectionIsNamed",
         {object_error(Tramp("d", kSA).literal_section(".data").str(),
                       "ERROR __SCT__d: literal .data+0x0 is in section .data, not .rodata", kSA),
          linked_error(Tramp("d", kSA).literal_section(".data").str(),
                       "> is in section .data, not .rodata", kSA),
          object_error(Tramp("d", kML).literal_section(".data").str(),
                       "ERROR __SCT__d: literal .data+0x0 is in section .data, not .rodata", kML),
          linked_error(Tramp("d", kML).literal_section(".data").str(),
                       "> is in section .data, not .rodata", kML)}},
        // `1b`: the literal of the trampoline before (far's).
        {"AdrpSharedLiteralIsNamed",
         {object(good_source(kML) +
                     Tramp("sh", kML).adrp("adrp x16, 1b").lo12("ldr x16, [x16, :lo12:1b]").str(),
                 {"ERROR __SCT__sh: literal .rodata+0x10 is also __SCT__far's: an update of "
                  "either retargets both",
                  "ERROR __SCT__far: literal .rodata+0x10 is also __SCT__sh's"},
                 {"ERROR __SCT__foo"}),
          linked(good_source(kML) +
                     Tramp("sh", kML).adrp("adrp x16, 1b").lo12("ldr x16, [x16, :lo12:1b]").str(),
                 {"ERROR __SCT__sh: literal 0x", "is also __SCT__far's",
                  "ERROR __SCT__far: literal 0x", "is also __SCT__sh's"},
                 {"ERROR __SCT__foo"}),
          object(good_source(kSA) + Tramp("sh", kSA)
                                        .slot("b far_target")
                                        .adrp("adrp x16, 1b")
                                        .lo12("ldr x16, [x16, :lo12:1b]")
                                        .str(),
                 {"ERROR __SCT__sh: literal .rodata+0x10 is also __SCT__far's"})}},
        {"AdrpLdrOfAnotherLiteralIsNamed",
         {object_error(Tramp("two", kSA).lo12("ldr x16, [x16, :lo12:1b]").str(),
                       "ERROR __SCT__two: adrp x16 at +8 (.rodata+0x18) and ldr x16 at +12 "
                       "(.rodata+0x10) name different literals",
                       kSA),
          // Linked, the pair reads far's literal (same page).
          linked_error(Tramp("two", kML).lo12("ldr x16, [x16, :lo12:1b]").str(),
                       "ERROR __SCT__two: literal 0x", kML)}},
        {"AdrpPairWithoutRelocationIsNamed",
         {object_error(Tramp("norel", kML).lo12("ldr x16, [x16, #8]").str(),
                       "ERROR __SCT__norel: ldr x16 at +8 has no R_AARCH64_LDST64_ABS_LO12_NC "
                       "relocation: the literal's address is unknown",
                       kML)}},
        {"AdrpZeroLiteralIsNamed",
         {object_error(Tramp("zero", kML).literal("0").str(),
                       "ERROR __SCT__zero: literal is 0 (no relocation, zero bytes)", kML),
          linked_error(Tramp("zero", kML).literal("0").str(), "ERROR __SCT__zero: literal is 0",
                       kML),
          object_error(Tramp("zero", kSA).literal("0").slot("nop").str(),
                       "ERROR __SCT__zero: literal is 0 (no relocation, zero bytes)", kSA)}},
        {"AdrpLiteralWithoutRelocationIsNamed",
         {object_error(Tramp("const", kML).literal("0x1234").str(),
                       "ERROR __SCT__const: literal 0x1234 has no R_AARCH64_ABS64 relocation",
                       kML)}},
        {"AdrpLiteralTargetOutsideCodeIsNamed",
         {linked_error(Tramp("data", kML).literal("__static_call_text_end + 0x100000").str(),
                       "ERROR __SCT__data: literal target 0x", kML)}},
        {"SlotAdrpPaddingIsNamed",
         {object_error(Tramp("p0", kSA).after("\t.balign 32, 0\n").str(),
                       "ERROR __SCT__p0: padding word at +20 is `.inst 0x0` (0x0), expected `nop` "
                       "(0xd503201f) up to the 32-byte stride",
                       kSA),
          object_error(Tramp("brk", kSA).after("\tbrk #0\n\t.balign 32\n").str(),
                       "ERROR __SCT__brk: padding word at +20 is `brk #0x0`", kSA)}},
        {"SlotAdrpMissingFinalPaddingIsNamed",
         {object(good_source(kSA) + Tramp("last", kSA).after("").str(),
                 {"ERROR .static_call.text: the last trampoline's 32-byte stride ends 12 byte(s) "
                  "after the end .static_call.text+0x74"},
                 {"ERROR __SCT__"})}},
        {"AdrpPaddingBetweenTrampolinesIsNamed",
         {object(good_source(kSA) + Tramp("pad", kSA).before("\t.skip 32\n").str(),
                 {"ERROR .static_call.text: 32 byte(s) at [.static_call.text+0x60, "
                  ".static_call.text+0x80) belong to no trampoline (trampolines are packed at a "
                  "32-byte stride"},
                 {"ERROR __SCT__"}),
          linked(good_source(kML) + Tramp("pad", kML).before("\t.skip 16\n").str(),
                 {"ERROR __static_call_text_start..__static_call_text_end: 16 byte(s) at [0x"},
                 {"ERROR __SCT__"})}},
        // The region starts 16 mod 32 (ALIGN(8) in the test's linker script):
        // only the 16 bytes up to the first 32-byte boundary are alignment.
        {"SlotAdrpLinkedImagePaddingBeforeTheFirstIsNamed",
         {linked(std::string(kTargets) + Tramp("first", kSA).before("\t.skip 32\n").str() +
                     good_trampolines(kSA),
                 {"ERROR __static_call_text_start..__static_call_text_end: 48 byte(s) at "
                  "[0xffff800080000030, 0xffff800080000060) belong to no trampoline"},
                 {"ERROR __SCT__"})}},
        {"AdrpTrampolineOutsideStaticCallTextIsNamed",
         {linked_error(Tramp("out", kML).section(".text").str(),
                       "ERROR __SCT__out: trampoline outside .static_call.text", kML)}},
        {"AdrpKprobeBlacklistEntryIsNamed",
         {linked(good_source(kML) + kKprobeEntry,
                 {"ERROR __SCT__foo: _kprobe_blacklist entry at 0x"}, {"ERROR __SCT__bar"})}},
        // One file, one layout: a trampoline of another layout is named.
        {"MixedLayoutsAreNamed",
         {object_error(Tramp("sa", kSA).str(),
                       "ERROR __SCT__sa: code is layout slot-adrp (the series (patches/6.12/, "
                       "patches/7.2/)), not mainline",
                       kML),
          object(std::string(kTargets) + Tramp("ml", kML).str() + good_trampolines(kSA),
                 {"ERROR __SCT__ml: code is layout mainline (mainline's own (7.x with CFI, "
                  "without the series)), not slot-adrp"},
                 {"ERROR __SCT__foo"}),
          linked(std::string(kTargets) + Tramp("ml", kML).str() + good_trampolines(kSA),
                 {"ERROR __SCT__ml: code is layout mainline (", "not slot-adrp"},
                 {"ERROR __SCT__foo"}),
          linked_error(Tramp("sa", kSA).str(), "ERROR __SCT__sa: code is layout slot-adrp (",
                       kML)}},
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
