// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite "arm64_static_call": kprobes refused on trampolines, case
 * kprobe_refused (inline_kprobe_refused, about call sites, is in
 * a64sc_inline.c).
 */

#include <kunit/test.h>
#include <linux/kprobes.h>
#include <asm/sections.h>

#include "sc_tramp.h"
#include "a64sc.h"

/*
 * Kprobes must stay off the trampolines. A kprobe arms by writing BRK over
 * an instruction and disarms by writing back the copy it saved: an update
 * in between would be lost when the probe goes, leaving the slot branching
 * to an old target while the literal holds the new one. The series puts
 * .static_call.text off limits to kprobes, so registering a probe at any
 * word of a trampoline is refused with -EINVAL. A probe on an ordinary
 * function must still register, or the refusals would prove nothing, and
 * the words just outside the section must not be reserved.
 */
#ifdef CONFIG_KPROBES
void a64sc_kprobe_refused(struct kunit *test)
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
	/* Every instruction (the literal is in .rodata). */
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
	 * late or stops short is seen. register_kprobe() may refuse a word
	 * for a reason of its own (alignment padding that does not decode),
	 * so static_call_text_reserved(), the hook kprobes asks, is asked
	 * directly as well.
	 */
	for (off = 0; off < 8 * sizeof(u32); off += sizeof(u32)) {
		char *first = __static_call_text_start + off;
		char *last = __static_call_text_end - sizeof(u32) - off;

		ret = sc_kprobe_try(first);
		KUNIT_EXPECT_EQ_MSG(test, ret, -EINVAL,
				    "register_kprobe(%pS), .static_call.text + %u: expected -EINVAL, got %d",
				    first, off, ret);
		KUNIT_EXPECT_TRUE_MSG(test,
				      static_call_text_reserved(first, first),
				      "static_call_text_reserved(%pS), .static_call.text + %u: expected reserved",
				      first, off);
		ret = sc_kprobe_try(last);
		KUNIT_EXPECT_EQ_MSG(test, ret, -EINVAL,
				    "register_kprobe(%pS), .static_call.text end - %zu: expected -EINVAL, got %d",
				    last, off + sizeof(u32), ret);
		KUNIT_EXPECT_TRUE_MSG(test,
				      static_call_text_reserved(last, last),
				      "static_call_text_reserved(%pS), .static_call.text end - %zu: expected reserved",
				      last, off + sizeof(u32));
	}
	/*
	 * And no wider: the words just outside the section are not reserved
	 * (with inline static calls one could be a call site, which is
	 * reserved for a reason of its own, so the check is left out there).
	 */
	if (!IS_ENABLED(CONFIG_HAVE_STATIC_CALL_INLINE)) {
		char *before = __static_call_text_start - sizeof(u32);
		char *after = __static_call_text_end;

		KUNIT_EXPECT_FALSE_MSG(test,
				       static_call_text_reserved(before, before),
				       "static_call_text_reserved(%pS), the word before .static_call.text: expected not reserved",
				       before);
		KUNIT_EXPECT_FALSE_MSG(test,
				       static_call_text_reserved(after, after),
				       "static_call_text_reserved(%pS), the word after .static_call.text: expected not reserved",
				       after);
	}
#endif
	a64sc_check(test, "after the kprobe attempts", k, a64sc_a,
		    A64SC_ARG + A64SC_A_ADD);
}
#else
void a64sc_kprobe_refused(struct kunit *test)
{
	kunit_skip(test, "needs CONFIG_KPROBES");
}
#endif
