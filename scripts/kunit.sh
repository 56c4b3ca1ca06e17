#!/usr/bin/env bash
# Run the arm64_static_call KUnit suite on a built variant through the tree's
# own tools/testing/kunit/kunit.py (QEMU -cpu max, $SMP vCPUs), and judge the
# KTAP it parses against scripts/expectations.tsv (suite kunit): on a
# patched kernel every case passes but those about inline call sites where
# there are none; on the unpatched one the cases that need a trampoline
# fail or skip.
#   kunit.sh VARIANT
# Environment: KUNIT_STAGE (stage name, default kunit-VARIANT), KUNIT_FILTER
# (a kunit.py filter glob, e.g. arm64_static_call.concurrency), KUNIT_ARGS
# (kernel arguments for the suite, default stress_scale=1), QEMU_EXTRA
# (more QEMU arguments, e.g. -machine virtualization=on).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

variant=${1:?usage: kunit.sh VARIANT}
variant_check "$variant"
tree=$(tree_dir "$(variant_tree "$variant")")
b=$(build_dir "$variant")
[ -f "$b/arch/arm64/boot/Image.gz" ] || die "no kernel for $variant: run 'make kernel' first"
stage=${KUNIT_STAGE:-kunit-$variant}
qemu_require
logf=$LOGS/$stage.log
json=$LOGS/$stage.json
rm -f "$json"
t=$(date +%s)
rc=0
stale_ok=$(emulator_stale_ok)
filter=()
[ -n "${KUNIT_FILTER:-}" ] && filter=("$KUNIT_FILTER")
record_qemu "$stage"
log "$stage: kunit.py runs $(command -v qemu-system-aarch64) (the command line is in $logf)"
# kunit.py enforces --timeout itself; the outer timeout is the last resort.
timeout -k 10 $((BOOT_TIMEOUT + 60)) python3 "$tree/tools/testing/kunit/kunit.py" exec \
	--arch=arm64 --build_dir="$b" --kunitconfig="$RIG_ROOT/kunit/.kunitconfig" \
	--qemu_args="-smp $SMP -accel $QEMU_ACCEL ${QEMU_EXTRA:-}" --timeout="$BOOT_TIMEOUT" \
	--kernel_args="${KUNIT_ARGS:-arm64_static_call_kunit.stress_scale=1}" \
	--kernel_args="arm64_static_call_kunit.emulator_stale_ok=$stale_ok" \
	--kernel_args="$TRACE_EVENTS" \
	--json="$json" "${filter[@]}" >"$logf" 2>&1 || rc=$?
cp "$b/test.log" "$LOGS/$stage.console.log" 2>/dev/null || true
secs=$(($(date +%s) - t))
log "$stage: kunit.py exit $rc in ${secs}s (console: $LOGS/$stage.console.log, KTAP/JSON: $json)"

if [ ! -s "$json" ]; then
	echo "$stage: kunit.py produced no results; last console lines:" >&2
	tail -n 25 "$LOGS/$stage.console.log" 2>/dev/null | sed 's/^/  | /' >&2 || true
	record "$stage" harness FAIL "$secs" "no KTAP results"
	exit 1
fi
record "$stage" "harness: kunit.py ran the suite to completion" DONE "$secs"

report=(python3 "$RIG_ROOT/scripts/ktap_report.py" "$LOGS/$stage.console.log"
	--kunit-dir "$tree/tools/testing/kunit" --stage "$stage" --results "$RESULTS"
	--cases "$LOGS/$stage.cases.tsv")
mapfile -t eargs < <(ktap_expect_args kunit "$variant" "$LOGS/$stage.console.log" "$LOGS/$stage.expect")
report+=("${eargs[@]}")
[ -z "${KUNIT_FILTER:-}" ] || report+=(--filtered)
"${report[@]}" || exit 1
# The concurrency case's counts, in the results: tolerated stale calls are
# reported, never silent.
race=$(sed -n 's/.*# concurrency: \([0-9]* callers on .*\)/\1/p' "$LOGS/$stage.console.log" | head -n1)
[ -z "$race" ] || record "$stage" "concurrency counts: $race" INFO 0
# Faults are expected on the others (cfi-baseline.sh looks at them).
if [ "$(variant_kind "$variant")" = patched ]; then
	"$RIG_ROOT/scripts/logscan.sh" "$stage" "$LOGS/$stage.console.log"
fi
