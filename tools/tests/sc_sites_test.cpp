// sc-sites tests: small arm64 objects whose .static_call_sites and
// .static_call_routes tables are written by hand in assembly (as
// scripts/static_call_sites would write them, R_AARCH64_PREL32 fields) are
// assembled, and linked, with binutils in a temporary directory. Each test
// breaks one rule and checks the message that names the site. The real-kernel
// tests are in sc_sites_vmlinux_test.cpp.
#include "a64.h"
#include "elf_image.h"
#include "sites.h"
#include "test_util.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <functional>

using testutil::has;
using testutil::run;
using testutil::shell_quote;

namespace {

#define REQUIRE_BINUTILS() REQUIRE_BINUTILS_FOR("sc-sites", testutil::kAs, testutil::kLd)

// Code with three sites (section offsets in comments):
//   do_foo+0x4  (.text+0x4)   bl __SCT__foo   site 0
//   do_foo+0xc  (.text+0xc)   bl __SCT__bar   site 1
//   do_foo+0x14 (.text+0x14)  b __SCT__foo    site 2 (tail)
//   do_bar+0x4  (.text+0x1c)  ret             not a site (.Lns)
const char *kCode = R"(
	.text
	.globl do_foo
	.type do_foo, %function
do_foo:
	stp x29, x30, [sp, #-16]!
	bl __SCT__foo
	nop
.Ls1:	bl __SCT__bar
	ldp x29, x30, [sp], #16
.Ls2:	b __SCT__foo
	.size do_foo, . - do_foo
	.type do_bar, %function
do_bar:
	nop
.Lns:	ret
	.size do_bar, . - do_bar
)";

// What vmlinux.o defines (a module has them undefined): the series'
// trampolines (sct_layout.h's slot-adrp, their literals in .rodata) in
// .static_call.text and the keys in .data. `local_keys` makes the keys local
// symbols, which the assembler then relocates against as .data+offset.
std::string definitions(bool local_keys = false, const std::string &foo_slot = "b target") {
    std::string s = "\t.text\n\t.type target, %function\ntarget:\n\tret\n\t.size target, 4\n";
    for (const char *k : {"foo", "bar"}) {
        const std::string t = std::string("__SCT__") + k;
        s += "\t.section .static_call.text, \"ax\"\n\t.balign 32\n\t.globl " + t + "\n\t.type " +
             t + ", %function\n" + t + ":\n\tbti c\n\t" + (k[1] == 'o' ? foo_slot : "b target") +
             "\n\tadrp x16, 1f\n\tldr x16, [x16, :lo12:1f]\n\tbr x16\n\t.size " + t + ", . - " + t +
             "\n\t.balign 32\n\t.section .rodata, \"a\"\n\t.align 3\n1:\t.quad target\n";
    }
    for (const char *k : {"foo", "bar", "baz"}) {
        const std::string key = std::string("__SCK__") + k;
        s += "\t.data\n\t.balign 8\n";
        if (!local_keys)
            s += "\t.globl " + key + "\n";
        s += "\t.type " + key + ", %object\n" + key + ":\n\t.quad target, 0\n\t.size " + key +
             ", 16\n";
    }
    return s;
}

// One table entry: `.long <site> - .` then `.long <value> - .`, or `raw`.
struct Pair {
    std::string site, value, raw;
};

struct Source {
    std::string code = kCode;
    std::string extra_code;
    std::vector<Pair> sites = {
        {"do_foo + 4", "__SCK__foo", ""},
        {".Ls1", "__SCK__bar", ""},
        {".Ls2", "__SCK__foo + 1", ""},
    };
    std::vector<Pair> routes = {
        {"do_foo + 4", "__SCT__foo", ""},
        {".Ls1", "__SCT__bar", ""},
        {".Ls2", "__SCT__foo", ""},
    };
    bool tables = true;
    std::string defs = definitions();

    std::string str() const {
        std::string s = code + extra_code;
        if (tables) {
            auto table = [&](const char *name, const std::vector<Pair> &v) {
                s += std::string("\t.section ") + name + ", \"aw\"\n\t.balign 4\n";
                for (const auto &p : v)
                    s += p.raw.empty() ? "\t.long " + p.site + " - .\n\t.long " + p.value + " - .\n"
                                       : p.raw;
            };
            table(".static_call_sites", sites);
            table(".static_call_routes", routes);
        }
        return s + defs;
    }
};

// Number of lines of `out` (discrepancies are one a line).
size_t lines(const std::string &out) {
    return size_t(std::count(out.begin(), out.end(), '\n'));
}

void write32(const std::string &path, uint64_t offset, uint32_t value) {
    ASSERT_TRUE(testutil::write32_le(path, offset, value)) << "cannot write " << path;
}

uint32_t read32(const std::string &path, uint64_t offset) {
    const auto w = testutil::read32_le(path, offset);
    EXPECT_TRUE(w) << "cannot read " << path;
    return w.value_or(0);
}

// The summary of a clean report on `n` sites.
std::string clean_summary(size_t n) {
    return std::to_string(n) + " sites, " + std::to_string(n) + " table entries, 0 discrepancies";
}

struct SitesImage;

class ScSites : public ::testing::Test {
  protected:
    testutil::TempDir dir;

    std::string assemble(const std::string &name, const std::string &src,
                         const std::string &ext = ".o") {
        return testutil::assemble(dir, name, src, ext);
    }

    // vmlinux-like (-shared -Bsymbolic, an ET_DYN image): the trampolines in
    // .text between __static_call_text_start/end, .static_call_sites inside
    // .rodata between __start/__stop_static_call_sites, .static_call_routes
    // its own output section, as the kernel's linker scripts place them.
    // Otherwise the default script (an ET_EXEC image, .static_call.text and
    // the tables as orphan sections).
    std::string link(const std::string &name, const std::string &src, bool vmlinux_like = false) {
        const std::string obj = assemble(name, src);
        const std::string out = (dir / (name + ".elf")).string();
        std::string cmd = testutil::kLd.path + " --no-warn-rwx-segments -e do_foo ";
        if (vmlinux_like) {
            testutil::write_file(dir / "vm.lds", R"(SECTIONS {
  . = 0xffff800080000000;
  .text : { *(.text) . = ALIGN(8); __static_call_text_start = .;
            *(.static_call.text) __static_call_text_end = .; }
  .rodata : { *(.rodata) . = ALIGN(8); __start_static_call_sites = .;
              KEEP(*(.static_call_sites)) __stop_static_call_sites = .; }
  .static_call_routes : ALIGN(8) { __start_static_call_routes = .;
              KEEP(*(.static_call_routes)) __stop_static_call_routes = .; }
  .data : { *(.data) }
})");
            cmd += "-shared -Bsymbolic -z notext --no-apply-dynamic-relocs -T " +
                   shell_quote((dir / "vm.lds").string()) + " ";
        }
        auto r = run(cmd + "-o " + shell_quote(out) + " " + shell_quote(obj));
        EXPECT_EQ(r.exit_code, 0) << r.output;
        return out;
    }

    testutil::CommandResult sites(const std::string &file, const std::string &flags = "") {
        return run(std::string(SC_SITES_BIN) + " " + flags + " " + shell_quote(file));
    }

    // Runs sc-sites on `file`: the summary and each of `expected` (the
    // discrepancies), nothing else; exit 1, or 0 when none are expected.
    void expect_report(const std::string &file, const std::string &summary,
                       const std::vector<std::string> &expected, const std::string &flags = "") {
        auto r = sites(file, flags);
        EXPECT_EQ(r.exit_code, expected.empty() ? scsites::kExitClean : scsites::kExitDiscrepancy)
            << r.output;
        EXPECT_TRUE(has(r.output, file + ": " + summary)) << "expected `" << summary << "` in:\n"
                                                          << r.output;
        for (const auto &e : expected)
            EXPECT_TRUE(has(r.output, file + ": " + e)) << "expected `" << e << "` in:\n"
                                                        << r.output;
        // One line per discrepancy plus the summary: nothing unexpected.
        EXPECT_EQ(lines(r.output), expected.size() + 1) << r.output;
    }

    // `n` sites, one entry each in the tables: clean.
    void expect_clean(const std::string &file, size_t n, const std::string &flags = "") {
        expect_report(file, clean_summary(n), {}, flags);
    }

    void check_image(const std::string &name, const SitesImage &image); // the table further down
};

// File offset of a virtual address of a linked image.
uint64_t file_offset(const std::string &path, uint64_t addr) {
    auto img = scaudit::ElfImage::open(path);
    if (!img)
        return 0;
    const scaudit::Section *s = (*img)->section_at(addr);
    return s ? s->offset + (addr - s->addr) : 0;
}

uint64_t symbol(const std::string &path, const std::string &name) {
    auto img = scaudit::ElfImage::open(path);
    if (img)
        for (const auto &s : (*img)->symbols)
            if (s.name == name)
                return s.value;
    return 0;
}

} // namespace

// --- relocatable objects (vmlinux.o, modules) ------------------------------

TEST_F(ScSites, AssemblerEmitsPrel32Tables) {
    REQUIRE_BINUTILS();
    auto img = scaudit::ElfImage::open(assemble("good", Source().str()));
    ASSERT_TRUE(img.ok()) << img.error();
    size_t prel32 = 0;
    for (const auto &rs : (*img)->relocs)
        if (rs.name == ".rela.static_call_sites" || rs.name == ".rela.static_call_routes")
            for (const auto &r : rs.relocs)
                prel32 += r.type == 261; // R_AARCH64_PREL32
    EXPECT_EQ(prel32, 12u);
}

TEST_F(ScSites, CleanObjectPasses) {
    REQUIRE_BINUTILS();
    const std::string obj = assemble("good", Source().str());
    expect_clean(obj, 3);
    auto r = sites(obj, "-v");
    EXPECT_EQ(r.exit_code, 0) << r.output;
    EXPECT_TRUE(has(r.output, "ET_REL, 3 sites, .static_call_sites 3 entries")) << r.output;
    EXPECT_TRUE(has(r.output, "site do_foo+0x4 (.text+0x4, 0x4): bl __SCT__foo  sites entry 0, "
                              "routes entry 0"))
        << r.output;
    EXPECT_TRUE(has(r.output, "site do_foo+0xc (.text+0xc, 0xc): bl __SCT__bar  sites entry 1"))
        << r.output;
    EXPECT_TRUE(has(r.output, "site do_foo+0x14 (.text+0x14, 0x14): b __SCT__foo  sites entry 2"))
        << r.output;
}

TEST_F(ScSites, LibraryReportsSitesAndEntries) {
    REQUIRE_BINUTILS();
    auto rep = scsites::check(assemble("good", Source().str()));
    ASSERT_TRUE(rep.ok()) << rep.error();
    ASSERT_EQ(rep->sites.size(), 3u);
    EXPECT_EQ(rep->kind, "ET_REL");
    EXPECT_FALSE(rep->module);
    const uint64_t addr[] = {4, 0xc, 0x14};
    const char *name[] = {"foo", "bar", "foo"};
    for (size_t i = 0; i < 3; ++i) {
        EXPECT_EQ(rep->sites[i].addr, addr[i]);
        EXPECT_EQ(rep->sites[i].name, name[i]);
        EXPECT_EQ(rep->sites[i].tail, i == 2);
        EXPECT_EQ(rep->sites[i].site_entries, std::vector<size_t>{i});
        EXPECT_EQ(rep->sites[i].route_entries, std::vector<size_t>{i});
    }
    EXPECT_EQ(rep->site_table.size(), 3u);
    EXPECT_EQ(rep->route_table.size(), 3u);
    EXPECT_TRUE(rep->clean());
}

TEST_F(ScSites, NoSitesNoTablesIsClean) {
    REQUIRE_BINUTILS();
    Source s;
    s.code = "\t.text\n\t.globl do_foo\n\t.type do_foo, %function\ndo_foo:\n\tret\n";
    s.tables = false;
    const std::string obj = assemble("none", s.str());
    auto r = sites(obj);
    EXPECT_EQ(r.exit_code, 0) << r.output;
    EXPECT_EQ(r.output, obj + ": 0 sites, 0 table entries, 0 discrepancies\n");
}

TEST_F(ScSites, SeveralFilesAndExitStatus) {
    REQUIRE_BINUTILS();
    const std::string good = assemble("good", Source().str());
    Source bad;
    bad.sites[1].value = "__SCK__baz";
    const std::string badobj = assemble("bad", bad.str());
    auto r = run(std::string(SC_SITES_BIN) + " " + shell_quote(good) + " " + shell_quote(badobj));
    EXPECT_EQ(r.exit_code, scsites::kExitDiscrepancy) << r.output;
    EXPECT_TRUE(has(r.output, good + ": 3 sites, 3 table entries, 0 discrepancies")) << r.output;
    EXPECT_TRUE(has(r.output, badobj + ": 3 sites, 3 table entries, 1 discrepancies")) << r.output;
    // Unreadable beats a discrepancy.
    r = run(std::string(SC_SITES_BIN) + " " + shell_quote(badobj) + " " +
            shell_quote((dir / "nonexistent").string()));
    EXPECT_EQ(r.exit_code, scsites::kExitError) << r.output;
    EXPECT_TRUE(has(r.output, "nonexistent: No such file or directory")) << r.output;
}

TEST_F(ScSites, UsageAndUnreadableFiles) {
    auto r = run(std::string(SC_SITES_BIN));
    EXPECT_EQ(r.exit_code, scsites::kExitError) << r.output;
    EXPECT_TRUE(has(r.output, "usage: sc-sites")) << r.output;
    r = run(std::string(SC_SITES_BIN) + " --bogus x");
    EXPECT_EQ(r.exit_code, scsites::kExitError) << r.output;
    EXPECT_TRUE(has(r.output, "unknown option --bogus")) << r.output;
    testutil::write_file(dir / "text.o", "not an ELF file\n");
    r = sites((dir / "text.o").string());
    EXPECT_EQ(r.exit_code, scsites::kExitError) << r.output;
    EXPECT_TRUE(has(r.output, "text.o: not an ELF file")) << r.output;
    r = run(std::string(SC_SITES_BIN) + " --help");
    EXPECT_EQ(r.exit_code, scsites::kExitClean) << r.output;
}

// --- linked images (vmlinux) ------------------------------------------------

TEST_F(ScSites, LinkedImagePasses) {
    REQUIRE_BINUTILS();
    const std::string exe = link("exe", Source().str());
    expect_clean(exe, 3);
    auto r = sites(exe, "-v");
    EXPECT_TRUE(has(r.output, "ET_EXEC, 3 sites")) << r.output;
    EXPECT_TRUE(has(r.output, "site do_foo+0xc (.text+0xc, ")) << r.output;
    EXPECT_TRUE(has(r.output, "): b __SCT__foo  sites entry 2, routes entry 2")) << r.output;

    const std::string vm = link("vm", Source().str(), true);
    expect_clean(vm, 3);
    r = sites(vm, "-v");
    EXPECT_TRUE(has(r.output, "ET_DYN, 3 sites")) << r.output;
    auto rep = scsites::check(vm);
    ASSERT_TRUE(rep.ok()) << rep.error();
    ASSERT_EQ(rep->site_table.size(), 3u);
    // Decoded from the .rodata bytes: the key of entry 2 carries TAIL.
    EXPECT_EQ(rep->site_table[2].value, symbol(vm, "__SCK__foo"));
    EXPECT_EQ(rep->site_table[2].flags, scsites::kSiteTail);
    EXPECT_EQ(rep->site_table[1].target, symbol(vm, "do_foo") + 0xc);
    EXPECT_EQ(rep->route_table[1].value, symbol(vm, "__SCT__bar"));
}

TEST_F(ScSites, LinkedNopSiteIsNamed) {
    REQUIRE_BINUTILS();
    for (bool vm : {false, true}) {
        const std::string img = link(vm ? "vm" : "exe", Source().str(), vm);
        write32(img, file_offset(img, symbol(img, "do_foo") + 0xc), a64::kNop);
        expect_report(img, "2 sites, 3 table entries, 2 discrepancies",
                      {".static_call_sites entry 1: site .text+0xc (do_foo+0xc) is not a "
                       "static call site: `nop` (0xd503201f)",
                       ".static_call_routes entry 1: site .text+0xc (do_foo+0xc) is not a "
                       "static call site: `nop` (0xd503201f)"});
    }
}

// The site now calls another static call: key and route no longer match it.
TEST_F(ScSites, LinkedSiteRetargetedIsNamed) {
    REQUIRE_BINUTILS();
    const std::string img = link("vm", Source().str(), true);
    const uint64_t pc = symbol(img, "do_foo") + 0xc;
    auto bl = a64::bl_to(pc, symbol(img, "__SCT__foo"));
    ASSERT_TRUE(bl.ok()) << bl.error();
    write32(img, file_offset(img, pc), *bl);
    expect_report(
        img, "3 sites, 3 table entries, 2 discrepancies",
        {".static_call_sites entry 1 (site do_foo+0xc): key __SCK__bar, expected __SCK__foo",
         ".static_call_routes entry 1 (site do_foo+0xc): route __SCT__bar, expected __SCT__foo"});
    // A bl into a trampoline's middle is no site; the entry says what is there.
    auto mid = a64::bl_to(pc, symbol(img, "__SCT__bar") + 8);
    ASSERT_TRUE(mid.ok()) << mid.error();
    write32(img, file_offset(img, pc), *mid);
    expect_report(img, "2 sites, 3 table entries, 2 discrepancies",
                  {".static_call_sites entry 1: site .text+0xc (do_foo+0xc) is not a "
                   "static call site: `bl 0x",
                   ".static_call_routes entry 1: site .text+0xc (do_foo+0xc) is not a "
                   "static call site: `bl 0x"});
    EXPECT_TRUE(has(sites(img).output, " (__SCT__bar+0x8)`")) << sites(img).output;
}

TEST_F(ScSites, LinkedKeyWordCorruptionIsNamed) {
    REQUIRE_BINUTILS();
    for (bool vm : {false, true}) {
        const std::string img = link(vm ? "vm" : "exe", Source().str(), vm);
        auto rep = scsites::check(img);
        ASSERT_TRUE(rep.ok()) << rep.error();
        ASSERT_EQ(rep->site_table.size(), 3u);
        const auto &e1 = rep->site_table[1];
        const uint64_t key_word = e1.file_offset + 4, key_addr = e1.addr + 4;
        const uint32_t orig = read32(img, key_word);
        // Entry 1 re-encoded to name another key.
        write32(img, key_word, uint32_t(symbol(img, "__SCK__baz") - key_addr));
        expect_report(
            img, "3 sites, 3 table entries, 1 discrepancies",
            {".static_call_sites entry 1 (site do_foo+0xc): key __SCK__baz, expected __SCK__bar"});
        // Entry 0's key word copied verbatim into entry 1: place-relative, so
        // it lands 8 bytes into entry 0's key.
        write32(img, key_word, read32(img, rep->site_table[0].file_offset + 4));
        auto r = sites(img);
        EXPECT_EQ(r.exit_code, 1) << r.output;
        EXPECT_TRUE(has(r.output, ".static_call_sites entry 1 (site do_foo+0xc): key 0x"))
            << r.output;
        EXPECT_TRUE(has(r.output, " (__SCK__foo+0x8), expected __SCK__bar")) << r.output;
        // TAIL cleared on the tail call entry 2.
        write32(img, key_word, orig);
        const uint64_t word2 = rep->site_table[2].file_offset + 4;
        write32(img, word2, read32(img, word2) - 1);
        expect_report(img, "3 sites, 3 table entries, 1 discrepancies",
                      {".static_call_sites entry 2 (site do_foo+0x14): flags 0x0, "
                       "expected 0x1 (b __SCT__foo is a tail call)"});
    }
}

TEST_F(ScSites, LinkedRouteCorruptionIsNamed) {
    REQUIRE_BINUTILS();
    const std::string img = link("vm", Source().str(), true);
    auto rep = scsites::check(img);
    ASSERT_TRUE(rep.ok()) << rep.error();
    ASSERT_EQ(rep->route_table.size(), 3u);
    const auto &e = rep->route_table[1];
    write32(img, e.file_offset + 4, uint32_t(symbol(img, "__SCT__foo") - (e.addr + 4)));
    expect_report(
        img, "3 sites, 3 table entries, 1 discrepancies",
        {".static_call_routes entry 1 (site do_foo+0xc): route __SCT__foo, expected __SCT__bar"});
}

TEST_F(ScSites, LinkedEntryOutsideTextIsNamed) {
    REQUIRE_BINUTILS();
    Source s;
    s.sites.push_back({"__SCK__baz", "__SCK__foo", ""});
    const std::string img = link("exe", s.str());
    auto r = sites(img);
    EXPECT_EQ(r.exit_code, 1) << r.output;
    EXPECT_TRUE(has(r.output, ".static_call_sites entry 3: site 0x")) << r.output;
    EXPECT_TRUE(has(r.output, " (.data+0x20) is not in an executable section")) << r.output;
    EXPECT_TRUE(has(r.output, ": 3 sites, 4 table entries, 1 discrepancies")) << r.output;
}

// --- reports on edited sources (table) ---------------------------------------
//
// Each row is a test, ScSites.<name>: one or more images, each built from
// Source() with an edit, on which sc-sites (with `flags`) reports `summary`
// and exactly the discrepancies `expected` (clean when there are none).

namespace {

enum class Build { Object, Module, Exe, Vmlinux }; // .o, .ko, ET_EXEC, vmlinux-like ET_DYN

struct SitesImage {
    Build build;
    Source source;
    std::string summary;
    std::vector<std::string> expected;
    std::string flags;
};

struct SitesCase {
    const char *name;
    std::vector<SitesImage> images;
};

SitesImage image(Build build, Source source, std::string summary,
                 std::vector<std::string> expected = {}, std::string flags = "") {
    return {build, std::move(source), std::move(summary), std::move(expected), std::move(flags)};
}

// Source() with one more function, `code`.
Source with_code(std::string code) {
    Source s;
    s.extra_code = std::move(code);
    return s;
}

// `from` changed by `edit`.
Source edited(const std::function<void(Source &)> &edit, Source from = Source()) {
    edit(from);
    return from;
}

const std::vector<SitesCase> &sites_cases() {
    // The keys local: the assembler relocates against .data+offset (+ flags).
    const Source local_keys = edited([](Source &s) { s.defs = definitions(true); });
    // As in a module: __SCT__/__SCK__ undefined, a key field naming the
    // trampoline (static_call_mod() of a key the module cannot see).
    const Source module_key = edited([](Source &s) {
        s.defs = "";
        s.sites[1].value = "__SCT__bar";
    });
    // A trampoline whose slot branches to another trampoline.
    const Source tramp_to_tramp =
        edited([](Source &s) { s.defs = definitions(false, "b __SCT__bar"); });
    const Source no_entry_1 = edited([](Source &s) { s.sites.erase(s.sites.begin() + 1); });
    const Source empty_tables = edited([](Source &s) {
        s.sites.clear();
        s.routes.clear();
    });
    const std::vector<std::string> no_entries = {
        "site do_foo+0x4: bl __SCT__foo has no .static_call_sites entry",
        "site do_foo+0x4: bl __SCT__foo has no .static_call_routes entry",
        "site do_foo+0xc: bl __SCT__bar has no .static_call_sites entry",
        "site do_foo+0xc: bl __SCT__bar has no .static_call_routes entry",
        "site do_foo+0x14: b __SCT__foo has no .static_call_sites entry",
        "site do_foo+0x14: b __SCT__foo has no .static_call_routes entry"};
    const std::string one = "3 sites, 3 table entries, 1 discrepancies";
    const std::string two = "3 sites, 3 table entries, 2 discrepancies";

    static const std::vector<SitesCase> cases = {
        // --- relocatable objects (vmlinux.o, modules)
        {"KeyThroughSectionSymbolIsResolved",
         {image(Build::Object, local_keys, clean_summary(3)),
          image(Build::Object,
                edited([](Source &s) { s.sites[1].value = "__SCK__baz"; }, local_keys), one,
                {".static_call_sites entry 1 (site do_foo+0xc): key __SCK__baz, expected "
                 "__SCK__bar"})}},
        {"SitesWithoutTablesAreReported",
         {image(Build::Object, edited([](Source &s) { s.tables = false; }),
                "3 sites, 0 table entries, 2 discrepancies",
                {"3 static call sites but no .static_call_sites section",
                 "3 static call sites but no .static_call_routes section"})}},
        // Linked, the empty tables are __start_ == __stop_.
        {"EmptyTablesAreReported",
         {image(Build::Object, empty_tables, "3 sites, 0 table entries, 6 discrepancies",
                no_entries),
          image(Build::Vmlinux, empty_tables, "3 sites, 0 table entries, 6 discrepancies",
                no_entries)}},
        {"MissingEntryIsNamed",
         {image(Build::Object, no_entry_1, "3 sites, 2 table entries, 1 discrepancies",
                {"site do_foo+0xc: bl __SCT__bar has no .static_call_sites entry"})}},
        {"DuplicateEntryIsNamed",
         {image(
             Build::Object, edited([](Source &s) {
                 s.sites.push_back({".Ls1", "__SCK__bar", ""});
             }),
             "3 sites, 4 table entries, 1 discrepancies",
             {"site do_foo+0xc: bl __SCT__bar has 2 .static_call_sites entries (entries 1, 3)"})}},
        {"WrongKeyIsNamed",
         {image(Build::Object, edited([](Source &s) { s.sites[1].value = "__SCK__baz"; }), one,
                {".static_call_sites entry 1 (site do_foo+0xc): key __SCK__baz, expected "
                 "__SCK__bar"}),
          // Pointing into the key rather than at it.
          image(Build::Object, edited([](Source &s) { s.sites[1].value = "__SCK__bar + 8"; }), one,
                {".static_call_sites entry 1 (site do_foo+0xc): key __SCK__bar+0x8, expected "
                 "__SCK__bar"})}},
        {"WrongTailFlagIsNamed",
         {image(Build::Object, edited([](Source &s) {
                    s.sites[2].value = "__SCK__foo";     // b without TAIL
                    s.sites[0].value = "__SCK__foo + 1"; // bl with TAIL
                }),
                two,
                {".static_call_sites entry 0 (site do_foo+0x4): flags 0x1, expected 0x0 "
                 "(bl __SCT__foo is not a tail call)",
                 ".static_call_sites entry 2 (site do_foo+0x14): flags 0x0, expected "
                 "0x1 (b __SCT__foo is a tail call)"})}},
        {"InitFlagInTheFileIsNamed",
         {image(Build::Object, edited([](Source &s) { s.sites[1].value = "__SCK__bar + 2"; }), one,
                {".static_call_sites entry 1 (site do_foo+0xc): flags 0x2 include "
                 "STATIC_CALL_SITE_INIT (0x2), which only the kernel sets"})}},
        {"EntryAtANonSiteIsNamed",
         {image(Build::Object, edited([](Source &s) {
                    s.sites.push_back({".Lns", "__SCK__foo", ""});
                    s.sites.push_back({"__SCK__baz", "__SCK__foo", ""});
                }),
                "3 sites, 5 table entries, 2 discrepancies",
                {".static_call_sites entry 3: site .text+0x1c (do_bar+0x4) is not a static call "
                 "site",
                 ".static_call_sites entry 4: site .data+0x20 is not a static call site"})}},
        {"NonPrel32FieldIsNamed",
         {image(Build::Object, edited([](Source &s) {
                    s.sites[0].raw = "\t.long do_foo + 4\n\t.long __SCK__foo - .\n";
                }),
                two,
                {".static_call_sites entry 0: site field relocation is R_AARCH64_ABS32, "
                 "expected R_AARCH64_PREL32",
                 "site do_foo+0x4: bl __SCT__foo has no .static_call_sites entry"})}},
        {"RoutesAreChecked",
         {image(Build::Object, edited([](Source &s) { s.routes.pop_back(); }), one,
                {"site do_foo+0x14: b __SCT__foo has no .static_call_routes entry"}),
          image(Build::Object, edited([](Source &s) { s.routes[1].value = "__SCT__foo"; }), one,
                {".static_call_routes entry 1 (site do_foo+0xc): route __SCT__foo, expected "
                 "__SCT__bar"}),
          image(Build::Object, edited([](Source &s) {
                    s.routes.push_back({".Lns", "__SCT__foo", ""});
                    s.routes.push_back({".Ls1", "__SCT__bar", ""});
                }),
                two,
                {".static_call_routes entry 3: site .text+0x1c (do_bar+0x4) is not a static call "
                 "site",
                 "site do_foo+0xc: bl __SCT__bar has 2 .static_call_routes entries (entries 1, "
                 "4)"})}},
        {"ConditionalBranchToTrampolineIsReported",
         {image(Build::Object,
                with_code("\t.type do_cond, %function\ndo_cond:\n\tb.eq __SCT__foo\n"
                          "\ttbz x0, #3, __SCT__bar\n\tret\n\t.size do_cond, . - do_cond\n"),
                two,
                {"site do_cond+0x0: R_AARCH64_CONDBR19 branch to __SCT__foo cannot be "
                 "recorded as a static call site",
                 "site do_cond+0x4: R_AARCH64_TSTBR14 branch to __SCT__bar cannot be "
                 "recorded as a static call site"})}},
        {"BranchWithAddendIsReported",
         {image(Build::Object,
                with_code("\t.type do_odd, %function\ndo_odd:\n\tbl __SCT__foo + 8\n\tret\n"
                          "\t.size do_odd, . - do_odd\n"),
                one,
                {"site do_odd+0x0: bl __SCT__foo+0x8 branches past the trampoline's "
                 "entry: not a recordable site"})}},
        // A module's key field may name the trampoline: only in a .ko, or
        // with --module; there it must still be the site's own.
        {"TrampolineAsKeyOnlyInModules",
         {image(Build::Object, module_key, one,
                {".static_call_sites entry 1 (site do_foo+0xc): key __SCT__bar names the "
                 "trampoline, allowed only in a module (.ko or --module); expected "
                 "__SCK__bar"}),
          image(Build::Module, module_key, clean_summary(3)),
          image(Build::Object, module_key, clean_summary(3), {}, "--module"),
          image(Build::Object, module_key, clean_summary(3), {}, "-m"),
          image(Build::Module,
                edited([](Source &s) { s.sites[0].value = "__SCT__bar"; }, module_key), one,
                {".static_call_sites entry 0 (site do_foo+0x4): key __SCT__bar, expected "
                 "__SCK__foo or __SCT__foo"})}},
        // --- linked images (vmlinux)
        // A trampoline whose slot branches to another trampoline is no call
        // site in a linked image: the static call text is not scanned. In an
        // object the branch relocation is a site like any other (as
        // scripts/static_call_sites sees it).
        {"StaticCallTextIsNotScanned",
         {image(Build::Exe, tramp_to_tramp, clean_summary(3)),
          image(Build::Vmlinux, tramp_to_tramp, clean_summary(3)),
          image(Build::Object, tramp_to_tramp, "4 sites, 3 table entries, 2 discrepancies",
                {"site __SCT__foo+0x4: b __SCT__bar has no .static_call_sites entry",
                 "site __SCT__foo+0x4: b __SCT__bar has no .static_call_routes entry"})}},
        {"LinkedMissingEntryIsNamed",
         {image(Build::Exe, no_entry_1, "3 sites, 2 table entries, 1 discrepancies",
                {"site do_foo+0xc: bl __SCT__bar has no .static_call_sites entry"}),
          image(Build::Vmlinux, no_entry_1, "3 sites, 2 table entries, 1 discrepancies",
                {"site do_foo+0xc: bl __SCT__bar has no .static_call_sites entry"})}},
    };
    return cases;
}

void ScSites::check_image(const std::string &name, const SitesImage &image) {
    REQUIRE_BINUTILS();
    const std::string src = image.source.str();
    std::string file;
    switch (image.build) {
    case Build::Object:
        file = assemble(name, src);
        break;
    case Build::Module:
        file = assemble(name, src, ".ko");
        break;
    case Build::Exe:
    case Build::Vmlinux:
        file = link(name, src, image.build == Build::Vmlinux);
        break;
    }
    expect_report(file, image.summary, image.expected, image.flags);
}

[[maybe_unused]] const bool kSitesCasesRegistered =
    testutil::register_rows<ScSites>("ScSites", sites_cases(), __FILE__, __LINE__);

} // namespace

// --- runtime dumps (sc-sites --runtime DUMP VMLINUX) -------------------------
//
// The linked images above, with _stext at the start of .text (do_foo is at
// _stext+0), and console logs written by hand as the KUnit suite prints them
// (`SCDUMP site %lx %08x %lx %lx %d`), relocated by a KASLR slide.

namespace {

std::string hx(uint64_t v) {
    char b[24];
    std::snprintf(b, sizeof(b), "%llx", static_cast<unsigned long long>(v));
    return b;
}

std::string h0x(uint64_t v) {
    return "0x" + hx(v);
}

// func - site as a signed 64-bit offset, as the messages print it.
std::string off_text(uint64_t func, uint64_t site) {
    const int64_t off = int64_t(func - site);
    return off < 0 ? "-0x" + hx(0 - uint64_t(off)) : "+0x" + hx(uint64_t(off));
}

std::string w08(uint32_t w) {
    char b[16];
    std::snprintf(b, sizeof(b), "%08x", w);
    return b;
}

// Somewhere in module/vmalloc space: beyond branch range of every site.
constexpr uint64_t kFar = 0xffff800000010000;
constexpr uint64_t kSlide = 0x200000;

uint32_t bl(uint64_t pc, uint64_t to) {
    auto w = a64::bl_to(pc, to);
    EXPECT_TRUE(w.ok()) << w.error();
    return w.value_or(0);
}

uint32_t b(uint64_t pc, uint64_t to) {
    auto w = a64::b_to(pc, to);
    EXPECT_TRUE(w.ok()) << w.error();
    return w.value_or(0);
}

struct DumpLine {
    uint64_t addr = 0;
    uint32_t insn = 0;
    uint64_t key = 0;
    uint64_t func = 0;
    int tail = 0;
};

// The console log's first site line; the dump's lines follow one a line.
constexpr size_t kFirstSiteLine = 4;

// A console log holding the dump between boot noise: printk timestamps,
// log-level prefixes, a CRLF line, a KUnit line. `end` < 0: the true count.
std::string console(uint64_t stext, const std::vector<DumpLine> &lines, long end = -1) {
    std::string s = "Booting Linux on physical CPU 0x0000000000 [0x000f0510]\n"
                    "[    0.000000] Linux version 6.12.0 (gcc) #1 SMP PREEMPT\r\n"
                    "[    1.000000] SCDUMP stext " +
                    hx(stext) + "\n";
    int i = 0;
    for (const auto &l : lines) {
        const char *prefix = i % 3 == 0 ? "[    1.000100] " : i % 3 == 1 ? "<6>[ 1.2] " : "";
        s += prefix + std::string("SCDUMP site ") + hx(l.addr) + " " + w08(l.insn) + " " +
             hx(l.key) + " " + hx(l.func) + " " + std::to_string(l.tail) + (i % 2 ? "\r\n" : "\n");
        ++i;
    }
    s += "    # a64sc_inline_all_sites: " + std::to_string(lines.size()) +
         " vmlinux sites checked, 0 not in kernel text\n";
    s += "[    1.100000] SCDUMP end " + hx(end < 0 ? lines.size() : uint64_t(end)) + "\n";
    return s + "[    1.200000] reboot: Power down\n";
}

// _stext at the start of .text; `etext`: _etext after the .text code (the
// trampolines come after it in the vmlinux-like image).
Source runtime_source(bool etext = false) {
    Source s;
    s.code = "\t.text\n\t.globl _stext\n_stext:\n" + std::string(kCode);
    if (etext)
        s.defs += "\t.text\n\t.globl _etext\n_etext:\n";
    return s;
}

} // namespace

class ScSitesRuntime : public ScSites {
  protected:
    std::string img;
    uint64_t slide = kSlide;

    // Runtime address of a VMLINUX symbol.
    uint64_t rt(const std::string &name, uint64_t off = 0) {
        const uint64_t v = symbol(img, name);
        EXPECT_NE(v, 0u) << "no symbol " << name << " in " << img;
        return v + off + slide;
    }
    uint64_t stext() { return rt("_stext"); }
    uint64_t s0() { return rt("do_foo", 4); }    // bl __SCT__foo
    uint64_t s1() { return rt("do_foo", 0xc); }  // bl __SCT__bar
    uint64_t s2() { return rt("do_foo", 0x14); } // b __SCT__foo (tail)

    // The three sites as patched for foo -> kFar (out of range: the
    // trampoline), bar -> target (in range: direct).
    std::vector<DumpLine> patched() {
        return {{s0(), bl(s0(), rt("__SCT__foo")), rt("__SCK__foo"), kFar, 0},
                {s1(), bl(s1(), rt("target")), rt("__SCK__bar"), rt("target"), 0},
                {s2(), b(s2(), rt("__SCT__foo")), rt("__SCK__foo"), kFar, 1}};
    }

    std::string write_dump(const std::string &text, const std::string &name = "console.log") {
        testutil::write_file(dir / name, text);
        return (dir / name).string();
    }

    testutil::CommandResult runtime(const std::string &dump, const std::string &flags = "") {
        return run(std::string(SC_SITES_BIN) + " " + flags + " --runtime " + shell_quote(dump) +
                   " " + shell_quote(img));
    }

    void expect_runtime_clean(const std::string &text, size_t dumped, size_t entries = 3) {
        const std::string dump = write_dump(text);
        auto r = runtime(dump);
        EXPECT_EQ(r.exit_code, scsites::kExitClean) << r.output;
        EXPECT_EQ(r.output, dump + ": " + std::to_string(dumped) + " sites dumped, " +
                                std::to_string(entries) + " table entries, 0 discrepancies\n");
    }

    // Exit 1, the summary, each of `expected` (whole lines), nothing else.
    void expect_runtime(const std::string &text, const std::string &summary,
                        const std::vector<std::string> &expected) {
        const std::string dump = write_dump(text);
        auto r = runtime(dump);
        EXPECT_EQ(r.exit_code, scsites::kExitDiscrepancy) << r.output;
        EXPECT_TRUE(has(r.output, dump + ": " + summary + "\n"))
            << "expected `" << summary << "` in:\n"
            << r.output;
        for (const auto &e : expected)
            EXPECT_TRUE(has(r.output, dump + ": " + e + "\n")) << "expected `" << e << "` in:\n"
                                                               << r.output;
        EXPECT_EQ(lines(r.output), expected.size() + 1) << r.output;
    }

    // Exit 2 with `message` on stderr and no report.
    void expect_dump_error(const std::string &text, const std::string &message) {
        const std::string dump = write_dump(text);
        auto r = runtime(dump);
        EXPECT_EQ(r.exit_code, scsites::kExitError) << r.output;
        EXPECT_TRUE(has(r.output, "sc-sites: " + dump + message))
            << "expected `" << message << "` in:\n"
            << r.output;
        EXPECT_FALSE(has(r.output, "sites dumped")) << r.output;
    }
};

TEST_F(ScSitesRuntime, CleanDumpPasses) {
    REQUIRE_BINUTILS();
    for (bool vm : {false, true}) {
        SCOPED_TRACE(vm ? "ET_DYN" : "ET_EXEC");
        img = link(vm ? "vm" : "exe", runtime_source().str(), vm);
        expect_clean(img, 3); // the static check agrees
        for (uint64_t s : {kSlide, uint64_t(0)}) {
            slide = s;
            expect_runtime_clean(console(stext(), patched()), 3);
        }
        slide = kSlide;
        // NULL keys: nop, and a tail call to NULL goes through the trampoline.
        expect_runtime_clean(
            console(stext(), {{s0(), a64::kNop, rt("__SCK__foo"), 0, 0},
                              {s1(), a64::kNop, rt("__SCK__bar"), 0, 0},
                              {s2(), b(s2(), rt("__SCT__foo")), rt("__SCK__foo"), 0, 1}}),
            3);
        // In range: direct bl and b; misaligned: the trampoline.
        expect_runtime_clean(
            console(stext(),
                    {{s0(), bl(s0(), rt("target")), rt("__SCK__foo"), rt("target"), 0},
                     {s1(), bl(s1(), rt("__SCT__bar")), rt("__SCK__bar"), rt("target", 2), 0},
                     {s2(), b(s2(), rt("target")), rt("__SCK__foo"), rt("target"), 1}}),
            3);
    }
}

TEST_F(ScSitesRuntime, LibraryAndVerboseReport) {
    REQUIRE_BINUTILS();
    img = link("vm", runtime_source().str(), true);
    const std::string dump = write_dump(console(stext(), patched()));
    auto rep = scsites::check_runtime(dump, img);
    ASSERT_TRUE(rep.ok()) << rep.error();
    EXPECT_TRUE(rep->clean());
    EXPECT_EQ(rep->kind, "ET_DYN");
    EXPECT_EQ(rep->slide, kSlide);
    EXPECT_EQ(rep->vmlinux_stext, symbol(img, "_stext"));
    EXPECT_EQ(rep->entries, 3u);
    ASSERT_EQ(rep->sites.size(), 3u);
    const char *where[] = {"do_foo+0x4", "do_foo+0xc", "do_foo+0x14"};
    const char *expected[] = {"`bl __SCT__foo`", "`bl target`", "`b __SCT__foo`"};
    for (size_t i = 0; i < 3; ++i) {
        EXPECT_EQ(rep->sites[i].where, where[i]);
        EXPECT_EQ(rep->sites[i].entry, long(i));
        EXPECT_EQ(rep->sites[i].expected, expected[i]);
        EXPECT_TRUE(rep->sites[i].insn_ok);
        EXPECT_EQ(rep->sites[i].dumped.line, kFirstSiteLine + i);
        EXPECT_EQ(rep->sites[i].vaddr, symbol(img, "do_foo") + 8 * i + 4);
    }
    EXPECT_EQ(rep->sites[0].key, "__SCK__foo");
    auto r = runtime(dump, "-v");
    EXPECT_EQ(r.exit_code, 0) << r.output;
    EXPECT_TRUE(has(r.output, "(ET_DYN): _stext " + h0x(symbol(img, "_stext")) + ", at run time " +
                                  h0x(stext()) + ", slide 0x200000; "))
        << r.output;
    EXPECT_TRUE(has(r.output, "site do_foo+0xc (" + h0x(s1()) +
                                  ", dump line 5): entry 1, key __SCK__bar -> " +
                                  h0x(rt("target")) + ": `bl target` (0x" +
                                  w08(bl(s1(), rt("target"))) + ") ok\n"))
        << r.output;
    EXPECT_TRUE(has(r.output, "site do_foo+0x14 (" + h0x(s2()) +
                                  ", dump line 6): entry 2, key __SCK__foo -> " + h0x(kFar) +
                                  ": `b __SCT__foo` ("))
        << r.output;
    EXPECT_EQ(lines(r.output), 5u) << r.output;
}

TEST_F(ScSitesRuntime, NopAtNonNullSiteIsNamed) {
    REQUIRE_BINUTILS();
    img = link("vm", runtime_source().str(), true);
    auto d = patched();
    d[1].insn = a64::kNop;
    expect_runtime(console(stext(), d), "3 sites dumped, 3 table entries, 1 discrepancies",
                   {"site do_foo+0xc: key __SCK__bar -> " + h0x(rt("target")) +
                    " (target): expected `bl target` (target in range), seen `nop` (0xd503201f)"});
    // Out of range: the trampoline was expected.
    d = patched();
    d[0].insn = a64::kNop;
    expect_runtime(console(stext(), d), "3 sites dumped, 3 table entries, 1 discrepancies",
                   {"site do_foo+0x4: key __SCK__foo -> " + h0x(kFar) +
                    ": expected `bl __SCT__foo` (target " + off_text(kFar, s0()) +
                    " from the site, out of branch range), seen `nop` (0xd503201f)"});
}

TEST_F(ScSitesRuntime, TrampolineCallWhileInRangeIsNamed) {
    REQUIRE_BINUTILS();
    img = link("vm", runtime_source().str(), true);
    auto d = patched();
    d[1].insn = bl(s1(), rt("__SCT__bar"));
    expect_runtime(console(stext(), d), "3 sites dumped, 3 table entries, 1 discrepancies",
                   {"site do_foo+0xc: key __SCK__bar -> " + h0x(rt("target")) +
                    " (target): expected `bl target` (target in range), seen `bl __SCT__bar` "
                    "(0x" +
                    w08(d[1].insn) + ")"});
}

TEST_F(ScSitesRuntime, DirectCallWhileOutOfRangeIsNamed) {
    REQUIRE_BINUTILS();
    img = link("exe", runtime_source().str());
    auto d = patched();
    // foo moved far away (a module), its sites still call the old target.
    d[0].insn = bl(s0(), rt("target"));
    d[2].insn = b(s2(), rt("target"));
    expect_runtime(
        console(stext(), d), "3 sites dumped, 3 table entries, 2 discrepancies",
        {"site do_foo+0x4: key __SCK__foo -> " + h0x(kFar) + ": expected `bl __SCT__foo` (target " +
             off_text(kFar, s0()) + " from the site, out of branch range), seen `bl target` (0x" +
             w08(d[0].insn) + ")",
         "site do_foo+0x14: key __SCK__foo -> " + h0x(kFar) + ": expected `b __SCT__foo` (target " +
             off_text(kFar, s2()) + " from the site, out of branch range), seen `b target` (0x" +
             w08(d[2].insn) + ")"});
    // A misaligned target is never called directly.
    d = patched();
    d[1].func = rt("target", 2);
    expect_runtime(console(stext(), d), "3 sites dumped, 3 table entries, 1 discrepancies",
                   {"site do_foo+0xc: key __SCK__bar -> " + h0x(rt("target", 2)) +
                    " (target+0x2): expected `bl __SCT__bar` (target not 4-byte aligned), seen "
                    "`bl target` (0x" +
                    w08(d[1].insn) + ")"});
}

// offset = func - site: -2^27 <= offset < 2^27 is in range.
TEST_F(ScSitesRuntime, BranchRangeEdges) {
    REQUIRE_BINUTILS();
    img = link("vm", runtime_source().str(), true);
    const int64_t edge = int64_t{1} << 27;
    struct Case {
        int64_t off;
        bool in_range;
    };
    for (Case c :
         {Case{edge - 4, true}, Case{-edge, true}, Case{edge, false}, Case{-edge - 4, false}}) {
        SCOPED_TRACE(c.off);
        const uint64_t func = s1() + uint64_t(c.off);
        const uint32_t direct = c.in_range ? bl(s1(), func) : 0;
        const uint32_t tramp = bl(s1(), rt("__SCT__bar"));
        auto d = patched();
        d[1].func = func;
        d[1].insn = c.in_range ? direct : tramp;
        expect_runtime_clean(console(stext(), d), 3);
        d[1].insn = c.in_range ? tramp : a64::kNop;
        const std::string off = off_text(func, s1());
        expect_runtime(console(stext(), d), "3 sites dumped, 3 table entries, 1 discrepancies",
                       {"site do_foo+0xc: key __SCK__bar -> " + h0x(func) + ": expected " +
                        (c.in_range ? "`bl " + h0x(func) +
                                          "` (target in range), seen "
                                          "`bl __SCT__bar` (0x" +
                                          w08(tramp) + ")"
                                    : "`bl __SCT__bar` (target " + off +
                                          " from the site, out of branch range), seen `nop` "
                                          "(0xd503201f)")});
    }
}

TEST_F(ScSitesRuntime, WrongKeyIsNamed) {
    REQUIRE_BINUTILS();
    img = link("vm", runtime_source().str(), true);
    auto d = patched();
    d[1].key = rt("__SCK__baz");
    expect_runtime(console(stext(), d), "3 sites dumped, 3 table entries, 1 discrepancies",
                   {"site do_foo+0xc: key " + h0x(rt("__SCK__baz")) +
                    " (__SCK__baz) dumped, expected __SCK__bar (" + h0x(rt("__SCK__bar")) +
                    ", .static_call_sites entry 1)"});
    // Into a key rather than at one: no rule to check the instruction by.
    d[1].key = rt("__SCK__bar", 8);
    d[1].insn = a64::kNop;
    expect_runtime(console(stext(), d), "3 sites dumped, 3 table entries, 1 discrepancies",
                   {"site do_foo+0xc: key " + h0x(rt("__SCK__bar", 8)) +
                    " (__SCK__bar+0x8) dumped, expected __SCK__bar (" + h0x(rt("__SCK__bar")) +
                    ", .static_call_sites entry 1)"});
}

TEST_F(ScSitesRuntime, WrongTailIsNamed) {
    REQUIRE_BINUTILS();
    img = link("vm", runtime_source().str(), true);
    auto d = patched();
    d[2].tail = 0;
    expect_runtime(console(stext(), d), "3 sites dumped, 3 table entries, 2 discrepancies",
                   {"site do_foo+0x14: tail 0 dumped, expected 1 (.static_call_sites entry 2, "
                    "flags 0x1)",
                    "site do_foo+0x14: key __SCK__foo -> " + h0x(kFar) +
                        ": expected `bl __SCT__foo` (target " + off_text(kFar, s2()) +
                        " from the site, out of branch range), seen `b __SCT__foo` (0x" +
                        w08(d[2].insn) + ")"});
}

TEST_F(ScSitesRuntime, MissingSiteIsNamed) {
    REQUIRE_BINUTILS();
    img = link("vm", runtime_source().str(), true);
    auto d = patched();
    d.erase(d.begin() + 1);
    expect_runtime(
        console(stext(), d), "2 sites dumped, 3 table entries, 1 discrepancies",
        {"site do_foo+0xc: .static_call_sites entry 1 (key __SCK__bar) is missing from the dump"});
    d = patched();
    d.pop_back();
    expect_runtime(console(stext(), d), "2 sites dumped, 3 table entries, 1 discrepancies",
                   {"site do_foo+0x14: .static_call_sites entry 2 (key __SCK__foo, tail call) is "
                    "missing from the dump"});
}

TEST_F(ScSitesRuntime, ExtraSiteIsNamed) {
    REQUIRE_BINUTILS();
    img = link("vm", runtime_source().str(), true);
    auto d = patched();
    const uint64_t ns = rt("do_bar", 4); // .Lns: a ret, no site
    d.push_back({ns, bl(ns, rt("__SCT__foo")), rt("__SCK__foo"), kFar, 0});
    expect_runtime(console(stext(), d), "4 sites dumped, 3 table entries, 1 discrepancies",
                   {"site do_bar+0x4 (dump line " + std::to_string(kFirstSiteLine + 3) +
                    "): dumped, but not a .static_call_sites entry"});
    // Not in vmlinux at all (a module's site), with a key of its own.
    d = patched();
    d.insert(d.begin(), {kFar, a64::kNop, kFar + 0x1000, 0, 0});
    expect_runtime(console(stext(), d), "4 sites dumped, 3 table entries, 2 discrepancies",
                   {"site " + h0x(kFar) + " (outside vmlinux) (dump line " +
                        std::to_string(kFirstSiteLine) +
                        "): dumped, but not a .static_call_sites entry",
                    "site " + h0x(kFar) + " (outside vmlinux): key " + h0x(kFar + 0x1000) +
                        " dumped, which is no __SCK__ symbol of vmlinux"});
    // The same site twice.
    d = patched();
    d.push_back(d[1]);
    expect_runtime(console(stext(), d), "4 sites dumped, 3 table entries, 1 discrepancies",
                   {"site do_foo+0xc (dump line " + std::to_string(kFirstSiteLine + 3) +
                    "): dumped again (first at line " + std::to_string(kFirstSiteLine + 1) +
                    "), but .static_call_sites has 1 entry for it"});
}

// The guest leaves out sites outside _stext.._etext (init and exit text, not
// kernel text once freed): allowed when VMLINUX has _etext; then a dumped one
// is still checked.
TEST_F(ScSitesRuntime, SitesOutsideKernelTextMayBeAbsent) {
    REQUIRE_BINUTILS();
    for (bool etext : {true, false}) {
        SCOPED_TRACE(etext ? "with _etext" : "without _etext");
        Source s = runtime_source(etext);
        s.extra_code = "\t.section .init.text, \"ax\"\n\t.type do_init, %function\ndo_init:\n"
                       "\tbl __SCT__bar\n\tret\n\t.size do_init, . - do_init\n";
        s.sites.push_back({"do_init", "__SCK__bar", ""});
        s.routes.push_back({"do_init", "__SCT__bar", ""});
        img = link(etext ? "init" : "init2", s.str(), true);
        expect_clean(img, 4);
        if (etext) {
            ASSERT_GE(symbol(img, "do_init"), symbol(img, "_etext"));
            ASSERT_LT(symbol(img, "do_foo") + 0x14, symbol(img, "_etext"));
            expect_runtime_clean(console(stext(), patched()), 3, 4);
            auto r = runtime(write_dump(console(stext(), patched())), "-v");
            EXPECT_TRUE(has(r.output, ".static_call_sites 4 entries, 1 outside _stext.._etext "
                                      "not dumped\n"))
                << r.output;
        } else {
            expect_runtime(console(stext(), patched()),
                           "3 sites dumped, 4 table entries, 1 discrepancies",
                           {"site do_init+0x0: .static_call_sites entry 3 (key __SCK__bar) is "
                            "missing from the dump"});
        }
        auto d = patched();
        const uint64_t init = rt("do_init");
        d.push_back({init, bl(init, rt("target")), rt("__SCK__bar"), rt("target"), 0});
        expect_runtime_clean(console(stext(), d), 4, 4);
        d.back().insn = a64::kNop;
        expect_runtime(console(stext(), d), "4 sites dumped, 4 table entries, 1 discrepancies",
                       {"site do_init+0x0: key __SCK__bar -> " + h0x(rt("target")) +
                        " (target): expected `bl target` (target in range), seen `nop` "
                        "(0xd503201f)"});
    }
}

TEST_F(ScSitesRuntime, MalformedDumpsAreErrors) {
    REQUIRE_BINUTILS();
    img = link("vm", runtime_source().str(), true);
    const auto d = patched();
    const std::string end_line = ":" + std::to_string(kFirstSiteLine + 4) + ": ";
    expect_dump_error(console(stext(), d, 2),
                      end_line + "SCDUMP end 2 (2 sites), but 3 site lines since SCDUMP stext "
                                 "(line 3): lines lost or added");
    expect_dump_error(console(stext(), d, 4),
                      end_line + "SCDUMP end 4 (4 sites), but 3 site lines");
    std::string text = console(stext(), d);
    const std::string no_end = text.substr(0, text.find("[    1.100000] SCDUMP end"));
    expect_dump_error(no_end, ": no SCDUMP end line after SCDUMP stext (line 3) and 3 site "
                              "lines: truncated dump?");
    expect_dump_error("[    0.000000] Linux version 6.12.0\nno dump here\n", ": no SCDUMP lines");

    auto with_site = [&](const std::string &site) {
        return "SCDUMP stext " + hx(stext()) + "\nSCDUMP site " + site + "\nSCDUMP end 1\n";
    };
    const std::string ok =
        hx(s1()) + " " + w08(d[1].insn) + " " + hx(d[1].key) + " " + hx(d[1].func) + " ";
    auto parsed = scsites::parse_dump(with_site(ok + "0"), "x");
    ASSERT_TRUE(parsed.ok()) << parsed.error(); // the well-formed line the others break
    ASSERT_EQ(parsed->sites.size(), 1u);
    EXPECT_EQ(parsed->sites[0].func, d[1].func);
    expect_dump_error(with_site("0x" + ok + "0"), ":2: addr `0x" + hx(s1()) + "` has a 0x prefix");
    std::string upper = hx(d[1].key);
    for (auto &c : upper)
        c = char(std::toupper(c));
    expect_dump_error(with_site(hx(s1()) + " " + w08(d[1].insn) + " " + upper + " 0 0"),
                      ":2: key `" + upper + "` is not lowercase hex");
    expect_dump_error(with_site(hx(s1()) + " 1" + w08(d[1].insn) + " 0 0 0"),
                      ":2: insn `1" + w08(d[1].insn) + "` has more than 8 hex digits");
    expect_dump_error(with_site(ok + "2"), ":2: tail `2` is not 0 or 1");
    expect_dump_error(with_site(ok), ":2: expected `SCDUMP site <addr> <insn> <key> <func> "
                                     "<tail>`, got 4 fields");
    expect_dump_error(with_site(ok + "0 0"), ":2: expected `SCDUMP site");
    expect_dump_error("SCDUMP site " + ok + "0\n", ":1: SCDUMP site before SCDUMP stext");
    expect_dump_error(text + text, ":" + std::to_string(kFirstSiteLine + 8) +
                                       ": a second SCDUMP stext (the first is at line 3): one "
                                       "dump per file");
    expect_dump_error(text + "SCDUMP site " + ok + "0\n",
                      ":" + std::to_string(kFirstSiteLine + 6) +
                          ": SCDUMP site after SCDUMP end (line " +
                          std::to_string(kFirstSiteLine + 4) + ")");
    expect_dump_error("SCDUMP stext " + hx(stext()) + "\nSCDUMP begin\n",
                      ":2: unknown SCDUMP record `begin` (expected stext, site or end)");
    expect_dump_error("SCDUMP stext\n", ":1: expected `SCDUMP stext <addr>`, got 0 fields");
}

// The parser on its own: the marker anywhere in a line (a word of its own),
// every number hex, the count too.
TEST(ScSitesDump, ParsesConsoleLines) {
    std::string text = "[    2.5] SCDUMP stext ffff800080010000\nXSCDUMP site 1 2 3 4 5\n"
                       "SCDUMPS are ignored\n";
    for (int i = 0; i < 16; ++i)
        text += "<6>[ 2.6] kunit:  SCDUMP site ffff8000800100" + hx(uint64_t(i) * 4 + 16) +
                "\t94000000 ffff800081000000 0 " + std::to_string(i % 2) + "\r\n";
    auto d = scsites::parse_dump(text + "SCDUMP end 10\n", "log");
    ASSERT_TRUE(d.ok()) << d.error();
    EXPECT_EQ(d->stext, 0xffff800080010000u);
    EXPECT_EQ(d->stext_line, 1u);
    EXPECT_EQ(d->end_line, 20u);
    ASSERT_EQ(d->sites.size(), 16u);
    EXPECT_EQ(d->sites[15].addr, 0xffff80008001004cu);
    EXPECT_EQ(d->sites[15].insn, 0x94000000u);
    EXPECT_EQ(d->sites[15].key, 0xffff800081000000u);
    EXPECT_EQ(d->sites[15].func, 0u);
    EXPECT_TRUE(d->sites[15].tail);
    EXPECT_FALSE(d->sites[14].tail);
    EXPECT_EQ(d->sites[0].line, 4u);
    auto dec = scsites::parse_dump(text + "SCDUMP end 16\n", "log");
    ASSERT_FALSE(dec.ok());
    EXPECT_EQ(dec.error(), "log:20: SCDUMP end 16 (22 sites), but 16 site lines since SCDUMP "
                           "stext (line 1): lines lost or added");
    auto missing = scsites::read_dump("/nonexistent/console.log");
    ASSERT_FALSE(missing.ok());
    EXPECT_EQ(missing.error(), "/nonexistent/console.log: No such file or directory");
}

TEST_F(ScSitesRuntime, UsageAndUnusableFiles) {
    REQUIRE_BINUTILS();
    img = link("vm", runtime_source().str(), true);
    const std::string dump = write_dump(console(stext(), patched()));
    auto r = run(std::string(SC_SITES_BIN) + " --runtime " + shell_quote(dump));
    EXPECT_EQ(r.exit_code, scsites::kExitError) << r.output;
    EXPECT_TRUE(has(r.output, "sc-sites: --runtime takes DUMP and VMLINUX\n")) << r.output;
    EXPECT_TRUE(has(r.output, "usage: sc-sites")) << r.output;
    r = runtime(dump, "-m");
    EXPECT_EQ(r.exit_code, scsites::kExitError) << r.output;
    EXPECT_TRUE(has(r.output, "--runtime takes DUMP and VMLINUX (and no --module)")) << r.output;
    r = run(std::string(SC_SITES_BIN) + " --runtime " + shell_quote(dump) + " " + shell_quote(img) +
            " " + shell_quote(img));
    EXPECT_EQ(r.exit_code, scsites::kExitError) << r.output;
    r = run(std::string(SC_SITES_BIN) + " --runtime " + shell_quote((dir / "none.log").string()) +
            " " + shell_quote(img));
    EXPECT_EQ(r.exit_code, scsites::kExitError) << r.output;
    EXPECT_TRUE(has(r.output, "none.log: No such file or directory")) << r.output;
    // vmlinux.o is no linked image; an image without _stext gives no slide.
    const std::string obj = assemble("obj", runtime_source().str());
    r = run(std::string(SC_SITES_BIN) + " --runtime " + shell_quote(dump) + " " + shell_quote(obj));
    EXPECT_EQ(r.exit_code, scsites::kExitError) << r.output;
    EXPECT_TRUE(has(r.output, obj + ": not a linked image (--runtime needs vmlinux, not a "
                                    "relocatable object)"))
        << r.output;
    const std::string nostext = link("nostext", Source().str(), true);
    r = run(std::string(SC_SITES_BIN) + " --runtime " + shell_quote(dump) + " " +
            shell_quote(nostext));
    EXPECT_EQ(r.exit_code, scsites::kExitError) << r.output;
    EXPECT_TRUE(has(r.output, nostext + ": no symbol _stext (needed for the KASLR slide)"))
        << r.output;
    // A vmlinux without a table (an out-of-line kernel; ET_EXEC: no
    // __start_/__stop_ symbols either).
    Source notables = runtime_source();
    notables.tables = false;
    img = link("notables", notables.str());
    expect_runtime(console(stext(), patched()), "3 sites dumped, 0 table entries, 4 discrepancies",
                   {"3 sites dumped, but " + img + " has no .static_call_sites table",
                    "site do_foo+0x4 (dump line 4): dumped, but not a .static_call_sites entry",
                    "site do_foo+0xc (dump line 5): dumped, but not a .static_call_sites entry",
                    "site do_foo+0x14 (dump line 6): dumped, but not a .static_call_sites entry"});
}
