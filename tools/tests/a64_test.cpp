#include "a64.h"

#include <gtest/gtest.h>

#include <random>

using namespace a64;

TEST(A64Encode, TrampolineWords) {
    EXPECT_EQ(bti_c(), 0xd503245fu);
    EXPECT_EQ(nop(), 0xd503201fu);
    EXPECT_EQ(*adrp(16, 0), 0x90000010u);         // adrp x16, <this page>
    EXPECT_EQ(*ldr_uimm(16, 16, 8), 0xf9400610u); // ldr x16, [x16, #8]
    EXPECT_EQ(*ldr_literal(16, 8), 0x58000050u);  // ldr x16, . + 8 (LDR literal, as in v1/v6)
    EXPECT_EQ(*br(16), 0xd61f0200u);
    EXPECT_EQ(*ret(), 0xd65f03c0u);
}

TEST(A64Encode, BranchMatchesSpecFormula) {
    const uint64_t pc = 0xffff800080a00014;
    for (int64_t off : {int64_t{0}, int64_t{4}, int64_t{-4}, kBranchMax, kBranchMin,
                        int64_t{0x123450}, int64_t{-0x765430}}) {
        const uint32_t expect = 0x14000000u | uint32_t((uint64_t(off) >> 2) & 0x03ffffffu);
        EXPECT_EQ(*b_to(pc, pc + uint64_t(off)), expect) << off;
        EXPECT_EQ(*bl(off), expect | 0x80000000u) << off;
    }
}

TEST(A64Encode, BranchRangeEdges) {
    EXPECT_TRUE(b(kBranchMax).ok());
    EXPECT_TRUE(b(kBranchMin).ok());
    EXPECT_FALSE(b(kBranchMax + 4).ok());
    EXPECT_FALSE(b(kBranchMin - 4).ok());
    EXPECT_FALSE(bl(int64_t{1} << 27).ok());
    EXPECT_FALSE(b(2).ok());
    EXPECT_FALSE(b(-6).ok());
    EXPECT_NE(b(int64_t{1} << 27).error().find("out of range"), std::string::npos);
    EXPECT_NE(b(2).error().find("multiple of 4"), std::string::npos);
    // Far beyond: must not wrap into a valid-looking encoding.
    EXPECT_FALSE(b(int64_t{1} << 40).ok());
    EXPECT_FALSE(b_to(0x1000, 0x1000 + (uint64_t{1} << 28)).ok());
}

TEST(A64Encode, LiteralAndCbzRange) {
    EXPECT_TRUE(ldr_literal(0, kLiteralMax).ok());
    EXPECT_TRUE(ldr_literal(0, kLiteralMin).ok());
    EXPECT_FALSE(ldr_literal(0, kLiteralMax + 4).ok());
    EXPECT_FALSE(ldr_literal(0, kLiteralMin - 4).ok());
    EXPECT_FALSE(ldr_literal(0, 6).ok());
    EXPECT_FALSE(ldr_literal(32, 8).ok());
    EXPECT_EQ(*cbz(16, 8), 0xb4000050u);
    EXPECT_FALSE(cbnz(1, kLiteralMax + 4).ok());
}

TEST(A64Encode, AdrpAddLdr) {
    EXPECT_EQ(*adrp_to(0, 0x100000000014, 0x100000001000), 0xb0000000u);
    EXPECT_TRUE(adrp(1, kAdrpPageMax * 4096).ok());
    EXPECT_TRUE(adrp(1, kAdrpPageMin * 4096).ok());
    EXPECT_FALSE(adrp(1, (kAdrpPageMax + 1) * 4096).ok());
    EXPECT_FALSE(adrp(1, (kAdrpPageMin - 1) * 4096).ok());
    EXPECT_FALSE(adrp(1, 4097).ok());
    EXPECT_EQ(*add_imm(0, 1, 0xfff, 12), 0x917ffc20u);
    EXPECT_EQ(*add_imm(31, 1, 0), 0x9100003fu);
    EXPECT_FALSE(add_imm(0, 1, 4096).ok());
    EXPECT_FALSE(add_imm(0, 1, -1).ok());
    EXPECT_FALSE(add_imm(0, 1, 1, 16).ok());
    EXPECT_EQ(*ldr_uimm(2, 31, 32760), 0xf97fffe2u);
    EXPECT_FALSE(ldr_uimm(2, 1, 32768).ok());
    EXPECT_FALSE(ldr_uimm(2, 1, 4).ok());
    EXPECT_FALSE(ldr_uimm(2, 1, -8).ok());
}

TEST(A64Encode, Movz) {
    EXPECT_EQ(*movz(3, 0xffff, 16, false), 0x52bfffe3u);
    EXPECT_EQ(*movz(4, 0, 48, true), 0xd2e00004u);
    EXPECT_FALSE(movz(4, 0, 32, false).ok());
    EXPECT_FALSE(movz(4, 0x10000, 0, true).ok());
    EXPECT_FALSE(movz(4, 1, 8, true).ok());
    EXPECT_EQ(*mov_wide(0, 0x12340000, true), *movz(0, 0x1234, 16, true));
    EXPECT_EQ(*mov_wide(0, 0xabcd000000000000, true), *movz(0, 0xabcd, 48, true));
    EXPECT_FALSE(mov_wide(0, 0x12345, true).ok());
    EXPECT_FALSE(mov_wide(0, 0x100000000, false).ok());
    EXPECT_EQ(*mov_reg(0, 31), 0xaa1f03e0u); // mov x0, xzr
}

TEST(A64Decode, KnownWords) {
    auto d = decode(0x58000050);
    ASSERT_TRUE(d.ok());
    EXPECT_EQ(d->op, Op::LDR_LIT);
    EXPECT_EQ(d->rd, 16u);
    EXPECT_EQ(d->imm, 8);
    EXPECT_EQ(disassemble(0x58000050, 0x1008), "ldr x16, 0x1010");
    EXPECT_FALSE(decode(0x18000050).ok()); // ldr w16 (32-bit literal): not the trampoline's
    EXPECT_EQ(decode(0xd61f0200)->op, Op::BR);
    EXPECT_EQ(decode(0xd65f03c0)->op, Op::RET);
    EXPECT_EQ(decode(0xd503245f)->op, Op::BTI_C);
    EXPECT_EQ(decode(0xd503201f)->op, Op::NOP);
    EXPECT_EQ(decode(0xaa1f03e0)->op, Op::MOV_REG);
    EXPECT_EQ(decode(0xd4200000)->op, Op::BRK);
    EXPECT_EQ(decode(0xd4000001)->op, Op::SVC);
    EXPECT_EQ(decode(0xd4000002)->op, Op::HVC);
    EXPECT_EQ(decode(0xd4000003)->op, Op::SMC);
    EXPECT_FALSE(decode(0x00000000).ok()); // udf
    EXPECT_FALSE(decode(0xd503201e).ok()); // corrupted nop
    EXPECT_FALSE(decode(0x52c00000).ok()); // 32-bit movz with hw=2: unallocated
    EXPECT_EQ(*pc_relative_target(0x17ffffff, 0x1000), 0xffcu);
    EXPECT_EQ(disassemble(0x94000002, 0x100), "bl 0x108");
    EXPECT_EQ(disassemble(0xd65f00a0, 0), "ret x5");
}

TEST(A64RoundTrip, RandomFixedSeed) {
    std::mt19937_64 rng(0x5ca1ab1e);
    for (int n = 0; n < 20000; ++n) {
        Insn i;
        const int kind = int(rng() % 18);
        i.op = Op(kind);
        i.rd = unsigned(rng() % 32);
        i.rn = unsigned(rng() % 32);
        switch (i.op) {
        case Op::B:
        case Op::BL:
            i.rd = i.rn = 0;
            i.imm = (int64_t(rng() % (uint64_t{1} << 26)) - (int64_t{1} << 25)) * 4;
            break;
        case Op::LDR_LIT:
        case Op::CBZ:
        case Op::CBNZ:
            i.rn = 0;
            i.imm = (int64_t(rng() % (uint64_t{1} << 19)) - (int64_t{1} << 18)) * 4;
            break;
        case Op::ADRP:
            i.rn = 0;
            i.imm = (int64_t(rng() % (uint64_t{1} << 21)) - (int64_t{1} << 20)) * 4096;
            break;
        case Op::ADD_IMM:
            i.imm = int64_t(rng() % 4096);
            i.shift = (rng() & 1) ? 12 : 0;
            break;
        case Op::LDR_UIMM:
            i.imm = int64_t(rng() % 4096) * 8;
            break;
        case Op::MOVZ:
            i.rn = 0;
            i.sf = rng() & 1;
            i.imm = int64_t(rng() % 65536);
            i.shift = unsigned(rng() % (i.sf ? 4 : 2)) * 16;
            break;
        case Op::MOV_REG:
            break;
        case Op::BR:
        case Op::RET:
            i.rd = 0;
            break;
        case Op::BRK:
        case Op::SVC:
        case Op::HVC:
        case Op::SMC:
            i.rd = i.rn = 0;
            i.imm = int64_t(rng() % 65536);
            break;
        case Op::NOP:
        case Op::BTI_C:
            i.rd = i.rn = 0;
            break;
        }
        auto w = encode(i);
        ASSERT_TRUE(w.ok()) << w.error();
        auto d = decode(*w);
        ASSERT_TRUE(d.ok()) << d.error();
        EXPECT_EQ(*d, i) << to_string(i, 0);
    }
}

TEST(A64Hotpatch, AllowedSet) {
    const uint32_t bw = *b(0x100);
    EXPECT_TRUE(hotpatch_safe_pair(bw, nop()));
    EXPECT_TRUE(hotpatch_safe_pair(nop(), bw));
    EXPECT_TRUE(hotpatch_safe_pair(bw, *b(-0x100)));
    EXPECT_TRUE(hotpatch_safe_pair(bw, *bl(8)));
    EXPECT_TRUE(hotpatch_safe_pair(bw, *brk(0x800)));
    EXPECT_FALSE(hotpatch_safe_pair(bw, *ret()));
    EXPECT_FALSE(hotpatch_safe_pair(*ret(), nop()));
    EXPECT_FALSE(hotpatch_safe_pair(*mov_reg(0, 31), bw));
    EXPECT_FALSE(hotpatch_safe_pair(bti_c(), nop()));
    EXPECT_TRUE(hotpatch_safe_pair(*ret(), *ret())); // unchanged word is no rewrite
}

TEST(ResultType, ValueAndError) {
    Result<int> good = 3;
    Result<int> bad = err("nope");
    EXPECT_TRUE(good.ok());
    EXPECT_EQ(*good, 3);
    EXPECT_FALSE(bad.ok());
    EXPECT_EQ(bad.error(), "nope");
    EXPECT_EQ(bad.value_or(7), 7);
    EXPECT_THROW((void)bad.value(), std::logic_error);
}
