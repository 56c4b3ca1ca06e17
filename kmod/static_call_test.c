// SPDX-License-Identifier: GPL-2.0
/*
 * static_call_test: insmod self-test for arm64 static call trampolines.
 *
 * The module defines its own static calls, so their trampolines live in
 * module text. They are assembled with a nop in the branch slot, and the
 * module loader must give each one its direct branch before the module
 * runs when the target is in range (every in-module target is). It
 * updates them between module functions, kernel functions, NULL and
 * __static_call_return0, calls them, and decodes the trampoline after each
 * step with the shared helpers in sc_tramp.h. A stress case races callers
 * on every online CPU against updates.
 *
 * Results go to the kernel log as KTAP, each line prefixed with
 * "static_call_test: " (pr_fmt); kmod/selftest/static_call.sh extracts
 * them. Init fails with -EINVAL if any case failed, so a passing load
 * stays loaded and can be removed with rmmod.
 *
 * Addresses are printed in MiB relative to kick_all_cpus_sync(), an
 * exported function used as the kernel text reference (_stext is not
 * exported to modules).
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bits.h>
#include <linux/cpumask.h>
#include <linux/jiffies.h>
#include <linux/kallsyms.h>
#include <linux/kernel.h>
#include <linux/math.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/printk.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/static_call.h>
#include <linux/string.h>
#include <linux/tracepoint.h>
#include <trace/events/sched.h>

#include "sc_far.h"
#include "sc_race.h"
#include "sc_sync.h"
#include "sc_tramp.h"
#include "sc_sites.h"

#define SCT_MAX_SCALE		1000U
#define SCT_STRESS_CALLS	10000000UL	/* minimum calls per stress_scale */
#define SCT_STRESS_UPDATES	1000UL		/* updates per stress_scale */

static char *scenarios = "all";
module_param(scenarios, charp, 0444);
MODULE_PARM_DESC(scenarios,
		 "comma-separated cases to run (initial_state, module_target, kernel_target, kernel_key, null, ret0, transitions, stress, kprobe_refused, sync, far_target, key_moving, inline_sites) or \"all\" (every one but key_moving, and inline_sites without inline sites)");

static unsigned int stress_scale = 1;
module_param(stress_scale, uint, 0444);
MODULE_PARM_DESC(stress_scale,
		 "stress size: 10^7 calls and 1000 updates per unit, 0 skips the case (0..1000, default 1)");

static bool far;
module_param(far, bool, 0444);
MODULE_PARM_DESC(far,
		 "this module was placed beyond B range of the kernel (the selftest's -P): kernel_target and kernel_key must then take the literal path and the PLT");

static bool emulator_stale_ok;
module_param(emulator_stale_ok, bool, 0444);
MODULE_PARM_DESC(emulator_stale_ok,
		 "stress, key_moving: count and report, but tolerate, stale calls (QEMU multi-threaded TCG keeps stale translations; never on hardware)");

/*
 * Targets. Every static call below that takes an unsigned long is called
 * with SCT_ARG. The module functions return a distinct constant only when
 * the argument arrived intact; int_sqrt() is an exported kernel function
 * with a predictable result, int_sqrt(SCT_ARG) == 1000.
 */
#define SCT_ARG			1000000UL
#define SCT_VAL_A		0x1a0aUL
#define SCT_VAL_B		0x2b0bUL
#define SCT_VAL_C		0x3c0cUL
#define SCT_VAL_KERN		1000UL

static noinline unsigned long sct_mod_a(unsigned long x)
{
	return SCT_VAL_A + x - SCT_ARG;
}

static noinline unsigned long sct_mod_b(unsigned long x)
{
	return SCT_VAL_B + x - SCT_ARG;
}

static noinline unsigned long sct_mod_c(unsigned long x)
{
	return SCT_VAL_C + x - SCT_ARG;
}

static unsigned long sct_noted;

static noinline void sct_note(unsigned long v)
{
	WRITE_ONCE(sct_noted, v);
}

static noinline int sct_add(int a, int b)
{
	return a + b;
}

struct sct_obj {
	unsigned long cookie;
};

static noinline void *sct_ptr_fn(struct sct_obj *obj, unsigned long flags)
{
	return flags ? obj : NULL;
}

/*
 * The keys. All of them are owned by this module, so all trampolines are
 * in module text. The RET0 keys deliberately do not have the
 * long (void) prototype of __static_call_return0().
 */
DEFINE_STATIC_CALL(sct_plain, sct_mod_a);
DEFINE_STATIC_CALL(sct_kdef, int_sqrt);
DEFINE_STATIC_CALL_NULL(sct_null, sct_note);
DEFINE_STATIC_CALL_RET0(sct_ret0_int, sct_add);
DEFINE_STATIC_CALL_RET0(sct_ret0_ptr, sct_ptr_fn);
DEFINE_STATIC_CALL(sct_trans, sct_mod_a);
DEFINE_STATIC_CALL(sct_stress, sct_mod_a);
DEFINE_STATIC_CALL(sct_sync, sct_mod_a);
DEFINE_STATIC_CALL(sct_far, sct_mod_a);

/* NULL on a kernel without CONFIG_HAVE_STATIC_CALL. */
#define SCT_TRAMP(name)	((const void *)STATIC_CALL_TRAMP_ADDR(name))

enum sct_tid {
	SCT_T_A,
	SCT_T_B,
	SCT_T_C,
	SCT_T_KERN,
	SCT_T_RET0,
	SCT_T_NULL,
	SCT_NR_T,
};

struct sct_target {
	const char *name;
	unsigned long (*fn)(unsigned long x);
	unsigned long value;	/* static_call() result with SCT_ARG */
};

/*
 * NULL and RET0 both run __static_call_return0() on arm64, so a plain
 * static_call() of either returns 0.
 */
static const struct sct_target sct_targets[SCT_NR_T] = {
	[SCT_T_A]	= { "module function A", sct_mod_a, SCT_VAL_A },
	[SCT_T_B]	= { "module function B", sct_mod_b, SCT_VAL_B },
	[SCT_T_C]	= { "module function C", sct_mod_c, SCT_VAL_C },
	[SCT_T_KERN]	= { "kernel int_sqrt", int_sqrt, SCT_VAL_KERN },
	[SCT_T_RET0]	= { "RET0", (void *)&__static_call_return0, 0 },
	[SCT_T_NULL]	= { "NULL", NULL, 0 },
};

static unsigned long sct_ret0_addr(void)
{
	return (unsigned long)&__static_call_return0;
}

/* Where the trampoline must go for a target: NULL means RET0. */
static unsigned long sct_target_addr(enum sct_tid t)
{
	return sct_targets[t].fn ? (unsigned long)sct_targets[t].fn :
				   sct_ret0_addr();
}

/* The kernel text reference for the MiB offsets. */
static unsigned long sct_ref(void)
{
	return (unsigned long)&kick_all_cpus_sync;
}

/* ---- reporting ---------------------------------------------------------- */

struct sct_case_state {
	const char *name;
	bool failed;
	const char *skip;	/* reason, if the case was skipped */
};

static __printf(1, 2) void sct_ktap_info(const char *fmt, ...)
{
	struct va_format vaf;
	va_list args;

	va_start(args, fmt);
	vaf.fmt = fmt;
	vaf.va = &args;
	pr_info("# %pV\n", &vaf);
	va_end(args);
}

static __printf(2, 3) void sct_case_err(struct sct_case_state *c,
					const char *fmt, ...)
{
	struct va_format vaf;
	va_list args;

	va_start(args, fmt);
	vaf.fmt = fmt;
	vaf.va = &args;
	pr_info("# %s: FAIL: %pV\n", c->name, &vaf);
	va_end(args);
	c->failed = true;
}

/*
 * Every case needs a trampoline to look at. On a kernel without
 * CONFIG_HAVE_STATIC_CALL there is none, and the case fails.
 */
static bool sct_have_tramp(struct sct_case_state *c, const void *tramp)
{
	if (tramp)
		return true;
	sct_ktap_info("%s", SC_NO_TRAMP_MSG);
	sct_ktap_info("%s: no trampoline tramp@none target@none", c->name);
	c->failed = true;
	return false;
}

/*
 * Checks of the direct-branch slot: a literal-only trampoline (mainline's)
 * fails them with SC_NO_SLOT_MSG. Returns whether @tramp has a slot.
 */
static bool sct_need_slot(struct sct_case_state *c, const void *tramp)
{
	if (sc_tramp_has_slot(tramp))
		return true;
	sct_case_err(c, "%ps: %s", tramp, SC_NO_SLOT_MSG);
	return false;
}

/*
 * The one line per case that the runner shows on the console: path taken
 * by @tramp now, and where the trampoline and @target are.
 */
static void sct_headline(struct sct_case_state *c, const void *tramp,
			 unsigned long target)
{
	struct sc_tramp t;
	unsigned long dest = 0;
	enum sc_path path;

	sc_tramp_read(tramp, &t);
	path = sc_tramp_dest(&t, &dest);
	sct_ktap_info("%s: %s tramp@%+ld MiB target@%+ld MiB",
		      c->name, sc_path_name(path),
		      sc_distance_mib(sct_ref(), t.addr),
		      sc_distance_mib(sct_ref(), target));
}

/* A detail line: path and slot-to-target distance of one step. */
static void sct_detail(struct sct_case_state *c, const char *what,
		       const void *tramp, unsigned long target)
{
	struct sc_tramp t;
	unsigned long dest = 0;
	enum sc_path path;

	sc_tramp_read(tramp, &t);
	path = sc_tramp_dest(&t, &dest);
	sct_ktap_info("%s: %s: %s, target %ps is %+ld MiB from the slot (%s)",
		      c->name, what, sc_path_name(path), (void *)target,
		      sc_distance_mib(t.addr + 4, target),
		      sc_b_in_range(t.addr + 4, target) ? "in b range" :
							  "beyond b range");
}

/*
 * Check the trampoline bytes against @target (literal, slot, fixed
 * instructions) with the shared decoder: the slot must be "b target" when
 * the target is in range, nop otherwise, from load time on.
 */
static bool sct_check_tramp(struct sct_case_state *c, const char *what,
			    const void *tramp, unsigned long target)
{
	struct sc_tramp t;
	char why[SC_TRAMP_WHY_LEN];

	sc_tramp_read(tramp, &t);
	if (sc_tramp_check(&t, target, why, sizeof(why)))
		return true;
	sct_case_err(c, "%s: %s", what, why);
	return false;
}

/*
 * With inline call sites a call site of a NULL key is a NOP, so only
 * static_call_cond() may call it, and a plain call has no result to check.
 */
static const bool sct_inline = IS_ENABLED(CONFIG_HAVE_STATIC_CALL_INLINE);

static void sct_expect_val(struct sct_case_state *c, const char *what,
			   unsigned long seen, unsigned long expected)
{
	if (seen != expected)
		sct_case_err(c, "%s: call returned %#lx, expected %#lx",
			     what, seen, expected);
}

static void sct_expect_query(struct sct_case_state *c, const char *what,
			     const void *seen, const void *expected)
{
	if (seen != expected)
		sct_case_err(c, "%s: static_call_query() is %ps, expected %ps",
			     what, seen, expected);
}

/* ---- case: initial_state ---------------------------------------------------- */

/*
 * Every trampoline of this module, found in the module's own symbol table:
 * the symbols of the section that holds __SCT__sct_plain (the module's
 * .static_call.text) must all be __SCT__ trampolines, and every __SCT__
 * symbol must be in that section. Fills @tramps (up to @max) and @keys
 * (the __SCK__ key of the same name, NULL if there is none) and returns
 * how many there are, or -1 after reporting a symbol in the wrong place.
 */
#define SCT_MAX_TRAMPS		16

static int sct_module_tramps(struct sct_case_state *c, const void **tramps,
			     const struct static_call_key **keys, int max)
{
	const unsigned long plain = (unsigned long)SCT_TRAMP(sct_plain);
	const struct mod_kallsyms *ks;
	unsigned int i, j, shndx = 0;
	int n = 0;

	preempt_disable();
	ks = rcu_dereference_sched(THIS_MODULE->kallsyms);
	for (i = 0; i < ks->num_symtab; i++)
		if (ks->symtab[i].st_value == plain &&
		    str_has_prefix(ks->strtab + ks->symtab[i].st_name, "__SCT__"))
			shndx = ks->symtab[i].st_shndx;
	for (i = 0; shndx && i < ks->num_symtab && n >= 0; i++) {
		const Elf_Sym *sym = &ks->symtab[i];
		const char *name = ks->strtab + sym->st_name;
		bool in_sect = sym->st_shndx == shndx, tramp;

		/*
		 * The section's own symbol, mapping symbols ($x, $d), and
		 * the symbols this module takes from others (resolved to
		 * absolute addresses at load: __SCT__a64sc_key_mod).
		 */
		if (!*name || *name == '$' ||
		    !within_module(sym->st_value, THIS_MODULE))
			continue;
		tramp = str_has_prefix(name, "__SCT__");
		if (!in_sect && !tramp)
			continue;
		if (in_sect != tramp) {
			sct_case_err(c, "symbol %s %s .static_call.text", name,
				     in_sect ? "in" : "outside");
			n = -1;
			break;
		}
		if (n == max) {
			sct_case_err(c, "more than %d trampolines", max);
			n = -1;
			break;
		}
		tramps[n] = (void *)sym->st_value;
		keys[n] = NULL;
		for (j = 0; j < ks->num_symtab; j++) {
			const char *kn = ks->strtab + ks->symtab[j].st_name;

			if (str_has_prefix(kn, "__SCK__") &&
			    !strcmp(kn + 7, name + 7))
				keys[n] = (void *)ks->symtab[j].st_value;
		}
		n++;
	}
	preempt_enable();
	if (!shndx) {
		sct_case_err(c, "__SCT__sct_plain is not in this module's symbol table");
		return -1;
	}
	return n;
}

/*
 * Each trampoline of this module must lead to the current target of its
 * own key; one aimed at a function in this module must hold a direct
 * branch from load on. Returns the number checked.
 */
static int sct_check_all_tramps(struct sct_case_state *c, bool has_slot)
{
	const struct static_call_key *keys[SCT_MAX_TRAMPS];
	const void *tramps[SCT_MAX_TRAMPS];
	int n, i;

	n = sct_module_tramps(c, tramps, keys, SCT_MAX_TRAMPS);
	for (i = 0; i < n; i++) {
		unsigned long target;
		struct sc_tramp t;
		char what[80];

		snprintf(what, sizeof(what), "%ps (every trampoline)", tramps[i]);
		if (!keys[i]) {
			sct_case_err(c, "%s: no __SCK__ key of the same name in this module",
				     what);
			continue;
		}
		target = sc_call_target(READ_ONCE(keys[i]->func));
		sc_tramp_read(tramps[i], &t);
		if (has_slot &&
		    within_module_mem_type(target, THIS_MODULE, MOD_TEXT) &&
		    !sc_insn_is_b(t.insn[1]))
			sct_case_err(c, "%s: slot is %08x at load, expected b %ps: the loader did not install the direct branch",
				     what, t.insn[1], (void *)target);
		sct_check_tramp(c, what, tramps[i], target);
	}
	return n;
}

struct sct_initial {
	const char *key;
	const void *tramp;
	unsigned long target;
	bool in_module;		/* target in this module's text */
};

static void sct_case_initial_state(struct sct_case_state *c)
{
	const struct sct_initial keys[] = {
		{ "plain", SCT_TRAMP(sct_plain), (unsigned long)sct_mod_a, true },
		{ "kernel default", SCT_TRAMP(sct_kdef), (unsigned long)int_sqrt, false },
		{ "NULL", SCT_TRAMP(sct_null), sct_ret0_addr(), false },
		{ "RET0 int (int, int)", SCT_TRAMP(sct_ret0_int), sct_ret0_addr(), false },
		{ "RET0 void *(obj *, ulong)", SCT_TRAMP(sct_ret0_ptr), sct_ret0_addr(), false },
		{ "transitions", SCT_TRAMP(sct_trans), (unsigned long)sct_mod_a, true },
		{ "stress", SCT_TRAMP(sct_stress), (unsigned long)sct_mod_a, true },
		{ "sync", SCT_TRAMP(sct_sync), (unsigned long)sct_mod_a, true },
		{ "far", SCT_TRAMP(sct_far), (unsigned long)sct_mod_a, true },
	};
	u32 slots[ARRAY_SIZE(keys)];
	struct sct_obj obj = { .cookie = 1 };
	struct sc_tramp t;
	bool has_slot;
	char what[64];
	int i, n;

	if (!sct_have_tramp(c, keys[0].tramp))
		return;
	has_slot = sct_need_slot(c, keys[0].tramp);

	for (i = 0; i < ARRAY_SIZE(keys); i++) {
		const struct sct_initial *k = &keys[i];

		snprintf(what, sizeof(what), "%s key", k->key);
		if (!within_module_mem_type((unsigned long)k->tramp,
					    THIS_MODULE, MOD_TEXT))
			sct_case_err(c, "%s: trampoline %ps is not in this module's text",
				     what, k->tramp);
		sc_tramp_read(k->tramp, &t);
		slots[i] = t.insn[1];
		/* A module function is always within B range of module text. */
		if (has_slot && k->in_module && !sc_insn_is_b(t.insn[1]))
			sct_case_err(c, "%s: slot is %08x at load, expected b %ps: the loader did not install the direct branch",
				     what, t.insn[1], (void *)k->target);
		sct_check_tramp(c, what, k->tramp, k->target);
	}

	n = sct_check_all_tramps(c, has_slot);
	sct_ktap_info("%s: %d trampolines in this module's .static_call.text, each checked against its key",
		      c->name, n);
	if (n < (int)ARRAY_SIZE(keys))
		sct_case_err(c, "%d trampolines found in .static_call.text, fewer than the %zu named here",
			     n, ARRAY_SIZE(keys));

	/* Calls as loaded: direct b, or ldr x16 + br x16 (BTI-checked). */
	sct_expect_val(c, "plain key", static_call(sct_plain)(SCT_ARG), SCT_VAL_A);
	sct_expect_val(c, "kernel default key", static_call(sct_kdef)(SCT_ARG),
		       SCT_VAL_KERN);
	sct_expect_val(c, "transitions key", static_call(sct_trans)(SCT_ARG),
		       SCT_VAL_A);
	sct_expect_val(c, "stress key", static_call(sct_stress)(SCT_ARG), SCT_VAL_A);

	WRITE_ONCE(sct_noted, 0);
	static_call_cond(sct_null)(1);
	if (READ_ONCE(sct_noted))
		sct_case_err(c, "NULL key: static_call_cond() ran a function");
	sct_expect_query(c, "NULL key", static_call_query(sct_null), NULL);

	sct_expect_val(c, "RET0 int (int, int) key",
		       (unsigned long)static_call(sct_ret0_int)(3, 4), 0);
	if (static_call(sct_ret0_ptr)(&obj, 1))
		sct_case_err(c, "RET0 void *(obj *, ulong) key: call returned non-NULL");

	/* Calls do not patch anything. */
	for (i = 0; i < ARRAY_SIZE(keys); i++) {
		sc_tramp_read(keys[i].tramp, &t);
		if (t.insn[1] != slots[i])
			sct_case_err(c, "%s key: slot changed from %08x to %08x by a call",
				     keys[i].key, slots[i], t.insn[1]);
	}
	sct_detail(c, "kernel default key", SCT_TRAMP(sct_kdef),
		   (unsigned long)int_sqrt);
	sct_headline(c, SCT_TRAMP(sct_kdef), (unsigned long)int_sqrt);
}

/* ---- case: module_target ---------------------------------------------------- */

static void sct_plain_set(struct sct_case_state *c, enum sct_tid t)
{
	const struct sct_target *tg = &sct_targets[t];
	const void *tramp = SCT_TRAMP(sct_plain);
	unsigned long target = sct_target_addr(t);
	char what[64];

	snprintf(what, sizeof(what), "plain key -> %s", tg->name);
	static_call_update(sct_plain, tg->fn);
	sct_expect_val(c, what, static_call(sct_plain)(SCT_ARG), tg->value);
	sct_expect_query(c, what, static_call_query(sct_plain), tg->fn);
	sct_check_tramp(c, what, tramp, target);
	sct_detail(c, what, tramp, target);
}

static void sct_case_module_target(struct sct_case_state *c)
{
	const void *tramp = SCT_TRAMP(sct_plain);
	struct sc_tramp t;
	unsigned long dest;

	if (!sct_have_tramp(c, tramp))
		return;

	sct_plain_set(c, SCT_T_B);
	/* A module function is always within b range of the module's trampoline. */
	sc_tramp_read(tramp, &t);
	if (sct_need_slot(c, tramp) && sc_tramp_dest(&t, &dest) != SC_PATH_DIRECT)
		sct_case_err(c, "plain key -> module function B: slot is not a direct b");
	sct_headline(c, tramp, (unsigned long)sct_mod_b);

	sct_plain_set(c, SCT_T_C);
	sct_plain_set(c, SCT_T_A);
}

/* ---- case: kernel_target ---------------------------------------------------- */

static void sct_case_kernel_target(struct sct_case_state *c)
{
	const void *tramp = SCT_TRAMP(sct_plain);
	const void *kdef = SCT_TRAMP(sct_kdef);
	unsigned long target = (unsigned long)int_sqrt;
	unsigned long slot;
	struct sc_tramp t;
	unsigned long dest;

	if (!sct_have_tramp(c, tramp))
		return;

	slot = sc_slot_addr(tramp);
	sct_plain_set(c, SCT_T_KERN);
	sct_headline(c, tramp, target);
	sc_tramp_read(tramp, &t);
	if (sc_b_in_range(slot, target)) {
		sct_ktap_info("%s: int_sqrt is %+ld MiB from the slot, in b range: direct b",
			      c->name, sc_distance_mib(slot, target));
		sct_ktap_info("%s: kernel text is within b range of this module here; far_target covers the literal path",
			      c->name);
		if (far)
			sct_case_err(c, "far=1 but int_sqrt is within b range of this module's trampoline");
	} else {
		sct_ktap_info("%s: int_sqrt is %+ld MiB from the slot, beyond b range: literal path",
			      c->name, sc_distance_mib(slot, target));
		if (sc_layout_has_slot(t.layout) && t.insn[1] != SC_INSN_NOP)
			sct_case_err(c, "out-of-range kernel target but slot is %08x, not nop",
				     t.insn[1]);
	}

	/* The key defined with a kernel default: first update, same target. */
	static_call_update(sct_kdef, int_sqrt);
	sct_expect_val(c, "kernel default key, first update",
		       static_call(sct_kdef)(SCT_ARG), SCT_VAL_KERN);
	sct_check_tramp(c, "kernel default key, first update", kdef, target);
	sct_detail(c, "kernel default key, first update", kdef, target);

	static_call_update(sct_kdef, sct_mod_b);
	sct_expect_val(c, "kernel default key -> module function B",
		       static_call(sct_kdef)(SCT_ARG), SCT_VAL_B);
	sct_check_tramp(c, "kernel default key -> module function B", kdef,
			(unsigned long)sct_mod_b);

	static_call_update(sct_kdef, int_sqrt);
	sct_expect_val(c, "kernel default key -> int_sqrt",
		       static_call(sct_kdef)(SCT_ARG), SCT_VAL_KERN);
	sct_check_tramp(c, "kernel default key -> int_sqrt", kdef, target);
	sc_tramp_read(kdef, &t);
	if (sc_tramp_dest(&t, &dest) == SC_PATH_BAD || dest != target)
		sct_case_err(c, "kernel default key: trampoline does not reach int_sqrt");

	sct_plain_set(c, SCT_T_A);
}

/* ---- case: kernel_key ------------------------------------------------------- */

/*
 * A kernel key called from this module: the exported bare tracepoint
 * sched_update_nr_running_tp, whose trampoline lives in the kernel's
 * .static_call.text. With one probe registered, the tracepoint aims its key
 * at that probe, so a call from here goes module -> kernel trampoline (a BL,
 * through a PLT when the module is beyond B range) -> module probe (the
 * trampoline's direct B, or its literal path when the probe is beyond B
 * range of the trampoline). The kernel's own calls pass a runqueue; this
 * module's pass NULL and a marker.
 */
#define SCT_TP_MARK		0x5c7a
#define SCT_INSN_BL		0x94000000U
#define SCT_INSN_ADD_X16_X16	0x91000210U	/* add x16, x16, #imm12 */
#define SCT_INSN_ADD_IMM_MASK	0xffc003ffU

static atomic_t sct_tp_mine = ATOMIC_INIT(0);
static atomic_t sct_tp_kernel = ATOMIC_INIT(0);

static void sct_tp_probe(void *data, struct rq *rq, int change)
{
	if (data == &sct_tp_mine && !rq && change == SCT_TP_MARK)
		atomic_inc(&sct_tp_mine);
	else
		atomic_inc(&sct_tp_kernel);
}

static noinline void sct_tp_call(void)
{
	trace_sched_update_nr_running_tp(NULL, SCT_TP_MARK);
	/* Not a tail call: keep the BL to the trampoline a BL. */
	barrier();
}

/*
 * The size of the function at @fn as kallsyms knows it: %pS prints
 * "name+0x0/0xSIZE [module]". 0 if it cannot be told.
 */
static unsigned long sct_func_size(const void *fn)
{
	char sym[KSYM_SYMBOL_LEN];
	unsigned long size;
	const char *p;

	snprintf(sym, sizeof(sym), "%pS", fn);
	p = strchr(sym, '/');
	if (!p || sscanf(p + 1, "%lx", &size) != 1)
		return 0;
	return size;
}

/*
 * Where the BL in sct_tp_call() leads: *@plt is the PLT entry it goes
 * through (adrp x16; add x16, x16, #lo12; br x16) or 0 for a direct BL.
 * Returns the final destination, or 0 if no BL in the function's first
 * @n instructions reaches @tramp.
 */
static unsigned long sct_find_call(const void *tramp, unsigned long *plt,
				   unsigned long n)
{
	const u32 *code = (const u32 *)sct_tp_call;
	unsigned long i;

	*plt = 0;
	/*
	 * The whole function, not up to the first RET: compilers put the
	 * tracepoint's unlikely call after an early return, and KASAN's
	 * checks put it some 130 instructions in.
	 */
	for (i = 0; i < n; i++) {
		unsigned long pc = (unsigned long)&code[i], to;
		const u32 *e;
		u32 insn, adrp, add;

		if (!within_module_mem_type(pc, THIS_MODULE, MOD_TEXT))
			break;
		insn = le32_to_cpu(READ_ONCE(code[i]));
		if ((insn & SC_INSN_B_MASK) != SCT_INSN_BL)
			continue;
		to = sc_b_target(pc, insn);
		if (to == (unsigned long)tramp)
			return to;
		e = (const u32 *)to;
		adrp = le32_to_cpu(READ_ONCE(e[0]));
		add = le32_to_cpu(READ_ONCE(e[1]));
		if (!sc_insn_is_adrp_x16(adrp) ||
		    (add & SCT_INSN_ADD_IMM_MASK) != SCT_INSN_ADD_X16_X16 ||
		    le32_to_cpu(READ_ONCE(e[2])) != SC_INSN_BR_X16)
			continue;
		/* adrp's page, plus the add's low 12 bits (not scaled). */
		to = sc_adrp_ldr_addr(to, adrp, 0) + ((add >> 10) & 0xfff);
		if (to == (unsigned long)tramp) {
			*plt = (unsigned long)e;
			return to;
		}
	}
	return 0;
}

/*
 * Inline sites: the call site in sct_tp_call(), found in this module's
 * own site table, must hold the instruction for the key's current target.
 * The tracepoint's key is exported whole and static_call() references it,
 * so the table names the key itself; the path through
 * .static_call_tramp_key (a key exported by its trampoline only) is
 * inline_sites' a64sc_key_tramp.
 */
static void sct_tp_site_check(struct sct_case_state *c, const char *what,
			      const void *tramp)
{
#ifdef CONFIG_HAVE_STATIC_CALL_INLINE
	char name[KSYM_SYMBOL_LEN], why[SC_TRAMP_WHY_LEN];
	struct static_call_site *site = THIS_MODULE->static_call_sites;
	struct static_call_site *end = site + THIS_MODULE->num_static_call_sites;
	int n = 0;

	for (; site < end; site++) {
		struct sc_site s = {
			.addr = sc_site_addr(site),
			.tail = sc_site_keyword(site) & STATIC_CALL_SITE_TAIL,
			.mod = THIS_MODULE,
		};

		snprintf(name, sizeof(name), "%ps", s.addr);
		/* "sct_tp_call [static_call_test]", or a clone's ".part.0" */
		strreplace(name, ' ', '\0');
		strreplace(name, '.', '\0');
		if (strcmp(name, "sct_tp_call"))
			continue;
		n++;
		if (!sc_site_check(&s, READ_ONCE(sc_site_key(site)->func), tramp,
				   why, sizeof(why)))
			sct_case_err(c, "%s: %s", what, why);
		else
			sct_ktap_info("%s: %s: site %pS is %08x", c->name, what, s.addr,
				      le32_to_cpu(READ_ONCE(*(__le32 *)s.addr)));
	}
	if (n != 1)
		sct_case_err(c, "%s: %d sites in sct_tp_call(), expected 1", what, n);
#endif
}

static void sct_case_kernel_key(struct sct_case_state *c)
{
	const void *tramp = SCT_TRAMP(tp_func_sched_update_nr_running_tp);
	unsigned long probe = (unsigned long)sct_tp_probe;
	unsigned long size = sct_func_size(sct_tp_call);
	unsigned long plt, dest;
	struct sc_tramp t;
	enum sc_path path;
	int ret, mine;

	if (!sct_have_tramp(c, tramp))
		return;
	if (within_module((unsigned long)tramp, THIS_MODULE))
		sct_case_err(c, "%ps is in this module, expected the kernel's", tramp);

	if (sct_inline) {
		/* Inline: the site is the key's, not the trampoline's. */
		sct_tp_site_check(c, "before registering", tramp);
	} else if (!size) {
		sct_case_err(c, "kallsyms gives no size for sct_tp_call() (%pS)",
			     sct_tp_call);
	} else if (!sct_find_call(tramp, &plt, size / sizeof(u32))) {
		sct_case_err(c, "no BL in sct_tp_call() reaches %ps, directly or through a PLT",
			     tramp);
	} else if (plt) {
		sct_ktap_info("%s: module -> %ps through the PLT entry at %+ld MiB (trampoline %+ld MiB from the call)",
			      c->name, tramp, sc_distance_mib(sct_ref(), plt),
			      sc_distance_mib((unsigned long)sct_tp_call,
					      (unsigned long)tramp));
	} else {
		sct_ktap_info("%s: module -> %ps by a direct BL (%+ld MiB)",
			      c->name, tramp,
			      sc_distance_mib((unsigned long)sct_tp_call,
					      (unsigned long)tramp));
		if (far)
			sct_case_err(c, "far=1 but the call to the kernel trampoline is a direct BL, not through a PLT");
	}

	ret = register_trace_sched_update_nr_running_tp(sct_tp_probe, &sct_tp_mine);
	if (ret) {
		sct_case_err(c, "register_trace_sched_update_nr_running_tp: %d", ret);
		return;
	}
	/* The only probe: the tracepoint aims its key at it. */
	sct_check_tramp(c, "kernel key -> module probe", tramp, probe);
	if (sct_inline)
		sct_tp_site_check(c, "kernel key -> module probe", tramp);
	sc_tramp_read(tramp, &t);
	path = sc_tramp_dest(&t, &dest);
	sct_detail(c, "kernel key -> module probe", tramp, probe);
	if (far && sc_layout_has_slot(t.layout) && path != SC_PATH_LITERAL)
		sct_case_err(c, "far=1 but the kernel trampoline reaches the module probe by %s",
			     sc_path_name(path));
	atomic_set(&sct_tp_mine, 0);
	sct_tp_call();
	sct_tp_call();
	mine = atomic_read(&sct_tp_mine);
	if (mine != 2)
		sct_case_err(c, "two calls from this module reached the probe %d times",
			     mine);
	sct_headline(c, tramp, probe);
	unregister_trace_sched_update_nr_running_tp(sct_tp_probe, &sct_tp_mine);
	tracepoint_synchronize_unregister();
	sct_ktap_info("%s: the kernel's own calls reached the probe %d times",
		      c->name, atomic_read(&sct_tp_kernel));
	sct_tp_call();
	if (atomic_read(&sct_tp_mine) != mine)
		sct_case_err(c, "the probe still ran after unregistering");
}

/* ---- case: null --------------------------------------------------------------- */

static void sct_case_null(struct sct_case_state *c)
{
	const void *tramp = SCT_TRAMP(sct_null);
	unsigned long ret0 = sct_ret0_addr();

	if (!sct_have_tramp(c, tramp))
		return;

	WRITE_ONCE(sct_noted, 0);
	sct_expect_query(c, "NULL key before update", static_call_query(sct_null), NULL);
	static_call_cond(sct_null)(1);
	if (READ_ONCE(sct_noted))
		sct_case_err(c, "NULL key before update: static_call_cond() ran a function");
	sct_check_tramp(c, "NULL key before update", tramp, ret0);

	static_call_update(sct_null, sct_note);
	static_call(sct_null)(7);
	if (READ_ONCE(sct_noted) != 7)
		sct_case_err(c, "NULL key -> sct_note: call did not reach sct_note");
	sct_expect_query(c, "NULL key -> sct_note", static_call_query(sct_null),
			 sct_note);
	sct_check_tramp(c, "NULL key -> sct_note", tramp,
			(unsigned long)sct_note);

	static_call_update(sct_null, NULL);
	sct_expect_query(c, "NULL key -> NULL", static_call_query(sct_null), NULL);
	static_call_cond(sct_null)(9);
	if (READ_ONCE(sct_noted) != 7)
		sct_case_err(c, "NULL key -> NULL: static_call_cond() still ran sct_note");
	sct_check_tramp(c, "NULL key -> NULL (literal is __static_call_return0)",
			tramp, ret0);
	sct_detail(c, "NULL key -> NULL", tramp, ret0);
	sct_headline(c, tramp, ret0);
}

/* ---- case: ret0 --------------------------------------------------------------- */

static void sct_case_ret0(struct sct_case_state *c)
{
	const void *ti = SCT_TRAMP(sct_ret0_int);
	const void *tp = SCT_TRAMP(sct_ret0_ptr);
	unsigned long ret0 = sct_ret0_addr();
	struct sct_obj obj = { .cookie = 2 };
	const void *ret0p = (const void *)ret0;

	if (!sct_have_tramp(c, ti))
		return;

	/* int (int, int): the prototype kCFI would reject for an indirect call */
	sct_expect_val(c, "RET0 int key", (unsigned long)static_call(sct_ret0_int)(3, 4), 0);
	sct_expect_query(c, "RET0 int key", static_call_query(sct_ret0_int), ret0p);
	sct_check_tramp(c, "RET0 int key", ti, ret0);

	static_call_update(sct_ret0_int, sct_add);
	sct_expect_val(c, "RET0 int key -> sct_add",
		       (unsigned long)static_call(sct_ret0_int)(3, 4), 7);
	sct_expect_query(c, "RET0 int key -> sct_add",
			 static_call_query(sct_ret0_int), sct_add);
	sct_check_tramp(c, "RET0 int key -> sct_add", ti, (unsigned long)sct_add);

	static_call_update(sct_ret0_int, (void *)&__static_call_return0);
	sct_expect_val(c, "RET0 int key -> RET0",
		       (unsigned long)static_call(sct_ret0_int)(3, 4), 0);
	sct_expect_query(c, "RET0 int key -> RET0",
			 static_call_query(sct_ret0_int), ret0p);
	sct_check_tramp(c, "RET0 int key -> RET0", ti, ret0);
	sct_detail(c, "RET0 int key -> RET0", ti, ret0);
	sct_headline(c, ti, ret0);

	/* NULL shares __static_call_return0: a plain call returns 0 too. */
	static_call_update(sct_ret0_int, NULL);
	static_call_cond(sct_ret0_int)(3, 4);
	/* With inline sites a NULL call site is a NOP: no result. */
	if (!sct_inline)
		sct_expect_val(c, "RET0 int key -> NULL",
			       (unsigned long)static_call(sct_ret0_int)(3, 4), 0);
	sct_expect_query(c, "RET0 int key -> NULL",
			 static_call_query(sct_ret0_int), NULL);
	sct_check_tramp(c, "RET0 int key -> NULL", ti, ret0);

	static_call_update(sct_ret0_int, (void *)&__static_call_return0);
	sct_expect_val(c, "RET0 int key -> RET0 again",
		       (unsigned long)static_call(sct_ret0_int)(3, 4), 0);
	sct_check_tramp(c, "RET0 int key -> RET0 again", ti, ret0);

	/* void *(struct sct_obj *, unsigned long) */
	if (static_call(sct_ret0_ptr)(&obj, 1))
		sct_case_err(c, "RET0 pointer key: call returned non-NULL");
	sct_check_tramp(c, "RET0 pointer key", tp, ret0);

	static_call_update(sct_ret0_ptr, sct_ptr_fn);
	if (static_call(sct_ret0_ptr)(&obj, 1) != &obj)
		sct_case_err(c, "RET0 pointer key -> sct_ptr_fn: call did not return its argument");
	sct_check_tramp(c, "RET0 pointer key -> sct_ptr_fn", tp,
			(unsigned long)sct_ptr_fn);

	static_call_update(sct_ret0_ptr, (void *)&__static_call_return0);
	if (static_call(sct_ret0_ptr)(&obj, 1))
		sct_case_err(c, "RET0 pointer key -> RET0: call returned non-NULL");
	sct_expect_query(c, "RET0 pointer key -> RET0",
			 static_call_query(sct_ret0_ptr), ret0p);
	sct_check_tramp(c, "RET0 pointer key -> RET0", tp, ret0);
}

/* ---- case: transitions -------------------------------------------------------- */

static void sct_trans_set(enum sct_tid t)
{
	static_call_update(sct_trans, sct_targets[t].fn);
}

static bool sct_trans_verify(struct sct_case_state *c, const char *what,
			     enum sct_tid t)
{
	const struct sct_target *tg = &sct_targets[t];
	bool was_failed = c->failed;

	c->failed = false;
	if (!tg->fn)
		static_call_cond(sct_trans)(SCT_ARG);
	/* With inline sites a NULL call site is a NOP: no result. */
	if (tg->fn || !sct_inline)
		sct_expect_val(c, what, static_call(sct_trans)(SCT_ARG), tg->value);
	sct_expect_query(c, what, static_call_query(sct_trans), tg->fn);
	sct_check_tramp(c, what, SCT_TRAMP(sct_trans), sct_target_addr(t));
	if (c->failed)
		return false;
	c->failed = was_failed;
	return true;
}

static void sct_case_transitions(struct sct_case_state *c)
{
	static const enum sct_tid set[] = {
		SCT_T_A, SCT_T_B, SCT_T_KERN, SCT_T_RET0, SCT_T_NULL,
	};
	const void *tramp = SCT_TRAMP(sct_trans);
	unsigned int pairs = 0, bad = 0, direct = 0, literal = 0;
	struct sc_tramp t;
	unsigned long dest;
	char what[96];
	int i, j;

	if (!sct_have_tramp(c, tramp))
		return;

	for (i = 0; i < ARRAY_SIZE(set); i++) {
		for (j = 0; j < ARRAY_SIZE(set); j++) {
			bool ok;

			snprintf(what, sizeof(what), "set %s", sct_targets[set[i]].name);
			sct_trans_set(set[i]);
			ok = sct_trans_verify(c, what, set[i]);

			snprintf(what, sizeof(what), "%s -> %s",
				 sct_targets[set[i]].name, sct_targets[set[j]].name);
			sct_trans_set(set[j]);
			ok = sct_trans_verify(c, what, set[j]) && ok;

			sc_tramp_read(tramp, &t);
			if (sc_tramp_dest(&t, &dest) == SC_PATH_DIRECT)
				direct++;
			else
				literal++;
			pairs++;
			if (!ok)
				bad++;
		}
	}
	sct_ktap_info("%s: %u ordered pairs (%u updates), %u failed",
		      c->name, pairs, 2 * pairs, bad);
	sct_ktap_info("%s: slot after each pair: direct b %u, literal %u",
		      c->name, direct, literal);

	sct_trans_set(SCT_T_KERN);
	sct_trans_verify(c, "final kernel target", SCT_T_KERN);
	sct_headline(c, tramp, sct_target_addr(SCT_T_KERN));
	sct_trans_set(SCT_T_A);
	sct_trans_verify(c, "restore", SCT_T_A);
}

/* ---- case: stress ------------------------------------------------------------- */

/*
 * sc_race.h (shared with the KUnit suite's concurrency case) runs a caller
 * kthread on every online CPU against rounds of updates of sct_stress among
 * five targets with distinct values, one update or two racing updaters per
 * round, and checks the module's own trampoline after every round:
 * "memory" (the trampoline bytes are not the installed target), "bad" (a
 * call returned a value no target returns) and "stale" (a call returned a
 * target that was not in place at any moment of its window), see the
 * window rule in sc_race.h.
 */
static const struct sc_race_target sct_race_targets[] = {
	{ "module function A", (void *)sct_mod_a, SCT_VAL_A },
	{ "module function B", (void *)sct_mod_b, SCT_VAL_B },
	{ "kernel int_sqrt", (void *)int_sqrt, SCT_VAL_KERN },
	{ "module function C", (void *)sct_mod_c, SCT_VAL_C },
	{ "RET0", (void *)&__static_call_return0, 0 },
};

static long sct_race_call(void)
{
	return (long)static_call(sct_stress)(SCT_ARG);
}

static void sct_race_update(void *func)
{
	static_call_update(sct_stress, func);
}

/* With inline sites: the module's sites of sct_stress hold @func's insn. */
static bool sct_race_check_sites(const void *func, char *why, size_t len)
{
	struct sc_site sites[SC_MAX_SITES];
	int n, i;

	n = sc_key_sites(&STATIC_CALL_KEY(sct_stress), sites, SC_MAX_SITES);
	if (n <= 0) {
		scnprintf(why, len,
			  "sct_stress: call sites: %d (0: none, -E2BIG: more than %d)",
			  n, SC_MAX_SITES);
		return false;
	}
	for (i = 0; i < n; i++)
		if (!sites[i].init &&
		    !sc_site_check(&sites[i], func, SCT_TRAMP(sct_stress),
				   why, len))
			return false;
	return true;
}

static const struct sc_race_ops sct_race_ops = {
	.call = sct_race_call,
	.update = sct_race_update,
	.tramp = SCT_TRAMP(sct_stress),
	.check_sites = IS_ENABLED(CONFIG_HAVE_STATIC_CALL_INLINE) ?
		       sct_race_check_sites : NULL,
};

static void sct_case_stress(struct sct_case_state *c)
{
	const void *tramp = SCT_TRAMP(sct_stress);
	unsigned long min_calls = SCT_STRESS_CALLS * stress_scale;
	unsigned long min_updates = SCT_STRESS_UPDATES * stress_scale;
	unsigned long start = jiffies;
	struct sc_race_result res;
	int err;

	if (!stress_scale) {
		c->skip = "stress_scale=0";
		return;
	}
	if (!sct_have_tramp(c, tramp))
		return;

	err = sc_race_run(&sct_race_ops, sct_race_targets,
			  ARRAY_SIZE(sct_race_targets), min_calls, min_updates,
			  240 * HZ * (unsigned long)stress_scale, &res);
	sct_ktap_info("%s: %u CPUs, calls %lu, updates %lu in %lu rounds (%lu racing), %u ms",
		      c->name, res.threads, res.calls, res.updates, res.rounds,
		      res.racing_rounds, jiffies_to_msecs(jiffies - start));
	sct_ktap_info("%s: judged %lu (%lu in one quiet window), unjudged %lu; bad %lu, stale %lu, memory %lu",
		      c->name, res.checked, res.quiet, res.unjudged, res.bad,
		      res.stale, res.memory);
	if (err)
		sct_case_err(c, "sc_race_run() failed: %d", err);
	if (res.timed_out)
		sct_case_err(c, "timed out");
	if (res.bad)
		sct_case_err(c, "%lu calls returned a value no target returns, first %#lx",
			     res.bad, res.bad_value);
	if (res.memory)
		sct_case_err(c, "%lu rounds left trampoline or call-site bytes that are not the installed target, first: %s",
			     res.memory, res.memory_why);
	if (res.stale && !emulator_stale_ok)
		sct_case_err(c, "%lu calls returned a target not in place at any moment of their window, first %#lx",
			     res.stale, res.stale_value);
	else if (res.stale)
		sct_ktap_info("%s: tolerated (emulator_stale_ok=1): %lu calls returned a target not in place during their window",
			      c->name, res.stale);
	if (!res.quiet || res.checked == res.quiet)
		sct_case_err(c, "%lu calls judged, %lu of them in a quiet window: the race did not cover both kinds",
			     res.checked, res.quiet);
	if (!res.racing_rounds)
		sct_case_err(c, "no round of two racing updaters completed");
	if (res.calls < min_calls || res.updates < min_updates)
		sct_case_err(c, "%lu calls and %lu updates, expected at least %lu and %lu",
			     res.calls, res.updates, min_calls, min_updates);

	static_call_update(sct_stress, int_sqrt);
	sct_expect_val(c, "final kernel target", static_call(sct_stress)(SCT_ARG),
		       SCT_VAL_KERN);
	sct_check_tramp(c, "final kernel target", tramp, (unsigned long)int_sqrt);
	sct_headline(c, tramp, (unsigned long)int_sqrt);
	static_call_update(sct_stress, sct_mod_a);
}

/* ---- driver -------------------------------------------------------------------- */

/* ---- case: kprobe_refused ---------------------------------------------------- */

/*
 * A module's .static_call.text is off limits to kprobes as well: a probe at
 * any word of a trampoline's code is refused.
 * A probe on a plain module function registers, as a control.
 */
#ifdef CONFIG_KPROBES
/*
 * And no wider: the words just before and just after the module's
 * .static_call.text [@lo, @hi) must not be reserved. register_kprobe()
 * cannot show it (it refuses a padding word for a reason of its own), so
 * the hook itself is asked, through the KUnit graft. A word outside the
 * module's text cannot be asked about (the hook finds modules by text
 * address); at least one of the two must be module text, or the check
 * would see nothing. Left out with inline sites, where a neighbour may be
 * a call site, reserved for a reason of its own.
 */
static void sct_kprobe_no_wider(struct sct_case_state *c, const void *lo,
				const void *hi)
{
	const void *words[] = { lo - sizeof(u32), hi };
	int (*reserved)(const void *addr);
	int i, r, asked = 0;

	if (sct_inline)
		return;
	reserved = symbol_get(a64sc_mod_text_reserved);
	if (!reserved) {
		sct_ktap_info("%s: no a64sc_mod_text_reserved() (not a rig kernel): the range's outer edges are not checked",
			      c->name);
		return;
	}
	for (i = 0; i < ARRAY_SIZE(words); i++) {
		r = reserved(words[i]);
		if (r == -ENOENT)
			continue;
		asked++;
		if (r)
			sct_case_err(c, "the word %s this module's .static_call.text (%pS) is reserved: the refusal range is wider than the section",
				     i ? "after" : "before", words[i]);
	}
	symbol_put(a64sc_mod_text_reserved);
	sct_ktap_info("%s: %d of the 2 words just outside .static_call.text are module text, asked whether reserved",
		      c->name, asked);
	if (!asked)
		sct_case_err(c, "neither %pS nor %pS (just outside .static_call.text) is module text: the range's outer edges are not checked",
			     words[0], words[1]);
}

static void sct_case_kprobe_refused(struct sct_case_state *c)
{
	const struct static_call_key *keys[SCT_MAX_TRAMPS];
	const void *tramp = SCT_TRAMP(sct_plain), *tramps[SCT_MAX_TRAMPS];
	const void *lo = NULL, *hi = NULL;
	unsigned int off, size, refused = 0;
	struct sc_tramp t;
	int ret, n, i;

	ret = sc_kprobe_try(sct_mod_c);
	if (ret) {
		sct_case_err(c, "control: register_kprobe(%ps) failed: %d",
			     sct_mod_c, ret);
		return;
	}

	if (!sct_have_tramp(c, tramp) || !sct_need_slot(c, tramp))
		return;
	/*
	 * Every word of every trampoline of this module, first to last, with
	 * the padding that follows its code: the module's .static_call.text is
	 * made of these strides, so its last word is the last one probed, and
	 * a refusal range that stops short of it is seen even though that word
	 * is never executed.
	 */
	n = sct_module_tramps(c, tramps, keys, SCT_MAX_TRAMPS);
	for (i = 0; i < n; i++) {
		sc_tramp_read(tramps[i], &t);
		size = t.layout == SC_LAYOUT_SLOT_ADRP ? SC_SLOT_ADRP_STRIDE :
			sc_tramp_code_size(t.layout);
		if (!lo || tramps[i] < lo)
			lo = tramps[i];
		if (tramps[i] + size > hi)
			hi = tramps[i] + size;
		for (off = 0; off < size; off += sizeof(u32)) {
			ret = sc_kprobe_try(tramps[i] + off);
			if (ret == -EINVAL)
				refused++;
			else
				sct_case_err(c, "register_kprobe(%ps+%u) returned %d, expected -EINVAL",
					     tramps[i], off, ret);
		}
	}
	sct_ktap_info("%s: register_kprobe() refused at %u words of the %d trampolines of this module",
		      c->name, refused, n);
	if (n > 0)
		sct_kprobe_no_wider(c, lo, hi);
}
#else
static void sct_case_kprobe_refused(struct sct_case_state *c)
{
	c->skip = "needs CONFIG_KPROBES";
}
#endif

/* ---- case: sync ------------------------------------------------------------ */

/* probes of one step that may end without a verdict (CPU hotplug) */
#define SCT_SYNC_TRIES		20

static void sct_sync_update(void *func)
{
	static_call_update(sct_sync, (unsigned long (*)(unsigned long))func);
}

/*
 * The module-side twin of the KUnit sync_after_update case (sc_sync.h):
 * an update that rewrites a module trampoline's slot (or, with inline
 * sites, the module's call sites) must make every other CPU pass a context
 * synchronisation event after its last write; one that changes nothing
 * interrupts nobody.
 */
static void sct_case_sync(struct sct_case_state *c)
{
	static const struct {
		const char *name;
		enum sct_tid t;
		bool changes;
	} steps[] = {
		{ "A -> B (b -> b)", SCT_T_B, true },
		{ "B -> B (no change)", SCT_T_B, false },
		{ "B -> C (b -> b)", SCT_T_C, true },
		{ "C -> A (b -> b)", SCT_T_A, true },
	};
	const void *tramp = SCT_TRAMP(sct_sync);
	struct sc_site sites[SC_MAX_SITES];
	char why[SC_SYNC_WHY_LEN];
	/* Off the stack (with KASAN the frame would pass 2 KiB): cases run one at a time. */
	static struct sc_sync_result res;
	struct sc_sync_words w = { };
	int i, n, ret, tries;

	if (!sct_have_tramp(c, tramp) || !sct_need_slot(c, tramp))
		return;
	if (num_online_cpus() < SC_SYNC_MIN_CPUS) {
		sct_case_err(c, "needs %u online CPUs (the updater's, a busy one and an idle one), %u online",
			     SC_SYNC_MIN_CPUS, num_online_cpus());
		return;
	}
	static_call_update(sct_sync, sct_mod_a);
	sc_sync_watch_tramp(&w, tramp);
	if (IS_ENABLED(CONFIG_HAVE_STATIC_CALL_INLINE)) {
		n = sc_key_sites(&STATIC_CALL_KEY(sct_sync), sites,
				 SC_MAX_SITES);
		if (n <= 0) {
			sct_case_err(c, "call sites of sct_sync: %d (0: none, -E2BIG: more than %d)",
				     n, SC_MAX_SITES);
			return;
		}
		for (i = 0; i < n; i++)
			if (!sites[i].init)
				sc_sync_watch_word(&w, sites[i].addr);
	}

	for (i = 0; i < ARRAY_SIZE(steps); i++) {
		const struct sct_target *tg = &sct_targets[steps[i].t];
		enum sct_tid from = i ? steps[i - 1].t : SCT_T_A;

		ret = sc_sync_probe(sct_sync_update, tg->fn, &w, &res);
		/*
		 * No verdict: a CPU came or went (the runner's -H hotplug
		 * loop), which may have run the update or not. Again, from
		 * the step's old target.
		 */
		for (tries = 1; ret == -EAGAIN && tries < SCT_SYNC_TRIES; tries++) {
			sct_ktap_info("%s: %s: no verdict (a CPU came or went), probing again",
				      c->name, steps[i].name);
			static_call_update(sct_sync, sct_targets[from].fn);
			ret = sc_sync_probe(sct_sync_update, tg->fn, &w, &res);
		}
		if (ret) {
			sct_case_err(c, "%s: sc_sync_probe() failed: %d",
				     steps[i].name, ret);
			return;
		}
		sct_ktap_info("%s: %s: %u cross-CPU calls sent, %u of %u other CPUs synchronised after the last write",
			      c->name, steps[i].name, res.sent, res.synced,
			      res.others);
		if (!sc_sync_judge(&res, steps[i].changes, why, sizeof(why)))
			sct_case_err(c, "%s: %s", steps[i].name, why);
		sct_check_tramp(c, steps[i].name, tramp, sct_target_addr(steps[i].t));
		sct_expect_val(c, steps[i].name, static_call(sct_sync)(SCT_ARG),
			       tg->value);
	}
}

/* ---- case: far_target ------------------------------------------------------- */

#define SCT_VAL_FAR		0x4d0dUL

/*
 * A module trampoline aimed at code more than 128 MiB away (sc_far.h): the
 * slot must become nop and the call go through the literal (ldr x16;
 * br x16, BTI-checked on a guarded page), then back to a direct b.
 */
static void sct_case_far_target(struct sct_case_state *c)
{
	const void *tramp = SCT_TRAMP(sct_far);
	__le32 code[3];
	void *far;
	int ret;

	if (!sct_have_tramp(c, tramp))
		return;
	code[0] = cpu_to_le32(SC_INSN_BTI_C);
	code[1] = cpu_to_le32(sc_insn_movz_w0(SCT_VAL_FAR));
	code[2] = cpu_to_le32(SC_INSN_RET);
	ret = sc_far_alloc(code, sizeof(code), &far);
	if (ret == -ENOENT) {
		c->skip = "no a64sc_far_code_alloc() (not a rig kernel)";
		return;
	}
	if (ret) {
		sct_case_err(c, "far executable memory: %d", ret);
		return;
	}
	sct_ktap_info("%s: far code %+ld MiB from the slot", c->name,
		      sc_distance_mib(sc_slot_addr(tramp), (unsigned long)far));
	if (sc_b_in_range(sc_slot_addr(tramp), (unsigned long)far))
		sct_case_err(c, "far code is within b range of the trampoline");

	static_call_update(sct_far, (unsigned long (*)(unsigned long))far);
	sct_check_tramp(c, "-> far code", tramp, (unsigned long)far);
	sct_expect_val(c, "-> far code", static_call(sct_far)(SCT_ARG),
		       SCT_VAL_FAR);
	sct_detail(c, "-> far code", tramp, (unsigned long)far);
	sct_headline(c, tramp, (unsigned long)far);

	static_call_update(sct_far, sct_mod_b);
	sct_check_tramp(c, "far -> module function B", tramp,
			(unsigned long)sct_mod_b);
	sct_expect_val(c, "far -> module function B",
		       static_call(sct_far)(SCT_ARG), SCT_VAL_B);
	static_call_update(sct_far, sct_mod_a);
	sc_far_free(far);
}

struct sct_case {
	const char *name;
	void (*run)(struct sct_case_state *c);
};

/* ---- case: inline_sites ------------------------------------------------------- */

/*
 * Inline call sites in a module: a call of the module's own key, a call of
 * a kernel key (a64sc_key_mod, exported by the KUnit suite, which also
 * calls it from vmlinux), and a static_call_mod() call of a kernel key
 * exported by its trampoline only (a64sc_key_tramp). After every update each site must hold the
 * instruction for the target (sc_sites.h): a direct BL in range, else its
 * route, which for the kernel key is the kernel's trampoline or the PLT
 * the loader made for it (far=1), and a NOP for NULL.
 */
DEFINE_STATIC_CALL(sct_inl, sct_mod_a);

static noinline unsigned long sct_inl_call(unsigned long x)
{
	return static_call(sct_inl)(x);
}

static noinline int sct_kmod_call(int x)
{
	return static_call(a64sc_key_mod)(x);
}

/*
 * The same kernel key called from the module's init text. The loader puts
 * init text after the core text, so this is the highest site of the
 * module, and in a load beyond B range it is linked through a PLT of the
 * init text: the entry the route table prepares last (inline_sites checks
 * both). Reached through sct_init_kmod_call, set by sct_init(): the cases
 * run from sct_init() only, while the init text is there.
 */
static noinline int __init sct_kmod_init_call(int x)
{
	return static_call(a64sc_key_mod)(x);
}

static int (*sct_init_kmod_call)(int x);

static noinline int sct_kmod_target(int x)
{
	return x + 3;
}

/*
 * A kernel key exported by its trampoline only (EXPORT_STATIC_CALL_TRAMP_GPL):
 * static_call_mod() names the trampoline, never the key, so the module's
 * table entry does too and the kernel finds the key through
 * .static_call_tramp_key at load. Without that table this module is refused
 * on an inline kernel ("Failed to fixup __raw_static_call() usage").
 */
static noinline int sct_ktramp_call(int x)
{
#ifdef CONFIG_HAVE_STATIC_CALL
	return static_call_mod(a64sc_key_tramp)(x);
#else
	/* No static calls, no trampoline to export: inline_sites fails first. */
	return a64sc_key_tramp_call(x);
#endif
}

/* The sites of @key, and how many of them are in this module. */
static int sct_sites(struct sct_case_state *c, struct static_call_key *key,
		     struct sc_site *sites, int *mine)
{
	int n = sc_key_sites(key, sites, SC_MAX_SITES), i;

	*mine = 0;
	if (n == -ENOENT) {
		sct_case_err(c, SC_NO_SITES_MSG);
		return -1;
	}
	if (n < 0) {
		sct_case_err(c, "sc_key_sites: %d", n);
		return -1;
	}
	for (i = 0; i < n; i++)
		*mine += sites[i].mod == THIS_MODULE;
	return n;
}

static void sct_check_sites(struct sct_case_state *c, const char *what,
			    const struct sc_site *sites, int n,
			    const void *func, const void *tramp)
{
	char why[SC_TRAMP_WHY_LEN];
	int i;

	for (i = 0; i < n; i++)
		if (!sc_site_check(&sites[i], func, tramp, why, sizeof(why)))
			sct_case_err(c, "%s: %s", what, why);
}

/*
 * The module's init-text call of a64sc_key_mod must be its highest site:
 * only then does the last entry of its route table need a PLT in a far
 * load, so that a preparation that stops one entry early is seen
 * (mutants/routes-skip-last.patch). A layout that puts another site above
 * it fails here rather than quietly weakening the test.
 */
static void sct_check_highest_site(struct sct_case_state *c,
				   const struct sc_site *sites, int n)
{
#ifdef CONFIG_HAVE_STATIC_CALL_INLINE
	const struct static_call_site *s = THIS_MODULE->static_call_sites;
	const struct static_call_site *end = s + THIS_MODULE->num_static_call_sites;
	void *top = NULL, *init = NULL;
	int i;

	for (i = 0; i < n; i++)
		if (sites[i].mod == THIS_MODULE &&
		    within_module_init((unsigned long)sites[i].addr, THIS_MODULE))
			init = sites[i].addr;
	for (; s < end; s++)
		if (sc_site_addr(s) > top)
			top = sc_site_addr(s);
	if (!init)
		sct_case_err(c, "a64sc_key_mod: no site in this module's init text");
	else if (top != init)
		sct_case_err(c, "the module's highest site is %pS, not its init-text call %pS",
			     top, init);
#endif
}

static void sct_case_inline_sites(struct sct_case_state *c)
{
	const void *own_funcs[] = { sct_mod_b, int_sqrt, NULL,
				    (void *)__static_call_return0, sct_mod_a };
	const void *kern_funcs[] = { sct_kmod_target, NULL,
				     (void *)__static_call_return0,
				     a64sc_mod_target };
	const void *tramp_funcs[] = { sct_kmod_target, (void *)__static_call_return0,
				      a64sc_tramp_target };
	struct sc_site sites[SC_MAX_SITES];
	char what[96];
	unsigned long got, want;
	int n, mine, i, v, vw;

	n = sct_sites(c, &STATIC_CALL_KEY(sct_inl), sites, &mine);
	if (n < 0)
		return;
	if (n != 1 || mine != 1)
		sct_case_err(c, "sct_inl: %d sites, %d in this module: expected 1 and 1",
			     n, mine);
	for (i = 0; i < n; i++)
		sct_ktap_info("%s: own key site %pS (%+ld MiB from the kernel)", c->name,
			      sites[i].addr,
			      sc_distance_mib(sct_ref(), (unsigned long)sites[i].addr));
	sct_check_sites(c, "sct_inl as loaded", sites, n, sct_mod_a, SCT_TRAMP(sct_inl));
	for (i = 0; i < ARRAY_SIZE(own_funcs); i++) {
		__static_call_update(&STATIC_CALL_KEY(sct_inl), STATIC_CALL_TRAMP_ADDR(sct_inl),
				     (void *)own_funcs[i]);
		snprintf(what, sizeof(what), "sct_inl -> %ps", own_funcs[i]);
		sct_check_sites(c, what, sites, n, own_funcs[i], SCT_TRAMP(sct_inl));
		if (!own_funcs[i])
			continue;
		got = sct_inl_call(SCT_ARG);
		want = own_funcs[i] == (void *)__static_call_return0 ? 0 :
		       ((unsigned long (*)(unsigned long))own_funcs[i])(SCT_ARG);
		if (got != want)
			sct_case_err(c, "%s: call returned %#lx, expected %#lx", what, got, want);
	}

	n = sct_sites(c, &STATIC_CALL_KEY(a64sc_key_mod), sites, &mine);
	if (n < 0)
		return;
	if (n != 3 || mine != 2)
		sct_case_err(c, "a64sc_key_mod: %d sites, %d in this module: expected 3 and 2",
			     n, mine);
	sct_check_highest_site(c, sites, n);
	sct_check_sites(c, "a64sc_key_mod as loaded", sites, n, a64sc_mod_target,
			SCT_TRAMP(a64sc_key_mod));
	for (i = 0; i < ARRAY_SIZE(kern_funcs); i++) {
		static_call_update(a64sc_key_mod, (typeof(&a64sc_mod_target))kern_funcs[i]);
		snprintf(what, sizeof(what), "a64sc_key_mod -> %ps", kern_funcs[i]);
		sct_check_sites(c, what, sites, n, kern_funcs[i], SCT_TRAMP(a64sc_key_mod));
		if (!kern_funcs[i])
			continue;
		vw = kern_funcs[i] == (void *)__static_call_return0 ? 0 :
		     ((int (*)(int))kern_funcs[i])(7);
		v = sct_kmod_call(7);
		if (v != vw)
			sct_case_err(c, "%s: module site returned %d, expected %d", what, v, vw);
		v = sct_init_kmod_call(7);
		if (v != vw)
			sct_case_err(c, "%s: module init-text site returned %d, expected %d",
				     what, v, vw);
		v = a64sc_key_mod_call(7);
		if (v != vw)
			sct_case_err(c, "%s: vmlinux site returned %d, expected %d", what, v, vw);
	}

	n = sct_sites(c, a64sc_key_tramp_key(), sites, &mine);
	if (n < 0)
		return;
	if (n != 2 || mine != 1)
		sct_case_err(c, "a64sc_key_tramp: %d sites, %d in this module: expected 2 and 1",
			     n, mine);
	sct_check_sites(c, "a64sc_key_tramp as loaded", sites, n, a64sc_tramp_target,
			SCT_TRAMP(a64sc_key_tramp));
	for (i = 0; i < ARRAY_SIZE(tramp_funcs); i++) {
		a64sc_key_tramp_set((typeof(&a64sc_tramp_target))tramp_funcs[i]);
		snprintf(what, sizeof(what), "a64sc_key_tramp -> %ps", tramp_funcs[i]);
		sct_check_sites(c, what, sites, n, tramp_funcs[i], SCT_TRAMP(a64sc_key_tramp));
		vw = tramp_funcs[i] == (void *)__static_call_return0 ? 0 :
		     ((int (*)(int))tramp_funcs[i])(7);
		v = sct_ktramp_call(7);
		if (v != vw)
			sct_case_err(c, "%s: static_call_mod() site returned %d, expected %d", what,
				     v, vw);
		v = a64sc_key_tramp_call(7);
		if (v != vw)
			sct_case_err(c, "%s: vmlinux site returned %d, expected %d", what, v, vw);
	}
	sct_headline(c, SCT_TRAMP(sct_inl), (unsigned long)sct_mod_a);
}

/* ---- case: key_moving ------------------------------------------------------ */

static bool key_moving;
module_param(key_moving, bool, 0444);
MODULE_PARM_DESC(key_moving,
		 "key_moving case: the KUnit suite's key_mod_flips updates a64sc_key_mod during this load, so the case must see it move");

/*
 * The module's own call of the kernel key a64sc_key_mod, decoded and made
 * again and again while the KUnit suite's key_mod_flips may be updating the
 * key (the selftest's load_unload_updating). A sample is judged when the
 * suite's update sequence (a64sc_key_mod_seq) was even and unchanged
 * across it: no update ran, so the module's site (with inline sites) must
 * hold the instruction for the key's target, the trampoline must route to
 * it, and the call must return that target's value; a call that returned
 * the other target's value with memory right is the emulator's stale
 * translation, counted and tolerated only with emulator_stale_ok. With
 * key_moving=1 the samples must span at least one update.
 */
/* key_mod_flips moves a64sc_key_mod between two targets: the other's value. */
static int sct_key_mod_other(int (*func)(int x))
{
	if (func == a64sc_mod_target)
		return a64sc_mod_target2(SCT_ARG);
	return a64sc_mod_target(SCT_ARG);
}

static void sct_case_key_moving(struct sct_case_state *c)
{
	struct sc_site sites[SC_MAX_SITES], *own = NULL;
	unsigned long s1, s2, first = 0, last = 0, judged = 0, skipped = 0;
	unsigned long stale = 0;
	unsigned long deadline = jiffies + msecs_to_jiffies(500);
	char why[SC_TRAMP_WHY_LEN], twhy[SC_TRAMP_WHY_LEN];
	int i, n, v, want, mine;
	bool site_ok, tramp_ok;

	if (sct_inline) {
		n = sc_key_sites(&STATIC_CALL_KEY(a64sc_key_mod), sites,
				 SC_MAX_SITES);
		for (i = 0, mine = 0; i < n; i++)
			if (sites[i].mod == THIS_MODULE &&
			    !within_module_init((unsigned long)sites[i].addr,
						THIS_MODULE)) {
				own = &sites[i];
				mine++;
			}
		if (mine != 1) {
			sct_case_err(c, "a64sc_key_mod: %d sites in this module's core text, expected 1 (sct_kmod_call())",
				     mine);
			return;
		}
	}
	while (time_before(jiffies, deadline) || (key_moving && first == last)) {
		int (*func)(int x);

		if (time_after(jiffies, deadline + 10 * HZ)) {
			sct_case_err(c, "a64sc_key_mod did not move in 10 s (key_moving=1)");
			break;
		}
		/* Pairs with key_mod_flips' release: even means settled. */
		s1 = smp_load_acquire(&a64sc_key_mod_seq);
		func = READ_ONCE(STATIC_CALL_KEY(a64sc_key_mod).func);
		v = sct_kmod_call(SCT_ARG);
		site_ok = !own || sc_site_check(own, func,
						SCT_TRAMP(a64sc_key_mod), why,
						sizeof(why));
		tramp_ok = !IS_ENABLED(CONFIG_HAVE_STATIC_CALL) ||
			   sc_tramp_verify(SCT_TRAMP(a64sc_key_mod), func,
					   twhy, sizeof(twhy));
		smp_rmb(); /* the samples before the second read of seq */
		s2 = READ_ONCE(a64sc_key_mod_seq);
		if ((s1 & 1) || s1 != s2) {
			skipped++;
			cond_resched();
			continue;
		}
		if (!judged++)
			first = s1;
		last = s1;
		want = func(SCT_ARG);
		if (!site_ok) {
			sct_case_err(c, "seq %lu, target %ps: %s", s1, func, why);
			return;
		}
		if (!tramp_ok) {
			sct_case_err(c, "seq %lu, target %ps: trampoline: %s",
				     s1, func, twhy);
			return;
		}
		/*
		 * Memory routes to @func, yet the call ran the other target:
		 * a translation the emulator kept (common/sc_race.h).
		 */
		if (v != want && v == sct_key_mod_other(func)) {
			stale++;
		} else if (v != want) {
			sct_case_err(c, "seq %lu: sct_kmod_call() returned %d, target %ps returns %d",
				     s1, v, func, want);
			return;
		}
		cond_resched();
	}
	sct_ktap_info("%s: %lu samples judged, %lu skipped (update in progress), %lu updates seen, %lu stale",
		      c->name, judged, skipped, (last - first) / 2, stale);
	if (!judged)
		sct_case_err(c, "no sample was taken between two updates");
	if (stale && !emulator_stale_ok)
		sct_case_err(c, "%lu calls ran the other target while memory held the current one",
			     stale);
}

static const struct sct_case sct_cases[] = {
	{ "initial_state", sct_case_initial_state },
	{ "module_target", sct_case_module_target },
	{ "kernel_target", sct_case_kernel_target },
	{ "kernel_key", sct_case_kernel_key },
	{ "null", sct_case_null },
	{ "ret0", sct_case_ret0 },
	{ "transitions", sct_case_transitions },
	{ "stress", sct_case_stress },
	{ "kprobe_refused", sct_case_kprobe_refused },
	{ "sync", sct_case_sync },
	{ "far_target", sct_case_far_target },
	/* named only: "all" leaves it out (load_unload_updating names it) */
	{ "key_moving", sct_case_key_moving },
	/* last: "all" leaves it out on kernels without inline sites */
	{ "inline_sites", sct_case_inline_sites },
};

#define SCT_CASE_KEY_MOVING	(ARRAY_SIZE(sct_cases) - 2)

static int sct_parse_scenarios(unsigned long *mask)
{
	char *buf, *p, *tok;
	int i;

	*mask = 0;
	buf = kstrdup(scenarios ? scenarios : "all", GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	p = buf;
	while ((tok = strsep(&p, ","))) {
		tok = strim(tok);
		if (!*tok)
			continue;
		if (!strcmp(tok, "all")) {
			*mask |= GENMASK(ARRAY_SIZE(sct_cases) - 1, 0) &
				 ~BIT(SCT_CASE_KEY_MOVING);
			/*
			 * Without inline sites the inline case can only fail:
			 * it runs when named (static_call.sh's inline_load).
			 */
			if (!sct_inline)
				*mask &= ~BIT(ARRAY_SIZE(sct_cases) - 1);
			continue;
		}
		for (i = 0; i < ARRAY_SIZE(sct_cases); i++)
			if (!strcmp(tok, sct_cases[i].name))
				break;
		if (i == ARRAY_SIZE(sct_cases)) {
			pr_err("scenarios: unknown case '%s' (known: initial_state, module_target, kernel_target, kernel_key, null, ret0, transitions, stress, kprobe_refused, sync, far_target, key_moving, inline_sites, all)\n",
			       tok);
			kfree(buf);
			return -EINVAL;
		}
		*mask |= BIT(i);
	}
	kfree(buf);
	if (!*mask) {
		pr_err("scenarios: no case selected\n");
		return -EINVAL;
	}
	return 0;
}

static int __init sct_init(void)
{
	unsigned long mask;
	bool failed = false;
	int i, n = 0, ret;

	if (stress_scale > SCT_MAX_SCALE) {
		pr_err("stress_scale=%u is out of range (0..%u)\n",
		       stress_scale, SCT_MAX_SCALE);
		return -EINVAL;
	}
	ret = sct_parse_scenarios(&mask);
	if (ret)
		return ret;
	sct_init_kmod_call = sct_kmod_init_call;

	pr_info("KTAP version 1\n");
	/* Only the selected cases are planned and numbered. */
	pr_info("1..%lu\n", hweight_long(mask));
	/* No "BTI" in the text: the runner greps the log for it as a fault. */
	sct_ktap_info("config: HAVE_STATIC_CALL=%c kCFI=%c kernel bti=%c",
		      IS_ENABLED(CONFIG_HAVE_STATIC_CALL) ? 'y' : 'n',
		      SC_KCFI ? 'y' : 'n',
		      IS_ENABLED(CONFIG_ARM64_BTI_KERNEL) ? 'y' : 'n');
	sct_ktap_info("params: stress_scale=%u scenarios=%s, %u online CPUs",
		      stress_scale, scenarios ? scenarios : "all", num_online_cpus());
	sct_ktap_info("addresses: MiB from kick_all_cpus_sync (kernel text; no _stext export)");

	for (i = 0; i < ARRAY_SIZE(sct_cases); i++) {
		struct sct_case_state c = { .name = sct_cases[i].name };

		if (!(mask & BIT(i)))
			continue;
		n++;
		sct_cases[i].run(&c);
		if (c.failed) {
			failed = true;
			pr_info("not ok %d %s\n", n, c.name);
		} else if (c.skip) {
			pr_info("ok %d %s # SKIP %s\n", n, c.name, c.skip);
		} else {
			pr_info("ok %d %s\n", n, c.name);
		}
	}
	sct_init_kmod_call = NULL;	/* the init text goes away */
	return failed ? -EINVAL : 0;
}

static void __exit sct_exit(void)
{
}

module_init(sct_init);
module_exit(sct_exit);

MODULE_DESCRIPTION("Self-test for arm64 out-of-line static call trampolines in a module");
MODULE_LICENSE("GPL");
