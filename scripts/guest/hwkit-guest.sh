#!/bin/sh
# Guest side of scripts/stages/hwkit-check.sh: the hardware kit's run.sh,
# unpacked at /hwkit, run as a user would run it on a board, then its
# report.json copied to the console between markers for the host.
#   hwkit-guest.sh ITERATIONS RUNS [MODULE PARAMETERS...]
iters=$1
runs=$2
shift 2
export PATH=/usr/bin:/bin
mount -t securityfs securityfs /sys/kernel/security 2>/dev/null
BENCH_ARGS="$*" OUT=/tmp/hwkit-results sh /hwkit/run.sh "$iters" "$runs"
rc=$?
echo "HWKIT rc=$rc"
echo "HWKIT json begin"
cat /tmp/hwkit-results/report.json
echo "HWKIT json end"
exit "$rc"
