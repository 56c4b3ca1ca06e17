/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Did static_call_update() make every other CPU pass a context
 * synchronisation event after the last instruction it wrote, and before it
 * returned? Shared by the built-in KUnit suite and static_call_test.ko.
 *
 * After rewriting an instruction (a trampoline's slot, or an inline call
 * site), the series interrupts every other online CPU with a cross-CPU
 * function call and waits for it (kick_all_cpus_sync()): taking the
 * interrupt is a context synchronisation event, after which a CPU is
 * guaranteed to execute the new instruction. An update that writes no
 * instruction (a literal-only update, or no change at all) interrupts
 * nobody.
 *
 * The probe watches the mechanism itself, through two tracepoints of
 * kernel/smp.c, instead of the outcome (which QEMU cannot show: TCG
 * executes a rewritten instruction as soon as it sees the store):
 *
 *  - csd_queue_cpu, on the sending CPU: a cross-CPU function call
 *    (CSD_TYPE_SYNC or CSD_TYPE_ASYNC) queued *by the updating task, in task
 *    context* for CPU n is the update's own. Calls queued by anybody else,
 *    from an interrupt taken on the updater's CPU, and the irq_work and
 *    remote wake-ups that share the queue are ignored, so an unrelated IPI
 *    neither helps nor hurts.
 *  - csd_function_entry, on CPU n, in its interrupt handler (the CPU took
 *    an exception to get there): when the call being run is the update's
 *    own, the probe reads every watched instruction word right there, and
 *    keeps that snapshot (the last one wins).
 *
 * After the update returns, the watched words are read once more (their
 * final contents). The verdict, per step (sc_sync_judge()):
 *
 *  - an update that must synchronise passes when, on every other online
 *    CPU, the update's last cross-CPU call was one it waited for
 *    (CSD_TYPE_SYNC), ran before the update returned and found every
 *    watched word already final and already cleaned to the point of
 *    unification. A synchronisation issued before the last write
 *    finds an old word; one issued between the write and its cache
 *    maintenance finds the word uncleaned; a plain sleep, an RCU grace
 *    period or any other wait sends the update no cross-CPU call at all; a
 *    kick that skips idle CPUs misses the one CPU that the probe leaves
 *    idle on purpose; a kick that does not wait for its calls queues them
 *    as CSD_TYPE_ASYNC and returns while the busy CPUs still have their
 *    interrupts off (below), so their calls also run only after the probe
 *    has closed. Both are reported.
 *  - an update that must not synchronise passes when it queued no
 *    cross-CPU call at all.
 *
 * The cache maintenance is watched the same way: a kprobe on
 * caches_clean_inval_pou(), the routine aarch64_insn_patch_text_nosync()
 * calls after its write, records each call the updating task makes and
 * reads the watched words in its range right then. Every watched word
 * that the update changed must have been covered by such a call made when
 * it already held its final value: cleaned to the point of unification
 * after the write, as the architecture requires before other CPUs may
 * fetch it. (QEMU does not model the caches, so only this check can see a
 * missing maintenance.)
 *
 * Every other online CPU but one runs a spinner (never sleeping) during the
 * update, so that the IPI finds them busy in kernel code as callers of a
 * static call would be; the last one is left idle. The spinners turn
 * their interrupts off before the update starts and on again once it has
 * returned or SC_SYNC_HOLD_MS have passed, whichever comes first: an
 * update that waits for its calls returns after that time, one that does
 * not wait returns first and is caught.
 *
 * Run it from a context that may sleep. A verdict on an update that must
 * synchronise needs at least 3 CPUs online (the updater's, a busy one and
 * the idle one): with fewer, sc_sync_judge() fails the step as
 * inconclusive rather than pass it. A CPU going online or offline during
 * the probe, or a missed kprobe hit, makes sc_sync_probe() return -EAGAIN:
 * the record would be incomplete. So does a spinner that has not turned
 * its interrupts off within 5 * SC_SYNC_HOLD_MS, before the update is
 * called: CPU hotplug's stop_machine() waits for this CPU, which waits
 * with preemption off for that spinner, until the deadline breaks the
 * circle. Nothing of the update has run then, so the caller may restore
 * the old target and probe again.
 *
 * The updater stays on its CPU by its affinity, not by migrate_disable():
 * the update takes cpus_read_lock(), and a CPU going offline waits, with
 * the hotplug lock held for writing, until no task is pinned to it, so a
 * pinned updater and the hotplug would wait for each other for ever.
 * Hotplug may break the affinity instead (as it moves the spinners, which
 * kthread_bind() does not make per-CPU threads); the probe then has no
 * verdict.
 */
#ifndef _SC_SYNC_H
#define _SC_SYNC_H

#include <linux/atomic.h>
#include <linux/compiler.h>
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/err.h>
#include <linux/irqflags.h>
#include <linux/kprobes.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/processor.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/string.h>
#include <linux/tracepoint.h>

#include "sc_tramp.h"

/* a trampoline and up to 64 call sites (the suite's inline_one_sync) */
#define SC_SYNC_MAX_WORDS	80
#define SC_SYNC_MIN_CPUS	3
#define SC_SYNC_WHY_LEN		256

/* The instruction words an update may write: the probe snapshots them. */
struct sc_sync_words {
	unsigned int nr;
	bool overflow;	/* more words than fit: the probe refuses to run */
	const __le32 *addr[SC_SYNC_MAX_WORDS];
};

struct sc_sync_result {
	unsigned int others;	/* other online CPUs during the update */
	unsigned int spinners;	/* of those, kept busy */
	unsigned int sent;	/* cross-CPU calls the update queued */
	unsigned int synced;	/* CPUs whose last such call saw final words */
	unsigned int unwaited;	/* CPUs whose last such call was not waited for */
	bool changed;		/* some watched word differs afterwards */
	unsigned int maint;	/* cache maintenance calls by the update */
	unsigned int unmaintained;	/* changed words not cleaned after */
	char why[SC_SYNC_WHY_LEN];	/* the first CPU that was not synced */
	char maint_why[SC_SYNC_WHY_LEN];	/* the first word not cleaned */
	int err;
};

struct sc_sync_cpu {
	const void *csd;	/* the update's last call queued for this CPU */
	unsigned int type;	/* its CSD_TYPE_*: CSD_TYPE_SYNC if waited for */
	unsigned int runs;	/* of the update's calls, run here; published last */
	int unclean;		/* the last run saw this changed word uncleaned, or -1 */
	u32 seen[SC_SYNC_MAX_WORDS];	/* what the last run saw */
};

struct sc_sync {
	const struct sc_sync_words *w;
	struct task_struct *updater;
	struct sc_sync_cpu *cpu;	/* nr_cpu_ids entries */
	struct cpumask online;	/* the online CPUs when the probe started */
	struct cpumask affinity;	/* the updater's, restored afterwards */
	atomic_t sent;
	int open;
	int go;
	int hold;
	int returned;
	int release;
	atomic_t ready;
	atomic_t held;
	u32 before[SC_SYNC_MAX_WORDS];
	u32 final[SC_SYNC_MAX_WORDS];
	/* The cache maintenance watch. */
	struct kprobe kp;
	unsigned int maint;
	bool cleaned[SC_SYNC_MAX_WORDS];
	u32 cleaned_seen[SC_SYNC_MAX_WORDS];
};

struct sc_sync_spinner {
	struct sc_sync *s;
	struct task_struct *task;
};

static inline u32 sc_sync_read_word(const __le32 *p)
{
	return le32_to_cpu(READ_ONCE(*p));
}

/* Add the instruction words of the trampoline @tramp (not its literal). */
static inline void sc_sync_watch_tramp(struct sc_sync_words *w,
				       const void *tramp)
{
	struct sc_tramp t;
	unsigned int i;

	sc_tramp_read(tramp, &t);
	for (i = 0; i < t.ninsn; i++) {
		if (w->nr == SC_SYNC_MAX_WORDS) {
			w->overflow = true;
			return;
		}
		w->addr[w->nr++] = (const __le32 *)tramp + i;
	}
}

static inline void sc_sync_watch_word(struct sc_sync_words *w,
				      const void *addr)
{
	if (w->nr < SC_SYNC_MAX_WORDS)
		w->addr[w->nr++] = addr;
	else
		w->overflow = true;
}

/* csd_queue_cpu: the sending side. */
static void sc_sync_queued(void *data, const unsigned int cpu,
			   unsigned long callsite, smp_call_func_t func,
			   call_single_data_t *csd)
{
	struct sc_sync *s = data;
	unsigned int type;

	/*
	 * Only calls the updating task queues itself: not an interrupt taken
	 * on its CPU meanwhile (in_task()), and not the irq_work or remote
	 * wake-ups (CSD_TYPE_IRQ_WORK, CSD_TYPE_TTWU) that share the queue,
	 * which a mutex_unlock() of the update may send.
	 */
	if (!READ_ONCE(s->open) || current != s->updater || !in_task() ||
	    cpu >= nr_cpu_ids || !csd)
		return;
	type = csd->node.u_flags & CSD_FLAG_TYPE_MASK;
	if (type != CSD_TYPE_SYNC && type != CSD_TYPE_ASYNC)
		return;
	atomic_inc(&s->sent);
	WRITE_ONCE(s->cpu[cpu].type, type);
	WRITE_ONCE(s->cpu[cpu].csd, csd);
}

/* csd_function_entry: the receiving side, in its interrupt handler. */
static void sc_sync_entered(void *data, smp_call_func_t func,
			    call_single_data_t *csd)
{
	struct sc_sync *s = data;
	bool cleaned[SC_SYNC_MAX_WORDS];
	u32 cleaned_seen[SC_SYNC_MAX_WORDS];
	struct sc_sync_cpu *c;
	unsigned int i;

	if (!READ_ONCE(s->open) || !csd)
		return;
	c = &s->cpu[smp_processor_id()];
	if (READ_ONCE(c->csd) != csd)
		return;
	/*
	 * The maintenance record first, then the words: a word cleaned after
	 * this point and read below as changed counts as uncleaned, which is
	 * what it was when this call came in. Acquire: pairs with the release
	 * in sc_sync_maintained(), so cleaned_seen is the value that call read.
	 */
	for (i = 0; i < s->w->nr; i++) {
		cleaned[i] = smp_load_acquire(&s->cleaned[i]);
		cleaned_seen[i] = READ_ONCE(s->cleaned_seen[i]);
	}
	c->unclean = -1;
	for (i = 0; i < s->w->nr; i++) {
		c->seen[i] = sc_sync_read_word(s->w->addr[i]);
		if (c->seen[i] == s->before[i] || c->unclean >= 0)
			continue;
		/*
		 * A word the update has changed by now must already have been
		 * cleaned with this value: the call comes after the
		 * maintenance, not between the write and the maintenance.
		 */
		if (!cleaned[i] || cleaned_seen[i] != c->seen[i])
			c->unclean = i;
	}
	/* Release: the snapshot above is complete before it counts. */
	smp_store_release(&c->runs, c->runs + 1);
}

/* caches_clean_inval_pou(start, end), called by the updating task. */
static int sc_sync_maintained(struct kprobe *p, struct pt_regs *regs)
{
	struct sc_sync *s = container_of(p, struct sc_sync, kp);
	unsigned long start = regs->regs[0], end = regs->regs[1];
	unsigned int i;

	if (!READ_ONCE(s->open) || current != s->updater)
		return 0;
	s->maint++;
	for (i = 0; i < s->w->nr; i++) {
		unsigned long a = (unsigned long)s->w->addr[i];

		if (a >= start && a + sizeof(u32) <= end) {
			WRITE_ONCE(s->cleaned_seen[i],
				   sc_sync_read_word(s->w->addr[i]));
			/*
			 * Release: the word's value above is visible before
			 * the flag, to the acquire in sc_sync_entered().
			 */
			smp_store_release(&s->cleaned[i], true);
		}
	}
	return 0;
}

struct sc_sync_tp {
	const char *name;
	struct tracepoint *tp;
};

static void sc_sync_find_tp(struct tracepoint *tp, void *priv)
{
	struct sc_sync_tp *want = priv;

	for (; want->name; want++)
		if (!strcmp(tp->name, want->name))
			want->tp = tp;
}

/*
 * Keep this CPU's interrupts off from before the update starts until it
 * has returned, so that no cross-CPU call of the update can run here
 * before the update has waited for it: a call that the update queued but
 * did not wait for runs only after the probe has closed, and the CPU
 * counts as never synchronised. The hold lets go SC_SYNC_HOLD_MS after
 * the update started, which is how an update that waits (as it must) gets
 * its calls through. A non-waiting update that took longer than that to
 * return would have its calls run here in time; the CSD_TYPE_ASYNC of its
 * calls still gives it away. The bound while waiting for the update to
 * start only keeps a stalled coordinator from turning into a hard lockup.
 */
#define SC_SYNC_HOLD_MS		100

static void sc_sync_hold(struct sc_sync *s)
{
	unsigned long flags;
	u64 end;

	while (!READ_ONCE(s->hold) && !kthread_should_stop())
		usleep_range(50, 100);
	if (kthread_should_stop())
		return;
	local_irq_save(flags);
	atomic_inc(&s->held);
	end = ktime_get_ns() + 10 * SC_SYNC_HOLD_MS * NSEC_PER_MSEC;
	while (!READ_ONCE(s->open) && !READ_ONCE(s->returned) &&
	       ktime_get_ns() < end)
		cpu_relax();
	end = ktime_get_ns() + SC_SYNC_HOLD_MS * NSEC_PER_MSEC;
	while (!smp_load_acquire(&s->returned) && ktime_get_ns() < end)
		cpu_relax();
	local_irq_restore(flags);
}

static int sc_sync_spin(void *data)
{
	struct sc_sync_spinner *sp = data;
	struct sc_sync *s = sp->s;

	atomic_inc(&s->ready);
	while (!READ_ONCE(s->go) && !kthread_should_stop())
		usleep_range(50, 100);
	sc_sync_hold(s);
	/*
	 * Then busy, interrupts on, until released. cond_resched()
	 * reports a quiescent state to RCU: an update that waits for a grace
	 * period instead of interrupting the CPUs gets one, and fails the
	 * check for what it is (no cross-CPU call) rather than hanging the
	 * spinner into a soft lockup.
	 */
	while (!READ_ONCE(s->release) && !kthread_should_stop()) {
		cpu_relax();
		cond_resched();
	}
	while (!kthread_should_stop())
		usleep_range(50, 100);
	return 0;
}

/*
 * Run @update(@arg) and record, in @res, what the update's cross-CPU calls
 * found on the other CPUs, for the instruction words in @w.
 */
static int sc_sync_probe(void (*update)(void *arg), void *arg,
			 const struct sc_sync_words *w,
			 struct sc_sync_result *res)
{
	struct sc_sync_tp tps[] = {
		{ "csd_queue_cpu" }, { "csd_function_entry" }, { }
	};
	unsigned int cpu, self, idle = nr_cpu_ids, i;
	struct sc_sync_spinner *sp;
	struct sc_sync *s;
	u64 deadline;

	memset(res, 0, sizeof(*res));
	if (!w->nr || w->nr > SC_SYNC_MAX_WORDS) {
		res->err = -EINVAL;
		return res->err;
	}
	/* A word left unwatched would be a word left unjudged. */
	if (w->overflow) {
		res->err = -E2BIG;
		return res->err;
	}
	for_each_kernel_tracepoint(sc_sync_find_tp, tps);
	if (!tps[0].tp || !tps[1].tp) {
		res->err = -ENOENT;
		return res->err;
	}
	s = kzalloc(sizeof(*s), GFP_KERNEL);
	sp = kcalloc(nr_cpu_ids, sizeof(*sp), GFP_KERNEL);
	if (s)
		s->cpu = kcalloc(nr_cpu_ids, sizeof(*s->cpu), GFP_KERNEL);
	if (!s || !sp || !s->cpu) {
		res->err = -ENOMEM;
		goto out_free;
	}
	s->w = w;
	s->updater = current;
	for (i = 0; i < nr_cpu_ids; i++)
		s->cpu[i].unclean = -1;
	atomic_set(&s->sent, 0);
	atomic_set(&s->ready, 0);
	atomic_set(&s->held, 0);

	res->err = tracepoint_probe_register(tps[0].tp, sc_sync_queued, s);
	if (res->err)
		goto out_free;
	res->err = tracepoint_probe_register(tps[1].tp, sc_sync_entered, s);
	if (res->err)
		goto out_unreg0;
	s->kp.symbol_name = "caches_clean_inval_pou";
	s->kp.pre_handler = sc_sync_maintained;
	res->err = register_kprobe(&s->kp);
	if (res->err)
		goto out_unreg1;

	/*
	 * This thread is the updater: keep it off the spinners' CPUs, by its
	 * affinity rather than migrate_disable() (see the top of this file).
	 */
	cpumask_copy(&s->affinity, current->cpus_ptr);
	self = raw_smp_processor_id();
	res->err = set_cpus_allowed_ptr(current, cpumask_of(self));
	if (res->err) {
		/* self went offline in the meantime */
		res->err = -EAGAIN;
		goto out_unreg2;
	}
	cpumask_copy(&s->online, cpu_online_mask);
	for_each_cpu(cpu, &s->online) {
		if (cpu == self)
			continue;
		res->others++;
		idle = cpu;	/* the last one stays idle */
	}
	for_each_cpu(cpu, &s->online) {
		struct task_struct *task;

		if (cpu == self || cpu == idle)
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
	while (atomic_read(&s->ready) < res->spinners)
		usleep_range(50, 100);
	WRITE_ONCE(s->go, 1);
	usleep_range(1000, 2000);	/* let the spinners leave their sleep */

	for (i = 0; i < w->nr; i++)
		s->before[i] = sc_sync_read_word(w->addr[i]);
	/*
	 * Every spinner has its interrupts off before the update starts.
	 * Preemption stays off from there until the update is open, so that
	 * the spinners' hold is not spent before it starts; the wait is
	 * bounded in case a spinner never got its CPU.
	 */
	WRITE_ONCE(s->hold, 1);
	preempt_disable();
	deadline = ktime_get_ns() + 5 * SC_SYNC_HOLD_MS * NSEC_PER_MSEC;
	while (atomic_read(&s->held) < res->spinners) {
		if (ktime_get_ns() > deadline) {
			preempt_enable();
			smp_store_release(&s->returned, 1);
			/* The update has not run: no verdict, see above. */
			res->err = -EAGAIN;
			goto out_stop;
		}
		cpu_relax();
	}
	WRITE_ONCE(s->open, 1);
	smp_mb(); /* open before the update's first cross-CPU call */
	preempt_enable();
	update(arg);
	smp_mb(); /* the update's calls all ran (if they were waited for) */
	WRITE_ONCE(s->open, 0);
	/*
	 * Release: closed before the spinners take interrupts again (pairs
	 * with the acquire in sc_sync_hold()), so a call they run late is
	 * not recorded.
	 */
	smp_store_release(&s->returned, 1);

	/*
	 * A CPU that came or went (hotplug may have moved this thread off
	 * self and back), or a missed kprobe hit: no verdict.
	 */
	if (!cpumask_equal(&s->online, cpu_online_mask) ||
	    !cpumask_equal(current->cpus_ptr, cpumask_of(self)) ||
	    s->kp.nmissed || kprobe_disabled(&s->kp)) {
		res->err = -EAGAIN;
		goto out_stop;
	}

	for (i = 0; i < w->nr; i++) {
		s->final[i] = sc_sync_read_word(w->addr[i]);
		if (s->final[i] == s->before[i])
			continue;
		res->changed = true;
		if (s->cleaned[i] && s->cleaned_seen[i] == s->final[i])
			continue;
		if (!res->unmaintained++)
			scnprintf(res->maint_why, sizeof(res->maint_why),
				  "%pS changed from %08x to %08x, %s",
				  w->addr[i], s->before[i], s->final[i],
				  s->cleaned[i] ?
				  "but its last cache maintenance came before the write" :
				  "with no cache maintenance over it");
	}
	res->maint = s->maint;
	res->sent = atomic_read(&s->sent);
	for_each_cpu(cpu, &s->online) {
		struct sc_sync_cpu *c = &s->cpu[cpu];
		/* Acquire: pairs with the release in sc_sync_entered(). */
		unsigned int runs = smp_load_acquire(&c->runs);
		bool waited = c->type == CSD_TYPE_SYNC;

		if (cpu == self)
			continue;
		if (c->csd && !waited)
			res->unwaited++;
		if (runs && waited && c->unclean < 0 &&
		    !memcmp(c->seen, s->final, w->nr * sizeof(u32))) {
			res->synced++;
			continue;
		}
		if (res->why[0])
			continue;
		if (c->csd && !waited) {
			scnprintf(res->why, sizeof(res->why),
				  "CPU %u%s: the update's last cross-CPU call to it was queued without waiting for it (CSD_TYPE_ASYNC)%s",
				  cpu, cpu == idle ? " (idle)" : "",
				  runs ? "" : ", and did not run before the update returned");
			continue;
		}
		if (!runs) {
			scnprintf(res->why, sizeof(res->why),
				  "CPU %u%s ran no cross-CPU call of the update before it returned%s",
				  cpu, cpu == idle ? " (idle)" : "",
				  c->csd ?
				  " (one was queued for it: the update did not wait)" :
				  "");
			continue;
		}
		if (c->unclean >= 0) {
			scnprintf(res->why, sizeof(res->why),
				  "CPU %u%s: the update's last cross-CPU call ran while %pS (%08x) was not yet cleaned to the PoU: it came before the cache maintenance",
				  cpu, cpu == idle ? " (idle)" : "",
				  w->addr[c->unclean], c->seen[c->unclean]);
			continue;
		}
		for (i = 0; i < w->nr; i++)
			if (c->seen[i] != s->final[i])
				break;
		scnprintf(res->why, sizeof(res->why),
			  "CPU %u%s: the update's last cross-CPU call ran while %pS still held %08x (final %08x): it came before that write",
			  cpu, cpu == idle ? " (idle)" : "", w->addr[i],
			  c->seen[i], s->final[i]);
	}

out_stop:
	WRITE_ONCE(s->release, 1);
	for (i = 0; i < nr_cpu_ids; i++)
		if (sp[i].task)
			kthread_stop(sp[i].task);
	set_cpus_allowed_ptr(current, &s->affinity);
out_unreg2:
	unregister_kprobe(&s->kp);
out_unreg1:
	tracepoint_probe_unregister(tps[1].tp, sc_sync_entered, s);
out_unreg0:
	tracepoint_probe_unregister(tps[0].tp, sc_sync_queued, s);
	tracepoint_synchronize_unregister();
out_free:
	if (s)
		kfree(s->cpu);
	kfree(sp);
	kfree(s);
	return res->err;
}

/*
 * The verdict on one update: @must_sync says whether it rewrote an
 * instruction by design. Returns true if it did what it must, else fills
 * @why.
 */
static inline bool sc_sync_judge(const struct sc_sync_result *res,
				 bool must_sync, char *why, size_t len)
{
	if (res->unmaintained) {
		scnprintf(why, len,
			  "%u changed words not cleaned to the PoU after their write (%u maintenance calls): %s",
			  res->unmaintained, res->maint, res->maint_why);
		return false;
	}
	if (must_sync != res->changed) {
		scnprintf(why, len, "the watched instructions %s, expected them %s",
			  res->changed ? "changed" : "did not change",
			  must_sync ? "to change" : "to stay");
		return false;
	}
	if (!must_sync) {
		if (!res->sent)
			return true;
		scnprintf(why, len,
			  "no instruction changed, yet the update sent %u cross-CPU calls",
			  res->sent);
		return false;
	}
	if (res->spinners < SC_SYNC_MIN_CPUS - 2) {
		scnprintf(why, len,
			  "inconclusive: %u other online CPUs, none of them busy; the check needs %u CPUs online",
			  res->others, SC_SYNC_MIN_CPUS);
		return false;
	}
	if (res->synced == res->others)
		return true;
	scnprintf(why, len,
		  "%u of %u other CPUs were synchronised after the last write (%u calls sent): %s",
		  res->synced, res->others, res->sent, res->why);
	return false;
}

#endif /* _SC_SYNC_H */
