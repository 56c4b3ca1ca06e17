// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite "arm64_static_call": RET0 and NULL keys called with other
 * prototypes than long (void), as kCFI sees them, cases cfi_ret0 and
 * perf_guest_state.
 */

#include <kunit/test.h>
#include <linux/perf_event.h>
#include <linux/rcupdate.h>
#include <linux/static_call.h>

#include "a64sc.h"

/* Prototypes other than long (void), for the RET0/NULL kCFI case. */
typedef unsigned int a64sc_uint_fn_t(void);
typedef int a64sc_ptr_fn_t(struct a64sc_obj *obj, unsigned long n);
typedef void a64sc_void_fn_t(struct a64sc_obj *obj, unsigned long n);

/* One key per case, so a failing case cannot leave another one a key. */
DEFINE_STATIC_CALL_RET0(a64sc_key_cfi_uint, a64sc_uint_fn_t);
DEFINE_STATIC_CALL_RET0(a64sc_key_cfi_ptr, a64sc_ptr_fn_t);
DEFINE_STATIC_CALL_RET0(a64sc_key_cfi_ptr_null, a64sc_ptr_fn_t);
DEFINE_STATIC_CALL_NULL(a64sc_key_cfi_void, a64sc_void_fn_t);

/*
 * RET0 and NULL keys called with prototypes other than long (void). Without
 * the series each call is an indirect call to __static_call_return0 (or to
 * the generic NULL stub) whose kCFI type hash does not match: a "CFI
 * failure". With the series they are direct calls to trampolines.
 */
void a64sc_cfi_ret0(struct kunit *test)
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
void a64sc_perf_guest_state(struct kunit *test)
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
void a64sc_perf_guest_state(struct kunit *test)
{
	kunit_skip(test,
		   "needs CONFIG_PERF_EVENTS=y and CONFIG_GUEST_PERF_EVENTS=y (selected by KVM or this suite): otherwise perf_guest_state() is not a static call");
}
#endif
