// sc-audit: inspect arm64 static call trampolines (__SCT__*) in a vmlinux or
// a module / object file and check the invariants of the series' v2 layout
// (sct_layout.h: 24 bytes, 8-byte aligned, literal at entry+16).
#pragma once

#include "elf_image.h"
#include "result.h"
#include "sct_layout.h"

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace scaudit {

// A 64-bit value that may only be known symbolically (relocatable files).
struct Value {
    bool present = false;
    bool absolute = false; // `abs` is the final address
    uint64_t abs = 0;
    std::string identity; // comparison key
    std::string text;     // for display, e.g. "foo+0x8" or "0xffff...(foo)"
    std::string source;   // where it came from
};

struct Trampoline {
    std::string key;    // name without the __SCT__ prefix
    std::string symbol; // __SCT__key
    uint64_t addr = 0;  // virtual address (ET_REL: section offset)
    uint64_t size = 0;  // st_size of the symbol (must be sct::kSize)
    std::string section;
    uint64_t slot_file_offset = 0;                  // file offset of the patched word (entry+4)
    uint64_t literal_file_offset = 0;               // file offset of the literal (entry+16)
    uint32_t words[sct::kCodeWords] = {0, 0, 0, 0}; // entry+0 .. entry+12
    std::string slot;                               // "b <target>", "nop", or the raw word
    bool slot_is_b = false;
    bool slot_is_nop = false;
    Value slot_target;
    Value literal;
    std::string agree;    // "yes", "NO", "-" (literal path)
    std::string distance; // literal target - (entry + 4)
    uint64_t calls = 0;
    std::vector<std::string> errors;
    std::vector<std::string> notes;
};

struct Report {
    std::string path;
    std::string kind;    // "ET_REL" / "ET_EXEC" / "ET_DYN"
    bool module = false; // ET_REL with .gnu.linkonce.this_module or .modinfo
    std::string region;
    std::vector<Trampoline> trampolines;
    std::vector<std::pair<std::string, uint64_t>> external; // referenced, not defined (ET_REL)
    // Broken invariants not owned by one trampoline (e.g. bytes in the static
    // call text that belong to no trampoline), printed as `ERROR <where>: ...`.
    std::vector<std::pair<std::string, std::string>> errors;
    size_t broken() const; // trampolines with at least one error
    bool failed() const { return broken() != 0 || !errors.empty(); }
};

a64::Result<Report> audit(const std::string &path);
void print_report(const Report &r, FILE *out, bool verbose);

// Exit codes of the sc-audit program.
inline constexpr int kExitOk = 0;
inline constexpr int kExitBroken = 1;
inline constexpr int kExitError = 2;
inline constexpr int kExitNoneRequired = 3;

} // namespace scaudit
