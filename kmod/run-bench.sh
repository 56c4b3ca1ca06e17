#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Guest-side runner for static_call_bench.ko (busybox ash), started by the
# rig's /init as "sh /run-bench.sh [module parameters...]" when the kernel
# command line has rig.run=run-bench.sh (scripts/stages/bench.sh does that).
#
#   run-bench.sh [batches=N] [calls=N] [updates=N]
#
# Loads the module, copies its "SCB ..." lines from the kernel log to the
# console (the rig boots with loglevel=5, so pr_info lines do not reach
# it by themselves) as "BENCH: SCB ...", unloads it and scans the log for
# anything alarming. Exit status: 0 if the module ran clean, 1 otherwise.

set -u

name=static_call_bench
module=/lib/modules/$name.ko
tmp=${TMPDIR:-/tmp}/scb.$$
mkdir -p "$tmp" || exit 1
log=$tmp/kmsg.log

if [ ! -f "$module" ]; then
	echo "BENCH: error $module: no such file"
	exit 1
fi

dmesg -c >/dev/null 2>&1
rc=0
insmod "$module" "$@" >"$tmp/insmod.out" 2>&1 || rc=$?
dmesg >"$log" 2>/dev/null

# Strip "[time] " and the module name, keep the SCB lines.
sed -e 's/^\(\[[^]]*\]\)* *//' "$log" | sed -n "s/^$name: SCB /BENCH: SCB /p"

bad=0
if [ "$rc" -ne 0 ]; then
	echo "BENCH: error insmod exit $rc: $(cat "$tmp/insmod.out")"
	grep "$name: " "$log" | grep -v "$name: SCB " | head -n 5 |
		sed "s/^.*$name: /BENCH: error module: /" | uniq
	bad=1
fi
if ! grep -q "$name: SCB end ok" "$log"; then
	echo "BENCH: error the module did not report 'SCB end ok'"
	bad=1
fi
if grep -qs "^$name " /proc/modules; then
	rmmod "$name" || bad=1
fi
pat='CFI failure|BTI|Oops|BUG:|Unable to handle|Internal error|WARNING:|Call trace:'
if grep -qE "$pat" "$log"; then
	echo "BENCH: error suspicious kernel log lines:"
	grep -E "$pat" "$log" | head -n 10 | sed 's/^/BENCH:   /'
	bad=1
fi
echo "BENCH: runner done bad=$bad"
rm -rf "$tmp"
[ "$bad" -eq 0 ]
