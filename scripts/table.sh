# shellcheck shell=bash
# The rig's tables (scripts/*.tsv): tab-separated, '#' comment lines, the
# first other line names the columns. Columns are read by name, never by
# position. Sourcing this file defines functions only.

# table_get FILE COLUMN [KEY=VALUE ...]: COLUMN of every row whose KEY
# columns hold VALUE, one per line, in file order. Dies on an unknown
# column name.
table_get() {
	local file=$1 col=$2
	shift 2
	awk -F'\t' -v want="$col" -v conds="$*" '
		/^#/ || /^[[:space:]]*$/ { next }
		!hdr {
			for (i = 1; i <= NF; i++) idx[$i] = i
			hdr = 1
			if (!(want in idx)) { bad = want; exit 2 }
			n = split(conds, c, " ")
			for (j = 1; j <= n; j++) {
				eq = index(c[j], "=")
				k[j] = substr(c[j], 1, eq - 1); v[j] = substr(c[j], eq + 1)
				if (!(k[j] in idx)) { bad = k[j]; exit 2 }
			}
			next
		}
		{
			for (j = 1; j <= n; j++) if ($idx[k[j]] != v[j]) next
			print $idx[want]
		}
		END { if (bad != "") printf "%s: no column \"%s\"\n", FILENAME, bad > "/dev/stderr" }
	' "$file"
}

# table_one FILE COLUMN KEY=VALUE...: like table_get, for exactly one row.
table_one() {
	local out n
	out=$(table_get "$@") || return 1
	n=$(printf '%s' "$out" | grep -c '^' || true)
	if [ "$n" -ne 1 ]; then
		printf '%s: %s rows match %s\n' "$1" "$n" "${*:3}" >&2
		return 1
	fi
	printf '%s\n' "$out"
}
