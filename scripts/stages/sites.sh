#!/usr/bin/env bash
# Run the C++ call-site checker (tools/sc-sites) on a variant's build:
#   inline:      the KUnit run's dump of the guest's sites (sc-sites
#                --runtime: each site holds the instruction for its key's
#                target at the time);
#                vmlinux.o, vmlinux and the test modules: every bl/b to a
#                trampoline has exactly one correct .static_call_sites and
#                .static_call_routes entry and no entry points elsewhere;
#                the same number of sites in vmlinux.o and vmlinux; copies
#                of vmlinux with a site or a table entry corrupted are
#                reported by name (ctest -R RealVmlinux, SC_SITES_BUILD)
#   out-of-line: vmlinux has no site tables, and sc-sites says its sites
#                have no entry (it must fail there)
#   sites.sh VARIANT
set -euo pipefail
. "$(dirname "$0")/../lib/lib.sh"
rig_init

variant_setup sites.sh "${1:-}"
stage=sites-$variant
sites=$(host_tool sc-sites)
if [ ! -f "$b/vmlinux" ] || [ ! -f "$b/vmlinux.o" ]; then
	die "no vmlinux and vmlinux.o for $variant: run 'make kernel V=$variant'"
fi
out=$LOGS/$stage.txt
: >"$out"
rc=0

# sc-sites FILE LABEL: run it, record its summary line; print N sites.
check() {
	local f=$1 frc=0 line
	"$sites" "$f" >>"$out" 2>&1 || frc=$?
	line=$(grep -F -- "$f: " "$out" | grep -E ': [0-9]+ sites, ' | tail -n1 || true)
	if [ "$frc" -eq 0 ] && [ -n "$line" ]; then
		line=$(basename "$f")${line#"$f"}
		record "$stage" "sc-sites $line" PASS 0
	else
		grep -v ': [0-9]* sites' "$out" | tail -n 5 | sed 's/^/  /' >&2 || true
		record "$stage" "sc-sites $(basename "$f")" FAIL 0 "exit $frc, see $out"
		rc=1
	fi
	sed -n 's/^[^:]*: \([0-9]*\) sites.*/\1/p' <<<"$line"
}

if variant_has "$variant" inline; then
	n_o=$(check "$b/vmlinux.o")
	n=$(check "$b/vmlinux")
	if [ -n "$n" ] && [ "$n" = "$n_o" ] && [ "$n" -gt 0 ]; then
		record "$stage" "vmlinux.o and vmlinux: the same $n sites" PASS 0
	else
		record "$stage" "vmlinux.o and vmlinux: the same sites" FAIL 0 "'$n_o' and '$n'"
		rc=1
	fi
	for ko in "$b"/rig-kmod/*.ko; do
		[ -e "$ko" ] || continue
		check "$ko" >/dev/null
	done
	# The guest's own view: the KUnit run's dump of every site (insn, key,
	# target at the time), checked against vmlinux's table and the rules.
	# A console taken over by another CPU while it prints a record (nbcon)
	# prints "** replaying previous printk message **" and that record again
	# in full. The first owner may have printed any part of it, from nothing
	# to all of it: the line before the marker is dropped only when the
	# replayed line begins with it (a cut or a whole copy), and kept when it
	# is a different record (the first owner printed nothing). A line lost
	# for good still fails the count.
	dump=$LOGS/kunit-$variant.sites-dump.log
	dump_env=()
	if [ -f "$LOGS/kunit-$variant.console.log" ]; then
		awk '/^\*\* replaying previous printk message \*\*/ { replay = 1; next }
			{
				cut = prev
				sub(/\r$/, "", cut)
				if (have && !(replay && index($0, cut) == 1))
					print prev
				prev = $0; have = 1; replay = 0
			}
			END { if (have) print prev }' "$LOGS/kunit-$variant.console.log" >"$dump"
	fi
	if grep -q 'SCDUMP end' "$dump" 2>/dev/null; then
		drc=0
		"$sites" --runtime "$dump" "$b/vmlinux" >>"$out" 2>&1 || drc=$?
		line=$(grep -E ': [0-9]+ sites dumped' "$out" | tail -n1 || true)
		if [ "$drc" -eq 0 ] && [ -n "$line" ]; then
			record "$stage" "sc-sites --runtime (the guest's sites, KUnit dump): ${line#*: }" PASS 0
		else
			record "$stage" "sc-sites --runtime on the KUnit dump" FAIL 0 "exit $drc, see $out"
			rc=1
		fi
		dump_env=(SC_SITES_DUMP="$dump")
	else
		record "$stage" "harness: a KUnit dump of the sites (SCDUMP lines)" FAIL 0 "none in $dump (run make kunit V=$variant first)"
		rc=1
	fi
	tools_ctest "$stage" "tool check: sc-sites names the site in corrupted vmlinux copies (ctest ScSites.Real*)" \
		'ScSites.Real' SC_SITES_BUILD="$b" "${dump_env[@]}" || rc=1
else
	# No tables on an out-of-line kernel: every site must be reported.
	frc=0
	"$sites" "$b/vmlinux" >>"$out" 2>&1 || frc=$?
	if [ "$frc" -eq 1 ] && grep -q 'static call sites but no .static_call_sites table' "$out"; then
		record "$stage" "sc-sites vmlinux (out-of-line): fails, sites without entries" PASS 0
	else
		record "$stage" "sc-sites vmlinux (out-of-line) must fail" FAIL 0 "exit $frc, see $out"
		rc=1
	fi
fi
# check() runs in command substitutions: its failures are in the results.
if grep -q "^$stage	[^	]*	FAIL	" "$RESULTS"; then rc=1; fi
log "$stage: report in $out"
exit "$rc"
