/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Inline static call sites, for the KUnit suite and the test module: find
 * a key's call sites in the generic site tables and check that each one
 * holds the instruction the series' rules give for the key's target:
 *
 *	target in B range of the site	bl target	(b target: tail call)
 *	target out of range, or		bl route	(b route)
 *	  misaligned
 *	NULL				nop		(b route: tail call)
 *
 * where the route is the trampoline, or in a module a PLT of that module
 * whose adrp/add/br x16 reaches the trampoline. RET0 keys are targets like
 * any other (__static_call_return0). The encodings are written out here,
 * independently of the series' encoder (as in sc_tramp.h).
 *
 * Without CONFIG_HAVE_STATIC_CALL_INLINE no site is ever rewritten and there
 * are no site tables: sc_key_sites() returns -ENOENT, and the cases about
 * sites fail with SC_NO_SITES_MSG.
 */
#ifndef _SC_SITES_H
#define _SC_SITES_H

#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/static_call.h>

#include "sc_tramp.h"

#define SC_NO_SITES_MSG \
	"no inline static call sites: CONFIG_HAVE_STATIC_CALL_INLINE is not set (call sites stay bl/b to the trampoline)"

#define SC_INSN_BL		0x94000000U
#define SC_INSN_ADD_X16_X16	0x91000210U	/* add x16, x16, #imm12 */
#define SC_INSN_ADD_IMM_MASK	0xffc003ffU

#define SC_MAX_SITES		16

/*
 * A kernel key for the module's inline case, defined and exported by the
 * KUnit suite, which also calls it from vmlinux (a64sc_key_mod_call()).
 */
int a64sc_mod_target(int x);
int a64sc_mod_target2(int x);	/* key_mod_flips' other target */
int a64sc_key_mod_call(int x);
DECLARE_STATIC_CALL(a64sc_key_mod, a64sc_mod_target);
/* Odd while the suite's key_mod_flips updates a64sc_key_mod. */
extern unsigned long a64sc_key_mod_seq;

/*
 * A kernel key exported by its trampoline only (the suite's scaffold): a
 * module calls it with static_call_mod(), updates it and finds its key
 * through the exported functions.
 */
int a64sc_tramp_target(int x);
int a64sc_key_tramp_call(int x);
void a64sc_key_tramp_set(int (*func)(int x));
struct static_call_key *a64sc_key_tramp_key(void);
DECLARE_STATIC_CALL(a64sc_key_tramp, a64sc_tramp_target);

struct sc_site {
	void	*addr;
	bool	tail;
	bool	init;
	struct module *mod;	/* NULL: vmlinux */
};

static inline bool sc_insn_is_bl(u32 insn)
{
	return (insn & SC_INSN_B_MASK) == SC_INSN_BL;
}

/* BL or B from @pc to @target (in range), as the architecture encodes it. */
static inline u32 sc_branch_encode(unsigned long pc, unsigned long target,
				   bool link)
{
	return (link ? SC_INSN_BL : SC_INSN_B) |
	       (((target - pc) >> 2) & SC_INSN_B_IMM);
}

/* Does the 12-byte PLT at @plt (adrp x16; add x16, x16; br x16) reach @dst? */
static inline bool sc_plt_reaches(unsigned long plt, unsigned long dst)
{
	const __le32 *p = (const __le32 *)plt;
	u32 adrp = le32_to_cpu(p[0]), add = le32_to_cpu(p[1]);
	u32 br = le32_to_cpu(p[2]);
	unsigned long page;
	long immhi, immlo, hi;

	if (!sc_insn_is_adrp_x16(adrp) ||
	    (add & SC_INSN_ADD_IMM_MASK) != SC_INSN_ADD_X16_X16 ||
	    br != SC_INSN_BR_X16)
		return false;
	immlo = (adrp >> 29) & 3;
	immhi = (adrp >> 5) & 0x7ffff;
	hi = (immhi << 2) | immlo;
	hi = (hi << 43) >> 43;	/* sign-extend 21 bits */
	page = (plt & ~0xfffUL) + (hi << 12);
	return page + ((add >> 10) & 0xfff) == dst;
}

#ifdef CONFIG_HAVE_STATIC_CALL_INLINE
#ifndef MODULE
extern struct static_call_site __start_static_call_sites[];
extern struct static_call_site __stop_static_call_sites[];
#endif

static inline unsigned long sc_site_keyword(const struct static_call_site *s)
{
	return (long)s->key + (long)&s->key;
}

static inline struct static_call_key *sc_site_key(const struct static_call_site *s)
{
	return (struct static_call_key *)(sc_site_keyword(s) & ~STATIC_CALL_SITE_FLAGS);
}

static inline void *sc_site_addr(const struct static_call_site *s)
{
	return (void *)((long)s->addr + (long)&s->addr);
}

static inline int sc_sites_add(struct sc_site *out, int n, int max,
			       const struct static_call_site *s,
			       const struct static_call_site *stop,
			       struct static_call_key *key, struct module *mod)
{
	for (; (!stop || s < stop) && sc_site_key(s) == key; s++) {
		if (n == max)
			return -E2BIG;
		out[n].addr = sc_site_addr(s);
		out[n].tail = sc_site_keyword(s) & STATIC_CALL_SITE_TAIL;
		out[n].init = sc_site_keyword(s) & STATIC_CALL_SITE_INIT;
		out[n].mod = mod;
		n++;
	}
	return n;
}

/*
 * The registered call sites of @key, in vmlinux and in modules, as generic
 * code keeps them (key->sites, or the key->mods list once a module has
 * sites for it). Built-in callers bound the vmlinux table; a module stops
 * at the first entry of another key.
 */
static inline int sc_key_sites(struct static_call_key *key,
			       struct sc_site *out, int max)
{
	const struct static_call_site *stop = NULL;
	struct static_call_mod *m;
	int n = 0;

#ifndef MODULE
	stop = __stop_static_call_sites;
#endif
	if (key->type & 1)
		return sc_sites_add(out, 0, max,
				    (void *)(key->type & ~1UL), stop, key, NULL);
	for (m = key->mods; m && n >= 0; m = m->next) {
		const struct static_call_site *s = m->sites;

		if (!s)
			continue;
		if (m->mod)
			n = sc_sites_add(out, n, max, s,
					 m->mod->static_call_sites +
					 m->mod->num_static_call_sites, key,
					 m->mod);
		else
			n = sc_sites_add(out, n, max, s, stop, key, NULL);
	}
	return n;
}
#else
static inline int sc_key_sites(struct static_call_key *key,
			       struct sc_site *out, int max)
{
	return -ENOENT;
}
#endif

/*
 * Check that the site @s holds the instruction for @func (NULL for a NULL
 * key) with trampoline @tramp. On a mismatch, fill @why and return false.
 */
static inline bool sc_site_check(const struct sc_site *s, const void *func,
				 const void *tramp, char *why, size_t len)
{
	unsigned long pc = (unsigned long)s->addr;
	unsigned long target = (unsigned long)func;
	unsigned long t = (unsigned long)tramp;
	u32 insn = le32_to_cpu(READ_ONCE(*(__le32 *)s->addr));
	bool direct = func && IS_ALIGNED(target, 4) && sc_b_in_range(pc, target);
	unsigned long dest;

	if (!func && !s->tail) {
		if (insn == SC_INSN_NOP)
			return true;
		scnprintf(why, len, "site %pS (NULL key): expected nop, seen %08x",
			  s->addr, insn);
		return false;
	}
	if (s->tail ? !sc_insn_is_b(insn) : !sc_insn_is_bl(insn)) {
		scnprintf(why, len, "site %pS: expected a %s, seen %08x",
			  s->addr, s->tail ? "b" : "bl", insn);
		return false;
	}
	dest = sc_b_target(pc, insn);
	if (direct) {
		if (dest == target)
			return true;
		scnprintf(why, len, "site %pS: target %ps in range: expected %s %ps, seen %s %pS",
			  s->addr, func, s->tail ? "b" : "bl", func,
			  s->tail ? "b" : "bl", (void *)dest);
		return false;
	}
	if (dest == t)
		return true;
	if (s->mod && within_module(dest, s->mod) && sc_plt_reaches(dest, t))
		return true;
	scnprintf(why, len, "site %pS: target %ps %s: expected its route (%ps or a PLT to it), seen %s %pS",
		  s->addr, func, func ? "out of range" : "NULL (tail call)", tramp,
		  s->tail ? "b" : "bl", (void *)dest);
	return false;
}

#endif /* _SC_SITES_H */
