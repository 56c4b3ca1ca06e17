#include "protocols.h"

#include "a64.h"
#include "sct_layout.h"

#include <stdexcept>

namespace tmodel {
namespace {

// The mainline-2026 shape's literal in .rodata.
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

// Words of the shipped (v2) trampoline, see sct_layout.h.
Addr slot_addr(const World &w) {
    return w.tramp + sct::kSlotOffset;
}
Addr literal_addr(const World &w) {
    return w.tramp + sct::kLiteralOffset;
}

// Slot for the shipped shape: direct branch when in range, else nop.
uint32_t shipped_slot(const World &w, Addr target) {
    auto bw = a64::b_to(slot_addr(w), target);
    return bw ? *bw : a64::kNop;
}

Memory shipped_layout(const World &w, const Target &t) {
    Memory m;
    const Addr tr = w.tramp;
    const Addr target = resolved(w, t);
    m[tr + sct::kBtiOffset] = a64::kBtiC;
    m[slot_addr(w)] = shipped_slot(w, target);
    m[tr + sct::kLdrOffset] =
        must(a64::ldr_literal(16, int64_t(sct::kLiteralOffset - sct::kLdrOffset)));
    m[tr + sct::kBrOffset] = must(a64::br(16));
    put64(m, literal_addr(w), target);
    return m;
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
std::vector<Step> update_to(const World &w, const Memory &cur, const Memory &want,
                            unsigned departures = 0) {
    const uint64_t lit = get64(want, literal_addr(w));
    const uint32_t slot = want.at(slot_addr(w));
    std::vector<Step> literal, slot_steps;
    if (departures & kTornLiteral)
        literal.push_back(
            Step::copy("literal", {piece32("lit.lo", literal_addr(w), uint32_t(lit)),
                                   piece32("lit.hi", literal_addr(w) + 4, uint32_t(lit >> 32))}));
    else if (!(departures & kLazyLiteral) || slot == a64::kNop)
        literal.push_back(Step::write(piece64("literal", literal_addr(w), lit)));
    if (cur.at(slot_addr(w)) != slot) {
        slot_steps.push_back(Step::write(piece32("slot", slot_addr(w), slot)));
        if (!(departures & kNoSync))
            slot_steps.push_back(Step::sync_words("sync(slot)", {slot_addr(w)}));
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
        return update_to(w, cur, layout(to), departures);
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
    // 8- but not 16-byte aligned, like every other trampoline at a 24-byte stride.
    w.tramp = 0xffff8000fff00008;
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
    w.syms.emplace(w.tramp + sct::kLiteralOffset, "literal");
    w.syms.emplace(kRodataLiteral, "rodata-literal");
    return w;
}

Protocol shipped(const World &w) {
    Protocol p = protocol(w, "shipped",
                          "bti c; b|nop; ldr x16, +16; br x16; literal(8) -- literal first, then "
                          "the slot and an all-CPU sync if the slot changes",
                          sct::kCodeWords);
    p.shipped = true;
    p.layout = [&w](const Target &t) { return shipped_layout(w, t); };
    p.update = [&w](const Memory &cur, const Target &, const Target &to) {
        return update_to(w, cur, shipped_layout(w, to));
    };
    // A module's trampoline as assembled (slot nop); module_finalize installs
    // `b` before the module goes live, but the protocol must converge from it.
    Memory mod = shipped_layout(w, w.A);
    mod[slot_addr(w)] = a64::kNop;
    p.extra_initial.push_back({"A[module nop]", w.A, mod});
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
    Protocol p =
        protocol(w, "mainline-2026",
                 "bti c; adrp x16, lit; ldr x16, [x16, :lo12:lit]; br x16 -- literal only", 4);
    p.layout = [&w](const Target &t) {
        Memory m;
        put64(m, kRodataLiteral, resolved(w, t));
        m[w.tramp] = a64::kBtiC;
        m[w.tramp + 4] = must(a64::adrp_to(16, w.tramp + 4, kRodataLiteral));
        m[w.tramp + 8] = must(a64::ldr_uimm(16, 16, int64_t(kRodataLiteral & 0xfff)));
        m[w.tramp + 12] = must(a64::br(16));
        return m;
    };
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
            Memory m = shipped_layout(w, t);
            if (m.at(slot_addr(w)) != a64::kNop)
                put64(m, literal_addr(w), stale); // literal left over from an older far target
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
                               Memory m = shipped_layout(w, t);
                               if (t.kind == Kind::Null)
                                   m[slot_addr(w)] = must(a64::ret());
                               return m;
                           });
}

std::vector<Protocol> main_protocols(const World &w) {
    return {shipped(w), v6(w), mainline2026(w)};
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
