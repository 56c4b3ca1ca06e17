#!/bin/sh
# Guest side of scripts/stages/workload.sh (run by /init as
# rig.run=workload.sh, under QEMU -icount on one vCPU): the workload
# program (workload/workload.c, /sc-workload in the initramfs) bare, then
# its context-switch ping-pong under "perf record -e sched:sched_switch -a"
# (Debian's perf, appended to the initramfs), so that every switch runs the
# tracepoint's probe. Every line the host reads starts with "WL ".
#   workload.sh [ITERATIONS] [RUNS]
#   workload.sh footprint N LONG_N LONG W1:W2:...
#           for QEMU's cache model (scripts/stages/footprint.sh), which
#           counts over the whole boot: each workload W once, N operations,
#           but LONG with LONG_N; two boots that differ only in LONG give
#           LONG's accesses and misses per operation
export HOME=/tmp PATH=/usr/bin:/bin
cd /tmp || exit 1

# traced_ok: no CFI failure on a short traced run (see below)
traced_ok() {
	dmesg -c >/dev/null
	perf record -e sched:sched_switch -a -o /tmp/probe.data -- /sc-workload 10 1 ctxsw >/tmp/probe.txt 2>&1
	cfi=$(dmesg | grep -c 'CFI failure')
	[ "$cfi" -eq 0 ]
}

if [ "${1:-}" = footprint ]; then
	n=$2 long_n=$3 long=$4
	rc=0
	for w in $(echo "$5" | tr ':' ' '); do
		k=$n
		[ "$w" != "$long" ] || k=$long_n
		case $w in
		ctxsw_traced)
			# (the host leaves it out where the workload stage saw
			# CFI failures: no probe run here). -B -N: no build-id
			# pass over the data at the end, which grows with the
			# samples and would count as the workload's footprint.
			perf record -B -N -e sched:sched_switch -a -o /tmp/wl.data -- \
				/sc-workload "$k" 1 ctxsw >/tmp/traced.txt 2>&1 || rc=1
			;;
		*) /sc-workload "$k" 1 "$w" >/tmp/w.txt 2>&1 || { rc=1; cat /tmp/w.txt; } ;;
		esac
		echo "WL footprint $w ops=$k"
	done
	echo "WL end rc=$rc"
	exit "$rc"
fi
iters=${1:-2000}
runs=${2:-5}

mount -t securityfs securityfs /sys/kernel/security 2>/dev/null
echo "WL lsm $(cat /sys/kernel/security/lsm 2>/dev/null || echo none)"
echo "WL kernel $(uname -r)"

rc=0
/sc-workload "$iters" "$runs" || rc=1

# The traced ping-pong. On a kernel where a tracepoint sample fails its
# CFI check (unpatched 6.12 with CFI_PERMISSIVE: the reported bug, each
# sample a warning with a backtrace), the loop measures the warnings, not
# the static calls: a short probe run finds out first.
if ! traced_ok; then
	echo "WL ctxsw_traced skipped: $cfi CFI failures in a 10-round probe run: $(dmesg | grep -m1 'CFI failure')"
else
	perf record -e sched:sched_switch -a -o /tmp/wl.data -- \
		/sc-workload "$iters" "$runs" ctxsw >/tmp/traced.txt 2>&1
	prc=$?
	sed -n 's/^WL ctxsw /WL ctxsw_traced /p' /tmp/traced.txt
	grep '^WL error' /tmp/traced.txt
	# "[ perf record: Captured and wrote 0.123 MB /tmp/wl.data (N samples) ]"
	echo "WL ctxsw_traced perf_rc=$prc samples=$(sed -n 's/.*(\([0-9]*\) samples).*/\1/p' /tmp/traced.txt)"
	[ "$prc" -eq 0 ] || { rc=1; sed 's/^/WL perf| /' /tmp/traced.txt | head -n 20; }
fi

# The bench module's per-call rows (small batches: the rows are exact
# instruction counts under -icount), for the BPF dispatcher replica.
dmesg -c >/dev/null
if insmod /lib/modules/static_call_bench.ko batches=5 calls=20000 updates=10 >/tmp/insmod.txt 2>&1; then
	rmmod static_call_bench
	dmesg | sed -n 's/^.*static_call_bench: SCB call /WL bench /p'
	dmesg | grep -q 'static_call_bench: SCB end ok' || { echo "WL bench-error: $(dmesg | grep -m1 'SCB error\|SCB end')"; rc=1; }
else
	echo "WL bench-error: insmod: $(cat /tmp/insmod.txt)"
	rc=1
fi
echo "WL end rc=$rc"
exit "$rc"
