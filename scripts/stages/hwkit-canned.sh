#!/usr/bin/env bash
# The hardware kit's report (hwkit/report.awk) on canned input, with every
# awk at hand (hwkit/tests/check.sh): each of its checks recorded.
set -euo pipefail
. "$(dirname "$0")/../lib/lib.sh"
rig_init

rc=0
"$RIG_ROOT/hwkit/tests/check.sh" "$CACHE/dl/busybox/bin/busybox" >"$LOGS/hwkit-canned.log" 2>&1 || rc=$?
n=0
while read -r verdict what; do
	case $verdict in
	PASS) record hwkit-canned "$what" PASS 0 ;;
	FAIL) record hwkit-canned "$what" FAIL 0 "see $LOGS/hwkit-canned.log" ;;
	*) continue ;;
	esac
	n=$((n + 1))
done <"$LOGS/hwkit-canned.log"
[ "$n" -gt 0 ] || { record hwkit-canned "canned report checks" FAIL 0 "no verdicts in $LOGS/hwkit-canned.log"; exit 1; }
tail -n1 "$LOGS/hwkit-canned.log" >&2
exit "$rc"
