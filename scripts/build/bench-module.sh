#!/usr/bin/env bash
# static_call_bench.ko (kmod/static_call_bench.c) built against one kernel,
# from a copy (as scripts/stages/kmod.sh builds the test module), with W=1:
# a warning fails the build. Used by make bench, make workload and the
# hardware kit.
#   bench-module.sh KDIR TOOLCHAIN DIR   -> prints DIR/static_call_bench.ko
#     KDIR: a kernel build directory (Module.symvers); TOOLCHAIN: a row of
#     scripts/tables/toolchains.tsv; DIR: where the copy is built (emptied)
# Environment: W1_FATAL=0 reports W=1 warnings without failing (the
# hardware kit on a kernel built elsewhere, with another compiler).
set -euo pipefail
. "$(dirname "$0")/../lib/lib.sh"
rig_init
kbuild_env

kdir=${1:?usage: bench-module.sh KDIR TOOLCHAIN DIR}
tc=${2:?usage: bench-module.sh KDIR TOOLCHAIN DIR}
dir=${3:?usage: bench-module.sh KDIR TOOLCHAIN DIR}
[ -f "$kdir/Module.symvers" ] || die "$kdir/Module.symvers missing: build the kernel first"
# A single small module: one job, low priority.
JOBS=1
mapfile -t margs < <(kmake_args "$tc")
rm -rf "$dir"
mkdir -p "$dir/kmod" "$dir/common"
cp "$RIG_ROOT/kmod/static_call_bench.c" "$dir/kmod/"
cp "$RIG_ROOT"/common/*.h "$dir/common/"
# A Kbuild file naming only the benchmark.
# shellcheck disable=SC2016 # $(src) is for make, not the shell
printf '%s\n' 'obj-m += static_call_bench.o' 'ccflags-y += -I$(src)/../common' >"$dir/kmod/Kbuild"
blog=$dir/build.log
# A "make bench V=clang" passes V=clang down in MAKEFLAGS, where kbuild
# would take it for its verbosity switch.
if ! env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL nice -n 19 \
	make -C "$kdir" "${margs[@]}" M="$dir/kmod" W=1 modules >"$blog" 2>&1; then
	grep -E "error|warning" "$blog" | head -20 >&2 || true
	die "static_call_bench.ko build failed against $kdir, see $blog"
fi
if grep -q "warning:" "$blog"; then
	grep "warning:" "$blog" | head -10 >&2
	[ "${W1_FATAL:-1}" = 0 ] || die "static_call_bench.ko has W=1 warnings against $kdir, see $blog"
fi
echo "$dir/kmod/static_call_bench.ko"
