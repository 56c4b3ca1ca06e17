#!/usr/bin/env bash
# Prepare the kernel trees of $BASE (scripts/tables/bases.tsv) in the cache:
#   src/debian-<version>/  the base source as a git repository (branch "base")
#   trees/<base>/patched/  worktree: base + patches/<series>/ (git am) + test graft
#   trees/<base>/baseline/ worktree: base + test graft (the unpatched control)
#   trees/<base>/inline/   worktree: base + the series + the inline call-site
#                          series (patches/<base>-inline/) + test graft
#   trees/<base>/bisect/   worktree where the series is applied with git am
#                          (so a failure leaves the two above untouched), then
#                          used by check-series.sh to build patch by patch
# The base is Debian's linux-source-<base> tarball: from the system's apt
# (bookworm, installed by deps.sh), or for a base from another suite
# (unstable, experimental) downloaded through a private apt sources list and
# state directory in the cache and unpacked with dpkg-deb, so the system's
# apt configuration is never changed. Or, for the default base, KSRC=/path
# (copied, the user's tree is never modified). A worktree is only moved when its inputs
# changed, and then with "git checkout", which rewrites only the files that
# differ, so the incremental kernel build after it rebuilds what it must.
#   tree.sh [TREE...|all]   TREE: patched, baseline, inline (scripts/tables/trees.tsv)
set -euo pipefail
. "$(dirname "$0")/../lib/lib.sh"
rig_init

which=${1:-all}
GIT=(git -c user.name=arm64-static-call-rig -c user.email=rig@localhost
	-c advice.detachedHead=false -c core.autocrlf=false)

prepare_base() {
	local src ver want
	if [ -n "${KSRC:-}" ]; then
		if [ ! -f "$KSRC/Makefile" ] || [ ! -d "$KSRC/arch/arm64" ]; then
			die "KSRC=$KSRC is not a kernel source tree (no Makefile or arch/arm64)"
		fi
		ver=$(make -s -C "$KSRC" kernelversion 2>/dev/null) ||
			die "KSRC=$KSRC: 'make kernelversion' failed"
		want=$(base_col "$BASE" version)
		case $ver in "$want".*) ;; *) log "warning: KSRC is $ver, the series in $(series_dir) targets $want" ;; esac
		src=$CACHE/src/ksrc-$(realpath "$KSRC" | sha256sum | cut -c1-12)
		mkdir -p "$src"
		log "copying KSRC=$KSRC ($ver) into $src"
		rsync -a --delete --exclude=/.git --exclude='*.o' --exclude='*.cmd' \
			--exclude=/.config "$KSRC"/ "$src"/
	else
		local pkg suite tarball pkgver source
		pkg=$(base_col "$BASE" package)
		suite=$(base_col "$BASE" suite)
		source=$(base_col "$BASE" source)
		if [ "$source" = debian-installed ]; then
			tarball=/usr/src/$pkg.tar.xz
			[ -f "$tarball" ] || die "$tarball missing: run 'make deps' (apt-get install $pkg)"
			pkgver=$(dpkg-query -W -f='${Version}' "$pkg")
		elif [ "$source" = debian-fetch ]; then
			fetch_deb "$pkg" "$suite"
			tarball=$DEB_ROOT/usr/src/$pkg.tar.xz
			pkgver=$DEB_VERSION
			[ -f "$tarball" ] || die "$pkg $pkgver has no $tarball"
		else
			die "base $BASE: unknown source '$source' (scripts/tables/bases.tsv: debian-installed or debian-fetch)"
		fi
		src=$CACHE/src/debian-$pkgver
		if [ ! -f "$src/.rig-extracted" ]; then
			rm -rf "$src" "$src.tmp"
			mkdir -p "$src.tmp"
			log "extracting $tarball ($pkgver)"
			tar -C "$src.tmp" -xf "$tarball"
			mv "$src.tmp/$pkg" "$src"
			rmdir "$src.tmp"
			touch "$src/.rig-extracted"
		fi
	fi
	if [ ! -d "$src/.git" ]; then
		"${GIT[@]}" -C "$src" init -q -b base .
	fi
	# Debian's tarball ignores everything at the top level (/* in
	# .gitignore): force-add so the base commit holds the whole tree.
	"${GIT[@]}" -C "$src" add -f -A . >/dev/null
	if ! "${GIT[@]}" -C "$src" diff --cached --quiet HEAD 2>/dev/null; then
		ver=$(make -s -C "$src" kernelversion)
		log "committing base tree $ver (once per base)"
		"${GIT[@]}" -C "$src" commit -q --allow-empty -m "Linux $ver (base for arm64-static-call)"
	fi
	echo "$src" >"$CACHE/src/current-$BASE"
}

# fetch_deb PACKAGE SUITE: the newest PACKAGE of SUITE, downloaded with
# apt-get through private lists in $CACHE/apt/SUITE and unpacked once into
# $CACHE/debs/PACKAGE_VERSION ($DEB_ROOT, $DEB_VERSION).
fetch_deb() {
	local pkg=$1 suite=$2
	apt_private "$CACHE/apt/$suite" "$(dpkg --print-architecture)" "$suite"
	mkdir -p "$CACHE/debs"
	DEB_VERSION=$(apt-cache "${APT_OPTS[@]}" madison "$pkg" | awk -v s="$suite" '$0 ~ s && v == "" { v = $3 } END { print v }')
	[ -n "$DEB_VERSION" ] || die "$pkg not found in Debian $suite (see $LOGS/apt-$suite.log)"
	DEB_ROOT=$CACHE/debs/${pkg}_${DEB_VERSION//[:~]/_}
	if [ ! -f "$DEB_ROOT/.rig-unpacked" ]; then
		local dl=$CACHE/debs/download
		rm -rf "$dl" "$DEB_ROOT"
		mkdir -p "$dl"
		log "downloading $pkg $DEB_VERSION from $suite"
		(cd "$dl" && apt-get "${APT_OPTS[@]}" download "$pkg=$DEB_VERSION") >"$LOGS/apt-download-$pkg.log" 2>&1 ||
			die "apt-get download $pkg=$DEB_VERSION failed, see $LOGS/apt-download-$pkg.log"
		dpkg-deb -x "$dl"/*.deb "$DEB_ROOT"
		rm -rf "$dl"
		touch "$DEB_ROOT/.rig-unpacked"
	fi
}

# The series is applied with git am in the bisect worktree, used as
# scratch; the resulting commit is then checked out in the real worktree.
scratch_apply() {
	local src=$1 kind=$2 scratch
	scratch=$(tree_dir bisect)
	if [ ! -e "$scratch/.git" ]; then
		rm -rf "$scratch"
		"${GIT[@]}" -C "$src" worktree prune
		mkdir -p "$(dirname "$scratch")"
		"${GIT[@]}" -C "$src" worktree add -q --detach "$scratch" base
	fi
	"${GIT[@]}" -C "$scratch" am --abort >/dev/null 2>&1 || true
	"${GIT[@]}" -C "$scratch" checkout -q -f --detach base
	# Keep the bisect build directory (check-series.sh) across runs.
	"${GIT[@]}" -C "$scratch" clean -q -fdx -e '/build-*'
	local p
	for p in $(tree_patches "$kind"); do
		if ! "${GIT[@]}" -C "$scratch" am -q --keep-cr "$p" >"$LOGS/git-am.log" 2>&1; then
			{
				echo "error: patch does not apply to $(make -s -C "$src" kernelversion): $(basename "$p")"
				sed -n 's/^error: /  /p; s/^Patch failed at [0-9]* /  subject: /p' "$LOGS/git-am.log"
				"${GIT[@]}" -C "$scratch" am --show-current-patch=diff 2>/dev/null |
					grep -m3 '^@@' | sed 's/^/  hunk: /' || true
				echo "  full output: $LOGS/git-am.log"
			} >&2
			"${GIT[@]}" -C "$scratch" am --abort >/dev/null 2>&1 || true
			return 1
		fi
	done
	"$RIG_ROOT/scripts/sources/graft.sh" "$scratch"
	# -f: Debian's .gitignore ignores everything; but never the bisect
	# build directory, which lives in this worktree.
	"${GIT[@]}" -C "$scratch" add -f -A -- . ':(exclude,top)build-*' >/dev/null
	"${GIT[@]}" -C "$scratch" commit -q -m "rig: graft the arm64_static_call KUnit suite and static_call selftest (not for upstream)"
	"${GIT[@]}" -C "$scratch" rev-parse HEAD
}

prepare_tree() {
	local kind=$1 src key dir commit
	src=$(cat "$CACHE/src/current-$BASE")
	dir=$(tree_dir "$kind")
	key=$( {
		"${GIT[@]}" -C "$src" rev-parse base
		echo "$kind"
		tree_patches "$kind" | xargs -r cat
		cat "$RIG_ROOT"/kunit/*.c "$RIG_ROOT"/kunit/*.h "$RIG_ROOT"/common/*.h \
			"$RIG_ROOT"/kunit/Kconfig \
			"$RIG_ROOT"/kmod/static_call_test.c \
			"$RIG_ROOT"/kmod/selftest/{Makefile,config,settings,static_call.sh} \
			"$RIG_ROOT"/kmod/selftest/test_modules/Makefile \
			"$RIG_ROOT/scripts/sources/graft.sh" "$RIG_ROOT/scripts/sources/tree.sh" 2>/dev/null
	} | sha256sum | cut -c1-16)
	if [ -f "$dir/.rig-key" ] && [ "$(cat "$dir/.rig-key")" = "$key" ]; then
		log "tree $kind: up to date ($key)"
		return 0
	fi
	commit=$(scratch_apply "$src" "$kind") || die "could not prepare the $kind tree"
	if [ ! -e "$dir/.git" ]; then
		rm -rf "$dir"
		"${GIT[@]}" -C "$src" worktree prune
		mkdir -p "$(dirname "$dir")"
		"${GIT[@]}" -C "$src" worktree add -q --detach "$dir" "$commit"
	else
		"${GIT[@]}" -C "$dir" checkout -q -f --detach "$commit"
	fi
	echo "$key" >"$dir/.rig-key"
	log "tree $kind: $("${GIT[@]}" -C "$dir" log --oneline base..HEAD | wc -l) commits on base ($key)"
}

# One tree preparation at a time: two would fight over the git index.
exec 9>"$CACHE/.tree.lock"
flock 9

prepare_base
# tree.sh TREE... (scripts/tables/trees.tsv, prepared=yes); "all" is patched and
# baseline.
[ "$which" != all ] || set -- patched baseline
[ $# -gt 0 ] || set -- "$which"
for t in "$@"; do
	[ "$(table_one "$TREES_TSV" prepared tree="$t" 2>/dev/null)" = yes ] ||
		die "tree.sh: '$t' is not a tree it prepares (scripts/tables/trees.tsv: $(table_get "$TREES_TSV" tree prepared=yes | tr '\n' ' '))"
	# A tree whose series the base lacks (no inline series on 7.2).
	for s in $(table_one "$TREES_TSV" series tree="$t" | tr ',' ' '); do
		case $s in *:*)
			[ "$(base_col "$BASE" "${s#*:}")" != - ] ||
				die "base $BASE has no ${s#*:} (scripts/tables/bases.tsv), so no $t tree"
			s=${s%%:*} ;;
		esac
		[ "$s" = - ] || [ "$(base_col "$BASE" "$s")" != - ] ||
			die "base $BASE has no $s (scripts/tables/bases.tsv), so no $t tree"
	done
	prepare_tree "$t"
done
