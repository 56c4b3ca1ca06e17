// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite "arm64_static_call": callers on every CPU racing updates,
 * case concurrency, with its parameters stress_scale, race_calls and
 * emulator_stale_ok (arm64_static_call_kunit.*, see a64sc_suite.c).
 */

#include <kunit/test.h>
#include <linux/jiffies.h>
#include <linux/moduleparam.h>
#include <linux/percpu.h>
#include <linux/sizes.h>
#include <linux/static_call.h>

#include "sc_tramp.h"
#include "sc_race.h"
#include "sc_sites.h"
#include "a64sc.h"

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

/* One key per case, so a failing case cannot leave another one a key. */
DEFINE_STATIC_CALL(a64sc_key_race, a64sc_a);

/* Every call below is a direct call to the key's trampoline. */
static int a64sc_key_race_call(int x)
{
	return static_call(a64sc_key_race)(x);
}

static const struct a64sc_key a64sc_race_key = A64SC_KEY(a64sc_key_race);

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
void a64sc_concurrency(struct kunit *test)
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
