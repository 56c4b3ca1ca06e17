#!/usr/bin/env bash
# Configure a build directory: merge configs/ fragments with the tree's own
# merge_config.sh, run olddefconfig, refuse a recursive dependency, and check
# that every option a fragment asked for really is set.
#   kconfig.sh VARIANT
set -euo pipefail
. "$(dirname "$0")/../lib/lib.sh"
rig_init
kbuild_env

variant_setup kconfig.sh "${1:-}"

mapfile -t frags < <(variant_fragments "$variant")

mkdir -p "$b"
[ -d "$tree" ] || die "tree $tree missing: run 'make tree'"
# merge_config.sh -n: allnoconfig with the fragments as the only options
# asked for (KCONFIG_ALLCONFIG), then olddefconfig to settle the rest.
read -r -a tcenv <<<"$(tc_col "$tc" make_args)"
(cd "$tree" && env ARCH=arm64 "${tcenv[@]}" \
	scripts/kconfig/merge_config.sh -n -O "$b" "${frags[@]}") \
	>"$LOGS/kconfig-$variant.log" 2>&1 || die "merge_config.sh failed, see $LOGS/kconfig-$variant.log"
make -C "$tree" O="$b" "${margs[@]}" olddefconfig >>"$LOGS/kconfig-$variant.log" 2>&1 ||
	die "olddefconfig failed, see $LOGS/kconfig-$variant.log"
if grep -q "recursive dependency" "$LOGS/kconfig-$variant.log"; then
	grep -A3 "recursive dependency" "$LOGS/kconfig-$variant.log" >&2
	die "Kconfig reports a recursive dependency ($LOGS/kconfig-$variant.log)"
fi

# Every CONFIG_X=v or "# CONFIG_X is not set" requested must be in .config.
# A later fragment may override an earlier one (merge order), so only the
# last request for each option is checked.
last_requests() {
	cat "$@" | awk '
		/^CONFIG_[A-Za-z0-9_]+=/ { o = $0; sub(/=.*/, "", o) }
		/^# CONFIG_[A-Za-z0-9_]+ is not set/ { o = $2 }
		o != "" { if (!(o in req)) order[n++] = o; req[o] = $0; o = "" }
		END { for (i = 0; i < n; i++) print req[order[i]] }'
}
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
done < <(last_requests "${frags[@]}")
[ "$bad" -eq 0 ] || die "some requested options did not stick ($variant); see above"
log "config $variant: $(grep -c '=y' "$b/.config") options =y, all ${#frags[@]} fragments verified"
