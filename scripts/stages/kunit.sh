#!/usr/bin/env bash
# Run the arm64_static_call KUnit suite on a built variant (boot.sh --kunit,
# on the machine mode $MACHINE), parse the console with the tree's own
# tools/testing/kunit/kunit.py, and judge the KTAP against
# scripts/tables/expectations.tsv (suite kunit): on a
# patched kernel every case passes but those about inline call sites where
# there are none; on the unpatched one the cases that need a trampoline
# fail or skip.
#   kunit.sh VARIANT
# Environment: KUNIT_STAGE (stage name, default kunit-VARIANT), KUNIT_FILTER
# (a KUnit filter glob, e.g. arm64_static_call.concurrency), KUNIT_ARGS
# (kernel arguments for the suite, default stress_scale=1), MACHINE (a mode
# of scripts/tables/machines.tsv, e.g. strict or vhe).
set -euo pipefail
. "$(dirname "$0")/../lib/lib.sh"
rig_init

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
read -r -a kargs <<<"${KUNIT_ARGS:-arm64_static_call_kunit.stress_scale=1}"
kargs+=("arm64_static_call_kunit.emulator_stale_ok=$stale_ok")
[ -z "${KUNIT_FILTER:-}" ] || kargs+=("kunit.filter_glob=$KUNIT_FILTER")
# KUNIT_ATTR_FILTER: KUnit's attribute filter, e.g. speed>slow leaves out
# the cases marked slow (the concurrency case); they are not run, so not
# counted (an INFO line says so).
[ -z "${KUNIT_ATTR_FILTER:-}" ] || kargs+=("kunit.filter=$KUNIT_ATTR_FILTER")
record_qemu "$stage"
# The rig boots the guest itself, on its one machine definition
# (machines.tsv); kunit.py only parses the console. (kunit.py exec would
# start QEMU its own way: 7.2's puts "-accel kvm -accel hvf -accel tcg"
# before any argument of ours, so a single-threaded mode would silently
# run multi-threaded.)
"$RIG_ROOT/scripts/machine/boot.sh" --kunit "$variant" "$LOGS/$stage.console.log" "${kargs[@]}" >"$logf" 2>&1 || rc=$?
prc=0
python3 "$tree/tools/testing/kunit/kunit.py" parse --json="$json" "$LOGS/$stage.console.log" \
	>>"$logf" 2>&1 || prc=$?
secs=$(($(date +%s) - t))
log "$stage: guest exit $rc, kunit.py parse exit $prc, in ${secs}s (console: $LOGS/$stage.console.log, JSON: $json; the QEMU command: $LOGS/$stage.console.log.cmd)"

if [ ! -s "$json" ]; then
	echo "$stage: kunit.py produced no results; last console lines:" >&2
	tail -n 25 "$LOGS/$stage.console.log" 2>/dev/null | sed 's/^/  | /' >&2 || true
	record "$stage" harness FAIL "$secs" "no KTAP results (guest exit $rc)"
	exit 1
fi
# A guest that timed out still has its cases judged (what ran), and fails.
if [ "$rc" -ne 0 ]; then
	record "$stage" "harness: the guest ended in time" FAIL "$secs" "timed out after ${BOOT_TIMEOUT}s"
else
	record "$stage" "harness: the guest ran the suite, kunit.py parsed it" DONE "$secs"
fi

report=(python3 "$RIG_ROOT/scripts/judges/ktap_report.py" "$LOGS/$stage.console.log"
	--kunit-dir "$tree/tools/testing/kunit" --stage "$stage" --results "$RESULTS"
	--cases "$LOGS/$stage.cases.tsv")
mapfile -t eargs < <(ktap_expect_args kunit "$variant" "$LOGS/$stage.console.log" "$LOGS/$stage.expect")
report+=("${eargs[@]}")
[ -z "${KUNIT_FILTER:-}${KUNIT_ATTR_FILTER:-}" ] || report+=(--filtered)
[ -z "${KUNIT_ATTR_FILTER:-}" ] ||
	record "$stage" "cases left out by kunit.filter=$KUNIT_ATTR_FILTER (not run, not counted)" INFO 0
# The log is scanned whatever the cases said: a failing run keeps its
# kernel report (make mutate reads both).
bad=0
"${report[@]}" || bad=1
[ "$rc" -eq 0 ] || bad=1
# The concurrency case's counts, in the results: tolerated stale calls are
# reported, never silent.
race=$(sed -n 's/.*# concurrency: \([0-9]* callers on .*\)/\1/p' "$LOGS/$stage.console.log" | head -n1)
[ -z "$race" ] || record "$stage" "concurrency counts: $race" INFO 0
# Faults are expected on the others (cfi-baseline.sh looks at them).
if [ "$(variant_kind "$variant")" = patched ]; then
	"$RIG_ROOT/scripts/judges/logscan.sh" "$stage" "$LOGS/$stage.console.log" || bad=1
fi
exit "$bad"
