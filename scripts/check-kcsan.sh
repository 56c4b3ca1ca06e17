#!/usr/bin/env bash
# Check, from the console log of a KCSAN kernel, that KCSAN was really on:
# its boot selftest passed, and it announced its mode. (The log scan fails
# on any "BUG: KCSAN" report; this makes sure a silent log means something.)
#   check-kcsan.sh LOG
set -euo pipefail
. "$(dirname "$0")/lib.sh"

logf=${1:?usage: check-kcsan.sh LOG}
stage=kcsan-clang
[ -s "$logf" ] || { record "$stage" "console log" FAIL 0 "$logf missing or empty"; exit 1; }
rc=0
if line=$(grep -m1 -E "kcsan: selftest: [0-9]+/[0-9]+ tests passed" "$logf"); then
	t=$(sed -E 's/.*selftest: ([0-9]+)\/([0-9]+).*/\1 \2/' <<<"$line")
	if [ "${t% *}" = "${t#* }" ]; then
		record "$stage" "KCSAN boot selftest passed" PASS 0 "${line##*kcsan: }"
	else
		record "$stage" "KCSAN boot selftest passed" FAIL 0 "${line##*kcsan: }"
		rc=1
	fi
else
	record "$stage" "KCSAN boot selftest passed" FAIL 0 "no 'kcsan: selftest' line in $logf"
	rc=1
fi
if grep -q "kcsan: strict mode configured\|kcsan: enabled early" "$logf"; then
	record "$stage" "KCSAN enabled at boot" PASS 0 "$(grep -m1 -o 'kcsan: [a-z ]*configured\|kcsan: enabled early' "$logf")"
else
	record "$stage" "KCSAN enabled at boot" FAIL 0 "no KCSAN announcement in $logf"
	rc=1
fi
exit "$rc"
