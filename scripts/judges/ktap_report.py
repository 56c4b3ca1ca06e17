#!/usr/bin/env python3
"""Judge a KTAP run (parsed by the kernel tree's own kunit_parser) and write
the rig's per-case results and a readable table.

  ktap_report.py KTAP --kunit-dir TREE/tools/testing/kunit --stage STAGE
        --results results.tsv [--cases cases.tsv]
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

KTAP is the kernel's console log or a file of KTAP lines. Every test is
judged, parents as well as leaves: a parent's own result line must agree
with its subtests (ok exactly when none of them failed), so a parent whose
nested report was cut short, or that the runner marked wrongly, is seen.
(What only a runner sees, such as an insmod exit code, an rmmod or a
clean-up, belongs in a leaf of its own, which a failing subtest cannot
mask: the selftest's inline_load_exit and far_placement_exit.) --cases writes one line per test: stage, name, status (PASS, FAIL,
SKIP, ERROR for a crashed or unparsable one), and for a failure the first
message of its own output, so that make mutate can tell a test verdict
from a harness failure.
"""
import argparse
import inspect
import io
import re
import sys

STATUS = {"SUCCESS": "PASS", "FAILURE": "FAIL", "SKIPPED": "SKIP"}


def load_parser(kunit_dir):
    sys.path.insert(0, kunit_dir)
    import kunit_parser  # noqa: E402  (the tree's own)
    return kunit_parser


def parse(kunit_parser, path):
    with open(path, errors="replace") as f:
        lines = f.read().splitlines(keepends=True)
    quiet = io.StringIO()
    fn = kunit_parser.parse_run_tests
    if len(inspect.signature(fn).parameters) >= 2:
        from kunit_printer import Printer
        return fn(lines, Printer(quiet))
    kunit_parser.stdout._output = quiet
    return fn(lines)


def message(test):
    """A failed test's own message: its "NAME: FAIL: ..." or KUnit
    "EXPECTATION/ASSERTION FAILED at ..." line (with the line after it),
    else its last "NAME: ..." line, else ''."""
    diags = []
    for line in test.log:
        text = line.strip()
        if text.startswith("#"):
            diags.append(text.lstrip("# ").strip())
        elif text and diags:
            diags.append(text)
    own = [d for d in diags if d.startswith(f"{test.name}:")]
    for i, d in enumerate(diags):
        if d.startswith(f"{test.name}: FAIL") or " FAILED at " in d:
            nxt = diags[i + 1] if i + 1 < len(diags) else ""
            return f"{d} {nxt}".strip() if " FAILED at " in d else d
    return own[-1] if own else ""


def walk(test, prefix=""):
    """(name, status, message, child statuses or None) for every test."""
    for sub in test.subtests:
        name = f"{prefix}{sub.name}"
        status = STATUS.get(sub.status.name, "ERROR")
        kids = None
        if sub.subtests:
            kids = [STATUS.get(k.status.name, "ERROR") for k in sub.subtests]
        yield name, status, message(sub) if status == "FAIL" else "", kids
        yield from walk(sub, f"{name}.")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("ktap")
    ap.add_argument("--kunit-dir", required=True)
    ap.add_argument("--stage", required=True)
    ap.add_argument("--results", required=True)
    ap.add_argument("--cases")
    ap.add_argument("--expect-not-ok")
    ap.add_argument("--no-skip", action="store_true")
    ap.add_argument("--rest-must-pass", action="store_true")
    ap.add_argument("--console")
    ap.add_argument("--filtered", action="store_true")
    a = ap.parse_args()

    try:
        root = parse(load_parser(a.kunit_dir), a.ktap)
    except (OSError, ImportError) as e:
        print(f"{a.stage}: cannot parse {a.ktap}: {e}", file=sys.stderr)
        return 1
    tests = list(walk(root))
    if not tests:
        print(f"{a.stage}: no KTAP test results in {a.ktap}", file=sys.stderr)
        return 1
    if a.cases:
        with open(a.cases, "w") as out:
            for name, status, msg, _ in tests:
                out.write(f"{a.stage}\t{name}\t{status}\t{msg}\n")

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
    for name, status, msg, kids in tests:
        short = name.split(".", 1)[1] if "." in name else name
        top = short.split(".")[0]
        if kids is not None:
            # A parent: its own verdict must agree with its subtests'.
            bad_kids = sum(k in ("FAIL", "ERROR") for k in kids)
            if status == "ERROR":
                ok = False
                detail = "ERROR: no result line of its own (crashed?)"
            elif (status == "FAIL") != (bad_kids > 0):
                ok = False
                detail = (f"parent {status} but {bad_kids} of {len(kids)} "
                          "subtests failed: its own verdict disagrees")
            else:
                ok = True
                detail = f"parent {status}, agrees with its {len(kids)} subtests"
            verdict = "PASS" if ok else "FAIL"
            if not ok and a.expect_not_ok and not a.rest_must_pass:
                verdict = "INFO"
        elif a.expect_not_ok:
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
        if verdict == "FAIL" and msg and kids is None:
            detail += f": {msg}"
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
                detail = detail.replace("\t", " ")
                out.write(f"{a.stage}\t{name}\t{verdict}\t0\t{detail}\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
