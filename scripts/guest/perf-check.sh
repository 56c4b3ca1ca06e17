#!/bin/sh
# Guest side of scripts/stages/perf.sh: the reported command, run with Debian's
# perf (unpacked into the initramfs by scripts/sources/perf-rootfs.sh). Every line
# the host judges starts with "PERF: "; perf's own output is copied with
# "PERF| " in front.
#   perf-check.sh   (run by /init as rig.run=perf-check.sh)

export HOME=/tmp PATH=/usr/bin:/bin
cd /tmp || exit 1
echo "PERF: $(perf --version 2>&1)"

# The bug report's command: every sched_switch sample goes through
# perf_misc_flags(), which calls the RET0 key __perf_guest_state.
perf record -e sched:sched_switch -a -o /tmp/perf.data -- sleep 2 >/tmp/record.txt 2>&1
echo "PERF: record rc=$?"
sed 's/^/PERF| /' /tmp/record.txt

perf report --stdio -i /tmp/perf.data >/tmp/report.txt 2>&1
echo "PERF: report rc=$?"
grep -v '^$' /tmp/report.txt | head -n 24 | sed 's/^/PERF| /'

# A hardware event, counted on the PMU QEMU's -cpu max provides.
perf stat -e cycles,instructions -a -- sleep 1 >/tmp/stat.txt 2>&1
echo "PERF: stat rc=$?"
grep -v '^$' /tmp/stat.txt | sed 's/^/PERF| /'
