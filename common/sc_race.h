/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Concurrent callers racing static_call_update(): shared by the built-in
 * KUnit suite and static_call_test.ko.
 *
 * One kthread bound to each online CPU calls the static call under test in
 * a loop. A coordinator (the calling thread) retargets the key round after
 * round, among a small table of targets that return distinct values (a NULL
 * and a RET0 target both return 0). Even rounds are one update made by the
 * coordinator; odd rounds are two updates of the same key to two different
 * targets, made at the same moment by two updater kthreads, so that two
 * arch_static_call_transform() calls really race each other: their literal
 * and slot writes must not interleave (text_mutex).
 *
 * Checked, and counted:
 *
 *  - memory: after every round, with no update in progress, the trampoline
 *    bytes must describe one target coherently (the fixed words intact, a
 *    literal that is the target and a slot that is "b literal" when it is
 *    in range and NOP otherwise), and that target must be the one installed
 *    (one updater) or one of the two installed (two updaters). With inline
 *    call sites (ops->check_sites), every site the callers use must hold
 *    the instruction for that same target too.
 *  - the window rule: a caller samples the coordinator's sequence number
 *    before (s1) and after (s2) each call. The value the call returned must
 *    be that of a target that was in place at some moment between the two
 *    samples: the one in place when the first round it overlaps began, or
 *    one of the targets of the rounds it overlaps (a ring of the last
 *    SC_RACE_HIST rounds keeps them). A call that began and ended in the
 *    same quiet window (s1 == s2, even) must return the target the round
 *    left, which the coordinator checked in memory (trampoline and sites)
 *    before it opened the window: the update's promise that it is complete
 *    when it returns. A call that spans more rounds than the ring holds (a
 *    vCPU descheduled for long) is counted as unjudged, not failed.
 *  - bad: a value that no target returns (a torn literal, a branch to a
 *    wrong place, ...). Always a failure.
 *  - stale: a value of some target that was not in place at any moment of
 *    the call's window. On hardware, and under single-threaded TCG, that is
 *    a failure. QEMU's multi-threaded TCG can keep executing a translation
 *    of code that another vCPU has since rewritten (Documentation/
 *    testing.md), so the callers of sc_race_run() may tolerate this kind,
 *    and only this kind, when told they run there; it is counted and
 *    reported either way. Memory was checked before the window opened, so
 *    a stale call never means that memory was stale: that is the memory
 *    count.
 *
 * What the race cannot see: a missing context synchronisation (TCG acts on
 * a store to code as soon as it sees it). The mechanism check in sc_sync.h
 * covers that.
 */
#ifndef _SC_RACE_H
#define _SC_RACE_H

#include <linux/atomic.h>
#include <linux/bitops.h>
#include <linux/compiler.h>
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/jiffies.h>
#include <linux/kthread.h>
#include <linux/limits.h>
#include <linux/minmax.h>
#include <linux/processor.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/wait.h>
#include <asm/barrier.h>

#include "sc_tramp.h"

#define SC_RACE_MAX_TARGETS	8
/* Callers publish their call count and yield every SC_RACE_BATCH calls. */
#define SC_RACE_BATCH		64
#define SC_RACE_UPDATERS	2
/* Rounds remembered for the window rule. */
#define SC_RACE_HIST		64

struct sc_race_target {
	const char *name;
	void *func;		/* NULL: a NULL static call */
	long value;		/* what a call returns while it is installed */
};

struct sc_race_ops {
	long (*call)(void);		/* one call through the key under test */
	void (*update)(void *func);	/* static_call_update() of that key */
	const void *tramp;		/* the key's trampoline */
	/*
	 * Optional, with inline call sites: do the sites the callers use
	 * hold the instruction for @func? If not, say why in @why.
	 */
	bool (*check_sites)(const void *func, char *why, size_t len);
};

struct sc_race_result {
	unsigned int threads;
	unsigned long calls;
	unsigned long updates;
	unsigned long rounds;
	unsigned long racing_rounds;	/* rounds of two concurrent updates */
	unsigned long checked;	/* calls judged by the window rule */
	unsigned long quiet;	/* of those, within one quiet window */
	unsigned long unjudged;	/* windows longer than the ring */
	unsigned long bad;
	unsigned long memory;	/* rounds that left inconsistent bytes */
	unsigned long stale;
	long bad_value;		/* first bad value seen */
	long stale_value;	/* first stale value seen */
	char memory_why[SC_TRAMP_WHY_LEN];	/* the first inconsistency */
	bool timed_out;
	int err;
};

/* Round @round: the target in place when it began, and its new ones. */
struct sc_race_hist {
	unsigned long round;
	unsigned long mask;
};

struct sc_race {
	const struct sc_race_ops *ops;
	const struct sc_race_target *targets;
	unsigned int nr_targets;
	unsigned long seq;
	long expect;
	struct sc_race_hist hist[SC_RACE_HIST];
	atomic_t ready;
	atomic_long_t calls;
	/* Two-updater rounds: round number, targets, completions. */
	atomic_t round;
	atomic_t arrived;
	atomic_t done;
	wait_queue_head_t wq;
	void *round_func[SC_RACE_UPDATERS];
};

struct sc_race_thread {
	struct sc_race *race;
	struct task_struct *task;
	unsigned long calls;
	unsigned long checked;
	unsigned long quiet;
	unsigned long unjudged;
	unsigned long bad;
	unsigned long stale;
	long bad_value;
	long stale_value;
};

struct sc_race_updater {
	struct sc_race *race;
	struct task_struct *task;
	unsigned int id;
};

/* Is @v the value of a target in @mask (every target: ~0UL)? */
static inline bool sc_race_value_in(const struct sc_race *r,
				    unsigned long mask, long v)
{
	unsigned int i;

	for (i = 0; i < r->nr_targets; i++)
		if ((mask & BIT(i)) && r->targets[i].value == v)
			return true;
	return false;
}

/*
 * The targets that were in place at some moment between the samples @s1
 * and @s2 of the sequence (s2 >= s1, not one quiet window): those of every
 * round from s1's to the last one begun before s2. False if the ring no
 * longer holds them all.
 */
static inline bool sc_race_window(const struct sc_race *r, unsigned long s1,
				  unsigned long s2, unsigned long *mask)
{
	unsigned long k, first = s1 / 2, last = (s2 - 1) / 2;

	*mask = 0;
	if (last - first >= SC_RACE_HIST)
		return false;
	for (k = first; k <= last; k++) {
		const struct sc_race_hist *h = &r->hist[k % SC_RACE_HIST];
		unsigned long r1, r2, m;

		r1 = READ_ONCE(h->round);
		smp_rmb(); /* the round number before the mask ... */
		m = READ_ONCE(h->mask);
		smp_rmb(); /* ... and again after it: not rewritten between */
		r2 = READ_ONCE(h->round);
		if (r1 != k || r2 != k)
			return false;
		*mask |= m;
	}
	return true;
}

/*
 * Where the trampoline @t leads if its bytes are coherent: its literal, when
 * the fixed words are intact and the slot is the one an update aimed at the
 * literal writes. Otherwise 0, with the reason in @why.
 */
static inline unsigned long sc_race_tramp_target(const struct sc_tramp *t,
						 char *why, size_t len)
{
	unsigned long lit = (unsigned long)t->literal;

	if (!lit) {
		scnprintf(why, len, "literal is 0; slot 0x%08x", t->insn[1]);
		return 0;
	}
	if (!sc_tramp_check(t, lit, why, len))
		return 0;
	return lit;
}

static void sc_race_judge(struct sc_race_thread *t, unsigned long s1,
			  unsigned long s2, long expect, long v)
{
	struct sc_race *r = t->race;
	unsigned long mask;
	bool ok;

	if (!sc_race_value_in(r, ~0UL, v)) {
		if (!t->bad++)
			t->bad_value = v;
		return;
	}
	if (s1 == s2 && !(s1 & 1)) {
		t->quiet++;
		ok = v == expect;
	} else if (s2 >= s1 && sc_race_window(r, s1, s2, &mask)) {
		ok = sc_race_value_in(r, mask, v);
	} else {
		t->unjudged++;
		return;
	}
	t->checked++;
	if (!ok && !t->stale++)
		t->stale_value = v;
}

static int sc_race_caller(void *data)
{
	struct sc_race_thread *t = data;
	struct sc_race *r = t->race;
	unsigned long batch = 0;

	atomic_inc(&r->ready);
	while (!kthread_should_stop()) {
		unsigned long s1, s2;
		long expect, v;

		/* Pairs with the coordinator's release: expect is for s1. */
		s1 = smp_load_acquire(&r->seq);
		expect = READ_ONCE(r->expect);
		v = r->ops->call();
		/*
		 * Sample the sequence again only after the call has completed:
		 * the ISB keeps the later loads from being performed before
		 * the instructions of the call were fetched and executed, the
		 * read barrier orders them after the literal load.
		 */
		isb();
		smp_rmb(); /* the call's loads before s2 */
		s2 = READ_ONCE(r->seq);
		smp_rmb(); /* s2 before the ring entries it covers */

		t->calls++;
		sc_race_judge(t, s1, s2, expect, v);
		if (++batch == SC_RACE_BATCH) {
			atomic_long_add(batch, &r->calls);
			batch = 0;
			/*
			 * YIELD: a hint on hardware; under single-threaded
			 * TCG it hands the host thread to the next vCPU, so
			 * the updater's IPIs are taken without waiting for a
			 * whole time slice of each spinning caller.
			 */
			cpu_relax();
			cond_resched();
		}
	}
	atomic_long_add(batch, &r->calls);
	return 0;
}

/*
 * An updater of two-updater rounds: sleep until the next round, meet the
 * other updater, make the update, report it done. The two spin only for
 * the meeting, so that they enter static_call_update() as nearly at the
 * same time as the CPUs allow, without taking time from the callers
 * between rounds.
 */
static int sc_race_updater(void *data)
{
	struct sc_race_updater *u = data;
	struct sc_race *r = u->race;
	int seen = 0;

	for (;;) {
		wait_event_interruptible(r->wq, kthread_should_stop() ||
					 atomic_read(&r->round) != seen);
		if (kthread_should_stop())
			break;
		seen = atomic_read_acquire(&r->round);
		atomic_inc(&r->arrived);
		/*
		 * The other updater may be queued on this very CPU: yield
		 * when asked to, or neither would ever get past this point
		 * on a kernel without preemption.
		 */
		while (atomic_read(&r->arrived) < SC_RACE_UPDATERS * seen &&
		       !kthread_should_stop()) {
			cpu_relax();
			cond_resched();
		}
		r->ops->update(READ_ONCE(r->round_func[u->id]));
		atomic_inc_return_release(&r->done);
	}
	return 0;
}

/*
 * After a round: the trampoline (and the call sites, with ops->check_sites)
 * must be coherent and lead to target @a, or (when @b >= 0, a two-updater
 * round) to @a or @b. Returns the index of the target it leads to, or -1
 * with the first inconsistency kept in @res.
 */
static int sc_race_check_memory(struct sc_race *r, int a, int b,
				struct sc_race_result *res)
{
	char why[SC_TRAMP_WHY_LEN], swhy[SC_TRAMP_WHY_LEN] = "";
	int cand[2] = { a, b }, i;
	unsigned long dest;
	struct sc_tramp t;

	sc_tramp_read(r->ops->tramp, &t);
	dest = sc_race_tramp_target(&t, why, sizeof(why));
	if (dest) {
		scnprintf(why, sizeof(why), "leads to %ps", (void *)dest);
		for (i = 0; i < 2 && cand[i] >= 0; i++) {
			const struct sc_race_target *tg = &r->targets[cand[i]];

			if (dest != sc_call_target(tg->func))
				continue;
			if (!r->ops->check_sites ||
			    r->ops->check_sites(tg->func, swhy, sizeof(swhy)))
				return cand[i];
		}
		if (swhy[0])
			scnprintf(why, sizeof(why), "%s", swhy);
	}

	if (!res->memory++)
		scnprintf(res->memory_why, sizeof(res->memory_why),
			  "round %lu, after %s%s%s: %s", res->rounds,
			  r->targets[a].name, b >= 0 ? " racing " : "",
			  b >= 0 ? r->targets[b].name : "", why);
	return -1;
}

/*
 * Race callers on every online CPU against at least @min_updates updates,
 * until they have made at least @min_calls calls in all, or until @timeout
 * (jiffies) has passed. The key is first set to @targets[0]; the rounds
 * then alternate between one update and two racing ones. Their targets
 * follow a walk whose step grows by one every @nr rounds, so that over
 * a few hundred rounds the key moves from every target to every other one
 * (in and out of range, to and from NULL and RET0), by one update and by
 * two. The key is left on the last target installed: the caller restores
 * it. Returns 0 or a negative error (no memory, kthread creation failed).
 */
static int sc_race_run(const struct sc_race_ops *ops,
		       const struct sc_race_target *targets, unsigned int nr,
		       unsigned long min_calls, unsigned long min_updates,
		       unsigned long timeout, struct sc_race_result *res)
{
	struct sc_race_updater updaters[SC_RACE_UPDATERS] = {};
	unsigned long deadline, per_round, goal, seq = 0;
	struct sc_race_thread *threads;
	unsigned int cpu, walk = 0, cur = 0, prev = 0;
	struct sc_race *r;
	int i;

	memset(res, 0, sizeof(*res));
	if (nr < 3 || nr > SC_RACE_MAX_TARGETS || !min_updates ||
	    !ops->tramp) {
		res->err = -EINVAL;
		return res->err;
	}

	r = kzalloc(sizeof(*r), GFP_KERNEL);
	threads = kcalloc(nr_cpu_ids, sizeof(*threads), GFP_KERNEL);
	if (!r || !threads) {
		res->err = -ENOMEM;
		goto out_free;
	}
	r->ops = ops;
	r->targets = targets;
	r->nr_targets = nr;
	atomic_set(&r->ready, 0);
	atomic_long_set(&r->calls, 0);
	atomic_set(&r->round, 0);
	atomic_set(&r->arrived, 0);
	atomic_set(&r->done, 0);
	init_waitqueue_head(&r->wq);

	/* Nobody calls yet: start from a known target. */
	ops->update(targets[0].func);
	r->expect = targets[0].value;
	for (i = 0; i < SC_RACE_HIST; i++)
		r->hist[i].round = ULONG_MAX;
	if (sc_race_check_memory(r, 0, -1, res) < 0)
		goto out_free;
	/* Publish expect and the ring before the callers start. */
	smp_store_release(&r->seq, seq);

	deadline = jiffies + timeout;
	for (i = 0; i < SC_RACE_UPDATERS; i++) {
		struct task_struct *task;

		updaters[i].race = r;
		updaters[i].id = i;
		task = kthread_run(sc_race_updater, &updaters[i],
				   "sc_update/%d", i);
		if (IS_ERR(task)) {
			res->err = PTR_ERR(task);
			goto out_stop;
		}
		updaters[i].task = task;
	}
	for_each_online_cpu(cpu) {
		struct sc_race_thread *t = &threads[cpu];
		struct task_struct *task;

		t->race = r;
		task = kthread_create_on_cpu(sc_race_caller, t, cpu,
					     "sc_race/%u");
		if (IS_ERR(task)) {
			res->err = PTR_ERR(task);
			goto out_stop;
		}
		t->task = task;
		res->threads++;
		wake_up_process(task);
	}

	while (atomic_read(&r->ready) < res->threads) {
		if (time_after(jiffies, deadline)) {
			res->timed_out = true;
			goto out_stop;
		}
		usleep_range(100, 200);
	}

	/* Let the callers make some calls between two rounds. */
	per_round = max(min_calls / min_updates, 1UL);
	while (res->updates < min_updates ||
	       atomic_long_read(&r->calls) < min_calls) {
		struct sc_race_hist *h = &r->hist[res->rounds % SC_RACE_HIST];
		bool racing = res->rounds & 1;
		int a, b = -1, got;

		walk++;
		cur = (cur + 1 + (walk / nr) % (nr - 1)) % nr;
		a = cur;
		if (racing)
			b = (a + 1 + (walk / nr) % (nr - 1)) % nr;
		/*
		 * The round's targets, before any caller can see it begin:
		 * the entry is marked invalid before its mask changes and
		 * valid again after (sc_race_window() reads the round number
		 * on both sides of the mask), then the odd sequence follows.
		 */
		WRITE_ONCE(h->round, ULONG_MAX);
		smp_wmb(); /* invalid before the new mask */
		WRITE_ONCE(h->mask, BIT(prev) | BIT(a) | (b >= 0 ? BIT(b) : 0));
		smp_wmb(); /* the mask before the entry is valid again */
		WRITE_ONCE(h->round, res->rounds);
		smp_wmb(); /* the entry before the odd sequence */
		WRITE_ONCE(r->seq, seq + 1);
		smp_mb();	/* odd sequence visible before any code change */
		if (!racing) {
			ops->update(targets[a].func);
			res->updates++;
		} else {
			WRITE_ONCE(r->round_func[0], targets[a].func);
			WRITE_ONCE(r->round_func[1], targets[b].func);
			atomic_set(&r->done, 0);
			atomic_inc_return_release(&r->round);
			wake_up_all(&r->wq);
			while (atomic_read_acquire(&r->done) < SC_RACE_UPDATERS) {
				if (time_after(jiffies, deadline)) {
					res->timed_out = true;
					goto out_stop;
				}
				cond_resched();
			}
			res->updates += SC_RACE_UPDATERS;
			res->racing_rounds++;
		}
		got = sc_race_check_memory(r, a, b, res);
		if (got < 0)
			got = a; /* counted in res->memory; go on */
		prev = got;
		WRITE_ONCE(r->expect, targets[got].value);
		seq += 2;
		res->rounds++;
		/* Round done, checked, expect set before the even seq. */
		smp_store_release(&r->seq, seq);

		goal = atomic_long_read(&r->calls) + per_round;
		while (atomic_long_read(&r->calls) < goal) {
			if (time_after(jiffies, deadline)) {
				res->timed_out = true;
				goto out_stop;
			}
			usleep_range(20, 50);
		}
	}

out_stop:
	for (i = 0; i < SC_RACE_UPDATERS; i++)
		if (updaters[i].task)
			kthread_stop(updaters[i].task);
	for_each_possible_cpu(cpu) {
		struct sc_race_thread *t = &threads[cpu];

		if (!t->task)
			continue;
		kthread_stop(t->task);
		res->calls += t->calls;
		res->checked += t->checked;
		res->quiet += t->quiet;
		res->unjudged += t->unjudged;
		if (t->bad && !res->bad)
			res->bad_value = t->bad_value;
		res->bad += t->bad;
		if (t->stale && !res->stale)
			res->stale_value = t->stale_value;
		res->stale += t->stale;
	}
out_free:
	kfree(threads);
	kfree(r);
	return res->err;
}

#endif /* _SC_RACE_H */
