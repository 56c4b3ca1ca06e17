#!/usr/bin/env bash
# Write the file a patch creates (scripts/static_call_sites.c, the inline
# series' call-site recorder) to OUT, so that the tools' tests build and run
# the recorder exactly as the series ships it, with no copy kept here.
#   extract.sh PATCH PATH_IN_PATCH OUT
set -euo pipefail
patch=${1:?usage: extract.sh PATCH PATH_IN_PATCH OUT}
path=${2:?usage: extract.sh PATCH PATH_IN_PATCH OUT}
out=${3:?usage: extract.sh PATCH PATH_IN_PATCH OUT}
[ -f "$patch" ] || { echo "extract.sh: $patch: no such patch" >&2; exit 1; }
mkdir -p "$(dirname "$out")"
# A new file: its hunk is "@@ -0,0 +1,N @@" and every line of it starts with
# "+"; the file ends at the next "diff --git" or the signature ("-- ").
awk -v want="+++ b/$path" '
	$0 == want { on = 1; next }
	on && /^@@ -0,0 / { next }
	on && (/^diff --git / || /^-- $/) { exit }
	on && /^\+/ { print substr($0, 2); n++ }
	on && !/^\+/ { print "extract.sh: not a new file in the patch: " $0 > "/dev/stderr"; exit 2 }
	END { if (!n) exit 1 }
' "$patch" >"$out.tmp" || { rm -f "$out.tmp"; echo "extract.sh: $patch creates no $path" >&2; exit 1; }
mv "$out.tmp" "$out"
