#!/usr/bin/env bash
# Verify the patch series itself:
#   apply      git am of every patch on the base (done by tree.sh)
#   checkpatch scripts/checkpatch.pl --strict: no errors, warnings or checks
#   per-patch  every patch in turn builds an arm64 kernel (the baseline's
#              config; the last one is the patched kernels' own build)
# The built-kernel checks (layout of the trampolines in vmlinux, W=1 on the
# touched files) are in check-vmlinux.sh, run after each full build.
#   inline     the inline call-site series (patches/<base>-inline/, on top
#              of the series): git am, checkpatch --strict (libelf's own
#              CamelCase type names accepted in the host program, as in
#              objtool), MAINTAINERS for the added file, and its first
#              patch built on its own with the series' configuration
#   check-series.sh [static|per-patch|all|inline]   (default all)
set -euo pipefail
. "$(dirname "$0")/../lib/lib.sh"
rig_init
kbuild_env

what=${1:-all}
case $what in static | per-patch | all | inline) ;; *) die "usage: check-series.sh [static|per-patch|all|inline]" ;; esac

src=$(cat "$CACHE/src/current-$BASE" 2>/dev/null) || die "no $BASE base tree: run 'make tree BASE=$BASE'"
patched=$(tree_dir patched)
[ -d "$patched" ] || die "no patched tree: run 'make tree'"
mapfile -t patches < <(series_patches)
[ "${#patches[@]}" -gt 0 ] || die "no patches in $(series_dir)"

# Stage names and variants of $BASE: "check", "bisect" on the default base.
sfx=$(base_suffix "$BASE")
bisect_v=$(variant_id bisect)
# The per-patch build with the feature on, where the base has one.
bisect_on_v=$(table_one "$VARIANTS_TSV" id base="$BASE" name=bisect-on 2>/dev/null) || bisect_on_v=
need_bisect_on() { [ -n "$bisect_on_v" ] || die "no bisect-on variant on base $BASE (scripts/tables/variants.tsv)"; }

# checkpatch --strict on a patch, its report on stdout (its exit status is
# the verdict's, read from the report's total line). Run from the logs
# directory: checkpatch caches CamelCase words in a file in its current
# directory, which must not be the clone.
checkpatch() {
	(cd "$LOGS" && perl "$src/scripts/checkpatch.pl" --strict --no-tree --no-color \
		--ignore FILE_PATH_CHANGES "$1" 2>&1) || true
}

# build_step STAGE WHAT COMMIT VARIANT LOG: the bisect worktree moved to
# COMMIT, the tests grafted, built as VARIANT (output in LOG), recorded as
# WHAT; fails (showing LOG) when the build does.
build_step() {
	local stage=$1 what=$2 c=$3 v=$4 logf=$5 t
	t=$(date +%s)
	log "$stage: $what"
	git -C "$(tree_dir bisect)" -c advice.detachedHead=false checkout -q -f --detach "$c"
	"$RIG_ROOT/scripts/sources/graft.sh" "$(tree_dir bisect)"
	if "$RIG_ROOT/scripts/build/build.sh" "$v" >"$logf" 2>&1; then
		record "$stage" "$what" PASS $(($(date +%s) - t))
		return 0
	fi
	sed 's/^/  /' "$logf" >&2
	record "$stage" "$what" FAIL $(($(date +%s) - t)) "see $logf and $LOGS/build-$v.log"
	return 1
}

# cover_check STAGE DIR: the cover letter mailed (DIR/0000-cover-letter.patch)
# says what DIR/cover-letter.txt says, which export-series.sh puts into it
# on the next export: an edit made to one of them only would be lost or
# mailed unreviewed.
cover_check() {
	local stage=$1 dir=$2 name
	name=${dir#"$RIG_ROOT"/}
	if [ ! -f "$dir/0000-cover-letter.patch" ] || [ ! -f "$dir/cover-letter.txt" ]; then
		record "$stage" "cover letter: $name/0000-cover-letter.patch and cover-letter.txt" FAIL 0 "one of them is missing"
		return 1
	fi
	# The body of the mail: after the headers, up to the shortlog's first
	# author line ("Name (N):").
	if diff -u <(tail -n +3 "$dir/cover-letter.txt") \
		<(awk 'hdr && /^[^ \t].*\([0-9]+\):$/ { exit } hdr { print } !hdr && /^$/ { hdr = 1 }' \
			"$dir/0000-cover-letter.patch" | sed -e :a -e '/^\n*$/{$d;N;ba' -e '}') >"$LOGS/cover-$(basename "$dir").diff"; then
		record "$stage" "cover letter: $name/0000-cover-letter.patch carries cover-letter.txt" PASS 0
	else
		record "$stage" "cover letter: $name/0000-cover-letter.patch carries cover-letter.txt" FAIL 0 "they differ: $LOGS/cover-$(basename "$dir").diff"
		return 1
	fi
}

static_checks() {
	# apply: tree.sh already applied the series with git am; confirm the commits.
	n=$(git -C "$patched" log --oneline base..HEAD~1 | wc -l)
	if [ "$n" -eq "${#patches[@]}" ]; then
		record "check$sfx" "git am: ${#patches[@]} patches apply to $(make -s -C "$src" kernelversion)" PASS 0
	else
		record "check$sfx" "git am: patches apply" FAIL 0 "$n commits for ${#patches[@]} patches"
	fi

	# checkpatch, one record per patch. FILE_PATH_CHANGES ("does MAINTAINERS
	# need updating?") is raised for every added file whether or not an entry
	# covers it; instead, each added file is checked below against MAINTAINERS.
	for p in "${patches[@]}"; do
		name=$(basename "$p")
		out=$(checkpatch "$p")
		summary=$(grep -E '^total:' <<<"$out" || echo "total: ?")
		if grep -qE '^total: 0 errors, 0 warnings, 0 checks' <<<"$out"; then
			record "check$sfx" "checkpatch --strict $name" PASS 0 "$summary"
		else
			grep -E '^(ERROR|WARNING|CHECK)' <<<"$out" | sed 's/^/  /' >&2 || true
			record "check$sfx" "checkpatch --strict $name" FAIL 0 "$summary"
		fi
	done

	# Every file the series adds must be matched by the STATIC BRANCH/CALL
	# entry (by an F: pattern, not the catch-all THE REST that answers for
	# any file) and by the ARM64 PORT entry.
	for f in $(git -C "$patched" diff --name-only --diff-filter=A base HEAD~1); do
		secs=$( (cd "$patched" && perl scripts/get_maintainer.pl --no-git --no-rolestats \
			--sections -f "$f") 2>/dev/null | grep -E '^[A-Z][A-Z0-9 /()_-]+$') || secs=""
		missing=()
		for want in "STATIC BRANCH/CALL" "ARM64 PORT (AARCH64 ARCHITECTURE)"; do
			grep -qxF "$want" <<<"$secs" || missing+=("$want")
		done
		if [ "${#missing[@]}" -eq 0 ]; then
			record "check$sfx" "MAINTAINERS: STATIC BRANCH/CALL and ARM64 PORT cover $f" PASS 0
		else
			record "check$sfx" "MAINTAINERS: entries cover $f" FAIL 0 "not matched by: ${missing[*]}"
		fi
	done

	cover_check "check$sfx" "$(series_dir)" || true
	shared_check
	kconfig_attempt
}

# The patches this series shares with another base's series (bases.tsv
# "shared"): the lines they add must differ only as patches/README.md
# lists, line by line. The inline series' own pair: SHARED_COL=inline_shared,
# SHARED_SERIES_COL=inline_series, SHARED_BLOCK=series-diff-inline,
# SHARED_STAGE=check-inline<sfx>.
shared_check() {
	local col=${SHARED_COL:-shared} scol=${SHARED_SERIES_COL:-series}
	local stage=${SHARED_STAGE:-check$sfx} block=${SHARED_BLOCK:-series-diff}
	local shared f1 b2 f2 n out
	shared=$(base_col "$BASE" "$col")
	[ "$shared" != - ] || return 0
	IFS=: read -r f1 b2 f2 n <<<"$shared"
	if out=$(python3 "$RIG_ROOT/scripts/judges/series-diff.py" \
		"$RIG_ROOT/patches/$(base_col "$BASE" "$scol")" "$f1" \
		"$RIG_ROOT/patches/$(base_col "$b2" "$scol")" "$f2" "$n" \
		--expect "$RIG_ROOT/patches/README.md" --block "$block" 2>&1); then
		record "$stage" "patches $f1-$((f1 + n - 1)) add the lines of $b2's $f2-$((f2 + n - 1)) but for those patches/README.md lists" PASS 0 "$out"
	else
		awk '{ print "  " $0 }' <<<"$out" >&2
		record "$stage" "patches $f1-$((f1 + n - 1)) add the lines of $b2's $f2-$((f2 + n - 1))" FAIL 0 "differences not in patches/README.md (above)"
		return 1
	fi
}

# With kCFI, static calls cannot be turned off: a configuration that asks
# for kCFI and ARM64_STATIC_CALL=n still gets HAVE_STATIC_CALL (the crash
# the series fixes cannot come back through Kconfig). Kconfig alone, with
# the toolchain that has kCFI (toolchains.tsv); cached by the Kconfig files.
kconfig_attempt() {
	local kcfi o key stamp got ka
	kcfi=$(base_col "$BASE" kcfi)
	o=$CACHE/build/kconfig-attempt-$BASE
	key=$(cat "$patched/arch/arm64/Kconfig" "$patched/init/Kconfig" "$patched/arch/Kconfig" |
		sha256sum | cut -c1-16)
	stamp=$o/.passed
	if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$key" ]; then
		record "check$sfx" "Kconfig: $kcfi=y with ARM64_STATIC_CALL=n gives HAVE_STATIC_CALL=y" PASS 0 "cached ($key)"
		return 0
	fi
	rm -rf "$o"
	mkdir -p "$o"
	mapfile -t ka < <(kmake_args "$(table_one "$TOOLCHAINS_TSV" toolchain kcfi=yes)")
	if make -s -C "$patched" O="$o" "${ka[@]}" defconfig >"$LOGS/kconfig-attempt$sfx.log" 2>&1 &&
		"$patched/scripts/config" --file "$o/.config" -e "$kcfi" -d ARM64_STATIC_CALL &&
		make -s -C "$patched" O="$o" "${ka[@]}" olddefconfig >>"$LOGS/kconfig-attempt$sfx.log" 2>&1; then
		got=$(grep -E "^CONFIG_($kcfi|HAVE_STATIC_CALL|ARM64_STATIC_CALL)=" "$o/.config" | tr '\n' ' ')
		if grep -qx "CONFIG_$kcfi=y" "$o/.config" && grep -qx "CONFIG_HAVE_STATIC_CALL=y" "$o/.config"; then
			echo "$key" >"$stamp"
			record "check$sfx" "Kconfig: $kcfi=y with ARM64_STATIC_CALL=n gives HAVE_STATIC_CALL=y" PASS 0 "$got"
		else
			record "check$sfx" "Kconfig: $kcfi=y with ARM64_STATIC_CALL=n" FAIL 0 "got: ${got:-neither}"
		fi
	else
		record "check$sfx" "Kconfig: $kcfi=y with ARM64_STATIC_CALL=n" FAIL 0 "make failed, see $LOGS/kconfig-attempt$sfx.log"
	fi
}

# bisect: build each patch of the series on its own, in the bisect
# worktree, with the KUnit suite grafted (uncommitted) and the unpatched
# Clang kCFI kernel's configuration (clang-base's fragments,
# scripts/tables/variants.tsv): static calls, and so the code the series
# changes, are only built with CFI there until the last patch. Patch by
# patch the tree then differs from the baseline only by the series so far,
# and with build-bisect a subdirectory of its tree every untouched object
# is a ccache hit from the clang-base build (Documentation/rig.md, "Caches
# and keys"). Cached per series, fragments, suite and common/.
bisect_builds() {
	local key stamp bt c i name t fail=0
	mapfile -t frags < <(variant_fragments "$bisect_v")
	key=$(cat "${patches[@]}" "${frags[@]}" "$RIG_ROOT"/kunit/*.c \
		"$RIG_ROOT"/kunit/*.h "$RIG_ROOT"/common/*.h \
		"$RIG_ROOT/kunit/Kconfig" | sha256sum | cut -c1-16)
	stamp=$CACHE/build/$bisect_v.passed
	if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$key" ]; then
		# The rows the builds recorded: every patch but the last.
		for p in "${patches[@]:0:${#patches[@]}-1}"; do
			record "bisect$sfx" "bisect build after $(basename "$p")" PASS 0 "cached: passed for this series ($key)"
		done
		return 0
	fi
	rm -f "$stamp"
	bt=$(tree_dir bisect)
	[ -e "$bt/.git" ] || die "no bisect tree: run 'make tree'"
	# tree.sh uses this worktree too: one of us at a time.
	exec 9>"$CACHE/.tree.lock"
	flock 9
	# The last patch is not built here: its commit, plus the KUnit graft,
	# is exactly what the full GCC and Clang builds compile.
	mapfile -t commits < <(git -C "$patched" rev-list --reverse base..HEAD~2)
	for i in "${!commits[@]}"; do
		c=${commits[$i]}
		name=$(basename "${patches[$i]}")
		if ! build_step "bisect$sfx" "bisect build after $name" "$c" "$bisect_v" "$LOGS/bisect$sfx-$i.log"; then
			fail=1
			break
		fi
		cp "$LOGS/build-$bisect_v.log" "$LOGS/bisect-build$sfx-$i.log"
	done
	[ "$fail" -eq 0 ] || return 1
	# The baseline's configuration leaves the feature off, so the patch
	# that adds ARM64_STATIC_CALL is also built with it on, unless it is
	# the last patch (then the patched kernels are that build).
	for i in "${!commits[@]}"; do
		c=${commits[$i]}
		git -C "$patched" show "$c:arch/arm64/Kconfig" | grep -q '^config ARM64_STATIC_CALL$' || continue
		name=$(basename "${patches[$i]}")
		need_bisect_on
		build_step "bisect$sfx" "bisect build after $name, ARM64_STATIC_CALL=y" "$c" \
			"$bisect_on_v" "$LOGS/bisect-on$sfx-$i.log" || return 1
		break
	done
	echo "$key" >"$stamp"
}

# The inline series: static checks and the build of each patch but the
# last (the inline kernels are the last one's build).
inline_checks() {
	local it n p name out summary rest f secs t c i fail=0
	mapfile -t ipatches < <(inline_patches)
	[ "${#ipatches[@]}" -gt 0 ] || die "base $BASE has no inline series (scripts/tables/bases.tsv)"
	it=$(tree_dir inline)
	[ -e "$it/.git" ] || die "no inline tree: run 'scripts/sources/tree.sh inline'"
	n=$(git -C "$it" log --oneline base..HEAD~1 | wc -l)
	if [ "$n" -eq $((${#patches[@]} + ${#ipatches[@]})) ]; then
		record "check-inline$sfx" "git am: the series and ${#ipatches[@]} inline patches apply to $(make -s -C "$src" kernelversion)" PASS 0
	else
		record "check-inline$sfx" "git am: inline patches apply" FAIL 0 "$n commits for ${#patches[@]} + ${#ipatches[@]} patches"
		fail=1
	fi
	for p in "${ipatches[@]}"; do
		name=$(basename "$p")
		out=$(checkpatch "$p")
		summary=$(grep -E '^total:' <<<"$out" || echo "total: ?")
		# Everything but CamelCase CHECKs on libelf's type names.
		rest=$(grep -E '^(ERROR|WARNING|CHECK)' <<<"$out" |
			grep -vE '^CHECK: Avoid CamelCase: <G?Elf(32|64)?_?[A-Za-z]*>$' || true)
		if [ -z "$rest" ] && grep -qE '^total: 0 errors, 0 warnings' <<<"$out"; then
			record "check-inline$sfx" "checkpatch --strict $name" PASS 0 "$summary (CHECKs only for libelf's type names)"
		else
			awk '{ print "  " $0 }' <<<"$rest" >&2
			record "check-inline$sfx" "checkpatch --strict $name" FAIL 0 "$summary"
			fail=1
		fi
	done
	cover_check "check-inline$sfx" "$RIG_ROOT/patches/$(base_col "$BASE" inline_series)" || fail=1
	# The series' last commit in the inline tree, below the inline patches.
	local v2tip
	v2tip=$(git -C "$it" rev-parse "HEAD~$((1 + ${#ipatches[@]}))")
	for f in $(git -C "$it" diff --name-only --diff-filter=A "$v2tip" HEAD~1); do
		secs=$( (cd "$it" && perl scripts/get_maintainer.pl --no-git --no-rolestats \
			--sections -f "$f") 2>/dev/null | grep -E '^[A-Z][A-Z0-9 /()_-]+$') || secs=""
		if grep -qxF "STATIC BRANCH/CALL" <<<"$secs"; then
			record "check-inline$sfx" "MAINTAINERS: STATIC BRANCH/CALL covers $f" PASS 0
		else
			record "check-inline$sfx" "MAINTAINERS: STATIC BRANCH/CALL covers $f" FAIL 0 "not matched"
			fail=1
		fi
	done
	# Each patch but the last, on its own, with the series' configuration.
	exec 9>"$CACHE/.tree.lock"
	flock 9
	mapfile -t commits < <(git -C "$it" rev-list --reverse "$v2tip..HEAD~2")
	for i in "${!commits[@]}"; do
		name=$(basename "${ipatches[$i]}")
		need_bisect_on
		build_step "check-inline$sfx" "bisect build after $name (ARM64_STATIC_CALL=y)" "${commits[$i]}" \
			"$bisect_on_v" "$LOGS/check-inline$sfx-$i.log" || fail=1
	done
	flock -u 9
	SHARED_COL=inline_shared SHARED_STAGE="check-inline$sfx" SHARED_SERIES_COL=inline_series \
		SHARED_BLOCK=series-diff-inline shared_check || fail=1
	return "$fail"
}

case $what in
inline) inline_checks ;;
static) static_checks ;;
per-patch) bisect_builds ;;
all) static_checks && bisect_builds ;;
esac
