#!/usr/bin/env bash
# Print the results table of this run and the closing line
# "N passed, N failed[, N skipped]"; exit non-zero if anything failed.
#   summary.sh
set -euo pipefail
. "$(dirname "$0")/../lib/lib.sh"
rig_init

[ -s "$RESULTS" ] || die "no results recorded in $RESULTS"
echo
echo "==================== arm64-static-call results ===================="
# Grouped by stage, in the order the stages first recorded (stages that ran
# side by side interleave their lines in the file).
awk -F'\t' '
	!($1 in seen) { seen[$1] = ++n; name[n] = $1 }
	{ t = ($4 > 0) ? sprintf("%4ds", $4) : "     "
	  d = ($5 != "") ? "  (" $5 ")" : ""
	  out[$1] = out[$1] sprintf("  %-5s %s %s%s\n", $3, t, $2, d) }
	END { for (i = 1; i <= n; i++) printf "%s\n%s", name[i], out[name[i]] }' "$RESULTS"
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
