#!/usr/bin/env bash
# The icount benchmark (make bench): build kmod/static_call_bench.c against
# a variant's kernel, boot that kernel under QEMU with "-icount shift=0" on
# one vCPU, let kmod/run-bench.sh load the module, and turn the module's
# "SCB ..." lines into a table on the terminal plus out/bench-VARIANT.csv
# and out/bench-VARIANT.json. Under -icount shift=0 guest time advances by
# 1 ns per instruction, so every figure is an instruction count and two
# runs of the same build give the same numbers.
#   bench.sh [VARIANT]      VARIANT (or $V): a variant of $BASE; without
#                           one, the base's bench column of
#                           scripts/tables/bases.tsv (6.12: gcc; 7.2: mainline's
#                           own trampoline, clang-base, then the series,
#                           clang and gcc)
# Environment: BENCH_ARGS  module parameters, comma separated
#                          (e.g. batches=100,calls=20000,updates=500)
#              BENCH_SMP   vCPUs (default 1); with more, an update that
#                          interrupts the other CPUs also counts what they
#                          execute meanwhile; results are then named
#                          VARIANT-smpN
#              BOOT_TIMEOUT  seconds for the guest (default 300)
# The module, its initramfs and the boot all live in a private directory,
# $CACHE/build/bench-VARIANT, so a benchmark never disturbs the initramfs
# of a concurrent "make kmod" of the same variant. Only the kernel image is
# shared (a symlink).
set -euo pipefail
. "$(dirname "$0")/../lib/lib.sh"
rig_init
kbuild_env

# Without a variant: the base's own list, one after the other.
if [ -z "${1:-}" ] && [ -z "${V:-}" ]; then
	mapfile -t names < <(base_col "$BASE" bench | tr ',' '\n')
	if [ "${#names[@]}" -gt 1 ]; then
		for v in "${names[@]}"; do
			"$0" "$(variant_id "$v")" || exit 1
		done
		exit 0
	fi
	set -- "${names[0]}"
fi
variant=$(variant_id "${1:-$V}")
variant_check "$variant"
smp=${BENCH_SMP:-1}
case $smp in '' | *[!0-9]* | 0) die "BENCH_SMP=$smp: a number of vCPUs, 1 or more" ;; esac
tag=$variant
[ "$smp" -eq 1 ] || tag=$variant-smp$smp
tc=$(variant_toolchain "$variant")
b=$(build_dir "$variant")
img=$b/arch/arm64/boot/Image.gz
if [ ! -f "$img" ] || [ ! -f "$b/Module.symvers" ]; then
	die "no complete kernel build for $variant in $b (Image.gz and Module.symvers): run 'make kernel V=$variant' first"
fi
qemu_require

work=$CACHE/build/bench-$tag
stage=bench-$tag
rm -rf "$work"
mkdir -p "$work/rig-kmod" "$work/arch/arm64/boot"
log "$stage: building static_call_bench.ko against $b"
ko=$("$RIG_ROOT/scripts/build/bench-module.sh" "$b" "$tc" "$work/src") ||
	die "scripts/build/bench-module.sh failed (its messages are above)"
cp "$ko" "$work/rig-kmod/"
# What the timed loops and trampolines look like, for the record.
loops=$OUT/bench-$tag-code.txt
{
	echo "# static_call_bench.ko ($variant): timed loops, callees, trampolines"
	"$(tc_col "$tc" objdump)" -d --no-show-raw-insn "$work/rig-kmod/static_call_bench.ko" |
		awk '/^[0-9a-f]+ <(scb_loop_|scb_fn|scb_ml_tramp|__SCT__scb_)/,/^$/'
} >"$loops"

ln -s "$img" "$work/arch/arm64/boot/Image.gz"
"$RIG_ROOT/scripts/machine/initramfs.sh" "bench-$tag"

logf=$LOGS/$stage.console.log
log "$stage: booting ($smp vCPU, -icount shift=0), console: $logf"
t=$(date +%s)
SMP=$smp MACHINE=icount BOOT_TIMEOUT=${BOOT_TIMEOUT:-300} \
	nice -n 5 "$RIG_ROOT/scripts/machine/boot.sh" "bench-$tag" "$logf" \
	rig.run=run-bench.sh "rig.args=${BENCH_ARGS:-}" ||
	die "$stage: boot failed, see $logf"
log "$stage: guest done in $(($(date +%s) - t))s"

lines=$LOGS/$stage.lines
tr -d '\r' <"$logf" | sed -n 's/^BENCH: //p' >"$lines"
[ -s "$lines" ] || die "$stage: no BENCH lines in $logf"

kver=$(cat "$b/include/config/kernel.release" 2>/dev/null || echo unknown)
cc=$(sed -n 's/^CONFIG_CC_VERSION_TEXT="\(.*\)"$/\1/p' "$b/.config")
qemu=$(qemu_version)
rev=$(git -C "$RIG_ROOT" describe --always --dirty 2>/dev/null || echo unknown)
python3 "$RIG_ROOT/scripts/judges/bench_report.py" "$lines" \
	--variant "$tag" --out "$OUT" --meta "vcpus=$smp" \
	--meta "kernel=$kver" --meta "compiler=$cc" --meta "qemu=$qemu" \
	--meta "qemu_cmdline=$(cat "$logf.cmd")" \
	--meta "command=make bench V=$variant${BENCH_SMP:+ BENCH_SMP=$BENCH_SMP}${BENCH_ARGS:+ BENCH_ARGS=$BENCH_ARGS}" \
	--meta "rig_revision=$rev" --meta "code_listing=${loops#"$RIG_ROOT"/}"
