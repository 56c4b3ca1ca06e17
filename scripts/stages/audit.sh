#!/usr/bin/env bash
# Run the C++ auditor (tools/sc-audit) on a variant's build output:
#   patched, mainline-own: vmlinux and the test modules must have
#             trampolines of the base's layout (bases.tsv: layout for the
#             series, own_layout for the base's own), all intact; corrupted
#             copies of vmlinux must be caught, naming the victim
#   unpatched: vmlinux must be reported as having no arm64 trampolines
#   audit.sh VARIANT
set -euo pipefail
. "$(dirname "$0")/../lib/lib.sh"
rig_init

variant_setup audit.sh "${1:-}"
stage=audit-$variant
audit=$(host_tool sc-audit)
[ -f "$b/vmlinux" ] || die "no vmlinux for $variant: run 'make kernel V=$variant'"

out=$LOGS/$stage.txt
rc=0
case $(variant_kind "$variant") in
unpatched)
	"$audit" "$b/vmlinux" >"$out" 2>&1 || rc=$?
	if [ "$rc" -eq 0 ] && grep -q "no arm64 static call trampolines" "$out"; then
		record "$stage" "sc-audit vmlinux: no arm64 trampolines (unpatched)" PASS 0
	else
		record "$stage" "sc-audit vmlinux on the unpatched kernel" FAIL 0 "exit $rc, see $out"
		exit 1
	fi
	;;
*)
	if [ "$(variant_kind "$variant")" = mainline-own ]; then
		layout=$(base_col "$(variant_base "$variant")" own_layout)
	else
		layout=$(base_col "$(variant_base "$variant")" layout)
	fi
	"$audit" --require --layout "$layout" "$b/vmlinux" >"$out" 2>&1 || rc=$?
	n=$(sed -n 's/^summary: \([0-9]*\) trampolines.*/\1/p' "$out" | head -n1)
	if [ "$rc" -eq 0 ]; then
		record "$stage" "sc-audit --require --layout $layout vmlinux: $n trampolines intact" PASS 0
	else
		grep -m5 ERROR "$out" | sed 's/^/  /' >&2 || true
		record "$stage" "sc-audit --require vmlinux" FAIL 0 "exit $rc, see $out"
	fi
	for ko in "$b"/rig-kmod/*.ko; do
		[ -e "$ko" ] || continue
		krc=0
		"$audit" --require --layout "$layout" "$ko" >>"$out" 2>&1 || krc=$?
		if [ "$krc" -eq 0 ]; then
			record "$stage" "sc-audit --require $(basename "$ko")" PASS 0
		else
			record "$stage" "sc-audit --require $(basename "$ko")" FAIL 0 "exit $krc, see $out"
			rc=1
		fi
	done
	tools_ctest "$stage" "tool check: sc-audit names the trampoline in a corrupted vmlinux copy" \
		RealVmlinux SC_AUDIT_VMLINUX="$b/vmlinux" SC_AUDIT_LAYOUT="$layout" || rc=1
	;;
esac
log "$stage: report in $out"
exit "$rc"
