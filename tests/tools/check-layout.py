#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The layout rule of src/ (src/README.md), checked on the source and on the built objects.

1. Every .c/.h lives in a role folder, and no #include runs from a lower folder to a higher one
   (cli > daemon > output > kernel, policy > base; kernel and policy are peers).
2. No two source files depend on each other in a loop, counting both includes between .c/.h units and
   calls: file A depends on file B when A's object uses a symbol B's object defines (nm -P).

Usage: check-layout.py SRCDIR BUILDDIR. Prints what it checked; exits 1 naming every violation."""
import os, re, subprocess, sys

RANK = {'cli': 4, 'daemon': 3, 'output': 2, 'kernel': 1, 'policy': 1, 'base': 0}
srcdir, builddir = sys.argv[1], sys.argv[2]
src = os.path.join(srcdir, 'src')
problems = []

files = []
for d, _, fs in os.walk(src):
    for f in fs:
        if f.endswith(('.c', '.h')):
            files.append(os.path.relpath(os.path.join(d, f), src))
for rel in files:
    if rel.split(os.sep)[0] not in RANK:
        problems.append(f"src/{rel} is not in a role folder ({', '.join(RANK)})")

def unit(rel):                       # daemon/status_file.c -> daemon/status_file
    return os.path.splitext(rel)[0]

edges = {}
inc = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
for rel in files:
    folder = rel.split(os.sep)[0]
    for h in inc.findall(open(os.path.join(src, rel), errors='replace').read()):
        if h == 'config.h':
            continue
        if not os.path.exists(os.path.join(src, h)):
            problems.append(f"src/{rel} includes \"{h}\", which is not under src/ by that path")
            continue
        target = h.split('/')[0]
        if RANK.get(target, -1) > RANK.get(folder, -1):
            problems.append(f"src/{rel} includes {h}: {target}/ is above {folder}/")
        if unit(h) != unit(rel):
            edges.setdefault(unit(rel), set()).add(unit(h))

# Calls, from the objects the build made.
defined, used = {}, {}
objs = []
for d, _, fs in os.walk(os.path.join(builddir, 'src')):
    objs += [os.path.join(d, f) for f in fs if f.endswith('.o')]
# Only objects whose source still exists (a build dir may hold stale ones).
def source_of(o):
    rel = os.path.relpath(o, os.path.join(builddir, 'src'))
    base = os.path.basename(rel)
    for prefix in ('ctwarden-', 'libctwarden_a-'):
        if base.startswith(prefix):
            base = base[len(prefix):]
    return os.path.join(src, os.path.dirname(rel), base[:-2] + '.c')
objs = [o for o in objs if os.path.exists(source_of(o))]
if not objs:
    problems.append(f"no objects under {builddir}/src: build first")
for o in objs:
    rel = os.path.relpath(o, os.path.join(builddir, 'src'))
    u = unit(os.path.relpath(source_of(o), src))
    out = subprocess.run(['nm', '-P', o], capture_output=True, text=True, check=True).stdout
    for line in out.splitlines():
        parts = line.split()
        if len(parts) < 2:
            continue
        sym, kind = parts[0], parts[1]
        if kind == 'U':
            used.setdefault(u, set()).add(sym)
        elif kind in 'TDBR':
            defined[sym] = u
for u, syms in used.items():
    for s in syms:
        if s in defined and defined[s] != u:
            edges.setdefault(u, set()).add(defined[s])

# Tarjan's strongly connected components: any with two or more units is a loop.
index, low, stack, on, sccs, counter = {}, {}, [], set(), [], [0]
sys.setrecursionlimit(10000)
def visit(v):
    index[v] = low[v] = counter[0]; counter[0] += 1
    stack.append(v); on.add(v)
    for w in edges.get(v, ()):
        if w not in index:
            visit(w); low[v] = min(low[v], low[w])
        elif w in on:
            low[v] = min(low[v], index[w])
    if low[v] == index[v]:
        comp = []
        while True:
            w = stack.pop(); on.discard(w); comp.append(w)
            if w == v:
                break
        sccs.append(comp)
nodes = set(edges) | {w for ws in edges.values() for w in ws}
for v in sorted(nodes):
    if v not in index:
        visit(v)
for comp in sccs:
    # A header and its own .c are one unit already; other pairs are loops.
    if len(comp) > 1:
        problems.append("dependency loop: " + " <-> ".join(sorted(comp)))

if problems:
    print("layout: %d problem(s)" % len(problems))
    for p in problems:
        print("  " + p)
    sys.exit(1)
n_edges = sum(len(v) for v in edges.values())
print(f"layout ok: {len(files)} files in {len(RANK)} role folders, no upward include, "
      f"{len(nodes)} units and {n_edges} include/call edges without a loop")
