#!/usr/bin/env bash
# Every complaint the series' kernel code can print (the format of each
# pr_err/pr_warn/pr_crit and WARN/WARN_ONCE it adds under arch/, kernel/
# and include/) must be seen by the console log scan and by the mutation
# judge: it must match SERIES_REPORT_PAT (scripts/lib/lib.sh) once its
# conversions are filled in. The one exception is the misaligned-target
# WARNING, which the suite provokes on purpose and logscan.sh pairs with its
# announcement. A message added to the series without a pattern would
# otherwise pass every log scan unseen.
#   lint-reports.sh [PATCH...]   (default: patches/*/0*.patch)
set -euo pipefail
RIG_ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$RIG_ROOT/scripts/lib/lib.sh"

cd "$RIG_ROOT"
if [ $# -eq 0 ]; then
	for p in patches/*/0[0-9][0-9][0-9]-*.patch; do
		# The cover letters hold no code.
		case $p in */0000-*) ;; *) set -- "$@" "$p" ;; esac
	done
fi
[ $# -gt 0 ] || { echo "lint-reports: no patch files given or found under patches/" >&2; exit 1; }

# The first string literal of each reporting call in the lines a patch adds
# to kernel code, or of the line after when the call breaks before it.
# Output: PATCH<TAB>FORMAT.
formats=$(awk '
	FNR == 1 { file = ""; want = 0 }
	/^diff --git / { file = $3; sub(/^a\//, "", file); want = 0; next }
	file !~ /^(arch|kernel|include)\// { next }
	!/^\+/ { want = 0; next }
	{
		line = substr($0, 2)
		if (!want && line !~ /(pr_(err|warn|crit|alert|emerg)(_once|_ratelimited)?|WARN(_ONCE)?)\(/)
			next
		if (match(line, /"([^"\\]|\\.)*"/)) {
			printf "%s\t%s\n", FILENAME, substr(line, RSTART + 1, RLENGTH - 2)
			want = 0
		} else {
			want = 1
		}
	}' "$@" | sort -u)
n=$(printf '%s' "$formats" | grep -c . || true)
[ "$n" -gt 0 ] || { echo "lint-reports: no pr_err/pr_warn/WARN format found in $# patches: the extraction is broken" >&2; exit 1; }

bad=0
checked=0
while IFS=$'\t' read -r patch fmt; do
	# The one WARNING the suite announces and logscan.sh pairs.
	case $fmt in *"misaligned target"*) continue ;; esac
	checked=$((checked + 1))
	# What the console would show: conversions filled in, escapes gone.
	text=$(printf '%s' "$fmt" | sed -E 's/%[-#0 +]*[0-9]*(\.[0-9]+)?(l|ll|h|hh|z)?(p[A-Za-z]+|[a-zA-Z])/X/g; s/\\n//g')
	if ! grep -qE "$SERIES_REPORT_PAT" <<<"$text"; then
		printf 'lint-reports: %s: "%s" is not matched by SERIES_REPORT_PAT (scripts/lib/lib.sh)\n' \
			"$patch" "$fmt" >&2
		bad=1
	fi
done <<<"$formats"
if [ "$bad" -ne 0 ]; then
	echo "lint-reports: the log scan would not see the messages above: add them to SERIES_REPORT_PAT" >&2
	exit 1
fi
echo "lint-reports: every one of the series' $checked reporting formats (from $# patches) is matched by the log scan"
