#!/usr/bin/env bash
# The rig's QEMU: qemu-system-aarch64 10 or later.
#   qemu.sh install   download QEMU from bookworm-backports into the cache
#                     (unless $QEMU names another one), install the shared
#                     libraries it needs from Debian 12, check it runs
#   qemu.sh version   print the version line of the QEMU the rig uses
#
# Debian 12's own QEMU (7.2) is refused (Documentation/rig.md, "One
# machine"). bookworm-backports has QEMU 10.0 built for Debian 12. The rig
# does not add backports to the system's apt sources: it reads the suite
# through a private sources list and state directory in the cache, downloads
# the three packages (qemu-system-arm, -common, -data) and unpacks them
# there with dpkg-deb. $CACHE/qemu/bin/qemu-system-aarch64 is a wrapper
# that points the unpacked binary at its own firmware/data directory (-L)
# and module directory (QEMU_MODULE_DIR), so that nothing of a system QEMU
# is ever loaded. The system's packages are left alone.
set -euo pipefail
. "$(dirname "$0")/../lib/lib.sh"
rig_init

qdir=$CACHE/qemu
suite=bookworm-backports
pkgs=(qemu-system-arm qemu-system-common qemu-system-data)
apt_opts=(-o "Dir::Etc::sourcelist=$qdir/apt/sources.list" -o "Dir::Etc::sourceparts=-"
	-o "Dir::State::Lists=$qdir/apt/lists" -o "Dir::Cache=$qdir/apt/cache"
	-o "APT::Get::List-Cleanup=0" -o "Debug::NoLocking=1")

install_backports() {
	mkdir -p "$qdir/apt/lists/partial" "$qdir/apt/cache/archives/partial" "$qdir/debs"
	echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://deb.debian.org/debian $suite main" \
		>"$qdir/apt/sources.list"
	log "qemu: reading $suite (private apt lists in $qdir/apt)"
	apt-get "${apt_opts[@]}" update >"$LOGS/qemu-apt-update.log" 2>&1 ||
		die "apt-get update of $suite failed, see $LOGS/qemu-apt-update.log"
	local ver
	ver=$(apt-cache "${apt_opts[@]}" madison qemu-system-arm | awk -v s="$suite" '$0 ~ s && v == "" { v = $3 } END { print v }')
	[ -n "$ver" ] || die "qemu-system-arm not found in $suite (see $LOGS/qemu-apt-update.log)"
	local root=$qdir/${ver//[:~]/_}
	if [ ! -x "$root/usr/bin/qemu-system-aarch64" ]; then
		log "qemu: downloading ${pkgs[*]} $ver"
		rm -rf "$qdir/debs"/* "$root.tmp"
		local p args=()
		for p in "${pkgs[@]}"; do args+=("$p=$ver"); done
		(cd "$qdir/debs" && apt-get "${apt_opts[@]}" download "${args[@]}") \
			>"$LOGS/qemu-download.log" 2>&1 ||
			die "apt-get download of QEMU $ver failed, see $LOGS/qemu-download.log"
		local d
		for d in "$qdir"/debs/*.deb; do dpkg-deb -x "$d" "$root.tmp"; done
		cp "$qdir"/debs/qemu-system-arm_*.deb "$root.tmp/qemu-system-arm.deb"
		mv "$root.tmp" "$root"
	fi
	# The shared libraries it links: Debian 12's own packages, which a
	# system without QEMU may not have.
	local deps missing=()
	deps=$(dpkg-deb -f "$root/qemu-system-arm.deb" Depends | tr ',' '\n' |
		sed -e 's/|.*//' -e 's/(.*)//' -e 's/:any//' -e 's/[[:space:]]//g' | grep -v '^qemu-' | grep .)
	for p in $deps; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
	done
	if [ "${#missing[@]}" -gt 0 ]; then
		[ "$(id -u)" -eq 0 ] || die "QEMU $ver needs: ${missing[*]}; as root run: apt-get install ${missing[*]}"
		log "qemu: installing ${#missing[@]} libraries it needs: ${missing[*]}"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" \
			>"$LOGS/qemu-libs.log" 2>&1 || die "apt-get install failed, see $LOGS/qemu-libs.log"
	fi
	if ldd "$root/usr/bin/qemu-system-aarch64" | grep -q 'not found'; then
		ldd "$root/usr/bin/qemu-system-aarch64" | grep 'not found' >&2
		die "QEMU $ver in $root misses the shared libraries above"
	fi
	mkdir -p "$qdir/bin"
	cat >"$qdir/bin/qemu-system-aarch64.tmp" <<WRAP
#!/bin/sh
# Written by scripts/sources/qemu.sh: QEMU $ver from $suite, unpacked in the cache.
QEMU_MODULE_DIR='$root/usr/lib/x86_64-linux-gnu/qemu' exec '$root/usr/bin/qemu-system-aarch64' -L '$root/usr/share/qemu' "\$@"
WRAP
	chmod +x "$qdir/bin/qemu-system-aarch64.tmp"
	mv "$qdir/bin/qemu-system-aarch64.tmp" "$qdir/bin/qemu-system-aarch64"
}

case ${1:-} in
install)
	if [ -n "${QEMU:-}" ] && [ "$QEMU" != "$QEMU_WRAPPER" ]; then
		log "qemu: using QEMU=$QEMU (not downloading one)"
	elif [ ! -x "$QEMU_WRAPPER" ] || ! qemu_version >/dev/null 2>&1; then
		install_backports
	fi
	qemu_require
	log "qemu: $(qemu_version)"
	;;
version) qemu_version ;;
*) die "usage: qemu.sh install|version" ;;
esac
