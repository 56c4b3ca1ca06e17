#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Static call selftest: loads static_call_test.ko (test_modules/) and judges
# it, in KTAP through kselftest's ktap_helpers.sh. Installed by
# "make kselftest-install TARGETS=static_call", run by
# "run_kselftest.sh -c static_call" (options in
# KSELFTEST_STATIC_CALL_SH_ARGS) or directly. busybox ash is enough.
#
#   static_call.sh [-n CYCLES] [-S SCENARIOS] [-N] [-s STRESS_SCALE] [-m MODULE] [-e] [-F] [-H] [-P]
#
#   -n CYCLES        extra load/unload cycles after the first load (default 5)
#   -S SCENARIOS     the module's scenarios for the first load, separated by
#                    ',' or '+' (the rig's guest command line splits at commas;
#                    default all)
#   -N               the first load runs every scenario but the stress (a
#                    race of 1000 updates; a time budget may leave it to
#                    other runs)
#   -s STRESS_SCALE  the module's stress_scale for the first load (default 1;
#                    the load/unload cycles use stress_scale=0)
#   -m MODULE        path of the module (default test_modules/static_call_test.ko
#                    next to this script)
#   -e               emulator_stale_ok=1 for the first load's stress case
#                    and load_unload_updating: they count and report, but
#                    tolerate, stale calls (QEMU multi-threaded TCG; see
#                    common/sc_race.h); their memory checks still apply
#   -F               during the first load, switch the function tracer on
#                    and off in a loop (tracing the race's targets): ftrace
#                    patches text through the same writer, under text_mutex
#   -H               during the first load, take CPUs other than CPU 0
#                    offline and online again in a loop (CONFIG_HOTPLUG_CPU)
#   -P               one more load, beyond B range of the kernel: the rig's
#                    KUnit graft reserves the module space within 128 MiB
#                    of the kernel first (its fill_module_range parameter)
#
# One KTAP test per check:
#   static_call_test     the module's own KTAP from the first load, nested
#                        (a parent's result is its subtests' alone; what only
#                        the runner sees is a leaf of its own)
#   first_load           insmod returned 0, the module's KTAP was complete,
#                        rmmod worked; with -F/-H, the background load ran
#                        rounds and never failed
#   load_unload_cycles   CYCLES more loads and unloads, each one clean
#   load_unload_updating 3 loads and unloads (scenarios=key_moving) while
#                        the KUnit suite's key_mod_flips updates
#                        a64sc_key_mod, which the module calls: every load
#                        clean, the module's own site decoded and called
#                        between updates (and seen to move), every update
#                        checked by the suite (key_mod_bad 0)
#   scenario_subset      scenarios=null,ret0 stress_scale=0 runs exactly those
#                        two, planned as 1..2 (the others are left out)
#   inline_load          scenarios=inline_sites, its KTAP nested: the module's
#                        inline call sites (fails on a kernel without them)
#   inline_load_exit     that load's insmod exit agreed with the module's own
#                        results (0 exactly when all passed), rmmod worked
#   load_sync            with inline sites, a load's static call set-up
#                        (every site of the module written) interrupted each
#                        other CPU exactly once, counted by the kernel (the
#                        KUnit graft's watch_load: csd_queue_cpu calls of the
#                        loading task in static_call_module_notify())
#   reject_stress_scale  stress_scale=99999: insmod fails, with a clear message
#   reject_scenarios     scenarios=bogus: insmod fails, with a clear message
#   kprobe_blacklist     the kprobe blacklist (debugfs) has no entry for a
#                        static call trampoline, with the module loaded:
#                        trampolines are refused by address range instead
#   far_placement        (-P) the module's KTAP, nested, from a load beyond
#                        B range of the kernel with far=1: its calls reach
#                        kernel trampolines through PLTs, its trampolines
#                        reach kernel code by their literal path
#   far_placement_exit   (-P) that load's insmod exit agreed with its results,
#                        rmmod worked, and the reserved module space was
#                        released (no a64sc_fill area left in vmallocinfo)
#   kernel_log_clean     no CFI failure, BTI fault, oops, BUG or WARNING
#                        was logged while the runner ran
# The kernel log is read with dmesg (the rig boots with loglevel=5, so the
# module's pr_info lines are not on the console). Exit status: kselftest's
# (0 if every test passed, 1 if any failed), 2 on a usage error.

set -u

here=$(dirname "$0")
helpers=$here/../kselftest/ktap_helpers.sh
if [ ! -r "$helpers" ]; then
	echo "static_call.sh: $helpers missing: install with make kselftest-install" >&2
	exit 1
fi
# shellcheck source=/dev/null # kselftest/ktap_helpers.sh, installed beside it
. "$helpers"

name=static_call_test
module=$here/test_modules/$name.ko
cycles=5
scale=1
first=all
stale_ok=0
ftrace=0
hotplug=0
place_far=0

usage() {
	echo "usage: $0 [-n CYCLES] [-S SCENARIOS] [-N] [-s STRESS_SCALE] [-m MODULE] [-e] [-F] [-H] [-P]" >&2
	exit 2
}

is_number() {
	case $1 in
	'' | *[!0-9]*) return 1 ;;
	*) return 0 ;;
	esac
}

# Every scenario of the module but the stress (a race, not a placement or
# a transition): -N's first load, and the load beyond B range.
no_stress=initial_state,module_target,kernel_target,kernel_key,null,ret0,transitions,kprobe_refused,sync,far_target

while getopts n:S:Ns:m:eFHPh opt; do
	case $opt in
	n) cycles=$OPTARG ;;
	S) first=$(printf '%s' "$OPTARG" | tr '+' ',') ;;
	N) first=$no_stress ;;
	s) scale=$OPTARG ;;
	m) module=$OPTARG ;;
	e) stale_ok=1 ;;
	F) ftrace=1 ;;
	H) hotplug=1 ;;
	P) place_far=1 ;;
	*) usage ;;
	esac
done
if ! is_number "$cycles" || [ "$cycles" -lt 1 ] || ! is_number "$scale"; then
	usage
fi

tmp=${TMPDIR:-/tmp}/sct.$$
mkdir -p "$tmp" || exit 1
log=$tmp/kmsg.log	# everything the kernel logged while the runner ran
chunk=$tmp/chunk.log	# what it logged during the current step
ktap=$tmp/ktap.txt	# the module's KTAP lines from the current step
out=$tmp/insmod.out	# insmod's own output
: >"$log"

# Read and clear the kernel log: the current step's messages go to $chunk,
# and are kept in $log for the final scan.
drain() {
	dmesg -c >"$chunk" 2>/dev/null || : >"$chunk"
	cat "$chunk" >>"$log"
}

# The module's KTAP from $chunk, without the "[time] static_call_test: " prefix.
# Only the first report: when init fails, busybox insmod retries with
# init_module() after finit_module(), so a failing init runs (and reports)
# twice.
module_ktap() {
	sed -e 's/^\(\[[^]]*\]\)* *//' "$chunk" | sed -n "s/^$name: //p" |
		grep -E '^(KTAP version|1\.\.|ok |not ok |# )' |
		awk '/^KTAP version/ { n++ } n <= 1' >"$ktap"
}

# Count the module's results: sets plan, nok and nnot. True if the plan is
# non-empty, every planned result is there and none is "not ok".
ktap_verdict() {
	plan=$(sed -n 's/^1\.\.\([0-9][0-9]*\)$/\1/p' "$ktap" | head -n 1)
	nok=$(grep -c '^ok ' "$ktap")
	nnot=$(grep -c '^not ok ' "$ktap")
	[ -n "$plan" ] && [ "$plan" -gt 0 ] && [ "$nnot" -eq 0 ] &&
		[ "$nok" -eq "$plan" ]
}

loaded() {
	grep -qs "^$name " /proc/modules
}

# load ARGS...: insmod the module; sets rc, fills $chunk and $ktap.
load() {
	drain
	insmod "$module" "$@" >"$out" 2>&1
	rc=$?
	drain
	module_ktap
}

# unload: rmmod if loaded; false if rmmod failed or it is still loaded.
unload() {
	if loaded; then
		rmmod "$name" >>"$out" 2>&1 || return 1
	fi
	! loaded
}

# exit_agrees: insmod's exit status $rc is 0 exactly when the module's KTAP
# was complete and had no failure (its init fails when a case fails).
exit_agrees() {
	if ktap_verdict; then
		[ "$rc" -eq 0 ]
	else
		[ "$rc" -ne 0 ]
	fi
}

result() { # result 0|1 NAME: 0 is success
	if [ "$1" -eq 0 ]; then
		ktap_test_pass "$2"
	else
		ktap_test_fail "$2"
	fi
}
diag() {
	ktap_print_msg "$*"
}

ktap_print_header
ktap_set_plan $((12 + 2 * place_far))
drain
diag "kernel log before the runner: $(wc -l <"$chunk") lines (not scanned)"
: >"$log"

# Background load for the first load: -F and -H. Each loop runs until
# $busy is removed and counts its rounds in a file, reported afterwards.
busy=$tmp/busy
tracing=/sys/kernel/tracing
# The race's kernel target, and every function of the module once it is
# loaded (the "mod" filter command is kept for a module loaded later).
# Tracing them makes ftrace rewrite the very functions the trampoline
# branches to, while it rewrites the trampoline. Set before insmod starts:
# written while the module is coming but before ftrace has enabled its
# records, the "mod" command fails with EINVAL.
ftrace_filter() {
	echo int_sqrt >"$tracing/set_ftrace_filter" &&
		echo "*:mod:$name" >>"$tracing/set_ftrace_filter"
}
ftrace_loop() {
	n=0
	while [ -e "$busy" ]; do
		echo function >"$tracing/current_tracer" || return 1
		sleep 0.2
		# How many of the race's targets ftrace has patched right now.
		grep -cE "^(int_sqrt|sct_mod_[abc])[ (]" "$tracing/enabled_functions" \
			>"$tmp/ftrace.patched"
		echo nop >"$tracing/current_tracer" || return 1
		[ "$(cat "$tmp/ftrace.patched")" -gt 0 ] && n=$((n + 1))
		echo "$n" >"$tmp/ftrace.rounds"
		sleep 0.1
	done
}
hotplug_loop() {
	n=0
	while [ -e "$busy" ]; do
		for c in /sys/devices/system/cpu/cpu[1-9]*; do
			[ -e "$busy" ] || break
			[ -w "$c/online" ] || return 1
			echo 0 >"$c/online" || return 1
			sleep 0.1
			echo 1 >"$c/online" || return 1
			n=$((n + 1))
			echo "$n" >"$tmp/hotplug.rounds"
		done
	done
}
bg_start() {
	bg_pids=""
	: >"$busy"
	if [ "$ftrace" -eq 1 ]; then
		if ftrace_filter; then
			ftrace_loop &
			bg_pids="$bg_pids $!"
		else
			diag "could not set the function tracer's filter (int_sqrt, *:mod:$name)"
		fi
	fi
	if [ "$hotplug" -eq 1 ]; then
		hotplug_loop &
		bg_pids="$bg_pids $!"
	fi
}
# bg_stop: stop the loops; fails if one of them failed or never ran a round.
bg_stop() {
	bg_bad=0
	rm -f "$busy"
	for p in $bg_pids; do
		wait "$p" || bg_bad=1
	done
	if [ "$ftrace" -eq 1 ]; then
		r=$(cat "$tmp/ftrace.rounds" 2>/dev/null || echo 0)
		diag "function tracer switched on and off $r times during the first load with the race's targets patched"
		[ "$r" -gt 0 ] || bg_bad=1
		echo nop >"$tracing/current_tracer" 2>/dev/null
	fi
	if [ "$hotplug" -eq 1 ]; then
		r=$(cat "$tmp/hotplug.rounds" 2>/dev/null || echo 0)
		diag "CPUs taken offline and back online $r times during the first load"
		[ "$r" -gt 0 ] || bg_bad=1
		for c in /sys/devices/system/cpu/cpu[1-9]*; do
			echo 1 >"$c/online" 2>/dev/null
		done
	fi
	return "$bg_bad"
}

# 1, 2: the first load, its KTAP nested as a subtest.
[ -f "$module" ] || diag "$module: no such file"
bg_start
load scenarios="$first" stress_scale="$scale" emulator_stale_ok="$stale_ok"
first_rc=$rc
bg_ok=1
bg_stop || {
	diag "the background load (-F/-H) failed or never completed a round"
	bg_ok=0
}
bad=0
ktap_verdict || bad=1
if [ -n "$plan" ]; then
	echo "    KTAP version 1"
	echo "    # Subtest: $name"
	grep -v '^KTAP version' "$ktap" | sed 's/^/    /'
	# Each case's headline (path, trampoline and target in MiB) at top
	# level too, where scripts/stages/kmod.sh picks "# static_call_test: " lines.
	grep ' tramp@' "$ktap" | sed "s/^# /# $name: /"
else
	diag "$name: no KTAP from the module; insmod exit $rc: $(cat "$out")"
fi
result "$bad" "$name"

bad=0
if [ "$first_rc" -ne 0 ]; then
	diag "first_load: insmod exit $first_rc: $(cat "$out")"
	bad=1
fi
if [ "$bg_ok" -ne 1 ]; then
	diag "first_load: its background load (-F/-H) failed"
	bad=1
fi
if [ -z "$plan" ] || [ $((nok + nnot)) -ne "$plan" ]; then
	diag "first_load: module KTAP incomplete: plan ${plan:-none}, $((nok + nnot)) results"
	bad=1
fi
if ! unload; then
	diag "first_load: rmmod failed: $(cat "$out")"
	bad=1
fi
result "$bad" first_load

# 3: load/unload cycles.
good=0
i=1
while [ "$i" -le "$cycles" ]; do
	load stress_scale=0
	cycle_ok=0
	ktap_verdict || cycle_ok=1
	[ "$rc" -eq 0 ] || cycle_ok=1
	unload || cycle_ok=1
	if [ "$cycle_ok" -eq 0 ]; then
		good=$((good + 1))
	elif [ $((i - good)) -le 3 ]; then
		diag "cycle $i: insmod exit $rc, plan ${plan:-none}, ok $nok, not ok $nnot"
		grep '^not ok ' "$ktap" | sed 's/^/#   /'
	fi
	i=$((i + 1))
done
diag "load_unload_cycles: $good of $cycles cycles clean"
[ "$good" -eq "$cycles" ]
result $? load_unload_cycles

# 4: loads and unloads while a kernel key the module calls is updated:
# the module's sites of a64sc_key_mod come and go under the updates of the
# KUnit suite's key_mod_flips, which checks the vmlinux site and a call
# after every update (key_mod_bad).
flips=/sys/module/arm64_static_call_kunit/parameters/key_mod_flips
kbad=/sys/module/arm64_static_call_kunit/parameters/key_mod_bad
kstale=/sys/module/arm64_static_call_kunit/parameters/key_mod_stale
bad=0
if [ -w "$flips" ]; then
	before=$(cat "$flips")
	(
		i=0
		# Until the loads below are done (bounded, in case they hang).
		while [ ! -e "$tmp/flips.stop" ] && [ "$i" -lt 1000000 ]; do
			echo 20 >"$flips" || break
			i=$((i + 1))
		done
	) &
	flipper=$!
	n=0
	while [ "$n" -lt 3 ]; do
		load scenarios=key_moving key_moving=1 stress_scale=0 emulator_stale_ok="$stale_ok"
		lbad=0
		ktap_verdict || lbad=1
		[ "$rc" -eq 0 ] || lbad=1
		unload || lbad=1
		if [ "$lbad" -ne 0 ]; then
			diag "load_unload_updating: load $n: insmod exit $rc; module's KTAP:"
			sed 's/^/#   /' "$ktap"
			bad=1
		fi
		grep -h '# key_moving: ' "$ktap" | sed 's/^# /# load_unload_updating: /'
		n=$((n + 1))
	done
	: >"$tmp/flips.stop"
	wait "$flipper"
	rm -f "$tmp/flips.stop"
	done_flips=$(($(cat "$flips") - before))
	diag "load_unload_updating: $n loads and unloads during $done_flips updates of a64sc_key_mod, $(cat "$kbad") bad, $(cat "$kstale") stale"
	[ "$done_flips" -gt 0 ] || bad=1
	[ "$(cat "$kbad")" = 0 ] || bad=1
	# A stale call (memory right, an earlier target run) is the emulator's; it
	# fails the test unless -e says the guest runs multi-threaded TCG.
	if [ "$(cat "$kstale")" != 0 ] && [ "$stale_ok" -eq 0 ]; then
		diag "load_unload_updating: stale calls without -e"
		bad=1
	fi
else
	diag "load_unload_updating: $flips missing (not a rig kernel)"
	bad=1
fi
result "$bad" load_unload_updating

# 5: a subset of the cases: null and ret0 run and pass, and are all the
# module plans.
load scenarios=null,ret0 stress_scale=0
bad=0
ktap_verdict || bad=1
[ "$rc" -eq 0 ] || bad=1
grep -q '^ok [0-9]* null$' "$ktap" || bad=1
grep -q '^ok [0-9]* ret0$' "$ktap" || bad=1
ran=$(grep -E '^(ok|not ok) ' "$ktap" | grep -vc ' # SKIP')
[ "$ran" -eq 2 ] || bad=1
[ "$plan" = 2 ] || bad=1
unload || bad=1
if [ "$bad" -ne 0 ]; then
	diag "scenario_subset: insmod exit $rc, $ran cases ran; results:"
	grep -E '^(ok|not ok) ' "$ktap" | sed 's/^/#   /'
fi
result "$bad" scenario_subset

# 6: inline call sites, in a load of their own (scenarios=all leaves the
# case out on a kernel without them, where it can only fail).
load scenarios=inline_sites stress_scale=0
bad=0
ktap_verdict || bad=1
xbad=0
if ! exit_agrees; then
	diag "inline_load_exit: insmod exit $rc, module results ${nok} ok, ${nnot} not ok of plan ${plan:-none}: they disagree"
	xbad=1
fi
if ! unload; then
	diag "inline_load_exit: rmmod failed: $(cat "$out")"
	xbad=1
fi
if [ -n "$plan" ]; then
	echo "    KTAP version 1"
	echo "    # Subtest: inline_load"
	grep -v '^KTAP version' "$ktap" | sed 's/^/    /'
else
	diag "inline_load: no KTAP from the module; insmod exit $rc: $(cat "$out")"
fi
result "$bad" inline_load
result "$xbad" inline_load_exit

# One synchronisation for all of a loading module's sites: the module's
# text has not run, but another CPU may have fetched it, so the sites'
# writes owe every other CPU one context synchronisation, after the last
# of them, and no more (RFC v3 batches them).
watch=/sys/module/arm64_static_call_kunit/parameters/watch_load
bad=0
if [ "$(cat /sys/module/arm64_static_call_kunit/parameters/inline_sites 2>/dev/null)" != Y ]; then
	diag "load_sync: CONFIG_HAVE_STATIC_CALL_INLINE is not set: no call sites to write at load"
	bad=1
elif ! echo 1 >"$watch" 2>/dev/null; then
	diag "load_sync: cannot write $watch"
	bad=1
else
	load scenarios=null stress_scale=0
	seen=$(cat "$watch")
	echo 0 >"$watch"
	unload || bad=1
	[ "$rc" -eq 0 ] || bad=1
	calls=$(echo "$seen" | sed -n 's/.*calls=\([0-9]*\).*/\1/p')
	cpus=$(echo "$seen" | sed -n 's/.*cpus=\([0-9]*\).*/\1/p')
	others=$(echo "$seen" | sed -n 's/.*others=\([0-9]*\).*/\1/p')
	sites=$(echo "$seen" | sed -n 's/.*sites=\([0-9-]*\).*/\1/p')
	unwaited=$(echo "$seen" | sed -n 's/.*unwaited=\([0-9]*\).*/\1/p')
	missed=$(echo "$seen" | sed -n 's/.*missed=\([0-9]*\).*/\1/p')
	diag "load_sync: $seen"
	if [ -z "$calls" ] || [ -z "$cpus" ] || [ -z "$others" ] || [ -z "$sites" ] ||
		[ -z "$unwaited" ] || [ -z "$missed" ]; then
		bad=1
	elif [ "$missed" -ne 0 ] || ! echo "$seen" | grep -q 'module=static_call_test$'; then
		diag "load_sync: the watch missed the load, or saw another module's"
		bad=1
	elif [ "$unwaited" -ne 0 ]; then
		diag "load_sync: $unwaited cross-CPU calls were queued without waiting for them"
		bad=1
	elif [ "$others" -lt 1 ] || [ "$sites" -lt 2 ]; then
		diag "load_sync: inconclusive: $others other CPUs, $sites sites"
		bad=1
	elif [ "$calls" -ne "$others" ] || [ "$cpus" -ne "$others" ]; then
		diag "load_sync: $calls cross-CPU calls to $cpus of $others other CPUs for $sites sites: expected one to each"
		bad=1
	fi
fi
result "$bad" load_sync

# 7, 8: invalid parameters are refused with a message naming the problem.
# reject NAME PARAM TEXT1 TEXT2: one line of the module's log has both texts
reject() {
	load "$2"
	bad=0
	if [ "$rc" -eq 0 ]; then
		diag "$1: insmod $2 succeeded, expected a failure"
		bad=1
	fi
	if ! grep -F "$name: $3" "$chunk" | grep -qF "$4"; then
		diag "$1: kernel log lacks a \"$name: $3 ... $4\" message"
		bad=1
	fi
	if loaded; then
		diag "$1: module loaded after insmod $2"
		rmmod "$name" >/dev/null 2>&1
		bad=1
	fi
	result "$bad" "$1"
}
reject reject_stress_scale stress_scale=99999 \
	"stress_scale=99999 is out of range" "(0..1000)"
reject reject_scenarios scenarios=bogus "scenarios: unknown" "'bogus'"

# 9: kprobes are kept off trampolines by an address range check, not by
# one blacklist entry per trampoline (each is a list node that every
# register_kprobe() walks). Count the entries with the module loaded.
bl=/sys/kernel/debug/kprobes/blacklist
[ -d /sys/kernel/debug/kprobes ] ||
	mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
bad=0
if [ -r "$bl" ]; then
	load scenarios=null stress_scale=0
	state="not loaded: its init failed"
	# The count means something only with the module's trampolines in.
	loaded && state=loaded || bad=1
	total=$(wc -l <"$bl")
	sct=$(grep -c '__SCT__' "$bl")
	mod=$(grep -c "\[$name\]" "$bl")
	unload || bad=1
	diag "kprobe_blacklist: $total entries, $sct for __SCT__ trampolines, $mod for $name ($state)"
	[ "$sct" -eq 0 ] || bad=1
	[ "$total" -gt 0 ] || bad=1
else
	diag "kprobe_blacklist: $bl not readable (CONFIG_DEBUG_FS and CONFIG_KPROBES needed)"
	bad=1
fi
result "$bad" kprobe_blacklist

# -P: a load beyond B range of the kernel, its KTAP nested.
if [ "$place_far" -eq 1 ]; then
	fill=/sys/module/arm64_static_call_kunit/parameters/fill_module_range
	bad=0
	xbad=0
	drain
	if [ -w "$fill" ] && echo 1 >"$fill"; then
		drain
		sed -n 's/.*arm64_static_call_kunit: \(reserved .*\)/\1/p' "$chunk" | sed 's/^/# far_placement: /'
		# Every case but the stress, and the inline sites where the
		# kernel has them (the KUnit suite says).
		far_cases=$no_stress
		if [ "$(cat /sys/module/arm64_static_call_kunit/parameters/inline_sites 2>/dev/null)" = Y ]; then
			far_cases=$far_cases,inline_sites
		fi
		load far=1 stress_scale=0 scenarios="$far_cases"
		ktap_verdict || bad=1
		if ! exit_agrees; then
			diag "far_placement_exit: insmod exit $rc, module results ${nok} ok, ${nnot} not ok of plan ${plan:-none}: they disagree"
			xbad=1
		fi
		if loaded; then
			diag "far_placement: $(grep "^$name " /proc/modules)"
		fi
		if ! unload; then
			diag "far_placement_exit: rmmod failed: $(cat "$out")"
			xbad=1
		fi
		# The release: the reserved areas (a64sc_fill in vmallocinfo)
		# are gone, so later loads land within B range again.
		held=$(grep -c 'a64sc_fill' /proc/vmallocinfo)
		echo 0 >"$fill" || xbad=1
		left=$(grep -c 'a64sc_fill' /proc/vmallocinfo)
		diag "far_placement_exit: release of the module space: $held reserved areas before, $left after"
		[ "$held" -gt 0 ] && [ "$left" -eq 0 ] || xbad=1
		if [ -n "$plan" ]; then
			echo "    KTAP version 1"
			echo "    # Subtest: far_placement"
			grep -v '^KTAP version' "$ktap" | sed 's/^/    /'
			grep -E ' (kernel_key|kernel_target): ' "$ktap" | sed "s/^# /# $name: far: /"
		else
			diag "far_placement: no KTAP from the module; insmod exit $rc: $(cat "$out")"
		fi
	else
		diag "far_placement: cannot write 1 to $fill (the rig's KUnit graft, CONFIG_ARM64_STATIC_CALL_KUNIT_TEST=y)"
		bad=1
		xbad=1
	fi
	result "$bad" far_placement
	result "$xbad" far_placement_exit
fi

# 10: nothing bad in the kernel log while the runner ran.
drain
pat='CFI failure|BTI|Oops|BUG:|Unable to handle|Internal error|WARNING:|Call trace:'
hits=$(grep -cE "$pat" "$log")
if [ "$hits" -ne 0 ]; then
	diag "kernel_log_clean: $hits suspicious kernel log lines, first ones:"
	grep -E "$pat" "$log" | head -n 10 | sed 's/^/#   /'
fi
[ "$hits" -eq 0 ]
result $? kernel_log_clean

diag "$name: module cycles clean: $good/$cycles"
rm -rf "$tmp"
ktap_finished
