#!/usr/bin/env bash
# The hardware kit (make hwkit): one archive that measures static calls
# with the PMU on a real arm64 board running a given kernel. It holds
# static_call_bench.ko built against that kernel, the workload program
# (workload/workload.c, static, no C library), and hwkit/'s run.sh,
# report.awk and README.md.
#   hwkit.sh KDIR            KDIR: the kernel's build directory (the O= of
#                            its build, or the tree itself), with .config,
#                            Module.symvers and the source (KDIR/source
#                            for O= builds); Clang or GCC is chosen from
#                            its .config
#   hwkit.sh --variant V     the build directory of rig variant V
# -> $OUT/hwkit-<kernel release>.tar.gz (the path is printed last).
set -euo pipefail
. "$(dirname "$0")/../lib/lib.sh"
rig_init

variant=
if [ "${1:-}" = --variant ]; then
	variant_setup hwkit.sh "${2:-}"
	kdir=$b
else
	kdir=${1:?usage: hwkit.sh KDIR | --variant VARIANT (make hwkit KDIR=/path/to/kernel/build)}
	kdir=$(cd "$kdir" && pwd) || die "KDIR=$1: no such directory"
	if grep -q '^CONFIG_CC_IS_CLANG=y' "$kdir/.config" 2>/dev/null; then tc=clang; else tc=gcc; fi
	# Another tree's compiler may warn where the rig's does not.
	export W1_FATAL=0
fi
for f in .config Module.symvers include/config/kernel.release; do
	[ -f "$kdir/$f" ] || die "$kdir/$f missing: KDIR must be a built kernel (make modules_prepare is not enough: Module.symvers comes from a full build)"
done
grep -q '^CONFIG_ARM64=y' "$kdir/.config" || die "$kdir is not an arm64 kernel"
grep -q '^CONFIG_MODULES=y' "$kdir/.config" || die "$kdir: CONFIG_MODULES is off: the kit loads a module"
grep -q '^CONFIG_PERF_EVENTS=y' "$kdir/.config" ||
	log "hwkit: warning: $kdir has no CONFIG_PERF_EVENTS: the kit will report no PMU events"
src=$kdir
[ -e "$kdir/source" ] && src=$(cd "$kdir/source" && pwd)
[ -d "$src/tools/include/nolibc" ] || die "$src has no tools/include/nolibc: the kernel source is needed for the workload program"
release=$(cat "$kdir/include/config/kernel.release")

# A rig variant's kit is named after the variant too (its kernels share
# their release).
name=hwkit-$release${variant:+-$variant}
work=$CACHE/build/$name
rm -rf "$work"
mkdir -p "$work/$name"
t=$(date +%s)

log "hwkit: building static_call_bench.ko against $kdir ($tc)"
ko=$("$RIG_ROOT/scripts/build/bench-module.sh" "$kdir" "$tc" "$work/module") ||
	die "scripts/build/bench-module.sh failed (its messages are above)"
cp "$ko" "$work/$name/"

log "hwkit: building the workload program against $src (nolibc)"
env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$RIG_ROOT/workload" KDIR="$src" OUT="$work/wl" \
	CROSS_COMPILE=aarch64-linux-gnu- >"$LOGS/hwkit-$release-workload.log" 2>&1 ||
	die "workload program build failed, see $LOGS/hwkit-$release-workload.log"
install -m 755 "$work/wl/workload" "$work/$name/sc-workload"

install -m 755 "$RIG_ROOT/hwkit/run.sh" "$work/$name/run.sh"
install -m 644 "$RIG_ROOT/hwkit/report.awk" "$RIG_ROOT/hwkit/README.md" "$work/$name/"
echo "$release" >"$work/$name/KERNEL_RELEASE"
# What run.sh needs to know before it runs anything that could crash the
# kernel (kCFI without static calls: the traced row is the reported crash).
grep -E '^(# )?CONFIG_(CFI_CLANG|CFI|CFI_PERMISSIVE|HAVE_STATIC_CALL|HAVE_STATIC_CALL_INLINE|ARM64_STATIC_CALL|SECURITY|LSM|PERF_EVENTS|ARM_PMUV3)[= ]' \
	"$kdir/.config" >"$work/$name/KERNEL_CONFIG" || true
{
	echo "kernel release: $release"
	echo "kernel build: $kdir"
	echo "compiler: $(sed -n 's/^CONFIG_CC_VERSION_TEXT="\(.*\)"$/\1/p' "$kdir/.config")"
	echo "rig revision: $(git -C "$RIG_ROOT" describe --always --dirty 2>/dev/null || echo unknown)"
	echo "built: $(date -u +%Y-%m-%dT%H:%MZ)"
	(cd "$work/$name" && sha256sum static_call_bench.ko sc-workload run.sh report.awk)
} >"$work/$name/MANIFEST"
mkdir -p "$OUT"
tar -C "$work" --owner=0 --group=0 -czf "$OUT/$name.tar.gz" "$name"
log "hwkit: $OUT/$name.tar.gz ($(du -h "$OUT/$name.tar.gz" | cut -f1)) in $(($(date +%s) - t))s"
echo "$OUT/$name.tar.gz"
