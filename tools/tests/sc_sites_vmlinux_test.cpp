// sc-sites on a real kernel build: SC_SITES_BUILD=<kernel build directory
// holding vmlinux.o and vmlinux, built with ARM64_STATIC_CALL_INLINE>. CTest
// only registers these tests when SC_SITES_BUILD is set in ctest's
// environment (see CMakeLists.txt), so a plain `ctest` never skips them; run
// directly without the variable they fail.
#include "a64.h"
#include "sites.h"
#include "test_util.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>

namespace {

std::string build_file(const char *name) {
    const char *dir = std::getenv("SC_SITES_BUILD");
    return dir && *dir ? (std::filesystem::path(dir) / name).string() : "";
}

testutil::CommandResult run_sites(const std::string &file) {
    return testutil::run(std::string(SC_SITES_BIN) + " " + testutil::shell_quote(file));
}

bool has(const std::string &out, const std::string &what) {
    return out.find(what) != std::string::npos;
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
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    const char b[4] = {char(value), char(value >> 8), char(value >> 16), char(value >> 24)};
    f.seekp(std::streamoff(offset));
    f.write(b, 4);
    ASSERT_TRUE(bool(f)) << "cannot write " << path;
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
    std::ifstream in(v.copy, std::ios::binary);
    in.seekg(std::streamoff(table[j].file_offset + 4));
    char w[4];
    in.read(w, 4);
    in.close();
    const uint32_t word = uint32_t(uint8_t(w[0])) | uint32_t(uint8_t(w[1])) << 8 |
                          uint32_t(uint8_t(w[2])) << 16 | uint32_t(uint8_t(w[3])) << 24;
    write32(v.copy, table[i].file_offset + 4, word);
    r = run_sites(v.copy);
    EXPECT_EQ(r.exit_code, scsites::kExitDiscrepancy) << r.output;
    EXPECT_TRUE(has(r.output, prefix)) << "expected `" << prefix << "` in:\n" << r.output;
    EXPECT_TRUE(has(r.output, ", expected __SCK__" + s.name)) << r.output;
}
