#!/usr/bin/env bash
# Configure a build directory: merge configs/ fragments with the tree's own
# merge_config.sh, run olddefconfig, refuse a recursive dependency, and check
# that every option a fragment asked for really is set.
#   kconfig.sh VARIANT
set -euo pipefail
. "$(dirname "$0")/lib.sh"

variant=${1:?usage: kconfig.sh VARIANT}
tree=$(tree_dir "$(variant_tree "$variant")")
tc=$(variant_toolchain "$variant")
b=$(build_dir "$variant")
mapfile -t margs < <(kmake_args "$tc")

frags=("$RIG_ROOT/configs/base.config")
[ "$tc" = clang ] && frags+=("$RIG_ROOT/configs/clang-cfi.config")
case $variant in
gcc | clang) frags+=("$RIG_ROOT/configs/patched.config") ;;
clang-base) frags+=("$RIG_ROOT/configs/cfi-permissive.config") ;;
esac
# Extra fragments from the user, e.g. CONFIGS_EXTRA=/path/my.config
for f in ${CONFIGS_EXTRA:-}; do frags+=("$f"); done

mkdir -p "$b"
[ -d "$tree" ] || die "tree $tree missing: run 'make tree'"
# merge_config.sh -m only merges the fragments into .config; olddefconfig
# then fills in every other option with its default.
(cd "$tree" && ARCH=arm64 scripts/kconfig/merge_config.sh -m -O "$b" "${frags[@]}") \
	>"$LOGS/kconfig-$variant.log" 2>&1 || die "merge_config.sh failed, see $LOGS/kconfig-$variant.log"
make -C "$tree" O="$b" "${margs[@]}" olddefconfig >>"$LOGS/kconfig-$variant.log" 2>&1 ||
	die "olddefconfig failed, see $LOGS/kconfig-$variant.log"
if grep -q "recursive dependency" "$LOGS/kconfig-$variant.log"; then
	grep -A3 "recursive dependency" "$LOGS/kconfig-$variant.log" >&2
	die "Kconfig reports a recursive dependency ($LOGS/kconfig-$variant.log)"
fi

# Every CONFIG_X=v or "# CONFIG_X is not set" requested must be in .config.
bad=0
while IFS= read -r line; do
	case $line in
	CONFIG_*=*)
		opt=${line%%=*}
		if ! grep -qxF "$line" "$b/.config"; then
			have=$(grep -E "^$opt=|^# $opt is not set" "$b/.config" || echo "absent (unknown option or unmet dependency)")
			echo "config: requested $line but .config has: $have" >&2
			bad=1
		fi
		;;
	"# CONFIG_"*" is not set")
		opt=${line#\# }
		opt=${opt%% *}
		if grep -q "^$opt=" "$b/.config"; then
			echo "config: requested $opt unset but .config has: $(grep "^$opt=" "$b/.config")" >&2
			bad=1
		fi
		;;
	esac
done < <(cat "${frags[@]}")
[ "$bad" -eq 0 ] || die "some requested options did not stick ($variant); see above"
log "config $variant: $(grep -c '=y' "$b/.config") options =y, all ${#frags[@]} fragments verified"
