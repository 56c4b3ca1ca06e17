#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The hardware kit's runner: on an arm64 board running the kernel the kit
# was built for, as root:
#
#   ./run.sh [ITERATIONS] [RUNS]       (default 20000 and 7)
#
# Environment: CPU (the CPU to run on, default 0; on big.LITTLE boards run
# once per kind of core), BENCH_ARGS (static_call_bench.ko parameters,
# space separated, default none), OUT (results directory, default
# ./results-<kernel release>-cpu<CPU>).
#
# It runs the workload program (system calls through LSM hooks, a pipe
# ping-pong, bare and, where perf is installed, under perf record -e
# sched:sched_switch) with PMU counting through perf events, loads
# static_call_bench.ko for the per-call rows, and prints the tables of
# Documentation/results.md (report.awk) into OUT/report.md and
# OUT/report.json. Needs only a POSIX shell, awk, insmod, rmmod, dmesg
# (busybox or toybox will do) and, for the traced row, perf.
set -u

here=$(cd "$(dirname "$0")" && pwd)
iters=${1:-20000}
runs=${2:-7}
cpu=${CPU:-0}
release=$(uname -r)
out=${OUT:-$here/results-$release-cpu$cpu}

die() {
	echo "run.sh: $*" >&2
	exit 1
}

[ "$(id -u)" -eq 0 ] || die "run as root: it loads a module and counts kernel-side PMU events"
[ -x "$here/sc-workload" ] || die "$here/sc-workload missing: unpack the whole archive"
mkdir -p "$out" || die "cannot create $out"
rm -f "$out/bench.txt" "$out/workload.txt" "$out/traced.raw" "$out/report.md" "$out/report.json"
kit=$(cat "$here/KERNEL_RELEASE")
[ "$kit" = "$release" ] ||
	echo "run.sh: warning: kit built for $kit, running $release: insmod may refuse the module" >&2

# Run everything on one CPU, where the kernel can pin us.
pin=""
if command -v taskset >/dev/null 2>&1; then
	pin="taskset -c $cpu"
	$pin true 2>/dev/null || die "cannot run on CPU $cpu (taskset -c $cpu failed)"
fi

# Kernel-side counting needs perf_event_paranoid <= 1; restored at exit.
para=/proc/sys/kernel/perf_event_paranoid
old=$(cat "$para" 2>/dev/null || echo "")
[ -z "$old" ] || echo -1 >"$para" 2>/dev/null
# shellcheck disable=SC2317 # called by the trap
restore() { [ -z "$old" ] || echo "$old" >"$para" 2>/dev/null; }
trap restore EXIT INT TERM

{
	echo "HW kernel $release"
	echo "HW kit $kit"
	echo "HW cpu $cpu"
	echo "HW pinned ${pin:-no (no taskset)}"
	# The core: implementer and part of the chosen CPU (/proc/cpuinfo).
	awk -v cpu="$cpu" '/^processor/ { p = $3 } p == cpu && /^CPU (implementer|part|variant|revision)/ {
		sub(/^CPU /, ""); gsub(/[ \t]+:[ \t]*/, " "); print "HW cpu_" $0 }' /proc/cpuinfo
	echo "HW date $(date -u +%Y-%m-%dT%H:%MZ 2>/dev/null)"
} >"$out/hw.txt"

# The module first: it says which design the kernel carries, and whether
# it has kCFI, which decides whether the traced row can run.
echo "run.sh: static_call_bench.ko ${BENCH_ARGS:-}" >&2
marker="hwkit-$$-$(date +%s)"
echo "$marker" >/dev/kmsg 2>/dev/null
# shellcheck disable=SC2086 # module parameters are words
if $pin insmod "$here/static_call_bench.ko" ${BENCH_ARGS:-} >"$out/insmod.txt" 2>&1; then
	rmmod static_call_bench >/dev/null 2>&1
else
	echo "SCB error insmod failed: $(cat "$out/insmod.txt")" >"$out/bench.txt"
fi
# The module's lines of this run: after the marker, or all if the log
# could not take one.
if dmesg | grep -q "$marker"; then
	dmesg | sed -n "/$marker/,\$p"
else
	dmesg
fi | sed -n 's/^.*static_call_bench: SCB /SCB /p' >>"$out/bench.txt"

design=$(sed -n 's/^SCB meta design //p' "$out/bench.txt")
cfi=$(sed -n 's/^SCB meta cfi //p' "$out/bench.txt")

echo "run.sh: workload program, $runs runs of $iters operations, CPU $cpu" >&2
cd "$out" || die "cannot enter $out"
# shellcheck disable=SC2086 # $pin is a command prefix or empty
$pin "$here/sc-workload" -p "$iters" "$runs" >"$out/workload.txt" 2>&1 ||
	echo "run.sh: the workload program failed (see $out/workload.txt)" >&2

# The ping-pong under perf record -e sched:sched_switch (a probe on every
# switch), where perf exists; Android's simpleperf is used the same way.
traced=""
for p in perf simpleperf; do
	command -v "$p" >/dev/null 2>&1 && traced=$p && break
done
if [ "$design" = indirect ] && [ "$cfi" = kcfi ]; then
	# Generic static calls under kCFI: every sched_switch sample calls
	# __static_call_return0 through a mismatched pointer, the crash the
	# series fixes (a warning per sample with CFI_PERMISSIVE).
	echo "WL note ctxsw_traced not measured: unpatched kCFI kernel, perf record -e sched:sched_switch hits the CFI failure the series fixes" >>"$out/workload.txt"
elif [ -n "$traced" ]; then
	echo "run.sh: ping-pong under $traced record -e sched:sched_switch" >&2
	# shellcheck disable=SC2086
	$pin "$traced" record -e sched:sched_switch -a -o "$out/perf.data" -- \
		"$here/sc-workload" -p "$iters" "$runs" ctxsw >"$out/traced.raw" 2>&1
	sed -n 's/^WL ctxsw /WL ctxsw_traced /p' "$out/traced.raw" >>"$out/workload.txt"
	rm -f "$out/perf.data"
else
	echo "WL note ctxsw_traced not measured: no perf or simpleperf on this system" >>"$out/workload.txt"
fi

awk -v json="$out/report.json" -f "$here/report.awk" \
	"$out/hw.txt" "$out/workload.txt" "$out/bench.txt" >"$out/report.md"
rc=$?
cat "$out/report.md"
echo "run.sh: results in $out (report.md, report.json and the raw files): send the directory back" >&2
exit "$rc"
