#!/usr/bin/env bash
# Debian's perf for the guest, as a cpio archive appended to the rig's
# initramfs (the kernel unpacks concatenated archives in order):
#   linux-perf:arm64 from bookworm-backports (6.12, the default base's
#   series; bookworm's own is 6.1) and the arm64 library packages it
#   depends on, downloaded with apt-get through a private sources list and
#   state in $CACHE/apt/perf-arm64, unpacked with dpkg-deb, never installed.
# Only /usr/bin/perf, libtraceevent's plugins and the shared objects they
# need (the ELF NEEDED closure, read with aarch64 readelf) go into the
# archive: about a tenth of what the packages hold (perl and python modules,
# gconv, docs). A soname no package provides is an error naming it.
#   perf-rootfs.sh   -> prints the archive's path
# An initramfs, not a disk image: the rig's kernels are allnoconfig plus
# fragments, with no block device, virtio or filesystem driver; a disk
# would change every variant's configuration for one check.
set -euo pipefail
. "$(dirname "$0")/../lib/lib.sh"
rig_init

PERF_SUITE=bookworm-backports
PERF_PKG=linux-perf
# binutils' reader for aarch64 ELF files (make deps installs it)
READELF=aarch64-linux-gnu-readelf
command -v "$READELF" >/dev/null || die "$READELF missing: run 'make deps' (binutils-aarch64-linux-gnu)"

apt_private "$CACHE/apt/perf-arm64" arm64 bookworm "$PERF_SUITE"
ver=$(apt-cache "${APT_OPTS[@]}" madison "$PERF_PKG" | awk -v s="$PERF_SUITE" '$0 ~ s"/" && v == "" { v = $3 } END { print v }')
[ -n "$ver" ] || die "$PERF_PKG:arm64 not found in $PERF_SUITE (see $LOGS/apt-perf-arm64.log)"
dir=$CACHE/perf/${PERF_PKG}_${ver//[:~]/_}
archive=$dir/perf-root.cpio.gz
if [ -f "$archive" ] && [ -f "$dir/.rig-key" ] &&
	[ "$(cat "$dir/.rig-key")" = "$(hash_files "$0")" ]; then
	echo "$archive"
	exit 0
fi

t=$(date +%s)
rm -rf "$dir"
mkdir -p "$dir/debs" "$dir/unpacked" "$dir/root"
# Runtime dependencies, recursively: the library packages (lib*, zlib1g), without
# their data, module and configuration packages, which perf record and
# report do not load. The closure check below proves nothing is missing.
mapfile -t pkgs < <(apt-cache "${APT_OPTS[@]}" depends --recurse --no-recommends \
	--no-suggests --no-conflicts --no-breaks --no-replaces --no-enhances \
	"$PERF_PKG=$ver" 2>/dev/null | grep -v '^ ' | grep -E '^(lib|zlib1g$)' |
	grep -vE -- '-(stdlib|minimal|common|modules|data)$' | sort -u)
[ "${#pkgs[@]}" -gt 0 ] || die "apt-cache depends $PERF_PKG=$ver listed no libraries"
log "perf: downloading $PERF_PKG $ver and ${#pkgs[@]} library packages (arm64)"
(cd "$dir/debs" && apt-get "${APT_OPTS[@]}" download "$PERF_PKG=$ver" "${pkgs[@]}") \
	>"$LOGS/perf-download.log" 2>&1 || die "apt-get download failed, see $LOGS/perf-download.log"
for d in "$dir"/debs/*.deb; do
	dpkg-deb -x "$d" "$dir/unpacked"
	dpkg-deb -f "$d" Package Version | paste -sd' ' >>"$dir/packages.txt"
done

# The NEEDED closure of perf and the traceevent plugins.
u=$dir/unpacked
libdirs=(lib/aarch64-linux-gnu usr/lib/aarch64-linux-gnu lib usr/lib)
find_so() { # find_so SONAME: its path in the unpacked tree, relative
	local d
	for d in "${libdirs[@]}"; do
		if [ -e "$u/$d/$1" ]; then
			echo "$d/$1"
			return 0
		fi
	done
	return 1
}
declare -A seen=()
todo=(usr/bin/perf)
while IFS= read -r p; do todo+=("${p#"$u"/}"); done < <(find "$u/usr/lib/aarch64-linux-gnu/traceevent" -name '*.so' 2>/dev/null)
[ -f "$u/usr/bin/perf" ] || die "$PERF_PKG $ver has no /usr/bin/perf"
interp=$("$READELF" -l "$u/usr/bin/perf" | sed -n 's/.*Requesting program interpreter: \/\(.*\)\]/\1/p')
if [ -z "$interp" ] || [ ! -e "$u/$interp" ]; then die "perf's interpreter /$interp is in no downloaded package (libc6)"; fi
todo+=("$interp")
while [ "${#todo[@]}" -gt 0 ]; do
	f=${todo[0]}
	todo=("${todo[@]:1}")
	[ -z "${seen[$f]:-}" ] || continue
	seen[$f]=1
	mkdir -p "$dir/root/$(dirname "$f")"
	cp -L "$u/$f" "$dir/root/$f"
	while IFS= read -r so; do
		p=$(find_so "$so") || die "perf needs $so (by $f), which no downloaded package has: add its package to the dependency list in $0"
		todo+=("$p")
	done < <("$READELF" -d "$u/$f" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
done
(cd "$dir/root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet --reproducible -R 0:0 | gzip -6n) \
	>"$archive.tmp"
mv "$archive.tmp" "$archive"
rm -rf "$dir/unpacked" "$dir/debs"
hash_files "$0" >"$dir/.rig-key"
log "perf: $PERF_PKG $ver, ${#seen[@]} files (perf, plugins, shared objects), $(du -h "$archive" | cut -f1) archive, in $(($(date +%s) - t))s; packages in $dir/packages.txt"
echo "$archive"
