// sc-sites: check the inline static call site tables of an arm64 kernel
// image against its code.
//
// scripts/static_call_sites (patches/6.12-inline) adds two tables to
// vmlinux.o and to every module's .ko, one entry per call site of a static
// call (a `bl __SCT__<name>`, or `b __SCT__<name>` for a tail call):
//
//   .static_call_sites   { s32 addr; s32 key; }    key -> __SCK__<name>, flags
//                                                  in the low 2 bits (bit 0 TAIL)
//   .static_call_routes  { s32 site; s32 route; }  route -> __SCT__<name>
//
// Every field is place-relative: an R_AARCH64_PREL32 relocation in a
// relocatable file (ET_REL), the resolved offset in a linked image
// (ET_EXEC/ET_DYN). check() finds the sites from the code (branch
// relocations, or the branch instructions of a linked image) and checks that
// each has exactly one correct entry in each table and that no entry points
// at anything else.
#pragma once

#include "result.h"

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace scsites {

inline constexpr uint32_t kSiteTail = 1; // STATIC_CALL_SITE_TAIL
inline constexpr uint32_t kSiteInit = 2; // STATIC_CALL_SITE_INIT (set at run time only)
inline constexpr uint32_t kSiteFlags = kSiteTail | kSiteInit;

struct Options {
    // Accept a key field naming the trampoline __SCT__<name> (a module calling
    // a kernel static call whose key it cannot see). Also implied for ET_REL
    // files whose name ends in ".ko".
    bool module = false;
};

// A call site found in the code.
struct Site {
    std::string name;   // static call name (without __SCT__)
    bool tail = false;  // `b` (R_AARCH64_JUMP26) rather than `bl` (CALL26)
    size_t section = 0; // section index
    uint64_t addr = 0;  // ET_REL: section offset; linked: virtual address
    uint64_t file_offset = 0;
    std::string where;                 // "func+0xoff" (section+offset outside any function)
    std::string location;              // "section+0xoff"
    std::vector<size_t> site_entries;  // .static_call_sites entries naming it
    std::vector<size_t> route_entries; // .static_call_routes entries naming it
};

// One entry of a table, as found in the file (linked images: resolved).
struct Entry {
    uint64_t addr = 0;        // address (ET_REL: table section offset) of the entry
    uint64_t file_offset = 0; // of the entry's first word
    bool resolved = false;    // linked images: both fields decoded
    uint64_t target = 0;      // linked: first field (the site)
    uint64_t value = 0;       // linked: second field, flags masked off (key or route)
    uint32_t flags = 0;       // linked .static_call_sites: low 2 bits of the key
    long site = -1;           // index into Report::sites, -1 if not a site
};

struct Report {
    std::string path;
    std::string kind; // "ET_REL", "ET_EXEC", "ET_DYN"
    bool module = false;
    std::vector<Site> sites;
    std::vector<Entry> site_table;  // .static_call_sites
    std::vector<Entry> route_table; // .static_call_routes
    std::vector<std::string> discrepancies;
    bool clean() const { return discrepancies.empty(); }
};

a64::Result<Report> check(const std::string &path, const Options &options = {});

// Discrepancies as "<path>: <message>", -v: every site, then the summary
// "<path>: N sites, M table entries, K discrepancies".
void print_report(const Report &r, FILE *out, bool verbose);

// Exit codes of the sc-sites program.
inline constexpr int kExitClean = 0;
inline constexpr int kExitDiscrepancy = 1;
inline constexpr int kExitError = 2;

} // namespace scsites
