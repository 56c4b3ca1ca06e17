/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Reading and decoding an arm64 out-of-line static call trampoline.
 *
 * Shared by the built-in KUnit suite (kunit/a64sc_*.c) and
 * the out-of-tree modules (kmod/). Two layouts are recognised by their
 * instructions, so that one suite runs on every kernel the rig builds:
 *
 * the series, on 6.12 and on mainline alike (SC_LAYOUT_SLOT_ADRP),
 * 32-byte aligned:
 *	tramp + 0:	bti	c
 *	tramp + 4:	b	target | nop	the only patched instruction
 *	tramp + 8:	adrp	x16, literal
 *	tramp + 12:	ldr	x16, [x16, :lo12:literal]
 *	tramp + 16:	br	x16		literal in .rodata, never 0
 *
 * mainline's own (7.0 and later, SC_LAYOUT_LITERAL_ONLY), 16-byte aligned,
 * no slot:
 *	tramp + 0:	bti	c
 *	tramp + 4:	adrp	x16, literal
 *	tramp + 8:	ldr	x16, [x16, :lo12:literal]
 *	tramp + 12:	br	x16		literal in .rodata, never 0
 *
 * A NULL or RET0 key targets __static_call_return0. In the slot layout the
 * slot is "b target" whenever the target is within B range of it, in
 * vmlinux and (from load time on) in modules alike. The encodings are
 * written out here instead of being taken from <asm/insn.h>, so that the
 * tests check the series' encoder against an independent one.
 */
#ifndef _SC_TRAMP_H
#define _SC_TRAMP_H

#include <linux/bitops.h>
#include <linux/compiler.h>
#include <linux/kernel.h>
#include <linux/kprobes.h>
#include <linux/sizes.h>
#include <linux/static_call.h>
#include <linux/string.h>
#include <linux/types.h>
#include <asm/byteorder.h>

#define SC_NO_TRAMP_MSG \
	"no arm64 static call trampoline: CONFIG_HAVE_STATIC_CALL is not set"
#define SC_NO_SLOT_MSG \
	"literal-only trampoline (mainline's bti c; adrp; ldr; br x16): no direct-branch slot"

/* kCFI: CONFIG_CFI_CLANG on 6.12, CONFIG_CFI on mainline (7.x) */
#if defined(CONFIG_CFI_CLANG) || defined(CONFIG_CFI)
#define SC_KCFI 1
#else
#define SC_KCFI 0
#endif

#define SC_INSN_BTI_C		0xd503245fU	/* bti c (hint #34) */
#define SC_INSN_NOP		0xd503201fU
#define SC_INSN_BR_X16		0xd61f0200U
#define SC_INSN_RET		0xd65f03c0U
#define SC_INSN_B		0x14000000U
#define SC_INSN_B_MASK		0xfc000000U
#define SC_INSN_B_IMM		0x03ffffffU
#define SC_INSN_MOVZ_W0		0x52800000U	/* movz w0, #imm16 */
#define SC_INSN_ADRP_X16	0x90000010U	/* adrp x16, (imm) */
#define SC_INSN_ADRP_RD_MASK	0x9f00001fU
#define SC_INSN_LDR_X16_X16	0xf9400210U	/* ldr x16, [x16, #imm12 * 8] */
#define SC_INSN_LDR_UIMM_MASK	0xffc003ffU

#define SC_SLOT_OFFSET		4

/* Room for every mismatch the checks below can describe. */
#define SC_TRAMP_WHY_LEN	512

enum sc_layout {
	SC_LAYOUT_SLOT_ADRP,	/* bti; b|nop; adrp; ldr; br */
	SC_LAYOUT_LITERAL_ONLY,	/* bti; adrp; ldr; br (mainline) */
	SC_LAYOUT_UNKNOWN,
};

/* A snapshot of one trampoline. */
struct sc_tramp {
	unsigned long addr;	/* address of __SCT__name */
	enum sc_layout layout;
	unsigned int ninsn;	/* instruction words read into insn[] */
	u32 insn[5];		/* bti c, slot (if any), the literal path */
	unsigned long literal_addr;	/* 0 if it could not be found */
	u64 literal;		/* the target the literal path reaches */
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

static inline bool sc_insn_is_adrp_x16(u32 insn)
{
	return (insn & SC_INSN_ADRP_RD_MASK) == SC_INSN_ADRP_X16;
}

static inline bool sc_insn_is_ldr_x16_x16(u32 insn)
{
	return (insn & SC_INSN_LDR_UIMM_MASK) == SC_INSN_LDR_X16_X16;
}

/* Address the "adrp x16" at @pc and the "ldr x16, [x16, #off]" after it load. */
static inline unsigned long sc_adrp_ldr_addr(unsigned long pc, u32 adrp,
					     u32 ldr)
{
	u64 imm = ((u64)((adrp >> 5) & 0x7ffff) << 2) | ((adrp >> 29) & 3);

	return (pc & ~0xfffUL) + (sign_extend64(imm, 20) << 12) +
	       ((ldr >> 10) & 0xfff) * 8;
}

static inline u32 sc_read_insn(const void *tramp, unsigned int i)
{
	return le32_to_cpu(READ_ONCE(((const __le32 *)tramp)[i]));
}

/*
 * Read the trampoline at @tramp word by word, recognise its layout, and
 * load the literal its "br x16" path would branch to (one 8-byte load).
 * Only the words of the recognised layout are read.
 */
static inline void sc_tramp_read(const void *tramp, struct sc_tramp *t)
{
	unsigned long a = (unsigned long)tramp;

	memset(t, 0, sizeof(*t));
	t->addr = a;
	t->layout = SC_LAYOUT_UNKNOWN;
	t->insn[0] = sc_read_insn(tramp, 0);
	t->insn[1] = sc_read_insn(tramp, 1);
	t->insn[2] = sc_read_insn(tramp, 2);
	t->insn[3] = sc_read_insn(tramp, 3);
	t->ninsn = 4;
	if (sc_insn_is_adrp_x16(t->insn[1]) &&
	    sc_insn_is_ldr_x16_x16(t->insn[2])) {
		t->layout = SC_LAYOUT_LITERAL_ONLY;
		t->literal_addr = sc_adrp_ldr_addr(a + 4, t->insn[1], t->insn[2]);
	} else if (sc_insn_is_adrp_x16(t->insn[2]) &&
		   sc_insn_is_ldr_x16_x16(t->insn[3])) {
		t->layout = SC_LAYOUT_SLOT_ADRP;
		t->insn[4] = sc_read_insn(tramp, 4);
		t->ninsn = 5;
		t->literal_addr = sc_adrp_ldr_addr(a + 8, t->insn[2], t->insn[3]);
	}
	if (t->literal_addr && IS_ALIGNED(t->literal_addr, 8))
		t->literal = READ_ONCE(*(const u64 *)t->literal_addr);
}

static inline bool sc_layout_has_slot(enum sc_layout layout)
{
	return layout == SC_LAYOUT_SLOT_ADRP;
}

/* Is the trampoline at @tramp one with a direct-branch slot? */
static inline bool sc_tramp_has_slot(const void *tramp)
{
	struct sc_tramp t;

	sc_tramp_read(tramp, &t);
	return sc_layout_has_slot(t.layout);
}

static inline const char *sc_layout_name(enum sc_layout layout)
{
	switch (layout) {
	case SC_LAYOUT_SLOT_ADRP:
		return "slot + literal in .rodata (the series)";
	case SC_LAYOUT_LITERAL_ONLY:
		return "literal only (mainline)";
	default:
		return "unknown";
	}
}

/* Bytes of the trampoline's code: where a kprobe must not go. */
static inline unsigned int sc_tramp_code_size(enum sc_layout layout)
{
	return layout == SC_LAYOUT_SLOT_ADRP ? 20 : 16;
}

/*
 * Bytes of .static_call.text one trampoline of the series takes: its code
 * and the NOP padding to the next 32-byte boundary, which the section's
 * kprobe refusal covers as well (the last trampoline's padding ends the
 * section).
 */
#define SC_SLOT_ADRP_STRIDE	32

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

/*
 * The slot an updated trampoline holds for @target: B if in range, else
 * NOP; a misaligned target, which no B encodes, goes through the literal.
 */
static inline u32 sc_expected_slot(unsigned long tramp, unsigned long target)
{
	unsigned long pc = tramp + SC_SLOT_OFFSET;

	return sc_b_in_range(pc, target) && !(target & 3) ?
	       sc_b_encode(pc, target) : SC_INSN_NOP;
}

/* The path a call takes now, and (in *@dest) where it ends up. */
static inline enum sc_path sc_tramp_dest(const struct sc_tramp *t,
					 unsigned long *dest)
{
	u32 slot = t->insn[1];

	if (t->layout == SC_LAYOUT_LITERAL_ONLY) {
		*dest = (unsigned long)t->literal;
		return SC_PATH_LITERAL;
	}
	if (!sc_layout_has_slot(t->layout)) {
		*dest = 0;
		return SC_PATH_BAD;
	}
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
 * __static_call_return0 for NULL) whose slot must be @slot. A literal-only
 * trampoline has no slot: then only its literal and its fixed instructions
 * are compared. Return true if it matches; otherwise describe every
 * mismatch, expected and seen, in @why.
 */
static inline bool sc_tramp_check_slot(const struct sc_tramp *t,
				       unsigned long target, u32 slot,
				       char *why, size_t len)
{
	unsigned long pc = t->addr + SC_SLOT_OFFSET;
	int n = 0;

	why[0] = '\0';
	if (t->layout == SC_LAYOUT_UNKNOWN) {
		scnprintf(why, len,
			  "unknown trampoline layout: 0x%08x 0x%08x 0x%08x 0x%08x",
			  t->insn[0], t->insn[1], t->insn[2], t->insn[3]);
		return false;
	}
	if (t->literal != target)
		n += scnprintf(why + n, len - n,
			       "literal: expected 0x%lx (%ps), seen 0x%llx (%ps); ",
			       target, (void *)target, t->literal,
			       (void *)(unsigned long)t->literal);
	n = sc_why_insn(why, len, n, "bti c at +0", SC_INSN_BTI_C, t->insn[0]);
	if (t->layout == SC_LAYOUT_LITERAL_ONLY) {
		n = sc_why_insn(why, len, n, "br x16 at +12", SC_INSN_BR_X16,
				t->insn[3]);
		return n == 0;
	}
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
	n = sc_why_insn(why, len, n, "br x16 at +16", SC_INSN_BR_X16,
			t->insn[4]);

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

/*
 * Whether kprobes would be told that the module text word at @addr is
 * reserved (static_call_text_reserved(), which is not exported): 1 or 0,
 * or -ENOENT when @addr is not module text. Exported by the rig's KUnit
 * graft (kunit/a64sc_scaffold.c); modules reach it with symbol_get().
 */
int a64sc_mod_text_reserved(const void *addr);

#endif /* _SC_TRAMP_H */
