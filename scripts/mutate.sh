#!/usr/bin/env bash
# make mutate: mutation testing of the series' kernel code. Each
# mutants/NAME.patch is applied on top of the patched tree as one commit of
# the "mutant" worktree, built incrementally (GCC, the patched kernels'
# configuration), and run through the KUnit suite and the insmod runner.
# A mutant is killed when at least one case fails. A surviving mutant fails
# the run unless its header has an "Unobservable:" line saying why no test
# here can see it. A mutant that does not apply or build is an error.
#   mutate.sh [NAME...]     default: every mutants/*.patch
# Results: out/mutate/summary.tsv and the table printed at the end; each
# mutant's own logs and results in out/mutate/NAME/.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

S=$RIG_ROOT/scripts
GIT=(git -c user.name=arm64-static-call-rig -c user.email=rig@localhost
	-c advice.detachedHead=false)
patched=$(tree_dir patched)
[ -e "$patched/.git" ] || die "no patched tree: run 'make tree' first"
src=$(cat "$CACHE/src/current-$BASE")
base=$("${GIT[@]}" -C "$patched" rev-parse HEAD)
mt=$(tree_dir mutant)
# A mutant with a "Tree: inline" header applies to the inline tree (the
# series plus patches/<base>-inline/) and is built with the inline config.
inline_base=
if [ -e "$(tree_dir inline)/.git" ]; then
	inline_base=$("${GIT[@]}" -C "$(tree_dir inline)" rev-parse HEAD)
fi

if [ "$#" -eq 0 ]; then
	mapfile -t names < <(find "$RIG_ROOT/mutants" -name '*.patch' -printf '%f\n' | sed 's/\.patch$//' | sort)
else
	names=("$@")
fi
[ "${#names[@]}" -gt 0 ] || die "no mutants in $RIG_ROOT/mutants"

exec 9>"$CACHE/.tree.lock"
flock 9
if [ ! -e "$mt/.git" ]; then
	rm -rf "$mt"
	"${GIT[@]}" -C "$src" worktree prune
	"${GIT[@]}" -C "$src" worktree add -q --detach "$mt" "$base"
fi
flock -u 9

# A mutant may hang a guest: shorter limits than the normal runs (which
# pass in well under a minute each on this machine).
export BOOT_TIMEOUT=${MUTATE_BOOT_TIMEOUT:-150}
export KMOD_TIMEOUT=${MUTATE_KMOD_TIMEOUT:-240}

top=$OUT/mutate
mkdir -p "$top"
summary=$top/summary.tsv
: >"$summary"
killed=0 survived=0 unobservable=0 errors=0

for name in "${names[@]}"; do
	patch=$RIG_ROOT/mutants/$name.patch
	[ -f "$patch" ] || die "no such mutant: $patch"
	what=$(sed -n 's/^Mutant: //p' "$patch" | head -n1)
	why=$(sed -n 's/^Unobservable: //p' "$patch" | head -n1)
	mtree=$(sed -n 's/^Tree: //p' "$patch" | head -n1)
	mbase=$base mv=mutant
	if [ "$mtree" = inline ]; then
		[ -n "$inline_base" ] || die "mutant $name needs the inline tree: run 'scripts/tree.sh inline'"
		mbase=$inline_base mv=mutant-inline
	fi
	out=$top/$name
	rm -rf "$out"
	mkdir -p "$out/logs"
	log "mutant $name: $what"

	"${GIT[@]}" -C "$mt" checkout -q -f --detach "$mbase"
	"${GIT[@]}" -C "$mt" clean -q -fdx -e '/build-*'
	if ! "${GIT[@]}" -C "$mt" apply --index "$patch" 2>"$out/logs/apply.log"; then
		log "mutant $name: does not apply to the patched tree, see $out/logs/apply.log"
		printf '%s\tERROR\tdoes not apply\t%s\n' "$name" "$what" >>"$summary"
		errors=$((errors + 1))
		continue
	fi
	"${GIT[@]}" -C "$mt" commit -q -m "mutant: $name"

	t=$(date +%s)
	if ! ARM64SC_OUT=$out "$S/build.sh" "$mv" >"$out/logs/stage.log" 2>&1; then
		log "mutant $name: build failed, see $out/logs/build-$mv.log"
		printf '%s\tERROR\tbuild failed\t%s\n' "$name" "$what" >>"$summary"
		errors=$((errors + 1))
		continue
	fi
	ARM64SC_OUT=$out "$S/kunit.sh" "$mv" >>"$out/logs/stage.log" 2>&1 || true
	# -P: one load beyond B range of the kernel, where module trampolines
	# aimed at kernel code start on their literal path.
	ARM64SC_OUT=$out KMOD_ARGS=-P "$S/kmod.sh" "$mv" >>"$out/logs/stage.log" 2>&1 || true
	# The failing checks, "stage: check" each, kunit first.
	by=$(awk -F'\t' '$3 == "FAIL" { sub(/-mutant(-inline)?$/, "", $1); printf "%s%s: %s", sep, $1, $2; sep = "; " }' \
		"$out/results.tsv" 2>/dev/null || true)
	secs=$(($(date +%s) - t))
	if [ -n "$by" ]; then
		verdict=killed
		killed=$((killed + 1))
	elif [ -n "$why" ]; then
		verdict=unobservable
		by="not observable here: $why"
		unobservable=$((unobservable + 1))
	else
		verdict=SURVIVED
		by="no case failed"
		survived=$((survived + 1))
	fi
	log "mutant $name: $verdict in ${secs}s ($by)"
	printf '%s\t%s\t%s\t%s\n' "$name" "$verdict" "$by" "$what" >>"$summary"
done

echo
echo "==================== mutants ===================="
awk -F'\t' '{ printf "  %-24s %-12s %s\n", $1, $2, $3 }' "$summary"
echo "================================================="
total=${#names[@]}
echo "mutation score: $killed of $((total - unobservable)) observable mutants killed;" \
	"$unobservable unobservable, $survived survived, $errors errors"
[ "$survived" -eq 0 ] && [ "$errors" -eq 0 ]
