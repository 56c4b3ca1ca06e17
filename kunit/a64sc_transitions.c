// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite "arm64_static_call": updates between targets of every kind,
 * cases null, ret0, transitions, query_consistency, tail_call and
 * bad_input.
 */

#include <kunit/test.h>
#include <linux/static_call.h>
#include <linux/string.h>

#include "sc_tramp.h"
#include "a64sc.h"

static int a64sc_add(int x, int y)
{
	return x + y;
}

static long a64sc_obj_len(const struct a64sc_obj *obj, const char *s)
{
	return obj->val + strlen(s);
}

/* One key per case, so a failing case cannot leave another one a key. */
DEFINE_STATIC_CALL_NULL(a64sc_key_null, a64sc_counting);
DEFINE_STATIC_CALL_RET0(a64sc_key_ret0_int, a64sc_add);
DEFINE_STATIC_CALL_RET0(a64sc_key_ret0_ptr, a64sc_obj_len);
DEFINE_STATIC_CALL(a64sc_key_trans, a64sc_a);
DEFINE_STATIC_CALL(a64sc_key_query, a64sc_a);
DEFINE_STATIC_CALL(a64sc_key_tail, a64sc_a);
DEFINE_STATIC_CALL(a64sc_key_bad, a64sc_a);

/* Every call below is a direct call to the key's trampoline. */

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

static const struct a64sc_key a64sc_null_key = A64SC_KEY(a64sc_key_null);
static const struct a64sc_key a64sc_trans_key = A64SC_KEY(a64sc_key_trans);
static const struct a64sc_key a64sc_query_key = A64SC_KEY(a64sc_key_query);
static const struct a64sc_key a64sc_tail_key = A64SC_KEY(a64sc_key_tail);
static const struct a64sc_key a64sc_bad_key = A64SC_KEY(a64sc_key_bad);

/* NULL keys: no-op through static_call_cond(), RET0 trampoline. */
void a64sc_null(struct kunit *test)
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
void a64sc_ret0(struct kunit *test)
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

/* Every ordered pair (including X -> X) of in-range, far, NULL and RET0. */
void a64sc_transitions(struct kunit *test)
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
void a64sc_query_consistency(struct kunit *test)
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
A64SC_TAIL_STUB(a64sc_tail_stub, a64sc_key_tail);
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
void a64sc_tail_call(struct kunit *test)
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

/*
 * A misaligned target is installed through the literal, with a warning:
 * the trampoline then calls what key->func and static_call_query() say, as
 * the indirect call it replaces would (the call would fault at the target,
 * so it is not made). Its slot is a NOP: no B can encode the target.
 */
void a64sc_bad_input(struct kunit *test)
{
	const struct a64sc_key *k = &a64sc_bad_key;
	void *bad = (void *)((unsigned long)a64sc_b + 2);
	struct sc_tramp after;
	unsigned long dest;
	enum sc_path path;
	void *seen;

	a64sc_require(test, k->tramp);
	static_call_update(a64sc_key_bad, a64sc_a);
	a64sc_restore_at_end(test, k);

	kunit_info(test, "expected WARNING follows: static_call_update() to misaligned %pS\n",
		   bad);
	a64sc_set(k, bad);
	sc_tramp_read(k->tramp, &after);

	seen = static_call_query(a64sc_key_bad);
	KUNIT_EXPECT_PTR_EQ_MSG(test, seen, bad,
				"static_call_query(): expected %pS, seen %pS",
				bad, seen);
	path = sc_tramp_dest(&after, &dest);
	KUNIT_EXPECT_EQ_MSG(test, path, SC_PATH_LITERAL,
			    "slot 0x%08x (%s): expected a nop, no branch encodes %pS",
			    after.insn[1], sc_path_name(path), bad);
	KUNIT_EXPECT_EQ_MSG(test, dest, (unsigned long)bad,
			    "the trampoline leads to 0x%lx, expected the misaligned %pS",
			    dest, bad);

	static_call_update(a64sc_key_bad, a64sc_b);
	a64sc_check(test, "restored with a proper update", k, a64sc_b,
		    A64SC_ARG + A64SC_B_ADD);
}
