#!/usr/bin/env bash
# Scan a guest console log for faults that must never happen on a patched
# kernel: CFI failures, BTI or other exceptions, oopses, BUGs (KASAN, KCSAN,
# sleeping in atomic context, lockups), RCU stalls, hung tasks, the series'
# own error and warning messages, unexpected WARNINGs. The one WARNING the
# suite provokes on purpose (an update to a misaligned target, refused by
# the series) is announced by the test with
# "expected WARNING follows: static_call_update() to misaligned <target>";
# each WARNING must follow its own announcement, and the warning's message
# (printed just before it) must be the series' "misaligned target <target>"
# for that same target, and every announcement must be followed by its
# WARNING (a kernel that prints none, e.g. without CONFIG_BUG, would
# otherwise hide every other WARNING too). Other cases announce the exact
# message of the WARNING they provoke, in quotes:
# 'expected WARNING follows: "static_call: <site> holds ...: left unpatched"';
# that message must be printed next, just before its WARNING, and the
# lines holding an announced message are exempt from the series' report
# pattern (they are the series refusing what the test asked it to refuse).
# A missing or empty log is a failure too.
#   logscan.sh STAGE LOG
set -euo pipefail
. "$(dirname "$0")/../lib/lib.sh"
rig_init

stage=${1:?usage: logscan.sh STAGE LOG}
logf=${2:?usage: logscan.sh STAGE LOG}
name="log: no CFI/BTI fault, oops or unexpected WARNING"
if [ ! -s "$logf" ]; then
	record "$stage" "$name" FAIL 0 "console log $logf missing or empty"
	log "$stage: no console log to scan ($logf)"
	exit 1
fi
pat="$KERNEL_CRASH_PAT|$SERIES_REPORT_PAT"
# The lines of messages the suite announced are not reports
# (log_unannounced, scripts/lib/lib.sh). Read once into a file: a grep that
# stops early must not cut the pipe that feeds it (pipefail).
scanned=$(mktemp)
trap 'rm -f "$scanned"' EXIT
log_unannounced "$logf" >"$scanned"
hits=$(grep -cE "$pat" "$scanned" || true)
bad=0
first=
if [ "$hits" -gt 0 ]; then
	grep -m5 -E "$pat" "$scanned" | sed 's/^/  | /' >&2
	first=$(grep -m1 -E "$pat" "$scanned")
	bad=1
fi
# Pair every WARNING with the announcement before it and the message just
# before it; print each WARNING that does not pair up.
unpaired=$(tr -d '\r' <"$logf" | awk '
	/expected WARNING follows: static_call_update\(\) to misaligned / {
		if (want != "") print "unannounced or mismatched: announced, no WARNING: " want
		s = $0; sub(/.*to misaligned /, "", s); want = s; exact = 0; next }
	/expected WARNING follows: ".+"/ {
		if (want != "") print "unannounced or mismatched: announced, no WARNING: " want
		s = $0; sub(/.*expected WARNING follows: "/, "", s); sub(/"[[:space:]]*$/, "", s)
		want = s; exact = 1; next }
	exact && want != "" && index($0, want) {
		msg = want; line = NR; exact = 0; next }
	/static_call: .*: misaligned target / {
		s = $0; sub(/.*misaligned target /, "", s); msg = s; line = NR; next }
	/WARNING:/ {
		if (want != "" && msg == want && NR - line <= 2) { ok++ }
		else { print "unannounced or mismatched: " $0 }
		want = ""; msg = ""; exact = 0 }
	END {
		if (want != "") print "unannounced or mismatched: announced, no WARNING: " want
		printf "paired %d\n", ok }')
if grep -q '^unannounced' <<<"$unpaired"; then
	grep '^unannounced' <<<"$unpaired" | head -5 | sed 's/^/  | /' >&2
	[ -n "$first" ] || first=$(grep -m1 '^unannounced' <<<"$unpaired")
	bad=1
fi
if [ "$bad" -eq 0 ]; then
	record "$stage" "$name" PASS 0 "$(tail -n1 <<<"$unpaired") announced WARNING(s)"
else
	record "$stage" "$name" FAIL 0 "$(cut -c1-200 <<<"$first"); see $logf"
	log "$stage: faults in $logf"
	exit 1
fi
