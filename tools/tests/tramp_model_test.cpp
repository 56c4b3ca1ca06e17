#include "a64.h"
#include "protocols.h"

#include <gtest/gtest.h>

#include <stdexcept>

using namespace tmodel;

namespace {

const World &world() {
    static const World w = make_world();
    return w;
}

struct Summary {
    size_t rows = 0, failing = 0;
    uint64_t bad = 0, forbidden = 0, incomplete = 0, interleavings = 0;
};

Summary summarize(const Protocol &p, ReaderOrder order) {
    Summary s;
    for (const auto &r : check_protocol(world(), p, order)) {
        ++s.rows;
        s.failing += !r.ok();
        s.bad += r.bad;
        s.forbidden += r.forbidden;
        s.incomplete += r.incomplete;
        s.interleavings += r.interleavings;
    }
    return s;
}

TransitionResult one(const Protocol &p, const Target &from, const Target &to,
                     ReaderOrder order = ReaderOrder::Any) {
    return check_transition(world(), p, {from.name, from, p.layout(from)}, to, order);
}

const sct::Layout &slot_adrp() {
    return *sct::find_layout("slot-adrp");
}

// The code words of the trampoline in image `m`.
std::vector<uint32_t> code_of(const Memory &m, const sct::Layout &l) {
    std::vector<uint32_t> code;
    for (uint64_t o = 0; o < l.code_bytes(); o += 4)
        code.push_back(m.at(world().tramp + o));
    return code;
}

// Where the trampoline in image `m` loads its literal from.
Addr literal_of(const Memory &m, const sct::Layout &l) {
    return *sct::literal_address(l, world().tramp, code_of(m, l));
}

} // namespace

TEST(TrampModel, ShippedPassesEveryTransitionInBothReaderOrders) {
    for (ReaderOrder o : {ReaderOrder::Any, ReaderOrder::ProgramOrder}) {
        const Summary s = summarize(shipped(world()), o);
        EXPECT_EQ(s.rows, 30u); // 5 x 5 built-in + 5 from the module's initial nop state
        EXPECT_EQ(s.failing, 0u);
        EXPECT_GT(s.interleavings, 100u);
    }
}

// The shipped protocol's default layout is the series' slot-adrp: 20 bytes
// of code at a 32-byte aligned entry, the literal in .rodata.
TEST(TrampModel, ShippedLayoutIsTheSpecifiedImage) {
    const World &w = world();
    const sct::Layout &l = slot_adrp();
    EXPECT_EQ(shipped(w).name, "shipped");
    EXPECT_EQ(w.tramp % l.align, 0u);
    const Memory m = shipped(w).layout(w.C);
    ASSERT_EQ(m.size(), 7u); // 5 code words, the literal's 2
    EXPECT_EQ(m.begin()->first, w.tramp);
    EXPECT_EQ(m.at(w.tramp), 0xd503245fu);
    EXPECT_EQ(m.at(w.tramp + 4), 0xd503201fu); // far target: nop
    auto adrp = a64::decode(m.at(w.tramp + 8));
    ASSERT_TRUE(adrp);
    EXPECT_EQ(adrp->op, a64::Op::ADRP);
    EXPECT_EQ(adrp->rd, 16u);
    auto ldr = a64::decode(m.at(w.tramp + 12));
    ASSERT_TRUE(ldr);
    EXPECT_EQ(ldr->op, a64::Op::LDR_UIMM);
    EXPECT_EQ(ldr->rd, 16u);
    EXPECT_EQ(ldr->rn, 16u);
    EXPECT_EQ(m.at(w.tramp + 16), 0xd61f0200u);
    EXPECT_FALSE(m.count(w.tramp + 20)); // padding up to the stride, never executed
    const Addr lit = literal_of(m, l);
    EXPECT_EQ(lit % 8, 0u);
    EXPECT_TRUE(lit >= w.tramp + l.stride || lit + 8 <= w.tramp); // outside the trampoline
    EXPECT_EQ(get64(m, lit), w.C.addr);
    const Memory a = shipped(w).layout(w.A);
    EXPECT_EQ(a.at(w.tramp + 4), 0x14000000u | uint32_t((w.A.addr - (w.tramp + 4)) >> 2));
    EXPECT_EQ(get64(a, lit), w.A.addr);
    const Memory n = shipped(w).layout(w.Null);
    EXPECT_EQ(get64(n, lit), w.ret0); // NULL -> __static_call_return0, never 0
    EXPECT_EQ(n.at(w.tramp + 4) & 0xfc000000u, 0x14000000u);
}

// Literal first (one 8-byte store), then the slot and the all-CPU sync, the
// sync last; a literal-only update does not synchronise.
TEST(TrampModel, ShippedUpdateSteps) {
    const World &w = world();
    const Protocol p = shipped(w);
    const Addr at = literal_of(p.layout(w.A), slot_adrp());
    const auto ab = p.update(p.layout(w.A), w.A, w.B);
    ASSERT_EQ(ab.size(), 3u);
    EXPECT_EQ(ab[0].type, Step::Type::Write);
    ASSERT_EQ(ab[0].pieces.size(), 1u);
    const Memory &lit = ab[0].pieces[0].words;
    ASSERT_EQ(lit.size(), 2u);
    EXPECT_EQ(lit.begin()->first, at);
    EXPECT_EQ(get64(lit, at), w.B.addr);
    EXPECT_EQ(ab[1].type, Step::Type::Write);
    ASSERT_EQ(ab[1].pieces.size(), 1u);
    EXPECT_EQ(ab[1].pieces[0].words.begin()->first, w.tramp + 4);
    EXPECT_EQ(ab[2].type, Step::Type::Sync);
    EXPECT_EQ(ab[2].sync, std::set<Addr>{w.tramp + 4});
    // A -> far C: slot b -> nop, still synchronised.
    const auto ac = p.update(p.layout(w.A), w.A, w.C);
    ASSERT_EQ(ac.size(), 3u);
    EXPECT_EQ(ac[1].pieces[0].words.at(w.tramp + 4), 0xd503201fu);
    EXPECT_EQ(ac[2].type, Step::Type::Sync);
    // NULL -> RET0 (both __static_call_return0) and A -> A: literal only, no sync.
    for (auto [from, to] : {std::pair{w.Null, w.Ret0}, std::pair{w.A, w.A}}) {
        const auto s = p.update(p.layout(from), from, to);
        ASSERT_EQ(s.size(), 1u) << from.name << " -> " << to.name;
        EXPECT_EQ(s[0].type, Step::Type::Write);
        EXPECT_EQ(s[0].pieces[0].words.begin()->first, at);
    }
}

// The model executes the encoded words: v1's `ldr x16, tramp-8` (LDR literal)
// in place of the shipped image's adrp loads from outside the image and every
// reader faults.
TEST(TrampModel, V1LdrInShippedImageIsCaught) {
    const World &w = world();
    Protocol p = shipped(w);
    p.name = "test/v1-ldr";
    const auto image = p.layout;
    p.layout = [image, &w](const Target &t) {
        Memory m = image(t);
        m[w.tramp + 8] = 0x58ffff90u; // ldr x16, . - 16
        return m;
    };
    auto r = check_transition(w, p, {"A", w.A, p.layout(w.A)}, w.C, ReaderOrder::Any);
    EXPECT_GT(r.bad, 0u);
    EXPECT_NE(r.bad_example.find("FAULT: load outside the image"), std::string::npos)
        << r.bad_example;
}

TEST(TrampModel, MainlineShapePasses) {
    EXPECT_EQ(summarize(mainline2026(world()), ReaderOrder::Any).failing, 0u);
}

TEST(TrampModel, V6ForbiddenRewritesAreCaught) {
    const World &w = world();
    auto r = one(v6(w), w.A, w.Null);
    EXPECT_EQ(r.forbidden, 1u);
    ASSERT_FALSE(r.forbidden_rewrites.empty());
    EXPECT_NE(r.forbidden_rewrites[0].find("ret"), std::string::npos);
    EXPECT_GT(one(v6(w), w.Null, w.C).forbidden, 0u);
    EXPECT_EQ(one(v6(w), w.A, w.B).forbidden, 0u); // b <-> b is allowed
    EXPECT_EQ(one(v6(w), w.A, w.C).forbidden, 0u); // b <-> nop is allowed
}

TEST(TrampModel, V6NaiveRet0ClobbersArguments) {
    const World &w = world();
    auto r = one(v6(w), w.Ret0, w.A);
    EXPECT_GT(r.bad, 0u);
    EXPECT_NE(r.bad_example.find("x0=0"), std::string::npos) << r.bad_example;
    EXPECT_GT(one(v6(w), w.Ret0, w.A).forbidden, 0u); // mov -> b
    const Summary s = summarize(v6(w), ReaderOrder::Any);
    EXPECT_GT(s.failing, 0u);
}

TEST(TrampModel, SixteenByteCopyIsNotAtomic) {
    const World &w = world();
    EXPECT_EQ(one(v6(w), w.A, w.B).writer_orders, 6u); // 3 pieces, any visibility order
}

TEST(TrampModel, TornLiteralIsCaught) {
    const World &w = world();
    auto r = one(torn_literal(w), w.B, w.C);
    EXPECT_GT(r.bad, 0u);
    EXPECT_NE(r.bad_example.find("FAULT"), std::string::npos) << r.bad_example;
}

// Returning before the all-CPU sync: another CPU may still fetch the old
// slot after the update "completed" (stale target, never a wrong one).
TEST(TrampModel, MissingSyncIsCaught) {
    const World &w = world();
    auto r = one(no_sync(w), w.A, w.B);
    EXPECT_GT(r.incomplete, 0u);
    EXPECT_NE(r.incomplete_example.find("call A"), std::string::npos) << r.incomplete_example;
    EXPECT_EQ(r.bad, 0u);
    EXPECT_EQ(one(shipped(w), w.A, w.B).incomplete, 0u);
}

// Between two far targets only the literal changes (slot stays nop): one
// 8-byte store, no sync, and still old-or-new during and new after.
TEST(TrampModel, FarToFarIsLiteralOnlyWithoutSync) {
    static const World w = [] {
        World x = make_world();
        x.fns.emplace(x.tramp - 0x20000000, "E"); // -512 MiB: out of range
        return x;
    }();
    const Target e{"E", Kind::Fn, w.tramp - 0x20000000};
    const Protocol p = shipped(w);
    const auto steps = p.update(p.layout(w.C), w.C, e);
    ASSERT_EQ(steps.size(), 1u);
    EXPECT_EQ(steps[0].type, Step::Type::Write);
    for (ReaderOrder o : {ReaderOrder::Any, ReaderOrder::ProgramOrder}) {
        for (const auto &[from, to] : {std::pair{w.C, e}, std::pair{e, w.C}}) {
            auto r = check_transition(w, p, {from.name, from, p.layout(from)}, to, o);
            EXPECT_TRUE(r.ok()) << from.name << " -> " << to.name << ": " << r.bad_example
                                << r.incomplete_example;
            EXPECT_EQ(r.interleavings, 2u); // the literal load: old or new
        }
    }
}

TEST(TrampModel, RetSlotRewriteIsCaught) {
    const World &w = world();
    EXPECT_GT(one(ret_slot(w), w.A, w.Null).forbidden, 0u);
    EXPECT_GT(one(ret_slot(w), w.Null, w.B).forbidden, 0u);
}

// Writing the slot before the literal matters once the literal is not always
// a valid old/new target: caught even with a program-order reader.
TEST(TrampModel, SlotBeforeLiteralIsCaughtWhereItMatters) {
    const World &w = world();
    auto r = one(lazy_literal(w, true), w.A, w.C, ReaderOrder::ProgramOrder);
    EXPECT_GT(r.bad, 0u);
    EXPECT_NE(r.bad_example.find("D(stale)"), std::string::npos) << r.bad_example;
    // Literal first rescues it for a program-order reader...
    EXPECT_EQ(one(lazy_literal(w, false), w.A, w.C, ReaderOrder::ProgramOrder).bad, 0u);
    // ...but not for a reader whose literal load may be satisfied early.
    EXPECT_GT(one(lazy_literal(w, false), w.A, w.C, ReaderOrder::Any).bad, 0u);
}

// With the shipped invariant (literal always the current target) the order
// of the two writes does not affect the old-or-new property.
TEST(TrampModel, ShippedSlotFirstStillSafeBecauseLiteralAlwaysValid) {
    EXPECT_EQ(summarize(shipped_slot_first(world()), ReaderOrder::Any).failing, 0u);
}

TEST(TrampModel, EveryBrokenVariantExceptSlotFirstFails) {
    for (const auto &p : broken_variants(world())) {
        const Summary s = summarize(p, ReaderOrder::Any);
        if (p.name == "shipped/slot-first")
            EXPECT_EQ(s.failing, 0u) << p.name;
        else
            EXPECT_GT(s.failing, 0u) << p.name;
    }
}

// The shipped protocol on every layout with a slot (the series' slot-adrp),
// built from the layout description: every transition passes in both reader
// orders, including from a module's assembled `nop`.
TEST(TrampModel, ShippedPassesOnEveryLayoutWithASlot) {
    size_t n = 0;
    for (const auto &l : sct::kLayouts) {
        if (!l.has_slot())
            continue;
        ++n;
        for (ReaderOrder o : {ReaderOrder::Any, ReaderOrder::ProgramOrder}) {
            const Summary s = summarize(shipped(world(), l), o);
            EXPECT_EQ(s.rows, 30u) << l.name;
            EXPECT_EQ(s.failing, 0u) << l.name;
        }
    }
    EXPECT_GT(n, 0u);
}

// The series' image: its code from the entry, the literal in .rodata (found
// by the adrp/ldr pair), and its update writes that literal first.
TEST(TrampModel, SlotAdrpImageAndUpdate) {
    const World &w = world();
    const auto &l = slot_adrp();
    const Protocol p = shipped(w, l);
    EXPECT_EQ(p.name, "shipped"); // the first layout with a slot
    EXPECT_TRUE(p.shipped);
    const Memory m = p.layout(w.A);
    ASSERT_TRUE(sct::matches(l, code_of(m, l)));
    const uint64_t lit = literal_of(m, l);
    EXPECT_EQ(get64(m, lit), w.A.addr);
    EXPECT_EQ(*a64::pc_relative_target(m.at(w.tramp + 4), w.tramp + 4), w.A.addr);
    const auto ab = p.update(m, w.A, w.B);
    ASSERT_EQ(ab.size(), 3u);
    EXPECT_EQ(ab[0].pieces[0].words.begin()->first, lit);
    EXPECT_EQ(ab[2].type, Step::Type::Sync);
    // Mainline's layout: no slot, the same literal-only update.
    const auto &ml = *sct::find_layout("mainline");
    const Protocol mp = mainline2026(w, ml);
    const auto cr = mp.update(mp.layout(w.C), w.C, w.Ret0);
    ASSERT_EQ(cr.size(), 1u);
    EXPECT_EQ(get64(cr[0].pieces[0].words, lit), w.ret0);
    EXPECT_THROW(shipped(w, ml), std::logic_error);
    EXPECT_THROW(mainline2026(w, l), std::logic_error);
}
