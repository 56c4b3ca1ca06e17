#!/usr/bin/env bash
# Build the guest initramfs for a variant: static busybox, the rig's /init,
# the guest programs (kmod/*.sh, scripts/guest/*.sh) and the test/bench
# modules built against that kernel, and the kselftest install if any.
#   initramfs.sh VARIANT   -> $CACHE/build/VARIANT/rig-initramfs.cpio.gz
set -euo pipefail
. "$(dirname "$0")/../lib/lib.sh"
rig_init

variant=${1:?usage: initramfs.sh VARIANT}
b=$(build_dir "$variant")
bb=$CACHE/dl/busybox/bin/busybox
[ -x "$bb" ] || die "busybox missing: run 'make deps'"
root=$b/rig-initramfs
rm -rf "$root"
mkdir -p "$root"/{bin,proc,sys,dev,tmp,lib/modules}
cp "$bb" "$root/bin/busybox"
ln -s busybox "$root/bin/sh"
install -m 755 "$RIG_ROOT/scripts/guest/init" "$root/init"
for f in "$RIG_ROOT"/kmod/*.sh "$RIG_ROOT"/scripts/guest/*.sh; do
	[ -e "$f" ] && install -m 755 "$f" "$root/$(basename "$f")"
done
# The static_call selftest as "make kselftest-install" left it (kmod.sh).
if [ -d "$b/kselftest/kselftest_install" ]; then
	cp -a "$b/kselftest/kselftest_install" "$root/kselftest"
fi
for ko in "$b"/rig-kmod/*.ko; do
	[ -e "$ko" ] && cp "$ko" "$root/lib/modules/"
done
(cd "$root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet --reproducible | gzip -9n) \
	>"$b/rig-initramfs.cpio.gz"
log "initramfs $variant: $(du -h "$b/rig-initramfs.cpio.gz" | cut -f1), modules: $(find "$root/lib/modules" -name '*.ko' | wc -l)"
