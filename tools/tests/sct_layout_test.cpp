// The trampoline layout description (sct_layout.h): the table's invariants,
// each layout's words against numbers from its specification (and, for
// slot-adrp, a trampoline of a real 7.2 vmlinux), encode/decode round trips
// with a fixed seed, and corrupted copies of every code word, which the
// description must not accept as the same trampoline.
#include "a64.h"
#include "sct_layout.h"

#include <gtest/gtest.h>

#include <random>
#include <set>

using sct::Layout;
using sct::WordKind;

namespace {

const Layout &layout(const char *name) {
    const Layout *l = sct::find_layout(name);
    if (!l)
        throw std::logic_error(std::string("no layout ") + name);
    return *l;
}

std::vector<uint32_t> encode_ok(const Layout &l, uint64_t entry, uint64_t literal, uint32_t slot) {
    auto w = sct::encode(l, entry, literal, slot);
    EXPECT_TRUE(w.ok()) << l.name << ": " << w.error();
    return w.ok() ? *w : std::vector<uint32_t>{};
}

std::vector<uint32_t> code_of(const Layout &l, const std::vector<uint32_t> &words) {
    return {words.begin(), words.begin() + std::min(words.size(), l.code.size())};
}

// Entry and literal addresses a trampoline of `l` may have (aligned, the
// literal within adrp range), from a fixed-seed generator.
struct Placement {
    uint64_t entry, literal, target;
};
Placement place(const Layout &l, std::mt19937_64 &rng) {
    const uint64_t base = 0xffff800080000000;
    Placement p;
    p.entry = base + (rng() % (uint64_t{1} << 30)) / l.align * l.align;
    p.literal = p.entry + ((rng() % (uint64_t{1} << 31)) & ~uint64_t{7}) - (uint64_t{1} << 30);
    p.target = (base + rng() % (uint64_t{1} << 29)) & ~uint64_t{3};
    return p;
}

} // namespace

// --- the table ----------------------------------------------------------------

TEST(SctLayout, TableIsConsistent) {
    std::set<std::string> names;
    for (const Layout &l : sct::kLayouts) {
        SCOPED_TRACE(l.name);
        EXPECT_TRUE(names.insert(l.name).second) << "duplicate name";
        EXPECT_EQ(sct::find_layout(l.name), &l);
        EXPECT_EQ(std::string(l.section), ".static_call.text");
        EXPECT_GE(l.code.size(), 4u);
        EXPECT_EQ(l.code[0].kind, WordKind::Fixed); // bti c: entered by an indirect branch too
        EXPECT_EQ(l.code[0].value, a64::kBtiC);
        EXPECT_EQ(l.code.back().value, sct::kBrX16);
        EXPECT_LE(l.size, l.stride);
        EXPECT_EQ(l.stride % l.align, 0u); // packed trampolines stay aligned
        EXPECT_EQ(l.stride % 4, 0u);
        EXPECT_EQ((l.stride - l.size) % 4, 0u);
        EXPECT_EQ(l.align & (l.align - 1), 0u);
        EXPECT_GE(l.align, 4u); // instruction words
        // At most one slot, and it is the only word that is neither fixed nor
        // derived from the literal's address.
        size_t slots = 0;
        for (const auto &w : l.code)
            slots += w.kind == WordKind::Slot;
        EXPECT_LE(slots, 1u);
        if (l.has_slot()) {
            EXPECT_EQ(l.slot_offset(), 4u); // ARM64_SCT_SLOT_OFFSET in both series
            EXPECT_TRUE(l.module_slot_nop);
        }
        // The symbol covers the code, the literal is in .rodata, found by
        // an adrp/ldr pair.
        EXPECT_EQ(l.code_bytes(), l.size);
        ASSERT_TRUE(l.literal_section);
        EXPECT_EQ(std::string(l.literal_section), ".rodata");
        ASSERT_TRUE(l.offset_of(WordKind::Adrp));
        ASSERT_TRUE(l.offset_of(WordKind::LdrLo12));
        EXPECT_EQ(*l.offset_of(WordKind::LdrLo12), *l.offset_of(WordKind::Adrp) + 4);
        EXPECT_EQ(4 * (l.code.size() - 1), *l.offset_of(WordKind::LdrLo12) + 4); // then br x16
        EXPECT_NE(sct::describe(l).find(l.code[0].text), std::string::npos);
    }
    EXPECT_EQ(sct::find_layout("v1"), nullptr);
    EXPECT_EQ(sct::find_layout("v2"), nullptr); // the 6.12 series' old layout, gone
    EXPECT_EQ(sct::find_layout(""), nullptr);
    EXPECT_EQ(sct::layout_names(), "slot-adrp, mainline");
    EXPECT_EQ(sct::kBrX16, *a64::br(16));
}

// --- each layout against its specification --------------------------------------

// The series, on 6.12 and on mainline (patches/6.12/, patches/7.2/,
// asm/static_call.h): bti c; b|nop; adrp x16, 1f; ldr x16, [x16, :lo12:1f];
// br x16, padded to 32 bytes, the literal in .rodata. The words are those of
// __SCT__tp_func_initcall_start in the rig's 7.2-gcc vmlinux (objdump -d).
TEST(SctLayout, SlotAdrpMatchesTheSeriesSpecificationAndA72Vmlinux) {
    const Layout &l = layout("slot-adrp");
    EXPECT_EQ(l.size, 20u);
    EXPECT_EQ(l.stride, 32u);
    EXPECT_EQ(l.align, 32u);
    EXPECT_EQ(std::string(l.literal_section), ".rodata");
    EXPECT_TRUE(l.module_slot_nop);
    EXPECT_EQ(l.slot_offset(), 4u);                 // ARM64_SCT_SLOT_OFFSET
    EXPECT_EQ(l.offset_of(WordKind::Adrp), 8u);     // ARM64_SCT_ADRP_OFFSET
    EXPECT_EQ(l.offset_of(WordKind::LdrLo12), 12u); // ARM64_SCT_LDR_OFFSET
    const uint64_t e = 0xffff800080391020, literal = 0xffff8000803a0008,
                   target = 0xffff800080015058; // __traceiter_initcall_start
    const uint32_t slot = sct::slot_for(l, e, target);
    EXPECT_EQ(slot, 0x17f2100du); // b target, from entry+4
    const auto w = encode_ok(l, e, literal, slot);
    const std::vector<uint32_t> want = {0xd503245f, 0x17f2100d, 0xf0000070, 0xf9400610,
                                        0xd61f0200, 0xd503201f, 0xd503201f, 0xd503201f};
    EXPECT_EQ(w, want);
    EXPECT_EQ(*sct::literal_address(l, e, code_of(l, w)), literal);
    // The edges of the slot's branch range: b up to entry+4 + 128 MiB - 4
    // and down to entry+4 - 128 MiB, nop beyond, and nop for a misaligned
    // target.
    EXPECT_EQ(sct::slot_for(l, e, e + 4 + (uint64_t{1} << 27)), a64::kNop);
    EXPECT_EQ(sct::slot_for(l, e, e + 4 + (uint64_t{1} << 27) - 4), 0x15ffffffu);
    EXPECT_EQ(sct::slot_for(l, e, e + 4 - (uint64_t{1} << 27)), 0x16000000u);
    EXPECT_EQ(sct::slot_for(l, e, e + 4 - (uint64_t{1} << 27) - 4), a64::kNop);
    EXPECT_EQ(sct::slot_for(l, e, target + 2), a64::kNop);
    EXPECT_FALSE(sct::encode(l, e, literal + 4, slot).ok());             // misaligned literal
    EXPECT_FALSE(sct::encode(l, e, e + (uint64_t{1} << 33), slot).ok()); // adrp range
}

// Mainline's own (7.x with CFI): bti c; adrp x16, 1f; ldr x16, [x16,
// :lo12:1f]; br x16, 16-byte aligned (.align 4), no slot. Words worked out
// by hand from the A64 encodings: adrp x16 of 15 pages (immlo 3, immhi 3),
// ldr x16, [x16, #0x18] (imm12 3).
TEST(SctLayout, MainlineMatchesMainlinesSpecification) {
    const Layout &l = layout("mainline");
    EXPECT_EQ(l.size, 16u);
    EXPECT_EQ(l.stride, 16u);
    EXPECT_EQ(l.align, 16u);
    EXPECT_FALSE(l.has_slot());
    EXPECT_FALSE(l.module_slot_nop);
    EXPECT_EQ(l.offset_of(WordKind::Adrp), 4u);
    const uint64_t e = 0xffff800080391010, literal = 0xffff8000803a0018;
    const auto w = encode_ok(l, e, literal, 0);
    const std::vector<uint32_t> want = {0xd503245f, 0xf0000070, 0xf9400e10, 0xd61f0200};
    EXPECT_EQ(w, want);
    EXPECT_EQ(*sct::literal_address(l, e, w), literal);
}

// --- every layout: round trips and corrupted copies --------------------------------

TEST(SctLayout, EncodeDecodeRoundTripFixedSeed) {
    std::mt19937_64 rng(0x5c7a11);
    for (const Layout &l : sct::kLayouts) {
        SCOPED_TRACE(l.name);
        for (int k = 0; k < 2000; ++k) {
            const Placement p = place(l, rng);
            const uint32_t slot = l.has_slot() ? sct::slot_for(l, p.entry, p.target) : 0;
            auto w = sct::encode(l, p.entry, p.literal, slot);
            ASSERT_TRUE(w.ok()) << w.error();
            ASSERT_EQ(w->size() * 4, l.stride);
            const auto code = code_of(l, *w);
            ASSERT_TRUE(sct::matches(l, code)) << std::hex << p.entry;
            ASSERT_EQ(*sct::literal_address(l, p.entry, code), p.literal);
            for (uint64_t o = l.size; o < l.stride; o += 4) {
                ASSERT_EQ((*w)[o / 4], l.pad);
            }
            if (l.has_slot()) {
                const uint64_t pc = p.entry + l.slot_offset();
                const int64_t d = int64_t(p.target - pc);
                if (d >= a64::kBranchMin && d <= a64::kBranchMax) {
                    ASSERT_EQ(*a64::pc_relative_target(slot, pc), p.target);
                } else {
                    ASSERT_EQ(slot, a64::kNop);
                }
            }
        }
    }
}

// Each layout's own words match it and no other layout's.
TEST(SctLayout, EachLayoutMatchesOnlyItself) {
    std::mt19937_64 rng(7);
    for (const Layout &l : sct::kLayouts) {
        const Placement p = place(l, rng);
        const auto w = encode_ok(l, p.entry, p.literal, a64::kNop);
        for (const Layout &other : sct::kLayouts)
            EXPECT_EQ(sct::matches(other, code_of(other, w)), &other == &l)
                << l.name << " words as " << other.name;
    }
}

// Flipping any one bit of any code word: the layout rejects the word, or the
// trampoline means something else (another literal address; for the slot,
// another branch target), never the same trampoline.
TEST(SctLayout, EverySingleBitCorruptionIsCaught) {
    std::mt19937_64 rng(11);
    for (const Layout &l : sct::kLayouts) {
        SCOPED_TRACE(l.name);
        const Placement p = place(l, rng);
        const uint64_t target = p.entry + 0x1000; // in range of the slot
        const uint32_t slot = l.has_slot() ? sct::slot_for(l, p.entry, target) : 0;
        const auto code = code_of(l, encode_ok(l, p.entry, p.literal, slot));
        for (size_t i = 0; i < code.size(); ++i)
            for (unsigned bit = 0; bit < 32; ++bit) {
                auto bad = code;
                bad[i] ^= uint32_t{1} << bit;
                const bool rejected = !sct::matches(l, bad);
                if (l.code[i].kind == WordKind::Slot) {
                    const uint64_t pc = p.entry + 4 * i;
                    auto t = a64::pc_relative_target(bad[i], pc);
                    EXPECT_TRUE(rejected || bad[i] == a64::kNop || !t || *t != target)
                        << "slot bit " << bit;
                    continue;
                }
                auto lit = sct::literal_address(l, p.entry, bad);
                EXPECT_TRUE(rejected || !lit || *lit != p.literal)
                    << "word " << i << " bit " << bit << ": " << std::hex << bad[i];
                EXPECT_EQ(rejected, sct::word_mismatch(l, i, bad[i]).has_value());
            }
    }
}

TEST(SctLayout, MismatchesNameTheExpectedWord) {
    const Layout &sa = layout("slot-adrp"), &ml = layout("mainline");
    EXPECT_EQ(*sct::word_mismatch(sa, 0, a64::kNop), "`bti c` (0xd503245f)");
    EXPECT_EQ(*sct::word_mismatch(sa, 1, *a64::ret()), "`b <target> | nop`");
    EXPECT_FALSE(sct::word_mismatch(sa, 1, *a64::b(-0x1000)).has_value());
    EXPECT_FALSE(sct::word_mismatch(sa, 1, a64::kNop).has_value());
    // v1's (and the old 6.12 layout's) literal load is no adrp layout's word.
    EXPECT_EQ(*sct::word_mismatch(sa, 2, 0x58000050), "`adrp x16, <literal>`");
    EXPECT_EQ(*sct::word_mismatch(sa, 4, *a64::br(17)), "`br x16` (0xd61f0200)");
    EXPECT_EQ(*sct::word_mismatch(sa, 5, a64::kNop), "no word"); // padding is not code
    EXPECT_EQ(*sct::word_mismatch(sa, 2, *a64::adrp(17, 0)), "`adrp x16, <literal>`");
    EXPECT_EQ(*sct::word_mismatch(sa, 3, *a64::ldr_uimm(16, 17, 8)),
              "`ldr x16, [x16, :lo12:<literal>]`");
    EXPECT_EQ(*sct::word_mismatch(ml, 3, *a64::br(17)), "`br x16` (0xd61f0200)");
    EXPECT_FALSE(sct::word_mismatch(ml, 1, *a64::adrp(16, 0x7ffff000)).has_value());
    auto lit = sct::literal_address(
        ml, 0x1000, std::vector<uint32_t>{a64::kBtiC, a64::kNop, a64::kNop, sct::kBrX16});
    ASSERT_FALSE(lit.ok());
    EXPECT_EQ(lit.error(), "word at +4 (0xd503201f) is not `adrp x16`");
    // Fewer words than the layout has match fewer words.
    EXPECT_EQ(sct::matching_words(sa, std::vector<uint32_t>{a64::kBtiC, a64::kNop}), 2u);
    EXPECT_FALSE(sct::matches(sa, std::vector<uint32_t>{a64::kBtiC, a64::kNop}));
}
