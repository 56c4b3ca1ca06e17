#!/usr/bin/env bash
# Install what the rig needs on Debian 12, quietly and only when missing.
#   deps.sh [kernel|tools|all|workload]   (workload: all, and glib's headers
#                                          for QEMU's cache plugin)
set -euo pipefail
. "$(dirname "$0")/../lib/lib.sh"
rig_init

what=${1:-all}
pkgs_tools=(cmake g++ make pkg-config libelf-dev libgtest-dev
	binutils-aarch64-linux-gnu gcc-aarch64-linux-gnu clang-format qemu-user gawk)
pkgs_kernel=(linux-source-6.12 gcc-aarch64-linux-gnu binutils-aarch64-linux-gnu
	clang-19 lld-19 llvm-19 make flex bison bc libssl-dev
	libelf-dev ccache cpio gzip xz-utils rsync git python3 perl shellcheck kmod)
pkgs_workload=(libglib2.0-dev)
case $what in
tools) pkgs=("${pkgs_tools[@]}") ;;
kernel) pkgs=("${pkgs_kernel[@]}") ;;
all) pkgs=("${pkgs_kernel[@]}" "${pkgs_tools[@]}") ;;
workload) pkgs=("${pkgs_kernel[@]}" "${pkgs_tools[@]}" "${pkgs_workload[@]}") ;;
*) die "usage: deps.sh [kernel|tools|all|workload]" ;;
esac

missing=()
mapfile -t pkgs < <(printf '%s\n' "${pkgs[@]}" | sort -u)
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing+=("$p")
done
need_arm64=0
if [ "$what" != tools ]; then
	dpkg --print-foreign-architectures | grep -qx arm64 || need_arm64=1
fi

if [ "${#missing[@]}" -gt 0 ] || [ "$need_arm64" -eq 1 ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "Missing packages: ${missing[*]:-(none)}" >&2
		echo "Run as root first:" >&2
		[ "$need_arm64" -eq 1 ] && echo "  dpkg --add-architecture arm64" >&2
		echo "  apt-get update && apt-get install -y ${missing[*]}" >&2
		exit 1
	fi
	[ "$need_arm64" -eq 1 ] && dpkg --add-architecture arm64
	log "installing ${#missing[@]} packages: ${missing[*]:-}"
	apt-get update -qq >"$LOGS/apt-update.log" 2>&1 ||
		die "apt-get update failed, see $LOGS/apt-update.log"
	if [ "${#missing[@]}" -gt 0 ]; then
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
			"${missing[@]}" >"$LOGS/apt-install.log" 2>&1 ||
			die "apt-get install failed, see $LOGS/apt-install.log"
	fi
fi

# A static aarch64 busybox for the guest initramfs: downloaded as a .deb and
# unpacked into the cache, not installed on the host.
if [ "$what" != tools ]; then
	bb=$CACHE/dl/busybox/bin/busybox
	if [ ! -x "$bb" ]; then
		mkdir -p "$CACHE/dl"
		if ! (cd "$CACHE/dl" && apt-get download -qq busybox-static:arm64) >"$LOGS/busybox.log" 2>&1; then
			[ "$(id -u)" -eq 0 ] || die "cannot download busybox-static:arm64; as root run: apt-get update"
			apt-get update -qq >>"$LOGS/busybox.log" 2>&1
			(cd "$CACHE/dl" && apt-get download -qq busybox-static:arm64) >>"$LOGS/busybox.log" 2>&1 ||
				die "apt-get download busybox-static:arm64 failed, see $LOGS/busybox.log"
		fi
		rm -rf "$CACHE/dl/busybox"
		deb=$(find "$CACHE/dl" -maxdepth 1 -name 'busybox-static_*_arm64.deb' | sort | tail -n1)
		dpkg-deb -x "$deb" "$CACHE/dl/busybox"
		[ -x "$bb" ] || die "busybox not found in busybox-static:arm64"
	fi
fi
# QEMU 10 or later, for multi-threaded TCG (Documentation/rig.md says why not 7.2).
if [ "$what" != tools ]; then
	"$RIG_ROOT/scripts/sources/qemu.sh" install
fi
log "dependencies ($what): ok"
