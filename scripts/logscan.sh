#!/usr/bin/env bash
# Scan a guest console log for faults that must never happen on a patched
# kernel: CFI failures, BTI or other exceptions, oopses, BUGs, unexpected
# WARNINGs. The one WARNING the suite provokes on purpose (an update to a
# misaligned target, refused by the series) is announced by the test with
# "expected WARNING follows" and is allowed once.
#   logscan.sh STAGE LOG
set -euo pipefail
. "$(dirname "$0")/lib.sh"

stage=${1:?usage: logscan.sh STAGE LOG}
logf=${2:?usage: logscan.sh STAGE LOG}
pat='CFI failure|Unable to handle|Internal error|Oops|BUG:|Kernel panic'
hits=$(grep -cE "$pat" "$logf" || true)
warns=$(grep -c "WARNING:" "$logf" || true)
expected=$(grep -c "expected WARNING follows" "$logf" || true)
bad=0
if [ "$hits" -gt 0 ]; then
	grep -m5 -E "$pat" "$logf" | sed 's/^/  | /' >&2
	bad=1
fi
if [ "$warns" -gt "$expected" ]; then
	grep -m5 "WARNING:" "$logf" | sed 's/^/  | /' >&2
	bad=1
fi
if [ "$bad" -eq 0 ]; then
	record "$stage" "log: no CFI/BTI fault, oops or unexpected WARNING" PASS 0
else
	record "$stage" "log: no CFI/BTI fault, oops or unexpected WARNING" FAIL 0 "see $logf"
	log "$stage: faults in $logf"
	exit 1
fi
