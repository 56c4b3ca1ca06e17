// SPDX-License-Identifier: GPL-2.0
/*
 * static_call_bench: cost of a call and of an update, per call mechanism.
 *
 * Meant to run under QEMU with "-icount shift=0", where guest time advances
 * by exactly 1 ns per executed instruction: every figure below is then an
 * instruction count, the same from run to run. On real hardware the same
 * module reports nanoseconds, which mean something else (see
 * Documentation/results.md).
 *
 * Calls. Each mechanism has its own loop function, "for (; n; n--)
 * x = call(x);", timed in batches of @calls iterations with interrupts off
 * and read from the arch counter (CNTVCT_EL0, 62.5 MHz under QEMU, so one
 * tick is 16 instructions: a batch is long enough to make that negligible).
 * The minimum batch of an empty loop of the same shape is subtracted, so
 * what remains is the call, whatever the call executes on the way, the
 * callee's body and its return. All mechanisms reach the same callee,
 * scb_fn() ("x + 1"), except NULL and RET0, which reach
 * __static_call_return0(); that one is also called directly for reference.
 *
 * Updates. static_call_update() takes text_mutex and may sleep, so it runs
 * with interrupts on; each kind of update is timed @updates times and the
 * minimum and median are reported, minus the cost of reading the counter
 * twice. A tick of the arch counter is 16 instructions, so those come in
 * steps of 16; a third figure, averaged over starting points spread across
 * a tick, resolves an update to a fraction of an instruction.
 *
 * Every trampoline that is measured is decoded first with the shared
 * helpers in sc_tramp.h, and the path a call takes (direct b or literal)
 * is printed and checked. Out-of-range update targets are addresses more
 * than 128 MiB from the trampoline that are never called: the key is put
 * back on an in-range target before anything calls it.
 *
 * Output: lines prefixed "static_call_bench: SCB " in the kernel log, read
 * by kmod/run-bench.sh and scripts/stages/bench.sh:
 *	SCB meta <key> <value...>
 *	SCB tramp <id> <path> <slot insn> <distance>MiB <text...>
 *	SCB call <id> <path> <min> <median> <mean> <what...>
 *	SCB update <id> <slot> <min> <median> <fine> <what...>
 *	SCB error <text...>
 *	SCB end <ok|fail> errors=<n>
 * Call figures are per call, loop overhead subtracted, with three decimals;
 * update figures are per update, in ns (instructions under -icount).
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bpf.h>
#include <linux/irqflags.h>
#include <linux/kernel.h>
#include <linux/math64.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/prandom.h>
#include <linux/printk.h>
#include <linux/sched.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/static_call.h>
#include <linux/utsname.h>
#include <asm/arch_timer.h>

#include "sc_far.h"
#include "sc_tramp.h"
#include "sc_sites.h"

static unsigned int batches = 200;
module_param(batches, uint, 0444);
MODULE_PARM_DESC(batches, "timed batches per call mechanism (1..100000, default 200)");

static unsigned int calls = 10000;
module_param(calls, uint, 0444);
MODULE_PARM_DESC(calls, "calls per batch (100..1000000, default 10000)");

static unsigned int updates = 1000;
module_param(updates, uint, 0444);
MODULE_PARM_DESC(updates, "timed static_call_update()s per kind (1..100000, default 1000)");

#define SCB(fmt, ...)	pr_info("SCB " fmt "\n", ##__VA_ARGS__)

static unsigned int scb_errors;

#define SCB_ERR(fmt, ...)				\
	do {						\
		scb_errors++;				\
		SCB("error " fmt, ##__VA_ARGS__);	\
	} while (0)

/* ---- callees -------------------------------------------------------- */

/*
 * noinline so that every mechanism really calls them; notrace keeps any
 * patchable function entry NOPs out of the measured body. scb_fn is also
 * named by the top-level asm below, hence __used.
 */
static noinline notrace __used unsigned long scb_fn(unsigned long x)
{
	return x + 1;
}

static noinline notrace unsigned long scb_fn2(unsigned long x)
{
	return x + 2;
}

/* Only its type is used, by the NULL key. */
static noinline notrace __maybe_unused void scb_void(void)
{
}

typedef unsigned long scb_fn_t(unsigned long x);

/* ---- the keys ----------------------------------------------------------- */

/*
 * All keys belong to this module, so their trampolines are in module text;
 * the module loader gives them their direct branch when the target is in
 * range, as it is for every key here at load time.
 *   scb_in    a module function, in range: direct b
 *   scb_nu    never updated: the slot is what the module loader left
 *   scb_lit   updated at init to a copy of scb_fn mapped more than 128 MiB
 *             away (sc_far.h): out of range, so nop, ldr x16, br x16
 *   scb_null  NULL key, updated to NULL: targets __static_call_return0
 *   scb_ret0  RET0 key, updated to RET0
 *   scb_upd   the key whose updates are timed
 */
DEFINE_STATIC_CALL(scb_in, scb_fn);
DEFINE_STATIC_CALL(scb_nu, scb_fn);
DEFINE_STATIC_CALL(scb_lit, scb_fn);
DEFINE_STATIC_CALL_NULL(scb_null, scb_void);
DEFINE_STATIC_CALL_RET0(scb_ret0, scb_fn);
DEFINE_STATIC_CALL(scb_upd, scb_fn);

#ifdef CONFIG_HAVE_STATIC_CALL_INLINE
/*
 * Inline call sites: scb_inl's only site is in scb_loop_sc_inline(), which
 * must then cost exactly what scb_loop_direct() costs. scb_s<N> has N sites
 * (never executed), for the cost of an update as a function of the number
 * of sites of a key.
 */
DEFINE_STATIC_CALL(scb_inl, scb_fn);
DEFINE_STATIC_CALL(scb_s1, scb_fn);
DEFINE_STATIC_CALL(scb_s4, scb_fn);
DEFINE_STATIC_CALL(scb_s16, scb_fn);
DEFINE_STATIC_CALL(scb_s64, scb_fn);

#define SCB_MAX_SITES	64

#define SCB_SITE1(k)	(x = static_call(k)(x))
#define SCB_SITE4(k)	(SCB_SITE1(k), SCB_SITE1(k), SCB_SITE1(k), SCB_SITE1(k))
#define SCB_SITE16(k)	(SCB_SITE4(k), SCB_SITE4(k), SCB_SITE4(k), SCB_SITE4(k))
#define SCB_SITE64(k)	(SCB_SITE16(k), SCB_SITE16(k), SCB_SITE16(k), SCB_SITE16(k))

static noinline unsigned long scb_sites1(unsigned long x)
{
	SCB_SITE1(scb_s1);
	return x;
}

static noinline unsigned long scb_sites4(unsigned long x)
{
	SCB_SITE4(scb_s4);
	return x;
}

static noinline unsigned long scb_sites16(unsigned long x)
{
	SCB_SITE16(scb_s16);
	return x;
}

static noinline unsigned long scb_sites64(unsigned long x)
{
	SCB_SITE64(scb_s64);
	return x;
}
#endif

/* NULL on a kernel without CONFIG_HAVE_STATIC_CALL. */
#define SCB_TRAMP(name)	((const void *)STATIC_CALL_TRAMP_ADDR(name))

/*
 * A trampoline of mainline's shape, the comparator: always an indirect
 * branch through a literal in .rodata, reached with adrp + ldr. The entry
 * is 16-byte aligned, so the adrp is never at a page offset of 0xff8 or
 * 0xffc, where the module loader's erratum 843419 handling would rewrite
 * it.
 */
asmlinkage unsigned long scb_ml_tramp(unsigned long x);
asm(".pushsection .text, \"ax\"\n"
	"	.balign	16\n"
	"	.type	scb_ml_tramp, %function\n"
	"scb_ml_tramp:\n"
	"	hint	34	// bti c\n"
	"	adrp	x16, scb_ml_lit\n"
	"	ldr	x16, [x16, :lo12:scb_ml_lit]\n"
	"	br	x16\n"
	"	.size	scb_ml_tramp, . - scb_ml_tramp\n"
	"	.popsection\n"
	"	.pushsection .rodata, \"a\"\n"
	"	.balign	8\n"
	"	.type	scb_ml_lit, %object\n"
	"scb_ml_lit:\n"
	"	.quad	scb_fn\n"
	"	.size	scb_ml_lit, 8\n"
	"	.popsection\n");

#define SCB_INSN_PACIASP	0xd503233fU
#define SCB_INSN_ADRP_X16_MASK	0x9f00001fU
#define SCB_INSN_ADRP_X16	0x90000010U
#define SCB_INSN_LDR_X16_X16	0xf9400210U	/* ldr x16, [x16, #imm], imm masked */
#define SCB_INSN_LDR_IMM_MASK	0xffc003ffU

/* The function pointer of the indirect calls. */
static scb_fn_t *scb_fp = scb_fn;

/* ---- the timed loops ---------------------------------------------------- */

/*
 * One loop per mechanism, all of the same shape. x stays in x0 from one
 * call to the next, so an iteration is the call plus the loop's own
 * decrement and branch, which the empty loop measures.
 */
static noinline unsigned long scb_loop_empty(unsigned long n, unsigned long x)
{
	for (; n; n--)
		asm volatile("" : "+r" (x));
	return x;
}

static noinline unsigned long scb_loop_direct(unsigned long n, unsigned long x)
{
	for (; n; n--)
		x = scb_fn(x);
	return x;
}

static noinline unsigned long scb_loop_sc_in(unsigned long n, unsigned long x)
{
	for (; n; n--)
		x = static_call(scb_in)(x);
	return x;
}

#ifdef CONFIG_HAVE_STATIC_CALL_INLINE
static noinline unsigned long scb_loop_sc_inline(unsigned long n, unsigned long x)
{
	for (; n; n--)
		x = static_call(scb_inl)(x);
	return x;
}
#endif

static noinline unsigned long scb_loop_sc_nu(unsigned long n, unsigned long x)
{
	for (; n; n--)
		x = static_call(scb_nu)(x);
	return x;
}

static noinline unsigned long scb_loop_sc_lit(unsigned long n, unsigned long x)
{
	for (; n; n--)
		x = static_call(scb_lit)(x);
	return x;
}

/*
 * The far page (scb_far_setup()), the copy of scb_fn in it, and a pointer
 * to that copy.
 */
static void *scb_far;
static void *scb_far_fn;
static scb_fn_t *scb_far_fp;

static noinline __nocfi unsigned long scb_loop_far_indirect(unsigned long n,
							    unsigned long x)
{
	for (; n; n--)
		x = READ_ONCE(scb_far_fp)(x);
	return x;
}

/*
 * The BPF dispatcher, as DEFINE_BPF_DISPATCHER() in include/linux/bpf.h
 * builds it (that macro needs CONFIG_BPF_JIT, which the rig's kernels do
 * not have, so its shape is repeated here with the same condition): with
 * HAVE_STATIC_CALL the dispatcher calls a static call whose target stays
 * the out-of-line bpf_dispatcher_nop_func(), since arm64 cannot build
 * dispatcher images; without it, it calls the program directly through
 * the pointer. The program is a C function of bpf_func_t type, the loop
 * loads it from a prog-like structure as bpf_prog_run_xdp() does.
 */
#ifdef CONFIG_HAVE_STATIC_CALL
DEFINE_STATIC_CALL(scb_bpf_disp_call, bpf_dispatcher_nop_func);
#define SCB_BPF_DISPATCH(ctx, insnsi, bpf_func)				\
	static_call(scb_bpf_disp_call)(ctx, insnsi, bpf_func)
#define SCB_BPF_TRAMP	SCB_TRAMP(scb_bpf_disp_call)
#else
#define SCB_BPF_DISPATCH(ctx, insnsi, bpf_func)	bpf_func(ctx, insnsi)
#define SCB_BPF_TRAMP	NULL
#endif

static noinline __bpfcall unsigned int
scb_bpf_dispatcher_func(const void *ctx, const struct bpf_insn *insnsi,
			bpf_func_t bpf_func)
{
	return SCB_BPF_DISPATCH(ctx, insnsi, bpf_func);
}

static noinline notrace unsigned int scb_bpf_prog(const void *ctx,
						  const struct bpf_insn *insn)
{
	return (unsigned long)ctx + 1;
}

static struct {
	bpf_func_t bpf_func;
	const struct bpf_insn *insnsi;
} scb_prog = { .bpf_func = scb_bpf_prog };

static noinline unsigned long scb_loop_bpf_disp(unsigned long n,
						unsigned long x)
{
	for (; n; n--)
		x = scb_bpf_dispatcher_func((const void *)x,
					    READ_ONCE(scb_prog.insnsi),
					    READ_ONCE(scb_prog.bpf_func));
	return x;
}

static noinline unsigned long scb_loop_bpf_direct(unsigned long n,
						  unsigned long x)
{
	for (; n; n--)
		x = scb_bpf_prog((const void *)x, READ_ONCE(scb_prog.insnsi));
	return x;
}

static noinline unsigned long scb_loop_mainline(unsigned long n,
						unsigned long x)
{
	for (; n; n--)
		x = scb_ml_tramp(x);
	return x;
}

/* __nocfi: without the kCFI check even on a CONFIG_CFI_CLANG kernel. */
static noinline __nocfi unsigned long
scb_loop_indirect(unsigned long n, unsigned long x)
{
	for (; n; n--)
		x = READ_ONCE(scb_fp)(x);
	return x;
}

#if SC_KCFI
/* The same indirect call, with the type check kCFI puts before it. */
static noinline unsigned long scb_loop_indirect_kcfi(unsigned long n,
						     unsigned long x)
{
	for (; n; n--)
		x = READ_ONCE(scb_fp)(x);
	return x;
}
#endif

static noinline __maybe_unused unsigned long scb_loop_null(unsigned long n,
							   unsigned long x)
{
	for (; n; n--)
		static_call_cond(scb_null)();
	return x;
}

static noinline __maybe_unused unsigned long scb_loop_ret0(unsigned long n,
							   unsigned long x)
{
	for (; n; n--)
		x = static_call(scb_ret0)(x);
	return x;
}

static noinline unsigned long scb_loop_direct_ret0(unsigned long n,
						   unsigned long x)
{
	for (; n; n--)
		x = __static_call_return0();
	return x;
}

/* ---- timing ------------------------------------------------------------- */

static u32 scb_freq;

static u64 scb_now(void)
{
	return __arch_counter_get_cntvct();
}

/* Counter ticks, times 1000, to ns per @div operations (ns * 1000). */
static u64 scb_ticks_to_mns(u64 ticks, u64 div)
{
	return mul_u64_u64_div_u64(ticks, 1000ULL * NSEC_PER_SEC,
				   (u64)scb_freq * div);
}

static int scb_cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

struct scb_stats {
	u64 min, median, sum;	/* ticks */
	u64 fine;		/* ticks * 1000, see scb_stats() */
	unsigned int n;
};

static void scb_stats(u64 *v, unsigned int n, struct scb_stats *s)
{
	unsigned int i;

	sort(v, n, sizeof(*v), scb_cmp_u64, NULL);
	s->n = n;
	s->min = v[0];
	s->median = v[n / 2];
	s->sum = 0;
	for (i = 0; i < n; i++)
		s->sum += v[i];
	/*
	 * The mean of the samples within one tick of the minimum: a
	 * deterministic piece of code of N instructions reads as N / 16
	 * ticks rounded down or up, depending on where in a tick it starts.
	 * When the start is spread evenly over the tick (scb_dither()), the
	 * mean of those readings is N / 16, to a fraction of an instruction,
	 * while samples hit by an interrupt fall outside the window.
	 */
	s->fine = 0;
	for (i = 0; i < n && v[i] <= v[0] + 1; i++)
		s->fine += v[i];
	s->fine = div_u64(s->fine * 1000, i);
}

typedef unsigned long scb_loop_t(unsigned long n, unsigned long x);

/* Time @batches batches of @calls iterations of @loop, IRQs off in each. */
static void scb_time_loop(scb_loop_t *loop, u64 *v, struct scb_stats *s)
{
	unsigned long x = 0, flags;
	unsigned int i;
	u64 t0, t1;

	loop(calls, x);			/* warm up */
	for (i = 0; i < batches; i++) {
		local_irq_save(flags);
		t0 = scb_now();
		x = loop(calls, x);
		t1 = scb_now();
		local_irq_restore(flags);
		v[i] = t1 - t0;
		cond_resched();
	}
	scb_stats(v, batches, s);
}

/* @m (a value times 1000) as a decimal with three places, in @buf. */
static const char *scb_milli(char *buf, size_t len, s64 m)
{
	u64 a = m < 0 ? -(u64)m : m;

	snprintf(buf, len, "%s%llu.%03llu", m < 0 ? "-" : "", a / 1000,
		 a % 1000);
	return buf;
}

#define SCB_NUM_LEN	24

/* ---- call mechanisms ---------------------------------------------------- */

enum scb_want {
	SCB_WANT_NONE,		/* no trampoline of the series involved */
	SCB_WANT_DIRECT,	/* b target in the slot */
	SCB_WANT_LITERAL,	/* nop in the slot */
	SCB_WANT_ANY,		/* either, as the distance decides */
};

struct scb_call {
	const char *id;
	scb_loop_t *loop;
	const void *tramp;	/* series trampoline to decode, if any */
	enum scb_want want;
	unsigned long target;	/* where the call must end up */
	const char *path;	/* for mechanisms without a trampoline */
	const char *what;
};

static unsigned long scb_ret0_addr(void)
{
	return (unsigned long)&__static_call_return0;
}

/*
 * Decode the trampoline of @c, print it and check that it is whole and
 * goes to the expected target on the expected path. Returns the path name.
 */
static const char *scb_check_tramp(const struct scb_call *c)
{
	static char why[SC_TRAMP_WHY_LEN];
	unsigned long dest;
	struct sc_tramp t;
	enum sc_path path;

	if (c->want == SCB_WANT_NONE)
		return c->path;
	if (!c->tramp)		/* no HAVE_STATIC_CALL: key->func */
		return c->path ?: "generic";

	sc_tramp_read(c->tramp, &t);
	path = sc_tramp_dest(&t, &dest);
	if (t.layout == SC_LAYOUT_LITERAL_ONLY) {
		/* Mainline's own trampoline: always the literal path. */
		SCB("tramp %s adrp+ldr+br literal %ps, calls go to %ps",
		    c->id, (void *)(unsigned long)t.literal, (void *)dest);
		if (!sc_tramp_check_slot(&t, c->target, 0, why, sizeof(why)))
			SCB_ERR("%s: trampoline: %s", c->id, why);
		return "adrp+ldr+br";
	}
	SCB("tramp %s %s 0x%08x %ldMiB literal %ps, calls go to %ps",
	    c->id, path == SC_PATH_DIRECT ? "b" : "nop", t.insn[1],
	    sc_distance_mib(t.addr + SC_SLOT_OFFSET, c->target),
	    (void *)(unsigned long)t.literal, (void *)dest);
	if (!sc_tramp_check_slot(&t, c->target, t.insn[1], why, sizeof(why)))
		SCB_ERR("%s: trampoline: %s", c->id, why);
	if (path == SC_PATH_BAD || dest != c->target)
		SCB_ERR("%s: calls go to %ps, not %ps", c->id, (void *)dest,
			(void *)c->target);
	if ((c->want == SCB_WANT_DIRECT && path != SC_PATH_DIRECT) ||
	    (c->want == SCB_WANT_LITERAL && path != SC_PATH_LITERAL))
		SCB_ERR("%s: expected the %s path, the slot holds 0x%08x",
			c->id, c->want == SCB_WANT_DIRECT ? "direct b" :
			"literal", t.insn[1]);
	if (path == SC_PATH_DIRECT)
		return "b";
	return t.layout == SC_LAYOUT_SLOT_ADRP ? "nop+adrp+ldr+br" : "unknown";
}

/*
 * The mainline-shape trampoline: check its four instructions and decode
 * adrp + ldr to find the literal, which must hold scb_fn.
 */
static void scb_check_mainline(void)
{
	unsigned long pc = (unsigned long)scb_ml_tramp, lit;
	const __le32 *p = (const __le32 *)pc;
	u32 insn[4];
	s64 page;
	int i;

	for (i = 0; i < ARRAY_SIZE(insn); i++)
		insn[i] = le32_to_cpu(READ_ONCE(p[i]));
	if (insn[0] != SC_INSN_BTI_C ||
	    (insn[1] & SCB_INSN_ADRP_X16_MASK) != SCB_INSN_ADRP_X16 ||
	    (insn[2] & SCB_INSN_LDR_IMM_MASK) != SCB_INSN_LDR_X16_X16 ||
	    insn[3] != SC_INSN_BR_X16) {
		SCB_ERR("mainline: unexpected instructions %08x %08x %08x %08x",
			insn[0], insn[1], insn[2], insn[3]);
		return;
	}
	/* adrp: immhi (bits 23:5) and immlo (bits 30:29), in pages. */
	page = sign_extend64((((insn[1] >> 5) & 0x7ffff) << 2) |
			     ((insn[1] >> 29) & 3), 20);
	lit = ((pc + 4) & ~0xfffUL) + page * SZ_4K;
	/* ldr (unsigned offset): imm12 (bits 21:10), scaled by 8. */
	lit += ((insn[2] >> 10) & 0xfff) * 8;
	SCB("tramp mainline adrp+ldr+br 0x%08x %ldMiB literal at +0x%lx, calls go to %ps",
	    insn[1], sc_distance_mib(pc + 4, lit), lit - pc,
	    (void *)READ_ONCE(*(const unsigned long *)lit));
	if (READ_ONCE(*(const unsigned long *)lit) != (unsigned long)scb_fn)
		SCB_ERR("mainline: literal does not hold scb_fn");
}

/* One "call" line: per call figures of @s minus those of @base. */
static void scb_print_call(const char *id, const char *path,
			   const struct scb_stats *s,
			   const struct scb_stats *base, const char *what)
{
	u64 all = (u64)calls * batches;
	char lo[SCB_NUM_LEN], med[SCB_NUM_LEN], mean[SCB_NUM_LEN];

	scb_milli(lo, sizeof(lo), (s64)scb_ticks_to_mns(s->min, calls) -
		  (s64)scb_ticks_to_mns(base->min, calls));
	scb_milli(med, sizeof(med), (s64)scb_ticks_to_mns(s->median, calls) -
		  (s64)scb_ticks_to_mns(base->median, calls));
	scb_milli(mean, sizeof(mean), (s64)scb_ticks_to_mns(s->sum, all) -
		  (s64)scb_ticks_to_mns(base->sum, all));
	SCB("call %s %s %s %s %s %s", id, path, lo, med, mean, what);
}

#ifdef CONFIG_HAVE_STATIC_CALL_INLINE
/* @key has @want sites, in this module, each a direct bl to @func. */
static void scb_check_sites(struct static_call_key *key, const char *name,
			    void *func, int want)
{
	static char why[SC_TRAMP_WHY_LEN];
	struct sc_site *sites;
	int n, i;

	sites = kcalloc(SCB_MAX_SITES, sizeof(*sites), GFP_KERNEL);
	if (!sites)
		return;
	n = sc_key_sites(key, sites, SCB_MAX_SITES);
	if (n != want)
		SCB_ERR("%s: %d sites, expected %d", name, n, want);
	for (i = 0; i < n; i++) {
		if (sites[i].mod != THIS_MODULE)
			SCB_ERR("%s: site %pS not in this module", name, sites[i].addr);
		if (!sc_b_in_range((unsigned long)sites[i].addr, (unsigned long)func) ||
		    !sc_site_check(&sites[i], func, NULL, why, sizeof(why)))
			SCB_ERR("%s: not a direct bl to %ps: %s", name, func, why);
	}
	if (n > 0)
		SCB("sites %s %d first %pS 0x%08x", name, n, sites[0].addr,
		    le32_to_cpu(READ_ONCE(*(__le32 *)sites[0].addr)));
	kfree(sites);
}
#endif

static int scb_run_calls(void)
{
	const struct scb_call list[] = {
		{ "direct", scb_loop_direct, NULL, SCB_WANT_NONE,
		  (unsigned long)scb_fn, "bl",
		  "direct bl to the function (the limit)" },
		{ "sc_in", scb_loop_sc_in, SCB_TRAMP(scb_in), SCB_WANT_DIRECT,
		  (unsigned long)scb_fn, NULL,
		  "static_call(), target in range (b)" },
#ifdef CONFIG_HAVE_STATIC_CALL_INLINE
		{ "sc_inline", scb_loop_sc_inline, NULL, SCB_WANT_NONE,
		  (unsigned long)scb_fn, "bl(site)",
		  "static_call() with inline sites: the site is bl scb_fn" },
#endif
		{ "sc_never", scb_loop_sc_nu, SCB_TRAMP(scb_nu), SCB_WANT_DIRECT,
		  (unsigned long)scb_fn, NULL,
		  "static_call() of a module key never updated (as loaded)" },
		{ "sc_out", scb_loop_sc_lit, SCB_TRAMP(scb_lit),
		  SCB_WANT_LITERAL, (unsigned long)scb_far_fn, NULL,
		  "static_call(), target a copy of scb_fn >128 MiB away (nop + literal path)" },
		{ "far_indirect", scb_loop_far_indirect, NULL, SCB_WANT_NONE,
		  (unsigned long)scb_far_fn, "ldr+blr",
		  "indirect call to the far copy of scb_fn, no CFI check" },
		{ "mainline", scb_loop_mainline, NULL, SCB_WANT_NONE,
		  (unsigned long)scb_fn, "adrp+ldr+br",
		  "mainline-shape trampoline (adrp; ldr; br x16)" },
		{ "indirect", scb_loop_indirect, NULL, SCB_WANT_NONE,
		  (unsigned long)scb_fn, "ldr+blr",
		  "indirect call through a pointer, no CFI check" },
#if SC_KCFI
		{ "indirect_kcfi", scb_loop_indirect_kcfi, NULL, SCB_WANT_NONE,
		  (unsigned long)scb_fn, "ldr+kcfi+blr",
		  "indirect call through a pointer, kCFI-checked" },
#endif
#if defined(CONFIG_HAVE_STATIC_CALL) || !SC_KCFI
		/*
		 * Without the series a kCFI kernel fails the type check on
		 * every one of these calls (the bug the series fixes): not
		 * timed there.
		 */
		{ "null", scb_loop_null, SCB_TRAMP(scb_null), SCB_WANT_ANY,
		  scb_ret0_addr(), NULL,
		  "static_call_cond() on a NULL key (-> __static_call_return0)" },
		{ "ret0", scb_loop_ret0, SCB_TRAMP(scb_ret0), SCB_WANT_ANY,
		  scb_ret0_addr(), NULL,
		  "static_call() on a RET0 key (-> __static_call_return0)" },
#endif
		{ "direct_ret0", scb_loop_direct_ret0, NULL, SCB_WANT_NONE,
		  scb_ret0_addr(), "bl",
		  "direct bl to __static_call_return0 (limit for null/ret0)" },
		{ "bpf_disp", scb_loop_bpf_disp, SCB_BPF_TRAMP, SCB_WANT_DIRECT,
		  (unsigned long)&bpf_dispatcher_nop_func, "bl+blr",
		  "BPF dispatcher shape: bl dispatcher, then static call or indirect" },
		{ "bpf_direct", scb_loop_bpf_direct, NULL, SCB_WANT_NONE,
		  (unsigned long)scb_bpf_prog, "bl",
		  "direct bl to the BPF program (the limit for bpf_disp)" },
	};
	struct scb_stats empty, s;
	unsigned int i;
	u64 *v;

	v = kcalloc(batches, sizeof(*v), GFP_KERNEL);
	if (!v)
		return -ENOMEM;

	scb_time_loop(scb_loop_empty, v, &empty);
	memset(&s, 0, sizeof(s));
	scb_print_call("empty", "loop", &empty, &s,
		       "loop overhead per iteration (subtracted below)");

#ifdef CONFIG_HAVE_STATIC_CALL_INLINE
	scb_check_sites(&STATIC_CALL_KEY(scb_inl), "scb_inl", scb_fn, 1);
#endif
	for (i = 0; i < ARRAY_SIZE(list); i++) {
		const struct scb_call *c = &list[i];
		const char *path = scb_check_tramp(c);

		scb_time_loop(c->loop, v, &s);
		scb_print_call(c->id, path, &s, &empty, c->what);
	}
	kfree(v);
	return 0;
}

/* ---- updates ------------------------------------------------------------ */

static u32 scb_upd_slot(void)
{
	const void *tramp = SCB_TRAMP(scb_upd);
	struct sc_tramp t;

	if (!tramp)
		return 0;
	sc_tramp_read(tramp, &t);
	return t.insn[1];
}

static const char *scb_slot_kind(u32 slot)
{
	return sc_insn_is_b(slot) ? "b" : slot == SC_INSN_NOP ? "nop" : "-";
}

/*
 * Updates are timed with the arch counter like the calls, one update at a
 * time, so their figures come in steps of one tick (16 instructions under
 * QEMU). QEMU's PMU instruction counter does not help here: under TCG it
 * only advances when the vCPU leaves a translation block for I/O, so it
 * misses most of what runs between two reads.
 */
static u64 scb_stamp(void)
{
	return scb_now();
}

/* A difference of two stamps in ns (instructions under -icount). */
static u64 scb_stamp_units(u64 d)
{
	return scb_ticks_to_mns(d, 1) / 1000;
}

/*
 * Run 2 * (d / 2) + (d & 1) = d more instructions than for d = 0, to move
 * the start of the next timed update to a different point in a tick.
 */
static noinline void scb_dither(unsigned int d)
{
	unsigned int k;

	if (d & 1)
		asm volatile("nop");
	for (k = d / 2; k; k--)
		asm volatile("");
}

static struct rnd_state scb_rnd;

static unsigned int scb_next_dither(void)
{
	return prandom_u32_state(&scb_rnd) & 15;
}

static u64 scb_time_update(scb_fn_t *func)
{
	u64 t0, t1;

	scb_dither(scb_next_dither());

	t0 = scb_stamp();
	static_call_update(scb_upd, func);
	t1 = scb_stamp();
	return t1 - t0;
}

enum scb_upd_target { SCB_A, SCB_B, SCB_FAR1, SCB_FAR2, SCB_NR_UPD };

static const struct scb_update {
	const char *id;
	enum scb_upd_target from, to;
	const char *what;
} scb_update_kinds[] = {
	{ "same", SCB_A, SCB_A,
	  "same target again (literal rewritten, slot kept)" },
	{ "in_in", SCB_A, SCB_B, "in range -> in range (literal, b -> b)" },
	{ "in_out", SCB_A, SCB_FAR1,
	  "in range -> out of range (literal, b -> nop)" },
	{ "out_in", SCB_FAR1, SCB_A,
	  "out of range -> in range (literal, nop -> b)" },
	{ "out_out", SCB_FAR1, SCB_FAR2,
	  "out -> out: literal only, like mainline's update" },
};

/* Time @updates updates of scb_upd from @u->from to @u->to, print them. */
static void scb_time_kind(const struct scb_update *u, scb_fn_t **tgt, u64 *v,
			  const struct scb_stats *clock)
{
	unsigned long tramp = (unsigned long)SCB_TRAMP(scb_upd);
	u32 before = 0, after = 0;
	char slot[16], fine[SCB_NUM_LEN];
	struct scb_stats s;
	unsigned int i;

	for (i = 0; i < updates; i++) {
		static_call_update(scb_upd, tgt[u->from]);
		before = scb_upd_slot();
		v[i] = scb_time_update(tgt[u->to]);
		after = scb_upd_slot();
	}
	/* Back in range before anything could call it. */
	static_call_update(scb_upd, scb_fn);
	scb_stats(v, updates, &s);
	if (tramp)
		snprintf(slot, sizeof(slot), "%s->%s", scb_slot_kind(before),
			 scb_slot_kind(after));
	else
		strscpy(slot, "generic", sizeof(slot));
	scb_milli(fine, sizeof(fine),
		  (s64)scb_ticks_to_mns(s.fine, 1000) -
		  (s64)scb_ticks_to_mns(clock->fine, 1000));
	SCB("update %s %s %llu %llu %s %s", u->id, slot,
	    scb_stamp_units(s.min - clock->min),
	    scb_stamp_units(s.median - clock->min), fine, u->what);
}

#ifdef CONFIG_HAVE_STATIC_CALL_INLINE
/*
 * An in range -> in range update of a key with 1, 4, 16 and 64 inline
 * sites: the trampoline's slot and every site are rewritten, each followed
 * by an IPI to the other CPUs (none here with one vCPU).
 */
static void scb_time_sites(u64 *v, const struct scb_stats *clock)
{
	static const struct {
		const char *id;
		struct static_call_key *key;
		void *tramp;
		int sites;
	} k[] = {
		{ "sites1", &STATIC_CALL_KEY(scb_s1), STATIC_CALL_TRAMP_ADDR(scb_s1), 1 },
		{ "sites4", &STATIC_CALL_KEY(scb_s4), STATIC_CALL_TRAMP_ADDR(scb_s4), 4 },
		{ "sites16", &STATIC_CALL_KEY(scb_s16), STATIC_CALL_TRAMP_ADDR(scb_s16), 16 },
		{ "sites64", &STATIC_CALL_KEY(scb_s64), STATIC_CALL_TRAMP_ADDR(scb_s64), 64 },
	};
	char fine[SCB_NUM_LEN], what[64];
	struct scb_stats s;
	unsigned int i, j;
	u64 t0;

	/* Keep the callers: their sites are what is updated. */
	if (scb_sites1(0) + scb_sites4(0) + scb_sites16(0) + scb_sites64(0) != 85)
		SCB_ERR("sites: the callers returned a wrong sum");
	for (j = 0; j < ARRAY_SIZE(k); j++) {
		scb_check_sites(k[j].key, k[j].id, scb_fn, k[j].sites);
		for (i = 0; i < updates; i++) {
			__static_call_update(k[j].key, k[j].tramp, scb_fn);
			scb_dither(scb_next_dither());
			t0 = scb_stamp();
			__static_call_update(k[j].key, k[j].tramp, scb_fn2);
			v[i] = scb_stamp() - t0;
		}
		__static_call_update(k[j].key, k[j].tramp, scb_fn);
		scb_stats(v, updates, &s);
		scb_milli(fine, sizeof(fine),
			  (s64)scb_ticks_to_mns(s.fine, 1000) -
			  (s64)scb_ticks_to_mns(clock->fine, 1000));
		snprintf(what, sizeof(what), "in range -> in range, key with %d inline sites",
			 k[j].sites);
		SCB("update %s b->b %llu %llu %s %s", k[j].id,
		    scb_stamp_units(s.min - clock->min),
		    scb_stamp_units(s.median - clock->min), fine, what);
	}
}
#endif

static int scb_run_updates(void)
{
	unsigned long tramp = (unsigned long)SCB_TRAMP(scb_upd);
	static char why[SC_TRAMP_WHY_LEN];
	scb_fn_t *tgt[SCB_NR_UPD];
	unsigned long far1, far2;
	struct scb_stats clock;
	unsigned int i;
	u64 *v;

	/*
	 * Two 4-byte aligned addresses 1 GiB past the trampoline: far out of
	 * b range, never called (see the top of the file).
	 */
	far1 = ALIGN(tramp ?: (unsigned long)scb_fn, SZ_4K) + SZ_1G;
	far2 = far1 + SZ_4K;
	if (tramp && (sc_b_in_range(sc_slot_addr((void *)tramp), far1) ||
		      sc_b_in_range(sc_slot_addr((void *)tramp), far2))) {
		SCB_ERR("updates: far targets are in b range");
		return 0;
	}
	SCB("meta far_target %ldMiB from the scb_upd trampoline",
	    sc_distance_mib(tramp, far1));
	tgt[SCB_A] = scb_fn;
	tgt[SCB_B] = scb_fn2;
	tgt[SCB_FAR1] = (scb_fn_t *)far1;
	tgt[SCB_FAR2] = (scb_fn_t *)far2;

	v = kcalloc(updates, sizeof(*v), GFP_KERNEL);
	if (!v)
		return -ENOMEM;

	/* The cost of the two counter reads around each update. */
	prandom_seed_state(&scb_rnd, 0x5c5c5c5c);
	for (i = 0; i < updates; i++) {
		u64 t0;

		scb_dither(scb_next_dither());
		t0 = scb_stamp();
		v[i] = scb_stamp() - t0;
	}
	scb_stats(v, updates, &clock);
	SCB("meta update_overhead %llu (two counter reads), subtracted",
	    scb_stamp_units(clock.min));

	for (i = 0; i < ARRAY_SIZE(scb_update_kinds); i++)
		scb_time_kind(&scb_update_kinds[i], tgt, v, &clock);
#ifdef CONFIG_HAVE_STATIC_CALL_INLINE
	scb_time_sites(v, &clock);
#endif
	kfree(v);

	if (tramp && !sc_tramp_verify((void *)tramp, scb_fn, why, sizeof(why)))
		SCB_ERR("scb_upd after the updates: %s", why);
	return 0;
}

/* ---- far code ----------------------------------------------------------- */

/* Branches, conditional branches, cbz/tbz, adr/adrp, ldr (literal). */
static bool scb_insn_pc_relative(u32 insn)
{
	return (insn & 0x7c000000U) == 0x14000000U ||
	       (insn & 0xff000010U) == 0x54000000U ||
	       (insn & 0x7e000000U) == 0x34000000U ||
	       (insn & 0x7e000000U) == 0x36000000U ||
	       (insn & 0x1f000000U) == 0x10000000U ||
	       (insn & 0x3b000000U) == 0x18000000U;
}

/*
 * Put a copy of scb_fn (its instructions up to its ret, none of them
 * PC-relative) more than 128 MiB away (sc_far.h) and aim scb_lit at it:
 * the literal path, taken because the target really is out of range, with
 * the same callee body as every other row.
 */
static int scb_far_setup(void)
{
	const __le32 *fn = (const __le32 *)scb_fn;
	const void *tramp = SCB_TRAMP(scb_lit);
	unsigned int i, pre;
	int ret;

	for (i = 0; i < 16; i++) {
		u32 insn = le32_to_cpu(READ_ONCE(fn[i]));

		if (scb_insn_pc_relative(insn)) {
			SCB_ERR("far: scb_fn+%u is PC-relative (0x%08x), cannot copy it",
				4 * i, insn);
			return -EINVAL;
		}
		if (insn == SC_INSN_RET)
			break;
	}
	if (i == 16) {
		SCB_ERR("far: no ret in the first 16 instructions of scb_fn");
		return -EINVAL;
	}
	/* The far page is guarded under kernel BTI: br x16 needs a pad. */
	if (IS_ENABLED(CONFIG_ARM64_BTI_KERNEL) &&
	    le32_to_cpu(fn[0]) != SC_INSN_BTI_C &&
	    le32_to_cpu(fn[0]) != SCB_INSN_PACIASP) {
		SCB_ERR("far: scb_fn starts with 0x%08x, no landing pad for br x16",
			le32_to_cpu(fn[0]));
		return -EINVAL;
	}
	/*
	 * With kCFI, copy the 4-byte type hash before scb_fn too: the
	 * generic static_call() of an unpatched kCFI kernel is a checked
	 * indirect call, which reads it at the target minus 4.
	 */
	pre = SC_KCFI ? 1 : 0;
	ret = sc_far_alloc(fn - pre, 4 * (pre + i + 1), &scb_far);
	if (ret) {
		SCB_ERR("far: no far executable memory for the copy of scb_fn: %d%s",
			ret, ret == -ENOENT ?
			" (a64sc_far_code_alloc() missing: not a rig kernel)" : "");
		return ret;
	}
	SCB("meta far_code %u instructions of scb_fn copied to %ldMiB from the scb_lit trampoline",
	    i + 1, sc_distance_mib((unsigned long)(tramp ?: (void *)scb_fn),
				   (unsigned long)scb_far));
	scb_far_fn = scb_far + 4 * pre;
	if (tramp && sc_b_in_range(sc_slot_addr(tramp), (unsigned long)scb_far_fn)) {
		SCB_ERR("far: the copy of scb_fn is within b range of scb_lit");
		sc_far_free(scb_far);
		scb_far = NULL;
		return -ERANGE;
	}
	scb_far_fp = scb_far_fn;
	static_call_update(scb_lit, (scb_fn_t *)scb_far_fn);
	return 0;
}

static void scb_far_teardown(void)
{
	if (!scb_far)
		return;
	static_call_update(scb_lit, scb_fn);
	WRITE_ONCE(scb_far_fp, NULL);
	sc_far_free(scb_far);
	scb_far = NULL;
	scb_far_fn = NULL;
}

/* ---- init --------------------------------------------------------------- */

/*
 * The design the running kernel carries, read from code rather than from
 * the configuration (the hardware kit's run.sh reports it): no
 * trampolines at all (generic static calls: indirect calls), mainline's
 * literal-only trampoline, the series' slot trampoline, and on top of it
 * inline sites when this module's own site is a direct bl to its target.
 */
static const char *scb_design(void)
{
#ifdef CONFIG_HAVE_STATIC_CALL
	struct sc_tramp t;

#ifdef CONFIG_HAVE_STATIC_CALL_INLINE
	static char why[SC_TRAMP_WHY_LEN];
	struct sc_site site;

	if (sc_key_sites(&STATIC_CALL_KEY(scb_inl), &site, 1) == 1 &&
	    sc_site_check(&site, scb_fn, NULL, why, sizeof(why)))
		return "inline";
#endif
	sc_tramp_read(SCB_TRAMP(scb_in), &t);
	if (t.layout == SC_LAYOUT_LITERAL_ONLY)
		return "mainline";
	if (t.layout == SC_LAYOUT_SLOT_ADRP)
		return "slot";
	return "unknown";
#else
	return "indirect";
#endif
}

static void scb_meta(void)
{
	SCB("meta kernel %s %s", init_utsname()->release,
	    init_utsname()->version);
	SCB("meta compiler %s", CONFIG_CC_VERSION_TEXT);
	SCB("meta cfi %s", SC_KCFI ? "kcfi" : "none");
	SCB("meta kernel_bti %s",
	    IS_ENABLED(CONFIG_ARM64_BTI_KERNEL) ? "y" : "n");
	SCB("meta static_call %s",
	    IS_ENABLED(CONFIG_HAVE_STATIC_CALL) ? "arch trampolines" :
	    "generic (no CONFIG_HAVE_STATIC_CALL)");
	SCB("meta design %s", scb_design());
	SCB("meta cntfrq %u", scb_freq);
	SCB("meta batches %u", batches);
	SCB("meta calls_per_batch %u", calls);
	SCB("meta updates_per_kind %u", updates);
	SCB("meta units ns (instructions under -icount shift=0)");
}

static int __init scb_init(void)
{
	int ret;

	if (!batches || batches > 100000 || calls < 100 || calls > 1000000 ||
	    !updates || updates > 100000) {
		pr_err("batches=%u calls=%u updates=%u: out of range (1..100000, 100..1000000, 1..100000)\n",
		       batches, calls, updates);
		return -EINVAL;
	}
	scb_freq = arch_timer_get_cntfrq();
	if (!scb_freq) {
		pr_err("CNTFRQ_EL0 is 0\n");
		return -ENODEV;
	}
	scb_errors = 0;
	scb_meta();

	/* Put each key in the state it is measured in. */
	static_call_update(scb_in, scb_fn);
	static_call_update(scb_null, NULL);
	static_call_update(scb_ret0, (scb_fn_t *)(void *)&__static_call_return0);
	scb_check_mainline();
	ret = scb_far_setup();
	if (ret) {
		SCB("end fail errors=%u", scb_errors);
		return ret;
	}

	ret = scb_run_calls();
	if (!ret)
		ret = scb_run_updates();
	if (ret)
		SCB_ERR("out of memory");
	SCB("end %s errors=%u", scb_errors ? "fail" : "ok", scb_errors);
	if (scb_errors) {
		scb_far_teardown();
		return -EINVAL;
	}
	return 0;
}

static void __exit scb_exit(void)
{
	scb_far_teardown();
}

module_init(scb_init);
module_exit(scb_exit);

MODULE_DESCRIPTION("arm64 static call benchmark: instructions per call and per update");
MODULE_LICENSE("GPL");
