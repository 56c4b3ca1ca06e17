// The arm64 static call trampoline layouts the rig builds, in one description
// shared by sc-audit (which decodes and checks them) and tramp-model (which
// builds its trampoline images from them). One layout is one entry of
// kLayouts: adding a layout is adding its entry (and its tests), deleting one
// is deleting its entry (and its tests). Nothing else names a layout.
//
// A layout is the words of the trampoline's code from its entry, one of which
// may be the slot (the only word the kernel rewrites: `b target` when the
// target is in branch range of the slot, else `nop`), the section of the
// 64-bit literal holding the target (found by decoding the code's `adrp x16`
// / `ldr x16, [x16, #lo12]` pair), the `__SCT__<key>` symbol's size and
// alignment, and the stride at which trampolines are packed in
// .static_call.text (the bytes between the symbol's end and the next
// trampoline are padding words, never executed).
#pragma once

#include "a64.h"
#include "result.h"

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace sct {

inline constexpr const char *kSymbolPrefix = "__SCT__";
inline constexpr unsigned kScratch = 16; // x16: every layout branches through it

// What one code word of a layout is.
enum class WordKind : uint8_t {
    Fixed,   // exactly Word::value
    Slot,    // `b <target>` or `nop`
    Adrp,    // `adrp x16, <page of the literal>`
    LdrLo12, // `ldr x16, [x16, #<literal & 0xfff>]` (LDR unsigned offset, 64-bit)
};

struct Word {
    WordKind kind = WordKind::Fixed;
    uint32_t value = 0;    // Fixed only
    const char *text = ""; // as written in the kernel's source, for messages
};

struct Layout {
    const char *name = "";                 // sc-audit --layout NAME
    const char *origin = "";               // which kernels emit it
    std::span<const Word> code;            // from the entry; an Adrp word, then LdrLo12
    const char *literal_section = nullptr; // where the adrp/ldr pair's literal must be
    uint64_t size = 0;                     // st_size of __SCT__<key>
    uint64_t stride = 0;                   // distance between packed trampolines (>= size)
    uint64_t align = 0;                    // alignment of the entry
    uint32_t pad = 0;                      // the words in [size, stride), never executed
    const char *pad_text = "";             // e.g. "nop"
    const char *section = "";              // where the trampolines are
    bool module_slot_nop = false;          // modules are assembled with `nop` in the slot

    constexpr uint64_t code_bytes() const { return 4 * code.size(); }
    // Offset of the first word of `kind`, if the layout has one.
    constexpr std::optional<uint64_t> offset_of(WordKind kind) const {
        for (size_t i = 0; i < code.size(); ++i)
            if (code[i].kind == kind)
                return 4 * uint64_t(i);
        return std::nullopt;
    }
    constexpr bool has_slot() const { return offset_of(WordKind::Slot).has_value(); }
    constexpr uint64_t slot_offset() const { return offset_of(WordKind::Slot).value_or(0); }
};

inline constexpr uint32_t kBrX16 = 0xd61f0200; // br x16

inline constexpr Word kBti{WordKind::Fixed, a64::kBtiC, "bti c"};
inline constexpr Word kSlot{WordKind::Slot, 0, "b <target> | nop"};
inline constexpr Word kBr{WordKind::Fixed, kBrX16, "br x16"};
inline constexpr Word kAdrp{WordKind::Adrp, 0, "adrp x16, <literal>"};
inline constexpr Word kLdrLo12{WordKind::LdrLo12, 0, "ldr x16, [x16, :lo12:<literal>]"};

// The series, on 6.12 and on mainline alike (patches/6.12/, patches/7.2/):
// mainline's trampoline with the slot at +4; 20 bytes of code, 32-byte
// aligned, so 12 bytes of padding.
inline constexpr Word kSlotAdrpCode[] = {kBti, kSlot, kAdrp, kLdrLo12, kBr};
// Mainline's own (7.x with CFI, no series): 16 bytes, no slot.
inline constexpr Word kMainlineCode[] = {kBti, kAdrp, kLdrLo12, kBr};

inline constexpr Layout kLayouts[] = {
    {.name = "slot-adrp",
     .origin = "the series (patches/6.12/, patches/7.2/)",
     .code = kSlotAdrpCode,
     .literal_section = ".rodata",
     .size = 20,
     .stride = 32,
     .align = 32,
     .pad = a64::kNop,
     .pad_text = "nop",
     .section = ".static_call.text",
     .module_slot_nop = true},
    {.name = "mainline",
     .origin = "mainline's own (7.x with CFI, without the series)",
     .code = kMainlineCode,
     .literal_section = ".rodata",
     .size = 16,
     .stride = 16,
     .align = 16,
     .pad = a64::kNop,
     .pad_text = "nop",
     .section = ".static_call.text",
     .module_slot_nop = false},
};

// The layout called `name`, or nullptr.
const Layout *find_layout(std::string_view name);
// "slot-adrp, mainline": every name, in table order.
std::string layout_names();
// One line: the code words, the literal, size, alignment and stride.
std::string describe(const Layout &l);

// Whether `word` is what the layout's code word `index` must be: Fixed words
// exactly, the slot `b` (anywhere) or `nop`, Adrp any `adrp x16`, LdrLo12 any
// `ldr x16, [x16, #imm]` (their operands are checked by literal_address).
// nullopt when it is, else what was expected, e.g. "`bti c` (0xd503245f)".
std::optional<std::string> word_mismatch(const Layout &l, size_t index, uint32_t word);
// How many of the layout's code words `words` (from the entry) match; words
// beyond words.size() do not.
size_t matching_words(const Layout &l, std::span<const uint32_t> words);
inline bool matches(const Layout &l, std::span<const uint32_t> words) {
    return matching_words(l, words) == l.code.size();
}

// The address of the literal of a trampoline at `entry` whose code words are
// `words`, decoded from its adrp/ldr pair. An error when those words do not
// decode as the layout's.
a64::Result<uint64_t> literal_address(const Layout &l, uint64_t entry,
                                      std::span<const uint32_t> words);

// The slot word for `target`: `b target` when in branch range of the slot of
// a trampoline at `entry`, else `nop`.
uint32_t slot_for(const Layout &l, uint64_t entry, uint64_t target);

// The words of a trampoline at `entry` from its entry to its stride: its code
// (the slot holding `slot`), then the padding. `literal` is where its literal
// is: an 8-byte aligned address in adrp range (the caller stores the target
// there).
a64::Result<std::vector<uint32_t>> encode(const Layout &l, uint64_t entry, uint64_t literal,
                                          uint32_t slot);

} // namespace sct
