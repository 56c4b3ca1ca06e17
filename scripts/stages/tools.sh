#!/usr/bin/env bash
# Build the C++ host tools (tools/, CMake) outside the clone and run their
# CTest suite (codec vs binutils oracle, model checker, auditor, the inline
# series' call-site recorder), then print
# tramp-model's table. One result line per CTest test.
#   tools.sh
set -euo pipefail
. "$(dirname "$0")/../lib/lib.sh"
rig_init

bd=$TOOLS_BUILD
t=$(date +%s)
# One tools build at a time: clones share it.
exec 8>"$CACHE/.tools.lock"
flock 8
# mirror SRC DST: make DST hold exactly the files of SRC listed on stdin
# (relative paths), each rewritten only when its content differs, so that a
# fresh clone of the same sources rebuilds nothing.
mirror() {
	local src=$1 dst=$2 list f
	list=$(mktemp)
	sort -u >"$list"
	mkdir -p "$dst"
	while IFS= read -r f; do
		if ! cmp -s "$src/$f" "$dst/$f"; then
			mkdir -p "$(dirname "$dst/$f")"
			cp "$src/$f" "$dst/$f"
		fi
	done <"$list"
	(cd "$dst" && find . -type f) | while IFS= read -r f; do
		grep -qxF -- "$f" "$list" || rm -f "$dst/$f"
	done
	rm -f "$list"
}
# tools/, and for the recorder tests, which build scripts/static_call_sites.c
# from the inline series' patches, those series (bases.tsv inline_series).
(cd "$RIG_ROOT/tools" && find . -type f ! -path './build/*') | mirror "$RIG_ROOT/tools" "$TOOLS_SRC"
patches_src=$TOOLS_SRC.patches
table_get "$RIG_ROOT/scripts/tables/bases.tsv" inline_series | sort -u | grep -vx -- - |
	while IFS= read -r d; do
		(cd "$RIG_ROOT/patches" && find "./$d" -name '*.patch' -type f)
	done | mirror "$RIG_ROOT/patches" "$patches_src"
if ! { cmake -S "$TOOLS_SRC" -B "$bd" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	-DSC_PATCHES_DIR="$patches_src" &&
	cmake --build "$bd" -j "$JOBS"; } >"$LOGS/tools-build.log" 2>&1; then
	grep -E "error|Error" "$LOGS/tools-build.log" | head -10 >&2 || true
	record tools "cmake build (-Wall -Wextra -Werror)" FAIL $(($(date +%s) - t)) "see $LOGS/tools-build.log"
	exit 1
fi
record tools "cmake build (-Wall -Wextra -Werror)" PASS $(($(date +%s) - t))

rc=0
(cd "$bd" && ctest --output-on-failure -j "$JOBS") >"$LOGS/tools-ctest.log" 2>&1 || rc=$?
# "  1/40 Test  #1: a64_test.Foo ......   Passed    0.01 sec"
sed -nE 's/^ *[0-9]+\/[0-9]+ Test +#[0-9]+: ([^ ]+) \.+\**( |\*)*([A-Za-z ]+[a-z]) +([0-9.]+) sec$/\1\t\3\t\4/p' \
	"$LOGS/tools-ctest.log" | while IFS=$'\t' read -r name res secs; do
	case $res in
	Passed) record tools "ctest $name" PASS "${secs%.*}" ;;
	# make test installs everything the tests need (binutils included):
	# a test that skips here did not run, and that is a failure.
	*) record tools "ctest $name" FAIL "${secs%.*}" "$res" ;;
	esac
done
n=$(awk -F'\t' '$1 == "tools" && $2 ~ /^ctest /' "$RESULTS" | wc -l)
if [ "$n" -eq 0 ]; then
	record tools "ctest: no test ran" FAIL 0 "see $LOGS/tools-ctest.log"
	rc=1
fi
tail -n 3 "$LOGS/tools-ctest.log" | sed 's/^/  /' >&2
"$bd/tramp-model" >"$LOGS/tramp-model.txt" 2>&1 || rc=1
log "tramp-model table: $LOGS/tramp-model.txt"
exit "$rc"
