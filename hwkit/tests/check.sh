#!/usr/bin/env bash
# The hardware kit's report on canned input (canned/): every PMU event a
# board may have, one the kernel refuses, multiplexed runs, events that
# belong to another CPU's PMU, a missing traced row; the output must equal
# canned/expected.{md,json} with every awk at hand (mawk, gawk, and
# busybox's, the one boards often have, under qemu-aarch64). Then inputs that must make the report fail: an error from the
# module, a failed module run, no workload runs.
#   check.sh [BUSYBOX]   (scripts/stages/hwkit.sh passes the rig's busybox)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
c=$here/canned
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
ran=0

# Each implementation once (Debian's awk is mawk).
awks=()
seen=" "
for a in awk mawk gawk; do
	p=$(command -v "$a") || continue
	r=$(readlink -f "$p")
	case $seen in *" $r "*) continue ;; esac
	seen="$seen$r "
	awks+=("$(basename "$r")")
done
bb=${1:-}
if [ -n "$bb" ]; then
	# Asked for: missing pieces are a failure, not a silent skip.
	[ -x "$bb" ] || { echo "FAIL busybox awk: $bb missing (make deps)"; exit 1; }
	command -v qemu-aarch64 >/dev/null || { echo "FAIL busybox awk: qemu-aarch64 missing (make deps: qemu-user)"; exit 1; }
	awks+=("qemu-aarch64 $bb awk")
fi

for a in "${awks[@]}"; do
	read -r -a cmd <<<"$a"
	rc=0
	: >"$tmp/d"
	: >"$tmp/err"
	"${cmd[@]}" -v json="$tmp/r.json" -f "$here/../report.awk" "$c/hw.txt" "$c/workload.txt" "$c/bench.txt" \
		>"$tmp/r.md" 2>"$tmp/err" || rc=$?
	ran=$((ran + 1))
	if [ "$rc" -ne 0 ] || ! diff -u "$c/expected.md" "$tmp/r.md" >"$tmp/d" || ! diff -u "$c/expected.json" "$tmp/r.json" >>"$tmp/d"; then
		echo "FAIL canned report with '$a' (exit $rc):"
		sed 's/^/  /' "$tmp/d" "$tmp/err" | head -n 30
		fail=1
	else
		echo "PASS canned report with '$a'"
	fi
	python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$tmp/r.json" 2>/dev/null ||
		{ echo "FAIL report.json from '$a' is not JSON"; fail=1; }
done

# must_fail NAME: report.awk on the canned input with one file changed
must_fail() {
	local name=$1 rc=0
	awk -v json="$tmp/f.json" -f "$here/../report.awk" "$tmp/hw.txt" "$tmp/workload.txt" "$tmp/bench.txt" \
		>"$tmp/f.md" 2>&1 || rc=$?
	if [ "$rc" -eq 1 ] && grep -q '^Errors:' "$tmp/f.md"; then
		echo "PASS report fails on $name"
	else
		echo "FAIL report does not fail on $name (exit $rc)"
		fail=1
	fi
}
cp "$c"/*.txt "$tmp/"
sed -i 's/^SCB end ok errors=0/SCB end fail errors=1/' "$tmp/bench.txt"
must_fail "a module run that ended in failure"
cp "$c"/*.txt "$tmp/"
echo "SCB error sc_in: trampoline: slot holds 0xd503201f" >>"$tmp/bench.txt"
must_fail "a module error line"
cp "$c"/*.txt "$tmp/"
grep -v ' iters=' "$c/workload.txt" >"$tmp/workload.txt"
must_fail "no workload runs"

[ "$ran" -gt 0 ] || { echo "FAIL no awk to run"; fail=1; }
echo "hwkit canned: ${#awks[@]} awk implementations, $([ "$fail" -eq 0 ] && echo passed || echo FAILED)"
exit "$fail"
