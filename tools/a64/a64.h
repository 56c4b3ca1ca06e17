// A64 encoder/decoder for the handful of instructions the static call
// trampolines and the host tools care about. Every encoder range-checks its
// operands and returns an error instead of a wrapped encoding.
#pragma once

#include "result.h"

#include <cstdint>
#include <string>

namespace a64 {

// 0x-prefixed hexadecimal; shex signed ("-0x10", and "+0x10" with plus).
std::string hex(uint64_t v);
std::string shex(int64_t v, bool plus = false);

inline constexpr uint32_t kNop = 0xd503201f;
inline constexpr uint32_t kBtiC = 0xd503245f;

inline constexpr int64_t kBranchMin = -(int64_t{1} << 27);    // -128 MiB
inline constexpr int64_t kBranchMax = (int64_t{1} << 27) - 4; // +128 MiB - 4
inline constexpr int64_t kLiteralMin = -(int64_t{1} << 20);   // -1 MiB
inline constexpr int64_t kLiteralMax = (int64_t{1} << 20) - 4;
inline constexpr int64_t kAdrpPageMin = -(int64_t{1} << 20); // pages (x 4 KiB = -4 GiB)
inline constexpr int64_t kAdrpPageMax = (int64_t{1} << 20) - 1;

enum class Op {
    B,        // b label
    BL,       // bl label
    NOP,      // nop
    BTI_C,    // bti c
    LDR_LIT,  // ldr Xt, label            (64-bit literal)
    BR,       // br Xn
    RET,      // ret {Xn}
    ADRP,     // adrp Xd, label
    ADD_IMM,  // add Xd|SP, Xn|SP, #imm{, lsl #12}   (64-bit)
    LDR_UIMM, // ldr Xt, [Xn|SP{, #imm}]  (64-bit, unsigned scaled offset)
    MOVZ,     // movz Wd|Xd, #imm16{, lsl #shift}  (alias mov)
    MOV_REG,  // mov Xd, Xm  (orr Xd, xzr, Xm)
    CBZ,      // cbz Xt, label
    CBNZ,     // cbnz Xt, label
    BRK,      // brk #imm16
    SVC,      // svc #imm16
    HVC,      // hvc #imm16
    SMC,      // smc #imm16
};

const char *op_name(Op op);

// Decoded instruction. Field use per op:
//   B, BL, LDR_LIT, CBZ, CBNZ: imm = byte offset from the instruction (pc-relative)
//   ADRP:      imm = byte offset of the target page from the pc's page (multiple of 4096)
//   ADD_IMM:   imm = imm12, shift = 0 or 12
//   LDR_UIMM:  imm = byte offset (multiple of 8)
//   MOVZ:      imm = imm16, shift = 0/16/32/48, sf = 64-bit
//   MOV_REG:   rn = Xm
//   BR, RET:   rn
//   BRK..SMC:  imm = imm16
// rd is Rd or Rt. Register number 31 is SP or ZR depending on the op.
struct Insn {
    Op op = Op::NOP;
    unsigned rd = 0;
    unsigned rn = 0;
    int64_t imm = 0;
    unsigned shift = 0;
    bool sf = true;

    friend bool operator==(const Insn &, const Insn &) = default;
};

Result<uint32_t> encode(const Insn &insn);
Result<Insn> decode(uint32_t word);

// Convenience encoders (offsets are byte offsets relative to the instruction).
Result<uint32_t> b(int64_t offset);
Result<uint32_t> bl(int64_t offset);
Result<uint32_t> b_to(uint64_t pc, uint64_t target);
Result<uint32_t> bl_to(uint64_t pc, uint64_t target);
uint32_t nop();
uint32_t bti_c();
Result<uint32_t> ldr_literal(unsigned rt, int64_t offset);
Result<uint32_t> br(unsigned rn);
Result<uint32_t> ret(unsigned rn = 30);
Result<uint32_t> adrp(unsigned rd, int64_t page_offset_bytes);
Result<uint32_t> adrp_to(unsigned rd, uint64_t pc, uint64_t target);
Result<uint32_t> add_imm(unsigned rd, unsigned rn, int64_t imm12, unsigned shift = 0);
Result<uint32_t> ldr_uimm(unsigned rt, unsigned rn, int64_t byte_offset);
Result<uint32_t> movz(unsigned rd, int64_t imm16, unsigned shift, bool sf = true);
// `mov Rd, #value` via MOVZ; error when the value is not imm16 << {0,16,32,48}.
Result<uint32_t> mov_wide(unsigned rd, uint64_t value, bool sf = true);
Result<uint32_t> mov_reg(unsigned rd, unsigned rm);
Result<uint32_t> cbz(unsigned rt, int64_t offset);
Result<uint32_t> cbnz(unsigned rt, int64_t offset);
Result<uint32_t> brk(int64_t imm16);

// True for instructions that Arm allows to be replaced by another such
// instruction while other CPUs may execute it (ARMv8 ARM, "concurrent
// modification and execution of instructions"): B, BL, NOP, BRK, SVC, HVC, SMC.
bool hotpatch_safe(uint32_t word);
bool hotpatch_safe_pair(uint32_t old_word, uint32_t new_word);

// For b/bl/ldr-literal/cbz/cbnz/adrp: the address the instruction refers to.
Result<uint64_t> pc_relative_target(uint32_t word, uint64_t pc);

// Human-readable disassembly, objdump-like (`b 0x...`), with pc-relative
// targets resolved against `pc`.
std::string disassemble(uint32_t word, uint64_t pc);
std::string to_string(const Insn &insn, uint64_t pc);

} // namespace a64
