// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite "arm64_static_call": the B range of the trampoline's slot,
 * cases in_range, out_of_range and range_edges.
 */

#include <kunit/test.h>
#include <linux/sizes.h>
#include <linux/static_call.h>
#include <asm/sections.h>

#include "sc_tramp.h"
#include "sc_sites.h"
#include "a64sc.h"

/* One key per case, so a failing case cannot leave another one a key. */
DEFINE_STATIC_CALL(a64sc_key_in_range, a64sc_a);
DEFINE_STATIC_CALL(a64sc_key_oor, a64sc_a);
DEFINE_STATIC_CALL(a64sc_key_edge, a64sc_a);

/* Every call below is a direct call to the key's trampoline. */
static int a64sc_key_in_range_call(int x)
{
	return static_call(a64sc_key_in_range)(x);
}

static int a64sc_key_oor_call(int x)
{
	return static_call(a64sc_key_oor)(x);
}

const struct a64sc_key a64sc_in_range_key = A64SC_KEY(a64sc_key_in_range);
static const struct a64sc_key a64sc_oor_key = A64SC_KEY(a64sc_key_oor);

/* A target within +-128 MiB: the slot holds "b target". */
void a64sc_in_range(struct kunit *test)
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
void a64sc_out_of_range(struct kunit *test)
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
void a64sc_range_edges(struct kunit *test)
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
		KUNIT_ASSERT_GT_MSG(test, n, 0,
				    "a64sc_key_edge: call sites: %d (0: none, -E2BIG: more than %d)",
				    n, SC_MAX_SITES);
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
