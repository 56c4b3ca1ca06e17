#!/usr/bin/env bash
# Regenerate patches/ from a development branch of a kernel git tree
# (commits on top of the base), keeping the cover letter text from
# patches/cover-letter.txt.
#   export-series.sh KERNEL_GIT_DIR [BASE=base] [BRANCH=HEAD]
set -euo pipefail
. "$(dirname "$0")/lib.sh"

dir=${1:?usage: export-series.sh KERNEL_GIT_DIR [BASE] [BRANCH]}
base=${2:-base}
branch=${3:-HEAD}
cover=$RIG_ROOT/patches/cover-letter.txt
[ -f "$cover" ] || die "$cover missing"
rm -f "$RIG_ROOT"/patches/0*.patch
git -C "$dir" format-patch -q --cover-letter --no-signature -o "$RIG_ROOT/patches" "$base..$branch"
python3 - "$RIG_ROOT/patches/0000-cover-letter.patch" "$cover" <<'PY'
import re, sys
patch, cover = sys.argv[1], sys.argv[2]
text = open(patch).read()
body = open(cover).read()
subject = body.splitlines()[0]
blurb = body.split("\n", 2)[2]
n = re.search(r"\[PATCH 0/(\d+)\]", text).group(1)
subject = re.sub(r"\[PATCH 0/\d+\]", f"[PATCH 0/{n}]", subject)
text = text.replace("Subject: [PATCH 0/%s] *** SUBJECT HERE ***" % n, subject)
text = text.replace("*** BLURB HERE ***\n", blurb)
open(patch, "w").write(text)
PY
log "exported $(find "$RIG_ROOT/patches" -name '0*.patch' | wc -l) files to patches/"
