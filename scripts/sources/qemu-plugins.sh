#!/usr/bin/env bash
# QEMU's cache model (contrib/plugins/cache.c) for the rig's QEMU, built
# here: Debian packages no QEMU plugins and no qemu-plugin.h, but its
# source package of the same version has both. The version is read from
# the rig's QEMU ("Debian 1:10.0.2+ds-2+deb13u1~bpo12+1"), the source
# package's files listed through a private deb-src list
# ($CACHE/apt/qemu-source), and only the upstream tarball is downloaded
# (checked against the SHA-256 the Sources index gives) and only the two
# files taken from it. The plugin is compiled against that tarball's
# qemu-plugin.h; QEMU refuses a plugin of another plugin API version when
# it loads it, so a mismatch cannot go unnoticed.
#   qemu-plugins.sh   -> prints the path of libcache.so
# Needs the host's C compiler and glib's headers (make deps: libglib2.0-dev).
# The Debian revision's own patches (debian.tar.xz) are not applied: on
# 2026-12-05 the mirror answered 404 for them; contrib/plugins/ is
# upstream 10.0.2's.
set -euo pipefail
. "$(dirname "$0")/../lib/lib.sh"
rig_init
qemu_require

qv=$("$QEMU" --version | head -n1)
ver=$(sed -n 's/.*(Debian \([^)]*\)).*/\1/p' <<<"$qv")
[ -n "$ver" ] || die "the cache plugin is built from Debian's qemu source package of the rig's QEMU; '$qv' is not a Debian build (unset QEMU to use the rig's)"
pkg-config --exists glib-2.0 || die "glib headers missing: run 'make deps' (libglib2.0-dev)"
dir=$CACHE/qemu/plugins/${ver//[:~]/_}
so=$dir/libcache.so
if [ -f "$so" ] && [ -f "$dir/.rig-key" ] && [ "$(cat "$dir/.rig-key")" = "$(hash_files "$0")" ]; then
	echo "$so"
	exit 0
fi

t=$(date +%s)
apt_private "$CACHE/apt/qemu-source" source bookworm-backports
# "'URL' NAME SIZE SHA256:HASH" for each file of the source package
uris=$(apt-get "${APT_OPTS[@]}" --print-uris source "qemu=$ver" 2>"$LOGS/qemu-source-uris.log") ||
	die "qemu $ver: no such source package in bookworm-backports (see $LOGS/qemu-source-uris.log)"
line=$(grep "\.orig\.tar\." <<<"$uris" | head -n1)
[ -n "$line" ] || die "qemu $ver: the source package lists no upstream tarball (see $LOGS/qemu-source-uris.log)"
url=$(awk '{ gsub("\x27", "", $1); print $1 }' <<<"$line")
name=$(awk '{ print $2 }' <<<"$line")
sum=$(awk '{ sub("SHA256:", "", $4); print $4 }' <<<"$line")
mkdir -p "$CACHE/dl/qemu-source"
tarball=$CACHE/dl/qemu-source/$name
if [ ! -f "$tarball" ] || [ "$(sha256sum "$tarball" | cut -d' ' -f1)" != "$sum" ]; then
	log "qemu-plugins: downloading $name ($(awk '{ print int($3 / 1048576) }' <<<"$line") MiB)"
	python3 -c 'import sys, urllib.request; urllib.request.urlretrieve(sys.argv[1], sys.argv[2])' \
		"$url" "$tarball.part" 2>"$LOGS/qemu-source-download.log" ||
		die "download of $url failed (see $LOGS/qemu-source-download.log)"
	[ "$(sha256sum "$tarball.part" | cut -d' ' -f1)" = "$sum" ] ||
		die "$name: SHA-256 differs from the Sources index"
	mv "$tarball.part" "$tarball"
fi

rm -rf "$dir"
mkdir -p "$dir/src"
# (tar stops on the closed pipe once head has its line)
top=$({ tar -tf "$tarball" || true; } | head -n1 | cut -d/ -f1)
tar -xf "$tarball" -C "$dir/src" "$top/contrib/plugins/cache.c" "$top/include/qemu/qemu-plugin.h"
# shellcheck disable=SC2046 # pkg-config prints words
cc -O2 -Wall -shared -fPIC -I "$dir/src/$top/include/qemu" $(pkg-config --cflags glib-2.0) \
	-o "$so" "$dir/src/$top/contrib/plugins/cache.c" $(pkg-config --libs glib-2.0) \
	>"$LOGS/qemu-plugins-build.log" 2>&1 ||
	die "building cache.c failed, see $LOGS/qemu-plugins-build.log"
hash_files "$0" >"$dir/.rig-key"
log "qemu-plugins: cache.c of qemu $ver built in $(($(date +%s) - t))s: $so"
echo "$so"
