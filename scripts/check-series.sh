#!/usr/bin/env bash
# Verify the patch series itself:
#   apply      git am of every patch on the base (done by tree.sh)
#   checkpatch scripts/checkpatch.pl --strict: no errors, no warnings
#   bisect     every patch in turn builds an arm64 kernel (small config;
#              the last one is the patched kernels' own build)
# The built-kernel checks (layout of the trampolines in vmlinux, W=1 on the
# touched files) are in check-vmlinux.sh, run after each full build.
#   check-series.sh
set -euo pipefail
. "$(dirname "$0")/lib.sh"

src=$(cat "$CACHE/src/current" 2>/dev/null) || die "no base tree: run 'make tree'"
patched=$(tree_dir patched)
[ -d "$patched" ] || die "no patched tree: run 'make tree'"
mapfile -t patches < <(find "$RIG_ROOT/patches" -name '0*.patch' ! -name '0000-*' | sort)
[ "${#patches[@]}" -gt 0 ] || die "no patches in patches/"

# apply: tree.sh already applied the series with git am; confirm the commits.
n=$(git -C "$patched" log --oneline base..HEAD~1 | wc -l)
if [ "$n" -eq "${#patches[@]}" ]; then
	record check "git am: ${#patches[@]} patches apply to $(make -s -C "$src" kernelversion)" PASS 0
else
	record check "git am: patches apply" FAIL 0 "$n commits for ${#patches[@]} patches"
fi

# checkpatch, one record per patch. FILE_PATH_CHANGES ("does MAINTAINERS
# need updating?") is raised for every added file whether or not an entry
# covers it; instead, each added file is checked below against MAINTAINERS.
for p in "${patches[@]}"; do
	name=$(basename "$p")
	out=$(perl "$src/scripts/checkpatch.pl" --strict --no-tree --no-color \
		--ignore FILE_PATH_CHANGES "$p" 2>&1) || true
	summary=$(grep -E '^total:' <<<"$out" || echo "total: ?")
	if grep -qE '^total: 0 errors, 0 warnings' <<<"$out"; then
		record check "checkpatch --strict $name" PASS 0 "$summary"
	else
		grep -E '^(ERROR|WARNING)' <<<"$out" | sed 's/^/  /' >&2 || true
		record check "checkpatch --strict $name" FAIL 0 "$summary"
	fi
done

# every file the series adds is covered by a MAINTAINERS entry
for f in $(git -C "$patched" diff --name-only --diff-filter=A base HEAD~1); do
	m=$(cd "$patched" && { perl scripts/get_maintainer.pl --no-git --no-rolestats -f "$f" 2>/dev/null |
		grep -c '@'; }) || m=0
	if [ "$m" -gt 0 ]; then
		record check "MAINTAINERS covers new file $f" PASS 0 "$m addresses"
	else
		record check "MAINTAINERS covers new file $f" FAIL 0 "no entry"
	fi
done

# bisect: build each patch of the series on its own. Cached per series
# content and toolchain: an unchanged series is not rebuilt.
key=$(cat "${patches[@]}" "$RIG_ROOT/configs/bisect.config" | sha256sum | cut -c1-16)
stamp=$CACHE/build/bisect.passed
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$key" ]; then
	for p in "${patches[@]}"; do
		record check "bisect build after $(basename "$p")" PASS 0 "cached: passed for this series ($key)"
	done
	exit 0
fi
bt=$CACHE/trees/bisect
bb=$CACHE/build/bisect
if [ ! -e "$bt/.git" ]; then
	git -C "$src" worktree prune
	git -C "$src" worktree add -q --detach "$bt" base
fi
mapfile -t margs < <(kmake_args gcc)
# The last patch is not built here: its commit, plus the KUnit graft (which
# only adds files), is exactly what the full GCC and Clang builds compile.
mapfile -t commits < <(git -C "$patched" rev-list --reverse base..HEAD~2)
mkdir -p "$bb"
fail=0
for i in "${!commits[@]}"; do
	c=${commits[$i]}
	name=$(basename "${patches[$i]}")
	t=$(date +%s)
	git -C "$bt" -c advice.detachedHead=false checkout -q -f --detach "$c"
	if [ ! -f "$bb/.config" ]; then
		make -C "$bt" O="$bb" "${margs[@]}" tinyconfig >"$LOGS/bisect-config.log" 2>&1
	fi
	(cd "$bt" && ARCH=arm64 scripts/kconfig/merge_config.sh -m -O "$bb" "$bb/.config" \
		"$RIG_ROOT/configs/bisect.config") >>"$LOGS/bisect-config.log" 2>&1
	log "bisect: building after $name"
	if make -C "$bt" O="$bb" "${margs[@]}" olddefconfig vmlinux >"$LOGS/bisect-$i.log" 2>&1; then
		record check "bisect build after $name" PASS $(($(date +%s) - t))
	else
		grep -m5 -E "error" "$LOGS/bisect-$i.log" >&2 || true
		record check "bisect build after $name" FAIL $(($(date +%s) - t)) "see $LOGS/bisect-$i.log"
		fail=1
	fi
done
record check "bisect build after $(basename "${patches[-1]}")" PASS 0 \
	"built as the patched kernels (kernel-gcc, kernel-clang)"
[ "$fail" -eq 0 ] && echo "$key" >"$stamp"
exit "$fail"
