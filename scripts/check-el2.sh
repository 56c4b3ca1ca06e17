#!/usr/bin/env bash
# Check, from a console log of a boot with "-machine virt,virtualization=on",
# that the kernel really ran at EL2 with VHE: every CPU started at EL2, and
# the VHE capability was detected (the kernel runs at EL2 itself, with
# HCR_EL2.E2H, instead of dropping to EL1).
#   check-el2.sh LOG
set -euo pipefail
. "$(dirname "$0")/lib.sh"

logf=${1:?usage: check-el2.sh LOG}
stage=vhe-gcc
[ -s "$logf" ] || { record "$stage" "console log" FAIL 0 "$logf missing or empty"; exit 1; }
rc=0
if grep -q "CPU: All CPU(s) started at EL2" "$logf"; then
	record "$stage" "all CPUs started at EL2" PASS 0
else
	record "$stage" "all CPUs started at EL2" FAIL 0 "$(grep -m1 'started at EL' "$logf" || echo 'no "started at EL" line')"
	rc=1
fi
if grep -q "CPU features: detected: Virtualization Host Extensions" "$logf"; then
	record "$stage" "VHE detected (kernel at EL2)" PASS 0
else
	record "$stage" "VHE detected (kernel at EL2)" FAIL 0 "no 'detected: Virtualization Host Extensions' in $logf"
	rc=1
fi
exit "$rc"
