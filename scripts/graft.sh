#!/usr/bin/env bash
# Graft the project's tests into a kernel tree, each from its one source in
# this repository:
#   the KUnit suite (kunit/, common/): sources into arch/arm64/kernel/, the
#     Kconfig entry appended to arch/arm64/Kconfig.debug, one obj- line
#     appended to its Makefile
#   the module selftest (kmod/selftest/, kmod/static_call_test.c, common/):
#     tools/testing/selftests/static_call/, listed in the selftests' TARGETS
#   graft.sh TREE
set -euo pipefail
. "$(dirname "$0")/lib.sh"

tree=${1:?usage: graft.sh TREE}
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

st=$tree/tools/testing/selftests
[ -f "$st/Makefile" ] || die "$tree has no tools/testing/selftests/Makefile"
rm -rf "$st/static_call"
mkdir -p "$st/static_call/test_modules"
cp "$RIG_ROOT"/kmod/selftest/{Makefile,config,settings,static_call.sh} "$st/static_call/"
chmod 755 "$st/static_call/static_call.sh"
cp "$RIG_ROOT/kmod/selftest/test_modules/Makefile" "$RIG_ROOT/kmod/static_call_test.c" \
	"$RIG_ROOT"/common/*.h "$st/static_call/test_modules/"
if ! grep -q '^TARGETS += static_call$' "$st/Makefile"; then
	sed -i '/^TARGETS += static_keys$/a TARGETS += static_call' "$st/Makefile"
	grep -q '^TARGETS += static_call$' "$st/Makefile" ||
		die "could not add static_call to the TARGETS of $st/Makefile"
fi
