#!/usr/bin/env bash
# Graft the project's KUnit suite (kunit/, the single source of truth) into
# a kernel tree: sources into arch/arm64/kernel/, the Kconfig entry appended
# to arch/arm64/Kconfig.debug, one obj- line appended to the Makefile.
#   graft-kunit.sh TREE
set -euo pipefail
. "$(dirname "$0")/lib.sh"

tree=${1:?usage: graft-kunit.sh TREE}
[ -f "$tree/arch/arm64/Kconfig.debug" ] || die "$tree is not a kernel tree"
[ -f "$RIG_ROOT/kunit/Kconfig" ] || die "kunit/Kconfig missing"

cp "$RIG_ROOT"/kunit/*.c "$RIG_ROOT"/common/*.h "$tree/arch/arm64/kernel/"
if ! grep -q ARM64_STATIC_CALL_KUNIT_TEST "$tree/arch/arm64/Kconfig.debug"; then
	{
		echo
		cat "$RIG_ROOT/kunit/Kconfig"
	} >>"$tree/arch/arm64/Kconfig.debug"
	# shellcheck disable=SC2016 # a literal make variable
	printf 'obj-$(%s)\t+= arm64_static_call_kunit.o\n' CONFIG_ARM64_STATIC_CALL_KUNIT_TEST \
		>>"$tree/arch/arm64/kernel/Makefile"
fi
