#include "a64.h"

#include <cinttypes>
#include <cstdio>

namespace a64 {

// Numbers and register names are formatted with snprintf, not as
// `"-" + hex(v)` / `"x" + std::to_string(r)`: at -O3 GCC 12 reports a bogus
// -Wrestrict inside std::operator+(const char *, std::string &&) for such
// short literals (GCC PR 105329), which -Werror turns into a build failure.
std::string hex(uint64_t v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "0x%" PRIx64, v);
    return buf;
}

std::string shex(int64_t v, bool plus) {
    char buf[32];
    const char *sign = v < 0 ? "-" : plus ? "+" : "";
    std::snprintf(buf, sizeof buf, "%s0x%" PRIx64, sign,
                  v < 0 ? uint64_t(0) - uint64_t(v) : uint64_t(v));
    return buf;
}

namespace {

// "x16", "w3", ...
std::string reg_name(char prefix, unsigned r) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%c%u", prefix, r);
    return buf;
}

int64_t sign_extend(uint64_t value, unsigned bits) {
    const uint64_t m = uint64_t{1} << (bits - 1);
    value &= (uint64_t{1} << bits) - 1;
    return int64_t(value ^ m) - int64_t(m);
}

Result<uint32_t> check_reg(unsigned r, const char *what) {
    if (r > 31)
        return err(std::string(what) + " register number " + std::to_string(r) +
                   " out of range [0, 31]");
    return r;
}

// Both registers of a two-register instruction (rd, then rn).
Result<uint32_t> check_rd_rn(const Insn &i, const char *what) {
    auto r = check_reg(i.rd, what);
    if (!r)
        return r;
    return check_reg(i.rn, what);
}

// pc-relative word offset with `bits` signed bits, scaled by 4.
Result<uint32_t> pcrel_field(int64_t offset, unsigned bits, const char *what) {
    const int64_t lo = -(int64_t{1} << (bits + 1));
    const int64_t hi = (int64_t{1} << (bits + 1)) - 4;
    if (offset % 4 != 0)
        return err(std::string(what) + " offset " + shex(offset) + " is not a multiple of 4");
    if (offset < lo || offset > hi)
        return err(std::string(what) + " offset " + shex(offset) + " out of range [" + shex(lo) +
                   ", " + shex(hi) + "]");
    return uint32_t(uint64_t(offset >> 2) & ((uint64_t{1} << bits) - 1));
}

Result<uint32_t> imm16_field(int64_t imm, const char *what) {
    if (imm < 0 || imm > 0xffff)
        return err(std::string(what) + " immediate " + shex(imm) + " out of range [0, 0xffff]");
    return uint32_t(imm);
}

} // namespace

const char *op_name(Op op) {
    switch (op) {
    case Op::B:
        return "b";
    case Op::BL:
        return "bl";
    case Op::NOP:
        return "nop";
    case Op::BTI_C:
        return "bti c";
    case Op::LDR_LIT:
        return "ldr (literal)";
    case Op::BR:
        return "br";
    case Op::RET:
        return "ret";
    case Op::ADRP:
        return "adrp";
    case Op::ADD_IMM:
        return "add (immediate)";
    case Op::LDR_UIMM:
        return "ldr (unsigned offset)";
    case Op::MOVZ:
        return "movz";
    case Op::MOV_REG:
        return "mov (register)";
    case Op::CBZ:
        return "cbz";
    case Op::CBNZ:
        return "cbnz";
    case Op::BRK:
        return "brk";
    case Op::SVC:
        return "svc";
    case Op::HVC:
        return "hvc";
    case Op::SMC:
        return "smc";
    }
    return "?";
}

Result<uint32_t> encode(const Insn &i) {
    switch (i.op) {
    case Op::B:
    case Op::BL: {
        auto f = pcrel_field(i.imm, 26, i.op == Op::B ? "b" : "bl");
        if (!f)
            return err(f.error());
        return (i.op == Op::B ? 0x14000000u : 0x94000000u) | *f;
    }
    case Op::NOP:
        return kNop;
    case Op::BTI_C:
        return kBtiC;
    case Op::LDR_LIT:
    case Op::CBZ:
    case Op::CBNZ: {
        const char *what = i.op == Op::LDR_LIT ? "ldr (literal)" : op_name(i.op);
        auto r = check_reg(i.rd, what);
        if (!r)
            return r;
        auto f = pcrel_field(i.imm, 19, what);
        if (!f)
            return f;
        const uint32_t base =
            i.op == Op::LDR_LIT ? 0x58000000u : (i.op == Op::CBZ ? 0xb4000000u : 0xb5000000u);
        return base | (*f << 5) | i.rd;
    }
    case Op::BR:
    case Op::RET: {
        auto r = check_reg(i.rn, op_name(i.op));
        if (!r)
            return r;
        return (i.op == Op::BR ? 0xd61f0000u : 0xd65f0000u) | (i.rn << 5);
    }
    case Op::ADRP: {
        auto r = check_reg(i.rd, "adrp");
        if (!r)
            return r;
        if (i.imm % 4096 != 0)
            return err("adrp page offset " + shex(i.imm) + " is not a multiple of 4096");
        const int64_t pages = i.imm / 4096;
        if (pages < kAdrpPageMin || pages > kAdrpPageMax)
            return err("adrp page offset " + shex(i.imm) + " out of range [-4 GiB, 4 GiB - 4 KiB]");
        const uint32_t v = uint32_t(uint64_t(pages) & 0x1fffff);
        return 0x90000000u | ((v & 3) << 29) | ((v >> 2) << 5) | i.rd;
    }
    case Op::ADD_IMM: {
        if (auto r = check_rd_rn(i, "add"); !r)
            return r;
        if (i.imm < 0 || i.imm > 4095)
            return err("add immediate " + shex(i.imm) + " out of range [0, 4095]");
        if (i.shift != 0 && i.shift != 12)
            return err("add shift " + std::to_string(i.shift) + " must be 0 or 12");
        return 0x91000000u | (i.shift == 12 ? 1u << 22 : 0u) | (uint32_t(i.imm) << 10) |
               (i.rn << 5) | i.rd;
    }
    case Op::LDR_UIMM: {
        if (auto r = check_rd_rn(i, "ldr"); !r)
            return r;
        if (i.imm % 8 != 0)
            return err("ldr offset " + shex(i.imm) + " is not a multiple of 8");
        if (i.imm < 0 || i.imm > 32760)
            return err("ldr offset " + shex(i.imm) + " out of range [0, 32760]");
        return 0xf9400000u | (uint32_t(i.imm / 8) << 10) | (i.rn << 5) | i.rd;
    }
    case Op::MOVZ: {
        auto r = check_reg(i.rd, "movz");
        if (!r)
            return r;
        auto f = imm16_field(i.imm, "movz");
        if (!f)
            return f;
        const unsigned max_shift = i.sf ? 48 : 16;
        if (i.shift % 16 != 0 || i.shift > max_shift)
            return err("movz shift " + std::to_string(i.shift) + " invalid for " +
                       (i.sf ? "64" : "32") + "-bit register (0.." + std::to_string(max_shift) +
                       " in steps of 16)");
        return (i.sf ? 0x80000000u : 0u) | 0x52800000u | ((i.shift / 16) << 21) | (*f << 5) | i.rd;
    }
    case Op::MOV_REG: {
        if (auto r = check_rd_rn(i, "mov"); !r)
            return r;
        return 0xaa0003e0u | (i.rn << 16) | i.rd;
    }
    case Op::BRK:
    case Op::SVC:
    case Op::HVC:
    case Op::SMC: {
        auto f = imm16_field(i.imm, op_name(i.op));
        if (!f)
            return f;
        const uint32_t base = i.op == Op::BRK   ? 0xd4200000u
                              : i.op == Op::SVC ? 0xd4000001u
                              : i.op == Op::HVC ? 0xd4000002u
                                                : 0xd4000003u;
        return base | (*f << 5);
    }
    }
    return err("unknown op");
}

Result<Insn> decode(uint32_t w) {
    Insn i;
    if (w == kNop) {
        i.op = Op::NOP;
        return i;
    }
    if (w == kBtiC) {
        i.op = Op::BTI_C;
        return i;
    }
    if ((w & 0x7c000000u) == 0x14000000u) {
        i.op = (w & 0x80000000u) ? Op::BL : Op::B;
        i.imm = sign_extend(w & 0x03ffffffu, 26) * 4;
        return i;
    }
    if ((w & 0xff000000u) == 0x58000000u || (w & 0xfe000000u) == 0xb4000000u) {
        i.op = (w & 0xff000000u) == 0x58000000u ? Op::LDR_LIT
               : (w & 0x01000000u)              ? Op::CBNZ
                                                : Op::CBZ;
        i.rd = w & 31;
        i.imm = sign_extend((w >> 5) & 0x7ffff, 19) * 4;
        return i;
    }
    if ((w & 0xfffffc1fu) == 0xd61f0000u || (w & 0xfffffc1fu) == 0xd65f0000u) {
        i.op = (w & 0x00400000u) ? Op::RET : Op::BR;
        i.rn = (w >> 5) & 31;
        return i;
    }
    if ((w & 0x9f000000u) == 0x90000000u) {
        i.op = Op::ADRP;
        i.rd = w & 31;
        const uint64_t v = (((w >> 5) & 0x7ffff) << 2) | ((w >> 29) & 3);
        i.imm = sign_extend(v, 21) * 4096;
        return i;
    }
    if ((w & 0xff800000u) == 0x91000000u) {
        i.op = Op::ADD_IMM;
        i.rd = w & 31;
        i.rn = (w >> 5) & 31;
        i.imm = (w >> 10) & 0xfff;
        i.shift = (w & 0x00400000u) ? 12 : 0;
        return i;
    }
    if ((w & 0xffc00000u) == 0xf9400000u) {
        i.op = Op::LDR_UIMM;
        i.rd = w & 31;
        i.rn = (w >> 5) & 31;
        i.imm = int64_t((w >> 10) & 0xfff) * 8;
        return i;
    }
    if ((w & 0x7f800000u) == 0x52800000u) {
        const bool sf = (w & 0x80000000u) != 0;
        const unsigned hw = (w >> 21) & 3;
        if (!sf && hw > 1)
            return err("unallocated 32-bit movz encoding " + hex(w));
        i.op = Op::MOVZ;
        i.sf = sf;
        i.rd = w & 31;
        i.imm = (w >> 5) & 0xffff;
        i.shift = hw * 16;
        return i;
    }
    if ((w & 0xffe0ffe0u) == 0xaa0003e0u) {
        i.op = Op::MOV_REG;
        i.rd = w & 31;
        i.rn = (w >> 16) & 31;
        return i;
    }
    if ((w & 0xffe0001fu) == 0xd4200000u || ((w & 0xffe0001cu) == 0xd4000000u && (w & 3) != 0)) {
        i.op = (w & 0x00200000u) ? Op::BRK
               : (w & 3) == 1    ? Op::SVC
               : (w & 3) == 2    ? Op::HVC
                                 : Op::SMC;
        i.imm = (w >> 5) & 0xffff;
        return i;
    }
    return err("unsupported or unallocated encoding " + hex(w));
}

Result<uint32_t> b(int64_t offset) {
    return encode({.op = Op::B, .imm = offset});
}
Result<uint32_t> bl(int64_t offset) {
    return encode({.op = Op::BL, .imm = offset});
}
Result<uint32_t> b_to(uint64_t pc, uint64_t target) {
    return b(int64_t(target - pc));
}
Result<uint32_t> bl_to(uint64_t pc, uint64_t target) {
    return bl(int64_t(target - pc));
}
uint32_t nop() {
    return kNop;
}
uint32_t bti_c() {
    return kBtiC;
}
Result<uint32_t> ldr_literal(unsigned rt, int64_t offset) {
    return encode({.op = Op::LDR_LIT, .rd = rt, .imm = offset});
}
Result<uint32_t> br(unsigned rn) {
    return encode({.op = Op::BR, .rn = rn});
}
Result<uint32_t> ret(unsigned rn) {
    return encode({.op = Op::RET, .rn = rn});
}
Result<uint32_t> adrp(unsigned rd, int64_t page_offset_bytes) {
    return encode({.op = Op::ADRP, .rd = rd, .imm = page_offset_bytes});
}
Result<uint32_t> adrp_to(unsigned rd, uint64_t pc, uint64_t target) {
    const uint64_t mask = ~uint64_t{0xfff};
    return adrp(rd, int64_t((target & mask) - (pc & mask)));
}
Result<uint32_t> add_imm(unsigned rd, unsigned rn, int64_t imm12, unsigned shift) {
    return encode({.op = Op::ADD_IMM, .rd = rd, .rn = rn, .imm = imm12, .shift = shift});
}
Result<uint32_t> ldr_uimm(unsigned rt, unsigned rn, int64_t byte_offset) {
    return encode({.op = Op::LDR_UIMM, .rd = rt, .rn = rn, .imm = byte_offset});
}
Result<uint32_t> movz(unsigned rd, int64_t imm16, unsigned shift, bool sf) {
    return encode({.op = Op::MOVZ, .rd = rd, .imm = imm16, .shift = shift, .sf = sf});
}
Result<uint32_t> mov_wide(unsigned rd, uint64_t value, bool sf) {
    if (!sf && value > 0xffffffffu)
        return err("mov immediate " + hex(value) + " does not fit a 32-bit register");
    const unsigned max_shift = sf ? 48 : 16;
    for (unsigned s = 0; s <= max_shift; s += 16)
        if ((value & ~(uint64_t{0xffff} << s)) == 0)
            return movz(rd, int64_t(value >> s), s, sf);
    return err("mov immediate " + hex(value) +
               " is not a 16-bit value shifted by a multiple of 16");
}
Result<uint32_t> mov_reg(unsigned rd, unsigned rm) {
    return encode({.op = Op::MOV_REG, .rd = rd, .rn = rm});
}
Result<uint32_t> cbz(unsigned rt, int64_t offset) {
    return encode({.op = Op::CBZ, .rd = rt, .imm = offset});
}
Result<uint32_t> cbnz(unsigned rt, int64_t offset) {
    return encode({.op = Op::CBNZ, .rd = rt, .imm = offset});
}
Result<uint32_t> brk(int64_t imm16) {
    return encode({.op = Op::BRK, .imm = imm16});
}

bool hotpatch_safe(uint32_t word) {
    auto d = decode(word);
    if (!d)
        return false;
    switch (d->op) {
    case Op::B:
    case Op::BL:
    case Op::NOP:
    case Op::BRK:
    case Op::SVC:
    case Op::HVC:
    case Op::SMC:
        return true;
    default:
        return false;
    }
}

bool hotpatch_safe_pair(uint32_t old_word, uint32_t new_word) {
    return old_word == new_word || (hotpatch_safe(old_word) && hotpatch_safe(new_word));
}

Result<uint64_t> pc_relative_target(uint32_t word, uint64_t pc) {
    auto d = decode(word);
    if (!d)
        return err(d.error());
    switch (d->op) {
    case Op::B:
    case Op::BL:
    case Op::LDR_LIT:
    case Op::CBZ:
    case Op::CBNZ:
        return pc + uint64_t(d->imm);
    case Op::ADRP:
        return (pc & ~uint64_t{0xfff}) + uint64_t(d->imm);
    default:
        return err(std::string(op_name(d->op)) + " has no pc-relative target");
    }
}

namespace {
std::string xreg(unsigned r, bool sp) {
    if (r == 31)
        return sp ? "sp" : "xzr";
    return reg_name('x', r);
}
} // namespace

std::string to_string(const Insn &i, uint64_t pc) {
    switch (i.op) {
    case Op::B:
    case Op::BL:
        return std::string(op_name(i.op)) + " " + hex(pc + uint64_t(i.imm));
    case Op::NOP:
        return "nop";
    case Op::BTI_C:
        return "bti c";
    case Op::LDR_LIT:
        return "ldr " + xreg(i.rd, false) + ", " + hex(pc + uint64_t(i.imm));
    case Op::CBZ:
    case Op::CBNZ:
        return std::string(op_name(i.op)) + " " + xreg(i.rd, false) + ", " +
               hex(pc + uint64_t(i.imm));
    case Op::BR:
        return "br " + xreg(i.rn, false);
    case Op::RET:
        return i.rn == 30 ? "ret" : "ret " + xreg(i.rn, false);
    case Op::ADRP:
        return "adrp " + xreg(i.rd, false) + ", " + hex((pc & ~uint64_t{0xfff}) + uint64_t(i.imm));
    case Op::ADD_IMM:
        return "add " + xreg(i.rd, true) + ", " + xreg(i.rn, true) + ", #" + hex(uint64_t(i.imm)) +
               (i.shift ? ", lsl #12" : "");
    case Op::LDR_UIMM:
        return "ldr " + xreg(i.rd, false) + ", [" + xreg(i.rn, true) +
               (i.imm ? ", #" + std::to_string(i.imm) : "") + "]";
    case Op::MOVZ: {
        const std::string r =
            i.rd == 31 ? (i.sf ? "xzr" : "wzr") : reg_name(i.sf ? 'x' : 'w', i.rd);
        return "movz " + r + ", #" + hex(uint64_t(i.imm)) +
               (i.shift ? ", lsl #" + std::to_string(i.shift) : "");
    }
    case Op::MOV_REG:
        return "mov " + xreg(i.rd, false) + ", " + xreg(i.rn, false);
    case Op::BRK:
    case Op::SVC:
    case Op::HVC:
    case Op::SMC:
        return std::string(op_name(i.op)) + " #" + hex(uint64_t(i.imm));
    }
    return "?";
}

std::string disassemble(uint32_t word, uint64_t pc) {
    auto d = decode(word);
    if (!d)
        return ".inst " + hex(word);
    return to_string(*d, pc);
}

} // namespace a64
