// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite "arm64_static_call": run-time scaffolding for the rig's other
 * tests, no cases (as lib/test_static_key_base.c is for the static key
 * tests). It is built in with the suite because only built-in code can
 * place executable memory far from the kernel, and because the
 * parameters' names (arm64_static_call_kunit.*, under
 * /sys/module/arm64_static_call_kunit/parameters/) are what its users
 * write and read:
 *
 * - a64sc_far_code_alloc() / a64sc_far_code_free(), EXPORT_SYMBOL_GPL:
 *   executable memory more than 256 MiB from the kernel image, for
 *   kmod/static_call_test.c (far_target) and kmod/static_call_bench.c,
 *   which reach them through symbol_get() (common/sc_far.h). The suite's
 *   own cases get theirs through a64sc_far_alloc() (a64sc_helpers.c).
 * - fill_module_range, a parameter written at run time: the module
 *   selftest's -P (kmod/selftest/static_call.sh, far_placement).
 * - inline_sites, a read-only parameter: tells the module selftest
 *   whether the kernel patches call sites.
 * - the kernel key a64sc_key_mod (EXPORT_STATIC_CALL_GPL), its targets
 *   a64sc_mod_target() / a64sc_mod_target2() and its one vmlinux call site
 *   a64sc_key_mod_call(), exported for kmod/static_call_test.c's
 *   inline_sites and key_moving cases (common/sc_sites.h);
 *   key_mod_flips, key_mod_bad and key_mod_stale (parameters) and
 *   a64sc_key_mod_seq (exported) for the module selftest's
 *   load_unload_updating (kmod/selftest/static_call.sh).
 * - the kernel key a64sc_key_tramp, exported by its trampoline only
 *   (EXPORT_STATIC_CALL_TRAMP_GPL), with a64sc_tramp_target(),
 *   a64sc_key_tramp_call() (its vmlinux site), a64sc_key_tramp_set() and
 *   a64sc_key_tramp_key(), for the module's static_call_mod() site
 *   (inline_sites).
 * - watch_load, a parameter written and read at run time: the cross-CPU
 *   calls a module load's static call set-up sends (the module
 *   selftest's load_sync).
 * - a64sc_mod_text_reserved(), EXPORT_SYMBOL_GPL: what kprobes would be
 *   told of a word of module text (common/sc_tramp.h), for the module's
 *   kprobe_refused.
 */

#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/kprobes.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/mutex.h>
#include <linux/numa.h>
#include <linux/rcupdate.h>
#include <linux/set_memory.h>
#include <linux/sizes.h>
#include <linux/static_call.h>
#include <linux/string.h>
#include <linux/sysfs.h>
#include <linux/tracepoint.h>
#include <linux/vmalloc.h>
#include <asm/cacheflush.h>
#include <asm/sections.h>

#include "sc_far.h"
#include "sc_tramp.h"
#include "sc_sites.h"
#include "a64sc.h"

/* ---- far executable memory (more than 128 MiB from the kernel) ---- */

static void *a64sc_vmalloc_window(unsigned long start, unsigned long end)
{
	if (start >= end || end - start < PAGE_SIZE)
		return NULL;
	return __vmalloc_node_range(PAGE_SIZE, PAGE_SIZE, start, end,
				    GFP_KERNEL | __GFP_NOWARN, PAGE_KERNEL, 0,
				    NUMA_NO_NODE, __builtin_return_address(0));
}

void a64sc_far_free(void *page)
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
void *a64sc_far_code_alloc_from(const void *code, size_t len,
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

/* ---- the kprobe refusal range of a module's .static_call.text ---- */

/*
 * register_kprobe() refuses a word for reasons of its own too (a word it
 * cannot decode, such as alignment padding), so a module cannot tell from
 * it that the word just outside its .static_call.text is reserved: it asks
 * the hook kprobes asks, for module text only (the hook looks modules up
 * by text address).
 */
int a64sc_mod_text_reserved(const void *addr)
{
	void *a = (void *)addr;
	bool text;

	/* 6.12 asserts preemption off for the lookup, 7.x an RCU reader. */
	preempt_disable();
	rcu_read_lock();
	text = __module_text_address((unsigned long)a);
	rcu_read_unlock();
	preempt_enable();
	if (!text)
		return -ENOENT;
	return static_call_text_reserved(a, a) ? 1 : 0;
}
EXPORT_SYMBOL_GPL(a64sc_mod_text_reserved);

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
			/*
			 * Named a64sc_fill in /proc/vmallocinfo: the
			 * selftest counts the areas there after the release.
			 */
			area = __get_vm_area_caller(size, VM_NO_GUARD, start, end,
						    (void *)a64sc_fill);
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

/* ---- for the module selftest and the test module's inline cases ---- */

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
 * A kernel key exported by its trampoline only (EXPORT_STATIC_CALL_TRAMP_GPL):
 * a module calls it with static_call_mod() and cannot name the key, so its
 * site's table entry names the trampoline, which the kernel maps back to
 * the key through .static_call_tramp_key. Its updates and its key are
 * reached through the exported functions below.
 */
int a64sc_tramp_target(int x)
{
	return x + A64SC_B_ADD;
}
EXPORT_SYMBOL_GPL(a64sc_tramp_target);

DEFINE_STATIC_CALL(a64sc_key_tramp, a64sc_tramp_target);
/* Without static calls (the unpatched baseline) there is no trampoline. */
#ifdef CONFIG_HAVE_STATIC_CALL
EXPORT_STATIC_CALL_TRAMP_GPL(a64sc_key_tramp);
#endif

noinline int a64sc_key_tramp_call(int x)
{
	return static_call(a64sc_key_tramp)(x);
}
EXPORT_SYMBOL_GPL(a64sc_key_tramp_call);

void a64sc_key_tramp_set(int (*func)(int x))
{
	static_call_update(a64sc_key_tramp, func);
}
EXPORT_SYMBOL_GPL(a64sc_key_tramp_set);

struct static_call_key *a64sc_key_tramp_key(void)
{
	return &STATIC_CALL_KEY(a64sc_key_tramp);
}
EXPORT_SYMBOL_GPL(a64sc_key_tramp_key);

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
		/*
		 * Stay settled for a while: the module's key_moving case only
		 * judges samples taken between two updates, and where the
		 * vCPUs take turns (single-threaded TCG) it would otherwise
		 * almost never run inside that window.
		 */
		usleep_range(50, 100);
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

/* ---- watch_load: the synchronisations a module load costs ---- */

/*
 * watch_load, written 1 by the module selftest before an insmod (load_sync)
 * and read after it: the cross-CPU calls the loading task queued, and for
 * how many other CPUs, while static calls took in the arriving module
 * (static_call_module_notify() for MODULE_STATE_COMING: with inline sites,
 * every site of the module is written there). They are counted through
 * the kernel's csd_queue_cpu tracepoint, between the entry and the return
 * of the notifier (a kretprobe), as sc_sync.h counts an update's. Reading
 * gives "calls=<n> cpus=<other CPUs that got one> others=<other online
 * CPUs> sites=<the module's call sites>" (and the calls queued without
 * waiting, the kretprobe's missed hits and the module's name), or
 * "error=<errno>". Writing 0 stops watching; the next write of 1 starts
 * afresh.
 */
struct a64sc_load_watch {
	struct task_struct *task;	/* the loading task, while in the notifier */
	struct module *mod;
	atomic_t calls;		/* waited for (CSD_TYPE_SYNC) */
	atomic_t unwaited;	/* queued without waiting (CSD_TYPE_ASYNC) */
	struct cpumask hit;
	unsigned int others;
	int sites;
	char name[MODULE_NAME_LEN];
	int err;
};

static struct a64sc_load_watch a64sc_lw;
static bool watch_load;
static struct tracepoint *a64sc_lw_tp;

static void a64sc_lw_find_tp(struct tracepoint *tp, void *priv)
{
	if (!strcmp(tp->name, "csd_queue_cpu"))
		a64sc_lw_tp = tp;
}

static void a64sc_lw_queued(void *data, const unsigned int cpu,
			    unsigned long callsite, smp_call_func_t func,
			    call_single_data_t *csd)
{
	unsigned int type;

	if (READ_ONCE(a64sc_lw.task) != current || !in_task() || !csd ||
	    cpu >= nr_cpu_ids)
		return;
	type = csd->node.u_flags & CSD_FLAG_TYPE_MASK;
	if (type != CSD_TYPE_SYNC && type != CSD_TYPE_ASYNC)
		return;
	if (type == CSD_TYPE_SYNC)
		atomic_inc(&a64sc_lw.calls);
	else
		atomic_inc(&a64sc_lw.unwaited);
	cpumask_set_cpu(cpu, &a64sc_lw.hit);
}

static int a64sc_lw_entry(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	/* static_call_module_notify(nb, val, data) */
	if (regs->regs[1] != MODULE_STATE_COMING)
		return 1;	/* no return handler */
	a64sc_lw.mod = (struct module *)regs->regs[2];
	strscpy(a64sc_lw.name, a64sc_lw.mod->name, sizeof(a64sc_lw.name));
	a64sc_lw.others = num_online_cpus() - 1;
	WRITE_ONCE(a64sc_lw.task, current);
	return 0;
}

static int a64sc_lw_return(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	WRITE_ONCE(a64sc_lw.task, NULL);
#ifdef CONFIG_HAVE_STATIC_CALL_INLINE
	if (a64sc_lw.mod)
		a64sc_lw.sites = a64sc_lw.mod->num_static_call_sites;
#endif
	a64sc_lw.mod = NULL;
	return 0;
}

static struct kretprobe a64sc_lw_krp = {
	.kp.symbol_name = "static_call_module_notify",
	.entry_handler = a64sc_lw_entry,
	.handler = a64sc_lw_return,
	.maxactive = 4,
};

static void a64sc_lw_stop(void)
{
	unregister_kretprobe(&a64sc_lw_krp);
	tracepoint_probe_unregister(a64sc_lw_tp, a64sc_lw_queued, NULL);
	tracepoint_synchronize_unregister();
	watch_load = false;
}

static int a64sc_watch_load_set(const char *val, const struct kernel_param *kp)
{
	bool on;
	int ret = kstrtobool(val, &on);

	if (ret)
		return ret;
	if (watch_load)
		a64sc_lw_stop();
	if (!on)
		return 0;
	memset(&a64sc_lw, 0, sizeof(a64sc_lw));
	atomic_set(&a64sc_lw.calls, 0);
	atomic_set(&a64sc_lw.unwaited, 0);
	a64sc_lw.sites = -1;
	if (!a64sc_lw_tp)
		for_each_kernel_tracepoint(a64sc_lw_find_tp, NULL);
	if (!a64sc_lw_tp) {
		a64sc_lw.err = -ENOENT;
		return 0;
	}
	a64sc_lw.err = tracepoint_probe_register(a64sc_lw_tp, a64sc_lw_queued, NULL);
	if (a64sc_lw.err)
		return 0;
	/* A kretprobe is reused: its instances and state start afresh. */
	memset(&a64sc_lw_krp.kp, 0, sizeof(a64sc_lw_krp.kp));
	a64sc_lw_krp.kp.symbol_name = "static_call_module_notify";
	a64sc_lw.err = register_kretprobe(&a64sc_lw_krp);
	if (a64sc_lw.err) {
		tracepoint_probe_unregister(a64sc_lw_tp, a64sc_lw_queued, NULL);
		tracepoint_synchronize_unregister();
		return 0;
	}
	watch_load = true;
	return 0;
}

static int a64sc_watch_load_get(char *buf, const struct kernel_param *kp)
{
	if (a64sc_lw.err)
		return sysfs_emit(buf, "error=%d\n", a64sc_lw.err);
	return sysfs_emit(buf,
			  "calls=%d unwaited=%d cpus=%u others=%u sites=%d missed=%d module=%s\n",
			  atomic_read(&a64sc_lw.calls), atomic_read(&a64sc_lw.unwaited),
			  cpumask_weight(&a64sc_lw.hit), a64sc_lw.others, a64sc_lw.sites,
			  a64sc_lw_krp.nmissed, a64sc_lw.name[0] ? a64sc_lw.name : "-");
}

static const struct kernel_param_ops a64sc_watch_load_ops = {
	.set = a64sc_watch_load_set,
	.get = a64sc_watch_load_get,
};
module_param_cb(watch_load, &a64sc_watch_load_ops, &watch_load, 0644);
MODULE_PARM_DESC(watch_load,
		 "1: count the cross-CPU calls of the next module load's static call set-up (module selftest load_sync); read: calls=, cpus=, others=, sites=");
