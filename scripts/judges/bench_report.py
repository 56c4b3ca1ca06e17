#!/usr/bin/env python3
"""Turn static_call_bench's "SCB ..." lines into a table, CSV and JSON.

    bench_report.py LINES --variant V --out DIR [--meta key=value ...]

LINES holds the guest runner's output with the "BENCH: " prefix removed:
    SCB meta <key> <value...>
    SCB tramp <id> <path> <slot insn> <distance>MiB <text...>
    SCB call <id> <path> <min> <median> <mean> <what...>
    SCB update <id> <slot> <min> <median> <fine> <what...>
    SCB error <text...>
    SCB end <ok|fail> errors=<n>
    error <text...>          (from kmod/run-bench.sh)
    runner done bad=<n>

Writes DIR/bench-V.csv and DIR/bench-V.json. If DIR/bench-V.json already
exists, the per-call figures are compared with it first (the repeatability
check). Exit status: 0 if the module ran clean, 1 otherwise; a missed
performance target is reported, not treated as a failure.
"""

import argparse
import csv
import json
import os
import sys

# Reference row for the "vs" column: the direct call to the same callee.
REF = {"null": "direct_ret0", "ret0": "direct_ret0"}
REPEAT_TOLERANCE = 0.1


def parse(path):
    res = {"meta": {}, "tramps": [], "calls": [], "updates": [],
           "errors": [], "end": None, "runner_bad": None}
    with open(path, encoding="utf-8", errors="replace") as f:
        for raw in f:
            line = raw.rstrip("\n")
            if line.startswith("error "):
                res["errors"].append("runner: " + line[6:])
                continue
            if line.startswith("runner done bad="):
                res["runner_bad"] = int(line.split("=", 1)[1])
                continue
            if not line.startswith("SCB "):
                continue
            words = line[4:].split(" ")
            kind, rest = words[0], words[1:]
            if kind == "meta" and rest:
                res["meta"][rest[0]] = " ".join(rest[1:])
            elif kind == "tramp" and len(rest) >= 4:
                res["tramps"].append({
                    "id": rest[0], "path": rest[1], "slot": rest[2],
                    "distance_to_target": rest[3],
                    "what": " ".join(rest[4:])})
            elif kind == "call" and len(rest) >= 5:
                res["calls"].append({
                    "id": rest[0], "path": rest[1], "min": float(rest[2]),
                    "median": float(rest[3]), "mean": float(rest[4]),
                    "what": " ".join(rest[5:])})
            elif kind == "update" and len(rest) >= 5:
                res["updates"].append({
                    "id": rest[0], "slot": rest[1], "min": int(rest[2]),
                    "median": int(rest[3]), "fine": float(rest[4]),
                    "what": " ".join(rest[5:])})
            elif kind == "error":
                res["errors"].append(" ".join(rest))
            elif kind == "end":
                res["end"] = rest[0] if rest else "?"
    return res


def add_deltas(res):
    by_id = {c["id"]: c for c in res["calls"]}
    for c in res["calls"]:
        if c["id"] in ("empty", "direct", "direct_ret0"):
            c["ref"], c["vs_ref"] = None, None
            continue
        ref = REF.get(c["id"], "direct")
        if ref in by_id:
            c["ref"] = ref
            c["vs_ref"] = round(c["min"] - by_id[ref]["min"], 3)
        else:
            c["ref"], c["vs_ref"] = None, None
    ups = {u["id"]: u for u in res["updates"]}
    lit = ups.get("out_out")
    for u in res["updates"]:
        u["vs_literal_only"] = (round(u["fine"] / lit["fine"], 2)
                                if lit and lit["fine"] > 0 else None)


def checks(res):
    """The issue's targets, on the minimum-batch per-call figures."""
    c = {x["id"]: x["min"] for x in res["calls"]}
    out = []

    def add(name, ok, detail):
        out.append({"check": name, "result": "PASS" if ok else "MISS",
                    "detail": detail})

    if {"sc_in", "direct", "mainline"} <= c.keys():
        d = c["sc_in"] - c["direct"]
        add("in-range trampoline <= direct call + 2", d <= 2.0 + 1e-9,
            f"sc_in {c['sc_in']:.2f} - direct {c['direct']:.2f} = {d:+.2f}")
        d = c["sc_in"] - c["mainline"]
        add("in-range trampoline < mainline shape", d < 0,
            f"sc_in {c['sc_in']:.2f} - mainline {c['mainline']:.2f} = {d:+.2f}")
    if {"sc_inline", "direct"} <= c.keys():
        d = c["sc_inline"] - c["direct"]
        # Equal to within the counter's rounding (a batch's two counter
        # reads spread over its calls: thousandths of an instruction).
        add("inline static call == direct call", abs(d) < 0.01,
            f"sc_inline {c['sc_inline']:.3f} - direct {c['direct']:.3f} = {d:+.3f}")
    if {"sc_out", "mainline"} <= c.keys():
        d = c["sc_out"] - c["mainline"]
        add("out-of-range path within 1 of mainline shape", abs(d) <= 1.0 + 1e-9,
            f"sc_out {c['sc_out']:.2f} - mainline {c['mainline']:.2f} = {d:+.2f}")
    return out


def compare_previous(res, path):
    """Largest per-call difference from the previous run's JSON, if any."""
    if not os.path.exists(path):
        return None
    try:
        with open(path, encoding="utf-8") as f:
            prev = json.load(f)
    except (OSError, ValueError):
        return None
    before = {c["id"]: c["min"] for c in prev.get("calls", [])}
    diffs = {c["id"]: round(abs(c["min"] - before[c["id"]]), 3)
             for c in res["calls"] if c["id"] in before}
    if not diffs:
        return None
    worst = max(diffs, key=diffs.get)
    return {"max_abs_diff": diffs[worst], "row": worst,
            "same_within": REPEAT_TOLERANCE,
            "same": diffs[worst] <= REPEAT_TOLERANCE,
            "previous_rig_revision": prev.get("meta", {}).get("rig_revision")}


def fmt_delta(v):
    return "" if v is None else f"{v:+.2f}"


def print_table(res, variant, repeat):
    meta = res["meta"]
    if not res["calls"]:
        for e in res["errors"]:
            print(f"  ERROR {e}")
        return
    print()
    print(f"static_call_bench, variant {variant}: {meta.get('kernel', '?')}, "
          f"{meta.get('compiler', '?')}")
    print(f"  {meta.get('qemu', '?')}, -icount shift=0, "
          f"{meta.get('vcpus', '?')} vCPU; "
          f"{meta.get('mod.batches', '?')} batches x "
          f"{meta.get('mod.calls_per_batch', '?')} calls per row")
    print()
    print("  Instructions per call (minimum batch, loop overhead subtracted)")
    print(f"  {'row':<14}{'path':<14}{'per call':>9}{'median':>9}{'mean':>9}"
          f"{'vs ref':>8}  what")
    for c in res["calls"]:
        ref = f" ({c['ref']})" if c.get("ref") not in (None, "direct") else ""
        print(f"  {c['id']:<14}{c['path']:<14}{c['min']:>9.2f}{c['median']:>9.2f}"
              f"{c['mean']:>9.2f}{fmt_delta(c.get('vs_ref')):>8}  "
              f"{c['what']}{ref}")
    print()
    print(f"  static_call_update() cost in instructions, "
          f"{meta.get('mod.updates_per_kind', '?')} updates per kind, two "
          f"counter reads subtracted:")
    print("  min and median in steps of 16 (one counter tick); 'fine' is the "
          "tick-dithered mean")
    print(f"  {'update':<10}{'slot':<10}{'min':>6}{'median':>8}{'fine':>9}"
          f"{'x lit-only':>11}  what")
    for u in res["updates"]:
        r = "" if u["vs_literal_only"] is None else f"{u['vs_literal_only']:.2f}"
        print(f"  {u['id']:<10}{u['slot']:<10}{u['min']:>6}{u['median']:>8}"
              f"{u['fine']:>9.1f}{r:>11}  {u['what']}")
    print()
    print("  Trampolines as measured (slot instruction, distance to the target)")
    for t in res["tramps"]:
        print(f"  {t['id']:<9} {t['path']:<12} {t['slot']} {t['distance_to_target']:>7}"
              f"  {t['what']}")
    print()
    for ch in res["checks"]:
        print(f"  {ch['result']:<5} {ch['check']}: {ch['detail']}")
    if repeat:
        verdict = "same" if repeat["same"] else "DIFFERENT"
        print(f"  vs previous run: largest per-call difference "
              f"{repeat['max_abs_diff']:.3f} ({repeat['row']}): {verdict} "
              f"within {REPEAT_TOLERANCE}")
    for e in res["errors"]:
        print(f"  ERROR {e}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("lines")
    ap.add_argument("--variant", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--meta", action="append", default=[],
                    help="key=value recorded in the JSON and CSV")
    args = ap.parse_args()

    res = parse(args.lines)
    meta = {}
    for kv in args.meta:
        k, _, v = kv.partition("=")
        meta[k] = v
    # The module's own view (kernel release, compiler, units, sizes).
    for k, v in res["meta"].items():
        meta["mod." + k] = v
    res["meta"] = meta
    add_deltas(res)
    res["checks"] = checks(res)

    ok = (res["end"] == "ok" and not res["errors"] and res["runner_bad"] == 0
          and res["calls"] and res["updates"])
    json_path = os.path.join(args.out, f"bench-{args.variant}.json")
    csv_path = os.path.join(args.out, f"bench-{args.variant}.csv")
    repeat = compare_previous(res, json_path) if ok else None
    print_table(res, args.variant, repeat)

    if not ok:
        print(f"bench {args.variant}: the module did not run clean; "
              f"{json_path} left as it was", file=sys.stderr)
        return 1

    doc = {"variant": args.variant,
           "units": "instructions (ns of guest time under -icount shift=0)",
           "statistic": "per call: minimum batch minus minimum empty-loop "
                        "batch, divided by calls per batch; per update: "
                        "minimum and median (16-instruction steps) and 'fine' "
                        "(mean of the samples within one counter tick of the "
                        "minimum, start points dithered over the tick), each "
                        "minus two counter reads; the CSV's mean column holds "
                        "'fine' for updates",
           "meta": meta, "calls": res["calls"], "updates": res["updates"],
           "trampolines": res["tramps"], "checks": res["checks"],
           "previous_run": repeat}
    os.makedirs(args.out, exist_ok=True)
    with open(json_path, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")
    with open(csv_path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["variant", "kind", "id", "path", "min", "median", "mean",
                    "vs_ref", "ref", "what", "kernel", "compiler", "qemu"])
        common = [meta.get("kernel", ""), meta.get("compiler", ""),
                  meta.get("qemu", "")]
        for c in res["calls"]:
            w.writerow([args.variant, "call", c["id"], c["path"],
                        f"{c['min']:.3f}", f"{c['median']:.3f}",
                        f"{c['mean']:.3f}",
                        "" if c["vs_ref"] is None else f"{c['vs_ref']:.3f}",
                        c["ref"] or "", c["what"]] + common)
        for u in res["updates"]:
            w.writerow([args.variant, "update", u["id"], u["slot"], u["min"],
                        u["median"], f"{u['fine']:.3f}", "", "", u["what"]]
                       + common)
    print(f"\n  wrote {csv_path} and {json_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
