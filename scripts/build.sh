#!/usr/bin/env bash
# Configure and build one kernel variant (Image.gz, vmlinux, modules) with
# ccache, in $CACHE/build/VARIANT, from the matching tree.
#   build.sh VARIANT
set -euo pipefail
. "$(dirname "$0")/lib.sh"

variant=${1:?usage: build.sh VARIANT}
tree=$(tree_dir "$(variant_tree "$variant")")
tc=$(variant_toolchain "$variant")
b=$(build_dir "$variant")
mapfile -t margs < <(kmake_args "$tc")

"$RIG_ROOT/scripts/kconfig.sh" "$variant"
log "building $variant kernel in $b (log: $LOGS/build-$variant.log)"
if ! make -C "$tree" O="$b" "${margs[@]}" Image.gz modules >"$LOGS/build-$variant.log" 2>&1; then
	grep -E "error:|Error [0-9]|undefined reference" "$LOGS/build-$variant.log" | head -20 >&2 || true
	die "kernel build ($variant) failed, see $LOGS/build-$variant.log"
fi
warnings=$(grep -c "warning:" "$LOGS/build-$variant.log" || true)
log "built $variant: $(make -s -C "$tree" O="$b" "${margs[@]}" kernelrelease 2>/dev/null), $warnings compiler warnings"
