#!/usr/bin/env bash
# Which evidence still describes the code. Each evidence target (the rows of
# scripts/tables/evidence.tsv) depends on some of the repository's paths; when it
# passes, its record in Documentation/evidence.tsv gets the hash of those
# inputs, the commit, the date, its duration and its summary line.
#   evidence.sh run TARGET CMD...   run CMD; on success, record TARGET
#   evidence.sh status              each target: current, stale or never run
#   evidence.sh all                 make every target in order, one summary
set -euo pipefail
RIG_ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$RIG_ROOT/scripts/lib/table.sh"

DECL=$RIG_ROOT/scripts/tables/evidence.tsv
RECORD=$RIG_ROOT/Documentation/evidence.tsv
HEADER='target	inputs_hash	input_hashes	commit	date	seconds	summary'

die() { printf 'error: %s\n' "$*" >&2; exit 1; }

inputs_of() {
	local i
	i=$(table_one "$DECL" inputs target="$1") ||
		die "no evidence target '$1' in scripts/tables/evidence.tsv ($(table_get "$DECL" target | tr '\n' ' '))"
	printf '%s\n' "$i"
}

# path_hash PATH: the names and contents of the files under PATH that git
# tracks or would track (untracked, not ignored), as in the working tree.
path_hash() {
	(cd "$RIG_ROOT" && git ls-files -co --exclude-standard -z -- "$1" | sort -z |
		xargs -0 -r sha256sum) | sha256sum | cut -c1-12
}

# input_hashes TARGET: "path=hash" per input, comma-separated.
input_hashes() {
	local p out=
	for p in $(inputs_of "$1"); do
		out+="${out:+,}$p=$(path_hash "$p")"
	done
	printf '%s\n' "$out"
}

# The commit the inputs are at, "+dirty" when they differ from it.
commit_of() {
	local c paths
	c=$(git -C "$RIG_ROOT" rev-parse --short=12 HEAD)
	read -r -a paths <<<"$(inputs_of "$1")"
	if ! git -C "$RIG_ROOT" diff --quiet HEAD -- "${paths[@]}" ||
		[ -n "$(git -C "$RIG_ROOT" ls-files -o --exclude-standard -- "${paths[@]}")" ]; then
		c+=+dirty
	fi
	printf '%s\n' "$c"
}

record() {
	local target=$1 secs=$2 summary=$3 ih tmp
	ih=$(input_hashes "$target")
	tmp=$RECORD.tmp
	{
		printf '%s\n' "$HEADER"
		[ ! -f "$RECORD" ] || awk -F'\t' -v t="$target" 'NR > 1 && $1 != t' "$RECORD"
		printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$target" \
			"$(printf '%s' "$ih" | sha256sum | cut -c1-12)" "$ih" \
			"$(commit_of "$target")" "$(date -u +%Y-%m-%dT%H:%MZ)" "$secs" "$summary"
	} >"$tmp"
	# Keep the targets in the declared order.
	{
		printf '%s\n' "$HEADER"
		for t in $(table_get "$DECL" target); do
			awk -F'\t' -v t="$t" 'NR > 1 && $1 == t' "$tmp"
		done
	} >"$RECORD"
	rm -f "$tmp"
}

# The variables that change what a target runs or checks (a variant, a
# base, a machine, a filter, more or fewer runs): a run with any of them set
# is not the target's evidence, whatever its outcome.
SHAPING_VARS='V BASE KSRC SERIES CONFIGS_EXTRA MACHINE SMP QEMU QEMU_EXTRA INITRD RUNS KUNIT_ARGS KUNIT_FILTER KUNIT_ATTR_FILTER KMOD_ARGS BENCH_SMP BENCH_ARGS WL_RUNS WL_ITERS FP_N FP_LONG_N W1_FATAL'

# The shaping variables set in the environment, as "V=gcc-inline BASE=7.2".
overrides() {
	local v out=
	for v in $SHAPING_VARS; do
		[ -z "${!v:-}" ] || out+="${out:+ }$v=${!v}"
	done
	printf '%s\n' "$out"
}

cmd_run() {
	local target=$1 t0 rc=0 log summary over
	shift
	inputs_of "$target" >/dev/null
	over=$(overrides)
	if [ -n "$over" ]; then
		# Not the evidence run: the command alone, nothing recorded.
		"$@" || rc=$?
		printf 'evidence: make %s ran with %s: not recorded (the record is for the run with the defaults)\n' \
			"$target" "$over" >&2
		return "$rc"
	fi
	mkdir -p "$RIG_ROOT/out/logs"
	log=$RIG_ROOT/out/logs/make-$target.log
	t0=$(date +%s)
	# The target's own output goes on as before; a copy keeps its last line.
	"$@" 2>&1 | tee "$log" || rc=${PIPESTATUS[0]}
	summary=$(tr -d '\r' <"$log" | sed '/^[[:space:]]*$/d' | tail -n1 |
		sed 's/^\[[0-9:]*\] //' | tr '\t' ' ')
	if [ "$rc" -ne 0 ]; then
		printf 'evidence: make %s failed (exit %s): not recorded\n' "$target" "$rc" >&2
		return "$rc"
	fi
	record "$target" $(($(date +%s) - t0)) "$summary"
	printf 'evidence: make %s recorded at %s in Documentation/evidence.tsv\n' \
		"$target" "$(commit_of "$target")" >&2
}

# The inputs whose hash changed since the record: "kunit, scripts".
changed_inputs() {
	local now=$1 was=$2 p
	local -A old=()
	for p in ${was//,/ }; do old[${p%%=*}]=${p#*=}; done
	for p in ${now//,/ }; do
		[ "${old[${p%%=*}]:-}" = "${p#*=}" ] || printf '%s\n' "${p%%=*}"
	done | paste -sd, | sed 's/,/, /g'
}

cmd_status() {
	local t now rec was commit date secs summary cur=0 stale=0 never=0
	printf '%-13s %-8s %s\n' target state "recorded (commit, date, duration): summary"
	for t in $(table_get "$DECL" target); do
		now=$(input_hashes "$t")
		rec=
		[ ! -f "$RECORD" ] || rec=$(awk -F'\t' -v t="$t" 'NR > 1 && $1 == t' "$RECORD")
		if [ -z "$rec" ]; then
			printf '%-13s %-8s %s\n' "$t" never "-"
			never=$((never + 1))
			continue
		fi
		IFS=$'\t' read -r _ _ was commit date secs summary <<<"$rec"
		if [ "$now" = "$was" ]; then
			printf '%-13s %-8s %s, %s, %dm%02ds: %s\n' "$t" current "$commit" "$date" \
				$((secs / 60)) $((secs % 60)) "$summary"
			cur=$((cur + 1))
		else
			printf '%-13s %-8s %s, %s: changed since: %s\n' "$t" stale "$commit" "$date" \
				"$(changed_inputs "$now" "$was")"
			stale=$((stale + 1))
		fi
	done
	echo "status: $cur current, $stale stale, $never never run (of $((cur + stale + never)) evidence targets)"
}

cmd_all() {
	local t rc passed=() failed=() t0
	t0=$(date +%s)
	for t in $(table_get "$DECL" target); do
		printf '\n==== make %s ====\n' "$t" >&2
		rc=0
		make -C "$RIG_ROOT" "$t" || rc=$?
		if [ "$rc" -eq 0 ]; then passed+=("$t"); else failed+=("$t"); fi
	done
	echo "all: ${#passed[@]} of $((${#passed[@]} + ${#failed[@]})) evidence targets passed in $((($(date +%s) - t0) / 60)) min${failed[*]:+; failed: ${failed[*]}}"
	[ "${#failed[@]}" -eq 0 ]
}

case ${1:-} in
run)
	[ $# -ge 3 ] || die "usage: evidence.sh run TARGET CMD..."
	shift
	cmd_run "$@"
	;;
status) cmd_status ;;
all) cmd_all ;;
*) die "usage: evidence.sh run TARGET CMD... | status | all" ;;
esac
