#include "protocols.h"

#include <gtest/gtest.h>

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

} // namespace

TEST(TrampModel, ShippedPassesEveryTransitionInBothReaderOrders) {
    for (ReaderOrder o : {ReaderOrder::Any, ReaderOrder::ProgramOrder}) {
        const Summary s = summarize(shipped(world()), o);
        EXPECT_EQ(s.rows, 30u); // 5 x 5 built-in + 5 from the module's initial nop state
        EXPECT_EQ(s.failing, 0u);
        EXPECT_GT(s.interleavings, 100u);
    }
}

TEST(TrampModel, ShippedLayoutIsTheSpecifiedImage) {
    const World &w = world();
    const Memory m = shipped(w).layout(w.C);
    EXPECT_EQ(m.at(w.tramp), 0xd503245fu);
    EXPECT_EQ(m.at(w.tramp + 4), 0xd503201fu); // far target: nop
    EXPECT_EQ(m.at(w.tramp + 8), 0x58ffff90u);
    EXPECT_EQ(m.at(w.tramp + 12), 0xd61f0200u);
    EXPECT_EQ(get64(m, w.tramp - 8), w.C.addr);
    const Memory n = shipped(w).layout(w.Null);
    EXPECT_EQ(get64(n, w.tramp - 8), w.ret0); // NULL -> __static_call_return0, never 0
    EXPECT_EQ(n.at(w.tramp + 4) & 0xfc000000u, 0x14000000u);
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

TEST(TrampModel, MissingCacheMaintenanceIsCaught) {
    const World &w = world();
    auto r = one(no_cache_sync(w), w.A, w.B);
    EXPECT_GT(r.incomplete, 0u);
    EXPECT_EQ(one(shipped(w), w.A, w.B).incomplete, 0u);
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
