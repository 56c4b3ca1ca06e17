/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Does static_call_update() return before every other CPU has passed a
 * context synchronisation event? Shared by the built-in KUnit suite and
 * static_call_test.ko.
 *
 * After rewriting a trampoline's branch slot, the series interrupts every
 * other online CPU and waits for it (kick_all_cpus_sync()): only after a
 * context synchronisation event (here: taking the interrupt) is a CPU
 * guaranteed to execute the new instruction. A literal-only update writes
 * data and interrupts nobody.
 *
 * That is observable without relying on timing. A spinner kthread on every
 * other online CPU disables interrupts and spins; a CPU with interrupts off
 * cannot take the IPI, so an update that waits for it cannot return until
 * the spinner enables them again. The updating thread (pinned, not a
 * spinner) runs the update and then counts the spinners still spinning:
 *
 *   - a synchronising update returns only after all spinners stopped
 *     (pending == 0): each of them took the interrupt;
 *   - an update that does not synchronise returns while they all still spin
 *     (pending == spinners).
 *
 * A spinner gives up on its own after @spin_ms milliseconds (read from the
 * clocksource, which works with interrupts off), so a synchronising update
 * is not blocked for good, and is released by the updater as soon as the
 * update has returned and been judged. @spin_ms only has to exceed the time
 * an update takes without waiting for anybody: were it shorter, an update
 * that does not synchronise could look as if it did, never the reverse.
 */
#ifndef _SC_SYNC_H
#define _SC_SYNC_H

#include <linux/atomic.h>
#include <linux/compiler.h>
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/irqflags.h>
#include <linux/kthread.h>
#include <linux/processor.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/timekeeping.h>

struct sc_sync_result {
	unsigned int spinners;	/* CPUs that spun with interrupts off */
	unsigned int pending;	/* of those, still spinning when it returned */
	unsigned int gave_up;	/* spinners that stopped on their own */
	int err;
};

struct sc_sync {
	atomic_t ready;		/* spinners created and waiting for go */
	atomic_t spinning;	/* spinners with interrupts off */
	int go;
	int release;
	u64 spin_ns;
};

struct sc_sync_spinner {
	struct sc_sync *s;
	struct task_struct *task;
	int spinning;		/* 1 while interrupts are off */
	bool gave_up;
};

static int sc_sync_spin(void *data)
{
	struct sc_sync_spinner *sp = data;
	struct sc_sync *s = sp->s;
	unsigned long flags;
	u64 end;

	atomic_inc(&s->ready);
	while (!READ_ONCE(s->go) && !kthread_should_stop())
		usleep_range(50, 100);

	if (!kthread_should_stop()) {
		local_irq_save(flags);
		WRITE_ONCE(sp->spinning, 1);
		atomic_inc(&s->spinning);
		end = ktime_get_mono_fast_ns() + s->spin_ns;
		while (!READ_ONCE(s->release)) {
			if (ktime_get_mono_fast_ns() > end) {
				sp->gave_up = true;
				break;
			}
			cpu_relax();
		}
		/* Still spinning as far as the updater can tell, until here. */
		smp_store_release(&sp->spinning, 0);
		local_irq_restore(flags);
	}
	while (!kthread_should_stop())
		usleep_range(50, 100);
	return 0;
}

/*
 * Run @update(@arg) while every other online CPU spins with interrupts off
 * and report, in @res, how many of them were still spinning when it
 * returned. Must be called from a context that may sleep.
 */
static int sc_sync_probe(void (*update)(void *arg), void *arg,
			 unsigned int spin_ms, struct sc_sync_result *res)
{
	struct sc_sync_spinner *sp;
	unsigned int cpu, self, i;
	struct sc_sync *s;

	memset(res, 0, sizeof(*res));
	s = kzalloc(sizeof(*s), GFP_KERNEL);
	sp = kcalloc(nr_cpu_ids, sizeof(*sp), GFP_KERNEL);
	if (!s || !sp) {
		res->err = -ENOMEM;
		goto out_free;
	}
	s->spin_ns = (u64)spin_ms * NSEC_PER_MSEC;

	/* This thread is the updater: keep it off the spinners' CPUs. */
	migrate_disable();
	self = smp_processor_id();
	for_each_online_cpu(cpu) {
		struct task_struct *task;

		if (cpu == self)
			continue;
		sp[cpu].s = s;
		task = kthread_create_on_cpu(sc_sync_spin, &sp[cpu], cpu,
					     "sc_sync/%u");
		if (IS_ERR(task)) {
			res->err = PTR_ERR(task);
			goto out_stop;
		}
		sp[cpu].task = task;
		res->spinners++;
		wake_up_process(task);
	}
	if (!res->spinners)
		goto out_stop;

	/* Every spinner exists before any disables interrupts. */
	while (atomic_read(&s->ready) < res->spinners)
		usleep_range(50, 100);
	WRITE_ONCE(s->go, 1);
	while (atomic_read(&s->spinning) < res->spinners)
		cpu_relax();

	update(arg);

	for_each_online_cpu(cpu) {
		if (!sp[cpu].task)
			continue;
		/* Pairs with the release when the spinner stops spinning. */
		if (smp_load_acquire(&sp[cpu].spinning))
			res->pending++;
	}

out_stop:
	WRITE_ONCE(s->release, 1);
	for (i = 0; i < nr_cpu_ids; i++) {
		if (!sp[i].task)
			continue;
		kthread_stop(sp[i].task);
		if (sp[i].gave_up)
			res->gave_up++;
	}
	migrate_enable();
out_free:
	kfree(sp);
	kfree(s);
	return res->err;
}

#endif /* _SC_SYNC_H */
