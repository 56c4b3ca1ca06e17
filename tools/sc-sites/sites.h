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

// --- runtime mode (sc-sites --runtime DUMP VMLINUX) -------------------------
//
// A guest's dump of its registered vmlinux sites, as lines of a console log
// (anywhere in a line, e.g. after a printk timestamp; numbers lowercase hex
// without 0x):
//
//   SCDUMP stext <runtime _stext>
//   SCDUMP site <addr> <insn> <key> <func> <tail>     one per site
//   SCDUMP end <number of site lines>
//
// checked against VMLINUX's .static_call_sites table and the patching rules
// (check_runtime()).

struct DumpSite {
    uint64_t addr = 0; // runtime address of the site
    uint32_t insn = 0; // the instruction word there
    uint64_t key = 0;  // runtime address of its struct static_call_key
    uint64_t func = 0; // the key's target (0: NULL key)
    bool tail = false; // STATIC_CALL_SITE_TAIL
    size_t line = 0;   // 1-based line of the dump file
};

struct Dump {
    std::string path;
    uint64_t stext = 0;
    size_t stext_line = 0;
    size_t end_line = 0;
    std::vector<DumpSite> sites;
};

// Parses the SCDUMP lines of `text` (a whole console log); errors name
// "<path>:<line>". Exactly one dump: stext, the sites, end with their count.
a64::Result<Dump> parse_dump(const std::string &text, const std::string &path);
a64::Result<Dump> read_dump(const std::string &path);

// One dumped site as checked (for -v and the tests).
struct RuntimeSite {
    DumpSite dumped;
    uint64_t vaddr = 0;   // dumped.addr - slide
    std::string where;    // "func+0xoff" in VMLINUX, else section+off or the runtime address
    long entry = -1;      // .static_call_sites entry it was matched with, -1 none
    std::string key;      // the dumped key's symbol (__SCK__<name>), else its address
    std::string expected; // "`bl target`" etc., empty if it could not be determined
    std::string seen;     // "`nop` (0xd503201f)"
    bool insn_ok = false;
};

struct RuntimeReport {
    std::string dump_path, vmlinux_path;
    std::string kind;           // of VMLINUX: "ET_EXEC", "ET_DYN"
    uint64_t stext = 0;         // runtime, from the dump
    uint64_t vmlinux_stext = 0; // _stext in VMLINUX
    uint64_t slide = 0;         // stext - vmlinux_stext (mod 2^64)
    bool have_etext = false;    // _etext in VMLINUX: entries outside _stext.._etext may be absent
    size_t entries = 0;         // .static_call_sites entries of VMLINUX
    size_t absent_outside_text = 0; // entries outside _stext.._etext not dumped (allowed)
    std::vector<RuntimeSite> sites;
    std::vector<std::string> discrepancies;
    bool clean() const { return discrepancies.empty(); }
};

// Errors (exit 2): the dump cannot be read or parsed, VMLINUX is not a linked
// arm64 image or has no _stext.
a64::Result<RuntimeReport> check_runtime(const std::string &dump_path,
                                         const std::string &vmlinux_path);
a64::Result<RuntimeReport> check_runtime(const Dump &dump, const std::string &vmlinux_path);

// Discrepancies as "<dump>: <message>" (-v: the slide and every site first),
// then "<dump>: N sites dumped, M table entries, K discrepancies".
void print_runtime_report(const RuntimeReport &r, FILE *out, bool verbose);

// Exit codes of the sc-sites program.
inline constexpr int kExitClean = 0;
inline constexpr int kExitDiscrepancy = 1;
inline constexpr int kExitError = 2;

} // namespace scsites
