// The inline series' call-site recorder (scripts/static_call_sites.c, taken
// from each patches/*-inline/ series by recorder/extract.sh) run on objects
// assembled here with binutils, its output read back with objdump -r: the
// tables it adds must name every site of a static call, its key (or its
// trampoline, -m) and its tail flag, and nothing else. Every test runs every
// series' recorder (RECORDERS: "series=path,...").
#include "test_util.h"

#include <gtest/gtest.h>

#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace {

using testutil::TempDir;

struct Recorder {
    std::string series;
    std::string path;
};

std::vector<Recorder> recorders() {
    std::vector<Recorder> out;
    std::stringstream list(RECORDERS);
    std::string item;
    while (std::getline(list, item, ',')) {
        const size_t eq = item.find('=');
        if (eq != std::string::npos)
            out.push_back({item.substr(0, eq), item.substr(eq + 1)});
    }
    return out;
}

// One relocation as objdump -r prints it: offset, type, symbol[+addend].
struct Reloc {
    unsigned long offset;
    std::string type;
    std::string value;
    bool operator==(const Reloc &) const = default;
};

std::ostream &operator<<(std::ostream &os, const Reloc &r) {
    return os << std::hex << r.offset << std::dec << " " << r.type << " " << r.value;
}

// objdump -r prints "sym+0x000000000000000c"; write "sym+0xc" in the tests.
std::string short_value(const std::string &v) {
    const size_t plus = v.find("+0x");
    if (plus == std::string::npos)
        return v;
    const unsigned long addend = std::stoul(v.substr(plus + 3), nullptr, 16);
    std::ostringstream os;
    os << v.substr(0, plus) << "+0x" << std::hex << addend;
    return os.str();
}

std::vector<Reloc> relocs(const std::string &obj, const std::string &section) {
    const auto r = testutil::run(testutil::kObjdump.path + " -r -j " + section + " " +
                                 testutil::shell_quote(obj));
    EXPECT_EQ(r.exit_code, 0) << r.output;
    std::vector<Reloc> out;
    std::istringstream in(r.output);
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream f(line);
        std::string off, type, value;
        if (!(f >> off >> type >> value) || type.rfind("R_AARCH64_", 0) != 0)
            continue;
        out.push_back({std::stoul(off, nullptr, 16), type, short_value(value)});
    }
    return out;
}

std::string slurp(const std::string &path) {
    std::ifstream f(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

class RecorderTest : public ::testing::Test {
  protected:
    void SetUp() override {
        REQUIRE_BINUTILS_FOR("recorder tests", testutil::kAs, testutil::kObjdump);
        all_ = recorders();
        ASSERT_FALSE(all_.empty()) << "no recorder built (RECORDERS=\"" << RECORDERS << "\")";
    }

    // Assembles `src` and runs `rec` on it (-m when `module`).
    testutil::CommandResult record(const Recorder &rec, const std::string &src, bool module,
                                   std::string *obj_out) {
        const std::string obj = testutil::assemble(dir_, rec.series + std::to_string(n_++), src);
        if (obj_out)
            *obj_out = obj;
        return testutil::run(testutil::shell_quote(rec.path) + (module ? " -m " : " ") +
                             testutil::shell_quote(obj));
    }

    // Records `src` with `rec` and returns the object's .static_call_sites
    // relocations; a failing run of the recorder fails the test and gives
    // no relocations.
    std::vector<Reloc> recorded_sites(const Recorder &rec, const std::string &src, bool module) {
        std::string obj;
        const auto r = record(rec, src, module, &obj);
        EXPECT_EQ(r.exit_code, 0) << r.output;
        if (r.exit_code != 0)
            return {};
        return relocs(obj, ".static_call_sites");
    }

    TempDir dir_;
    std::vector<Recorder> all_;
    int n_ = 0;
};

// Two sites of one key, a call and a tail call, among branches that are not
// static calls (a direct call, a call into a key's own data).
const char *const kTwoSites = R"(
    .section .text.a,"ax"
    .globl f
f:  nop
    bl __SCT__foo
    b __SCT__foo
    bl memcpy
    ret
    .section .data.k,"aw"
    .globl __SCK__foo
__SCK__foo: .quad 0
)";

TEST_F(RecorderTest, CallAndTailSitesAreRecordedWithTheirKey) {
    for (const Recorder &rec : all_) {
        SCOPED_TRACE(rec.series);
        std::string obj;
        const auto r = record(rec, kTwoSites, false, &obj);
        ASSERT_EQ(r.exit_code, 0) << r.output;
        const std::vector<Reloc> sites{
            {0x0, "R_AARCH64_PREL32", ".text.a+0x4"},
            {0x4, "R_AARCH64_PREL32", "__SCK__foo"},
            {0x8, "R_AARCH64_PREL32", ".text.a+0x8"},
            {0xc, "R_AARCH64_PREL32", "__SCK__foo+0x1"}, // STATIC_CALL_SITE_TAIL
        };
        EXPECT_EQ(relocs(obj, ".static_call_sites"), sites);
        const std::vector<Reloc> routes{
            {0x0, "R_AARCH64_PREL32", ".text.a+0x4"},
            {0x4, "R_AARCH64_PREL32", "__SCT__foo"},
            {0x8, "R_AARCH64_PREL32", ".text.a+0x8"},
            {0xc, "R_AARCH64_PREL32", "__SCT__foo"},
        };
        EXPECT_EQ(relocs(obj, ".static_call_routes"), routes);
    }
}

TEST_F(RecorderTest, VmlinuxSiteWithoutAKeyIsAnError) {
    const char *src = R"(
    .text
    bl __SCT__lonely
)";
    for (const Recorder &rec : all_) {
        SCOPED_TRACE(rec.series);
        const auto r = record(rec, src, false, nullptr);
        EXPECT_NE(r.exit_code, 0) << r.output;
        EXPECT_TRUE(testutil::has(r.output, "__SCK__lonely")) << r.output;
    }
}

// static_call_mod() on a key exported only by its trampoline: the module has
// no key symbol, the entry names the trampoline, which the kernel maps to the
// key through .static_call_tramp_key.
TEST_F(RecorderTest, ModuleSiteWithoutAKeyNamesTheTrampoline) {
    const char *src = R"(
    .text
    bl __SCT__hidden
)";
    for (const Recorder &rec : all_) {
        SCOPED_TRACE(rec.series);
        const auto sites = recorded_sites(rec, src, true);
        ASSERT_EQ(sites.size(), 2u);
        EXPECT_EQ(sites[1].value, "__SCT__hidden");
    }
}

// A module's reference to an exported key is an undefined __SCK__ symbol
// (kept by .discard.addressable): it must be named, not the trampoline.
TEST_F(RecorderTest, ModuleNamesAnExportedKey) {
    const char *src = R"(
    .text
    bl __SCT__exported
    .section .discard.addressable,"aw"
    .quad __SCK__exported
)";
    for (const Recorder &rec : all_) {
        SCOPED_TRACE(rec.series);
        const auto sites = recorded_sites(rec, src, true);
        ASSERT_EQ(sites.size(), 2u);
        EXPECT_EQ(sites[1].value, "__SCK__exported");
    }
}

// Many keys, defined in an order unrelated to their names, each called once:
// every site must get its own key (a lookup that returns a neighbour, or the
// first or last key, fails).
TEST_F(RecorderTest, EachSiteGetsItsOwnKeyAmongMany) {
    constexpr int kKeys = 97;
    std::string src = "    .section .text.calls,\"ax\"\n";
    for (int i = 0; i < kKeys; ++i)
        src += "    bl __SCT__k" + std::to_string((i * 37) % kKeys) + "\n";
    src += "    .section .data.keys,\"aw\"\n";
    for (int i = kKeys - 1; i >= 0; --i)
        src += "    .globl __SCK__k" + std::to_string(i) + "\n__SCK__k" + std::to_string(i) +
               ": .quad 0\n";
    for (const Recorder &rec : all_) {
        SCOPED_TRACE(rec.series);
        const auto sites = recorded_sites(rec, src, false);
        ASSERT_EQ(sites.size(), 2u * kKeys);
        for (int i = 0; i < kKeys; ++i)
            EXPECT_EQ(sites[2 * i + 1].value, "__SCK__k" + std::to_string((i * 37) % kKeys))
                << "site " << i;
    }
}

// A relocatable ThinLTO vmlinux.o keeps a section per function and data
// object: past SHN_LORESERVE (0xff00) sections, a symbol's section index is
// in .symtab_shndx (st_shndx == SHN_XINDEX). A site in the last of 70,010
// sections must be recorded against that section.
TEST_F(RecorderTest, SiteInASectionNumberedAboveLoreserve) {
    constexpr int kSections = 70010;
    std::string src;
    src.reserve(kSections * 32);
    for (int i = 0; i < kSections; ++i)
        src += ".section .text.s" + std::to_string(i) + ",\"ax\"\n nop\n";
    src += " bl __SCT__foo\n b __SCT__foo\n"
           ".section .data.k,\"aw\"\n.globl __SCK__foo\n__SCK__foo: .quad 0\n";
    const std::string last = ".text.s" + std::to_string(kSections - 1);
    for (const Recorder &rec : all_) {
        SCOPED_TRACE(rec.series);
        const std::vector<Reloc> sites{
            {0x0, "R_AARCH64_PREL32", last + "+0x4"},
            {0x4, "R_AARCH64_PREL32", "__SCK__foo"},
            {0x8, "R_AARCH64_PREL32", last + "+0x8"},
            {0xc, "R_AARCH64_PREL32", "__SCK__foo+0x1"},
        };
        EXPECT_EQ(recorded_sites(rec, src, false), sites);
    }
}

// kbuild may run the recorder on an object twice (an interrupted build): the
// second run must leave the object as the first one wrote it.
TEST_F(RecorderTest, SecondRunLeavesTheObjectAlone) {
    for (const Recorder &rec : all_) {
        SCOPED_TRACE(rec.series);
        std::string obj;
        const auto r = record(rec, kTwoSites, false, &obj);
        ASSERT_EQ(r.exit_code, 0) << r.output;
        const std::string once = slurp(obj);
        const auto again =
            testutil::run(testutil::shell_quote(rec.path) + " " + testutil::shell_quote(obj));
        EXPECT_EQ(again.exit_code, 0) << again.output;
        EXPECT_TRUE(slurp(obj) == once) << "the second run rewrote " << obj;
    }
}

} // namespace
