// sc-sites on a real kernel build: SC_SITES_BUILD=<kernel build directory
// holding vmlinux.o and vmlinux, built with ARM64_STATIC_CALL_INLINE>. CTest
// only registers these tests when SC_SITES_BUILD is set in ctest's
// environment (see CMakeLists.txt), so a plain `ctest` never skips them; run
// directly without the variable they fail. RealRuntimeDumpNopSiteIsNamed
// also needs SC_SITES_DUMP=<console log of a KUnit run of that kernel, with
// its SCDUMP lines> and is registered only when both are set.
#include "a64.h"
#include "sites.h"
#include "test_util.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>

using testutil::has;

namespace {

std::string build_file(const char *name) {
    const char *dir = std::getenv("SC_SITES_BUILD");
    return dir && *dir ? (std::filesystem::path(dir) / name).string() : "";
}

std::string dump_file() {
    const char *p = std::getenv("SC_SITES_DUMP");
    return p && *p ? p : "";
}

testutil::CommandResult run_runtime(const std::string &dump, const std::string &vmlinux) {
    return testutil::run(std::string(SC_SITES_BIN) + " --runtime " + testutil::shell_quote(dump) +
                         " " + testutil::shell_quote(vmlinux));
}

testutil::CommandResult run_sites(const std::string &file) {
    return testutil::run(std::string(SC_SITES_BIN) + " " + testutil::shell_quote(file));
}

// Number of sites from "<file>: N sites, M table entries, 0 discrepancies".
long clean_sites(const std::string &file, const std::string &output) {
    std::smatch m;
    const std::regex re(": ([0-9]+) sites, ([0-9]+) table entries, 0 discrepancies\n");
    if (!std::regex_search(output, m, re) || output.rfind(file + ": ", 0) != 0)
        return -1;
    return std::stol(m[1].str());
}

void write32(const std::string &path, uint64_t offset, uint32_t value) {
    ASSERT_TRUE(testutil::write32_le(path, offset, value)) << "cannot write " << path;
}

// A copy of vmlinux and its report (which must be clean).
struct Victim {
    testutil::TempDir dir;
    std::string copy;
    scsites::Report rep;
};

void prepare(Victim &v) {
    const std::string vmlinux = build_file("vmlinux");
    ASSERT_FALSE(vmlinux.empty()) << "set SC_SITES_BUILD=<kernel build directory>";
    auto rep = scsites::check(vmlinux);
    ASSERT_TRUE(rep.ok()) << rep.error();
    ASSERT_TRUE(rep->clean()) << rep->discrepancies[0];
    ASSERT_FALSE(rep->sites.empty());
    v.rep = *rep;
    v.copy = (v.dir / "vmlinux").string();
    std::filesystem::copy_file(vmlinux, v.copy);
}

} // namespace

TEST(ScSites, RealKernelIsClean) {
    const std::string obj = build_file("vmlinux.o"), vmlinux = build_file("vmlinux");
    ASSERT_FALSE(obj.empty()) << "set SC_SITES_BUILD=<kernel build directory>";
    auto a = run_sites(obj), b = run_sites(vmlinux);
    EXPECT_EQ(a.exit_code, scsites::kExitClean) << a.output.substr(0, 4000);
    EXPECT_EQ(b.exit_code, scsites::kExitClean) << b.output.substr(0, 4000);
    const long n_obj = clean_sites(obj, a.output), n_vmlinux = clean_sites(vmlinux, b.output);
    EXPECT_GT(n_obj, 0) << a.output.substr(0, 4000);
    EXPECT_EQ(n_obj, n_vmlinux) << a.output.substr(0, 2000) << b.output.substr(0, 2000);
}

TEST(ScSites, RealVmlinuxNopSiteIsNamed) {
    Victim v;
    ASSERT_NO_FATAL_FAILURE(prepare(v));
    const scsites::Site &s = v.rep.sites[v.rep.sites.size() / 2];
    ASSERT_EQ(s.site_entries.size(), 1u);
    ASSERT_NE(s.where, s.location) << "site not in a function: " << s.where;
    write32(v.copy, s.file_offset, a64::kNop);
    auto r = run_sites(v.copy);
    EXPECT_EQ(r.exit_code, scsites::kExitDiscrepancy) << r.output;
    const std::string what =
        "site " + s.location + " (" + s.where + ") is not a static call site: `nop`";
    EXPECT_TRUE(has(r.output,
                    ".static_call_sites entry " + std::to_string(s.site_entries[0]) + ": " + what))
        << "expected `" << what << "` in:\n"
        << r.output;
    EXPECT_TRUE(has(r.output, ".static_call_routes entry " + std::to_string(s.route_entries[0]) +
                                  ": " + what))
        << r.output;
    EXPECT_TRUE(has(r.output, ": " + std::to_string(v.rep.sites.size() - 1) + " sites, "))
        << r.output;
}

TEST(ScSites, RealVmlinuxSwappedKeyIsNamed) {
    Victim v;
    ASSERT_NO_FATAL_FAILURE(prepare(v));
    const auto &table = v.rep.site_table;
    const size_t i = table.size() / 3;
    ASSERT_GE(table[i].site, 0);
    const scsites::Site &s = v.rep.sites[size_t(table[i].site)];
    // Another entry, of another static call.
    size_t j = 0;
    while (j < table.size() &&
           (table[j].site < 0 || v.rep.sites[size_t(table[j].site)].name == s.name))
        ++j;
    ASSERT_LT(j, table.size()) << "all sites belong to one static call";
    const std::string other = v.rep.sites[size_t(table[j].site)].name;
    const std::string prefix =
        ".static_call_sites entry " + std::to_string(i) + " (site " + s.where + "): key ";

    // Entry j's key, re-encoded for entry i's place.
    const uint64_t field = table[i].addr + 4;
    write32(v.copy, table[i].file_offset + 4, uint32_t((table[j].value | table[i].flags) - field));
    auto r = run_sites(v.copy);
    EXPECT_EQ(r.exit_code, scsites::kExitDiscrepancy) << r.output;
    EXPECT_TRUE(has(r.output, prefix + "__SCK__" + other + ", expected __SCK__" + s.name))
        << "expected `" << prefix << "__SCK__" << other << "` in:\n"
        << r.output;

    // Entry j's key word copied as it is: place-relative, so it points
    // (table[i].addr - table[j].addr) bytes away from entry j's key.
    const auto word = testutil::read32_le(v.copy, table[j].file_offset + 4);
    ASSERT_TRUE(word) << "cannot read " << v.copy;
    write32(v.copy, table[i].file_offset + 4, *word);
    r = run_sites(v.copy);
    EXPECT_EQ(r.exit_code, scsites::kExitDiscrepancy) << r.output;
    EXPECT_TRUE(has(r.output, prefix)) << "expected `" << prefix << "` in:\n" << r.output;
    EXPECT_TRUE(has(r.output, ", expected __SCK__" + s.name)) << r.output;
}

// The guest's dump (KUnit a64sc_inline_all_sites) checked against vmlinux:
// clean with N > 0 sites; then a copy of the dump with one site's word
// replaced by nop, where its key has a target, must name that site.
TEST(ScSites, RealRuntimeDumpNopSiteIsNamed) {
    const std::string dump = dump_file(), vmlinux = build_file("vmlinux");
    ASSERT_FALSE(dump.empty()) << "set SC_SITES_DUMP=<console log with the SCDUMP lines>";
    ASSERT_FALSE(vmlinux.empty()) << "set SC_SITES_BUILD=<kernel build directory>";
    auto r = run_runtime(dump, vmlinux);
    EXPECT_EQ(r.exit_code, scsites::kExitClean) << r.output.substr(0, 4000);
    // The summary line, "<dump>: N sites dumped, M table entries, 0 discrepancies".
    std::smatch m;
    const std::regex re("([0-9]+) sites dumped, ([0-9]+) table entries, 0 discrepancies\n$");
    ASSERT_TRUE(std::regex_search(r.output, m, re)) << r.output.substr(0, 4000);
    ASSERT_TRUE(has(r.output, dump + ": " + m[0].str())) << r.output.substr(0, 4000);
    const long dumped = std::stol(m[1].str());
    EXPECT_GT(dumped, 0) << r.output.substr(0, 4000);

    auto rep = scsites::check_runtime(dump, vmlinux);
    ASSERT_TRUE(rep.ok()) << rep.error();
    ASSERT_TRUE(rep->clean()) << rep->discrepancies[0];
    ASSERT_EQ(long(rep->sites.size()), dumped);
    // A site with a target, named by its function, from the middle on.
    const scsites::RuntimeSite *victim = nullptr;
    for (size_t k = 0; k < rep->sites.size() && !victim; ++k) {
        const auto &s = rep->sites[(rep->sites.size() / 2 + k) % rep->sites.size()];
        if (s.dumped.func && s.dumped.insn != a64::kNop && !s.where.starts_with(".") &&
            !s.where.starts_with("0x"))
            victim = &s;
    }
    ASSERT_NE(victim, nullptr) << "no dumped site in a function has a key with a target";

    // The copy: the victim's line with its insn field replaced.
    std::ifstream in(dump, std::ios::binary);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    size_t pos = 0;
    for (size_t line = 1; line < victim->dumped.line; ++line)
        pos = text.find('\n', pos) + 1;
    const size_t eol = text.find('\n', pos);
    const size_t site = text.find("SCDUMP site ", pos);
    ASSERT_TRUE(site != std::string::npos && site < eol) << "line " << victim->dumped.line;
    const size_t insn = text.find(' ', site + 12) + 1;
    const size_t insn_end = text.find_first_of(" \t", insn);
    ASSERT_TRUE(insn > site && insn_end < eol) << text.substr(pos, eol - pos);
    text.replace(insn, insn_end - insn, "d503201f");
    testutil::TempDir dir;
    const std::string copy = (dir / "console.log").string();
    testutil::write_file(copy, text);

    r = run_runtime(copy, vmlinux);
    EXPECT_EQ(r.exit_code, scsites::kExitDiscrepancy) << r.output.substr(0, 4000);
    const std::string what = copy + ": site " + victim->where + ": key " + victim->key + " -> ";
    EXPECT_TRUE(has(r.output, what)) << "expected `" << what << "` in:\n" << r.output;
    EXPECT_TRUE(has(r.output, ": expected " + victim->expected + " (")) << r.output;
    EXPECT_TRUE(has(r.output, ", seen `nop` (0xd503201f)\n")) << r.output;
    EXPECT_TRUE(has(r.output, copy + ": " + std::to_string(dumped) + " sites dumped, " +
                                  std::to_string(rep->entries) +
                                  " table entries, 1 discrepancies\n"))
        << r.output;
}
