// SPDX-License-Identifier: GPL-2.0
/*
 * workload: kernel work that goes through static calls, timed from user
 * space. Each workload is a loop of one operation:
 *
 *	loop		nothing (the loop's own cost, subtracted by the report)
 *	getpid		getpid(): a system call with no LSM hook (the control)
 *	open_close	openat() + close() of a file on the root (tmpfs/ramfs):
 *			file_open, inode_permission, file_alloc/free hooks
 *	stat		stat() of that file: inode_getattr
 *	read		lseek() + read() of one byte of it: file_permission
 *	mmap		mmap() + munmap() of one anonymous page: mmap_addr,
 *			mmap_file
 *	ctxsw		one round trip of a byte through two pipes between this
 *			process and a child: two context switches on one CPU,
 *			each one firing the sched_switch tracepoint (a static
 *			call once a probe is attached: perf record -e
 *			sched:sched_switch)
 *
 * Since 6.12 each LSM hook is a static call per active LSM, so the
 * difference between kernels that differ only in how static calls are made
 * (indirect call, trampoline, inline site) shows in these numbers.
 *
 * Timing uses the virtual counter (CNTVCT_EL0, after an ISB). Under QEMU
 * with -icount shift=0 guest time advances 1 ns per instruction, so a tick
 * is 1e9 / CNTFRQ instructions (16 at QEMU's 62.5 MHz) and the report turns
 * ticks into instructions per operation; on hardware ticks are time.
 *
 * Output, one line each: "WL freq <CNTFRQ_EL0>", then per run
 * "WL <workload> iters=<n> run=<r> ticks=<t>", then "WL done". Arguments:
 * [-p] [-t TYPE] [iterations] [runs] [workload...] (default 2000
 * iterations, 5 runs, all; -p: count PMU events too, see wl_events[]).
 *
 * Built static and without a C library (the kernel's tools/include/nolibc),
 * so that the initramfs needs nothing else: see workload/Makefile.
 */
#include "nolibc.h"
#include <linux/perf_event.h>

/* In the working directory: the root may be read-only (Android). */
#define WL_FILE		"wl.dat"

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif

static unsigned long wl_counter(void)
{
	unsigned long v;

	asm volatile("isb; mrs %0, cntvct_el0" : "=r"(v) : : "memory");
	return v;
}

static unsigned long wl_freq(void)
{
	unsigned long v;

	asm volatile("mrs %0, cntfrq_el0" : "=r"(v));
	return v;
}

/*
 * With -p, each timed run is also counted by the PMU through perf events
 * opened on this process (kernel included, the hypervisor excluded): what
 * the CPU has of these, named in the output; an event the kernel or the
 * CPU lacks is reported once as unsupported and left out. The ping-pong's
 * counts are the parent's side of each round trip (the child does the
 * same work on its side).
 *
 * On a big.LITTLE system a generic hardware event belongs to one of the
 * CPU PMUs; -t TYPE (the perf type of the PMU of the CPU the program runs
 * on, from /sys/bus/event_source/devices/NAME/type) asks for that PMU
 * through the extended type (PERF_PMU_TYPE_SHIFT, Linux 6.0 and later);
 * a kernel without it gets the generic event. A run in which an event
 * did not count the whole time (multiplexed, or on another CPU's PMU)
 * reports it as "mux" (ran part of the time) or "off" (not at all).
 */
struct wl_event {
	const char *name;
	__u32 type;
	__u64 config;
	int fd;
	__u64 enabled, running;		/* at the start of the run */
};

#ifndef PERF_PMU_TYPE_SHIFT
#define PERF_PMU_TYPE_SHIFT	32
#endif

#define WL_CACHE(c, r)	((c) | (PERF_COUNT_HW_CACHE_OP_READ << 8) | ((r) << 16))

#define WL_EVENT(n, t, c)	{ .name = (n), .type = (t), .config = (c), .fd = -1 }

static struct wl_event wl_events[] = {
	WL_EVENT("cycles", PERF_TYPE_HARDWARE, PERF_COUNT_HW_CPU_CYCLES),
	WL_EVENT("instructions", PERF_TYPE_HARDWARE, PERF_COUNT_HW_INSTRUCTIONS),
	WL_EVENT("branch_misses", PERF_TYPE_HARDWARE, PERF_COUNT_HW_BRANCH_MISSES),
	WL_EVENT("l1i_misses", PERF_TYPE_HW_CACHE,
		 WL_CACHE(PERF_COUNT_HW_CACHE_L1I, PERF_COUNT_HW_CACHE_RESULT_MISS)),
	WL_EVENT("l1d_misses", PERF_TYPE_HW_CACHE,
		 WL_CACHE(PERF_COUNT_HW_CACHE_L1D, PERF_COUNT_HW_CACHE_RESULT_MISS)),
};

#define WL_NEVENTS	ARRAY_SIZE(wl_events)

static int wl_pmu;
static unsigned long wl_pmu_type;

static long wl_event_open(const struct wl_event *e, __u64 pmu)
{
	struct perf_event_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.size = sizeof(attr);
	attr.type = e->type;
	attr.config = e->config | (pmu << PERF_PMU_TYPE_SHIFT);
	attr.disabled = 1;
	attr.exclude_hv = 1;
	attr.read_format = PERF_FORMAT_TOTAL_TIME_ENABLED |
			   PERF_FORMAT_TOTAL_TIME_RUNNING;
	/* syscall(): nolibc's raw macros were renamed after 6.12 */
	return syscall(__NR_perf_event_open, &attr, 0, -1, -1, 0);
}

static void wl_pmu_open(void)
{
	size_t i;

	for (i = 0; i < WL_NEVENTS; i++) {
		long fd = -1;

		if (wl_pmu_type)
			fd = wl_event_open(&wl_events[i], wl_pmu_type);
		if (fd < 0)
			fd = wl_event_open(&wl_events[i], 0);
		if (fd < 0) {
			printf("WL pmu %s unsupported errno=%d\n", wl_events[i].name, errno);
			continue;
		}
		wl_events[i].fd = fd;
		printf("WL pmu %s ok\n", wl_events[i].name);
	}
}

static void wl_pmu_ctl(unsigned long req)
{
	size_t i;

	for (i = 0; i < WL_NEVENTS; i++)
		if (wl_events[i].fd >= 0)
			ioctl(wl_events[i].fd, req, 0);
}

/*
 * Reset the counts and note the times enabled and running (a reset
 * leaves those alone), then enable: a run is judged by its own times.
 */
static void wl_pmu_start(void)
{
	size_t i;

	wl_pmu_ctl(PERF_EVENT_IOC_RESET);
	for (i = 0; i < WL_NEVENTS; i++) {
		__u64 v[3];

		if (wl_events[i].fd < 0 ||
		    read(wl_events[i].fd, v, sizeof(v)) != sizeof(v))
			continue;
		wl_events[i].enabled = v[1];
		wl_events[i].running = v[2];
	}
	wl_pmu_ctl(PERF_EVENT_IOC_ENABLE);
}

/*
 * " name=value" for each event that counted for the whole run; "mux" for
 * one that ran part of it, "off" for one that never ran.
 */
static void wl_pmu_print(void)
{
	size_t i;

	for (i = 0; i < WL_NEVENTS; i++) {
		__u64 v[3], en, run;

		if (wl_events[i].fd < 0)
			continue;
		if (read(wl_events[i].fd, v, sizeof(v)) != sizeof(v)) {
			printf(" %s=error", wl_events[i].name);
			continue;
		}
		en = v[1] - wl_events[i].enabled;
		run = v[2] - wl_events[i].running;
		if (!run)
			printf(" %s=off", wl_events[i].name);
		else if (run != en)
			printf(" %s=mux", wl_events[i].name);
		else
			printf(" %s=%llu", wl_events[i].name, (unsigned long long)v[0]);
	}
}

static int wl_fd;
static int wl_to_child[2], wl_to_parent[2];

static int wl_op_loop(void)
{
	asm volatile("" : : : "memory");
	return 0;
}

static int wl_op_getpid(void)
{
	return getpid() > 0 ? 0 : -1;
}

static int wl_op_open_close(void)
{
	int fd = open(WL_FILE, O_RDONLY);

	if (fd < 0)
		return -1;
	return close(fd);
}

static int wl_op_stat(void)
{
	struct stat st;

	return stat(WL_FILE, &st);
}

static int wl_op_read(void)
{
	char c;

	return lseek(wl_fd, 0, SEEK_SET) == 0 && read(wl_fd, &c, 1) == 1 ? 0 : -1;
}

static int wl_op_mmap(void)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return -1;
	return munmap(p, 4096);
}

static int wl_op_ctxsw(void)
{
	char c = 'x';

	if (write(wl_to_child[1], &c, 1) != 1 ||
	    read(wl_to_parent[0], &c, 1) != 1)
		return -1;
	return 0;
}

struct wl {
	const char *name;
	int (*op)(void);
};

static const struct wl wl_all[] = {
	{ "loop", wl_op_loop },
	{ "getpid", wl_op_getpid },
	{ "open_close", wl_op_open_close },
	{ "stat", wl_op_stat },
	{ "read", wl_op_read },
	{ "mmap", wl_op_mmap },
	{ "ctxsw", wl_op_ctxsw },
};

#define WL_NR	ARRAY_SIZE(wl_all)

/* The child of ctxsw: echo every byte back until the pipe closes. */
static void wl_echo(void)
{
	char c;

	close(wl_to_child[1]);
	close(wl_to_parent[0]);
	while (read(wl_to_child[0], &c, 1) == 1)
		if (write(wl_to_parent[1], &c, 1) != 1)
			break;
	exit(0);
}

static int wl_run(const struct wl *w, long iters, int runs)
{
	int r;
	long i;

	/* One untimed round, so that first-touch costs are not counted. */
	for (i = 0; i < iters / 10 + 1; i++)
		if (w->op())
			return -1;
	for (r = 0; r < runs; r++) {
		unsigned long t0, t1;

		if (wl_pmu)
			wl_pmu_start();
		t0 = wl_counter();
		for (i = 0; i < iters; i++)
			if (w->op())
				return -1;
		t1 = wl_counter();
		if (wl_pmu)
			wl_pmu_ctl(PERF_EVENT_IOC_DISABLE);
		printf("WL %s iters=%ld run=%d ticks=%lu", w->name, iters, r, t1 - t0);
		if (wl_pmu)
			wl_pmu_print();
		printf("\n");
	}
	return 0;
}

int main(int argc, char **argv)
{
	long iters;
	int runs;
	pid_t child;
	int ret = 0, fd;
	size_t k;

	if (argc > 1 && !strcmp(argv[1], "-p")) {
		wl_pmu = 1;
		argv++;
		argc--;
	}
	if (argc > 2 && !strcmp(argv[1], "-t")) {
		wl_pmu_type = strtoul(argv[2], NULL, 10);
		argv += 2;
		argc -= 2;
	}
	iters = argc > 1 ? atol(argv[1]) : 2000;
	runs = argc > 2 ? atoi(argv[2]) : 5;

	if (iters <= 0 || runs <= 0) {
		printf("WL error usage: workload [-p] [-t TYPE] [iterations] [runs] [name...]\n");
		return 2;
	}
	fd = open(WL_FILE, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, "wl", 2) != 2) {
		printf("WL error cannot create %s\n", WL_FILE);
		return 1;
	}
	wl_fd = fd;
	if (pipe(wl_to_child) || pipe(wl_to_parent)) {
		printf("WL error pipe\n");
		return 1;
	}
	child = fork();
	if (child < 0) {
		printf("WL error fork\n");
		return 1;
	}
	if (child == 0)
		wl_echo();
	close(wl_to_child[0]);
	close(wl_to_parent[1]);

	printf("WL freq %lu\n", wl_freq());
	if (wl_pmu)
		wl_pmu_open();
	for (k = 0; k < WL_NR; k++) {
		int i, want = argc <= 3;

		for (i = 3; i < argc; i++)
			if (!strcmp(argv[i], wl_all[k].name))
				want = 1;
		if (!want)
			continue;
		if (wl_run(&wl_all[k], iters, runs)) {
			printf("WL error %s failed\n", wl_all[k].name);
			ret = 1;
		}
	}
	close(wl_to_child[1]);
	waitpid(child, NULL, 0);
	unlink(WL_FILE);
	printf("WL done\n");
	return ret;
}
