#!/usr/bin/env bash
# The rig's entry point, called by the Makefile:
#   rig.sh run    the main job: tree, GCC kernel, KUnit, insmod runner, summary
#   rig.sh test   everything: host tools, series checks, GCC and Clang
#                 (kCFI + BTI) kernels with KUnit and the insmod runner, the
#                 unpatched baselines (the tests must fail there), summary
#   rig.sh STAGE [VARIANT]  one stage (kernel, kunit, kmod, check, ...)
# Stages keep going after a failure so one run reports everything; the exit
# status is non-zero if any check failed.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

S=$RIG_ROOT/scripts
failed=0
run_stage() { # run_stage LABEL CMD...: run, record, keep going on failure
	local label=$1 t rc=0
	shift
	t=$(date +%s)
	step "$label" "$@" || rc=$?
	# Most stages record their own checks; give the others one line.
	if [ "$rc" -ne 0 ]; then
		failed=1
		grep -q "^$label	[^	]*	FAIL" "$RESULTS" 2>/dev/null ||
			record "$label" "$label" FAIL $(($(date +%s) - t)) "exit $rc"
	elif ! grep -q "^$label	" "$RESULTS" 2>/dev/null; then
		record "$label" "$label" DONE $(($(date +%s) - t))
	fi
	return 0
}

fresh_results() { mkdir -p "$LOGS" && : >"$RESULTS"; }

variant_suite() { # the per-variant stages of make test
	local v=$1
	run_stage "kernel-$v" "$S/build.sh" "$v"
	if [ -f "$(build_dir "$v")/arch/arm64/boot/Image.gz" ] &&
		! grep -q "^kernel-$v	.*FAIL" "$RESULTS"; then
		case $v in
		gcc | clang) run_stage "check-$v" "$S/check-vmlinux.sh" "$v" ;;
		esac
		run_stage "kunit-$v" "$S/kunit.sh" "$v"
		run_stage "kmod-$v" "$S/kmod.sh" "$v"
		if [ -x "$S/audit.sh" ]; then run_stage "audit-$v" "$S/audit.sh" "$v"; fi
		if [ "$v" = clang-base ]; then run_stage "cfi-clang-base" "$S/cfi-baseline.sh"; fi
	fi
}

cmd=${1:-help}
case $cmd in
run)
	fresh_results
	run_stage deps "$S/deps.sh" kernel
	run_stage tree "$S/tree.sh" all
	variant_suite gcc
	"$S/summary.sh" || failed=1
	;;
test)
	fresh_results
	run_stage deps "$S/deps.sh" all
	# The host tools build beside the tree preparation, which is mostly
	# single-threaded (tar, git); the tools log to their own files.
	run_stage tools "$S/tools.sh" 2>"$LOGS/tools-stage.log" &
	tools_pid=$!
	run_stage tree "$S/tree.sh" all
	wait "$tools_pid" || failed=1
	sed -n '/tools: /p' "$LOGS/tools-stage.log" >&2
	run_stage check "$S/check-series.sh" static
	# Per toolchain: patched, unpatched, then the per-patch builds, which
	# are then mostly ccache hits from the unpatched build (see lib.sh).
	variant_suite gcc
	variant_suite gcc-base
	run_stage bisect "$S/check-series.sh" bisect
	variant_suite clang
	variant_suite clang-base
	"$S/summary.sh" || failed=1
	;;
kernel | kunit | kmod | check-vmlinux | audit)
	v=${2:-gcc}
	fresh_results
	run_stage tree "$S/tree.sh" "$(variant_tree "$v")"
	if [ "$cmd" != kernel ]; then run_stage "kernel-$v" "$S/build.sh" "$v"; fi
	case $cmd in
	kernel) run_stage "kernel-$v" "$S/build.sh" "$v" ;;
	kunit) run_stage "kunit-$v" "$S/kunit.sh" "$v" ;;
	kmod) run_stage "kmod-$v" "$S/kmod.sh" "$v" ;;
	check-vmlinux) run_stage "check-$v" "$S/check-vmlinux.sh" "$v" ;;
	audit) run_stage "audit-$v" "$S/audit.sh" "$v" ;;
	esac
	"$S/summary.sh" || failed=1
	;;
baseline)
	fresh_results
	run_stage tree "$S/tree.sh" all
	variant_suite "${2:-gcc-base}"
	"$S/summary.sh" || failed=1
	;;
check)
	fresh_results
	run_stage tree "$S/tree.sh" all
	run_stage check "$S/check-series.sh" all
	for v in gcc clang; do
		run_stage "kernel-$v" "$S/build.sh" "$v"
		run_stage "check-$v" "$S/check-vmlinux.sh" "$v"
	done
	"$S/summary.sh" || failed=1
	;;
bisect)
	fresh_results
	run_stage tree "$S/tree.sh" all
	run_stage bisect "$S/check-series.sh" bisect
	"$S/summary.sh" || failed=1
	;;
tools)
	fresh_results
	run_stage deps "$S/deps.sh" tools
	run_stage tools "$S/tools.sh"
	"$S/summary.sh" || failed=1
	;;
*) die "unknown command '$cmd' (see 'make help')" ;;
esac
exit "$failed"
