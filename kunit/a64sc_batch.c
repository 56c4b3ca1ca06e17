// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit suite "arm64_static_call": what the inline series checks before it
 * writes a call site, and how often it synchronises the other CPUs. The
 * cases inline_site_refused, inline_route_refused and inline_one_sync fail
 * on a kernel with out-of-line static calls only.
 */
#include <kunit/test.h>
#include <linux/memory.h>
#include <linux/mutex.h>
#include <linux/static_call.h>
#include <linux/string.h>

#include "sc_tramp.h"
#include "sc_sync.h"
#include "sc_sites.h"
#include "a64sc.h"

/* mov x0, x0 (orr x0, xzr, x0): no instruction a site may hold. */
#define A64SC_FOREIGN_INSN	0xaa0003e0U

/*
 * a64sc_key_val has three call sites, one per noinline caller, and a tail
 * site; a64sc_key_val2 only lends its trampoline to inline_route_refused.
 * The callers differ (GCC's -fipa-icf folds identical functions into one,
 * which would leave one site for three callers); every target of these
 * cases adds a constant, so each returns target(x).
 */
DEFINE_STATIC_CALL(a64sc_key_val, a64sc_a);
DEFINE_STATIC_CALL(a64sc_key_val2, a64sc_c);

static noinline int a64sc_val_call0(int x)
{
	return static_call(a64sc_key_val)(x);
}

static noinline int a64sc_val_call1(int x)
{
	return static_call(a64sc_key_val)(x + 1) - 1;
}

static noinline int a64sc_val_call2(int x)
{
	return static_call(a64sc_key_val)(x + 2) - 2;
}

#ifdef CONFIG_HAVE_STATIC_CALL
A64SC_TAIL_STUB(a64sc_val_tail, a64sc_key_val);
#else
static noinline int a64sc_val_tail(int x)
{
	return static_call(a64sc_key_val)(x);
}
#endif

/*
 * Caller @i of the key (3: the tail stub), called directly: the assembly
 * stub has no kCFI type hash, so it must not be called through a pointer.
 */
static int a64sc_val_caller(int i, int x)
{
	switch (i) {
	case 0:
		return a64sc_val_call0(x);
	case 1:
		return a64sc_val_call1(x);
	case 2:
		return a64sc_val_call2(x);
	default:
		return a64sc_val_tail(x);
	}
}

/* The key's four sites, the tail site last; fails the case otherwise. */
static void a64sc_val_sites(struct kunit *test, struct sc_site *sites)
{
	struct sc_site tmp;
	int n, i;

	n = sc_key_sites(&STATIC_CALL_KEY(a64sc_key_val), sites, SC_MAX_SITES);
	KUNIT_ASSERT_NE_MSG(test, n, -ENOENT, SC_NO_SITES_MSG);
	KUNIT_ASSERT_EQ_MSG(test, n, 4, "a64sc_key_val: expected 4 call sites, found %d", n);
	for (i = 0; i < n - 1; i++) {
		if (!sites[i].tail)
			continue;
		tmp = sites[i];
		sites[i] = sites[n - 1];
		sites[n - 1] = tmp;
	}
	for (i = 0; i < n; i++)
		KUNIT_ASSERT_EQ_MSG(test, sites[i].tail, i == n - 1,
				    "a64sc_key_val: expected exactly one tail site");
}

static u32 a64sc_insn_at(const void *addr)
{
	return le32_to_cpu(READ_ONCE(*(const __le32 *)addr));
}

/* The instructions a case wrote over, put back however the case ends. */
struct a64sc_saved_sites {
	void *addr[2];
	u32 insn[2];
};

static void a64sc_put_back(void *data)
{
	struct a64sc_saved_sites *sv = data;
	int i;

	mutex_lock(&text_mutex);
	for (i = 0; i < 2; i++)
		if (sv->addr[i] && a64sc_insn_at(sv->addr[i]) != sv->insn[i])
			aarch64_insn_patch_text_nosync(sv->addr[i], sv->insn[i]);
	mutex_unlock(&text_mutex);
}

static void a64sc_write_site(struct kunit *test, void *addr, u32 insn)
{
	int ret;

	mutex_lock(&text_mutex);
	ret = aarch64_insn_patch_text_nosync(addr, insn);
	mutex_unlock(&text_mutex);
	KUNIT_ASSERT_EQ_MSG(test, ret, 0, "writing %08x at %pS: %d", insn, addr, ret);
}

/*
 * A site that holds something no static call ever wrote there (a
 * debugger's breakpoint, or a B where the table says call) must be left
 * alone by an update, with a warning naming it; the key's other sites are
 * updated as usual.
 */
void a64sc_inline_site_refused(struct kunit *test)
{
	struct sc_site sites[SC_MAX_SITES];
	struct a64sc_saved_sites *sv;
	char why[SC_TRAMP_WHY_LEN];
	void *victim, *tail;
	u32 built, tail_built, as_b;
	int i, got;

	a64sc_val_sites(test, sites);
	static_call_update(a64sc_key_val, a64sc_a);
	victim = sites[1].addr;
	tail = sites[3].addr;
	built = a64sc_insn_at(victim);
	tail_built = a64sc_insn_at(tail);
	sv = kunit_kzalloc(test, sizeof(*sv), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, sv);
	*sv = (struct a64sc_saved_sites){ { victim, tail }, { built, tail_built } };
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, a64sc_put_back, sv), 0);

	/* A foreign instruction at a call site: warned about, untouched. */
	a64sc_write_site(test, victim, A64SC_FOREIGN_INSN);
	kunit_info(test,
		   "expected WARNING follows: \"static_call: %pS holds %08x, not a BL or NOP: left unpatched\"\n",
		   victim, A64SC_FOREIGN_INSN);
	static_call_update(a64sc_key_val, a64sc_b);
	KUNIT_EXPECT_EQ_MSG(test, a64sc_insn_at(victim), A64SC_FOREIGN_INSN,
			    "%pS: a site holding %08x was rewritten to %08x",
			    victim, A64SC_FOREIGN_INSN, a64sc_insn_at(victim));
	for (i = 0; i < 4; i++) {
		if (sites[i].addr == victim)
			continue;
		if (!sc_site_check(&sites[i], a64sc_b,
				   STATIC_CALL_TRAMP_ADDR(a64sc_key_val), why, sizeof(why)))
			KUNIT_FAIL(test, "after the refusal: %s", why);
	}

	/*
	 * A B (a jump) at a call site, or a BL at the tail site: the tail
	 * flag and the instruction disagree, and rewriting either would turn
	 * a call into a jump or the reverse. Left alone; the warning above
	 * is printed once only.
	 */
	as_b = sc_branch_encode((unsigned long)victim, (unsigned long)a64sc_b, false);
	a64sc_write_site(test, victim, as_b);
	a64sc_write_site(test, tail,
			 sc_branch_encode((unsigned long)tail, (unsigned long)a64sc_b, true));
	static_call_update(a64sc_key_val, a64sc_c);
	KUNIT_EXPECT_EQ_MSG(test, a64sc_insn_at(victim), as_b,
			    "%pS: a call site holding a B was rewritten to %08x",
			    victim, a64sc_insn_at(victim));
	KUNIT_EXPECT_EQ_MSG(test, a64sc_insn_at(tail),
			    sc_branch_encode((unsigned long)tail, (unsigned long)a64sc_b, true),
			    "%pS: the tail site holding a BL was rewritten to %08x",
			    tail, a64sc_insn_at(tail));
	for (i = 0; i < 3; i += 2)
		if (!sc_site_check(&sites[i], a64sc_c, STATIC_CALL_TRAMP_ADDR(a64sc_key_val),
				   why, sizeof(why)))
			KUNIT_FAIL(test, "after the second refusal: %s", why);

	/* Put the sites back as built; the next update finds them valid. */
	a64sc_write_site(test, victim, built);
	a64sc_write_site(test, tail, tail_built);
	static_call_update(a64sc_key_val, a64sc_a);
	for (i = 0; i < 4; i++) {
		if (!sc_site_check(&sites[i], a64sc_a,
				   STATIC_CALL_TRAMP_ADDR(a64sc_key_val), why, sizeof(why)))
			KUNIT_FAIL(test, "restored: %s", why);
		got = a64sc_val_caller(i, A64SC_ARG);
		KUNIT_EXPECT_EQ_MSG(test, got, A64SC_ARG + A64SC_A_ADD,
				    "restored: caller %d: expected %d, seen %d", i,
				    A64SC_ARG + A64SC_A_ADD, got);
	}
}

/*
 * The two tables must agree: an update whose trampoline is not the one
 * the key's sites route to (as if .static_call_sites and
 * .static_call_routes named different keys) must leave the sites alone,
 * with a warning. __static_call_update() is given a64sc_key_val with
 * a64sc_key_val2's trampoline.
 */
void a64sc_inline_route_refused(struct kunit *test)
{
	void *tramp = STATIC_CALL_TRAMP_ADDR(a64sc_key_val);
	void *other = STATIC_CALL_TRAMP_ADDR(a64sc_key_val2);
	struct sc_site sites[SC_MAX_SITES], order[SC_MAX_SITES];
	char why[SC_TRAMP_WHY_LEN];
	void *first;
	int i, got;

	a64sc_val_sites(test, sites);
	a64sc_require(test, other);
	static_call_update(a64sc_key_val, a64sc_a);

	/* Generic code visits the key's sites in table order: warned first. */
	KUNIT_ASSERT_GT(test, sc_key_sites(&STATIC_CALL_KEY(a64sc_key_val), order,
					   SC_MAX_SITES), 0);
	first = order[0].addr;
	kunit_info(test,
		   "expected WARNING follows: \"static_call: %pS routes to %pS, not to %ps: left unpatched\"\n",
		   first, tramp, other);
	__static_call_update(&STATIC_CALL_KEY(a64sc_key_val), other, a64sc_b);
	for (i = 0; i < 4; i++) {
		if (!sc_site_check(&sites[i], a64sc_a, tramp, why, sizeof(why)))
			KUNIT_FAIL(test, "an update through another trampoline changed a site: %s",
				   why);
		got = a64sc_val_caller(i, A64SC_ARG);
		KUNIT_EXPECT_EQ_MSG(test, got, A64SC_ARG + A64SC_A_ADD,
				    "caller %d: expected %d, seen %d", i,
				    A64SC_ARG + A64SC_A_ADD, got);
	}

	/* Back: each key's trampoline and sites as its key says. */
	static_call_update(a64sc_key_val, a64sc_a);
	static_call_update(a64sc_key_val2, a64sc_b);
	static_call_update(a64sc_key_val2, a64sc_c);
	a64sc_expect_tramp(test, "restored", "a64sc_key_val", tramp, a64sc_a);
	a64sc_expect_tramp(test, "restored", "a64sc_key_val2", other, a64sc_c);
}

/*
 * Keys with 1, 4, 16 and 64 call sites: a chain of calls in one noinline
 * function, each call a site of its own.
 */
#define A64SC_S4_1(x)	static_call(a64sc_key_s4)(x)
#define A64SC_S4(x)	A64SC_S4_1(A64SC_S4_1(A64SC_S4_1(A64SC_S4_1(x))))
#define A64SC_S16_1(x)	static_call(a64sc_key_s16)(x)
#define A64SC_S16_4(x)	A64SC_S16_1(A64SC_S16_1(A64SC_S16_1(A64SC_S16_1(x))))
#define A64SC_S16(x)	A64SC_S16_4(A64SC_S16_4(A64SC_S16_4(A64SC_S16_4(x))))
#define A64SC_S64_1(x)	static_call(a64sc_key_s64)(x)
#define A64SC_S64_4(x)	A64SC_S64_1(A64SC_S64_1(A64SC_S64_1(A64SC_S64_1(x))))
#define A64SC_S64_16(x)	A64SC_S64_4(A64SC_S64_4(A64SC_S64_4(A64SC_S64_4(x))))
#define A64SC_S64(x)	A64SC_S64_16(A64SC_S64_16(A64SC_S64_16(A64SC_S64_16(x))))

DEFINE_STATIC_CALL(a64sc_key_s1, a64sc_a);
DEFINE_STATIC_CALL(a64sc_key_s4, a64sc_a);
DEFINE_STATIC_CALL(a64sc_key_s16, a64sc_a);
DEFINE_STATIC_CALL(a64sc_key_s64, a64sc_a);

static noinline int a64sc_s1_chain(int x)
{
	return static_call(a64sc_key_s1)(x);
}

static noinline int a64sc_s4_chain(int x)
{
	return A64SC_S4(x);
}

static noinline int a64sc_s16_chain(int x)
{
	return A64SC_S16(x);
}

static noinline int a64sc_s64_chain(int x)
{
	return A64SC_S64(x);
}

static int a64sc_key_s1_call(int x)
{
	return a64sc_s1_chain(x);
}

static int a64sc_key_s4_call(int x)
{
	return a64sc_s4_chain(x);
}

static int a64sc_key_s16_call(int x)
{
	return a64sc_s16_chain(x);
}

static int a64sc_key_s64_call(int x)
{
	return a64sc_s64_chain(x);
}

struct a64sc_chain {
	struct a64sc_key k;
	int nr;		/* call sites */
};

static const struct a64sc_chain a64sc_chains[] = {
	{ A64SC_KEY(a64sc_key_s1), 1 },
	{ A64SC_KEY(a64sc_key_s4), 4 },
	{ A64SC_KEY(a64sc_key_s16), 16 },
	{ A64SC_KEY(a64sc_key_s64), 64 },
};

#define A64SC_CHAIN_MAX_SITES	64

struct a64sc_chain_step {
	const struct a64sc_chain *c;
	void *func;
};

static void a64sc_chain_update(void *arg)
{
	const struct a64sc_chain_step *st = arg;

	a64sc_set(&st->c->k, st->func);
}

/*
 * An update rewrites all of its key's sites and its trampoline, and then
 * synchronises every other CPU once, whatever the number of sites: each
 * other CPU takes exactly one of the update's cross-CPU calls, after the
 * last write (sc_sync.h counts the calls the updating task queues, through
 * the kernel's csd_queue_cpu tracepoint, and sees what each one found).
 * Every site holds the new target afterwards, the last one included.
 */
void a64sc_inline_one_sync(struct kunit *test)
{
	struct sc_sync_result *res;
	struct sc_sync_words *w;
	struct sc_site *sites;
	char why[SC_SYNC_WHY_LEN];
	unsigned int c, r;
	int n, i, ret, got, want;

	sites = kunit_kcalloc(test, A64SC_CHAIN_MAX_SITES + 1, sizeof(*sites), GFP_KERNEL);
	res = kunit_kzalloc(test, sizeof(*res), GFP_KERNEL);
	w = kunit_kzalloc(test, sizeof(*w), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, sites);
	KUNIT_ASSERT_NOT_NULL(test, res);
	KUNIT_ASSERT_NOT_NULL(test, w);
	KUNIT_ASSERT_GE_MSG(test, num_online_cpus(), SC_SYNC_MIN_CPUS,
			    "needs %u online CPUs", SC_SYNC_MIN_CPUS);

	for (c = 0; c < ARRAY_SIZE(a64sc_chains); c++) {
		const struct a64sc_chain *ch = &a64sc_chains[c];

		n = sc_key_sites(ch->k.key, sites, A64SC_CHAIN_MAX_SITES + 1);
		KUNIT_ASSERT_NE_MSG(test, n, -ENOENT, SC_NO_SITES_MSG);
		a64sc_require_slot(test, ch->k.tramp);
		a64sc_restore_at_end(test, &ch->k);
		a64sc_set(&ch->k, a64sc_a);
		n = sc_key_sites(ch->k.key, sites, A64SC_CHAIN_MAX_SITES + 1);
		KUNIT_ASSERT_EQ_MSG(test, n, ch->nr, "%s: expected %d call sites, found %d",
				    ch->k.name, ch->nr, n);

		memset(w, 0, sizeof(*w));
		sc_sync_watch_tramp(w, ch->k.tramp);
		for (i = 0; i < n; i++)
			sc_sync_watch_word(w, sites[i].addr);

		/* a64sc_a -> a64sc_b, then back: every site and the slot change. */
		for (r = 0; r < 2; r++) {
			void *func = r ? a64sc_a : a64sc_b;
			struct a64sc_chain_step st = { ch, func };

			ret = sc_sync_probe(a64sc_chain_update, &st, w, res);
			/* No verdict (a CPU came or went): again, from the old target. */
			if (ret == -EAGAIN) {
				a64sc_set(&ch->k, r ? a64sc_b : a64sc_a);
				ret = sc_sync_probe(a64sc_chain_update, &st, w, res);
			}
			KUNIT_ASSERT_EQ_MSG(test, ret, 0, "%s: sync probe: %d", ch->k.name, ret);
			if (!sc_sync_judge(res, true, why, sizeof(why)))
				KUNIT_FAIL(test, "%s, %d sites, to %ps: %s", ch->k.name, n, func,
					   why);
			KUNIT_EXPECT_EQ_MSG(test, res->sent, res->others,
					    "%s, %d sites: %u cross-CPU calls to %u other CPUs, expected one each",
					    ch->k.name, n, res->sent, res->others);
			kunit_info(test, "%s: %d sites: %u cross-CPU calls to %u other CPUs\n",
				   ch->k.name, n, res->sent, res->others);
			for (i = 0; i < n; i++)
				if (!sc_site_check(&sites[i], func, ch->k.tramp, why, sizeof(why)))
					KUNIT_FAIL(test, "%s: site %d of %d: %s", ch->k.name, i + 1,
						   n, why);
			got = ch->k.call(A64SC_ARG);
			want = A64SC_ARG + n * (r ? A64SC_A_ADD : A64SC_B_ADD);
			KUNIT_EXPECT_EQ_MSG(test, got, want,
					    "%s: chain of %d calls: expected %d, seen %d",
					    ch->k.name, n, want, got);
		}
	}
}
