#!/bin/sh
# Guest side of scripts/stages/kmod.sh: the static_call selftest, run the way
# kselftest runs it, from the tree's "make kselftest-install" output
# (copied to /kselftest). The arguments go to static_call.sh, through the
# variable run_kselftest.sh reads for it.
#   kselftest.sh [static_call.sh options]   (run by /init as rig.run=kselftest.sh)

export KSELFTEST_STATIC_CALL_SH_ARGS="$*"
cd /kselftest || exit 1
./run_kselftest.sh -c static_call
