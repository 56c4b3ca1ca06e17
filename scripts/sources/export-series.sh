#!/usr/bin/env bash
# Regenerate the series of $BASE (patches/<series>/, see scripts/tables/bases.tsv)
# from a development branch of a kernel git tree (commits on top of the
# base), keeping the cover letter text from patches/<series>/cover-letter.txt.
#   [BASE=7.2] [SERIES=6.12-inline] export-series.sh KERNEL_GIT_DIR [BASE_REF=base] [BRANCH=HEAD]
set -euo pipefail
. "$(dirname "$0")/../lib/lib.sh"
rig_init

dir=${1:?usage: export-series.sh KERNEL_GIT_DIR [BASE] [BRANCH]}
base=${2:-base}
branch=${3:-HEAD}
# SERIES=<dir> exports patches/<dir>/ instead (the inline series, whose
# base is the series' last commit).
SERIES_DIR=$(series_dir)
cover=$SERIES_DIR/cover-letter.txt
[ -f "$cover" ] || die "$cover missing"
# The subject prefix ("PATCH v2") comes from the cover letter's subject.
prefix=$(sed -n '1s/^Subject: \[\(PATCH[^]]*\) 0\/[0-9]*\].*/\1/p' "$cover")
[ -n "$prefix" ] || die "$cover: first line must be 'Subject: [PATCH ... 0/N] ...'"
rm -f "$SERIES_DIR"/0*.patch
git -C "$dir" format-patch -q --cover-letter --no-signature --subject-prefix="$prefix" \
	-o "$SERIES_DIR" "$base..$branch"
python3 - "$SERIES_DIR/0000-cover-letter.patch" "$cover" <<'PY'
import re, sys
patch, cover = sys.argv[1], sys.argv[2]
text = open(patch).read()
body = open(cover).read()
subject = body.splitlines()[0]
blurb = body.split("\n", 2)[2]
m = re.search(r"Subject: \[(PATCH[^\]]*) 0/(\d+)\] \*\*\* SUBJECT HERE \*\*\*", text)
prefix, n = m.group(1), m.group(2)
subject = re.sub(r"\[PATCH[^\]]* 0/\d+\]", f"[{prefix} 0/{n}]", subject)
text = text.replace(m.group(0), subject)
text = text.replace("*** BLURB HERE ***\n", blurb)
open(patch, "w").write(text)
PY
log "exported $(find "$SERIES_DIR" -name '0*.patch' | wc -l) files to ${SERIES_DIR#"$RIG_ROOT"/}/"
