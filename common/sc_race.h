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
 *  - bad: a call returned a value of no target installed so far (a torn
 *    literal, a branch to a wrong place, ...).
 *  - memory: after every round, with no update in progress, the trampoline
 *    bytes must describe one target coherently (the fixed words intact, a
 *    literal that is the target and a slot that is "b literal" when it is
 *    in range and NOP otherwise), and that target must be the one installed
 *    (one updater) or one of the two installed (two updaters).
 *  - stale: a call that began after a round had completed, and ended before
 *    the next one began, must return the value of the target the trampoline
 *    holds. The test adds no synchronisation of its own (no IPI, no ISB
 *    before the call): it checks the series' promise that an update is
 *    complete, on every CPU, when it returns. Each stale call is classified
 *    when it is seen, from the trampoline bytes read right after it (still
 *    inside the same quiet window):
 *      stale_patch     memory still describes another target: the update
 *                      had not (or not completely) been written. Always a
 *                      failure.
 *      stale_emulator  memory describes the expected target, yet the CPU
 *                      executed older code although the update had
 *                      synchronised it. On hardware that is a failure too
 *                      (a missing context synchronisation); QEMU's
 *                      multi-threaded TCG can keep executing a translation
 *                      of code that another vCPU has since rewritten
 *                      (Documentation/testing.md), so the callers of
 *                      sc_race_run() may tolerate this kind, and only this
 *                      kind, when told they run there; it is counted and
 *                      reported either way.
 *
 * The coordinator publishes a sequence number: odd while a round is in
 * progress, even once it is done and checked. A caller samples it before
 * and after its call; only calls that saw the same even number on both
 * sides are checked for staleness.
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

struct sc_race_target {
	const char *name;
	void *func;		/* NULL: a NULL static call */
	long value;		/* what a call returns while it is installed */
};

struct sc_race_ops {
	long (*call)(void);		/* one call through the key under test */
	void (*update)(void *func);	/* static_call_update() of that key */
	const void *tramp;		/* the key's trampoline */
};

struct sc_race_result {
	unsigned int threads;
	unsigned long calls;
	unsigned long updates;
	unsigned long rounds;
	unsigned long racing_rounds;	/* rounds of two concurrent updates */
	unsigned long checked;	/* calls subject to the staleness rule */
	unsigned long bad;
	unsigned long memory;	/* rounds that left inconsistent bytes */
	unsigned long stale_patch;
	unsigned long stale_emulator;
	long bad_value;		/* first bad value seen */
	long stale_value;	/* first stale value seen ... */
	long stale_expected;	/* ... and what it should have been */
	long stale_emulator_value;	/* first emulator-stale value seen */
	char memory_why[SC_TRAMP_WHY_LEN];	/* the first inconsistency */
	bool timed_out;
	int err;
};

struct sc_race {
	const struct sc_race_ops *ops;
	const struct sc_race_target *targets;
	unsigned int nr_targets;
	unsigned long seq;
	long expect;
	unsigned long expect_target;	/* where the trampoline must lead */
	unsigned long installed;	/* bitmask of targets installed so far */
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
	unsigned long bad;
	unsigned long stale_patch;
	unsigned long stale_emulator;
	long bad_value;
	long stale_value;
	long stale_expected;
	long stale_emulator_value;
};

struct sc_race_updater {
	struct sc_race *race;
	struct task_struct *task;
	unsigned int id;
};

static inline bool sc_race_value_ok(const struct sc_race *r,
				    unsigned long installed, long v)
{
	unsigned int i;

	for (i = 0; i < r->nr_targets; i++)
		if ((installed & BIT(i)) && r->targets[i].value == v)
			return true;
	return false;
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

static int sc_race_caller(void *data)
{
	struct sc_race_thread *t = data;
	struct sc_race *r = t->race;
	unsigned long batch = 0;

	atomic_inc(&r->ready);
	while (!kthread_should_stop()) {
		unsigned long s1, s2, installed, expect_target, target = 0;
		struct sc_tramp now;
		long expect, v;

		/* Pairs with the coordinator's release: expect is for s1. */
		s1 = smp_load_acquire(&r->seq);
		expect = READ_ONCE(r->expect);
		expect_target = READ_ONCE(r->expect_target);
		v = r->ops->call();
		/*
		 * Sample the sequence again only after the call has completed:
		 * the ISB keeps the later loads from being performed before
		 * the instructions of the call were fetched and executed, the
		 * read barrier orders them after the literal load.
		 */
		isb();
		smp_rmb(); /* the call's loads before s2 and installed */
		if (v != expect) {
			/* What memory holds, within the same window. */
			sc_tramp_read(r->ops->tramp, &now);
			smp_rmb(); /* the snapshot before s2 */
		}
		s2 = READ_ONCE(r->seq);
		installed = READ_ONCE(r->installed);

		t->calls++;
		if (!sc_race_value_ok(r, installed, v)) {
			if (!t->bad++)
				t->bad_value = v;
		} else if (!(s1 & 1) && s1 == s2) {
			t->checked++;
			if (v != expect) {
				char why[SC_TRAMP_WHY_LEN];

				target = sc_race_tramp_target(&now, why,
							      sizeof(why));
				if (target == expect_target) {
					if (!t->stale_emulator++)
						t->stale_emulator_value = v;
				} else if (!t->stale_patch++) {
					t->stale_value = v;
					t->stale_expected = expect;
				}
			}
		}
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

/* The index of the target whose call target is @dest, or -1. */
static inline int sc_race_find(const struct sc_race *r, unsigned long dest)
{
	unsigned int i;

	for (i = 0; i < r->nr_targets; i++)
		if (sc_call_target(r->targets[i].func) == dest)
			return i;
	return -1;
}

/*
 * After a round: the trampoline must be coherent and lead to target @a, or
 * (when @b >= 0, a two-updater round) to @a or @b. Returns the index of the
 * target it leads to, or -1 with the first inconsistency kept in @res.
 */
static int sc_race_check_memory(struct sc_race *r, int a, int b,
				struct sc_race_result *res)
{
	char why[SC_TRAMP_WHY_LEN];
	unsigned long dest;
	struct sc_tramp t;
	int i;

	sc_tramp_read(r->ops->tramp, &t);
	dest = sc_race_tramp_target(&t, why, sizeof(why));
	i = dest ? sc_race_find(r, dest) : -1;
	if (dest && i >= 0 &&
	    (dest == sc_call_target(r->targets[a].func) ||
	     (b >= 0 && dest == sc_call_target(r->targets[b].func))))
		return i;

	if (!res->memory++) {
		if (dest)
			scnprintf(why, sizeof(why), "leads to %ps", (void *)dest);
		scnprintf(res->memory_why, sizeof(res->memory_why),
			  "round %lu, after %s%s%s: %s", res->rounds,
			  r->targets[a].name, b >= 0 ? " racing " : "",
			  b >= 0 ? r->targets[b].name : "", why);
	}
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
	unsigned int cpu, walk = 0, cur = 0;
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
	r->installed = BIT(0);
	r->expect = targets[0].value;
	r->expect_target = sc_call_target(targets[0].func);
	if (sc_race_check_memory(r, 0, -1, res) < 0)
		goto out_free;
	/* Publish installed and expect before the callers start. */
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
		bool racing = res->rounds & 1;
		int a, b = -1, got;

		walk++;
		cur = (cur + 1 + (walk / nr) % (nr - 1)) % nr;
		a = cur;
		if (racing)
			b = (a + 1 + (walk / nr) % (nr - 1)) % nr;
		WRITE_ONCE(r->installed, r->installed | BIT(a) |
			   (b >= 0 ? BIT(b) : 0));
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
		WRITE_ONCE(r->expect, targets[got].value);
		WRITE_ONCE(r->expect_target, sc_call_target(targets[got].func));
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
		if (t->bad && !res->bad)
			res->bad_value = t->bad_value;
		res->bad += t->bad;
		if (t->stale_patch && !res->stale_patch) {
			res->stale_value = t->stale_value;
			res->stale_expected = t->stale_expected;
		}
		res->stale_patch += t->stale_patch;
		if (t->stale_emulator && !res->stale_emulator)
			res->stale_emulator_value = t->stale_emulator_value;
		res->stale_emulator += t->stale_emulator;
	}
out_free:
	kfree(threads);
	kfree(r);
	return res->err;
}

#endif /* _SC_RACE_H */
