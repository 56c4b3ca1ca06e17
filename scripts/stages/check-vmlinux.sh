#!/usr/bin/env bash
# Checks on a built patched kernel (a variant of kind patched):
#   - the built .config has CONFIG_HAVE_STATIC_CALL=y
#   - every __SCT__* symbol has the series' size and alignment on its base
#     (scripts/tables/bases.tsv: 20 bytes, 32-aligned with the series on
#     either base) and lies inside [__static_call_text_start,
#     __static_call_text_end), within .text, and the trampolines fill that
#     range exactly (one per stride)
#   - W=1 reports no warning in the files the series touches
#   check-vmlinux.sh VARIANT
set -euo pipefail
. "$(dirname "$0")/../lib/lib.sh"
rig_init
kbuild_env

variant=${1:?usage: check-vmlinux.sh VARIANT}
variant_check "$variant"
tree=$(tree_dir "$(variant_tree "$variant")")
tc=$(variant_toolchain "$variant")
b=$(build_dir "$variant")
stage=check-$variant
IFS=/ read -r tsz talign tstride <<<"$(base_col "$(variant_base "$variant")" tramp)"
vmlinux=$b/vmlinux
[ -f "$vmlinux" ] || die "$vmlinux missing: run 'make kernel'"
nm=$(tc_col "$tc" nm)
readelf=$(tc_col "$tc" readelf)

if grep -qx CONFIG_HAVE_STATIC_CALL=y "$b/.config"; then
	record "$stage" "CONFIG_HAVE_STATIC_CALL=y" PASS 0
else
	record "$stage" "CONFIG_HAVE_STATIC_CALL=y" FAIL 0 "not set in $b/.config"
fi

syms=$("$nm" -S "$vmlinux")
addr() { awk -v s="$1" '$NF == s { print $1; exit }' <<<"$syms"; }
start=$(addr __static_call_text_start)
end=$(addr __static_call_text_end)
read -r tstart tsize < <("$readelf" -SW "$vmlinux" |
	awk '{ for (i = 1; i <= NF; i++) if ($i == ".text") { print $(i + 2), $(i + 4); exit } }')
n=0 bad=0
while read -r a size _ s; do
	n=$((n + 1))
	v=$((16#$a))
	if ((v % talign != 0)) || ((16#$size != tsz)) || ((v < 16#$start)) || ((v >= 16#$end)) ||
		((v < 16#$tstart)) || ((v >= 16#$tstart + 16#$tsize)); then
		echo "  bad trampoline $s at $a, size 0x$size" >&2
		bad=$((bad + 1))
	fi
done < <(awk 'NF == 4 && $4 ~ /^__SCT__/' <<<"$syms")
if [ -n "$start" ] && [ "$n" -gt 0 ] && [ "$bad" -eq 0 ] &&
	((16#$end - 16#$start == tstride * n)); then
	record "$stage" "vmlinux: $n __SCT__ trampolines, $tsz bytes, $talign-byte aligned, one per $tstride bytes of .static_call.text within .text" PASS 0
else
	record "$stage" "vmlinux: __SCT__ trampolines aligned and placed" FAIL 0 \
		"$n found, $bad bad, section $((16#${end:-0} - 16#${start:-0})) bytes for $tstride * $n"
fi

# W=1 on the files the series touches. Building single objects with W=1
# changes their command line, so the next normal build recompiles just them
# (and relinks: skipped on the LTO variants, where a relink is the whole
# link-time optimisation; the non-LTO Clang build covers it).
if variant_has "$variant" lto_thin || variant_has "$variant" lto_full; then
	exit 0
fi
mapfile -t margs < <(kmake_args "$tc")
objs=(arch/arm64/kernel/static_call.o arch/arm64/kernel/patching.o
	arch/arm64/kernel/module.o arch/arm64/kernel/probes/kprobes.o)
wlog=$LOGS/$stage-W1.log
if make -C "$tree" O="$b" "${margs[@]}" W=1 "${objs[@]}" >"$wlog" 2>&1; then
	w=$(grep -c "warning:" "$wlog" || true)
	if [ "$w" -eq 0 ]; then
		record "$stage" "W=1: no warnings in ${objs[*]}" PASS 0
	else
		grep "warning:" "$wlog" | head -5 >&2
		record "$stage" "W=1: no warnings in touched files" FAIL 0 "$w warnings, see $wlog"
	fi
else
	record "$stage" "W=1 build of touched files" FAIL 0 "see $wlog"
fi
