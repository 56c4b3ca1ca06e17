// Layout (v2) of an arm64 static call trampoline, shared by sc-audit and
// tramp-model. One trampoline is 24 bytes, its symbol `__SCT__<key>` is
// 8-byte aligned and has `.size` 24, so the symbol covers its own literal:
//
//   entry+0   bti c             0xd503245f
//   entry+4   b target | nop    the slot, the only word ever patched
//   entry+8   ldr x16, entry+16 0x58000050 (LDR literal, 64-bit, imm19 = 2)
//   entry+12  br x16            0xd61f0200
//   entry+16  .quad target      never 0 (NULL/RET0: __static_call_return0)
//
// Trampolines are packed back to back (24-byte stride, no padding) in
// .static_call.text, which vmlinux places inside .text between
// __static_call_text_start and __static_call_text_end.
#pragma once

#include <cstdint>

namespace sct {

inline constexpr const char *kSymbolPrefix = "__SCT__";
inline constexpr const char *kSection = ".static_call.text";

inline constexpr uint64_t kAlign = 8;
inline constexpr uint64_t kSize = 24; // symbol size and stride
inline constexpr uint64_t kBtiOffset = 0;
inline constexpr uint64_t kSlotOffset = 4;
inline constexpr uint64_t kLdrOffset = 8;
inline constexpr uint64_t kBrOffset = 12;
inline constexpr uint64_t kLiteralOffset = 16;
inline constexpr unsigned kCodeWords = 4; // entry+0 .. entry+12

inline constexpr uint32_t kLdrX16Literal = 0x58000050; // ldr x16, entry+16 (at entry+8)
inline constexpr uint32_t kBrX16 = 0xd61f0200;         // br x16

} // namespace sct
