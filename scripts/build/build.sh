#!/usr/bin/env bash
# Configure and build one kernel variant (Image.gz, vmlinux, modules) with
# ccache, in TREE/build-VARIANT (linked from $CACHE/build/VARIANT).
#   build.sh VARIANT
set -euo pipefail
. "$(dirname "$0")/../lib/lib.sh"
rig_init
kbuild_env

variant_setup build.sh "${1:-}"

# Skip configure + make when nothing that feeds the build changed: the tree's
# commit and local state, the fragments, the compiler. (make itself would
# find nothing to do too, but takes half a minute to find out.)
mapfile -t frags < <(variant_fragments "$variant")
cc=$(tc_col "$tc" cc)
key=$( {
	git -C "$tree" rev-parse HEAD
	git -C "$tree" status --porcelain --untracked-files=no
	cat "${frags[@]}"
	"$cc" --version | head -n1
} | sha256sum | cut -c1-16)
stamp=$b/.rig-build-key
link_build_dir "$variant"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$key" ] && [ -f "$b/arch/arm64/boot/Image.gz" ] &&
	[ -f "$b/vmlinux" ] && [ -f "$b/Module.symvers" ]; then
	log "kernel $variant: up to date ($key), not rebuilt"
	exit 0
fi
rm -f "$stamp"
"$RIG_ROOT/scripts/build/kconfig.sh" "$variant"
log "building $variant kernel in $b (log: $LOGS/build-$variant.log)"
if ! make -C "$tree" O="$b" "${margs[@]}" Image.gz modules >"$LOGS/build-$variant.log" 2>&1; then
	grep -E "error:|Error [0-9]|undefined reference" "$LOGS/build-$variant.log" | head -20 >&2 || true
	die "kernel build ($variant) failed, see $LOGS/build-$variant.log"
fi
warnings=$(grep -c "warning:" "$LOGS/build-$variant.log" || true)
# No warning in what the series or the suites add (arch/arm64, the static
# call core, the grafted KUnit suite): the build would pass with a new
# -Wframe-larger-than otherwise. The base kernel's own are counted only.
ours=$(grep -E "^[^ ]*(arch/arm64/|static_call)[^ ]*:[0-9]+:[0-9]+: warning:" \
	"$LOGS/build-$variant.log" || true)
if [ -n "$ours" ]; then
	printf '%s\n' "$ours" | head -20 >&2
	die "kernel build ($variant): $(printf '%s\n' "$ours" | wc -l) warnings in the series or the suite's files, see $LOGS/build-$variant.log"
fi
log "built $variant: $(make -s -C "$tree" O="$b" "${margs[@]}" kernelrelease 2>/dev/null), $warnings compiler warnings"
echo "$key" >"$stamp"
