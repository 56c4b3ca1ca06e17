#!/usr/bin/env bash
# Graft the project's tests into a kernel tree, each from its one source in
# this repository:
#   the KUnit suite (kunit/, common/): sources into arch/arm64/kernel/, the
#     Kconfig entry appended to arch/arm64/Kconfig.debug, and appended to
#     its Makefile the composite object arm64_static_call_kunit.o made of
#     every kunit/*.c, so that all of them are built with the one
#     KBUILD_MODNAME arm64_static_call_kunit (the prefix of the suite's
#     parameters)
#   the module selftest (kmod/selftest/, kmod/static_call_test.c, common/):
#     tools/testing/selftests/static_call/, listed in the selftests' TARGETS
#   graft.sh TREE
set -euo pipefail
. "$(dirname "$0")/../lib/lib.sh"

tree=${1:?usage: graft.sh TREE}
[ -f "$tree/arch/arm64/Kconfig.debug" ] || die "$tree is not a kernel tree"
[ -f "$RIG_ROOT/kunit/Kconfig" ] || die "kunit/Kconfig missing"

k=$tree/arch/arm64/kernel
# Whatever an earlier graft copied: the suite's files (all named a64sc*),
# and the single arm64_static_call_kunit.c of older grafts, which kbuild
# would build instead of the composite object of the same name.
rm -f "$k"/a64sc*.[ch] "$k/arm64_static_call_kunit.c"
cp "$RIG_ROOT"/kunit/*.c "$RIG_ROOT"/kunit/*.h "$RIG_ROOT"/common/*.h "$k/"
if ! grep -q ARM64_STATIC_CALL_KUNIT_TEST "$tree/arch/arm64/Kconfig.debug"; then
	{
		echo
		cat "$RIG_ROOT/kunit/Kconfig"
	} >>"$tree/arch/arm64/Kconfig.debug"
fi
# The object list, from the files: a new kunit/*.c needs no edit here.
objs=
for f in "$RIG_ROOT"/kunit/*.c; do
	f=${f##*/}
	objs+=" ${f%.c}.o"
done
# Replace the lines of an earlier graft (its obj- line, its object list).
# shellcheck disable=SC2016 # literal make variables
sed -i -e '/^obj-$(CONFIG_ARM64_STATIC_CALL_KUNIT_TEST)[[:space:]]/d' \
	-e '/^arm64_static_call_kunit-y[[:space:]]/d' "$k/Makefile"
{
	printf 'arm64_static_call_kunit-y\t:=%s\n' "$objs"
	# shellcheck disable=SC2016 # a literal make variable
	printf 'obj-$(%s)\t+= arm64_static_call_kunit.o\n' CONFIG_ARM64_STATIC_CALL_KUNIT_TEST
} >>"$k/Makefile"

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
