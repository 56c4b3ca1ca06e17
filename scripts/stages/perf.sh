#!/usr/bin/env bash
# The bug report as users ran it: Debian's perf in the guest
# (scripts/sources/perf-rootfs.sh), "perf record -e sched:sched_switch -a -- sleep 2",
# "perf report --stdio" and "perf stat" with hardware events
# (scripts/guest/perf-check.sh). The kernel boots with oops=panic, as a
# product kernel does, so an oops ends the run instead of leaving a wedged
# guest to the timeout.
#   unpatched (kind unpatched, Clang kCFI with CFI_PERMISSIVE off): the
#     reported failure must happen: a CFI failure in perf_misc_flags()
#     calling __static_call_return0, fatal, before perf report runs
#   patched: no CFI failure, perf record and report exit 0, the report
#     has sched:sched_switch samples, perf stat counts cycles
#   perf.sh VARIANT   (after build.sh VARIANT)
# Environment: PERF_STAGE (stage name, default perf-VARIANT), PERF_TIMEOUT
# (seconds, default 240).
set -euo pipefail
. "$(dirname "$0")/../lib/lib.sh"
rig_init

variant_setup perf.sh "${1:-}"
stage=${PERF_STAGE:-perf-$variant}
[ -f "$b/arch/arm64/boot/Image.gz" ] || die "no kernel for $variant: run 'make kernel V=$variant' first"
grep -q '^CONFIG_CFI_CLANG=y\|^CONFIG_CFI=y' "$b/.config" ||
	die "$variant is not a kCFI kernel: the perf check needs one"

archive=$("$RIG_ROOT/scripts/sources/perf-rootfs.sh") ||
	die "scripts/sources/perf-rootfs.sh failed (its messages are above)"
"$RIG_ROOT/scripts/machine/initramfs.sh" "$variant"
initrd=$b/rig-initramfs-perf.cpio.gz
cat "$b/rig-initramfs.cpio.gz" "$archive" >"$initrd"
logf=$LOGS/$stage.console.log
qemu_require
record_qemu "$stage"
t=$(date +%s)
rc=0
INITRD=$initrd BOOT_TIMEOUT=${PERF_TIMEOUT:-240} "$RIG_ROOT/scripts/machine/boot.sh" "$variant" "$logf" \
	rig.run=perf-check.sh oops=panic 2>"$LOGS/$stage.boot.log" || rc=$?
secs=$(($(date +%s) - t))
# The serial console ends lines with CR LF.
sed -i 's/\r$//' "$logf"
sed -n 's/^PERF: \(perf version .*\)/\1/p' "$logf" | head -n1 | sed "s/^/$stage: /" >&2 || true

# check NAME REGEX: PASS if the console log matches, else FAIL
bad=0
check() {
	if grep -qE "$2" "$logf"; then
		record "$stage" "$1" PASS 0
	else
		record "$stage" "$1" FAIL 0 "no /$2/ in $logf"
		bad=1
	fi
}
check_not() {
	if grep -qE "$2" "$logf"; then
		record "$stage" "$1" FAIL 0 "$(grep -m1 -E "$2" "$logf" | cut -c1-120)"
		bad=1
	else
		record "$stage" "$1" PASS 0
	fi
}
# Both of the sample path's users of perf_guest_state() call the RET0 key
# __perf_guest_state: perf_instruction_pointer() (PERF_SAMPLE_IP, which perf
# record always sets; on 6.12 it runs first) and perf_misc_flags() (the
# one the report names, when the header is prepared).
cfi='CFI failure at (perf_instruction_pointer|perf_misc_flags)\+0x[0-9a-f]+/0x[0-9a-f]+ \(target: __static_call_return0\+'
case $(variant_kind "$variant") in
unpatched)
	record "$stage" "guest ran perf and died (boot exit $rc)" DONE "$secs"
	where=$(grep -m1 -oE "$cfi" "$logf" | sed 's/CFI failure at \([a-z_]*\)+.*/\1/' || true)
	check "perf record: CFI failure calling __static_call_return0 from ${where:-perf_misc_flags/perf_instruction_pointer} (the reported crash)" "$cfi"
	# The sched_switch sample path, from the oops' call trace.
	if sed -n '/Call trace:/,/---\[ end trace/p' "$logf" | grep -q perf_prepare_sample &&
		sed -n '/Call trace:/,/---\[ end trace/p' "$logf" | grep -q perf_trace_sched_switch; then
		record "$stage" "the call trace is the sched_switch sample path (perf_trace_sched_switch -> perf_prepare_sample)" PASS 0
	else
		record "$stage" "the call trace is the sched_switch sample path" FAIL 0 "see $logf"
		bad=1
	fi
	check "the failure is fatal: oops and panic (CFI_PERMISSIVE off)" \
		'Internal error: Oops - CFI'
	check "the guest panicked instead of finishing (bounded by the ${PERF_TIMEOUT:-240}s timeout)" \
		'Kernel panic - not syncing'
	check_not "perf record did not complete" '^PERF: record rc='
	echo "$stage: the reported crash, from the console:" >&2
	grep -m1 -E "$cfi" "$logf" | sed 's/^/  | /' >&2 || true
	grep -m1 'Kernel panic' "$logf" | sed 's/^/  | /' >&2 || true
	;;
*)
	if [ "$rc" -ne 0 ]; then
		record "$stage" "guest boot + perf" FAIL "$secs" "boot exit $rc, see $logf"
		tail -n 5 "$LOGS/$stage.boot.log" >&2
		bad=1
	else
		record "$stage" "guest boot + perf" DONE "$secs"
	fi
	check_not "no CFI failure while perf ran" 'CFI failure'
	check_not "no oops, BUG or BTI fault while perf ran" 'Internal error|BUG:|Unable to handle|BTI'
	check "perf record -e sched:sched_switch -a exited 0" '^PERF: record rc=0$'
	check "perf report --stdio exited 0" '^PERF: report rc=0$'
	n=$(sed -n "s/^PERF| # Samples: \([0-9.]*[KMG]*\) *of event 'sched:sched_switch'.*/\1/p" "$logf" | head -n1)
	if [ -n "$n" ] && [ "$n" != 0 ]; then
		record "$stage" "perf report lists $n sched:sched_switch samples" PASS 0
	else
		record "$stage" "perf report lists sched:sched_switch samples" FAIL 0 "none in $logf"
		bad=1
	fi
	check "perf stat counted cycles (PMUv3)" '^PERF\| +[0-9][0-9,]* +cycles'
	echo "$stage: perf report, from the console:" >&2
	grep -m4 -E "^PERF\| # (Samples|Event count)|^PERF\| +[0-9.]+%" "$logf" | sed 's/^/  | /' >&2 || true
	;;
esac
exit "$bad"
