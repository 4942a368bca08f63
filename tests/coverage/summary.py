#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Line and branch coverage of stmm-emu's C sources from a gcc --coverage build.

    summary.py --build DIR [--dirs stmm,rpmb,...] [--files stmm,rpmb] [--target PCT]

Reads every .gcno under DIR with `gcov --json-format --stdout` (gcc 12; an object without
a .gcda counts as never executed), keeps the .c files under the project directories, and
merges the objects compiled from one source (lib/ is built twice: plain and -fPIC for the
shim): a line is covered when any object executed it; a branch (line, function, index) is
taken when any object took it.  A line counts when gcov counts it, i.e. when it has code.
A .c file under those directories that no object was compiled from is listed as NOT BUILT
(its lines are unknown to gcov and cannot be counted: the build must cover every file).

Prints a table per file (of the --files trees), one per directory (files directly in it)
and per tree (the directory and everything below), the largest uncovered files of the
first tree, and the totals of the first tree (against --target if given).  The exit status is 0
unless gcov fails; the target is reported, not enforced.
"""
import argparse
import collections
import json
import os
import subprocess
import sys


def gcov_json(gcnos):
    """Yield gcov's JSON document for each .gcno, in batches."""
    for i in range(0, len(gcnos), 32):
        batch = gcnos[i:i + 32]
        p = subprocess.run(["gcov", "--branch-probabilities", "--json-format", "--stdout", *batch], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, check=False)
        if p.returncode != 0:
            sys.exit(f"summary.py: gcov failed ({p.returncode}): {p.stderr.decode(errors='replace')}")
        for line in p.stdout.decode().splitlines():
            if line.strip():
                yield json.loads(line)


class Cov:
    def __init__(self):
        self.lines = {}     # line number -> executed (any object)
        self.branches = {}  # (line, function, index) -> taken (any object)

    def add(self, f):
        for ln in f["lines"]:
            n = ln["line_number"]
            self.lines[n] = self.lines.get(n, False) or ln["count"] > 0
            for i, b in enumerate(ln.get("branches", [])):
                k = (n, ln.get("function_name", ""), i)
                self.branches[k] = self.branches.get(k, False) or b["count"] > 0

    def figures(self):
        return (sum(self.lines.values()), len(self.lines),
                sum(self.branches.values()), len(self.branches))


def pct(hit, total):
    return "     -" if total == 0 else f"{100.0 * hit / total:5.1f}%"


def row(name, fig, width):
    lh, lt, bh, bt = fig
    return (f"{name:<{width}} {lh:6d} {lt:6d} {pct(lh, lt)}   {bh:6d} {bt:6d} {pct(bh, bt)}")


def header(title, width):
    return (f"{title:<{width}} {'hit':>6} {'lines':>6} {'line%':>6}   {'taken':>6} {'branch':>6} {'br%':>6}")


def add_figs(a, b):
    return tuple(x + y for x, y in zip(a, b))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", required=True, help="the --coverage build directory")
    ap.add_argument("--root", default=".", help="the source tree (default: .)")
    ap.add_argument("--dirs", default="stmm,rpmb,supplicant,lib,emu",
                    help="top directories whose .c files count (comma list)")
    ap.add_argument("--files", default="stmm,rpmb",
                    help="trees listed file by file (comma list; the first is the headline)")
    ap.add_argument("--target", type=float, default=None,
                    help="line coverage target of the headline tree, in %% (reported, not enforced)")
    a = ap.parse_args()
    root = os.path.realpath(a.root)
    tops = [d for d in a.dirs.split(",") if d]
    trees = [d for d in a.files.split(",") if d]

    gcnos = sorted(os.path.join(dp, f) for dp, _, fs in os.walk(a.build) for f in fs
                   if f.endswith(".gcno"))
    if not gcnos:
        sys.exit(f"summary.py: no .gcno under {a.build}: build with CFLAGS=--coverage first")
    cov = collections.defaultdict(Cov)
    for doc in gcov_json(gcnos):
        cwd = doc.get("current_working_directory", root)
        for f in doc["files"]:
            src = os.path.relpath(os.path.realpath(os.path.join(cwd, f["file"])), root)
            if src.endswith(".c") and src.split(os.sep)[0] in tops:
                cov[src].add(f)

    sources = sorted(os.path.relpath(os.path.join(dp, f), root)
                     for t in tops for dp, _, fs in os.walk(os.path.join(root, t))
                     for f in fs if f.endswith(".c"))
    missing = [s for s in sources if s not in cov]
    figs = {s: cov[s].figures() for s in cov}
    width = max([len(s) for s in sources] + [24]) + 1

    for t in trees:
        print(header(f"{t}/ per file", width))
        for s in sorted(s for s in figs if s.startswith(t + "/")):
            print(row(s, figs[s], width))
        print()

    dirs = collections.defaultdict(lambda: (0, 0, 0, 0))
    tree = collections.defaultdict(lambda: (0, 0, 0, 0))
    for s, fg in figs.items():
        d = os.path.dirname(s)
        dirs[d] = add_figs(dirs[d], fg)
        parts = d.split(os.sep)
        for i in range(1, len(parts) + 1):
            tree[os.sep.join(parts[:i])] = add_figs(tree[os.sep.join(parts[:i])], fg)
    print(header("per directory", width))
    for d in sorted(dirs):
        print(row(d + "/", dirs[d], width))
    print()
    print(header("per tree (with sub-dirs)", width))
    for t in tops:
        if t in tree:
            print(row(t + "/**", tree[t], width))
    allfig = (0, 0, 0, 0)
    for fg in figs.values():
        allfig = add_figs(allfig, fg)
    print(row("all", allfig, width))
    print()

    for s in missing:
        print(f"NOT BUILT: {s} (no object compiled from it; its lines are not counted)")

    head = trees[0] if trees else tops[0]
    lh, lt, bh, bt = tree.get(head, (0, 0, 0, 0))
    gaps = sorted(((fg[1] - fg[0], s) for s, fg in figs.items()
                   if s.startswith(head + "/") and fg[1] > fg[0]), reverse=True)[:8]
    if gaps:
        print(f"largest uncovered in {head}/: " +
              ", ".join(f"{s} ({n} lines)" for n, s in gaps))
    verdict = ""
    if a.target is not None:
        verdict = "; target {:g}% {}".format(
            a.target, "met" if lt and 100.0 * lh / lt >= a.target else "NOT met")
    print(f"{head}/ total: lines {pct(lh, lt).strip()} ({lh} of {lt}), "
          f"branches {pct(bh, bt).strip()} ({bh} of {bt}){verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
