#!/usr/bin/env bash
# The rig's entry point, called by the Makefile:
#   rig.sh PLAN             a plan of scripts/tables/plans.tsv (run, test, gki,
#                           perf, race, mainline, inline, matrix, workload,
#                           hwkit, check, bisect, tools), then the summary
#   rig.sh kernel|kunit|kmod|check-vmlinux|audit [VARIANT]
#                           one stage on one variant (default gcc)
#   rig.sh suite [VARIANT]  one variant's suite (scripts/tables/stages.tsv; default gcc)
#   rig.sh --dry-run PLAN   print the stages PLAN would run, run nothing
# Stages keep going after a failure so one run reports everything; the exit
# status is non-zero if any check failed. No stage reads meaning out of a
# variant's or a base's name: what a variant is comes from its row of
# scripts/tables/variants.tsv, what runs on it from scripts/tables/stages.tsv.
# The st_* functions are called by name from the plans.
# shellcheck disable=SC2317
set -euo pipefail
. "$(dirname "$0")/lib/lib.sh"
rig_init

S=$RIG_ROOT/scripts
PLANS_TSV=$S/tables/plans.tsv
STAGES_TSV=$S/tables/stages.tsv
failed=0
dry=0
declare -A stage_rc=()

run_stage() { # run_stage LABEL CMD...: run, record, keep going on failure
	local label=$1 t rc=0
	shift
	if [ "$dry" -eq 1 ]; then
		printf '%s\t%s\n' "$label" "$*"
		stage_rc[$label]=0
		return 0
	fi
	t=$(date +%s)
	step "$label" "$@" || rc=$?
	# A stage run twice (two console checks) fails if either did.
	[ "${stage_rc[$label]:-0}" -ne 0 ] || stage_rc[$label]=$rc
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
# Did stage LABEL run and pass in this run?
stage_ok() { [ "${stage_rc[$1]:-1}" -eq 0 ]; }
# The kernel of variant V built in this run (dry runs assume so).
kernel_ok() {
	stage_ok "kernel-$1" && { [ "$dry" -eq 1 ] || [ -f "$(build_dir "$1")/arch/arm64/boot/Image.gz" ]; }
}

fresh_results() { [ "$dry" -eq 1 ] || { mkdir -p "$LOGS" && : >"$RESULTS"; }; }

# opt OPTIONS KEY: the value of KEY in "k=v;k2=v2" (empty if absent).
opt() {
	local o
	local IFS=';'
	for o in $1; do
		[ "${o%%=*}" != "$2" ] || { printf '%s\n' "${o#*=}"; return 0; }
	done
}

# base_holds BASE CONDITIONS: column=value conditions on scripts/tables/bases.tsv.
base_holds() {
	local c
	for c in ${2//,/ }; do
		[ "$c" = - ] && continue
		[ "$(base_col "$1" "${c%%=*}")" = "${c#*=}" ] || return 1
	done
}

# Does stage STAGE of scripts/tables/stages.tsv apply to variant V?
stage_applies() {
	local v=$1 stage=$2 w bw
	while IFS=$'\t' read -r w bw; do
		variant_matches "$v" "$w" && base_holds "$(variant_base "$v")" "$bw" && return 0
	done < <(paste <(table_get "$STAGES_TSV" when stage="$stage") \
		<(table_get "$STAGES_TSV" base_when stage="$stage"))
	return 1
}

# ---- stage kinds: st_KIND BASE VARIANT OPTIONS (VARIANT an id, or -) ----

st_env() { # KEY=VALUE: exported for the rest of the plan
	local kv=$3
	export "${kv%%=*}=${kv#*=}"
	[ "$dry" -eq 0 ] || printf 'env\t%s\n' "$kv"
}
st_deps() { run_stage deps "$S/sources/deps.sh" "$(opt "$3" what)"; }
st_tools() { run_stage tools "$S/stages/tools.sh"; }
# No script decides by a variant's, base's or toolchain's name; the log
# scan sees every message the series can print.
st_lint() {
	run_stage lint "$S/stages/lint-names.sh"
	run_stage lint-reports "$S/stages/lint-reports.sh"
}
st_tree() {
	local trees
	read -r -a trees <<<"$(opt "$3" trees | tr ',' ' ')"
	run_stage "tree$(base_suffix "$1")" env BASE="$1" "$S/sources/tree.sh" "${trees[@]}"
}
# The host tools build beside the tree preparation, which is mostly
# single-threaded (tar, git); the tools log to their own files.
st_tools+tree() {
	if [ "$dry" -eq 1 ]; then
		st_tools "$@"
		st_tree "$@"
		return 0
	fi
	local pid
	run_stage tools "$S/stages/tools.sh" 2>"$LOGS/tools-stage.log" &
	pid=$!
	st_tree "$@"
	wait "$pid" || failed=1
	sed -n '/tools: /p' "$LOGS/tools-stage.log" >&2
}
st_check-series() {
	local what label
	what=$(opt "$3" what)
	case $what in
	static | all) label=check ;;
	per-patch) label=bisect ;;
	inline) label=check-inline ;;
	*) die "plans.tsv: check-series what=$what (static, per-patch, inline, all)" ;;
	esac
	run_stage "$label$(base_suffix "$1")" env BASE="$1" "$S/stages/check-series.sh" "$what"
}
st_kernel() { run_stage "kernel-$2" "$S/build/build.sh" "$2"; }
st_check() { run_stage "check-$2" "$S/stages/check-vmlinux.sh" "$2"; }
st_perf() { if kernel_ok "$2"; then run_stage "perf-$2" "$S/stages/perf.sh" "$2"; fi; }
st_lto() { if kernel_ok "$2"; then run_stage "lto-$2" "$S/stages/check-lto.sh" "$2"; fi; }
st_kunit() {
	local label=kunit-$2 args filter
	args=$(opt "$3" args)
	filter=$(opt "$3" kunit_filter)
	[ -z "$(opt "$3" label)" ] || label=$label-$(opt "$3" label)
	run_stage "$label" env KUNIT_STAGE="$label" ${args:+KUNIT_ARGS="$args"} \
		${filter:+KUNIT_ATTR_FILTER="$filter"} "$S/stages/kunit.sh" "$2"
}
# The module selftest; machine=MODE boots it on another machine mode of
# scripts/tables/machines.tsv (strict: no stale call tolerated). The
# row's selftest= options come first, then the caller's KMOD_ARGS (make
# kmod V=clang KMOD_ARGS=-P,-N).
st_kmod() {
	local label=kmod-$2 machine sel
	machine=$(opt "$3" machine)
	sel=$(opt "$3" selftest)
	sel=$sel${KMOD_ARGS:+${sel:+,}$KMOD_ARGS}
	[ -z "$(opt "$3" label)" ] || label=$label-$(opt "$3" label)
	run_stage "$label" env KMOD_STAGE="$label" KMOD_ARGS="$sel" \
		${machine:+MACHINE="$machine"} "$S/stages/kmod.sh" "$2"
}
# The KUnit concurrency case alone: runs=N multi-threaded runs (default
# $RUNS or 5), or machine=strict: single-threaded TCG (vCPUs interleaved
# on one host thread), where no stale call is tolerated.
st_race() {
	local v=$2 i runs
	if [ "$(opt "$3" machine)" = strict ]; then
		run_stage "race-$v-single" env KUNIT_STAGE="race-$v-single" \
			KUNIT_FILTER=arm64_static_call.concurrency MACHINE=strict \
			"$S/stages/kunit.sh" "$v"
		return 0
	fi
	runs=$(opt "$3" runs)
	for i in $(seq "${runs:-${RUNS:-5}}"); do
		run_stage "race-$v-$i" env KUNIT_STAGE="race-$v-$i" \
			KUNIT_FILTER=arm64_static_call.concurrency "$S/stages/kunit.sh" "$v"
	done
}
# EL2 with VHE: the whole suite, and the kernel ran at EL2 itself.
st_vhe() {
	local v=$2
	run_stage "kunit-$v-vhe" env KUNIT_STAGE="kunit-$v-vhe" MACHINE=vhe "$S/stages/kunit.sh" "$v"
	run_stage "vhe-$v" "$S/judges/check-console.sh" "vhe-$v" "$LOGS/kunit-$v-vhe.console.log" \
		"all CPUs started at EL2=CPU: All CPU\(s\) started at EL2" \
		"VHE detected (kernel at EL2)=CPU features: detected: Virtualization Host Extensions"
}
# A silent KCSAN log means something only if KCSAN was on and works.
st_kcsan() {
	local v=$2
	run_stage "kcsan-$v" "$S/judges/check-console.sh" "kcsan-$v" "$LOGS/kunit-$v.console.log" \
		"KCSAN boot selftest passed=kcsan: selftest: ([0-9]+)/\1 tests passed" \
		"KCSAN enabled at boot=kcsan: (strict mode configured|enabled early)"
}
# As on a CPU without PAC and BTI: the kernel patches its PAC instructions
# into shadow call stack pushes and pops; with them, it does not.
st_scs() {
	local v=$2
	kernel_ok "$v" || return 0
	run_stage "kunit-$v-scs" env KUNIT_STAGE="kunit-$v-scs" \
		KUNIT_ARGS="arm64_static_call_kunit.stress_scale=1 arm64.nopauth arm64.nobti" "$S/stages/kunit.sh" "$v"
	run_stage "scs-$v" "$S/judges/check-console.sh" "scs-$v" "$LOGS/kunit-$v-scs.console.log" \
		"shadow call stack patched in at boot (arm64.nopauth arm64.nobti)=Enabling dynamic shadow call stack"
	run_stage "scs-$v" "$S/judges/check-console.sh" "scs-$v" "$LOGS/kunit-$v.console.log" \
		"PAC in use on the default run (no shadow call stack patching)=CPU features: detected: Address authentication" \
		"no shadow call stack patching with PAC!=Enabling dynamic shadow call stack"
}
# Mainline's own trampolines: in use, and no CFI failure anywhere.
st_mainline-kcfi() {
	local v=$2 label
	label=mainline-kcfi$(base_suffix "$1")
	run_stage "$label" "$S/judges/check-console.sh" "$label" "$LOGS/kunit-$v.console.log" \
		"mainline's literal-only trampolines in use=trampoline \\(literal only \\(mainline\\)\\)" \
		"no CFI failure in the KUnit run!=CFI failure"
	run_stage "$label" "$S/judges/check-console.sh" "$label" "$LOGS/kmod-$v.console.log" \
		"no CFI failure in the module run!=CFI failure"
}
st_audit() { run_stage "audit-$2" "$S/stages/audit.sh" "$2"; }
st_workload() { if kernel_ok "$2"; then run_stage "workload-$2" "$S/stages/workload.sh" "$2"; fi; }
st_footprint() { if stage_ok "workload-$2"; then run_stage "footprint-$2" "$S/stages/footprint.sh" "$2"; fi; }
# One base's tables from the workload and footprint rows of the variants
# named in the options (variants=a,b,...), compared with the committed results of an
# earlier run (Documentation/workload/BASE.json) when there are some.
st_workload-report() {
	local v id args=()
	for v in $(opt "$3" variants | tr ',' ' '); do
		id=$(BASE=$1 variant_id "$v")
		stage_ok "workload-$id" || continue
		args+=("$OUT/workload-$id.tsv" --config "$id=$(build_dir "$id")/.config")
		! stage_ok "footprint-$id" || args+=(--footprint "$OUT/footprint-$id.tsv")
	done
	if [ "${#args[@]}" -eq 0 ]; then
		failed=1
		record "workload-report$(base_suffix "$1")" "workload table" FAIL 0 "no workload rows for base $1"
		return 0
	fi
	# The comparison with the committed run is the stage's verdict row.
	run_stage "workload-report$(base_suffix "$1")" python3 "$S/judges/workload_report.py" \
		--base "$1" --out "$OUT" --models "$S/tables/cache-models.tsv" \
		--reference "$RIG_ROOT/Documentation/workload/$1.json" \
		--results "$RESULTS" --label "workload-report$(base_suffix "$1")" "${args[@]}"
}
st_hwkit-check() { if kernel_ok "$2"; then run_stage "hwkit-$2" "$S/stages/hwkit-check.sh" "$2"; fi; }
st_hwkit-canned() { run_stage hwkit-canned "$S/stages/hwkit-canned.sh"; }
st_sites() { run_stage "sites-$2" "$S/stages/sites.sh" "$2"; }
st_cfi() { run_stage "cfi-$2" "$S/stages/cfi-baseline.sh" "$2"; }

# A variant's suite: its kernel, then every stage of scripts/tables/stages.tsv
# that applies to it.
st_suite() {
	local b=$1 v=$2 o=$3 stage
	st_kernel "$b" "$v" "$o"
	kernel_ok "$v" || return 0
	for stage in $(table_get "$STAGES_TSV" stage | uniq); do
		stage_applies "$v" "$stage" || continue
		"st_$stage" "$b" "$v" "$o"
	done
}

# run_plan PLAN: the rows of scripts/tables/plans.tsv for PLAN, in order.
run_plan() {
	local plan=$1 b stage vs o v n=0
	while IFS=$'\t' read -r b stage vs o; do
		n=$((n + 1))
		[ "$b" != . ] || b=$BASE
		base_col "$b" base >/dev/null
		[ "$o" != - ] || o=
		declare -F "st_$stage" >/dev/null || die "plans.tsv: $plan: unknown stage '$stage'"
		if [ "$vs" = - ]; then
			"st_$stage" "$b" - "$o"
			continue
		fi
		for v in ${vs//,/ }; do
			v=$(BASE=$b variant_id "$v")
			"st_$stage" "$b" "$v" "$o"
		done
	done < <(paste <(table_get "$PLANS_TSV" base plan="$plan") <(table_get "$PLANS_TSV" stage plan="$plan") \
		<(table_get "$PLANS_TSV" variants plan="$plan") <(table_get "$PLANS_TSV" options plan="$plan"))
	[ "$n" -gt 0 ] || die "no plan '$plan' (scripts/tables/plans.tsv: $(table_get "$PLANS_TSV" plan | uniq | tr '\n' ' '))"
}

summary() { [ "$dry" -eq 1 ] || "$S/judges/summary.sh" || failed=1; }

if [ "${1:-}" = --dry-run ]; then
	dry=1
	shift
fi
cmd=${1:-help}
case $cmd in
kernel | kunit | kmod | check-vmlinux | audit)
	v=$(variant_id "${2:-gcc}")
	fresh_results
	# Its tree, on its base, where tree.sh prepares it (the others are the
	# per-patch and mutant trees of check-series.sh and mutate.sh).
	if [ "$(table_one "$TREES_TSV" prepared tree="$(var_col "$v" tree)")" = yes ]; then
		run_stage tree env BASE="$(variant_base "$v")" "$S/sources/tree.sh" "$(var_col "$v" tree)"
	fi
	st_kernel "$(variant_base "$v")" "$v" ""
	case $cmd in
	kunit) st_kunit - "$v" "" ;;
	kmod) st_kmod - "$v" "" ;;
	check-vmlinux) st_check - "$v" "" ;;
	audit) st_audit - "$v" "" ;;
	esac
	summary
	;;
suite)
	v=$(variant_id "${2:-gcc}")
	fresh_results
	run_stage tree env BASE="$(variant_base "$v")" "$S/sources/tree.sh" "$(var_col "$v" tree)"
	st_suite "$(variant_base "$v")" "$v" ""
	summary
	;;
*)
	table_get "$PLANS_TSV" plan | grep -qxF -- "$cmd" ||
		die "unknown command '$cmd' (plans: $(table_get "$PLANS_TSV" plan | uniq | tr '\n' ' '); see 'make help')"
	fresh_results
	run_plan "$cmd"
	summary
	;;
esac
exit "$failed"
