#!/usr/bin/env bash
# On the unpatched Clang kCFI kernel (CONFIG_CFI_PERMISSIVE=y, so it reports
# and carries on), the KUnit run must have produced the CFI failure the
# series fixes: an indirect call to __static_call_return0 through a RET0
# key with another prototype, from the suite's cfi_ret0 case and from the
# real-world path, perf_misc_flags() -> __perf_guest_state.
#   cfi-baseline.sh VARIANT   (after kunit.sh VARIANT: unpatched, kCFI,
#                             CFI_PERMISSIVE; the plans run it there)
set -euo pipefail
. "$(dirname "$0")/../lib/lib.sh"
rig_init

variant=${1:?usage: cfi-baseline.sh VARIANT}
variant_check "$variant"
variant_matches "$variant" kind=unpatched,cfi,cfi_permissive ||
	die "$variant is not an unpatched kCFI kernel with CFI_PERMISSIVE (scripts/tables/variants.tsv)"
stage=cfi-$variant
logf=$LOGS/kunit-$variant.console.log
[ -f "$logf" ] || die "$logf missing: run the KUnit suite on $variant first"
hits=$(grep -E "CFI failure at .*target: __static_call_return0" "$logf" || true)
echo "CFI failures captured on the unpatched Clang kernel:" >&2
if [ -z "$hits" ]; then
	echo "  (none)" >&2
	record "$stage" "CFI failure for a RET0 call captured" FAIL 0 "none in $logf"
	exit 1
fi
sort -u <<<"$hits" | head -n 20 | while IFS= read -r l; do echo "  | $l"; done >&2
record "$stage" "CFI failure for a RET0 call captured ($(wc -l <<<"$hits") reports)" PASS 0
if grep -q "perf_misc_flags" <<<"$hits"; then
	record "$stage" "CFI failure in perf_misc_flags (the reported crash)" PASS 0
else
	record "$stage" "CFI failure in perf_misc_flags (the reported crash)" FAIL 0 "not seen"
	exit 1
fi
