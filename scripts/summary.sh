#!/usr/bin/env bash
# Print the results table of this run and the closing line
# "N passed, N failed[, N skipped]"; exit non-zero if anything failed.
#   summary.sh
set -euo pipefail
. "$(dirname "$0")/lib.sh"

[ -s "$RESULTS" ] || die "no results recorded in $RESULTS"
echo
echo "==================== arm64-static-call results ===================="
awk -F'\t' '
	$1 != last { printf "%s\n", $1; last = $1 }
	{ t = ($4 > 0) ? sprintf("%4ds", $4) : "     "
	  d = ($5 != "") ? "  (" $5 ")" : ""
	  printf "  %-5s %s %s%s\n", $3, t, $2, d }' "$RESULTS"
echo "===================================================================="
echo "logs: $LOGS"
p=$(awk -F'\t' '$3 == "PASS"' "$RESULTS" | wc -l)
f=$(awk -F'\t' '$3 == "FAIL"' "$RESULTS" | wc -l)
s=$(awk -F'\t' '$3 == "SKIP"' "$RESULTS" | wc -l)
if [ "$s" -gt 0 ]; then
	echo "$p passed, $f failed, $s skipped"
else
	echo "$p passed, $f failed"
fi
[ "$f" -eq 0 ]
