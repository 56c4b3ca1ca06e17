// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite "arm64_static_call": inline call sites
 * (CONFIG_HAVE_STATIC_CALL_INLINE), the inline_* cases, which fail on a
 * kernel with out-of-line static calls only.
 */

#include <kunit/test.h>
#include <linux/kallsyms.h>
#include <linux/static_call.h>
#include <linux/string.h>
#include <asm/sections.h>

#include "sc_tramp.h"
#include "sc_sites.h"
#include "a64sc.h"

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
A64SC_TAIL_STUB(a64sc_inl_tail, a64sc_key_inl);
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
void a64sc_inline_sites(struct kunit *test)
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
void a64sc_inline_transitions(struct kunit *test)
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
void a64sc_inline_init_site(struct kunit *test)
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
void a64sc_inline_kprobe_refused(struct kunit *test)
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
void a64sc_inline_kprobe_refused(struct kunit *test)
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
 * (sc-sites --runtime, scripts/stages/sites.sh): "SCDUMP site <addr> <insn>
 * <key> <func> <tail>", after "SCDUMP stext <_stext>" for the KASLR
 * slide, and "SCDUMP end <count>".
 */
void a64sc_inline_all_sites(struct kunit *test)
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
void a64sc_inline_all_sites(struct kunit *test)
{
	KUNIT_FAIL(test, SC_NO_SITES_MSG);
}
#endif
