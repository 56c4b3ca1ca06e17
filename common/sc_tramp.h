/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Reading and decoding an arm64 out-of-line static call trampoline.
 *
 * Shared by the built-in KUnit suite (kunit/arm64_static_call_kunit.c) and
 * the out-of-tree modules (kmod/). The trampoline of a key is expected to
 * look like this (24 bytes, 8-byte aligned):
 *
 *	tramp + 0:	bti	c
 *	tramp + 4:	b	target | nop	the only patched instruction
 *	tramp + 8:	ldr	x16, tramp + 16
 *	tramp + 12:	br	x16
 *	tramp + 16:	.quad	target		never 0
 *
 * A NULL or RET0 key targets __static_call_return0. The slot is "b target"
 * whenever the target is within B range of it, in vmlinux and (from load
 * time on) in modules alike. The encodings are written out here instead of
 * being taken from <asm/insn.h>, so that the tests check the series'
 * encoder against an independent one.
 */
#ifndef _SC_TRAMP_H
#define _SC_TRAMP_H

#include <linux/bitops.h>
#include <linux/compiler.h>
#include <linux/kernel.h>
#include <linux/kprobes.h>
#include <linux/sizes.h>
#include <linux/static_call.h>
#include <linux/types.h>
#include <asm/byteorder.h>

#define SC_NO_TRAMP_MSG \
	"no arm64 static call trampoline: CONFIG_HAVE_STATIC_CALL is not set"

#define SC_INSN_BTI_C		0xd503245fU	/* bti c (hint #34) */
#define SC_INSN_NOP		0xd503201fU
#define SC_INSN_LDR_X16_LIT	0x58000050U	/* ldr x16, . + 8 */
#define SC_INSN_BR_X16		0xd61f0200U
#define SC_INSN_RET		0xd65f03c0U
#define SC_INSN_B		0x14000000U
#define SC_INSN_B_MASK		0xfc000000U
#define SC_INSN_B_IMM		0x03ffffffU
#define SC_INSN_MOVZ_W0		0x52800000U	/* movz w0, #imm16 */

#define SC_SLOT_OFFSET		4
#define SC_LITERAL_OFFSET	16
#define SC_TRAMP_SIZE		24

/* Room for every mismatch the checks below can describe. */
#define SC_TRAMP_WHY_LEN	512

/* A snapshot of one trampoline. */
struct sc_tramp {
	unsigned long addr;	/* address of __SCT__name */
	u32 insn[4];		/* bti c, slot, ldr, br */
	u64 literal;		/* the 8 bytes after them */
};

/* How a call through the trampoline gets to its target right now. */
enum sc_path {
	SC_PATH_DIRECT,		/* b target in the slot */
	SC_PATH_LITERAL,	/* nop in the slot: ldr x16 + br x16 */
	SC_PATH_BAD,		/* anything else */
};

static inline u32 sc_insn_movz_w0(u16 imm)
{
	return SC_INSN_MOVZ_W0 | ((u32)imm << 5);
}

static inline unsigned long sc_slot_addr(const void *tramp)
{
	return (unsigned long)tramp + SC_SLOT_OFFSET;
}

/* One per instruction word, one load of the (8-byte aligned) literal. */
static inline void sc_tramp_read(const void *tramp, struct sc_tramp *t)
{
	const __le32 *code = tramp;
	int i;

	t->addr = (unsigned long)tramp;
	t->literal = READ_ONCE(*(const u64 *)(tramp + SC_LITERAL_OFFSET));
	for (i = 0; i < ARRAY_SIZE(t->insn); i++)
		t->insn[i] = le32_to_cpu(READ_ONCE(code[i]));
}

static inline bool sc_insn_is_b(u32 insn)
{
	return (insn & SC_INSN_B_MASK) == SC_INSN_B;
}

/* Destination of the B instruction @insn located at @pc. */
static inline unsigned long sc_b_target(unsigned long pc, u32 insn)
{
	return pc + sign_extend64((u64)(insn & SC_INSN_B_IMM) << 2, 27);
}

/* B at @pc reaches [pc - 128 MiB, pc + 128 MiB - 4], 4-byte aligned. */
static inline bool sc_b_in_range(unsigned long pc, unsigned long target)
{
	long off = (long)(target - pc);

	return !(off & 3) && off >= -(long)SZ_128M && off < (long)SZ_128M;
}

static inline u32 sc_b_encode(unsigned long pc, unsigned long target)
{
	return SC_INSN_B | (((target - pc) >> 2) & SC_INSN_B_IMM);
}

/* Signed distance from @from to @to in MiB (rounded towards zero). */
static inline long sc_distance_mib(unsigned long from, unsigned long to)
{
	return (long)(to - from) / (long)SZ_1M;
}

/* Where a trampoline for @func must branch to: NULL means RET0. */
static inline unsigned long sc_call_target(const void *func)
{
	return func ? (unsigned long)func : (unsigned long)__static_call_return0;
}

/* The slot an updated trampoline holds for @target: B if in range, else NOP. */
static inline u32 sc_expected_slot(unsigned long tramp, unsigned long target)
{
	unsigned long pc = tramp + SC_SLOT_OFFSET;

	return sc_b_in_range(pc, target) ? sc_b_encode(pc, target) :
					   SC_INSN_NOP;
}

/* The path a call takes now, and (in *@dest) where it ends up. */
static inline enum sc_path sc_tramp_dest(const struct sc_tramp *t,
					 unsigned long *dest)
{
	u32 slot = t->insn[1];

	if (sc_insn_is_b(slot)) {
		*dest = sc_b_target(t->addr + SC_SLOT_OFFSET, slot);
		return SC_PATH_DIRECT;
	}
	if (slot == SC_INSN_NOP) {
		*dest = (unsigned long)t->literal;
		return SC_PATH_LITERAL;
	}
	*dest = 0;
	return SC_PATH_BAD;
}

static inline const char *sc_path_name(enum sc_path path)
{
	switch (path) {
	case SC_PATH_DIRECT:
		return "direct b";
	case SC_PATH_LITERAL:
		return "literal (ldr x16; br x16)";
	default:
		return "unknown slot";
	}
}

static inline int sc_why_insn(char *why, size_t len, int n, const char *what,
			      u32 expected, u32 seen)
{
	if (expected == seen)
		return n;
	return n + scnprintf(why + n, len - n,
			     "%s: expected 0x%08x, seen 0x%08x; ", what,
			     expected, seen);
}

static inline const char *sc_insn_kind(u32 insn)
{
	return sc_insn_is_b(insn) ? "b" : insn == SC_INSN_NOP ? "nop" : "insn";
}

/*
 * Compare snapshot @t with a trampoline aimed at @target (already resolved:
 * __static_call_return0 for NULL) whose slot must be @slot. Return true if
 * it matches; otherwise describe every mismatch, expected and seen, in @why.
 */
static inline bool sc_tramp_check_slot(const struct sc_tramp *t,
				       unsigned long target, u32 slot,
				       char *why, size_t len)
{
	unsigned long pc = t->addr + SC_SLOT_OFFSET;
	int n = 0;

	why[0] = '\0';
	if (t->literal != target)
		n += scnprintf(why + n, len - n,
			       "literal: expected 0x%lx (%ps), seen 0x%llx (%ps); ",
			       target, (void *)target, t->literal,
			       (void *)(unsigned long)t->literal);
	if (t->insn[1] != slot)
		n += scnprintf(why + n, len - n,
			       "slot: expected 0x%08x (%s %ps), seen 0x%08x (%s %ps); ",
			       slot, sc_insn_kind(slot),
			       sc_insn_is_b(slot) ?
					(void *)sc_b_target(pc, slot) : NULL,
			       t->insn[1], sc_insn_kind(t->insn[1]),
			       sc_insn_is_b(t->insn[1]) ?
					(void *)sc_b_target(pc, t->insn[1]) :
					NULL);
	n = sc_why_insn(why, len, n, "bti c at +0", SC_INSN_BTI_C, t->insn[0]);
	n = sc_why_insn(why, len, n, "ldr x16 at +8", SC_INSN_LDR_X16_LIT,
			t->insn[2]);
	n = sc_why_insn(why, len, n, "br x16 at +12", SC_INSN_BR_X16,
			t->insn[3]);

	return n == 0;
}

/*
 * As above, with the slot a trampoline aimed at @target must hold: B if in
 * range, else NOP (as built, as loaded, and after every update).
 */
static inline bool sc_tramp_check(const struct sc_tramp *t,
				  unsigned long target, char *why, size_t len)
{
	return sc_tramp_check_slot(t, target,
				   sc_expected_slot(t->addr, target), why, len);
}

/*
 * Read the trampoline at @tramp and check it against a key set to @func
 * with static_call_update() (NULL: a NULL key).
 */
static inline bool sc_tramp_verify(const void *tramp, const void *func,
				   char *why, size_t len)
{
	struct sc_tramp t;

	sc_tramp_read(tramp, &t);
	return sc_tramp_check(&t, sc_call_target(func), why, len);
}

#ifdef CONFIG_KPROBES
/*
 * Try to put a kprobe (no handlers) at @addr: 0 if register_kprobe()
 * accepted it, in which case it is removed again, else its error.
 */
static inline int sc_kprobe_try(const void *addr)
{
	struct kprobe kp = { .addr = (kprobe_opcode_t *)addr };
	int ret;

	ret = register_kprobe(&kp);
	if (!ret)
		unregister_kprobe(&kp);
	return ret;
}
#endif

#endif /* _SC_TRAMP_H */
