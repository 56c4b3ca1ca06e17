// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite "arm64_static_call": the targets the cases aim their keys
 * at, and the helpers the cases share (declared in a64sc.h).
 */

#include <kunit/test.h>
#include <linux/static_call.h>
#include <asm/sections.h>

#include "sc_tramp.h"
#include "a64sc.h"

int a64sc_a(int x)
{
	return x + A64SC_A_ADD;
}

int a64sc_b(int x)
{
	return x + A64SC_B_ADD;
}

int a64sc_c(int x)
{
	return x + A64SC_C_ADD;
}

int a64sc_counter;

int a64sc_counting(int x)
{
	WRITE_ONCE(a64sc_counter, READ_ONCE(a64sc_counter) + 1);
	return x + A64SC_A_ADD;
}

/* Arch-specific cases stop here, failing, on a kernel without the series. */
void a64sc_require(struct kunit *test, const void *tramp)
{
	KUNIT_ASSERT_NOT_NULL_MSG(test, tramp, SC_NO_TRAMP_MSG);
}

/*
 * Cases about the direct-branch slot stop here, failing, on a kernel with
 * trampolines but no slot (mainline's literal-only ones).
 */
void a64sc_require_slot(struct kunit *test, const void *tramp)
{
	a64sc_require(test, tramp);
	KUNIT_ASSERT_TRUE_MSG(test, sc_tramp_has_slot(tramp), SC_NO_SLOT_MSG);
}

void a64sc_expect_tramp(struct kunit *test, const char *ctx,
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
void a64sc_check(struct kunit *test, const char *ctx,
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
 * A function "bti c; movz w0, #@value; ret" in far memory
 * (a64sc_far_code_alloc_from(), a64sc_scaffold.c), at or above @from if
 * that is not 0. Freed when the test ends; keys aimed at it must be
 * restored by an action added afterwards (actions run in reverse order).
 */
void *a64sc_far_alloc_from(struct kunit *test, u16 value,
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

void *a64sc_far_alloc(struct kunit *test, u16 value)
{
	return a64sc_far_alloc_from(test, value, 0);
}

static void a64sc_restore_action(void *data)
{
	a64sc_set(data, a64sc_a);
}

/* Set @k back to a64sc_a when the test ends, before far memory is freed. */
void a64sc_restore_at_end(struct kunit *test, const struct a64sc_key *k)
{
	int ret = kunit_add_action_or_reset(test, a64sc_restore_action,
					    (void *)k);

	KUNIT_ASSERT_EQ_MSG(test, ret, 0, "kunit_add_action: %d", ret);
}

/* In range A and B, far C, NULL and RET0, for the given far page. */
void a64sc_states(struct a64sc_state *s, void *far, int arg)
{
	s[0] = (struct a64sc_state){ "a64sc_a", a64sc_a, arg + A64SC_A_ADD };
	s[1] = (struct a64sc_state){ "a64sc_b", a64sc_b, arg + A64SC_B_ADD };
	s[2] = (struct a64sc_state){ "far", far, A64SC_FAR_VAL };
	s[3] = (struct a64sc_state){ "NULL", NULL, 0 };
	s[4] = (struct a64sc_state){ "RET0", (void *)__static_call_return0, 0 };
}
