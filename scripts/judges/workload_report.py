#!/usr/bin/env python3
"""One base's workload table (make workload), from scripts/stages/workload.sh's
rows: instructions per operation for each design the base has (indirect:
unpatched; mainline: mainline's trampoline; slot: the series; inline: the
inline call sites), with the program's empty loop subtracted, over the
repeated runs: median, minimum and spread (maximum - minimum). Then the
differences to the unpatched kernel and to mainline's trampoline; a
difference smaller than the two spreads together is marked as within the
noise. The kernels' configurations are compared, so that the table says
what else differs between them. With --reference (the JSON of an earlier
run), the largest deviation of a median from it is reported.

  workload_report.py --base 6.12 --out DIR ROWS.tsv... [--config VARIANT=PATH]...
                     [--reference FILE.json] [--tolerance PERCENT]
                     [--results RESULTS.tsv --label LABEL]
Writes DIR/workload-BASE.md and DIR/workload-BASE.json and prints the table.
Exit status 1 on a deviation from the reference beyond the tolerance. With
--results, the comparison is also a verdict row (LABEL, PASS or FAIL) of
the rig's results file, so that it counts as a check, not a step.
"""

import argparse
import csv
import json
import os
import statistics
import sys

DESIGNS = ["indirect", "mainline", "slot", "inline"]
DESIGN_TEXT = {
    "indirect": "indirect calls (unpatched)",
    "mainline": "mainline's trampoline",
    "slot": "slot series",
    "inline": "inline sites",
}
WORKLOADS = ["getpid", "open_close", "stat", "read", "mmap", "ctxsw", "ctxsw_traced"]
WORKLOAD_TEXT = {
    "getpid": "getpid (no LSM hook: the control)",
    "open_close": "openat + close",
    "stat": "stat",
    "read": "lseek + read (1 byte)",
    "mmap": "mmap + munmap (1 page)",
    "ctxsw": "pipe ping-pong (2 switches)",
    "ctxsw_traced": "ping-pong, perf record -e sched:sched_switch",
}


BENCH_ROWS = [
    ("direct", "direct bl (the limit)"),
    ("sc_in", "static call, target in range"),
    ("indirect_kcfi", "indirect call, kCFI-checked"),
    ("bpf_disp", "BPF dispatcher (the bench's replica of its shape)"),
    ("bpf_direct", "direct bl to the BPF program (its limit)"),
]


def read_rows(paths):
    runs = {}  # (design, workload) -> [instructions per operation]
    variants = {}  # design -> variant
    skipped = {}  # (design, workload) -> reason
    bench = {}  # (design, id) -> instructions per call (median)
    for path in paths:
        with open(path, encoding="utf-8") as f:
            header = None
            for line in f:
                line = line.rstrip("\n")
                if not line:
                    continue
                if line.startswith("#"):
                    continue
                cols = line.split("\t")
                if header is None:
                    header = cols
                    continue
                r = dict(zip(header, cols))
                d = r["design"]
                if variants.setdefault(d, r["variant"]) != r["variant"]:
                    sys.exit(f"workload_report: two variants with design {d}: "
                             f"{variants[d]} and {r['variant']}")
                insn = int(r["ticks"]) * 1e9 / int(r["freq"])
                runs.setdefault((d, r["workload"]), []).append(insn / int(r["iters"]))
        v = path.rsplit("workload-", 1)[-1].removesuffix(".tsv")
        ds = [d for d, var in variants.items() if var == v]
        with open(path, encoding="utf-8") as f:
            for line in f:
                cols = line.rstrip("\n").split("\t")
                if cols[0] == "#skipped":
                    for d in ds:
                        skipped[(d, cols[1])] = cols[2]
                elif cols[0] == "#bench":
                    for d in ds:
                        bench[(d, cols[1])] = float(cols[3])
    return runs, variants, skipped, bench


def read_config(path):
    cfg = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if line.startswith("CONFIG_") and "=" in line:
                k, v = line.split("=", 1)
                cfg[k] = v
            elif line.startswith("# CONFIG_") and line.endswith(" is not set"):
                cfg[line[2:-11]] = "n"
    return cfg


def config_differences(configs):
    """Symbols whose value is not the same in every kernel (compiler
    version strings and the like excluded)."""
    cfgs = {v: read_config(p) for v, p in configs.items()}
    keys = sorted(set().union(*cfgs.values())) if cfgs else []
    ignore = ("CONFIG_CC_VERSION_TEXT", "CONFIG_LOCALVERSION")
    diff = {}
    for k in keys:
        if k in ignore:
            continue
        vals = {v: c.get(k, "n") for v, c in cfgs.items()}
        if len(set(vals.values())) > 1:
            diff[k] = vals
    return diff


def ops(k):
    """Operations one workload run of k makes: a warm-up round of k/10 + 1,
    then k (workload.c, one run)."""
    return k + k // 10 + 1


def read_footprint(paths):
    """(design, workload, model) -> accesses and misses per operation, and
    the noise: the difference between the two identical first boots, per
    operation."""
    fp, noise, models = {}, {}, []
    for path in paths:
        boots = {}
        with open(path, encoding="utf-8") as f:
            header = f.readline().rstrip("\n").split("\t")
            for line in f:
                r = dict(zip(header, line.rstrip("\n").split("\t")))
                if r["model"] not in models:
                    models.append(r["model"])
                boots[(r["group"], r["boot"], r["model"])] = r
        for (group, boot, model), r in boots.items():
            base = boots.get((group, f"{group}-base", model))
            again = boots.get((group, f"{group}-base-again", model))
            if not base or not again:
                sys.exit(f"workload_report: {path}: no base boots for {group}/{model}")
            dn = ops(int(r["long_n"])) - ops(int(r["n"]))
            d = r["design"]
            keys = ("iacc", "imiss", "dacc", "dmiss")
            if boot == f"{group}-base":
                nz = noise.setdefault((d, group, model), {k: 0.0 for k in keys})
                for k in keys:
                    nz[k] = max(nz[k], abs(int(again[k]) - int(base[k])) / dn)
            if r["long"] == "-":
                continue
            fp[(d, r["long"], model)] = {
                k: (int(r[k]) - int(base[k])) / dn for k in keys}
    return fp, noise, models


def fmt(x):
    return f"{x:,.1f}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--config", action="append", default=[])
    ap.add_argument("--reference")
    ap.add_argument("--tolerance", type=float, default=1.0)
    ap.add_argument("--results", help="the rig's results.tsv: append the verdict row")
    ap.add_argument("--label", default="workload-report")
    ap.add_argument("--models", help="scripts/tables/cache-models.tsv")
    ap.add_argument("--footprint", action="append", default=[],
                    help="footprint-VARIANT.tsv of scripts/stages/footprint.sh")
    ap.add_argument("rows", nargs="+")
    a = ap.parse_intermixed_args()

    runs, variants, skipped, bench = read_rows(a.rows)
    designs = [d for d in DESIGNS if d in variants]
    if not designs:
        sys.exit("workload_report: no rows")
    stats = {}
    for d in designs:
        loop = runs.get((d, "loop"))
        if not loop:
            sys.exit(f"workload_report: no 'loop' runs for {variants[d]}")
        lm = statistics.median(loop)
        for w in WORKLOADS:
            xs = runs.get((d, w))
            if not xs:
                continue
            ys = [x - lm for x in xs]
            stats[(d, w)] = {
                "median": statistics.median(ys),
                "min": min(ys),
                "spread": max(ys) - min(ys),
                "runs": len(ys),
            }

    out = []
    out.append(f"### Base {a.base}: instructions per operation (QEMU -icount shift=0, 1 vCPU)")
    out.append("")
    out.append("Median over the runs, the program's empty loop subtracted; "
               "[spread] = maximum - minimum over the runs.")
    out.append("")
    out.append("| workload | " + " | ".join(
        f"{DESIGN_TEXT[d]} ({variants[d]})" for d in designs) + " |")
    out.append("|---|" + "---:|" * len(designs))
    for w in WORKLOADS:
        cells = []
        for d in designs:
            s = stats.get((d, w))
            if s:
                cells.append(f"{fmt(s['median'])} [{fmt(s['spread'])}]")
            elif (d, w) in skipped:
                cells.append("not measured (a CFI failure per sample)")
            else:
                cells.append("-")
        if any(c != "-" for c in cells):
            out.append(f"| {WORKLOAD_TEXT[w]} | " + " | ".join(cells) + " |")
    out.append("")

    refs = [r for r in ("indirect", "mainline") if r in designs]
    diffs = {}
    for r in refs:
        others = [d for d in designs if d != r and DESIGNS.index(d) > DESIGNS.index(r)]
        if not others:
            continue
        out.append(f"Difference to {DESIGN_TEXT[r]}, instructions per operation "
                   "(negative: fewer); ~ marks a difference within the spreads:")
        out.append("")
        out.append("| workload | " + " | ".join(DESIGN_TEXT[d] for d in others) + " |")
        out.append("|---|" + "---:|" * len(others))
        for w in WORKLOADS:
            if (r, w) not in stats:
                continue
            cells = []
            for d in others:
                s = stats.get((d, w))
                if not s:
                    cells.append("-")
                    continue
                dv = s["median"] - stats[(r, w)]["median"]
                noise = s["spread"] + stats[(r, w)]["spread"]
                rel = 100 * dv / stats[(r, w)]["median"] if stats[(r, w)]["median"] else 0
                diffs[f"{d}-{r}:{w}"] = {"diff": dv, "percent": rel, "noise": noise}
                mark = "~" if abs(dv) <= noise else ""
                cells.append(f"{mark}{dv:+,.1f} ({rel:+.1f}%)")
            out.append(f"| {WORKLOAD_TEXT[w]} | " + " | ".join(cells) + " |")
        out.append("")

    if bench:
        out.append("Per call, from static_call_bench.ko in the same guests (a micro-loop: "
                   "instructions per call, its empty loop subtracted; the BPF dispatcher "
                   "row is a replica of the dispatcher's shape, not the kernel's own):")
        out.append("")
        out.append("| call | " + " | ".join(DESIGN_TEXT[d] for d in designs) + " |")
        out.append("|---|" + "---:|" * len(designs))
        for k, text in BENCH_ROWS:
            cells = [f"{bench[(d, k)]:.2f}" if (d, k) in bench else "-" for d in designs]
            if any(c != "-" for c in cells):
                out.append(f"| {text} | " + " | ".join(cells) + " |")
        out.append("")

    fp, noise, models = read_footprint(a.footprint)
    if fp:
        fdesigns = [d for d in designs if any(k[0] == d for k in fp)]
        cm = {}
        try:
            with open(a.models, encoding="utf-8") as f:
                rows = [l for l in f if not l.startswith("#")]
            cm = {r["model"]: r["note"] for r in csv.DictReader(rows, delimiter="\t")}
        except (OSError, KeyError, TypeError):
            pass
        out.append("Footprint per operation, QEMU's cache model (contrib/plugins/cache.c, "
                   "LRU): accesses, the same for every model, then misses per model.")
        out.append("")
        def fp_table(model, cell, label=""):
            """One footprint table: a row per workload, a column per design."""
            out.append("| workload | " + " | ".join(DESIGN_TEXT[d] for d in fdesigns) + " |")
            out.append("|---|" + "---:|" * len(fdesigns))
            for w in WORKLOADS:
                xs = [fp.get((d, w, model)) for d in fdesigns]
                cells = [cell(x) if x else "-" for x in xs]
                if any(c != "-" for c in cells):
                    out.append(f"| {WORKLOAD_TEXT[w]}{label} | " + " | ".join(cells) + " |")
            out.append("")

        fp_table(models[0], lambda x: f"I {fmt(x['iacc'])} · D {fmt(x['dacc'])}", ": L1 accesses")
        for m in models:
            out.append(f"L1 misses per operation, model {m}"
                       + (f" ({cm[m]})" if m in cm else "") + ":")
            out.append("")
            fp_table(m, lambda x: f"I {x['imiss']:.2f} · D {x['dmiss']:.2f}")
            for g, what in (("bare", "the bare workloads"), ("traced", "the traced ping-pong")):
                nz = [noise[(d, g, m)] for d in fdesigns if (d, g, m) in noise]
                if nz:
                    out.append(f"Noise for {what} (two identical boots, per operation): up to "
                               f"I {max(z['imiss'] for z in nz):.2f} · D {max(z['dmiss'] for z in nz):.2f} misses, "
                               f"I {max(z['iacc'] for z in nz):.1f} · D {max(z['dacc'] for z in nz):.1f} accesses.")
            out.append("")

    cdiff = {}
    if a.config:
        configs = dict(c.split("=", 1) for c in a.config)
        cdiff = config_differences(configs)
        out.append("The kernels' configurations differ only in: " + (", ".join(
            f"{k} ({', '.join(f'{v}={x}' for v, x in vals.items())})"
            for k, vals in cdiff.items()) or "nothing") + ".")
        out.append("")

    bad = 0
    dev = None
    if a.reference:
        try:
            with open(a.reference, encoding="utf-8") as f:
                ref = json.load(f)
        except FileNotFoundError:
            ref = None
        if ref:
            # A median may move by the tolerance, or by the two runs'
            # spreads where those are wider (a workload with a wide spread,
            # such as mmap, has a median that moves with it).
            worst = (0.0, "")
            beyond = []
            for k, r in ref.get("stats", {}).items():
                cur = stats.get(tuple(k.split(":", 1)))
                if not cur or not r["median"]:
                    continue
                d = abs(cur["median"] - r["median"])
                p = 100 * d / r["median"]
                if p >= worst[0]:
                    worst = (p, k)
                if d > max(a.tolerance / 100 * r["median"], cur["spread"] + r["spread"]):
                    beyond.append(f"{k} {r['median']:.1f} -> {cur['median']:.1f}")
            dev = {"percent": worst[0], "where": worst[1], "reference": a.reference,
                   "beyond_tolerance": beyond}
            out.append(f"Largest deviation of a median from {a.reference}: "
                       f"{worst[0]:.2f}% ({worst[1]}); tolerance: {a.tolerance}% or the two "
                       "runs' spreads together, whichever is wider"
                       + (f"; beyond it: {', '.join(beyond)}." if beyond else "; none beyond it."))
            out.append("")
            if beyond:
                bad = 1
            if a.results:
                # label, check, verdict, seconds, detail (scripts/lib/lib.sh record)
                with open(a.results, "a", encoding="utf-8") as f:
                    f.write("\t".join([
                        a.label,
                        f"medians within tolerance of {os.path.basename(a.reference)} "
                        f"({len(ref.get('stats', {}))} design/workload pairs)",
                        "FAIL" if beyond else "PASS", "0",
                        f"largest deviation {worst[0]:.2f}% ({worst[1]})"
                        + (f"; beyond: {', '.join(beyond)}" if beyond else "")]) + "\n")

    text = "\n".join(out)
    print(text)
    with open(f"{a.out}/workload-{a.base}.md", "w", encoding="utf-8") as f:
        f.write(text + "\n")
    with open(f"{a.out}/workload-{a.base}.json", "w", encoding="utf-8") as f:
        json.dump({
            "base": a.base,
            "variants": variants,
            "stats": {f"{d}:{w}": s for (d, w), s in stats.items()},
            "skipped": {f"{d}:{w}": why for (d, w), why in skipped.items()},
            "differences": diffs,
            "bench": {f"{d}:{k}": x for (d, k), x in bench.items()},
            "config_differences": cdiff,
            "footprint": {f"{d}:{w}:{m}": x for (d, w, m), x in fp.items()},
            "footprint_noise": {f"{d}:{g}:{m}": x for (d, g, m), x in noise.items()},
            "reference_deviation": dev,
        }, f, indent=1, sort_keys=True)
    return bad


if __name__ == "__main__":
    sys.exit(main())
