# SPDX-License-Identifier: GPL-2.0
#
# The hardware kit's report: reads run.sh's raw files (hw.txt: "HW ..."
# lines; workload.txt: the workload program's "WL ..." lines; bench.txt:
# static_call_bench.ko's "SCB ..." lines) and prints the tables in the
# format of Documentation/results.md, and writes the same as JSON to the
# file named by -v json=FILE. POSIX awk only (busybox, toybox, mawk, gawk).
#
#   awk -v json=report.json -f report.awk hw.txt workload.txt bench.txt
#
# Per operation figures are the median over the runs, with the spread
# (maximum - minimum) in brackets, after subtracting the median of the
# program's empty loop, per metric. A metric a run could not count for the
# whole run ("mux": multiplexed; "off": never counted, the event belongs to
# another CPU's PMU) is left out of that run, and the cell says how many
# runs it holds. Exit status 1 when a file reports an error, or there are
# no workload runs.

function isort(a, n,    i, j, t) {
	for (i = 2; i <= n; i++) {
		t = a[i]
		for (j = i - 1; j >= 1 && a[j] > t; j--)
			a[j + 1] = a[j]
		a[j + 1] = t
	}
}

# median, min and max of the values of key k ("w SUBSEP metric") into
# med, lo, hi; returns the number of values
function stats(k,    n, i, v) {
	n = cnt[k]
	if (n == 0)
		return 0
	for (i = 1; i <= n; i++)
		v[i] = val[k, i]
	isort(v, n)
	lo = v[1]
	hi = v[n]
	med = (n % 2) ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2
	return n
}

function num(x) {
	if (x >= 100 || x <= -100)
		return sprintf("%.0f", x)
	return sprintf("%.1f", x)
}

function jstr(s) {
	gsub(/\\/, "\\\\", s)
	gsub(/"/, "\\\"", s)
	return "\"" s "\""
}

BEGIN {
	nm = split("ns cycles instructions branch_misses l1i_misses l1d_misses", metric, " ")
	split("ns|cycles|instructions|branch misses|L1I misses|L1D misses", mtext, "|")
	nw = split("getpid open_close stat read mmap ctxsw ctxsw_traced", wl, " ")
	wtext["getpid"] = "getpid (no LSM hook: the control)"
	wtext["open_close"] = "openat + close"
	wtext["stat"] = "stat"
	wtext["read"] = "lseek + read (1 byte)"
	wtext["mmap"] = "mmap + munmap (1 page)"
	wtext["ctxsw"] = "pipe ping-pong (2 switches; the parent's side)"
	wtext["ctxsw_traced"] = "ping-pong, perf record -e sched:sched_switch"
	design = "unknown (static_call_bench.ko reported none)"
	freq = 0
	bad = 0
	nerr = 0
	ncall = 0
}

$1 == "HW" {
	k = $2
	$1 = ""
	$2 = ""
	sub(/^ +/, "")
	hw[k] = $0
	hwkeys[++nhw] = k
	next
}

$1 == "WL" && $2 == "freq" { freq = $3 + 0; next }
$1 == "WL" && $2 == "pmu" {
	ev[$3] = $4
	if ($4 != "ok")
		evwhy[$3] = $5
	next
}
$1 == "WL" && $2 == "error" { err[++nerr] = $0; bad = 1; next }
$1 == "WL" && $2 == "note" { $1 = ""; $2 = ""; sub(/^ +/, ""); note[++nnote] = $0; next }
$1 == "WL" && $3 ~ /^iters=/ {
	w = $2
	split($3, p, "=")
	it = p[2] + 0
	for (i = 4; i <= NF; i++) {
		split($i, p, "=")
		m = p[1]
		if (m == "run")
			continue
		if (m == "ticks") {
			if (freq <= 0)
				continue
			m = "ns"
			p[2] = p[2] * 1e9 / freq
		}
		if (p[2] == "mux" || p[2] == "error") {
			muxed[w, m]++
			continue
		}
		if (p[2] == "off") {
			off[w, m]++
			continue
		}
		k = w SUBSEP m
		val[k, ++cnt[k]] = p[2] / it
	}
	seen[w] = 1
	nruns++
	next
}

$1 == "SCB" && $2 == "meta" {
	k = $3
	$1 = ""
	$2 = ""
	$3 = ""
	sub(/^ +/, "")
	meta[k] = $0
	if (k == "design")
		design = $0
	next
}
$1 == "SCB" && $2 == "call" {
	ncall++
	cid[ncall] = $3
	cpath[ncall] = $4
	cmin[ncall] = $5
	cmed[ncall] = $6
	cmean[ncall] = $7
	s = ""
	for (i = 8; i <= NF; i++)
		s = s (i > 8 ? " " : "") $i
	cwhat[ncall] = s
	next
}
$1 == "SCB" && ($2 == "error" || ($2 == "end" && $3 != "ok")) { err[++nerr] = $0; bad = 1; next }

END {
	if (nruns == 0) {
		err[++nerr] = "no workload runs in the input"
		bad = 1
	}
	cpu = hw["cpu_part"] != "" ? "core " hw["cpu_implementer"] "/" hw["cpu_part"] : "an unnamed core"
	printf "## Static calls on %s (CPU %s), kernel %s: %s design\n\n", cpu, hw["cpu"], hw["kernel"], design
	s = ""
	u = ""
	for (i = 2; i <= nm; i++) {
		if (ev[metric[i]] == "ok")
			s = s (s == "" ? "" : ", ") metric[i]
		else
			u = u (u == "" ? "" : ", ") metric[i] (evwhy[metric[i]] != "" ? " (" evwhy[metric[i]] ")" : " (not tried)")
	}
	printf "PMU events counted: %s; not counted: %s. Time from the virtual counter at %d Hz.\n\n", \
		s == "" ? "none" : s, u == "" ? "none" : u, freq
	printf "Per operation: median of the runs [maximum - minimum], the program's empty loop subtracted.\n\n"
	printf "| workload |"
	for (i = 1; i <= nm; i++)
		printf " %s |", mtext[i]
	printf "\n|---|"
	for (i = 1; i <= nm; i++)
		printf "---:|"
	printf "\n"
	for (j = 1; j <= nw; j++) {
		w = wl[j]
		if (!(w in seen))
			continue
		printf "| %s |", wtext[w]
		for (i = 1; i <= nm; i++) {
			m = metric[i]
			# No loop runs of this metric: nothing to subtract, no cell.
			hasbase = stats("loop" SUBSEP m)
			base = med
			if (hasbase && (n = stats(w SUBSEP m))) {
				cell = num(med - base) " [" num(hi - lo) "]"
				if (muxed[w, m] + off[w, m])
					cell = cell " (" n " of " n + muxed[w, m] + off[w, m] " runs)"
				res[w, m] = med - base
				rlo[w, m] = lo - base
				rhi[w, m] = hi - base
			} else if (off[w, m])
				cell = "not counted on this CPU"
			else if (muxed[w, m])
				cell = "multiplexed"
			else
				cell = "-"
			printf " %s |", cell
		}
		printf "\n"
	}
	for (i = 1; i <= nnote; i++)
		printf "\n%s\n", note[i]
	if (ncall > 0) {
		printf "\nPer call (static_call_bench.ko, %s): min, median, mean over the batches, the empty loop subtracted.\n\n", meta["units"] != "" ? meta["units"] : "ns"
		printf "| call | path | min | median | mean | what |\n|---|---|---:|---:|---:|---|\n"
		for (i = 1; i <= ncall; i++)
			printf "| %s | %s | %s | %s | %s | %s |\n", cid[i], cpath[i], cmin[i], cmed[i], cmean[i], cwhat[i]
	}
	if (nerr > 0) {
		printf "\nErrors:\n\n"
		for (i = 1; i <= nerr; i++)
			printf "- %s\n", err[i]
	}

	if (json == "")
		exit bad
	printf "{\n  \"design\": %s,\n  \"freq\": %d,\n  \"hw\": {", jstr(design), freq > json
	for (i = 1; i <= nhw; i++)
		printf "%s%s: %s", (i > 1 ? ", " : ""), jstr(hwkeys[i]), jstr(hw[hwkeys[i]]) > json
	printf "},\n  \"events\": {" > json
	for (i = 2; i <= nm; i++)
		printf "%s%s: %s", (i > 2 ? ", " : ""), jstr(metric[i]), jstr(ev[metric[i]] == "" ? "not tried" : ev[metric[i]]) > json
	printf "},\n  \"workloads\": {" > json
	nwo = 0
	for (j = 1; j <= nw; j++) {
		w = wl[j]
		if (!(w in seen))
			continue
		printf "%s\n    %s: {", (nwo++ ? "," : ""), jstr(w) > json
		nmo = 0
		for (i = 1; i <= nm; i++) {
			m = metric[i]
			if (!((w, m) in res))
				continue
			printf "%s%s: {\"median\": %s, \"min\": %s, \"max\": %s}", (nmo++ ? ", " : ""), \
				jstr(m), res[w, m], rlo[w, m], rhi[w, m] > json
		}
		printf "}" > json
	}
	printf "\n  },\n  \"calls\": {" > json
	for (i = 1; i <= ncall; i++)
		printf "%s\n    %s: {\"path\": %s, \"min\": %s, \"median\": %s, \"mean\": %s}", (i > 1 ? "," : ""), \
			jstr(cid[i]), jstr(cpath[i]), cmin[i], cmed[i], cmean[i] > json
	printf "\n  },\n  \"errors\": [" > json
	for (i = 1; i <= nerr; i++)
		printf "%s%s", (i > 1 ? ", " : ""), jstr(err[i]) > json
	printf "]\n}\n" > json
	close(json)
	exit bad
}
