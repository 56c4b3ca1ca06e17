#!/usr/bin/env bash
# The workload program (workload/workload.c) for a base's guests: built
# once per base and source with the cross compiler against the kernel
# tree's nolibc, so that every kernel of a base runs the same binary, and
# packed as an uncompressed cpio archive holding /sc-workload, for
# appending to a guest's initramfs.
#   workload-program.sh VARIANT   -> prints the archive's path
set -euo pipefail
. "$(dirname "$0")/../lib/lib.sh"
rig_init

variant_setup workload-program.sh "${1:-}"
base=$(variant_base "$variant")
cross=aarch64-linux-gnu-
command -v "${cross}gcc" >/dev/null || die "${cross}gcc missing: run 'make deps' (gcc-aarch64-linux-gnu)"
key=$(hash_files "$RIG_ROOT/workload/workload.c" "$RIG_ROOT/workload/Makefile" "$0")
wdir=$CACHE/build/workload-$base-$key
if [ ! -f "$wdir/workload.cpio" ]; then
	rm -rf "$CACHE/build/workload-$base-"*
	mkdir -p "$wdir/root"
	log "workload program: building against $tree (nolibc)"
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
		make -C "$RIG_ROOT/workload" KDIR="$tree" OUT="$wdir/out" CROSS_COMPILE="$cross" \
		>"$LOGS/workload-build-$base.log" 2>&1 ||
		die "workload program build failed, see $LOGS/workload-build-$base.log"
	install -m 755 "$wdir/out/workload" "$wdir/root/sc-workload"
	(cd "$wdir/root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet --reproducible) \
		>"$wdir/workload.cpio.tmp"
	mv "$wdir/workload.cpio.tmp" "$wdir/workload.cpio"
fi
echo "$wdir/workload.cpio"
