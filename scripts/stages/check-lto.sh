#!/usr/bin/env bash
# After link-time optimisation (a variant with the lto_thin or lto_full
# trait): the kernel really is the GKI shape asked for, and LTO left the
# static calls alone.
#   - .config: the LTO mode, CFI_CLANG, SHADOW_CALL_STACK,
#     UNWIND_PATCH_PAC_INTO_SCS, PAC and BTI, HAVE_STATIC_CALL
#   - the link was an LTO link (the objects are bitcode)
#   - no static call key or trampoline symbol was renamed or duplicated by
#     LTO's promotion of local symbols (".llvm.<hash>" suffixes: the
#     ThinLTO renaming behind ClangBuiltLinux issue 1354), and every
#     trampoline has its key
# Trampoline placement and shape: check-vmlinux.sh; slot/literal agreement
# of every trampoline: sc-audit (audit.sh).
#   check-lto.sh VARIANT
set -euo pipefail
. "$(dirname "$0")/../lib/lib.sh"
rig_init

variant=${1:?usage: check-lto.sh VARIANT}
variant_check "$variant"
b=$(build_dir "$variant")
stage=lto-$variant
[ -f "$b/vmlinux" ] || die "no vmlinux for $variant: run 'make kernel V=$variant'"
if variant_has "$variant" lto_thin; then
	lto=CONFIG_LTO_CLANG_THIN
elif variant_has "$variant" lto_full; then
	lto=CONFIG_LTO_CLANG_FULL
else
	die "$variant is not an LTO variant (no lto_thin or lto_full trait in scripts/tables/variants.tsv)"
fi
tc=$(variant_toolchain "$variant")
bca=$(tc_col "$tc" bcanalyzer)
[ "$bca" != - ] || die "toolchain $tc has no bitcode analyser (scripts/tables/toolchains.tsv)"
bad=0
for opt in "$lto" CONFIG_CFI_CLANG CONFIG_SHADOW_CALL_STACK CONFIG_UNWIND_PATCH_PAC_INTO_SCS \
	CONFIG_ARM64_PTR_AUTH_KERNEL CONFIG_ARM64_BTI_KERNEL CONFIG_HAVE_STATIC_CALL CONFIG_MODULES; do
	grep -qx "$opt=y" "$b/.config" || {
		echo "$stage: $opt is not set" >&2
		bad=1
	}
done
if [ "$bad" -eq 0 ]; then
	record "$stage" ".config: ${lto#CONFIG_} + CFI_CLANG + SCS (PAC patched to SCS) + PAC + BTI + static calls" PASS 0
else
	record "$stage" ".config of the GKI shape" FAIL 0 "see above"
fi
# Compiled for LTO, an object is LLVM bitcode: code generation happened
# at the link.
if "$bca" "$b/init/main.o" >/dev/null 2>&1 &&
	"$bca" "$b/arch/arm64/kernel/static_call.o" >/dev/null 2>&1; then
	record "$stage" "objects are LLVM bitcode (init/main.o, arch/arm64/kernel/static_call.o): the link did the code generation" PASS 0
else
	record "$stage" "objects are LLVM bitcode" FAIL 0 "init/main.o or static_call.o in $b is not bitcode"
	bad=1
fi
syms=$("$(tc_col "$tc" nm)" "$b/vmlinux")
renamed=$(grep -E ' (__SCT__|__SCK__)[^ ]*\.llvm\.' <<<"$syms" || true)
if [ -z "$renamed" ]; then
	record "$stage" "no static call key or trampoline renamed by LTO (.llvm. suffix)" PASS 0
else
	record "$stage" "static call symbols renamed by LTO" FAIL 0 "$(head -n3 <<<"$renamed" | awk '{print $3}' | paste -sd' ')"
	bad=1
fi
nt=$(awk '$3 ~ /^__SCT__/ { print $3 }' <<<"$syms" | sort)
nk=$(awk '$3 ~ /^__SCK__/ { sub(/^__SCK__/, "", $3); print $3 }' <<<"$syms" | sort)
dups=$(uniq -d <<<"$nt")
orphans=$(comm -23 <(awk '{ sub(/^__SCT__/, ""); print }' <<<"$nt" | sort -u) <(sort -u <<<"$nk"))
if [ -n "$nt" ] && [ -z "$dups" ] && [ -z "$orphans" ]; then
	record "$stage" "$(wc -l <<<"$nt") trampolines, each named once and each with its key" PASS 0
else
	record "$stage" "trampolines unique and with keys" FAIL 0 "dups: ${dups:-none}; without key: $(head -n3 <<<"$orphans" | paste -sd' ')"
	bad=1
fi
exit "$bad"
