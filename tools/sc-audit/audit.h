// sc-audit: inspect arm64 static call trampolines (__SCT__*) in a vmlinux or
// a module / object file and check them against their layout (sct_layout.h:
// the series' slot-adrp, on 6.12 and mainline; mainline's own), detected from
// the file's trampolines or given.
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
    uint64_t size = 0;  // st_size of the symbol (must be the layout's size)
    std::string section;
    uint64_t file_offset = 0;         // file offset of the entry
    uint64_t slot_file_offset = 0;    // file offset of the patched word (0: no slot)
    uint64_t literal_file_offset = 0; // file offset of the literal
    uint64_t literal_addr = 0;        // address of the literal (ET_REL: offset in its section)
    std::string literal_at;           // where: "0xffff... in .rodata", ".rodata+0x8"
    std::vector<uint32_t> words;      // the layout's code words, from the entry
    std::string slot;                 // "b <target>", "nop", the raw word, "-" (no slot)
    bool slot_is_b = false;
    bool slot_is_nop = false;
    Value slot_target;
    Value literal;
    std::string agree;    // "yes", "NO", "-" (literal path, no slot)
    std::string distance; // literal target - slot address (empty: no slot)
    uint64_t calls = 0;
    std::vector<std::string> errors;
    std::vector<std::string> notes;
};

struct Report {
    std::string path;
    std::string kind;    // "ET_REL" / "ET_EXEC" / "ET_DYN"
    bool module = false; // ET_REL with .gnu.linkonce.this_module or .modinfo
    std::string region;
    const sct::Layout *layout = nullptr; // checked against (nullptr: no trampolines)
    std::string layout_how;              // "--layout", "detected, N of M trampolines", ...
    std::vector<Trampoline> trampolines;
    std::vector<std::pair<std::string, uint64_t>> external; // referenced, not defined (ET_REL)
    // Broken invariants not owned by one trampoline (e.g. bytes in the static
    // call text that belong to no trampoline), printed as `ERROR <where>: ...`.
    std::vector<std::pair<std::string, std::string>> errors;
    size_t broken() const; // trampolines with at least one error
    bool failed() const { return broken() != 0 || !errors.empty(); }
};

// `layout`: check every trampoline against it; nullptr: detect it (the layout
// most trampolines match).
a64::Result<Report> audit(const std::string &path, const sct::Layout *layout = nullptr);
void print_report(const Report &r, FILE *out, bool verbose);

// Exit codes of the sc-audit program.
inline constexpr int kExitOk = 0;
inline constexpr int kExitBroken = 1;
inline constexpr int kExitError = 2;
inline constexpr int kExitNoneRequired = 3;

} // namespace scaudit
