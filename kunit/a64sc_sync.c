// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite "arm64_static_call": the context synchronisation an update
 * owes the other CPUs, case sync_after_update.
 */

#include <kunit/test.h>
#include <linux/static_call.h>
#include <linux/string.h>

#include "sc_tramp.h"
#include "sc_sync.h"
#include "sc_sites.h"
#include "a64sc.h"

/* One key per case, so a failing case cannot leave another one a key. */
DEFINE_STATIC_CALL(a64sc_key_sync, a64sc_a);

/* Every call below is a direct call to the key's trampoline. */
static int a64sc_key_sync_call(int x)
{
	return static_call(a64sc_key_sync)(x);
}

static const struct a64sc_key a64sc_sync_key = A64SC_KEY(a64sc_key_sync);

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
	KUNIT_EXPECT_GT_MSG(test, n, 0,
			    "%s: call sites of %s: %d (0: none, -E2BIG: more than %d)",
			    ctx, k->name, n, SC_MAX_SITES);
	for (i = 0; i < n; i++)
		if (!sites[i].init &&
		    !sc_site_check(&sites[i], func, k->tramp, why, sizeof(why)))
			KUNIT_FAIL(test, "%s: %s", ctx, why);
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
	KUNIT_ASSERT_GT_MSG(test, n, 0,
			    "%s: call sites: %d (0: none, -E2BIG: more than %d)",
			    k->name, n, SC_MAX_SITES);
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
void a64sc_sync_after_update(struct kunit *test)
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
	KUNIT_ASSERT_GE_MSG(test, num_online_cpus(), SC_SYNC_MIN_CPUS,
			    "needs %u online CPUs: the updater's, a busy one and an idle one",
			    SC_SYNC_MIN_CPUS);
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
