#!/usr/bin/env python3
"""Compare the lines that two series' matching patches add, file by file.

    series-diff.py DIR_A FIRST_A DIR_B FIRST_B COUNT [--expect README [--block NAME]]

Patch FIRST_A + i of DIR_A is matched with patch FIRST_B + i of DIR_B, for
i in 0..COUNT-1 (numbers as in git format-patch file names, 0001-...). For
each file either patch touches, the lines it adds are compared: every line
that only DIR_B's patch adds is printed with "-", every line that only
DIR_A's adds with "+", in order, under a heading
"DIR_A/000N vs DIR_B/000M FILE". Lines removed and context are not
compared: they differ wherever the bases differ.

With --expect, the output is compared with the fenced block that follows
the line "<!-- series-diff: ... -->" in README (patches/README.md, where
each expected difference is explained): exit status 0 if they are equal,
1 otherwise (the unified diff of the two is printed). --block NAME reads
the block after "<!-- NAME: ... -->" instead (README holds one block per
pair of series: "series-diff" for the series, "series-diff-inline" for the
inline series). Without --expect, the output is printed and the exit
status is 0.
"""
import argparse
import difflib
import glob
import os
import sys


def added_lines(path):
    """{file: [added line, ...]} of one git format-patch file."""
    out, cur = {}, None
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.startswith("diff --git "):
                cur = line.split()[-1][2:]
                out[cur] = []
            elif cur and line.startswith("+") and not line.startswith("+++ "):
                out[cur].append(line[1:].rstrip("\n"))
    return out


def patch(d, n):
    found = glob.glob(os.path.join(d, "%04d-*.patch" % n))
    if len(found) != 1:
        sys.exit("series-diff: no single patch %04d in %s" % (n, d))
    return found[0]


def compare(da, fa, db, fb, count):
    out = []
    for i in range(count):
        pa, pb = patch(da, fa + i), patch(db, fb + i)
        a, b = added_lines(pa), added_lines(pb)
        for f in sorted(set(a) | set(b)):
            diff = [l for l in difflib.unified_diff(b.get(f, []), a.get(f, []),
                                                    lineterm="", n=0)
                    if l[:1] in "+-" and not l.startswith(("+++", "---"))]
            if diff:
                out.append("%s/%04d vs %s/%04d %s" % (os.path.basename(da.rstrip("/")), fa + i,
                                                    os.path.basename(db.rstrip("/")), fb + i, f))
                out.extend(diff)
    return out


def expected(readme, block):
    lines = open(readme, encoding="utf-8").read().splitlines()
    for i, line in enumerate(lines):
        if line.startswith("<!-- %s:" % block):
            if i + 1 >= len(lines) or lines[i + 1] != "```":
                break
            end = lines.index("```", i + 2)
            return lines[i + 2:end]
    sys.exit("series-diff: %s has no '<!-- %s: -->' block" % (readme, block))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dir_a")
    ap.add_argument("first_a", type=int)
    ap.add_argument("dir_b")
    ap.add_argument("first_b", type=int)
    ap.add_argument("count", type=int)
    ap.add_argument("--expect")
    ap.add_argument("--block", default="series-diff")
    args = ap.parse_args()
    got = compare(args.dir_a, args.first_a, args.dir_b, args.first_b, args.count)
    if not args.expect:
        print("\n".join(got))
        return 0
    want = expected(args.expect, args.block)
    if got == want:
        print("series-diff: %d differing added lines, as listed in %s"
              % (sum(1 for l in got if l[:1] in "+-"), args.expect))
        return 0
    print("series-diff: the added lines differ from %s's list:" % args.expect)
    print("\n".join(difflib.unified_diff(want, got, "listed", "found", lineterm="")))
    return 1


if __name__ == "__main__":
    sys.exit(main())
