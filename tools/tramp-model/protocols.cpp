#include "protocols.h"

#include "a64.h"
#include "sct_layout.h"

#include <stdexcept>

namespace tmodel {
namespace {

// The literal in .rodata of every layout's trampoline.
constexpr Addr kRodataLiteral = 0xffff800100800008;

uint32_t must(const a64::Result<uint32_t> &r) {
    if (!r)
        throw std::logic_error("encoding failed: " + r.error());
    return r.value();
}

// Address the trampoline should branch to for a target (shipped, mainline).
Addr resolved(const World &w, const Target &t) {
    return t.kind == Kind::Fn ? t.addr : w.ret0;
}

// Where a layout's slot is, for the trampoline at w.tramp.
Addr slot_addr(const World &w, const sct::Layout &l) {
    return w.tramp + l.slot_offset();
}

// The image of a trampoline of layout `l` at w.tramp for a target, from the
// layout description: its `size` bytes of code, the slot `b target` when in
// range else `nop`, and the .rodata literal.
Memory layout_image(const World &w, const sct::Layout &l, const Target &t) {
    const Addr target = resolved(w, t);
    const uint32_t slot = l.has_slot() ? sct::slot_for(l, w.tramp, target) : 0;
    auto words = sct::encode(l, w.tramp, kRodataLiteral, slot);
    if (!words)
        throw std::logic_error("encoding failed: " + words.error());
    Memory m;
    for (size_t i = 0; 4 * i < l.size; ++i)
        m[w.tramp + 4 * i] = (*words)[i];
    put64(m, kRodataLiteral, target);
    return m;
}

// The layout the shipped protocol and its broken variants use by default:
// the first one with a slot.
const sct::Layout &default_slot_layout() {
    for (const auto &l : sct::kLayouts)
        if (l.has_slot())
            return l;
    throw std::logic_error("no trampoline layout with a slot");
}

// How a broken variant's update departs from the shipped one (a bit set).
enum Departure : unsigned {
    kSlotFirst = 1,   // slot (and its sync) before the literal
    kLazyLiteral = 2, // literal only written when the slot is nop
    kTornLiteral = 4, // literal as two 4-byte stores
    kNoSync = 8,      // no all-CPU synchronisation after a slot write
};

// The update of a shipped-layout trampoline from `cur` to the literal and slot
// of `want`: one 8-byte store of the literal, then, if the slot changes, the
// slot write and an all-CPU synchronisation (the shipped protocol), but for
// the `departures` (Departure bits) of a broken variant.
std::vector<Step> update_to(const World &w, const sct::Layout &l, const Memory &cur,
                            const Memory &want, unsigned departures = 0) {
    const Addr lit_at = kRodataLiteral, slot_at = slot_addr(w, l);
    const uint64_t lit = get64(want, lit_at);
    const uint32_t slot = want.at(slot_at);
    std::vector<Step> literal, slot_steps;
    if (departures & kTornLiteral)
        literal.push_back(
            Step::copy("literal", {piece32("lit.lo", lit_at, uint32_t(lit)),
                                   piece32("lit.hi", lit_at + 4, uint32_t(lit >> 32))}));
    else if (!(departures & kLazyLiteral) || slot == a64::kNop)
        literal.push_back(Step::write(piece64("literal", lit_at, lit)));
    if (cur.at(slot_at) != slot) {
        slot_steps.push_back(Step::write(piece32("slot", slot_at, slot)));
        if (!(departures & kNoSync))
            slot_steps.push_back(Step::sync_words("sync(slot)", {slot_at}));
    }
    const bool slot_first = departures & kSlotFirst;
    std::vector<Step> s = slot_first ? slot_steps : literal;
    for (auto &x : slot_first ? literal : slot_steps)
        s.push_back(x);
    return s;
}

// A broken variant of the shipped protocol: `layout` (when given) instead of
// the shipped one, and `departures` in its updates to that layout.
Protocol shipped_variant(const World &w, std::string name, std::string description,
                         unsigned departures,
                         std::function<Memory(const Target &)> layout = nullptr) {
    Protocol p = shipped(w);
    p.name = std::move(name);
    p.description = std::move(description);
    p.shipped = false;
    if (layout) {
        p.layout = std::move(layout);
        p.extra_initial.clear();
    }
    p.update = [&w, departures, layout = p.layout](const Memory &cur, const Target &,
                                                   const Target &to) {
        return update_to(w, default_slot_layout(), cur, layout(to), departures);
    };
    return p;
}

std::set<Addr> words(Addr from, int n) {
    std::set<Addr> s;
    for (int i = 0; i < n; ++i)
        s.insert(from + 4 * Addr(i));
    return s;
}

// A protocol entered at the trampoline, whose first `code_words` words are code.
Protocol protocol(const World &w, std::string name, std::string description, int code_words) {
    Protocol p;
    p.name = std::move(name);
    p.description = std::move(description);
    p.entry = w.tramp;
    p.code = words(w.tramp, code_words);
    return p;
}

} // namespace

World make_world() {
    World w;
    // The trampoline sits just below a 4 GiB boundary so that targets differ
    // in both 32-bit halves (a torn literal then yields a non-function). It is
    // 32-byte aligned, as the series' trampolines are.
    w.tramp = 0xffff8000fff00000;
    w.ret0 = w.tramp + 0x4000;
    w.A = {"A", Kind::Fn, w.tramp + 0x100000};   // +1 MiB: in range
    w.B = {"B", Kind::Fn, w.tramp - 0x2000000};  // -32 MiB: in range
    w.C = {"C", Kind::Fn, w.tramp + 0x20000000}; // +512 MiB: out of range
    w.Null = {"NULL", Kind::Null, 0};
    w.Ret0 = {"RET0", Kind::Ret0, 0};
    // emplace, not `w.syms[0] = "0"`: assigning a 1-char literal to a
    // std::string trips GCC 12's bogus -Wrestrict at -O3 (GCC PR 105329).
    w.fns.emplace(w.A.addr, "A");
    w.fns.emplace(w.B.addr, "B");
    w.fns.emplace(w.C.addr, "C");
    w.fns.emplace(w.ret0, "__static_call_return0");
    w.fns.emplace(w.tramp + 0x300000, "D(stale)");
    w.syms.emplace(0, "0");
    w.syms.emplace(kRodataLiteral, "rodata-literal");
    return w;
}

Protocol shipped(const World &w) {
    return shipped(w, default_slot_layout());
}

Protocol shipped(const World &w, const sct::Layout &l) {
    if (!l.has_slot())
        throw std::logic_error(std::string("layout ") + l.name + " has no slot");
    const bool first = &l == &default_slot_layout();
    Protocol p = protocol(w, first ? "shipped" : std::string("shipped-") + l.name,
                          std::string(l.name) + ": " + sct::describe(l) +
                              " -- literal first, then the slot and an all-CPU sync if the slot "
                              "changes",
                          int(l.code.size()));
    p.shipped = true;
    p.layout = [&w, &l](const Target &t) { return layout_image(w, l, t); };
    p.update = [&w, &l](const Memory &cur, const Target &, const Target &to) {
        return update_to(w, l, cur, layout_image(w, l, to));
    };
    // A module's trampoline as assembled (slot nop); module_finalize installs
    // `b` before the module goes live, but the protocol must converge from it.
    if (l.module_slot_nop) {
        Memory mod = layout_image(w, l, w.A);
        mod[slot_addr(w, l)] = a64::kNop;
        p.extra_initial.push_back({"A[module nop]", w.A, mod});
    }
    return p;
}

Protocol v6(const World &w) {
    Protocol p = protocol(w, "v6-2021",
                          "literal(8); bti c; b|nop|ret|mov x0,xzr*; ldr x16, lit; cbz x16, 1f; "
                          "br x16; 1: ret -- 16-byte copy",
                          6);
    auto slot_lit = [&w](const Target &t, uint32_t *slot, uint64_t *lit) {
        switch (t.kind) {
        case Kind::Fn: {
            auto bw = a64::b_to(w.tramp + 4, t.addr);
            *slot = bw ? *bw : a64::kNop;
            *lit = t.addr;
            return;
        }
        case Kind::Null:
            *slot = must(a64::ret());
            *lit = 0;
            return;
        case Kind::Ret0: // naive extension: v6 had no RET0 trampoline
            *slot = must(a64::mov_reg(0, 31));
            *lit = 0;
            return;
        }
    };
    p.layout = [&w, slot_lit](const Target &t) {
        Memory m;
        uint32_t slot = 0;
        uint64_t lit = 0;
        slot_lit(t, &slot, &lit);
        put64(m, w.tramp - 8, lit);
        m[w.tramp] = a64::kBtiC;
        m[w.tramp + 4] = slot;
        m[w.tramp + 8] = must(a64::ldr_literal(16, -16));
        m[w.tramp + 12] = must(a64::cbz(16, 8));
        m[w.tramp + 16] = must(a64::br(16));
        m[w.tramp + 20] = must(a64::ret());
        return m;
    };
    p.update = [&w, slot_lit](const Memory &, const Target &, const Target &to) {
        uint32_t slot = 0;
        uint64_t lit = 0;
        slot_lit(to, &slot, &lit);
        std::vector<Step> s;
        s.push_back(Step::copy("copy16", {piece64("literal", w.tramp - 8, lit),
                                          piece32("bti", w.tramp, a64::kBtiC),
                                          piece32("slot", w.tramp + 4, slot)}));
        s.push_back(Step::sync_words("icache(all)", words(w.tramp, 6)));
        return s;
    };
    return p;
}

Protocol mainline2026(const World &w) {
    for (const auto &l : sct::kLayouts)
        if (!l.has_slot())
            return mainline2026(w, l);
    throw std::logic_error("no trampoline layout without a slot");
}

Protocol mainline2026(const World &w, const sct::Layout &l) {
    if (l.has_slot())
        throw std::logic_error(std::string("layout ") + l.name + " has a slot");
    Protocol p = protocol(w, "mainline-2026",
                          std::string(l.name) + ": " + sct::describe(l) + " -- literal only",
                          int(l.code.size()));
    p.layout = [&w, &l](const Target &t) { return layout_image(w, l, t); };
    p.update = [&w](const Memory &, const Target &, const Target &to) {
        return std::vector<Step>{Step::write(piece64("literal", kRodataLiteral, resolved(w, to)))};
    };
    return p;
}

Protocol shipped_slot_first(const World &w) {
    return shipped_variant(w, "shipped/slot-first",
                           "shipped layout, slot written before the literal", kSlotFirst);
}

// The literal is only written when the slot is nop, so that the layout's
// literal (stale for a `b` slot) is also what the update leaves.
Protocol lazy_literal(const World &w, bool slot_first) {
    const Addr stale = w.tramp + 0x300000;
    Protocol p = shipped_variant(
        w, slot_first ? "broken/lazy-literal,slot-first" : "broken/lazy-literal,literal-first",
        "literal only written for out-of-range targets (stale otherwise)",
        slot_first ? kSlotFirst | kLazyLiteral : kLazyLiteral, [&w, stale](const Target &t) {
            const sct::Layout &l = default_slot_layout();
            Memory m = layout_image(w, l, t);
            if (m.at(slot_addr(w, l)) != a64::kNop)
                put64(m, kRodataLiteral, stale); // literal left over from an older far target
            return m;
        });
    p.exact_final_state = false;
    return p;
}

Protocol torn_literal(const World &w) {
    return shipped_variant(w, "broken/torn-literal", "literal written as two 4-byte stores",
                           kTornLiteral);
}

Protocol no_sync(const World &w) {
    return shipped_variant(w, "broken/no-sync",
                           "slot written, update returns without synchronising the other CPUs",
                           kNoSync);
}

Protocol ret_slot(const World &w) {
    return shipped_variant(w, "broken/ret-slot", "shipped, but NULL patches the slot to `ret`", 0,
                           [&w](const Target &t) {
                               const sct::Layout &l = default_slot_layout();
                               Memory m = layout_image(w, l, t);
                               if (t.kind == Kind::Null)
                                   m[slot_addr(w, l)] = must(a64::ret());
                               return m;
                           });
}

// The shipped protocol on every layout with a slot, v6, and mainline's
// literal-only update on every layout without one.
std::vector<Protocol> main_protocols(const World &w) {
    std::vector<Protocol> ps;
    for (const auto &l : sct::kLayouts)
        if (l.has_slot())
            ps.push_back(shipped(w, l));
    ps.push_back(v6(w));
    for (const auto &l : sct::kLayouts)
        if (!l.has_slot())
            ps.push_back(mainline2026(w, l));
    return ps;
}

std::vector<Protocol> broken_variants(const World &w) {
    return {shipped_slot_first(w),
            lazy_literal(w, true),
            lazy_literal(w, false),
            torn_literal(w),
            no_sync(w),
            ret_slot(w)};
}

} // namespace tmodel
