/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Concurrent callers racing static_call_update(): shared by the built-in
 * KUnit suite and static_call_test.ko.
 *
 * One kthread bound to each online CPU calls the static call under test in
 * a loop while the calling thread retargets it, round after round, among a
 * small table of targets that return distinct values (a NULL and a RET0
 * target both return 0). Two rules are checked on every call:
 *
 *  - bad: the value must belong to a target installed before the call
 *    returned; anything else means a caller reached neither the old nor the
 *    new target (a torn literal, a stale branch to a wrong place, ...).
 *  - stale: a call that began after static_call_update() had returned, and
 *    ended before the next update began, must return the value of the
 *    target that update installed. The test adds no synchronisation of its
 *    own: it checks the series' promise that an update is complete, on
 *    every CPU, when it returns.
 *
 * The updater publishes a sequence number: odd while an update is in
 * progress, even and equal to twice the update count once the update has
 * returned. A caller samples it before and after its
 * call; only calls that saw the same even number on both sides are checked
 * for staleness.
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
#include <asm/barrier.h>

#define SC_RACE_MAX_TARGETS	8
/* Callers publish their call count and yield every SC_RACE_BATCH calls. */
#define SC_RACE_BATCH		64

struct sc_race_target {
	const char *name;
	void *func;		/* NULL: a NULL static call */
	long value;		/* what a call returns while it is installed */
};

struct sc_race_ops {
	long (*call)(void);		/* one call through the key under test */
	void (*update)(void *func);	/* static_call_update() of that key */
};

struct sc_race_result {
	unsigned int threads;
	unsigned long calls;
	unsigned long updates;
	unsigned long checked;	/* calls subject to the staleness rule */
	unsigned long bad;
	unsigned long stale;
	long bad_value;		/* first bad value seen */
	long stale_value;	/* first stale value seen ... */
	long stale_expected;	/* ... and what it should have been */
	bool timed_out;
	int err;
};

struct sc_race {
	const struct sc_race_ops *ops;
	const struct sc_race_target *targets;
	unsigned int nr_targets;
	unsigned long seq;
	long expect;
	unsigned long installed;	/* bitmask of targets installed so far */
	atomic_t ready;
	atomic_long_t calls;
};

struct sc_race_thread {
	struct sc_race *race;
	struct task_struct *task;
	unsigned long calls;
	unsigned long checked;
	unsigned long bad;
	unsigned long stale;
	long bad_value;
	long stale_value;
	long stale_expected;
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

static int sc_race_caller(void *data)
{
	struct sc_race_thread *t = data;
	struct sc_race *r = t->race;
	unsigned long batch = 0;

	atomic_inc(&r->ready);
	while (!kthread_should_stop()) {
		unsigned long s1, s2, installed;
		long expect, v;

		/* Pairs with the updater's release: expect is for seq s1. */
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
		smp_rmb(); /* the call's loads before s2 and installed */
		s2 = READ_ONCE(r->seq);
		installed = READ_ONCE(r->installed);

		t->calls++;
		if (!sc_race_value_ok(r, installed, v)) {
			if (!t->bad++)
				t->bad_value = v;
		} else if (!(s1 & 1) && s1 == s2) {
			t->checked++;
			if (v != expect && !t->stale++) {
				t->stale_value = v;
				t->stale_expected = expect;
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
 * Race callers on every online CPU against at least @min_updates updates,
 * until they have made at least @min_calls calls in all, or until @timeout
 * (jiffies) has passed. The key is first set to @targets[0]; afterwards the
 * targets follow a walk that, for a prime number of targets, takes every
 * ordered pair of distinct targets once per nr * (nr - 1) updates. The key
 * is left on the last target installed: the caller restores it.
 * Returns 0 or a negative error (no memory, kthread creation failed).
 */
static int sc_race_run(const struct sc_race_ops *ops,
		       const struct sc_race_target *targets, unsigned int nr,
		       unsigned long min_calls, unsigned long min_updates,
		       unsigned long timeout, struct sc_race_result *res)
{
	unsigned long deadline, per_update, goal, seq = 0;
	struct sc_race_thread *threads;
	unsigned int cpu, cur = 0;
	struct sc_race *r;

	memset(res, 0, sizeof(*res));
	if (nr < 2 || nr > SC_RACE_MAX_TARGETS || !min_updates) {
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

	/* Nobody calls yet: start from a known target. */
	ops->update(targets[0].func);
	r->installed = BIT(0);
	r->expect = targets[0].value;
	/* Publish installed and expect before the callers start. */
	smp_store_release(&r->seq, seq);

	deadline = jiffies + timeout;
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

	/* Let the callers make some calls between two updates. */
	per_update = max(min_calls / min_updates, 1UL);
	while (res->updates < min_updates ||
	       atomic_long_read(&r->calls) < min_calls) {
		unsigned int step = 1 + (res->updates / nr) % (nr - 1);

		cur = (cur + step) % nr;
		WRITE_ONCE(r->installed, r->installed | BIT(cur));
		WRITE_ONCE(r->seq, seq + 1);
		smp_mb();	/* odd sequence visible before any code change */
		ops->update(targets[cur].func);
		WRITE_ONCE(r->expect, targets[cur].value);
		seq += 2;
		/* Update returned and expect set before the even seq. */
		smp_store_release(&r->seq, seq);
		res->updates++;

		goal = atomic_long_read(&r->calls) + per_update;
		while (atomic_long_read(&r->calls) < goal) {
			if (time_after(jiffies, deadline)) {
				res->timed_out = true;
				goto out_stop;
			}
			usleep_range(20, 50);
		}
	}

out_stop:
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
		if (t->stale && !res->stale) {
			res->stale_value = t->stale_value;
			res->stale_expected = t->stale_expected;
		}
		res->stale += t->stale;
	}
out_free:
	kfree(threads);
	kfree(r);
	return res->err;
}

#endif /* _SC_RACE_H */
