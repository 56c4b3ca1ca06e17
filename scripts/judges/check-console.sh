#!/usr/bin/env bash
# Require lines in a guest console log: one result per requirement, PASS if
# some line matches its extended regular expression (GNU grep -E, so back
# references work); "NAME!=REGEX" instead requires that no line matches. A
# missing or empty log fails every requirement.
#   check-console.sh STAGE LOG "NAME=REGEX" "NAME!=REGEX" ...
# Used by make matrix (EL2/VHE really in use, KCSAN really on) and on
# mainline's own kCFI trampolines (in use, no CFI failure).
set -euo pipefail
. "$(dirname "$0")/../lib/lib.sh"
rig_init

stage=${1:?usage: check-console.sh STAGE LOG NAME=REGEX...}
logf=${2:?usage: check-console.sh STAGE LOG NAME=REGEX...}
shift 2
[ "$#" -gt 0 ] || die "check-console.sh: no requirement given"
rc=0
for req in "$@"; do
	name=${req%%=*}
	re=${req#*=}
	neg=0
	case $name in *!) neg=1 name=${name%!} ;; esac
	if [ ! -s "$logf" ]; then
		record "$stage" "$name" FAIL 0 "console log $logf missing or empty"
		rc=1
	elif [ "$neg" -eq 1 ]; then
		if line=$(grep -m1 -E "$re" "$logf"); then
			record "$stage" "$name" FAIL 0 "$(tr -d '\r' <<<"$line" | sed 's/^ *//' | cut -c1-80)"
			rc=1
		else
			record "$stage" "$name" PASS 0 "no line matching '$re' in $(basename "$logf")"
		fi
	elif line=$(grep -m1 -E "$re" "$logf"); then
		record "$stage" "$name" PASS 0 "$(tr -d '\r' <<<"$line" | sed 's/^ *//' | cut -c1-80)"
	else
		record "$stage" "$name" FAIL 0 "no line matching '$re' in $logf"
		rc=1
	fi
done
exit "$rc"
