// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite "arm64_static_call": out-of-line static call trampolines on
 * arm64 (CONFIG_HAVE_STATIC_CALL).
 *
 * The suite is built into the kernel because the out-of-range cases need
 * executable memory more than 128 MiB away from the kernel image, which
 * only __vmalloc_node_range() (not exported to modules) can provide.
 *
 * It also builds on a kernel without the series: STATIC_CALL_TRAMP_ADDR()
 * is NULL there, and every case that needs a trampoline fails with
 * SC_NO_TRAMP_MSG instead of passing vacuously. The generic cases
 * (query_consistency, cfi_ret0, perf_guest_state) run on both; on an
 * unpatched kCFI kernel the last two provoke the "CFI failure" reports that
 * the series removes.
 *
 * Kernel parameters: arm64_static_call_kunit.stress_scale=N (default 1)
 * multiplies the work of the concurrency case; 0 skips it.
 * arm64_static_call_kunit.race_calls=C (default 10^8) is its minimum number
 * of calls per unit.
 * arm64_static_call_kunit.emulator_stale_ok=1 tolerates (and reports) the
 * stale calls of the concurrency case that only an emulator makes: see
 * common/sc_race.h. The rig sets it under QEMU's multi-threaded TCG.
 */

#include <kunit/test.h>
#include <linux/jiffies.h>
#include <linux/kallsyms.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/numa.h>
#include <linux/percpu.h>
#include <linux/perf_event.h>
#include <linux/rcupdate.h>
#include <linux/set_memory.h>
#include <linux/sizes.h>
#include <linux/static_call.h>
#include <linux/string.h>
#include <linux/vmalloc.h>
#include <asm/cacheflush.h>
#include <asm/sections.h>

#include "sc_far.h"
#include "sc_tramp.h"
#include "sc_race.h"
#include "sc_sync.h"
#include "sc_sites.h"

static unsigned int stress_scale = 1;
module_param(stress_scale, uint, 0444);
MODULE_PARM_DESC(stress_scale,
		 "concurrency case: at least 10^8*N calls and 1000*N updates (0: skip)");

static unsigned long race_calls = 100000000UL;
module_param(race_calls, ulong, 0444);
MODULE_PARM_DESC(race_calls,
		 "concurrency case: minimum calls per stress_scale unit (default 10^8; the debug kernels of make matrix use fewer)");

static bool emulator_stale_ok;
module_param(emulator_stale_ok, bool, 0444);
MODULE_PARM_DESC(emulator_stale_ok,
		 "concurrency case: count and report, but tolerate, stale calls (QEMU multi-threaded TCG keeps stale translations; never on hardware)");

/* Concurrency case: give up well before KUnit's own 300 s timeout. */
#define A64SC_RACE_TIMEOUT	(240 * HZ)

#define A64SC_ARG	7
#define A64SC_A_ADD	1000
#define A64SC_B_ADD	2000
#define A64SC_C_ADD	4000
#define A64SC_FAR_VAL	3000	/* returned by the far function */

typedef int a64sc_fn_t(int x);

static int a64sc_a(int x)
{
	return x + A64SC_A_ADD;
}

static int a64sc_b(int x)
{
	return x + A64SC_B_ADD;
}

static int a64sc_c(int x)
{
	return x + A64SC_C_ADD;
}

static int a64sc_counter;

static int a64sc_counting(int x)
{
	WRITE_ONCE(a64sc_counter, READ_ONCE(a64sc_counter) + 1);
	return x + A64SC_A_ADD;
}

static int a64sc_add(int x, int y)
{
	return x + y;
}

struct a64sc_obj {
	long val;
};

static long a64sc_obj_len(const struct a64sc_obj *obj, const char *s)
{
	return obj->val + strlen(s);
}

/* Prototypes other than long (void), for the RET0/NULL kCFI case. */
typedef unsigned int a64sc_uint_fn_t(void);
typedef int a64sc_ptr_fn_t(struct a64sc_obj *obj, unsigned long n);
typedef void a64sc_void_fn_t(struct a64sc_obj *obj, unsigned long n);

/* One key per case, so a failing case cannot leave another one a key. */
DEFINE_STATIC_CALL(a64sc_key_in_range, a64sc_a);
DEFINE_STATIC_CALL(a64sc_key_oor, a64sc_a);
DEFINE_STATIC_CALL_NULL(a64sc_key_null, a64sc_counting);
DEFINE_STATIC_CALL_RET0(a64sc_key_ret0_int, a64sc_add);
DEFINE_STATIC_CALL_RET0(a64sc_key_ret0_ptr, a64sc_obj_len);
DEFINE_STATIC_CALL(a64sc_key_trans, a64sc_a);
DEFINE_STATIC_CALL(a64sc_key_query, a64sc_a);
DEFINE_STATIC_CALL(a64sc_key_tail, a64sc_a);
DEFINE_STATIC_CALL(a64sc_key_bad, a64sc_a);
DEFINE_STATIC_CALL(a64sc_key_race, a64sc_a);
DEFINE_STATIC_CALL(a64sc_key_sync, a64sc_a);
DEFINE_STATIC_CALL(a64sc_key_edge, a64sc_a);
DEFINE_STATIC_CALL_RET0(a64sc_key_cfi_uint, a64sc_uint_fn_t);
DEFINE_STATIC_CALL_RET0(a64sc_key_cfi_ptr, a64sc_ptr_fn_t);
DEFINE_STATIC_CALL_RET0(a64sc_key_cfi_ptr_null, a64sc_ptr_fn_t);
DEFINE_STATIC_CALL_NULL(a64sc_key_cfi_void, a64sc_void_fn_t);

/* Every call below is a direct call to the key's trampoline. */
static int a64sc_key_in_range_call(int x)
{
	return static_call(a64sc_key_in_range)(x);
}

static int a64sc_key_oor_call(int x)
{
	return static_call(a64sc_key_oor)(x);
}

/* Only valid with the series, where a NULL key returns 0. */
static int a64sc_key_null_call(int x)
{
	return static_call(a64sc_key_null)(x);
}

static int a64sc_key_trans_call(int x)
{
	return static_call(a64sc_key_trans)(x);
}

static int a64sc_key_query_call(int x)
{
	return static_call(a64sc_key_query)(x);
}

static int a64sc_key_tail_call(int x)
{
	return static_call(a64sc_key_tail)(x);
}

static int a64sc_key_bad_call(int x)
{
	return static_call(a64sc_key_bad)(x);
}

static int a64sc_key_race_call(int x)
{
	return static_call(a64sc_key_race)(x);
}

static int a64sc_key_sync_call(int x)
{
	return static_call(a64sc_key_sync)(x);
}

/* A static call of type a64sc_fn_t, for the table-driven helpers. */
struct a64sc_key {
	const char *name;
	struct static_call_key *key;
	void *tramp;		/* NULL without CONFIG_HAVE_STATIC_CALL */
	int (*call)(int x);
};

#define A64SC_KEY(k)						\
	{ .name = #k, .key = &STATIC_CALL_KEY(k),		\
	  .tramp = STATIC_CALL_TRAMP_ADDR(k), .call = k##_call }

static const struct a64sc_key a64sc_in_range_key = A64SC_KEY(a64sc_key_in_range);
static const struct a64sc_key a64sc_oor_key = A64SC_KEY(a64sc_key_oor);
static const struct a64sc_key a64sc_null_key = A64SC_KEY(a64sc_key_null);
static const struct a64sc_key a64sc_trans_key = A64SC_KEY(a64sc_key_trans);
static const struct a64sc_key a64sc_query_key = A64SC_KEY(a64sc_key_query);
static const struct a64sc_key a64sc_tail_key = A64SC_KEY(a64sc_key_tail);
static const struct a64sc_key a64sc_bad_key = A64SC_KEY(a64sc_key_bad);
static const struct a64sc_key a64sc_race_key = A64SC_KEY(a64sc_key_race);
static const struct a64sc_key a64sc_sync_key = A64SC_KEY(a64sc_key_sync);

/* static_call_update() of a table key; @func is a a64sc_fn_t or NULL. */
static void a64sc_set(const struct a64sc_key *k, void *func)
{
	__static_call_update(k->key, k->tramp, func);
}

/* Arch-specific cases stop here, failing, on a kernel without the series. */
static void a64sc_require(struct kunit *test, const void *tramp)
{
	KUNIT_ASSERT_NOT_NULL_MSG(test, tramp, SC_NO_TRAMP_MSG);
}

/*
 * Cases about the direct-branch slot stop here, failing, on a kernel with
 * trampolines but no slot (mainline's literal-only ones).
 */
static void a64sc_require_slot(struct kunit *test, const void *tramp)
{
	a64sc_require(test, tramp);
	KUNIT_ASSERT_TRUE_MSG(test, sc_tramp_has_slot(tramp), SC_NO_SLOT_MSG);
}

static void a64sc_expect_tramp(struct kunit *test, const char *ctx,
			       const char *name, const void *tramp,
			       const void *func)
{
	char why[SC_TRAMP_WHY_LEN];

	if (!sc_tramp_verify(tramp, func, why, sizeof(why)))
		KUNIT_FAIL(test, "%s: trampoline of %s: %s", ctx, name, why);
}

/*
 * After @k was set to @func: static_call_query() must return @func, the
 * trampoline must target @func (NULL: __static_call_return0), and a call
 * with A64SC_ARG must return @expect. The call is only made if the
 * trampoline is right, so a broken one is reported rather than jumped to.
 */
static void a64sc_check(struct kunit *test, const char *ctx,
			const struct a64sc_key *k, void *func, int expect)
{
	char why[SC_TRAMP_WHY_LEN];
	void *seen = READ_ONCE(k->key->func);
	int got;

	KUNIT_EXPECT_PTR_EQ_MSG(test, seen, func,
				"%s: static_call_query(%s): expected %ps, seen %ps",
				ctx, k->name, func, seen);
	if (!sc_tramp_verify(k->tramp, func, why, sizeof(why))) {
		KUNIT_FAIL(test, "%s: trampoline of %s: %s", ctx, k->name, why);
		return;
	}
	got = k->call(A64SC_ARG);
	/*
	 * With inline sites a NULL key makes a call site a NOP, so a plain
	 * static_call() returns what x0 held: only static_call_cond() may
	 * call a NULL key. The site itself is checked by the inline cases.
	 */
	if (!func && IS_ENABLED(CONFIG_HAVE_STATIC_CALL_INLINE))
		return;
	KUNIT_EXPECT_EQ_MSG(test, got, expect,
			    "%s: %s(%d) with target %ps: expected %d, seen %d",
			    ctx, k->name, A64SC_ARG, func, expect, got);
}

/*
 * After @k was set to @func: static_call_query() returns @func, the
 * trampoline targets it, and with inline sites so does every call site
 * outside init text.
 */
static noinline_for_stack void a64sc_expect_key(struct kunit *test,
						const char *ctx,
						const struct a64sc_key *k,
						void *func)
{
	struct sc_site sites[SC_MAX_SITES];
	char why[SC_TRAMP_WHY_LEN];
	void *seen = READ_ONCE(k->key->func);
	int n, i;

	KUNIT_EXPECT_PTR_EQ_MSG(test, seen, func,
				"%s: static_call_query(%s): expected %ps, seen %ps",
				ctx, k->name, func, seen);
	a64sc_expect_tramp(test, ctx, k->name, k->tramp, func);
	if (!IS_ENABLED(CONFIG_HAVE_STATIC_CALL_INLINE))
		return;
	n = sc_key_sites(k->key, sites, SC_MAX_SITES);
	KUNIT_EXPECT_GT_MSG(test, n, 0, "%s: %s has no call sites (%d)",
			    ctx, k->name, n);
	for (i = 0; i < n; i++)
		if (!sites[i].init &&
		    !sc_site_check(&sites[i], func, k->tramp, why, sizeof(why)))
			KUNIT_FAIL(test, "%s: %s", ctx, why);
}

/* ---- far executable memory (more than 128 MiB from the kernel) ---- */

static void *a64sc_vmalloc_window(unsigned long start, unsigned long end)
{
	if (start >= end || end - start < PAGE_SIZE)
		return NULL;
	return __vmalloc_node_range(PAGE_SIZE, PAGE_SIZE, start, end,
				    GFP_KERNEL | __GFP_NOWARN, PAGE_KERNEL, 0,
				    NUMA_NO_NODE, __builtin_return_address(0));
}

static void a64sc_far_free(void *page)
{
	unsigned long addr = (unsigned long)page;

	/* Leak the page rather than free it while still executable. */
	if (set_memory_nx(addr, 1) || set_memory_rw(addr, 1))
		return;
	vfree(page);
}

/*
 * Copy @len bytes of position-independent code to the start of an
 * executable page at least 256 MiB away from anything in the kernel image,
 * so that no trampoline in the image can reach it with a B, and make the
 * page read-only and executable. On a VM_ALLOC area set_memory_rox() also
 * sets the guarded-page bit when kernel BTI is on, so an indirect branch
 * to the code really is BTI-checked. Returns the page or NULL.
 *
 * Exported (GPL) for the rig's out-of-tree test modules, which cannot map
 * executable memory themselves: kmod/ reaches it through symbol_get()
 * (common/sc_far.h). Test scaffolding, like the rest of this file.
 */
static void *a64sc_far_code_alloc_from(const void *code, size_t len,
				       unsigned long from)
{
	unsigned long lo = (unsigned long)_stext, hi = (unsigned long)_end;
	unsigned long addr;
	void *page;

	if (!len || len > PAGE_SIZE)
		return NULL;
	page = a64sc_vmalloc_window(max(PAGE_ALIGN(hi + SZ_256M), from),
				    VMALLOC_END);
	if (!page && !from && lo > VMALLOC_START + SZ_256M)
		page = a64sc_vmalloc_window(VMALLOC_START,
					    (lo - SZ_256M) & PAGE_MASK);
	if (!page)
		return NULL;
	addr = (unsigned long)page;
	memcpy(page, code, len);
	flush_icache_range(addr, addr + len);
	if (set_memory_rox(addr, 1)) {
		vfree(page);
		return NULL;
	}
	return page;
}

void *a64sc_far_code_alloc(const void *code, size_t len)
{
	return a64sc_far_code_alloc_from(code, len, 0);
}
EXPORT_SYMBOL_GPL(a64sc_far_code_alloc);

/* Free a page from a64sc_far_code_alloc(); nothing may be aimed at it. */
void a64sc_far_code_free(void *page)
{
	a64sc_far_free(page);
}
EXPORT_SYMBOL_GPL(a64sc_far_code_free);

/* ---- module placement out of B range (the module selftest's -P) ---- */

/*
 * fill_module_range, written at run time: 1 reserves every free page of
 * module address space within 128 MiB below the end of the kernel image,
 * the arm64 module allocator's first choice; modules loaded afterwards
 * land in its 2 GiB fallback, beyond B range of the kernel, and reach it
 * through PLTs. Address space only (__get_vm_area_caller() maps nothing).
 * 0 gives it back. Lets the test module prove the far paths on a kernel
 * whose modules otherwise always land near. Test scaffolding.
 */
#define A64SC_FILL_MAX		64

static DEFINE_MUTEX(a64sc_fill_lock);
static struct vm_struct *a64sc_fill_area[A64SC_FILL_MAX];
static unsigned int a64sc_fill_n;
static bool fill_module_range;

static void a64sc_fill_release(void)
{
	while (a64sc_fill_n)
		free_vm_area(a64sc_fill_area[--a64sc_fill_n]);
}

static int a64sc_fill(void)
{
	unsigned long end = MODULES_END;
	unsigned long start = max_t(unsigned long, MODULES_VADDR,
				    ((unsigned long)_end - SZ_128M) & PAGE_MASK);
	unsigned long size, total = 0;
	struct vm_struct *area;

	/* Lazily freed areas (unloaded modules) count as free from here. */
	vm_unmap_aliases();
	/* Largest first: what is left at the end is smaller than one page. */
	for (size = SZ_64M; size >= PAGE_SIZE; size >>= 1) {
		while (a64sc_fill_n < A64SC_FILL_MAX) {
			area = __get_vm_area_caller(size, VM_NO_GUARD, start, end,
						    __builtin_return_address(0));
			if (!area)
				break;
			a64sc_fill_area[a64sc_fill_n++] = area;
			total += size;
		}
	}
	if (a64sc_fill_n == A64SC_FILL_MAX) {
		a64sc_fill_release();
		return -ENOSPC;
	}
	pr_info("arm64_static_call_kunit: reserved %lu KiB of module space in B range of the kernel (%u areas)\n",
		total / SZ_1K, a64sc_fill_n);
	return 0;
}

static int a64sc_fill_set(const char *val, const struct kernel_param *kp)
{
	bool on;
	int ret;

	ret = kstrtobool(val, &on);
	if (ret)
		return ret;
	/* At boot, before vmalloc works: only at run time. */
	if (system_state != SYSTEM_RUNNING)
		return -EBUSY;
	mutex_lock(&a64sc_fill_lock);
	if (on && !fill_module_range)
		ret = a64sc_fill();
	else if (!on)
		a64sc_fill_release();
	if (!ret)
		fill_module_range = on;
	mutex_unlock(&a64sc_fill_lock);
	return ret;
}

static const struct kernel_param_ops a64sc_fill_ops = {
	.set = a64sc_fill_set,
	.get = param_get_bool,
};
module_param_cb(fill_module_range, &a64sc_fill_ops, &fill_module_range, 0644);
MODULE_PARM_DESC(fill_module_range,
		 "1: reserve the module space within B range of the kernel, so modules loaded next land beyond it (write at run time; 0 releases)");

/*
 * A function "bti c; movz w0, #@value; ret" in far memory (above), at or
 * above @from if that is not 0. Freed when the test ends; keys aimed at it
 * must be restored by an action added afterwards (actions run in reverse
 * order).
 */
static void *a64sc_far_alloc_from(struct kunit *test, u16 value,
				  unsigned long from)
{
	unsigned long lo = (unsigned long)_stext, hi = (unsigned long)_end;
	__le32 code[3];
	void *page;
	int ret;

	code[0] = cpu_to_le32(SC_INSN_BTI_C);
	code[1] = cpu_to_le32(sc_insn_movz_w0(value));
	code[2] = cpu_to_le32(SC_INSN_RET);
	page = a64sc_far_code_alloc_from(code, sizeof(code), from);
	KUNIT_ASSERT_NOT_NULL_MSG(test, page,
				  "no executable vmalloc page more than 256 MiB away from the kernel image [0x%lx, 0x%lx) in [0x%lx, 0x%lx): cannot build an out-of-range target",
				  lo, hi, (unsigned long)VMALLOC_START,
				  (unsigned long)VMALLOC_END);
	ret = kunit_add_action_or_reset(test, a64sc_far_free, page);
	KUNIT_ASSERT_EQ_MSG(test, ret, 0, "kunit_add_action: %d", ret);
	kunit_info(test, "far function at 0x%lx: %+ld MiB from _stext, %+ld MiB from _end\n",
		   (unsigned long)page, sc_distance_mib(lo, (unsigned long)page),
		   sc_distance_mib(hi, (unsigned long)page));
	return page;
}

static void *a64sc_far_alloc(struct kunit *test, u16 value)
{
	return a64sc_far_alloc_from(test, value, 0);
}

static void a64sc_restore_action(void *data)
{
	a64sc_set(data, a64sc_a);
}

/* Set @k back to a64sc_a when the test ends, before far memory is freed. */
static void a64sc_restore_at_end(struct kunit *test, const struct a64sc_key *k)
{
	int ret = kunit_add_action_or_reset(test, a64sc_restore_action,
					    (void *)k);

	KUNIT_ASSERT_EQ_MSG(test, ret, 0, "kunit_add_action: %d", ret);
}

/* ---- cases ---- */

/* A target within +-128 MiB: the slot holds "b target". */
static void a64sc_in_range(struct kunit *test)
{
	const struct a64sc_key *k = &a64sc_in_range_key;
	unsigned long slot, dest;
	struct sc_tramp v;

	a64sc_require_slot(test, k->tramp);
	slot = sc_slot_addr(k->tramp);
	KUNIT_ASSERT_TRUE_MSG(test, sc_b_in_range(slot, (unsigned long)a64sc_b),
			      "a64sc_b is %ld MiB from the slot: expected in B range",
			      sc_distance_mib(slot, (unsigned long)a64sc_b));

	/* Built-in trampolines are assembled with "b target" in the slot. */
	a64sc_check(test, "as built", k, a64sc_a, A64SC_ARG + A64SC_A_ADD);

	static_call_update(a64sc_key_in_range, a64sc_b);
	a64sc_check(test, "after update to a64sc_b", k, a64sc_b,
		    A64SC_ARG + A64SC_B_ADD);
	sc_tramp_read(k->tramp, &v);
	KUNIT_EXPECT_TRUE_MSG(test, sc_insn_is_b(v.insn[1]),
			      "slot: expected a B instruction, seen 0x%08x",
			      v.insn[1]);
	dest = sc_b_target(slot, v.insn[1]);
	KUNIT_EXPECT_EQ_MSG(test, dest, (unsigned long)a64sc_b,
			    "slot branches to %ps, expected exactly %ps",
			    (void *)dest, a64sc_b);
	KUNIT_EXPECT_EQ_MSG(test, v.literal, (u64)(unsigned long)a64sc_b,
			    "literal: expected %ps, seen 0x%llx",
			    a64sc_b, v.literal);

	static_call_update(a64sc_key_in_range, a64sc_a);
	a64sc_check(test, "back to a64sc_a", k, a64sc_a,
		    A64SC_ARG + A64SC_A_ADD);
}

/* A target beyond B range: the slot holds NOP, br x16 goes through BTI. */
static void a64sc_out_of_range(struct kunit *test)
{
	const struct a64sc_key *k = &a64sc_oor_key;
	unsigned long slot, far, dest;
	struct sc_tramp v;
	void *page;

	a64sc_require(test, k->tramp);
	page = a64sc_far_alloc(test, A64SC_FAR_VAL);
	far = (unsigned long)page;
	slot = sc_slot_addr(k->tramp);
	KUNIT_ASSERT_FALSE_MSG(test, sc_b_in_range(slot, far),
			       "far target is only %ld MiB from the slot: expected more than 128 MiB",
			       sc_distance_mib(slot, far));
	a64sc_restore_at_end(test, k);

	static_call_update(a64sc_key_oor, page);
	a64sc_check(test, "after update to the far function", k, page,
		    A64SC_FAR_VAL);
	sc_tramp_read(k->tramp, &v);
	if (sc_layout_has_slot(v.layout))
		KUNIT_EXPECT_EQ_MSG(test, v.insn[1], SC_INSN_NOP,
				    "slot: expected nop 0x%08x, seen 0x%08x",
				    SC_INSN_NOP, v.insn[1]);
	KUNIT_EXPECT_EQ_MSG(test, v.literal, (u64)far,
			    "literal: expected 0x%lx, seen 0x%llx", far, v.literal);
	kunit_info(test, "trampoline (%s) at %+ld MiB from _stext, target %+ld MiB from the slot, path: %s\n",
		   sc_layout_name(v.layout),
		   sc_distance_mib((unsigned long)_stext, v.addr),
		   sc_distance_mib(slot, far),
		   sc_path_name(sc_tramp_dest(&v, &dest)));

	/* And back in range: the NOP becomes a B again. */
	static_call_update(a64sc_key_oor, a64sc_b);
	a64sc_check(test, "back in range (a64sc_b)", k, a64sc_b,
		    A64SC_ARG + A64SC_B_ADD);
}

/*
 * The B range at its edges, encode only: a target exactly 128 MiB below
 * the slot, or 128 MiB - 4 above it, must get a "b"; one instruction
 * further out, a "nop". With inline sites, the same at the key's first and
 * last call site. The targets are addresses, not code: nothing calls the
 * key while it is aimed at them, and it is put back on a64sc_a.
 */
static void a64sc_range_edges(struct kunit *test)
{
	void *tramp = STATIC_CALL_TRAMP_ADDR(a64sc_key_edge);
	static const struct {
		const char *name;
		long offset;		/* target - slot */
		bool in_range;
	} edges[] = {
		{ "slot - 128 MiB", -(long)SZ_128M, true },
		{ "slot - 128 MiB - 4", -(long)SZ_128M - 4, false },
		{ "slot + 128 MiB - 4", (long)SZ_128M - 4, true },
		{ "slot + 128 MiB", (long)SZ_128M, false },
		{ "slot + 4", 4, true },
	};
	char why[SC_TRAMP_WHY_LEN];
	unsigned long slot;
	struct sc_tramp v;
	unsigned int i;
	int got;

	a64sc_require_slot(test, tramp);
	slot = sc_slot_addr(tramp);
	for (i = 0; i < ARRAY_SIZE(edges); i++) {
		unsigned long target = slot + edges[i].offset;
		u32 want = edges[i].in_range ? sc_b_encode(slot, target) :
					       SC_INSN_NOP;

		/* The test's own decoder must agree with the table. */
		KUNIT_ASSERT_EQ_MSG(test, sc_b_in_range(slot, target),
				    edges[i].in_range, "%s: test decoder",
				    edges[i].name);
		static_call_update(a64sc_key_edge, (a64sc_fn_t *)target);
		sc_tramp_read(tramp, &v);
		if (!sc_tramp_check_slot(&v, target, want, why, sizeof(why)))
			KUNIT_FAIL(test, "%s (0x%lx): %s", edges[i].name,
				   target, why);
	}
	/*
	 * With inline sites, the same edges measured from the key's first
	 * and last call site: "bl target" at and inside them, the route
	 * (the trampoline) one instruction further out.
	 */
	if (IS_ENABLED(CONFIG_HAVE_STATIC_CALL_INLINE)) {
		struct sc_site sites[SC_MAX_SITES];
		int n, s, e;

		n = sc_key_sites(&STATIC_CALL_KEY(a64sc_key_edge), sites,
				 SC_MAX_SITES);
		KUNIT_ASSERT_GT_MSG(test, n, 0, "a64sc_key_edge: no sites (%d)", n);
		for (s = 0; s < n; s += max(n - 1, 1)) {
			unsigned long pc = (unsigned long)sites[s].addr;

			for (e = 0; e < ARRAY_SIZE(edges); e++) {
				unsigned long target = pc + edges[e].offset;

				KUNIT_ASSERT_EQ_MSG(test, sc_b_in_range(pc, target),
						    edges[e].in_range,
						    "site %s: test decoder",
						    edges[e].name);
				static_call_update(a64sc_key_edge,
						   (a64sc_fn_t *)target);
				if (!sc_site_check(&sites[s], (void *)target,
						   tramp, why, sizeof(why)))
					KUNIT_FAIL(test, "site %s (0x%lx): %s",
						   edges[e].name, target, why);
			}
		}
	}
	static_call_update(a64sc_key_edge, a64sc_a);
	if (!sc_tramp_verify(tramp, a64sc_a, why, sizeof(why))) {
		KUNIT_FAIL(test, "back to a64sc_a: %s", why);
		return;
	}
	got = static_call(a64sc_key_edge)(A64SC_ARG);
	KUNIT_EXPECT_EQ(test, got, A64SC_ARG + A64SC_A_ADD);
}

/* NULL keys: no-op through static_call_cond(), RET0 trampoline. */
static void a64sc_null(struct kunit *test)
{
	const struct a64sc_key *k = &a64sc_null_key;
	int before;

	a64sc_require(test, k->tramp);

	a64sc_check(test, "as built (DEFINE_STATIC_CALL_NULL)", k, NULL, 0);
	before = READ_ONCE(a64sc_counter);
	static_call_cond(a64sc_key_null)(A64SC_ARG);
	KUNIT_EXPECT_EQ_MSG(test, READ_ONCE(a64sc_counter), before,
			    "static_call_cond() on a NULL key reached the counting target");

	static_call_update(a64sc_key_null, a64sc_counting);
	before = READ_ONCE(a64sc_counter);
	a64sc_check(test, "after update to a64sc_counting", k,
		    a64sc_counting, A64SC_ARG + A64SC_A_ADD);
	static_call_cond(a64sc_key_null)(A64SC_ARG);
	KUNIT_EXPECT_EQ_MSG(test, READ_ONCE(a64sc_counter), before + 2,
			    "a64sc_counting: expected 2 calls, seen %d",
			    READ_ONCE(a64sc_counter) - before);

	static_call_update(a64sc_key_null, NULL);
	a64sc_check(test, "after update to NULL", k, NULL, 0);
	before = READ_ONCE(a64sc_counter);
	static_call_cond(a64sc_key_null)(A64SC_ARG);
	KUNIT_EXPECT_EQ_MSG(test, READ_ONCE(a64sc_counter), before,
			    "static_call_cond() after update to NULL reached the old target");
}

/* RET0 keys with prototypes other than long (void). */
static void a64sc_ret0(struct kunit *test)
{
	void *tramp_int = STATIC_CALL_TRAMP_ADDR(a64sc_key_ret0_int);
	void *tramp_ptr = STATIC_CALL_TRAMP_ADDR(a64sc_key_ret0_ptr);
	void *ret0 = (void *)__static_call_return0;
	struct a64sc_obj obj = { .val = 42 };
	void *seen;
	long lv;
	int iv;

	a64sc_require(test, tramp_int);
	a64sc_require(test, tramp_ptr);

	/* int (int, int) */
	seen = static_call_query(a64sc_key_ret0_int);
	KUNIT_EXPECT_PTR_EQ_MSG(test, seen, ret0,
				"query as built: expected __static_call_return0, seen %ps",
				seen);
	a64sc_expect_tramp(test, "as built", "a64sc_key_ret0_int", tramp_int, ret0);
	iv = static_call(a64sc_key_ret0_int)(3, 4);
	KUNIT_EXPECT_EQ_MSG(test, iv, 0, "RET0 as built: expected 0, seen %d", iv);

	static_call_update(a64sc_key_ret0_int, a64sc_add);
	a64sc_expect_tramp(test, "after update to a64sc_add",
			   "a64sc_key_ret0_int", tramp_int, a64sc_add);
	iv = static_call(a64sc_key_ret0_int)(3, 4);
	KUNIT_EXPECT_EQ_MSG(test, iv, 7, "a64sc_add(3, 4): expected 7, seen %d", iv);

	static_call_update(a64sc_key_ret0_int, ret0);
	seen = static_call_query(a64sc_key_ret0_int);
	KUNIT_EXPECT_PTR_EQ_MSG(test, seen, ret0,
				"query after update to RET0: expected __static_call_return0, seen %ps",
				seen);
	a64sc_expect_tramp(test, "after update to RET0", "a64sc_key_ret0_int",
			   tramp_int, ret0);
	iv = static_call(a64sc_key_ret0_int)(3, 4);
	KUNIT_EXPECT_EQ_MSG(test, iv, 0, "after update to RET0: expected 0, seen %d", iv);

	static_call_update(a64sc_key_ret0_int, NULL);
	seen = static_call_query(a64sc_key_ret0_int);
	KUNIT_EXPECT_NULL_MSG(test, seen, "query after update to NULL: seen %ps", seen);
	a64sc_expect_tramp(test, "after update to NULL", "a64sc_key_ret0_int",
			   tramp_int, NULL);
	/* With inline sites a NULL call site is a NOP (see a64sc_check()). */
	iv = static_call(a64sc_key_ret0_int)(3, 4);
	if (!IS_ENABLED(CONFIG_HAVE_STATIC_CALL_INLINE))
		KUNIT_EXPECT_EQ_MSG(test, iv, 0, "after update to NULL: expected 0, seen %d", iv);
	static_call_update(a64sc_key_ret0_int, ret0);

	/* long (const struct a64sc_obj *, const char *) */
	a64sc_expect_tramp(test, "as built", "a64sc_key_ret0_ptr", tramp_ptr, ret0);
	lv = static_call(a64sc_key_ret0_ptr)(&obj, "abc");
	KUNIT_EXPECT_EQ_MSG(test, lv, 0L, "RET0 as built: expected 0, seen %ld", lv);

	static_call_update(a64sc_key_ret0_ptr, a64sc_obj_len);
	a64sc_expect_tramp(test, "after update to a64sc_obj_len",
			   "a64sc_key_ret0_ptr", tramp_ptr, a64sc_obj_len);
	lv = static_call(a64sc_key_ret0_ptr)(&obj, "abc");
	KUNIT_EXPECT_EQ_MSG(test, lv, 45L, "a64sc_obj_len(42, \"abc\"): expected 45, seen %ld", lv);

	static_call_update(a64sc_key_ret0_ptr, ret0);
	a64sc_expect_tramp(test, "after update to RET0", "a64sc_key_ret0_ptr",
			   tramp_ptr, ret0);
	lv = static_call(a64sc_key_ret0_ptr)(&obj, "abc");
	KUNIT_EXPECT_EQ_MSG(test, lv, 0L, "after update to RET0: expected 0, seen %ld", lv);

	static_call_update(a64sc_key_ret0_ptr, NULL);
	a64sc_expect_tramp(test, "after update to NULL", "a64sc_key_ret0_ptr",
			   tramp_ptr, NULL);
	lv = static_call(a64sc_key_ret0_ptr)(&obj, "abc");
	if (!IS_ENABLED(CONFIG_HAVE_STATIC_CALL_INLINE))
		KUNIT_EXPECT_EQ_MSG(test, lv, 0L, "after update to NULL: expected 0, seen %ld", lv);
	static_call_update(a64sc_key_ret0_ptr, ret0);
}

struct a64sc_state {
	const char *name;
	void *func;
	int value;		/* result of a call with A64SC_ARG */
};

/* In range A and B, far C, NULL and RET0, for the given far page. */
static void a64sc_states(struct a64sc_state *s, void *far, int arg)
{
	s[0] = (struct a64sc_state){ "a64sc_a", a64sc_a, arg + A64SC_A_ADD };
	s[1] = (struct a64sc_state){ "a64sc_b", a64sc_b, arg + A64SC_B_ADD };
	s[2] = (struct a64sc_state){ "far", far, A64SC_FAR_VAL };
	s[3] = (struct a64sc_state){ "NULL", NULL, 0 };
	s[4] = (struct a64sc_state){ "RET0", (void *)__static_call_return0, 0 };
}

#define A64SC_NR_STATES	5

/* Every ordered pair (including X -> X) of in-range, far, NULL and RET0. */
static void a64sc_transitions(struct kunit *test)
{
	const struct a64sc_key *k = &a64sc_trans_key;
	struct a64sc_state s[A64SC_NR_STATES];
	unsigned int i, j, pairs = 0;
	unsigned long slot;
	char ctx[96];
	void *far;

	a64sc_require(test, k->tramp);
	far = a64sc_far_alloc(test, A64SC_FAR_VAL);
	slot = sc_slot_addr(k->tramp);
	KUNIT_ASSERT_FALSE_MSG(test, sc_b_in_range(slot, (unsigned long)far),
			       "far target within B range of the slot");
	a64sc_restore_at_end(test, k);
	a64sc_states(s, far, A64SC_ARG);

	for (i = 0; i < A64SC_NR_STATES; i++) {
		for (j = 0; j < A64SC_NR_STATES; j++) {
			a64sc_set(k, s[i].func);
			snprintf(ctx, sizeof(ctx), "%s -> %s: at %s",
				 s[i].name, s[j].name, s[i].name);
			a64sc_check(test, ctx, k, s[i].func, s[i].value);
			a64sc_set(k, s[j].func);
			snprintf(ctx, sizeof(ctx), "%s -> %s: at %s",
				 s[i].name, s[j].name, s[j].name);
			a64sc_check(test, ctx, k, s[j].func, s[j].value);
			pairs++;
		}
	}
	kunit_info(test, "%u ordered pairs, %u updates\n", pairs, 2 * pairs);
}

/* static_call_query() returns what was installed; the trampoline agrees. */
static void a64sc_query_consistency(struct kunit *test)
{
	const struct a64sc_key *k = &a64sc_query_key;
	void *seq[] = { a64sc_a, a64sc_b, NULL, (void *)__static_call_return0,
			a64sc_b, NULL, a64sc_a };
	unsigned long dest;
	struct sc_tramp v;
	unsigned int i;

	if (!k->tramp)
		kunit_info(test, "%s: checking static_call_query() only\n",
			   SC_NO_TRAMP_MSG);

	for (i = 0; i < ARRAY_SIZE(seq); i++) {
		void *seen;

		a64sc_set(k, seq[i]);
		seen = static_call_query(a64sc_key_query);
		KUNIT_EXPECT_PTR_EQ_MSG(test, seen, seq[i],
					"step %u: static_call_query(): expected %ps, seen %ps",
					i, seq[i], seen);
		if (!k->tramp)
			continue;
		sc_tramp_read(k->tramp, &v);
		sc_tramp_dest(&v, &dest);
		KUNIT_EXPECT_EQ_MSG(test, dest, sc_call_target(seen),
				    "step %u: query says %ps, the trampoline goes to %ps",
				    i, seen, (void *)dest);
	}
}

#ifdef CONFIG_HAVE_STATIC_CALL
/*
 * The kernel is built with -fno-optimize-sibling-calls (frame pointers),
 * so a C tail call is normally compiled as bl + ret. This stub makes the
 * real thing: a plain B to the trampoline, with the caller's LR live.
 */
int a64sc_tail_stub(int x);
asm("	.pushsection .text, \"ax\"\n"
	"	.balign	4\n"
	"	.globl	a64sc_tail_stub\n"
	"	.type	a64sc_tail_stub, %function\n"
	"a64sc_tail_stub:\n"
	"	hint	34\n"
	"	b	" STATIC_CALL_TRAMP_STR(a64sc_key_tail) "\n"
	"	.size	a64sc_tail_stub, . - a64sc_tail_stub\n"
	"	.popsection\n");
#endif

static noinline int a64sc_tail_caller(int x)
{
	return static_call(a64sc_key_tail)(x);
}

/* B (not BL) to @tramp within the first instructions of @fn? */
static bool a64sc_tail_branches_to(const void *fn, const void *tramp)
{
	const __le32 *code = fn;
	unsigned int i;

	for (i = 0; i < 32; i++) {
		u32 insn = le32_to_cpu(READ_ONCE(code[i]));
		unsigned long pc = (unsigned long)&code[i];

		if (insn == SC_INSN_RET)
			break;
		if (sc_insn_is_b(insn) &&
		    sc_b_target(pc, insn) == (unsigned long)tramp)
			return true;
	}
	return false;
}

/* Tail calls through the trampoline reach the current target. */
static void a64sc_tail_call(struct kunit *test)
{
	const struct a64sc_key *k = &a64sc_tail_key;
	struct a64sc_state s[A64SC_NR_STATES];
	unsigned int i;
	void *far;
	int got;

	a64sc_require(test, k->tramp);
	far = a64sc_far_alloc(test, A64SC_FAR_VAL);
	a64sc_restore_at_end(test, k);
	a64sc_states(s, far, A64SC_ARG);
	kunit_info(test, "a64sc_tail_caller() %s\n",
		   a64sc_tail_branches_to(a64sc_tail_caller, k->tramp) ?
		   "tail-branches (b) to the trampoline" :
		   "calls the trampoline with bl (sibling calls disabled)");

	for (i = 0; i < A64SC_NR_STATES; i++) {
		a64sc_set(k, s[i].func);
		a64sc_expect_tramp(test, s[i].name, k->name, k->tramp, s[i].func);
		got = a64sc_tail_caller(A64SC_ARG);
		/* A BL site of a NULL key is a NOP with inline sites. */
		if (s[i].func || !IS_ENABLED(CONFIG_HAVE_STATIC_CALL_INLINE))
			KUNIT_EXPECT_EQ_MSG(test, got, s[i].value,
					    "a64sc_tail_caller() with target %s: expected %d, seen %d",
					    s[i].name, s[i].value, got);
#ifdef CONFIG_HAVE_STATIC_CALL
		got = a64sc_tail_stub(A64SC_ARG);
		KUNIT_EXPECT_EQ_MSG(test, got, s[i].value,
				    "b to the trampoline with target %s: expected %d, seen %d",
				    s[i].name, s[i].value, got);
#endif
	}
}

/* A misaligned target is refused: the trampoline keeps its old target. */
static void a64sc_bad_input(struct kunit *test)
{
	const struct a64sc_key *k = &a64sc_bad_key;
	void *bad = (void *)((unsigned long)a64sc_b + 2);
	struct sc_tramp before, after;
	void *seen;
	int got;

	a64sc_require(test, k->tramp);
	static_call_update(a64sc_key_bad, a64sc_a);
	a64sc_restore_at_end(test, k);
	sc_tramp_read(k->tramp, &before);

	kunit_info(test, "expected WARNING follows: static_call_update() to misaligned %pS\n",
		   bad);
	a64sc_set(k, bad);
	sc_tramp_read(k->tramp, &after);

	/* The generic code stored the bad pointer before the arch hook ran. */
	seen = static_call_query(a64sc_key_bad);
	KUNIT_EXPECT_PTR_EQ_MSG(test, seen, bad,
				"static_call_query(): expected the refused %pS, seen %pS",
				bad, seen);
	KUNIT_EXPECT_EQ_MSG(test, after.literal, before.literal,
			    "literal changed: was 0x%llx, now 0x%llx",
			    before.literal, after.literal);
	KUNIT_EXPECT_EQ_MSG(test, after.insn[1], before.insn[1],
			    "slot changed: was 0x%08x, now 0x%08x",
			    before.insn[1], after.insn[1]);
	a64sc_expect_tramp(test, "after the refused update", k->name, k->tramp,
			   a64sc_a);
	if (after.literal == before.literal && after.insn[1] == before.insn[1]) {
		got = k->call(A64SC_ARG);
		KUNIT_EXPECT_EQ_MSG(test, got, A64SC_ARG + A64SC_A_ADD,
				    "call after the refused update: expected a64sc_a's %d, seen %d",
				    A64SC_ARG + A64SC_A_ADD, got);
	}

	static_call_update(a64sc_key_bad, a64sc_b);
	a64sc_check(test, "restored with a proper update", k, a64sc_b,
		    A64SC_ARG + A64SC_B_ADD);
}

/*
 * Kprobes must stay off the trampolines. A kprobe arms by writing BRK over
 * an instruction and disarms by writing back the copy it saved: an update
 * in between would be lost when the probe goes, leaving the slot branching
 * to an old target while the literal holds the new one. The series puts
 * .static_call.text off limits to kprobes, so registering a probe at any
 * word of a trampoline is refused with -EINVAL (a BRK written over the
 * literal would even corrupt the target). A probe on an ordinary
 * function must still register, or the refusals would prove nothing.
 */
#ifdef CONFIG_KPROBES
static void a64sc_kprobe_refused(struct kunit *test)
{
	const struct a64sc_key *k = &a64sc_in_range_key;
	struct sc_tramp v;
	unsigned int off;
	int ret;

	ret = sc_kprobe_try(a64sc_counting);
	KUNIT_ASSERT_EQ_MSG(test, ret, 0,
			    "control: register_kprobe(%ps) failed: %d",
			    a64sc_counting, ret);

	a64sc_require_slot(test, k->tramp);
	/* Every instruction, and the literal where it is in the text. */
	sc_tramp_read(k->tramp, &v);
	for (off = 0; off < sc_tramp_code_size(v.layout); off += sizeof(u32)) {
		ret = sc_kprobe_try(k->tramp + off);
		KUNIT_EXPECT_EQ_MSG(test, ret, -EINVAL,
				    "register_kprobe(%ps+%u): expected -EINVAL (.static_call.text is off limits), got %d",
				    k->tramp, off, ret);
	}
#ifdef CONFIG_HAVE_STATIC_CALL
	/*
	 * Both ends of vmlinux's .static_call.text: every word of the first
	 * and of the last trampoline in it, so a range check that starts
	 * late or stops short is seen.
	 */
	for (off = 0; off < 8 * sizeof(u32); off += sizeof(u32)) {
		const void *first = __static_call_text_start + off;
		const void *last = __static_call_text_end - sizeof(u32) - off;

		ret = sc_kprobe_try(first);
		KUNIT_EXPECT_EQ_MSG(test, ret, -EINVAL,
				    "register_kprobe(%pS), .static_call.text + %u: expected -EINVAL, got %d",
				    first, off, ret);
		ret = sc_kprobe_try(last);
		KUNIT_EXPECT_EQ_MSG(test, ret, -EINVAL,
				    "register_kprobe(%pS), .static_call.text end - %zu: expected -EINVAL, got %d",
				    last, off + sizeof(u32), ret);
	}
#endif
	a64sc_check(test, "after the kprobe attempts", k, a64sc_a,
		    A64SC_ARG + A64SC_A_ADD);
}
#else
static void a64sc_kprobe_refused(struct kunit *test)
{
	kunit_skip(test, "needs CONFIG_KPROBES");
}
#endif

/*
 * RET0 and NULL keys called with prototypes other than long (void). Without
 * the series each call is an indirect call to __static_call_return0 (or to
 * the generic NULL stub) whose kCFI type hash does not match: a "CFI
 * failure". With the series they are direct calls to trampolines.
 */
static void a64sc_cfi_ret0(struct kunit *test)
{
	struct a64sc_obj obj = { .val = 5 };
	unsigned int u;
	int i;

	kunit_info(test, "calling RET0/NULL keys as unsigned int (void) and int (struct *, unsigned long)\n");
	u = static_call(a64sc_key_cfi_uint)();
	KUNIT_EXPECT_EQ_MSG(test, u, 0U, "RET0 as unsigned int (void): seen %u", u);

	i = static_call(a64sc_key_cfi_ptr)(&obj, 1);
	KUNIT_EXPECT_EQ_MSG(test, i, 0, "RET0 as int (struct *, unsigned long): seen %d", i);

	static_call_cond(a64sc_key_cfi_void)(&obj, 1);
	KUNIT_EXPECT_EQ_MSG(test, obj.val, 5L, "NULL key changed the object: %ld", obj.val);

	static_call_update(a64sc_key_cfi_ptr_null, NULL);
	static_call_cond(a64sc_key_cfi_ptr_null)(&obj, 1);
	static_call_update(a64sc_key_cfi_ptr_null, (void *)__static_call_return0);
	i = static_call(a64sc_key_cfi_ptr_null)(&obj, 1);
	KUNIT_EXPECT_EQ_MSG(test, i, 0, "RET0 after NULL: seen %d", i);
}

#if defined(CONFIG_PERF_EVENTS) && defined(CONFIG_GUEST_PERF_EVENTS)
/*
 * The real crash: with a sampling event, every overflow runs
 * perf_prepare_header() -> perf_misc_flags() -> perf_guest_state(), a call
 * through the RET0 key __perf_guest_state typed unsigned int (void).
 */
static void a64sc_perf_guest_state(struct kunit *test)
{
	struct perf_event_attr attr = {
		.type = PERF_TYPE_SOFTWARE,
		.size = sizeof(attr),
		.config = PERF_COUNT_SW_CONTEXT_SWITCHES,
		.sample_period = 1,
		.sample_type = PERF_SAMPLE_IP,
		.pinned = 1,
	};
	u64 count, enabled, running;
	struct perf_event *event;
	unsigned int state;
	int i;

	if (rcu_access_pointer(perf_guest_cbs))
		kunit_skip(test,
			   "perf guest callbacks are registered (KVM is up): __perf_guest_state is not the RET0 target");

	state = perf_guest_state();
	KUNIT_EXPECT_EQ_MSG(test, state, 0U, "perf_guest_state(): seen %u", state);

	event = perf_event_create_kernel_counter(&attr, -1, current, NULL, NULL);
	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR(event),
			       "perf_event_create_kernel_counter(): %ld",
			       PTR_ERR(event));
	/* Each sleep is a context switch, an overflow and a sample. */
	for (i = 0; i < 10; i++)
		schedule_timeout_uninterruptible(1);
	count = perf_event_read_value(event, &enabled, &running);
	perf_event_release_kernel(event);
	KUNIT_EXPECT_GE_MSG(test, count, 10ULL,
			    "context switches counted: expected at least 10, seen %llu",
			    count);
	kunit_info(test, "%llu samples went through perf_misc_flags()\n", count);
}
#else
static void a64sc_perf_guest_state(struct kunit *test)
{
	kunit_skip(test,
		   "needs CONFIG_PERF_EVENTS=y and CONFIG_GUEST_PERF_EVENTS=y (selected by KVM or this suite): otherwise perf_guest_state() is not a static call");
}
#endif

/*
 * The callers go round eight call sites of the key, each in its own
 * function (an empty asm naming its number keeps the compiler from
 * merging identical functions): with inline sites the race then covers
 * eight sites rewritten one after the other by each update, besides the
 * trampoline.
 */
#define A64SC_RACE_SITES	8

#define A64SC_RACE_SITE(n)						\
static noinline int a64sc_race_site##n(int x)				\
{									\
	asm volatile("" : : "i" (n));					\
	return static_call(a64sc_key_race)(x);				\
}
A64SC_RACE_SITE(0) A64SC_RACE_SITE(1) A64SC_RACE_SITE(2) A64SC_RACE_SITE(3)
A64SC_RACE_SITE(4) A64SC_RACE_SITE(5) A64SC_RACE_SITE(6) A64SC_RACE_SITE(7)

static int (*const a64sc_race_sites[A64SC_RACE_SITES])(int) = {
	a64sc_race_site0, a64sc_race_site1, a64sc_race_site2, a64sc_race_site3,
	a64sc_race_site4, a64sc_race_site5, a64sc_race_site6, a64sc_race_site7,
};

static DEFINE_PER_CPU(unsigned int, a64sc_race_next);

static long a64sc_race_op_call(void)
{
	unsigned int i = this_cpu_inc_return(a64sc_race_next) % A64SC_RACE_SITES;

	return a64sc_race_sites[i](0);
}

static void a64sc_race_op_update(void *func)
{
	a64sc_set(&a64sc_race_key, func);
}

/*
 * With inline sites: every call site the race's callers use must hold the
 * instruction for @func, checked by the coordinator after each round.
 */
static bool a64sc_race_check_sites(const void *func, char *why, size_t len)
{
	struct sc_site sites[SC_MAX_SITES];
	int n, i;

	n = sc_key_sites(&STATIC_CALL_KEY(a64sc_key_race), sites,
			 SC_MAX_SITES);
	if (n < A64SC_RACE_SITES) {
		scnprintf(why, len, "a64sc_key_race: %d call sites, expected %d",
			  n, A64SC_RACE_SITES);
		return false;
	}
	for (i = 0; i < n; i++)
		if (!sc_site_check(&sites[i], func,
				   STATIC_CALL_TRAMP_ADDR(a64sc_key_race),
				   why, len))
			return false;
	return true;
}

static const struct sc_race_ops a64sc_race_ops = {
	.call = a64sc_race_op_call,
	.update = a64sc_race_op_update,
	.tramp = STATIC_CALL_TRAMP_ADDR(a64sc_key_race),
	.check_sites = IS_ENABLED(CONFIG_HAVE_STATIC_CALL_INLINE) ?
		       a64sc_race_check_sites : NULL,
};

/* Callers on every CPU race updates among in-range, far, NULL and RET0 targets. */
static void a64sc_concurrency(struct kunit *test)
{
	const struct a64sc_key *k = &a64sc_race_key;
	struct a64sc_state s[A64SC_NR_STATES];
	struct sc_race_target t[A64SC_NR_STATES + 2];
	unsigned long min_calls, min_updates;
	struct sc_race_result res;
	void *far, *far2;
	unsigned int i;
	int ret;

	a64sc_require(test, k->tramp);
	if (!stress_scale)
		kunit_skip(test, "arm64_static_call_kunit.stress_scale=0");
	far = a64sc_far_alloc(test, A64SC_FAR_VAL);
	/*
	 * A second far target whose address differs from the first one in
	 * its upper 32 bits too: a literal written as two 4-byte halves could
	 * then be loaded torn, as an address that is neither target.
	 */
	far2 = a64sc_far_alloc_from(test, A64SC_FAR_VAL + 1,
				    ALIGN((unsigned long)far, SZ_4G) + SZ_4G);
	KUNIT_ASSERT_NE_MSG(test, (unsigned long)far >> 32,
			    (unsigned long)far2 >> 32,
			    "the two far targets share their upper 32 bits");
	a64sc_restore_at_end(test, k);
	a64sc_states(s, far, 0);
	for (i = 0; i < A64SC_NR_STATES; i++)
		t[i] = (struct sc_race_target){ s[i].name, s[i].func, s[i].value };
	/* Seven targets: a prime number, so the walk takes every pair. */
	t[A64SC_NR_STATES] = (struct sc_race_target){ "far2", far2,
						      A64SC_FAR_VAL + 1 };
	t[A64SC_NR_STATES + 1] = (struct sc_race_target){ "a64sc_c", a64sc_c,
							  A64SC_C_ADD };

	min_calls = race_calls * stress_scale;
	min_updates = 1000UL * stress_scale;
	ret = sc_race_run(&a64sc_race_ops, t, ARRAY_SIZE(t), min_calls,
			  min_updates, A64SC_RACE_TIMEOUT, &res);
	kunit_info(test, "%u callers on %u online CPUs: %lu calls, %lu updates in %lu rounds (%lu of two racing updaters); %lu calls judged by their window (%lu within one quiet window), %lu unjudged (window longer than %u rounds); %lu bad, %lu stale, %lu memory inconsistencies\n",
		   res.threads, num_online_cpus(), res.calls, res.updates,
		   res.rounds, res.racing_rounds, res.checked, res.quiet,
		   res.unjudged, SC_RACE_HIST, res.bad, res.stale, res.memory);
	if (num_online_cpus() < 2)
		kunit_info(test, "only one CPU online: callers and updates did not really race\n");
	if (res.stale && emulator_stale_ok)
		kunit_info(test, "tolerated (emulator_stale_ok=1): %lu calls returned a target not in place during their window (first value %ld)\n",
			   res.stale, res.stale_value);

	KUNIT_EXPECT_EQ_MSG(test, ret, 0, "race setup failed: %d", ret);
	KUNIT_EXPECT_FALSE_MSG(test, res.timed_out,
			       "timed out after %lu updates and %lu calls (minimum %lu and %lu)",
			       res.updates, res.calls, min_updates, min_calls);
	KUNIT_EXPECT_EQ_MSG(test, res.bad, 0UL,
			    "%lu calls returned a value that no target returns (first: %ld)",
			    res.bad, res.bad_value);
	KUNIT_EXPECT_EQ_MSG(test, res.memory, 0UL,
			    "%lu rounds left trampoline or call-site bytes that are not the installed target (first: %s)",
			    res.memory, res.memory_why);
	if (!emulator_stale_ok)
		KUNIT_EXPECT_EQ_MSG(test, res.stale, 0UL,
				    "%lu calls returned a target that was not in place at any moment between their two samples of the update sequence (first: %ld)",
				    res.stale, res.stale_value);
	KUNIT_EXPECT_GE_MSG(test, res.calls, min_calls,
			    "calls: expected at least %lu, seen %lu",
			    min_calls, res.calls);
	KUNIT_EXPECT_GE_MSG(test, res.updates, min_updates,
			    "updates: expected at least %lu, seen %lu",
			    min_updates, res.updates);
	KUNIT_EXPECT_GT_MSG(test, res.racing_rounds, 0UL,
			    "no round of two racing updaters completed");
	KUNIT_EXPECT_GT_MSG(test, res.quiet, 0UL,
			    "no call fell within one quiet window");
	KUNIT_EXPECT_GT_MSG(test, res.checked - res.quiet, 0UL,
			    "no call overlapping an update was judged");
}

struct a64sc_sync_step {
	const char *name;
	void *func;
	bool slot_changes;	/* the trampoline's slot is rewritten */
	bool sites_change;	/* with inline sites: the call sites are */
};

static void a64sc_sync_update(void *func)
{
	a64sc_set(&a64sc_sync_key, func);
}

/*
 * The instruction words an update of @k may write: its trampoline's code
 * and, with inline sites, every call site of the key outside init text.
 */
static void a64sc_sync_watch(struct kunit *test, const struct a64sc_key *k,
			     struct sc_sync_words *w)
{
	struct sc_site *sites;
	int n, i;

	memset(w, 0, sizeof(*w));
	sc_sync_watch_tramp(w, k->tramp);
	if (!IS_ENABLED(CONFIG_HAVE_STATIC_CALL_INLINE))
		return;
	sites = kunit_kcalloc(test, SC_MAX_SITES, sizeof(*sites), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, sites);
	n = sc_key_sites(k->key, sites, SC_MAX_SITES);
	KUNIT_ASSERT_GT_MSG(test, n, 0, "%s: no call sites (%d)", k->name, n);
	for (i = 0; i < n; i++)
		if (!sites[i].init)
			sc_sync_watch_word(w, sites[i].addr);
}

/*
 * An update that rewrites an instruction (the trampoline's slot, or with
 * inline sites a call site) must make every other CPU pass a context
 * synchronisation event after its last write and before it returns; one
 * that writes only the literal, or nothing, interrupts nobody. Checked by
 * mechanism (sc_sync.h): what the update's own cross-CPU calls found in
 * memory when they ran on each other CPU. The steps cover every kind of
 * update: B -> B, B -> NOP, NOP -> B, literal only, no change, and with
 * inline sites the two updates that rewrite only call sites (NULL <-> RET0:
 * both trampolines lead to __static_call_return0).
 */
static void a64sc_sync_after_update(struct kunit *test)
{
	const struct a64sc_key *k = &a64sc_sync_key;
	bool inl = IS_ENABLED(CONFIG_HAVE_STATIC_CALL_INLINE);
	struct a64sc_sync_step steps[9];
	struct sc_sync_result *res;
	struct sc_sync_words *w;
	void *far1, *far2, *ret0 = (void *)__static_call_return0;
	unsigned int i;
	int ret;

	a64sc_require_slot(test, k->tramp);
	KUNIT_ASSERT_GE_MSG(test, num_online_cpus(), 2U,
			    "needs at least 2 online CPUs to observe an IPI");
	far1 = a64sc_far_alloc(test, A64SC_FAR_VAL);
	far2 = a64sc_far_alloc(test, A64SC_FAR_VAL + 1);
	a64sc_restore_at_end(test, k);
	res = kunit_kzalloc(test, sizeof(*res), GFP_KERNEL);
	w = kunit_kzalloc(test, sizeof(*w), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, res);
	KUNIT_ASSERT_NOT_NULL(test, w);
	a64sc_set(k, a64sc_a);
	a64sc_sync_watch(test, k, w);
	kunit_info(test, "watching %u instruction words (trampoline%s)\n",
		   w->nr, inl ? " and call sites" : "");

	steps[0] = (struct a64sc_sync_step){ "a64sc_a -> a64sc_b (b -> b)", a64sc_b, true, true };
	steps[1] = (struct a64sc_sync_step){ "a64sc_b -> far (b -> nop)", far1, true, true };
	steps[2] = (struct a64sc_sync_step){ "far -> far2 (literal only)", far2, false, false };
	steps[3] = (struct a64sc_sync_step){ "far2 -> far2 (no change)", far2, false, false };
	steps[4] = (struct a64sc_sync_step){ "far2 -> a64sc_a (nop -> b)", a64sc_a, true, true };
	steps[5] = (struct a64sc_sync_step){ "a64sc_a -> RET0 (b -> b)", ret0, true, true };
	steps[6] = (struct a64sc_sync_step){ "RET0 -> NULL (sites only)", NULL, false, true };
	steps[7] = (struct a64sc_sync_step){ "NULL -> RET0 (sites only)", ret0, false, true };
	steps[8] = (struct a64sc_sync_step){ "RET0 -> a64sc_a (b -> b)", a64sc_a, true, true };

	for (i = 0; i < ARRAY_SIZE(steps); i++) {
		const struct a64sc_sync_step *st = &steps[i];
		bool must = st->slot_changes || (inl && st->sites_change);
		char why[SC_SYNC_WHY_LEN];

		ret = sc_sync_probe(a64sc_sync_update, st->func, w, res);
		KUNIT_ASSERT_EQ_MSG(test, ret, 0, "%s: sc_sync_probe(): %d",
				    st->name, ret);
		kunit_info(test, "%s: %u cross-CPU calls sent, %u of %u other CPUs synchronised after the last write (%u busy, 1 idle)\n",
			   st->name, res->sent, res->synced, res->others,
			   res->spinners);
		if (!sc_sync_judge(res, must, why, sizeof(why)))
			KUNIT_FAIL(test, "%s: %s", st->name, why);
		a64sc_expect_key(test, st->name, k, st->func);
	}
}

/* ---- inline call sites (CONFIG_HAVE_STATIC_CALL_INLINE) ---- */

/*
 * a64sc_key_inl has exactly four call sites: a call, a static_call_cond()
 * call, a tail call (B, from an assembly stub, as the kernel does not emit
 * sibling calls) and a call in init text. Its callers are noinline, so the
 * compiler cannot duplicate a site.
 */
DEFINE_STATIC_CALL(a64sc_key_inl, a64sc_a);

static noinline int a64sc_inl_call(int x)
{
	return static_call(a64sc_key_inl)(x);
}

static int a64sc_inl_cond_calls;

static noinline void a64sc_inl_cond(int x)
{
	static_call_cond(a64sc_key_inl)(x);
	a64sc_inl_cond_calls++;
}

#ifdef CONFIG_HAVE_STATIC_CALL
int a64sc_inl_tail(int x);
asm("	.pushsection .text, \"ax\"\n"
	"	.balign	4\n"
	"	.globl	a64sc_inl_tail\n"
	"	.type	a64sc_inl_tail, %function\n"
	"a64sc_inl_tail:\n"
	"	hint	34\n"
	"	b	" STATIC_CALL_TRAMP_STR(a64sc_key_inl) "\n"
	"	.size	a64sc_inl_tail, . - a64sc_inl_tail\n"
	"	.popsection\n");
#else
static noinline int a64sc_inl_tail(int x)
{
	return static_call(a64sc_key_inl)(x);
}
#endif

static noinline int __init a64sc_inl_init_call(int x)
{
	return static_call(a64sc_key_inl)(x);
}

/*
 * The init-text site, called before the suite runs (which is still before
 * init memory is freed): as built, and after an update to a64sc_b.
 */
static int a64sc_inl_init_seen[2] = { -1, -1 };

static int __init a64sc_inl_init_probe(void)
{
	a64sc_inl_init_seen[0] = a64sc_inl_init_call(A64SC_ARG);
	static_call_update(a64sc_key_inl, a64sc_b);
	a64sc_inl_init_seen[1] = a64sc_inl_init_call(A64SC_ARG);
	static_call_update(a64sc_key_inl, a64sc_a);
	return 0;
}
late_initcall(a64sc_inl_init_probe);

/* For the module selftest: does this kernel patch call sites? (read-only) */
static bool inline_sites = IS_ENABLED(CONFIG_HAVE_STATIC_CALL_INLINE);
module_param(inline_sites, bool, 0444);
MODULE_PARM_DESC(inline_sites, "the kernel has inline static call sites (read-only)");

/* The kernel key the test module calls from its own code (sc_sites.h). */
int a64sc_mod_target(int x)
{
	return x + A64SC_C_ADD;
}
EXPORT_SYMBOL_GPL(a64sc_mod_target);

DEFINE_STATIC_CALL(a64sc_key_mod, a64sc_mod_target);
EXPORT_STATIC_CALL_GPL(a64sc_key_mod);

noinline int a64sc_key_mod_call(int x)
{
	return static_call(a64sc_key_mod)(x);
}
EXPORT_SYMBOL_GPL(a64sc_key_mod_call);

/*
 * key_mod_flips, written at run time by the module selftest while it loads
 * and unloads static_call_test.ko (whose sites of a64sc_key_mod come and
 * go meanwhile): N updates of a64sc_key_mod between two kernel targets.
 * After each one the vmlinux site (found in vmlinux's own table, which
 * does not change) must decode to the target, with inline sites, the
 * trampoline must route to it, and the vmlinux caller must return its
 * value; each miss counts in key_mod_bad (read-only), except a call that
 * returned an earlier target's value while memory held the new code, which
 * counts in key_mod_stale. Reading key_mod_flips gives the updates made so
 * far.
 */
int a64sc_mod_target2(int x)
{
	return x + A64SC_B_ADD;
}
EXPORT_SYMBOL_GPL(a64sc_mod_target2);

static unsigned int key_mod_flips;
static unsigned int key_mod_bad;
static unsigned int key_mod_stale;

/*
 * Odd while key_mod_flips is updating a64sc_key_mod and checking the
 * result, even in between: the test module judges its own sites of the key
 * only in samples taken between two equal, even values (its key_moving
 * case).
 */
unsigned long a64sc_key_mod_seq;
EXPORT_SYMBOL_GPL(a64sc_key_mod_seq);
module_param(key_mod_bad, uint, 0444);
MODULE_PARM_DESC(key_mod_bad, "key_mod_flips updates that left a site or a call wrong (read-only)");
module_param(key_mod_stale, uint, 0444);
MODULE_PARM_DESC(key_mod_stale, "key_mod_flips calls that ran an earlier target with the new code in memory (read-only)");
static DEFINE_MUTEX(a64sc_flip_lock);

static void a64sc_key_mod_verify(void *func, void *old)
{
	int want = ((int (*)(int))func)(A64SC_ARG);
	char why[SC_TRAMP_WHY_LEN];
	int got;
#ifdef CONFIG_HAVE_STATIC_CALL_INLINE
	const struct static_call_site *site;

	for (site = __start_static_call_sites; site < __stop_static_call_sites; site++) {
		struct sc_site s = { .addr = sc_site_addr(site) };

		if (sc_site_key(site) != &STATIC_CALL_KEY(a64sc_key_mod))
			continue;
		s.tail = sc_site_keyword(site) & STATIC_CALL_SITE_TAIL;
		if (!sc_site_check(&s, func, STATIC_CALL_TRAMP_ADDR(a64sc_key_mod),
				   why, sizeof(why))) {
			pr_err("key_mod_flips: %s\n", why);
			key_mod_bad++;
			return;
		}
	}
#endif
	if (IS_ENABLED(CONFIG_HAVE_STATIC_CALL) &&
	    !sc_tramp_verify(STATIC_CALL_TRAMP_ADDR(a64sc_key_mod), func,
			     why, sizeof(why))) {
		pr_err("key_mod_flips: trampoline: %s\n", why);
		key_mod_bad++;
		return;
	}
	got = a64sc_key_mod_call(A64SC_ARG);
	if (got == want)
		return;
	/*
	 * Memory holds the new code (checked above), yet the call ran an
	 * earlier target: a translation the emulator kept (see testing.md),
	 * which need not be the last one (a no-change update after A -> B
	 * can still run A). Counted apart; the selftest fails on it unless
	 * told the guest runs multi-threaded TCG. Any other value is wrong
	 * everywhere.
	 */
	if (got == ((int (*)(int))old)(A64SC_ARG) ||
	    got == a64sc_mod_target(A64SC_ARG) ||
	    got == a64sc_mod_target2(A64SC_ARG)) {
		pr_info("key_mod_flips: CPU %d: the call returned %d, an earlier target's, after memory held %ps\n",
			raw_smp_processor_id(), got, func);
		key_mod_stale++;
		return;
	}
	pr_err("key_mod_flips: the call returned %d, expected %d (%ps)\n",
	       got, want, func);
	key_mod_bad++;
}

static int a64sc_key_mod_flips_set(const char *val, const struct kernel_param *kp)
{
	unsigned int n, i;
	void *old;
	int ret;

	ret = kstrtouint(val, 0, &n);
	if (ret)
		return ret;
	mutex_lock(&a64sc_flip_lock);
	for (i = 0; i < n; i++) {
		void *func = (key_mod_flips & 1) ? (void *)a64sc_mod_target :
						   (void *)a64sc_mod_target2;

		old = static_call_query(a64sc_key_mod);
		WRITE_ONCE(a64sc_key_mod_seq, a64sc_key_mod_seq + 1);
		smp_mb(); /* odd before the update's first write */
		static_call_update(a64sc_key_mod, (typeof(&a64sc_mod_target))func);
		key_mod_flips++;
		a64sc_key_mod_verify(func, old);
		/* Even again once the update and its checks are done. */
		smp_store_release(&a64sc_key_mod_seq, a64sc_key_mod_seq + 1);
	}
	old = static_call_query(a64sc_key_mod);
	WRITE_ONCE(a64sc_key_mod_seq, a64sc_key_mod_seq + 1);
	smp_mb(); /* odd before the update's first write */
	static_call_update(a64sc_key_mod, a64sc_mod_target);
	a64sc_key_mod_verify(a64sc_mod_target, old);
	/* Even again once the update and its checks are done. */
	smp_store_release(&a64sc_key_mod_seq, a64sc_key_mod_seq + 1);
	mutex_unlock(&a64sc_flip_lock);
	return 0;
}

static const struct kernel_param_ops a64sc_key_mod_flips_ops = {
	.set = a64sc_key_mod_flips_set,
	.get = param_get_uint,
};

module_param_cb(key_mod_flips, &a64sc_key_mod_flips_ops, &key_mod_flips, 0644);
MODULE_PARM_DESC(key_mod_flips, "write N: N updates of a64sc_key_mod, each checked (module selftest)");

static const char *const a64sc_inl_callers[] = {
	"a64sc_inl_call", "a64sc_inl_cond", "a64sc_inl_tail",
	"a64sc_inl_init_call",
};

#define A64SC_INL_TAIL		2
#define A64SC_INL_INIT		3

/*
 * The key's sites, each matched to its caller by name: exactly one site
 * per caller, the tail flag on the stub's only, the init flag on the init
 * caller's only. Returns the number of sites, or fails the case.
 */
static int a64sc_inl_sites(struct kunit *test, struct sc_site *sites,
			   int *caller)
{
	unsigned int seen[ARRAY_SIZE(a64sc_inl_callers)] = {};
	char name[KSYM_SYMBOL_LEN];
	int n, i, c;

	n = sc_key_sites(&STATIC_CALL_KEY(a64sc_key_inl), sites, SC_MAX_SITES);
	KUNIT_ASSERT_NE_MSG(test, n, -ENOENT, SC_NO_SITES_MSG);
	KUNIT_ASSERT_GE_MSG(test, n, 0, "too many sites for a64sc_key_inl");
	KUNIT_ASSERT_EQ_MSG(test, n, (int)ARRAY_SIZE(a64sc_inl_callers),
			    "a64sc_key_inl: expected %zu registered call sites, found %d",
			    ARRAY_SIZE(a64sc_inl_callers), n);
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "%ps", sites[i].addr);
		/* GCC may clone a caller (a64sc_inl_cond.constprop.0). */
		strreplace(name, '.', '\0');
		for (c = 0; c < ARRAY_SIZE(a64sc_inl_callers); c++)
			if (!strcmp(name, a64sc_inl_callers[c]))
				break;
		KUNIT_ASSERT_LT_MSG(test, c, (int)ARRAY_SIZE(a64sc_inl_callers),
				    "site %pS is in none of the key's callers", sites[i].addr);
		seen[c]++;
		caller[i] = c;
		KUNIT_EXPECT_EQ_MSG(test, sites[i].tail, c == A64SC_INL_TAIL,
				    "site %pS: tail flag %d", sites[i].addr, sites[i].tail);
		KUNIT_EXPECT_EQ_MSG(test, sites[i].init, c == A64SC_INL_INIT,
				    "site %pS: init flag %d", sites[i].addr, sites[i].init);
	}
	for (c = 0; c < ARRAY_SIZE(a64sc_inl_callers); c++)
		KUNIT_EXPECT_EQ_MSG(test, seen[c], 1U, "%s: %u sites recorded, expected 1",
				    a64sc_inl_callers[c], seen[c]);
	return n;
}

/* Every site of a64sc_key_inl holds the instruction for @func. */
static void a64sc_inl_expect_sites(struct kunit *test, const char *ctx,
				   const struct sc_site *sites, int n, void *func)
{
	char why[SC_TRAMP_WHY_LEN];
	int i;

	for (i = 0; i < n; i++)
		if (!sc_site_check(&sites[i], func,
				   STATIC_CALL_TRAMP_ADDR(a64sc_key_inl),
				   why, sizeof(why)))
			KUNIT_FAIL(test, "%s: %s", ctx, why);
}

/* The call sites were recorded, each once, with the right flags. */
static void a64sc_inline_sites(struct kunit *test)
{
	struct sc_site sites[SC_MAX_SITES];
	int caller[SC_MAX_SITES];
	int n;

	n = a64sc_inl_sites(test, sites, caller);
	a64sc_inl_expect_sites(test, "as built", sites, n, a64sc_a);
}

/*
 * Every ordered pair of in-range, far, NULL and RET0 targets, observed at
 * each site (decoded) and by calling it: a far target is reached through
 * the trampoline, NULL makes the call sites NOPs and the tail site branch
 * to the trampoline, RET0 is a direct call of __static_call_return0.
 */
static void a64sc_inline_transitions(struct kunit *test)
{
	struct a64sc_state s[A64SC_NR_STATES];
	struct sc_site sites[SC_MAX_SITES];
	int caller[SC_MAX_SITES];
	const struct a64sc_state *st;
	unsigned int i, j, k, calls;
	char ctx[96];
	void *far;
	int n, got;

	n = a64sc_inl_sites(test, sites, caller);
	far = a64sc_far_alloc(test, A64SC_FAR_VAL);
	a64sc_states(s, far, A64SC_ARG);
	for (i = 0; i < n; i++)
		KUNIT_ASSERT_FALSE_MSG(test, sc_b_in_range((unsigned long)sites[i].addr,
							   (unsigned long)far),
				       "far target in range of site %pS", sites[i].addr);

	for (i = 0; i < A64SC_NR_STATES; i++) {
		for (j = 0; j < A64SC_NR_STATES; j++) {
			for (k = 0; k < 2; k++) {
				st = &s[k ? j : i];
				static_call_update(a64sc_key_inl, st->func);
				snprintf(ctx, sizeof(ctx), "%s -> %s: at %s",
					 s[i].name, s[j].name, st->name);
				a64sc_inl_expect_sites(test, ctx, sites, n, st->func);
				a64sc_expect_tramp(test, ctx, "a64sc_key_inl",
						   STATIC_CALL_TRAMP_ADDR(a64sc_key_inl),
						   st->func);
				if (st->func) {
					got = a64sc_inl_call(A64SC_ARG);
					KUNIT_EXPECT_EQ_MSG(test, got, st->value,
							    "%s: call site: expected %d, seen %d",
							    ctx, st->value, got);
				}
				got = a64sc_inl_tail(A64SC_ARG);
				KUNIT_EXPECT_EQ_MSG(test, got, st->value,
						    "%s: tail site: expected %d, seen %d",
						    ctx, st->value, got);
				calls = a64sc_inl_cond_calls;
				a64sc_inl_cond(A64SC_ARG);
				KUNIT_EXPECT_EQ(test, a64sc_inl_cond_calls, calls + 1);
			}
		}
	}
	static_call_update(a64sc_key_inl, a64sc_a);
	a64sc_inl_expect_sites(test, "back to a64sc_a", sites, n, a64sc_a);
}

/* The init-text site was patched and called correctly during init. */
static void a64sc_inline_init_site(struct kunit *test)
{
	struct sc_site sites[SC_MAX_SITES];
	int caller[SC_MAX_SITES];

	a64sc_inl_sites(test, sites, caller);
	KUNIT_EXPECT_EQ_MSG(test, a64sc_inl_init_seen[0], A64SC_ARG + A64SC_A_ADD,
			    "init site as built: expected %d, seen %d",
			    A64SC_ARG + A64SC_A_ADD, a64sc_inl_init_seen[0]);
	KUNIT_EXPECT_EQ_MSG(test, a64sc_inl_init_seen[1], A64SC_ARG + A64SC_B_ADD,
			    "init site after update to a64sc_b: expected %d, seen %d",
			    A64SC_ARG + A64SC_B_ADD, a64sc_inl_init_seen[1]);
}

#ifdef CONFIG_KPROBES
/*
 * A kprobe's BRK over a site would be lost, or would hide the site from
 * the next update: static_call_text_reserved() must refuse every site.
 */
static void a64sc_inline_kprobe_refused(struct kunit *test)
{
	struct sc_site sites[SC_MAX_SITES];
	int caller[SC_MAX_SITES];
	int n, i, ret;

	ret = sc_kprobe_try(a64sc_counting);
	KUNIT_ASSERT_EQ_MSG(test, ret, 0, "control: register_kprobe(%ps) failed: %d",
			    a64sc_counting, ret);
	n = a64sc_inl_sites(test, sites, caller);
	for (i = 0; i < n; i++) {
		/*
		 * arm64 kprobes can probe a BL or B (they simulate it), so
		 * the refusal is the generic one for static call sites.
		 */
		KUNIT_EXPECT_TRUE_MSG(test, static_call_text_reserved(sites[i].addr,
								      sites[i].addr),
				      "static_call_text_reserved(%pS) is false", sites[i].addr);
		ret = sc_kprobe_try(sites[i].addr);
		KUNIT_EXPECT_EQ_MSG(test, ret, -EINVAL,
				    "register_kprobe(%pS): expected -EINVAL (a static call site), got %d",
				    sites[i].addr, ret);
	}
	a64sc_inl_expect_sites(test, "after the kprobe attempts", sites, n, a64sc_a);
}
#else
static void a64sc_inline_kprobe_refused(struct kunit *test)
{
	kunit_skip(test, "needs CONFIG_KPROBES");
}
#endif

#ifdef CONFIG_HAVE_STATIC_CALL_INLINE
/*
 * Every registered site of vmlinux decodes to its key's current target,
 * or to a trampoline (whose own target is the key's), or to a NOP for a
 * NULL key at a call site. Sites whose key is updated concurrently (by
 * tracepoints, say) may fail this, so a failing site is checked again.
 */
/* Is @tramp __SCT__<name> for @key __SCK__<name>? */
static bool a64sc_same_key_name(const void *tramp, const void *key)
{
	char t[KSYM_SYMBOL_LEN], k[KSYM_SYMBOL_LEN];

	sprint_symbol_no_offset(t, (unsigned long)tramp);
	sprint_symbol_no_offset(k, (unsigned long)key);
	return str_has_prefix(t, "__SCT__") && str_has_prefix(k, "__SCK__") &&
	       !strcmp(t + 7, k + 7);
}

static bool a64sc_site_ok(const struct static_call_site *site, char *why,
			  size_t len)
{
	struct static_call_key *key = sc_site_key(site);
	struct sc_site s = { .addr = sc_site_addr(site),
			     .tail = sc_site_keyword(site) & STATIC_CALL_SITE_TAIL };
	void *func = READ_ONCE(key->func);
	u32 insn = le32_to_cpu(READ_ONCE(*(__le32 *)s.addr));
	unsigned long dest;

	if (sc_site_check(&s, func, NULL, why, len))
		return true;
	/* A NULL key's call site is a NOP: no route will do. */
	if (!func && !s.tail)
		return false;
	/* In range and aligned: the site must branch there directly. */
	if (func && IS_ALIGNED((unsigned long)func, 4) &&
	    sc_b_in_range((unsigned long)s.addr, (unsigned long)func))
		return false;
	if (!(s.tail ? sc_insn_is_b(insn) : sc_insn_is_bl(insn)))
		return false;
	/*
	 * Its route: the trampoline of the site's own key (same name after
	 * __SCT__ and __SCK__; configs/inline.config has KALLSYMS_ALL, so
	 * keys have names), which must lead to the key's target.
	 */
	dest = sc_b_target((unsigned long)s.addr, insn);
	if (dest < (unsigned long)__static_call_text_start ||
	    dest >= (unsigned long)__static_call_text_end)
		return false;
	if (!a64sc_same_key_name((void *)dest, key)) {
		scnprintf(why, len, "site %pS: routed to %ps, not its own key's (%ps) trampoline",
			  s.addr, (void *)dest, key);
		return false;
	}
	return sc_tramp_verify((void *)dest, func, why, len);
}

/*
 * Also dumps every checked site for the host's independent check
 * (sc-sites --runtime, scripts/sites.sh): "SCDUMP site <addr> <insn>
 * <key> <func> <tail>", after "SCDUMP stext <_stext>" for the KASLR
 * slide, and "SCDUMP end <count>".
 */
static void a64sc_inline_all_sites(struct kunit *test)
{
	const struct static_call_site *site;
	char why[SC_TRAMP_WHY_LEN];
	unsigned int checked = 0, init = 0;

	pr_info("SCDUMP stext %lx\n", (unsigned long)_stext);
	for (site = __start_static_call_sites; site < __stop_static_call_sites; site++) {
		void *addr = sc_site_addr(site);

		if (!kernel_text_address((unsigned long)addr)) {
			init++;
			continue;
		}
		checked++;
		if (!a64sc_site_ok(site, why, sizeof(why)) &&
		    !a64sc_site_ok(site, why, sizeof(why)))
			KUNIT_FAIL(test, "%s", why);
		pr_info("SCDUMP site %lx %08x %lx %lx %d\n", (unsigned long)addr,
			le32_to_cpu(READ_ONCE(*(__le32 *)addr)),
			(unsigned long)sc_site_key(site),
			(unsigned long)READ_ONCE(sc_site_key(site)->func),
			!!(sc_site_keyword(site) & STATIC_CALL_SITE_TAIL));
	}
	pr_info("SCDUMP end %x\n", checked);
	kunit_info(test, "%u vmlinux sites checked, %u not in kernel text\n",
		   checked, init);
	KUNIT_EXPECT_GT(test, checked, 0U);
}
#else
static void a64sc_inline_all_sites(struct kunit *test)
{
	KUNIT_FAIL(test, SC_NO_SITES_MSG);
}
#endif

/* Case "c" runs a64sc_c(); plain names, as in_range is also a macro. */
#define A64SC_CASE(c)							\
	{ .run_case = a64sc_##c, .name = #c,				\
	  .module_name = KBUILD_MODNAME }
#define A64SC_CASE_SLOW(c)						\
	{ .run_case = a64sc_##c, .name = #c,				\
	  .attr.speed = KUNIT_SPEED_SLOW, .module_name = KBUILD_MODNAME }

static struct kunit_case a64sc_cases[] = {
	A64SC_CASE(in_range),
	A64SC_CASE(out_of_range),
	A64SC_CASE(range_edges),
	A64SC_CASE(null),
	A64SC_CASE(ret0),
	A64SC_CASE(transitions),
	A64SC_CASE(query_consistency),
	A64SC_CASE(tail_call),
	A64SC_CASE(bad_input),
	A64SC_CASE(kprobe_refused),
	A64SC_CASE(cfi_ret0),
	A64SC_CASE(perf_guest_state),
	A64SC_CASE(sync_after_update),
	A64SC_CASE_SLOW(concurrency),
	A64SC_CASE(inline_sites),
	A64SC_CASE(inline_transitions),
	A64SC_CASE(inline_init_site),
	A64SC_CASE(inline_kprobe_refused),
	A64SC_CASE(inline_all_sites),
	{}
};

static struct kunit_suite a64sc_suite = {
	.name = "arm64_static_call",
	.test_cases = a64sc_cases,
};

kunit_test_suite(a64sc_suite);

MODULE_DESCRIPTION("KUnit tests for arm64 static call trampolines");
MODULE_LICENSE("GPL");
