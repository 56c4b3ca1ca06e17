#!/usr/bin/env python3
"""Take one selftest's KTAP out of run_kselftest.sh's output.

run_kselftest.sh prints its own TAP (one result per selftest) and the
selftest's output with "# " in front of every line. This writes that output,
unprefixed, to OUT: the selftest's KTAP as static_call.sh printed it, for
kunit.py to parse. Kernel console lines inside the block (no "# ") are left
out. Prints run_kselftest.sh's result line for the selftest.

  ksft_unwrap.py LOG OUT [--test "selftests: static_call: static_call.sh"]
Exit status 0 if the selftest ran and its result line was found, else 1.
"""
import argparse
import re
import sys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("log")
    ap.add_argument("out")
    ap.add_argument("--test", default="selftests: static_call: static_call.sh")
    a = ap.parse_args()

    start = "# " + a.test
    end = re.compile(r"^(not )?ok \d+ " + re.escape(a.test) + r"(\s|$)")
    inner, verdict, inside = [], None, False
    with open(a.log, errors="replace") as f:
        for raw in f:
            line = raw.rstrip("\r\n")
            if not inside:
                inside = line == start
                continue
            if end.match(line):
                verdict = line
                break
            if line.startswith("# "):
                inner.append(line[2:])
            elif line == "#":
                inner.append("")
    with open(a.out, "w") as out:
        out.write("\n".join(inner) + ("\n" if inner else ""))
    if not inside:
        print(f"{a.log}: run_kselftest.sh never started {a.test!r}", file=sys.stderr)
        return 1
    if verdict is None:
        print(f"{a.log}: no result line for {a.test!r} (guest died?)", file=sys.stderr)
        return 1
    print(verdict)
    return 0


if __name__ == "__main__":
    sys.exit(main())
