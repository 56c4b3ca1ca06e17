#!/usr/bin/env bash
# No script or Makefile rule may decide anything by a variant's, base's or
# toolchain's name: what a variant is comes from its row of the tables
# (scripts/tables/variants.tsv, bases.tsv, toolchains.tsv), by column. This lint
# takes every name those tables declare and fails on a comparison of a
# value with one of them ("= clang", "!= 6.12", "== gcc-base"), a case
# pattern made of them ("clang)", "gcc | clang)"), or a glob over their
# parts ("*-base", "clang-lto-*", "bench-*"). Names passed as arguments
# (make kunit-baseline runs "kunit gcc-base") are data, and allowed.
#   lint-names.sh [FILE...]   (default: scripts/*.sh scripts/*/*.sh scripts/*/*.py Makefile .ci/run)
set -euo pipefail
RIG_ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$RIG_ROOT/scripts/lib/table.sh"
T=$RIG_ROOT/scripts/tables

cd "$RIG_ROOT"
if [ $# -eq 0 ]; then
	set -- scripts/*.sh scripts/*/*.sh scripts/*/*.py Makefile .ci/run
fi
mapfile -t names < <({
	table_get "$T/variants.tsv" id
	table_get "$T/variants.tsv" name
	table_get "$T/bases.tsv" base
	table_get "$T/toolchains.tsv" toolchain
} | sort -u)
# The names as one alternation, dots escaped; and their dash-separated
# parts for the globs ("base" of gcc-base, "lto" of clang-lto-thin). A
# comparison has blanks around its operator; an assignment (BASE=7.2, a
# name as data) has none.
alt=$(printf '%s\n' "${names[@]}" | sed 's/\./\\./g' | paste -sd'|')
parts=$(printf '%s\n' "${names[@]}" | tr '-' '\n' | grep -E '^[a-z]' | sort -u | paste -sd'|')
q="[\"']?"
pat="[[:space:]](==?|!=)[[:space:]]*$q($alt)$q([];)[:space:]]|$)"
pat+="|^[[:space:]]*(\\|?[[:space:]]*${q}(${alt})${q}[[:space:]]*)+\\)"
pat+="|\\*-($parts)\\b|\\b($parts)-\\*"
bad=0
for f in "$@"; do
	# Comment lines say what things are; they decide nothing.
	# Nor do look-ups of a row by its name (table_get, table_one).
	hits=$(grep -nE "$pat" "$f" | grep -vE '^[0-9]+:[[:space:]]*#|table_(get|one) ' || true)
	[ -n "$hits" ] || continue
	printf '%s\n' "$hits" | sed "s|^|$f:|" >&2
	bad=1
done
if [ "$bad" -ne 0 ]; then
	echo "lint-names: decisions by name above: use a column of scripts/tables/variants.tsv, bases.tsv or toolchains.tsv (kind, traits, ...)" >&2
	exit 1
fi
echo "lint-names: no script decides by a variant, base or toolchain name ($# files, ${#names[@]} names)"
