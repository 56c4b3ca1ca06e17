#!/usr/bin/env bash
# The instruction-fetch and data footprint of the workloads (make
# workload), from QEMU's own cache model (contrib/plugins/cache.c, built by
# scripts/sources/qemu-plugins.sh), on the models of
# scripts/tables/cache-models.tsv, all in every boot (one copy of the
# plugin per model; the k-th model is told it has k cores, which is how its
# report is told apart: a vCPU only ever uses its first).
# The plugin counts over the whole boot, so each workload gets two boots
# that differ only in its length: N operations in the first, LONG_N in the
# second, every other workload N in both; the difference divided by the
# difference in operations is that workload's accesses and misses per
# operation (the program's warm-up round, a tenth, counted in). The first
# boot is run twice: the difference between the two is the noise, reported
# beside the numbers. The traced ping-pong needs perf in the guest, which
# the others do without (their boots are quicker): it is a group of its
# own, left out where the workload stage found a CFI failure per sample.
#   footprint.sh VARIANT   (after workload.sh VARIANT)
#                          -> $OUT/footprint-VARIANT.tsv, one row per boot and model
# The boots are independent one-vCPU guests under -icount (what they count
# does not depend on the host's speed): FP_JOBS of them run at a time, each
# into its own rows file, joined in boot order at the end.
# Environment: FP_N, FP_LONG_N (default 200 and 5200), FP_JOBS (default
# the host's cores), BOOT_TIMEOUT.
set -euo pipefail
. "$(dirname "$0")/../lib/lib.sh"
rig_init

variant_setup footprint.sh "${1:-}"
stage=footprint-$variant
n=${FP_N:-200}
long_n=${FP_LONG_N:-5200}
jobs_max=${FP_JOBS:-$(nproc)}
[ "$long_n" -gt "$n" ] || die "FP_LONG_N=$long_n must be more than FP_N=$n"
rows_wl=$OUT/workload-$variant.tsv
[ -f "$rows_wl" ] || die "$rows_wl missing: run the workload stage on $variant first"
design=$(awk -F'\t' 'NR == 2 { print $3 }' "$rows_wl")
[ -f "$b/arch/arm64/boot/Image.gz" ] || die "no kernel for $variant: run 'make kernel V=$variant' first"

plugin=$("$RIG_ROOT/scripts/sources/qemu-plugins.sh") ||
	die "scripts/sources/qemu-plugins.sh failed (its messages are above)"
program=$("$RIG_ROOT/scripts/build/workload-program.sh" "$variant") ||
	die "scripts/build/workload-program.sh failed (its messages are above)"
perf_archive=$("$RIG_ROOT/scripts/sources/perf-rootfs.sh") ||
	die "scripts/sources/perf-rootfs.sh failed (its messages are above)"
"$RIG_ROOT/scripts/machine/initramfs.sh" "$variant"
work=$CACHE/build/footprint-$variant
rm -rf "$work"
mkdir -p "$work"
{ gzip -dc "$b/rig-initramfs.cpio.gz" && cat "$program"; } >"$work/bare.cpio"
{ gzip -dc "$b/rig-initramfs.cpio.gz" && gzip -dc "$perf_archive" && cat "$program"; } >"$work/perf.cpio"

# One plugin copy per model (a copy: QEMU would share one loaded file's
# state between two -plugin options).
plugin_args=()
mapfile -t models < <(table_get "$RIG_ROOT/scripts/tables/cache-models.tsv" model)
[ "${#models[@]}" -gt 0 ] || die "scripts/tables/cache-models.tsv names no cache model"
k=0
for m in "${models[@]}"; do
	k=$((k + 1))
	cp "$plugin" "$work/cache-$m.so"
	c() { table_one "$RIG_ROOT/scripts/tables/cache-models.tsv" "$1" model="$m"; }
	plugin_args+=(-plugin "$work/cache-$m.so,icachesize=$(c isize),iassoc=$(c iassoc),iblksize=$(c iblk),dcachesize=$(c dsize),dassoc=$(c dassoc),dblksize=$(c dblk),limit=0,cores=$k")
done

export MACHINE=icount SMP=1 TRACE_EVENTS=
qemu_require
record_qemu "$stage"
out=$OUT/footprint-$variant.tsv
printf 'variant\tdesign\tgroup\tboot\tlong\tn\tlong_n\tmodel\tdacc\tdmiss\tiacc\timiss\n' >"$out"

# boot_one GROUP LABEL LONG LIST INITRD: one guest, its counters into
# $work/rows-LABEL.tsv
boot_one() {
	local group=$1 label=$2 long=$3 list=$4 initrd=$5 logf plog
	logf=$LOGS/$stage-$label.console.log
	plog=$LOGS/$stage-$label.plugin.log
	rm -f "$plog"
	INITRD=$initrd BOOT_TIMEOUT=${BOOT_TIMEOUT:-900} \
		QEMU_EXTRA="${plugin_args[*]} -d plugin -D $plog" \
		nice -n 5 "$RIG_ROOT/scripts/machine/boot.sh" "$variant" "$logf" \
		rig.run=workload.sh "rig.args=footprint,$n,$long_n,$long,$list" 2>>"$LOGS/$stage.boot.log" ||
		die "$stage: boot $label failed, see $logf"
	sed -i 's/\r$//' "$logf"
	grep -q '^WL end rc=0$' "$logf" || die "$stage: the workload failed in boot $label, see $logf"
	# Each model's report: a header, then one row per core it was told of
	# (then a "sum" row); the number of core rows names the model.
	awk -v models="${models[*]}" -v pre="$variant	$design	$group	$label	$long	$n	$long_n" '
		BEGIN { nm = split(models, m, " ") }
		/^core #/ { if (rows) emit(); rows = 0; next }
		/^[0-9]+[ \t]/ { if (rows == 0) { d = $2; dm = $3; i = $5; im = $6 } rows++; next }
		END { if (rows) emit() }
		function emit() {
			if (rows > nm) { print "footprint: a report with " rows " core rows" > "/dev/stderr"; exit 1 }
			printf "%s\t%s\t%s\t%s\t%s\t%s\n", pre, m[rows], d, dm, i, im
			seen++
		}' "$plog" >"$work/rows-$label.tsv"
}

# boot_bg ARGS...: boot_one in the background, once fewer than FP_JOBS run
labels=()
running=0
failed=0
boot_bg() {
	labels+=("$2")
	if [ "$running" -ge "$jobs_max" ]; then
		wait -n || failed=$((failed + 1))
		running=$((running - 1))
	fi
	boot_one "$@" &
	running=$((running + 1))
}

t=$(date +%s)
bare=getpid:open_close:stat:read:mmap:ctxsw
nb=0
for label in base base-again; do
	boot_bg bare "bare-$label" - "$bare" "$work/bare.cpio"
	nb=$((nb + 1))
done
for w in ${bare//:/ }; do
	boot_bg bare "bare-$w" "$w" "$bare" "$work/bare.cpio"
	nb=$((nb + 1))
done
if grep -q '^#skipped	ctxsw_traced' "$rows_wl"; then
	record "$stage" "traced ping-pong left out: a CFI failure per sample on this kernel (workload stage)" INFO 0
else
	for label in base base-again; do
		boot_bg traced "traced-$label" - ctxsw_traced "$work/perf.cpio"
		nb=$((nb + 1))
	done
	boot_bg traced traced-ctxsw_traced ctxsw_traced ctxsw_traced "$work/perf.cpio"
	nb=$((nb + 1))
fi
while [ "$running" -gt 0 ]; do
	wait -n || failed=$((failed + 1))
	running=$((running - 1))
done
[ "$failed" -eq 0 ] || die "$stage: $failed of $nb boots failed (their messages are above)"
for label in "${labels[@]}"; do
	cat "$work/rows-$label.tsv" >>"$out"
done
got=$(($(wc -l <"$out") - 1))
if [ "$got" -ne $((nb * ${#models[@]})) ]; then
	record "$stage" "cache model reports" FAIL $(($(date +%s) - t)) "$got of $((nb * ${#models[@]})) in $LOGS/$stage-*.plugin.log"
	exit 1
fi
record "$stage" "footprint: $nb boots under QEMU's cache model, ${#models[@]} models (${models[*]})" DONE $(($(date +%s) - t))
log "$stage: $nb boots -> $out"
