#!/usr/bin/env bash
# make mutate: mutation testing of the series' kernel code. Each
# mutants/NAME.patch is applied on top of its base's patched tree (or the
# inline tree) as one commit of that base's "mutant" worktree, built
# incrementally (GCC, the patched kernels' configuration plus the kernel's
# hang detectors, configs/mutant.config), and run through the KUnit suite
# and, unless the suite already killed it, the module selftest (with its
# load beyond B range).
#
# A mutant is killed only by
#   test   a named case (KUnit, module or selftest test) that failed with a
#          message of its own, or
#   crash  the kernel's own report in a guest's console log: CFI failure,
#          oops, BUG, panic, soft or hard lockup, hung task, RCU stall; or
#          the series' own error messages ($SERIES_REPORT_PAT).
# Anything else that goes wrong is an ERROR, which fails the run: a patch
# that does not apply, a kernel that does not build, a stage that ended
# non-zero without a test verdict or a kernel report (a guest timeout that
# the kernel did not explain, no KTAP, no cases). A mutant that nothing
# caught SURVIVED (a failure) unless its header says why it is
# "Unobservable:".
#
# Verdicts are cached in $CACHE/mutate/ under a hash of the mutant's text
# (not its path: a run in another clone finds them), its base's series,
# the tests (kunit/, kmod/, common/), the configs, the rig (scripts/), the
# host tools (tools/) and QEMU's version: a run cut short resumes where it
# stopped, and a change to any of those inputs runs the mutant again.
# MUTATE_FRESH=1 ignores the cache.
#   mutate.sh [--tree BASE/TREE[,BASE/TREE...]] [NAME...]
#                           default: every mutants/*.patch; --tree keeps
#                           the mutants of those trees (6.12/patched;
#                           6.12/inline; 7.2/patched,7.2/inline), the unit
#                           of the evidence rows mutate-6.12, -inline and
#                           -7.2
# Results: out/mutate/summary[-BASE-TREE].tsv, the table printed at the end
# (and as Markdown in out/mutate/table[-BASE-TREE].md); each
# mutant's own logs and results in out/mutate/NAME/.
set -euo pipefail
. "$(dirname "$0")/../lib/lib.sh"
rig_init

S=$RIG_ROOT/scripts
GIT=(git -c user.name=arm64-static-call-rig -c user.email=rig@localhost
	-c advice.detachedHead=false)

only_tree=
if [ "${1:-}" = --tree ]; then
	[ "$#" -ge 2 ] || die "usage: mutate.sh [--tree BASE/TREE] [NAME...]"
	only_tree=$2
	shift 2
fi
if [ "$#" -eq 0 ]; then
	mapfile -t names < <(find "$RIG_ROOT/mutants" -name '*.patch' -printf '%f\n' | sed 's/\.patch$//' | sort)
else
	names=("$@")
fi
[ "${#names[@]}" -gt 0 ] || die "no mutants in $RIG_ROOT/mutants"

# mutant_field NAME HEADER: the first "HEADER: value" line of the mutant.
mutant_field() { sed -n "s/^$2: //p" "$RIG_ROOT/mutants/$1.patch" | head -n1; }

# Run the mutants of one tree together (base, then tree): each base's
# worktree moves between its patched and inline commits once, not once per
# mutant, and the incremental builds stay incremental.
for name in "${names[@]}"; do
	[ -f "$RIG_ROOT/mutants/$name.patch" ] || die "no such mutant: $RIG_ROOT/mutants/$name.patch"
done
mapfile -t names < <(for name in "${names[@]}"; do
	mb=$(mutant_field "$name" Base)
	printf '%s\t%s\t%s\n' "${mb:-$DEFAULT_BASE}" "$(mutant_field "$name" Tree)" "$name"
done | sort -t $'\t' -k1,1 -k2,2 -k3,3 |
	awk -F'\t' -v t="$only_tree" 'BEGIN { n = split(t, want, ",") }
		{ tr = $1 "/" ($2 == "" ? "patched" : $2); ok = (t == "")
		  for (i = 1; i <= n; i++) if (tr == want[i]) ok = 1 }
		ok' | cut -f3)
[ "${#names[@]}" -gt 0 ] || die "no mutants of tree '$only_tree' (the Base: and Tree: lines of mutants/*.patch)"

# A mutant may hang a guest: shorter limits than the normal runs (which
# pass in well under a minute each on this machine). The hang detectors
# of configs/mutant.config report within 30 s.
export BOOT_TIMEOUT=${MUTATE_BOOT_TIMEOUT:-150}
export KMOD_TIMEOUT=${MUTATE_KMOD_TIMEOUT:-240}

# The inputs every verdict depends on, besides the mutant itself: the
# tests, the configs, the rig, the host tools it runs (sc-sites) and the
# emulator that runs the guests.
rig_hash() {
	{
		(cd "$RIG_ROOT" && find kunit kmod common configs scripts tools -type f \
			! -name '*.pyc' -print0 | sort -z | xargs -0 sha256sum)
		qemu_version
	} | sha256sum | cut -c1-16
}
rig=$(rig_hash)
cachedir=$CACHE/mutate
mkdir -p "$cachedir"

# prepare_base BASE: the mutant worktree of BASE, created from its patched
# tree's repository when missing.
prepare_base() {
	local b=$1 patched mt src
	patched=$(tree_dir "$b/patched")
	mt=$(tree_dir "$b/mutant")
	[ -e "$patched/.git" ] || die "no patched tree for base $b: run 'BASE=$b scripts/sources/tree.sh all' first"
	src=$(cat "$CACHE/src/current-$b")
	exec 9>"$CACHE/.tree.lock"
	flock 9
	if [ ! -e "$mt/.git" ]; then
		rm -rf "$mt"
		"${GIT[@]}" -C "$src" worktree prune
		"${GIT[@]}" -C "$src" worktree add -q --detach "$mt" \
			"$("${GIT[@]}" -C "$patched" rev-parse HEAD)"
	fi
	flock -u 9
}

# judge OUT VARIANT RC_KUNIT RC_KMOD [RC_SITES]: prints "VERDICT<TAB>BY" for a mutant
# whose stages ran: killed by a test or a crash, error, or clean.
judge() {
	local out=$1 v=$2 rck=$3 rcm=$4 rcs=${5:-0} tests sites crash f
	# Named cases that failed with a message of their own, where the
	# kernel must pass them: the stage's verdict on the case (results.tsv:
	# FAIL) for a case its KTAP reported not ok (cases.tsv, with the
	# message). A case this kernel must fail (the inline cases on an
	# out-of-line kernel) is PASS in results.tsv and kills nothing.
	tests=
	for f in kunit kmod; do
		[ -s "$out/logs/$f-$v.cases.tsv" ] || continue
		tests+=$(awk -F'\t' -v st="$f-$v" -v tag="$f" -v sep="${tests:+; }" '
			FNR == NR { if ($3 == "FAIL" && $4 != "") msg[$2] = $4; next }
			$1 == st && $3 == "FAIL" && ($2 in msg) {
				printf "%s%s: %s (%s)", sep, tag, $2, substr(msg[$2], 1, 160); sep = "; " }' \
			"$out/logs/$f-$v.cases.tsv" "$out/results.tsv")
	done
	# The host's check of the site tables (inline trees): each failed
	# check by name, with the checker's first complaint.
	# Its harness rows (no KUnit dump to read) and its check of the tool
	# itself (corrupted copies) say nothing about the mutant.
	sites=$(awk -F'\t' -v s="sites-$v" '$1 == s && $3 == "FAIL" && $2 !~ /^(harness|tool check): / {
		printf "%s%s", sep, $2; sep = "; " }' \
		"$out/results.tsv" 2>/dev/null)
	if [ -n "$sites" ]; then
		sites="sites: $sites ($(grep -m1 -vE ': [0-9]+ sites(,| dumped)' "$out/logs/sites-$v.txt" 2>/dev/null |
			cut -c1-160 || true))"
		tests=${tests:+$tests; }$sites
	fi
	crash=
	for f in "$out/logs/kunit-$v.console.log" "$out/logs/kmod-$v.console.log"; do
		[ -f "$f" ] || continue
		# Announced refusals are the test's, not the mutant's (lib.sh).
		crash=$(log_unannounced "$f" | grep -E "$KERNEL_CRASH_PAT|$SERIES_REPORT_PAT" |
			head -n1 | cut -c1-200 || true)
		if [ -n "$crash" ]; then
			crash="$(basename "$f" .console.log | sed "s/-$v\$//"): crash: $crash"
			break
		fi
	done
	# The log scan's verdict (scripts/judges/logscan.sh): a WARNING no test
	# announced, which the unmutated kernel does not print.
	if [ -z "$crash" ]; then
		crash=$(awk -F'\t' -v v="$v" '($1 == "kunit-" v || $1 == "kmod-" v) && $3 == "FAIL" &&
			$2 ~ /^log: / { sub("-" v "$", "", $1); print $1 ": report: " $5; exit }' "$out/results.tsv" 2>/dev/null)
	fi
	if [ -n "$tests" ] || [ -n "$crash" ]; then
		printf 'killed\t%s\n' "${tests:+test: $tests}${tests:+${crash:+; }}$crash"
	elif [ "$rck" -ne 0 ] || [ "$rcm" -ne 0 ] || [ "$rcs" -ne 0 ]; then
		printf 'ERROR\t%s\n' "stages exited kunit $rck, kmod $rcm, sites $rcs without a test verdict or kernel report: $(awk -F'\t' '$3 == "FAIL" { printf "%s%s: %s", sep, $2, $5; sep = "; " }' "$out/results.tsv" 2>/dev/null | cut -c1-300)"
	elif [ ! -s "$out/logs/kunit-$v.cases.tsv" ] || [ ! -s "$out/logs/kmod-$v.cases.tsv" ]; then
		printf 'ERROR\t%s\n' "a stage passed without any case results"
	else
		printf 'clean\t-\n'
	fi
}

top=$OUT/mutate
mkdir -p "$top"
part=${only_tree%%,*}
part=${part:+-${part//\//-}}
summary=$top/summary$part.tsv
: >"$summary"
killed=0 survived=0 unobservable=0 errors=0 cached=0 controls=0
declare -A prepared=()

for name in "${names[@]}"; do
	patch=$RIG_ROOT/mutants/$name.patch
	[ -f "$patch" ] || die "no such mutant: $patch"
	what=$(mutant_field "$name" Mutant)
	why=$(mutant_field "$name" Unobservable)
	mtree=$(mutant_field "$name" Tree)
	mb=$(mutant_field "$name" Base)
	mb=${mb:-$DEFAULT_BASE}
	mtree=${mtree:-patched}
	mv=$(table_one "$TREES_TSV" mutant tree="$mtree" 2>/dev/null) || mv=-
	[ "$mv" != - ] || die "mutant $name: no mutant variant for tree '$mtree' (scripts/tables/trees.tsv)"
	mv=$(BASE=$mb variant_id "$mv")
	from=$mb/$mtree
	[ -e "$(tree_dir "$from")/.git" ] || die "mutant $name needs the tree $from: run 'BASE=$mb scripts/sources/tree.sh ${from#*/}'"
	mbase=$("${GIT[@]}" -C "$(tree_dir "$from")" rev-parse HEAD)
	key=$( {
		echo "$rig"
		echo "$mbase"
		sha256sum <"$patch"
	} | sha256sum | cut -c1-16)
	cfile=$cachedir/$name-$key.tsv
	if [ -z "${MUTATE_FRESH:-}" ] && [ -s "$cfile" ]; then
		IFS=$'\t' read -r verdict by <"$cfile"
		log "mutant $name: $verdict (cached, $key)"
		cached=$((cached + 1))
	else
		[ -n "${prepared[$mb]:-}" ] || { prepare_base "$mb"; prepared[$mb]=1; }
		mt=$(tree_dir "$mb/mutant")
		out=$top/$name
		rm -rf "$out"
		mkdir -p "$out/logs"
		log "mutant $name ($mb/$mtree): $what"
		"${GIT[@]}" -C "$mt" checkout -q -f --detach "$mbase"
		"${GIT[@]}" -C "$mt" clean -q -fdx -e '/build-*'
		t=$(date +%s)
		if ! "${GIT[@]}" -C "$mt" apply --index "$patch" 2>"$out/logs/apply.log"; then
			verdict=ERROR by="does not apply to $from, see $out/logs/apply.log"
		else
			"${GIT[@]}" -C "$mt" commit -q -m "mutant: $name"
			if ! ARM64SC_OUT=$out BASE=$mb "$S/build/build.sh" "$mv" >"$out/logs/stage.log" 2>&1; then
				verdict=ERROR by="build failed, see $out/logs/build-$mv.log"
			else
				rck=0 rcm=0 rcs=0
				ARM64SC_OUT=$out BASE=$mb "$S/stages/kunit.sh" "$mv" >>"$out/logs/stage.log" 2>&1 || rck=$?
				IFS=$'\t' read -r verdict by < <(judge "$out" "$mv" "$rck" 0)
				# A mutant the suite killed needs no second stage; any
				# other verdict waits for the module selftest. -P: one
				# load beyond B range of the kernel, where module
				# trampolines aimed at kernel code start on their literal path.
				# On inline trees both stages always run, then the host's
				# check of the site tables (vmlinux and the modules).
				if [ "$verdict" != killed ] || variant_has "$mv" inline; then
					ARM64SC_OUT=$out BASE=$mb KMOD_ARGS=-P "$S/stages/kmod.sh" "$mv" >>"$out/logs/stage.log" 2>&1 || rcm=$?
					if variant_has "$mv" inline; then
						ARM64SC_OUT=$out BASE=$mb "$S/stages/sites.sh" "$mv" >>"$out/logs/stage.log" 2>&1 || rcs=$?
					fi
					IFS=$'\t' read -r verdict by < <(judge "$out" "$mv" "$rck" "$rcm" "$rcs")
				fi
			fi
		fi
		log "mutant $name: $verdict in $(($(date +%s) - t))s (${by})"
		# A control (mutants/control-*.patch, "Control: yes") changes no
		# code: the unmutated kernel of its tree, hang detectors on, must
		# come out clean, or no kill on that tree means anything.
		if [ -n "$(mutant_field "$name" Control)" ]; then
			if [ "$verdict" = clean ]; then
				verdict=control by="clean: the unmutated kernel passes and reports nothing"
			elif [ "$verdict" != ERROR ]; then
				verdict=ERROR by="control not clean: $by"
			fi
		elif [ "$verdict" = clean ]; then
			if [ -n "$why" ]; then
				verdict=unobservable by="not observable here: $why"
			else
				verdict=SURVIVED by="no case failed and no kernel report"
			fi
		fi
		# Errors are not cached: they are the rig's to fix.
		[ "$verdict" = ERROR ] || printf '%s\t%s\n' "$verdict" "$by" >"$cfile"
	fi
	case $verdict in
	control) controls=$((controls + 1)) ;;
	killed) killed=$((killed + 1)) ;;
	unobservable) unobservable=$((unobservable + 1)) ;;
	SURVIVED) survived=$((survived + 1)) ;;
	*) errors=$((errors + 1)) ;;
	esac
	printf '%s\t%s\t%s\t%s\t%s\n' "$name" "$mb/$mtree" "$verdict" "$by" "$what" >>"$summary"
done

# The same as a Markdown table, for Documentation/testing.md.
{
	echo "| mutant | tree | the bug | verdict | killed by |"
	echo "|---|---|---|---|---|"
	awk -F'\t' '{ gsub(/\|/, "\\|", $4); gsub(/\|/, "\\|", $5)
		printf "| `%s` | %s | %s | %s | %s |\n", $1, $2, $5, $3, $4 }' "$summary"
} >"$top/table$part.md"

echo
echo "==================== mutants ===================="
awk -F'\t' '{ printf "  %-32s %-11s %-12s %s\n", $1, $2, $3, $4 }' "$summary"
echo "================================================="
total=$((${#names[@]} - controls))
echo "mutation score: $killed of $((total - unobservable)) observable mutants killed;" \
	"$unobservable unobservable, $survived survived, $errors errors; $controls controls clean ($cached verdicts from the cache)"
[ "$survived" -eq 0 ] && [ "$errors" -eq 0 ]
