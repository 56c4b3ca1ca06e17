#!/usr/bin/env python3
"""Turn kunit.py's JSON (parsed from KTAP by the tree's own parser) into the
rig's per-case results and a readable table.

  ktap_report.py JSON --stage STAGE --results results.tsv
        [--expect-not-ok FILE]   baseline mode: cases named in FILE must
                                 fail or skip; other cases are reported only
        [--no-skip]              every case must pass, a skip is a failure
        [--rest-must-pass]       with --expect-not-ok: every case not named
                                 in FILE must pass
        [--filtered]             a filtered run: cases named in FILE that
                                 did not run are not reported missing
        [--console LOG]          with --expect-not-ok: a line "case  reason"
                                 in FILE also requires the case's own output
                                 in LOG (from its start to its "not ok"
                                 line) to contain the reason text
"""
import re
import argparse
import json
import sys


def flatten(group, prefix=""):
    name = group.get("name", "")
    here = prefix
    if name and name != "KUnit Test Group":
        here = f"{prefix}{name}." if prefix or name else prefix
    for case in group.get("test_cases", []):
        yield f"{here}{case['name']}", case["status"]
    for sub in group.get("sub_groups", []):
        yield from flatten(sub, here)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("json")
    ap.add_argument("--stage", required=True)
    ap.add_argument("--results", required=True)
    ap.add_argument("--expect-not-ok")
    ap.add_argument("--no-skip", action="store_true")
    ap.add_argument("--rest-must-pass", action="store_true")
    ap.add_argument("--console")
    ap.add_argument("--filtered", action="store_true")
    a = ap.parse_args()

    try:
        with open(a.json) as f:
            data = json.load(f)
    except (OSError, ValueError) as e:
        print(f"{a.stage}: no parsable KTAP results ({e})", file=sys.stderr)
        return 1
    cases = list(flatten(data))
    if not cases:
        print(f"{a.stage}: KTAP parsed but no test cases found", file=sys.stderr)
        return 1

    expect = set()
    reasons = {}
    if a.expect_not_ok:
        with open(a.expect_not_ok) as f:
            for line in f:
                line = line.split("#")[0].strip()
                if not line:
                    continue
                case, _, reason = line.partition(" ")
                expect.add(case)
                if reason.strip():
                    reasons[case] = reason.strip()
    outputs = {}
    if reasons:
        if not a.console:
            print(f"{a.stage}: {a.expect_not_ok} names reasons: --console needed",
                  file=sys.stderr)
            return 1
        # A case's output: the lines after the previous case's result line.
        chunk = []
        with open(a.console, errors="replace") as f:
            for line in f:
                m = re.search(r"\b(?:not )?ok \d+ (\S+)", line)
                if m:
                    # A name can appear more than once (a module's cases
                    # in every load): keep all of its outputs.
                    outputs[m.group(1)] = outputs.get(m.group(1), "") + "".join(chunk)
                    chunk = []
                else:
                    chunk.append(line)

    failed = 0
    rows = []
    for name, status in cases:
        short = name.split(".", 1)[1] if "." in name else name
        top = short.split(".")[0]
        if a.expect_not_ok:
            if top in expect:
                ok = status != "PASS"
                detail = f"{status} (expected not ok on this kernel)"
                why = reasons.get(top)
                if ok and why:
                    if why in outputs.get(top, ""):
                        detail += f', reason "{why}"'
                    else:
                        ok = False
                        detail += f', but its output lacks "{why}"'
                verdict = "PASS" if ok else "FAIL"
            elif a.rest_must_pass:
                verdict = "PASS" if status == "PASS" else "FAIL"
                detail = f"{status} (must pass on this kernel too)"
            else:
                verdict = "INFO"
                detail = f"{status} (generic case, not judged on this kernel)"
        else:
            if status == "PASS":
                verdict, detail = "PASS", ""
            elif status == "SKIP" and not a.no_skip:
                verdict, detail = "SKIP", "skipped"
            else:
                verdict, detail = "FAIL", status
        if verdict == "FAIL":
            failed += 1
        rows.append((name, status, verdict, detail))

    if a.expect_not_ok and not a.filtered:
        seen = {r[0].split(".", 1)[-1].split(".")[0] for r in rows}
        for missing in sorted(expect - seen):
            rows.append((missing, "ABSENT", "FAIL", "expected case not run"))
            failed += 1

    width = max(len(r[0]) for r in rows)
    with open(a.results, "a") as out:
        for name, status, verdict, detail in rows:
            print(f"  {verdict:5} {name:{width}}  {detail or status}")
            if verdict != "INFO":
                out.write(f"{a.stage}\t{name}\t{verdict}\t0\t{detail}\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
