#!/usr/bin/env bash
# The rig's entry point, called by the Makefile:
#   rig.sh run    the main job: tree, GCC kernel, KUnit, insmod runner, summary
#   rig.sh test   everything: host tools, series checks, GCC and Clang
#                 (kCFI + BTI) kernels with KUnit and the insmod runner, the
#                 unpatched baselines (the tests must fail there), summary
#   rig.sh gki    the GKI-shaped Clang LTO kernels, everything on each
#   rig.sh perf   Debian's perf on the patched and the unpatched Clang kernels
#   rig.sh inline the inline call-site series on GCC and Clang, everything
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

# variant_suite VARIANT [SELFTEST_ARGS]: the per-variant stages of make test.
# SELFTEST_ARGS: static_call.sh options (comma-separated, see kmod.sh).
variant_suite() {
	local v=$1 kargs=${2:-} kind base
	kind=$(variant_kind "$v")
	base=$(variant_base "$v")
	run_stage "kernel-$v" "$S/build.sh" "$v"
	if [ -f "$(build_dir "$v")/arch/arm64/boot/Image.gz" ] &&
		! grep -q "^kernel-$v	.*FAIL" "$RESULTS"; then
		case $kind in
		gcc | clang | gcc-inline | clang-inline) run_stage "check-$v" "$S/check-vmlinux.sh" "$v" ;;
		clang-lto-*) run_stage "check-$v" env CHECK_W1=0 "$S/check-vmlinux.sh" "$v" ;;
		esac
		run_stage "kunit-$v" "$S/kunit.sh" "$v"
		run_stage "kmod-$v" env KMOD_ARGS="$kargs" "$S/kmod.sh" "$v"
		# sc-audit knows the 6.12 series' trampoline only.
		if [ "$base" = "$DEFAULT_BASE" ]; then run_stage "audit-$v" "$S/audit.sh" "$v"; fi
		# sc-sites: the inline call-site tables (and their absence).
		case $kind in
		gcc | clang | *-inline) [ "$base" != "$DEFAULT_BASE" ] || run_stage "sites-$v" "$S/sites.sh" "$v" ;;
		esac
		if [ "$v" = clang-base ]; then run_stage "cfi-clang-base" "$S/cfi-baseline.sh"; fi
		# Debian's perf, the bug report's command, on patched kCFI kernels.
		if [ "$base" = "$DEFAULT_BASE" ] && variant_fragments "$v" | grep -q '/perf\.config$'; then
			run_stage "perf-$v" "$S/perf.sh" "$v"
		fi
		# Mainline's own trampolines: in use, and no CFI failure anywhere.
		if [ "$base" != "$DEFAULT_BASE" ] && [ "$kind" = clang-base ]; then
			run_stage "mainline-kcfi-$base" "$S/check-console.sh" "mainline-kcfi-$base" \
				"$LOGS/kunit-$v.console.log" \
				"mainline's literal-only trampolines in use=trampoline \\(literal only \\(mainline\\)\\)" \
				"no CFI failure in the KUnit run!=CFI failure"
			run_stage "mainline-kcfi-$base" "$S/check-console.sh" "mainline-kcfi-$base" \
				"$LOGS/kmod-$v.console.log" "no CFI failure in the module run!=CFI failure"
		fi
	fi
}

# The unpatched Clang kCFI kernel as a product kernel is (CFI_PERMISSIVE
# off): Debian's perf must crash it, for the reported reason.
perf_strict() {
	run_stage kernel-clang-strict-base "$S/build.sh" clang-strict-base
	if ! grep -q "^kernel-clang-strict-base	.*FAIL" "$RESULTS"; then
		run_stage perf-clang-strict-base "$S/perf.sh" clang-strict-base
	fi
}

# make gki: the GKI-shaped Clang kernels (kCFI + BTI + PAC + shadow call
# stack + ThinLTO / full LTO), everything on each: vmlinux layout after LTO,
# KUnit (with PAC and BTI, and again with both overridden off so the shadow
# call stack is patched in), the module selftest with a load beyond B range,
# sc-audit, perf; and perf on the plain patched and unpatched Clang kernels.
gki() {
	local v
	run_stage deps "$S/deps.sh" all
	run_stage tree "$S/tree.sh" all
	run_stage tools "$S/tools.sh"
	# The bug report's command on the non-LTO kernels too, so that this one
	# command shows the crash and its absence beside the LTO kernels.
	run_stage kernel-clang "$S/build.sh" clang
	run_stage perf-clang "$S/perf.sh" clang
	perf_strict
	for v in clang-lto-thin clang-lto-full; do
		variant_suite "$v" "$FAR"
		if [ -f "$(build_dir "$v")/arch/arm64/boot/Image.gz" ] &&
			! grep -q "^kernel-$v	.*FAIL" "$RESULTS"; then
			run_stage "lto-$v" "$S/check-lto.sh" "$v"
			# As on a CPU without PAC and BTI: the kernel patches its
			# PAC instructions into shadow call stack pushes and pops.
			run_stage "kunit-$v-scs" env KUNIT_STAGE="kunit-$v-scs" \
				KUNIT_ARGS="arm64_static_call_kunit.stress_scale=1 arm64.nopauth arm64.nobti" "$S/kunit.sh" "$v"
			run_stage "scs-$v" "$S/check-console.sh" "scs-$v" "$LOGS/kunit-$v-scs.console.log" \
				"shadow call stack patched in at boot (arm64.nopauth arm64.nobti)=Enabling dynamic shadow call stack"
			run_stage "scs-$v" "$S/check-console.sh" "scs-$v" "$LOGS/kunit-$v.console.log" \
				"PAC in use on the default run (no shadow call stack patching)=CPU features: detected: Address authentication" \
				"no shadow call stack patching with PAC!=Enabling dynamic shadow call stack"
		fi
	done
}

# The mainline base's variants (BASE=7.2): the series with GCC and Clang,
# mainline's own kCFI trampolines, and no static calls at all.
mainline_suite() {
	local b=${1:-7.2} v
	run_stage "tree-$b" env BASE="$b" "$S/tree.sh" all
	run_stage "check-$b" env BASE="$b" "$S/check-series.sh" static
	for v in gcc clang clang-base; do variant_suite "$b-$v"; done
}

# The rest of the mainline evidence: unpatched GCC (no static calls), each
# patch built on its own, and the series applied to and built on 7.3-rc.
mainline_more() {
	local b=${1:-7.2}
	variant_suite "$b-gcc-base"
	run_stage "bisect-$b" env BASE="$b" "$S/check-series.sh" bisect
	run_stage tree-7.3 env BASE=7.3 "$S/tree.sh" patched
	run_stage check-7.3 env BASE=7.3 "$S/check-series.sh" static
	run_stage kernel-7.3-gcc "$S/build.sh" 7.3-gcc
	run_stage check-7.3-gcc "$S/check-vmlinux.sh" 7.3-gcc
}

# The KUnit concurrency case alone on variant $1 (default gcc),
# single-threaded TCG (vCPUs interleaved on one host thread): no stale call
# is tolerated there.
race_single() {
	local v=${1:-gcc}
	run_stage "race-$v-single" env KUNIT_STAGE="race-$v-single" \
		KUNIT_FILTER=arm64_static_call.concurrency QEMU_ACCEL=tcg,thread=single \
		"$S/kunit.sh" "$v"
}

# make matrix: the evidence that does not fit in make test's time.
matrix() {
	local i
	run_stage deps "$S/deps.sh" kernel
	run_stage tree "$S/tree.sh" patched
	run_stage kernel-gcc "$S/build.sh" gcc
	# Five consecutive runs of the concurrency case, multi-threaded TCG.
	for i in 1 2 3 4 5; do
		run_stage "race-gcc-$i" env KUNIT_STAGE="race-gcc-$i" \
			KUNIT_FILTER=arm64_static_call.concurrency "$S/kunit.sh" gcc
	done
	# The same case with single-threaded TCG: no stale call of any kind
	# is tolerated there.
	race_single
	# EL2 with VHE: the whole suite.
	run_stage kunit-gcc-vhe env KUNIT_STAGE=kunit-gcc-vhe \
		QEMU_EXTRA="-machine virtualization=on" "$S/kunit.sh" gcc
	# The kernel ran at EL2 itself (VHE) instead of dropping to EL1.
	run_stage vhe-gcc "$S/check-console.sh" vhe-gcc "$LOGS/kunit-gcc-vhe.console.log" \
		"all CPUs started at EL2=CPU: All CPU\(s\) started at EL2" \
		"VHE detected (kernel at EL2)=CPU features: detected: Virtualization Host Extensions"
	# lockdep, atomic sleep, KASAN, DEBUG_VIRTUAL, function tracer, hotplug
	run_stage kernel-gcc-debug "$S/build.sh" gcc-debug
	run_stage kunit-gcc-debug "$S/kunit.sh" gcc-debug
	run_stage kmod-gcc-debug-ftrace env KMOD_STAGE=kmod-gcc-debug-ftrace KMOD_ARGS=-F \
		"$S/kmod.sh" gcc-debug
	run_stage kmod-gcc-debug-hotplug env KMOD_STAGE=kmod-gcc-debug-hotplug KMOD_ARGS=-H \
		"$S/kmod.sh" gcc-debug
	# KCSAN, Clang kCFI + BTI
	run_stage kernel-clang-kcsan "$S/build.sh" clang-kcsan
	# KCSAN makes every access of the callers' loop a checked one, about
	# 2.5x slower here: 10^8 calls do not fit in the case's 240 s.
	run_stage kunit-clang-kcsan env KUNIT_ARGS="arm64_static_call_kunit.stress_scale=1 arm64_static_call_kunit.race_calls=20000000" \
		"$S/kunit.sh" clang-kcsan
	# A silent log means something only if KCSAN was on and works.
	run_stage kcsan-clang "$S/check-console.sh" kcsan-clang "$LOGS/kunit-clang-kcsan.console.log" \
		"KCSAN boot selftest passed=kcsan: selftest: ([0-9]+)/\1 tests passed" \
		"KCSAN enabled at boot=kcsan: (strict mode configured|enabled early)"
	run_stage kmod-clang-kcsan "$S/kmod.sh" clang-kcsan
}

# The selftest options: "-P" adds the module load beyond B range of the
# kernel (patched Clang and the LTO kernels); NO_STRESS is every module case
# but the race, for make test's GCC kernel (the race, 20 s of 1000 updates
# with IPIs to 4 vCPUs on 2 cores, runs on its Clang kernel; on GCC in make
# run, matrix and mutate), to keep the warm run under 3 minutes.
FAR=-P
NO_STRESS=-S,initial_state+module_target+kernel_target+kernel_key+null+ret0+transitions+kprobe_refused+sync+far_target

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
	# The KUnit concurrency case with 5*10^7 calls (its default is 10^8,
	# which make run, race, matrix and inline keep), so that a warm run
	# stays under 3 minutes.
	export KUNIT_ARGS="arm64_static_call_kunit.stress_scale=1 arm64_static_call_kunit.race_calls=50000000"
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
	variant_suite gcc "$NO_STRESS"
	variant_suite gcc-base
	run_stage bisect "$S/check-series.sh" bisect
	variant_suite clang "$FAR"
	variant_suite clang-base
	perf_strict
	"$S/summary.sh" || failed=1
	;;
gki)
	fresh_results
	gki
	"$S/summary.sh" || failed=1
	;;
perf)
	fresh_results
	run_stage deps "$S/deps.sh" all
	run_stage tree "$S/tree.sh" all
	run_stage kernel-clang "$S/build.sh" clang
	run_stage perf-clang "$S/perf.sh" clang
	perf_strict
	"$S/summary.sh" || failed=1
	;;
race)
	fresh_results
	run_stage tree "$S/tree.sh" patched
	run_stage kernel-gcc "$S/build.sh" gcc
	for i in $(seq "${RUNS:-5}"); do
		run_stage "race-gcc-$i" env KUNIT_STAGE="race-gcc-$i" \
			KUNIT_FILTER=arm64_static_call.concurrency "$S/kunit.sh" gcc
	done
	"$S/summary.sh" || failed=1
	;;
kernel | kunit | kmod | check-vmlinux | audit)
	v=$(variant_on_base "${2:-gcc}")
	variant_check "$v"
	fresh_results
	run_stage tree "$S/tree.sh" "$(variant_field "$v" 2)"
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
mainline)
	fresh_results
	run_stage deps "$S/deps.sh" all
	mainline_suite 7.2
	mainline_more 7.2
	"$S/summary.sh" || failed=1
	;;
inline)
	# The inline call-site series (patches/6.12-inline/): its own checks
	# (checkpatch, MAINTAINERS, the first patch built alone), then GCC,
	# Clang kCFI + BTI and GKI-shaped ThinLTO: KUnit, the module selftest
	# with a load beyond B range (PLT routes), sc-audit, and sc-sites on
	# vmlinux.o, vmlinux and the modules.
	fresh_results
	run_stage deps "$S/deps.sh" all
	run_stage tree "$S/tree.sh" all
	run_stage tree "$S/tree.sh" inline
	run_stage tools "$S/tools.sh"
	run_stage check-inline "$S/check-series.sh" inline
	for v in gcc-inline clang-inline clang-lto-thin-inline; do
		variant_suite "$v" "$FAR"
	done
	# The race with inline sites, strict: single-threaded TCG.
	race_single gcc-inline
	race_single clang-inline
	"$S/summary.sh" || failed=1
	;;
matrix)
	fresh_results
	matrix
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
