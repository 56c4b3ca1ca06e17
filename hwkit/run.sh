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
# shellcheck disable=SC2317 # called by the traps
restore() { [ -z "$old" ] || echo "$old" >"$para" 2>/dev/null; }
trap restore EXIT
trap 'restore; exit 130' INT TERM

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
	echo "SCB error insmod failed: $(tr '\n\t' '  ' <"$out/insmod.txt")" >"$out/bench.txt"
fi
# The module's lines of this run: after the marker, or, if the log could
# not take one, the last run's (from its last "meta kernel" line).
if dmesg | grep -q "$marker"; then
	dmesg | sed -n "/$marker/,\$p"
else
	dmesg
fi | sed -n 's/^.*static_call_bench: SCB /SCB /p' |
	awk '/^SCB meta kernel / { n = 0 } { l[++n] = $0 } END { for (i = 1; i <= n; i++) print l[i] }' >>"$out/bench.txt"

design=$(sed -n 's/^SCB meta design //p' "$out/bench.txt" | tail -n1)
cfi=$(sed -n 's/^SCB meta cfi //p' "$out/bench.txt" | tail -n1)
# What the kernel was built with (hwkit.sh copied these from its .config):
# with kCFI and without static calls, the traced row is the reported crash.
kcfi_nosc=0
if grep -q '^CONFIG_CFI_CLANG=y\|^CONFIG_CFI=y' "$here/KERNEL_CONFIG" &&
	! grep -q '^CONFIG_HAVE_STATIC_CALL=y' "$here/KERNEL_CONFIG"; then
	kcfi_nosc=1
fi

# The perf type of the PMU of CPU $cpu (big.LITTLE boards have one per
# kind of core): the workload program asks for its events there.
in_list() { # in_list N "0-3,6": is N in the list?
	echo "$2" | tr ',' '\n' | awk -F- -v n="$1" '{ hi = NF > 1 ? $2 : $1 } n >= $1 && n <= hi { f = 1 } END { exit !f }'
}
pmu_type=""
for d in /sys/bus/event_source/devices/*; do
	if [ ! -f "$d/cpus" ] || [ ! -f "$d/type" ]; then continue; fi
	if in_list "$cpu" "$(cat "$d/cpus")"; then
		pmu_type=$(cat "$d/type")
		echo "HW pmu $(basename "$d") type $pmu_type" >>"$out/hw.txt"
		break
	fi
done

echo "run.sh: workload program, $runs runs of $iters operations, CPU $cpu" >&2
cd "$out" || die "cannot enter $out"
# shellcheck disable=SC2086 # $pin is a command prefix or empty
$pin "$here/sc-workload" -p ${pmu_type:+-t "$pmu_type"} "$iters" "$runs" >"$out/workload.txt" 2>&1 ||
	echo "run.sh: the workload program failed (see $out/workload.txt)" >&2
[ -n "$pin" ] ||
	echo "WL note the ping-pong ran unpinned (no taskset): its switches may cross CPUs" >>"$out/workload.txt"

# The ping-pong under perf record -e sched:sched_switch (a probe on every
# switch), where perf exists; Android's simpleperf is used the same way.
traced=""
for p in perf simpleperf; do
	command -v "$p" >/dev/null 2>&1 && traced=$p && break
done
if { [ "$design" = indirect ] && [ "$cfi" = kcfi ]; } || [ "$kcfi_nosc" -eq 1 ]; then
	# Generic static calls under kCFI: every sched_switch sample calls
	# __static_call_return0 through a mismatched pointer, the crash the
	# series fixes (a warning per sample with CFI_PERMISSIVE).
	echo "WL note ctxsw_traced not measured: unpatched kCFI kernel, perf record -e sched:sched_switch hits the CFI failure the series fixes" >>"$out/workload.txt"
elif [ -z "$design" ]; then
	echo "WL note ctxsw_traced not measured: the module did not say which design the kernel carries (see bench.txt), and on an unpatched kCFI kernel the traced run crashes it" >>"$out/workload.txt"
elif [ -n "$traced" ]; then
	echo "run.sh: ping-pong under $traced record -e sched:sched_switch" >&2
	# The probe on CPU $cpu's switches; perf itself not pinned there.
	case $traced in
	perf) on="-C $cpu" ;;
	*) on="--cpu $cpu" ;;
	esac
	# shellcheck disable=SC2086 # $on and $pin are words
	"$traced" record -e sched:sched_switch $on -o "$out/perf.data" -- \
		$pin "$here/sc-workload" -p ${pmu_type:+-t "$pmu_type"} "$iters" "$runs" ctxsw \
		>"$out/traced.raw" 2>&1
	trc=$?
	sed -n 's/^WL ctxsw /WL ctxsw_traced /p; /^WL error/p' "$out/traced.raw" >>"$out/workload.txt"
	[ "$trc" -eq 0 ] ||
		echo "WL error ctxsw_traced: $traced record exited $trc (see traced.raw)" >>"$out/workload.txt"
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
