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
 *	read		pread() of one byte of it: file_permission
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
 * [iterations] [runs] [workload...] (default 2000 iterations, 5 runs, all).
 *
 * Built static and without a C library (the kernel's tools/include/nolibc),
 * so that the initramfs needs nothing else: see workload/Makefile.
 */
#include "nolibc.h"

#define WL_FILE		"/wl.dat"

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

#define WL_NR	(sizeof(wl_all) / sizeof(wl_all[0]))

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

		t0 = wl_counter();
		for (i = 0; i < iters; i++)
			if (w->op())
				return -1;
		t1 = wl_counter();
		printf("WL %s iters=%ld run=%d ticks=%lu\n", w->name, iters, r, t1 - t0);
	}
	return 0;
}

int main(int argc, char **argv)
{
	long iters = argc > 1 ? atol(argv[1]) : 2000;
	int runs = argc > 2 ? atoi(argv[2]) : 5;
	pid_t child;
	int ret = 0, fd;
	size_t k;

	if (iters <= 0 || runs <= 0) {
		printf("WL error usage: workload [iterations] [runs] [workload...]\n");
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
