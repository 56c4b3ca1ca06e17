#!/usr/bin/env bash
# Boot a variant's kernel under QEMU, on the machine mode $MACHINE of
# scripts/tables/machines.tsv (the one machine definition of the rig), with a hard
# timeout; the console goes to LOG and the command line to LOG.cmd (and the
# terminal), so it can be rerun by hand.
#   boot.sh VARIANT LOG [kernel args...]
#           the rig initramfs (scripts/guest/init runs rig.run=PROGRAM);
#           fails on a timeout, a panic or a guest that never reports
#           completion
#   boot.sh --kunit VARIANT LOG [kernel args...]
#           no initramfs: the built-in KUnit suite runs at boot and the
#           kernel reboots (kunit_shutdown=reboot, QEMU -no-reboot exits);
#           fails on a timeout only, the caller judges the KTAP
# Environment: SMP (vCPUs, default the mode's), QEMU_EXTRA (more QEMU
# options), INITRD (another initramfs), BOOT_TIMEOUT (seconds).
set -euo pipefail
. "$(dirname "$0")/../lib/lib.sh"
rig_init

kunit=0
if [ "${1:-}" = --kunit ]; then
	kunit=1
	shift
fi
variant=${1:?usage: boot.sh [--kunit] VARIANT LOG [kernel args]}
logf=${2:?usage: boot.sh [--kunit] VARIANT LOG [kernel args]}
shift 2
b=$(build_dir "$variant")
img=$b/arch/arm64/boot/Image.gz
[ -f "$img" ] || die "$img missing: run 'make kernel' first"

read -r -a extra <<<"$(machine_col extra | sed 's/^-$//') ${QEMU_EXTRA:-}"
mcmd=$(machine_col cmdline | sed 's/^-$//')
qemu=("$QEMU" -machine "$(machine_col machine_opts)" -cpu "$(machine_col cpu)"
	-smp "${SMP:-$(machine_col smp)}" -m "$(machine_col mem)" -accel "$(machine_col accel)"
	-nographic -no-reboot -nodefaults -serial stdio "${extra[@]}" -kernel "$img")
if [ "$kunit" -eq 1 ]; then
	# log_buf_len: the suite's site dump (about 2,000 lines on an LSM
	# kernel) outruns the serial console, and the default 128 KiB buffer
	# wrapped under it ("printk messages dropped": lines lost to sc-sites).
	cmdline="console=ttyAMA0 log_buf_len=4M panic=-1 kunit.enable=1 kunit_shutdown=reboot $TRACE_EVENTS $mcmd $*"
else
	# INITRD: another initramfs (scripts/stages/perf.sh appends perf to the rig's).
	initrd=${INITRD:-$b/rig-initramfs.cpio.gz}
	[ -f "$initrd" ] || die "initramfs $initrd missing: run scripts/machine/initramfs.sh $variant"
	cmdline="console=ttyAMA0 rdinit=/init panic=-1 loglevel=5 kunit.enable=0 $TRACE_EVENTS $mcmd $*"
	qemu+=(-initrd "$initrd")
fi
qemu+=(-append "$cmdline")
qemu_require
printf '%q ' "${qemu[@]}" >"$logf.cmd"
log "boot $variant (machine $MACHINE): $(cat "$logf.cmd")"
rc=0
timeout --foreground -k 10 "$BOOT_TIMEOUT" "${qemu[@]}" </dev/null >"$logf" 2>&1 || rc=$?

fail() {
	echo "boot $variant: $1 (console log: $logf); last lines:" >&2
	tail -n 25 "$logf" | sed 's/^/  | /' >&2
	exit 1
}
[ "$rc" -eq 124 ] && fail "guest timed out after ${BOOT_TIMEOUT}s"
[ "$kunit" -eq 0 ] || exit 0
grep -q "Kernel panic" "$logf" && fail "kernel panic"
grep -q "^RIG: guest done" "$logf" || fail "guest never reported completion (qemu exit $rc)"
exit 0
