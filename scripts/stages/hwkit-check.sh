#!/usr/bin/env bash
# The hardware kit, validated on a rig kernel under QEMU (make hwkit): the
# kit built for VARIANT's kernel (scripts/stages/hwkit.sh), unpacked into
# the guest's initramfs beside Debian's perf, run.sh run as on a board
# (scripts/guest/hwkit-guest.sh), under -icount shift=0 on one vCPU. QEMU
# emulates a PMUv3 with only a few events: the report names which the
# kernel refused, and its numbers are emulated (cycles under -icount are
# not a core's cycles). Checked: run.sh exits 0, the design the module
# decoded is the variant's (scripts/tables/variants.tsv kind and traits),
# report.md has the workload and per-call tables, report.json parses and
# holds every workload the kernel can run, every table cell is its JSON
# median as printed, and QEMU's PMU counted cycles and instructions.
#   hwkit-check.sh VARIANT
set -euo pipefail
. "$(dirname "$0")/../lib/lib.sh"
rig_init

variant_setup hwkit-check.sh "${1:-}"
stage=hwkit-$variant
[ -f "$b/arch/arm64/boot/Image.gz" ] || die "no kernel for $variant: run 'make kernel V=$variant' first"
case $(variant_kind "$variant") in
unpatched) want=indirect ;;
mainline-own) want=mainline ;;
patched) if variant_has "$variant" inline; then want=inline; else want=slot; fi ;;
*) die "$variant: kind $(variant_kind "$variant") has no design name" ;;
esac

kit=$("$RIG_ROOT/scripts/stages/hwkit.sh" --variant "$variant" | tail -n1) ||
	die "scripts/stages/hwkit.sh failed (its messages are above)"
work=$CACHE/build/hwkit-check-$variant
rm -rf "$work"
mkdir -p "$work/root"
tar -C "$work/root" -xzf "$kit"
mv "$work/root"/hwkit-* "$work/root/hwkit"
(cd "$work/root" && find . | LC_ALL=C sort | cpio -o -H newc --quiet --reproducible) >"$work/kit.cpio"
perf_archive=$("$RIG_ROOT/scripts/sources/perf-rootfs.sh") ||
	die "scripts/sources/perf-rootfs.sh failed (its messages are above)"
"$RIG_ROOT/scripts/machine/initramfs.sh" "$variant"
initrd=$work/initramfs.cpio
{
	gzip -dc "$b/rig-initramfs.cpio.gz"
	gzip -dc "$perf_archive"
	cat "$work/kit.cpio"
} >"$initrd"

logf=$LOGS/$stage.console.log
export MACHINE=icount SMP=1 TRACE_EVENTS=
qemu_require
record_qemu "$stage"
t=$(date +%s)
rc=0
INITRD=$initrd BOOT_TIMEOUT=${BOOT_TIMEOUT:-900} nice -n 5 "$RIG_ROOT/scripts/machine/boot.sh" "$variant" "$logf" \
	rig.run=hwkit-guest.sh "rig.args=2000,3,batches=20,calls=2000,updates=50" || rc=$?
secs=$(($(date +%s) - t))
sed -i 's/\r$//' "$logf"
bad=0
if [ "$rc" -ne 0 ] || ! grep -q '^HWKIT rc=0$' "$logf"; then
	record "$stage" "run.sh on $variant's kernel exits 0" FAIL "$secs" "$(grep -m1 '^HWKIT rc=' "$logf" || echo "boot exit $rc"), see $logf"
	exit 1
fi
record "$stage" "run.sh on $variant's kernel exits 0" PASS "$secs"
sed -n '/^HWKIT json begin$/,/^HWKIT json end$/p' "$logf" | sed '1d;$d' >"$OUT/$stage.json"
sed -n '/^## Static calls on/,/^HWKIT rc=/p' "$logf" | sed '$d' | grep -v '^run\.sh: ' >"$OUT/$stage.md"

got=$(sed -n 's/^## Static calls on .*: \([a-z]*\) design$/\1/p' "$OUT/$stage.md")
if [ "$got" = "$want" ]; then
	record "$stage" "the kit decodes the $want design" PASS 0
else
	record "$stage" "the kit decodes the $want design" FAIL 0 "report says '${got:-nothing}'"
	bad=1
fi
# JSON: parses, the workloads the kernel runs, medians equal the table's
if python3 - "$OUT/$stage.json" "$OUT/$stage.md" >"$LOGS/$stage.json-check.log" 2>&1 <<'PY'; then
import json, re, sys
r = json.load(open(sys.argv[1]))
md = open(sys.argv[2]).read()
need = ["getpid", "open_close", "stat", "read", "mmap", "ctxsw"]
if "ctxsw_traced not measured: unpatched kCFI kernel" not in md:
    need.append("ctxsw_traced")
missing = [w for w in need if w not in r["workloads"]]
assert not missing, f"workloads missing from report.json: {missing}"
assert r["calls"], "no per-call rows"
# Every number of the workload table is the JSON's median, as printed.
metrics = ["ns", "cycles", "instructions", "branch_misses", "l1i_misses", "l1d_misses"]
label = {"getpid": "getpid ", "open_close": "openat ", "stat": "stat ", "read": "lseek ",
         "mmap": "mmap ", "ctxsw": "pipe ", "ctxsw_traced": "ping-pong, perf"}
rows = [l for l in md.splitlines() if l.startswith("| ")]
checked = 0
for w, ms in r["workloads"].items():
    row = [l for l in rows if l[2:].startswith(label[w])]
    assert len(row) == 1, f"{w}: {len(row)} table rows"
    cells = [c.strip() for c in row[0].strip("|").split("|")][1:]
    for i, m in enumerate(metrics):
        if m not in ms:
            continue
        med = ms[m]["median"]
        # The table prints the awk's value rounded (%.0f from 100 up, else
        # %.1f), the JSON that value with one decimal: a cell is right when
        # it is within half its last digit of the JSON's (10515.5 in the
        # JSON may be 10515.49 in the awk, printed 10515).
        half = 0.5 if abs(med) >= 100 else 0.05
        cell = cells[i].split(" ")[0].replace(",", "")
        assert re.fullmatch(r"-?[0-9]+(\.[0-9])?", cell) and abs(float(cell) - med) <= half + 1e-6, \
            f"{w} {m}: table {cells[i]!r}, json {med}"
        checked += 1
ok = [e for e, s in r["events"].items() if s == "ok"]
no = [e for e, s in r["events"].items() if s != "ok"]
# QEMU's PMUv3 counts cycles and instructions: a kit that counts nothing
# here would count nothing on a board either.
assert "instructions" in ok and "cycles" in ok, f"QEMU's PMU counted {ok}"
print(f"{checked} cells as in the JSON; counted:", " ".join(ok), "; not counted:", " ".join(no) or "none")
PY
	record "$stage" "report.json holds every workload and call row, every cell of report.md its median, cycles and instructions counted" PASS 0
	record "$stage" "QEMU's PMU (emulated): $(tail -n1 "$LOGS/$stage.json-check.log")" INFO 0
else
	record "$stage" "report.json holds every workload and call row" FAIL 0 "$(tail -n1 "$LOGS/$stage.json-check.log")"
	bad=1
fi
exit "$bad"
