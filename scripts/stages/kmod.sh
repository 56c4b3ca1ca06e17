#!/usr/bin/env bash
# The module test, as a kselftest: build the out-of-tree modules (kmod/,
# W=1: static_call_test.ko for users who insmod it by hand, and the bench
# module), then "make kselftest-install TARGETS=static_call" in the tree
# (the selftest grafted from kmod/selftest/ by scripts/sources/graft.sh; it builds
# test_modules/ against this kernel, W=1), pack both into the guest
# initramfs, boot, run "run_kselftest.sh -c static_call" and judge the
# selftest's KTAP (taken out of run_kselftest.sh's output by
# ksft_unwrap.py, parsed with the tree's kunit.py), against
# scripts/tables/expectations.tsv (suite kmod).
#   kmod.sh VARIANT
# Environment: KMOD_STAGE (stage name, default kmod-VARIANT), KMOD_ARGS
# (static_call.sh options, comma-separated: e.g. -F, -H or -P, see it).
set -euo pipefail
. "$(dirname "$0")/../lib/lib.sh"
rig_init
kbuild_env

variant_setup kmod.sh "${1:-}"
stage=${KMOD_STAGE:-kmod-$variant}
[ -f "$b/Module.symvers" ] || die "no kernel build for $variant: run 'make kernel' first"

# Build the modules and install the selftest, W=1, no warnings allowed.
kmod_build() {
	# Build from a copy so no build output lands in the clone.
	src=$b/rig-kmod-src
	rm -rf "$src" "$b/rig-kmod"
	mkdir -p "$src/kmod" "$src/common" "$b/rig-kmod"
	cp "$RIG_ROOT"/kmod/*.c "$RIG_ROOT"/kmod/Makefile "$src/kmod/"
	cp "$RIG_ROOT"/common/*.h "$src/common/"
	t=$(date +%s)
	if ! make -C "$b" "${margs[@]}" M="$src/kmod" W=1 modules >"$LOGS/$stage-build.log" 2>&1; then
		grep -E "error|warning" "$LOGS/$stage-build.log" | head -20 >&2 || true
		record "$stage" "module build (W=1)" FAIL $(($(date +%s) - t)) "see $LOGS/$stage-build.log"
		die "module build failed ($variant), see $LOGS/$stage-build.log"
	fi
	if grep -q "warning:" "$LOGS/$stage-build.log"; then
		grep "warning:" "$LOGS/$stage-build.log" | head -10 >&2
		record "$stage" "module build (W=1)" FAIL $(($(date +%s) - t)) "warnings"
		exit 1
	fi
	record "$stage" "module build (W=1)" PASS $(($(date +%s) - t))
	cp "$src"/kmod/*.ko "$b/rig-kmod/"

	# The selftest, installed the way kselftest users install it. Its module
	# builds in the tree (kselftest has no output directory for modules),
	# which several variants share: clean first, so it is built for this one.
	rm -rf "$ksft"
	make -C "$st/test_modules" KDIR="$b" "${margs[@]}" clean >/dev/null 2>&1 || true
	t=$(date +%s)
	if ! make -C "$tree" O="$b" "${margs[@]}" W=1 KDIR="$b" TARGETS=static_call kselftest-install \
		>"$LOGS/$stage-kselftest.log" 2>&1; then
		grep -E "error|warning" "$LOGS/$stage-kselftest.log" | head -20 >&2 || true
		record "$stage" "make kselftest-install TARGETS=static_call (W=1)" FAIL $(($(date +%s) - t)) "see $LOGS/$stage-kselftest.log"
		exit 1
	fi
	if grep -q "warning:" "$LOGS/$stage-kselftest.log" ||
		[ ! -x "$ksft/run_kselftest.sh" ] || [ ! -f "$ksft/static_call/test_modules/static_call_test.ko" ] ||
		! grep -qx 'static_call:static_call.sh' "$ksft/kselftest-list.txt"; then
		grep "warning:" "$LOGS/$stage-kselftest.log" | head -10 >&2 || true
		record "$stage" "make kselftest-install TARGETS=static_call (W=1)" FAIL $(($(date +%s) - t)) \
			"warnings, or no run_kselftest.sh / static_call_test.ko / list entry in $ksft"
		exit 1
	fi
	record "$stage" "make kselftest-install TARGETS=static_call (W=1)" PASS $(($(date +%s) - t))
}

# Skip both builds when nothing that feeds them changed since they last
# passed for this build directory: the kernel build's key, the make
# arguments, the module sources and the grafted selftest.
ksft=$b/kselftest/kselftest_install
st=$tree/tools/testing/selftests/static_call
[ -f "$st/Makefile" ] || die "$st missing: the tree predates the selftest graft, run 'make tree'"
kkey=$( {
	cat "$b/.rig-build-key" 2>/dev/null || echo none
	printf '%s\n' "${margs[@]}"
	cat "$RIG_ROOT"/kmod/*.c "$RIG_ROOT"/kmod/Makefile "$RIG_ROOT"/common/*.h
	cat "$st"/{Makefile,config,settings,static_call.sh} "$st"/test_modules/Makefile \
		"$st"/test_modules/*.c "$st"/test_modules/*.h
} | sha256sum | cut -c1-16)
kstamp=$b/.rig-kmod-key
if [ -f "$kstamp" ] && [ "$(cat "$kstamp")" = "$kkey" ] &&
	[ -f "$b/rig-kmod/static_call_test.ko" ] && [ -x "$ksft/run_kselftest.sh" ] &&
	[ -f "$ksft/static_call/test_modules/static_call_test.ko" ] &&
	grep -qx 'static_call:static_call.sh' "$ksft/kselftest-list.txt"; then
	log "$stage: modules and kselftest install up to date ($kkey), not rebuilt"
	record "$stage" "module build (W=1)" PASS 0 "cached: built without warnings from these inputs ($kkey)"
	record "$stage" "make kselftest-install TARGETS=static_call (W=1)" PASS 0 \
		"cached: installed without warnings from these inputs ($kkey)"
else
	rm -f "$kstamp"
	kmod_build
	echo "$kkey" >"$kstamp"
fi

"$RIG_ROOT/scripts/machine/initramfs.sh" "$variant"
logf=$LOGS/$stage.console.log
t=$(date +%s)
qemu_require
record_qemu "$stage"
runner_args=${KMOD_ARGS:-}
[ "$(emulator_stale_ok)" -eq 1 ] && runner_args=${runner_args:+$runner_args,}-e
# The first load runs the module's stress case: give the guest time.
if ! BOOT_TIMEOUT=${KMOD_TIMEOUT:-600} "$RIG_ROOT/scripts/machine/boot.sh" "$variant" "$logf" rig.run=kselftest.sh "rig.args=$runner_args"; then
	record "$stage" "guest boot + runner" FAIL $(($(date +%s) - t)) "see $logf"
	exit 1
fi
record "$stage" "guest boot + runner" DONE $(($(date +%s) - t))
n=$(sed -n 's/^RIG: trace events recorded: \([0-9]*\).*/\1/p' "$logf" | tail -n1)
if [ "${n:-0}" -gt 0 ]; then
	record "$stage" "trace events ran in the guest ($n recorded)" PASS 0
else
	record "$stage" "trace events ran in the guest" FAIL 0 "none recorded, see $logf"
fi

# The selftest's KTAP, out of run_kselftest.sh's "# "-prefixed output.
ktap=$LOGS/$stage.ktap
if ! verdict=$(python3 "$RIG_ROOT/scripts/judges/ksft_unwrap.py" "$logf" "$ktap"); then
	record "$stage" "run_kselftest.sh ran the static_call selftest" FAIL 0 "see $logf"
	exit 1
fi
# run_kselftest.sh's own verdict (scripts/tables/expectations.tsv): not ok where
# a test must fail (the cases are judged below).
want=$(expected kmod "$variant" run_kselftest.sh)
want=${want/_/ }
[ -n "$want" ] || die "scripts/tables/expectations.tsv: no run_kselftest.sh row for $variant"
if [ "${verdict%% [0-9]*}" = "$want" ]; then
	record "$stage" "run_kselftest.sh: $verdict" PASS 0
else
	record "$stage" "run_kselftest.sh: $verdict" FAIL 0 "expected \"$want\""
fi
sed -n '/^# static_call_test: /p' "$ktap" | sed 's/^/  /'
report=(python3 "$RIG_ROOT/scripts/judges/ktap_report.py" "$ktap"
	--kunit-dir "$tree/tools/testing/kunit" --stage "$stage" --results "$RESULTS"
	--cases "$LOGS/$stage.cases.tsv")
mapfile -t eargs < <(ktap_expect_args kmod "$variant" "$ktap" "$LOGS/$stage.expect")
# -N: the runner leaves the stress case out of its first load, so the case
# an unpatched kernel must fail is not run at all (its failure on those
# kernels is judged where the runner runs it: make test's baselines).
case ,$runner_args, in
*,-N,*) sed -i '/^stress\( \|$\)/d' "$LOGS/$stage.expect" ;;
esac
report+=("${eargs[@]}")
# A failing report still gets the counts and the log scan below.
rrc=0
"${report[@]}" || rrc=$?
race=$(tr -d '\r' <"$logf" | sed -n 's/.*# stress: \(judged [0-9]* .*, memory [0-9]*\)$/\1/p' | head -n1)
[ -z "$race" ] || record "$stage" "stress counts: $race" INFO 0
if [ "$(variant_kind "$variant")" = patched ]; then
	"$RIG_ROOT/scripts/judges/logscan.sh" "$stage" "$logf"
fi
# The stage fails with the report (a failed case, or no KTAP to judge) and
# with any other row it recorded failed (the trace events, run_kselftest.sh's
# verdict, the log scan).
[ "$rrc" -eq 0 ] || exit 1
! awk -F'\t' -v s="$stage" '$1 == s && $3 == "FAIL" { f = 1 } END { exit !f }' "$RESULTS"
