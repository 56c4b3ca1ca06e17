#!/usr/bin/env bash
# Kernel work through static calls, measured (make workload): the workload
# program (workload/workload.c: system calls through LSM hooks, getpid as
# the control, a pipe ping-pong bare and under perf record -e
# sched:sched_switch) in the variant's guest under QEMU -icount shift=0 on
# one vCPU, where guest time is instructions. Every kernel of a base runs
# the same binary (scripts/build/workload-program.sh).
#   workload.sh VARIANT   -> $OUT/workload-VARIANT.tsv (one row per run)
# scripts/judges/workload_report.py turns the rows of a base's variants
# into its table (make workload). Environment: WL_ITERS (operations per
# run, default 4000), WL_RUNS (runs per workload, default 7),
# BOOT_TIMEOUT (seconds, default 600).
set -euo pipefail
. "$(dirname "$0")/../lib/lib.sh"
rig_init

variant_setup workload.sh "${1:-}"
stage=workload-$variant
base=$(variant_base "$variant")
iters=${WL_ITERS:-4000}
runs=${WL_RUNS:-7}
for n in "$iters" "$runs"; do
	case $n in '' | *[!0-9]* | 0) die "WL_ITERS=$iters WL_RUNS=$runs: positive numbers" ;; esac
done
img=$b/arch/arm64/boot/Image.gz
[ -f "$img" ] || die "no kernel for $variant in $b: run 'make kernel V=$variant' first"

# The rig's initramfs, Debian's perf and the program, as one uncompressed
# archive: the kernel then copies perf (about 40 MiB) instead of inflating
# it, which under the cache model (footprint.sh) would cost more than the
# measured work.
program=$("$RIG_ROOT/scripts/build/workload-program.sh" "$variant") ||
	die "scripts/build/workload-program.sh failed (its messages are above)"
# static_call_bench.ko for the per-call rows beside the workloads (the
# BPF dispatcher replica among them), in its own archive.
mdir=$CACHE/build/workload-module-$variant
ko=$("$RIG_ROOT/scripts/build/bench-module.sh" "$b" "$tc" "$mdir/build") ||
	die "scripts/build/bench-module.sh failed (its messages are above)"
mkdir -p "$mdir/root/lib/modules"
cp "$ko" "$mdir/root/lib/modules/"
(cd "$mdir/root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet --reproducible) >"$mdir/module.cpio"
perf_archive=$("$RIG_ROOT/scripts/sources/perf-rootfs.sh") ||
	die "scripts/sources/perf-rootfs.sh failed (its messages are above)"
"$RIG_ROOT/scripts/machine/initramfs.sh" "$variant"
initrd=$b/rig-initramfs-workload.cpio
{
	gzip -dc "$b/rig-initramfs.cpio.gz"
	gzip -dc "$perf_archive"
	cat "$program" "$mdir/module.cpio"
} >"$initrd"

logf=$LOGS/$stage.console.log
# No trace events enabled at boot (the rig's other guests enable some):
# the bare loops run without probes, the traced one with perf's only.
export MACHINE=icount SMP=1 TRACE_EVENTS=
qemu_require
record_qemu "$stage"
log "$stage: $runs runs of $iters operations per workload (-icount shift=0, 1 vCPU)"
t=$(date +%s)
rc=0
INITRD=$initrd BOOT_TIMEOUT=${BOOT_TIMEOUT:-600} nice -n 5 "$RIG_ROOT/scripts/machine/boot.sh" \
	"$variant" "$logf" rig.run=workload.sh "rig.args=$iters,$runs" || rc=$?
secs=$(($(date +%s) - t))
sed -i 's/\r$//' "$logf"
if [ "$rc" -ne 0 ]; then
	record "$stage" "guest boot + workload" FAIL "$secs" "boot exit $rc, see $logf"
	exit 1
fi
if ! grep -q '^WL end rc=0$' "$logf"; then
	record "$stage" "workload program" FAIL "$secs" "$(grep -m1 -E '^WL (error|bench-error|end)|^WL perf\|' "$logf" || echo "no WL end line in $logf")"
	exit 1
fi

# An LSM kernel runs its workload with the LSMs active (at least the
# capability module and four of lsm.config's five: SELinux and AppArmor
# exclude each other).
lsms=$(sed -n 's/^WL lsm //p' "$logf")
if variant_has "$variant" lsm && [ "$(tr ',' '\n' <<<"$lsms" | grep -c .)" -lt 5 ]; then
	record "$stage" "the LSMs of lsm.config are active" FAIL "$secs" "/sys/kernel/security/lsm: $lsms"
	exit 1
fi

# The design the kernel carries, from its row of variants.tsv.
case $(variant_kind "$variant") in
unpatched) design=indirect ;;
mainline-own) design=mainline ;;
patched) if variant_has "$variant" inline; then design=inline; else design=slot; fi ;;
*) die "$variant: kind $(variant_kind "$variant") has no design name" ;;
esac
freq=$(sed -n 's/^WL freq \([0-9]*\)$/\1/p' "$logf" | head -n1)
[ -n "$freq" ] || die "$stage: no 'WL freq' line in $logf"
rows=$OUT/workload-$variant.tsv
{
	printf 'variant\tbase\tdesign\tworkload\titers\trun\tticks\tfreq\n'
	sed -n 's/^WL \([a-z_]*\) iters=\([0-9]*\) run=\([0-9]*\) ticks=\([0-9]*\)$/\1\t\2\t\3\t\4/p' "$logf" |
		while IFS=$'\t' read -r w n r tk; do
			printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$variant" "$base" "$design" "$w" "$n" "$r" "$tk" "$freq"
		done
	sed -n 's/^WL \(ctxsw_traced\) skipped: \(.*\)$/#skipped\t\1\t\2/p' "$logf"
	# "WL bench ID PATH MIN MEDIAN MEAN WHAT...": the module's call rows
	sed -n 's/^WL bench \([^ ]*\) \([^ ]*\) \([^ ]*\) \([^ ]*\) \([^ ]*\) \(.*\)$/#bench\t\1\t\2\t\4\t\6/p' "$logf"
} >"$rows"
nrows=$(grep -vc '^variant\|^#' "$rows" || true)
if ! grep -q '^#bench	bpf_disp	' "$rows"; then
	record "$stage" "static_call_bench.ko's per-call rows" FAIL "$secs" "$(grep -m1 '^WL bench-error' "$logf" || echo "no bpf_disp row in $logf")"
	exit 1
fi
# The traced ping-pong measures a probe only if perf recorded its samples.
samples=$(sed -n 's/^WL ctxsw_traced perf_rc=0 samples=\([0-9]*\)$/\1/p' "$logf")
if ! grep -q '^#skipped' "$rows" && [ "${samples:-0}" -eq 0 ]; then
	record "$stage" "perf record -e sched:sched_switch took samples during the traced ping-pong" FAIL "$secs" \
		"$(grep -m1 '^WL ctxsw_traced perf_rc' "$logf" || echo "no perf line in $logf")"
	exit 1
fi
record "$stage" "workload: $nrows timed runs ($design design; LSMs: $lsms; ${samples:-no} sched_switch samples traced)" DONE "$secs"
if grep -q '^#skipped' "$rows"; then
	record "$stage" "traced ping-pong not measured: $(sed -n 's/^#skipped\t[^\t]*\t//p' "$rows" | cut -c1-100)" INFO 0
fi
log "$stage: $nrows runs in ${secs}s -> $rows"
