# shellcheck shell=bash
# The rig's tables (scripts/tables/*.tsv): tab-separated, '#' comment lines, the
# first other line names the columns. Columns are read by name, never by
# position. Sourcing this file defines functions only.

# table_get FILE COLUMN [KEY=VALUE ...]: COLUMN of every row whose KEY
# columns hold VALUE, one per line, in file order. Dies on an unknown
# column name.
table_get() { _table_awk 0 "$@"; }

# table_one FILE COLUMN KEY=VALUE...: like table_get, for exactly one row
# (fails, saying how many matched, otherwise).
table_one() { _table_awk 1 "$@"; }

_table_awk() {
	local one=$1 file=$2 col=$3
	shift 3
	awk -F'\t' -v want="$col" -v conds="$*" -v one="$one" '
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
			rows++
			if (!one) print $idx[want]
			else if (rows == 1) first = $idx[want]
		}
		END {
			if (bad != "") { printf "%s: no column \"%s\"\n", FILENAME, bad > "/dev/stderr"; exit 2 }
			if (one && rows != 1) {
				printf "%s: %d rows match %s\n", FILENAME, rows, conds > "/dev/stderr"
				exit 1
			}
			if (one) print first
		}
	' "$file"
}
