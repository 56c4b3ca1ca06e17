#!/usr/bin/env bash
# Boot a variant's kernel with the rig initramfs under QEMU (-cpu max, so BTI
# and pointer authentication are enforced) with a hard timeout. The console
# goes to LOG. Fails, printing the log path and the last console lines, on a
# timeout, a panic or a guest that never reports completion.
#   boot.sh VARIANT LOG [extra kernel args...]
set -euo pipefail
. "$(dirname "$0")/lib.sh"

variant=${1:?usage: boot.sh VARIANT LOG [kernel args]}
logf=${2:?usage: boot.sh VARIANT LOG [kernel args]}
shift 2
b=$(build_dir "$variant")
img=$b/arch/arm64/boot/Image.gz
[ -f "$img" ] || die "$img missing: run 'make kernel' first"
# INITRD: another initramfs (scripts/perf.sh appends perf to the rig's).
initrd=${INITRD:-$b/rig-initramfs.cpio.gz}
[ -f "$initrd" ] || die "initramfs $initrd missing: run scripts/initramfs.sh $variant"

cmdline="console=ttyAMA0 rdinit=/init panic=-1 loglevel=5 kunit.enable=0 $TRACE_EVENTS $*"
read -r -a extra <<<"${QEMU_EXTRA:-}"
cpu="max,pauth-impdef=on"
qemu_require
qemu=("$QEMU" -machine virt -cpu "$cpu" -smp "${SMP}" -m 1024 -accel "$QEMU_ACCEL"
	-nographic -no-reboot -nodefaults -serial stdio "${extra[@]}"
	-kernel "$img" -initrd "$initrd" -append "$cmdline")
printf '%q ' "${qemu[@]}" >"$logf.cmd"
log "boot $variant: $(cat "$logf.cmd")"
rc=0
timeout --foreground -k 10 "$BOOT_TIMEOUT" "${qemu[@]}" </dev/null >"$logf" 2>&1 || rc=$?

fail() {
	echo "boot $variant: $1 (console log: $logf); last lines:" >&2
	tail -n 25 "$logf" | sed 's/^/  | /' >&2
	exit 1
}
[ "$rc" -eq 124 ] && fail "guest timed out after ${BOOT_TIMEOUT}s"
grep -q "Kernel panic" "$logf" && fail "kernel panic"
grep -q "^RIG: guest done" "$logf" || fail "guest never reported completion (qemu exit $rc)"
exit 0
