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
 *
 * The suite is split by topic into the files below, linked into the one
 * object arm64_static_call_kunit.o: each of them is built with the
 * KBUILD_MODNAME arm64_static_call_kunit, the prefix of every parameter.
 *	a64sc.h			the declarations the files share
 *	a64sc_suite.c		the case table and the suite (this file)
 *	a64sc_helpers.c		targets and helpers shared by the cases
 *	a64sc_scaffold.c	run-time scaffolding for the test modules and
 *				the module selftest (not cases)
 *	a64sc_range.c		in_range, out_of_range, range_edges
 *	a64sc_transitions.c	null, ret0, transitions, query_consistency,
 *				tail_call, bad_input
 *	a64sc_kprobes.c		kprobe_refused
 *	a64sc_cfi.c		cfi_ret0, perf_guest_state
 *	a64sc_sync.c		sync_after_update
 *	a64sc_concurrency.c	concurrency, and the three parameters above
 *	a64sc_inline.c		the other inline_* cases
 *	a64sc_batch.c		inline_site_refused, inline_route_refused,
 *				inline_one_sync
 */

#include <kunit/test.h>
#include <linux/module.h>

#include "a64sc.h"

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
	A64SC_CASE(inline_site_refused),
	A64SC_CASE(inline_route_refused),
	A64SC_CASE(inline_one_sync),
	{}
};

static struct kunit_suite a64sc_suite = {
	.name = "arm64_static_call",
	.test_cases = a64sc_cases,
};

kunit_test_suite(a64sc_suite);

MODULE_DESCRIPTION("KUnit tests for arm64 static call trampolines");
MODULE_LICENSE("GPL");
