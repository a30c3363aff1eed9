#!/usr/bin/env python3
"""Where nextpnr's router2 is congested, by block of the design.

router2 writes, with `--router2-heatmap PREFIX`, per iteration N:
  PREFIX_congestion_by_net_N.csv         net,overuse
  PREFIX_congestion_by_coordinate_N.csv  one line per x, one column per y
  PREFIX_congestion_by_wiretype_N.csv    type,bound=0,bound=1,... (wire counts)
This script sums the overuse of iteration N by the block a net belongs to
(its hierarchical name cut to --depth parts, bit indices and Yosys's
derived suffixes dropped), lists the wire types that carry it, and, given
the placed design (`nextpnr --no-route --write placed.json`, the placement
the router ran on), the hottest tiles with the blocks whose cells sit within
--radius tiles of each.

usage: congestion.py PREFIX N [--placed placed.json] [--depth 3] [--top 20]
                     [--radius 2]
Example (docs/rtl-fec.md, "Folded riBM"):
  nextpnr-ecp5 ... --json placed.json --no-pack --no-place --router router2 \\
      --router2-heatmap hm/h
  python3 scripts/congestion.py hm/h 11 --placed placed.json
"""
import argparse
import collections
import json
import re

SUFFIX = re.compile(r"_(TRELLIS|LUT4|CCU2C|PFUMX|L6MUX|DP16KD|MULT18).*")


def block(name, depth):
    """The block of a net or cell name: `depth` hierarchy parts, no bit
    index, no derived suffix, digits folded to '#'."""
    name = name.replace("\\", "")
    parts = name.split(".")
    g = ".".join(parts[:depth])
    g = re.sub(r"\[\d+\]", "", g)
    g = SUFFIX.sub("", g)
    return re.sub(r"\d+", "#", g)


def by_net(path, depth):
    total, nets = collections.Counter(), collections.Counter()
    with open(path) as f:
        for line in f:
            name, _, v = line.rstrip("\n").rpartition(",")
            if not name:
                continue
            g = block(name, depth)
            total[g] += int(v)
            nets[g] += 1
    return total, nets


def by_wiretype(path):
    """Overuse per wire type: a wire bound to k > 1 nets counts k - 1."""
    over = {}
    with open(path) as f:
        next(f)
        for line in f:
            cols = [c for c in line.rstrip("\n").split(",") if c != ""]
            counts = [int(c) for c in cols[1:]]
            over[cols[0]] = sum((k - 1) * n for k, n in enumerate(counts) if k > 1)
    return over


def grid(path):
    g = {}
    with open(path) as f:
        for x, line in enumerate(f):
            for y, v in enumerate(line.rstrip("\n").split(",")):
                if v.strip():
                    g[(x, y)] = int(v)
    return g


def cells_by_tile(placed):
    d = json.load(open(placed))
    top = next(m for m in d["modules"].values() if m.get("cells"))
    tiles = collections.defaultdict(list)
    for name, c in top["cells"].items():
        m = re.match(r"X(\d+)/Y(\d+)/", c.get("attributes", {}).get("NEXTPNR_BEL", ""))
        if m:
            tiles[(int(m.group(1)), int(m.group(2)))].append(name)
    return tiles


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("prefix")
    ap.add_argument("iteration", type=int)
    ap.add_argument("--placed")
    ap.add_argument("--depth", type=int, default=3)
    ap.add_argument("--top", type=int, default=20)
    ap.add_argument("--radius", type=int, default=2)
    a = ap.parse_args()
    pre = f"{a.prefix}_congestion_by"
    total, nets = by_net(f"{pre}_net_{a.iteration}.csv", a.depth)
    s = sum(total.values())
    print(f"iteration {a.iteration}: overuse {s} on {sum(nets.values())} nets")
    for g, v in total.most_common(a.top):
        print(f"  {v:7d} {100 * v / max(s, 1):5.1f} %  {nets[g]:6d} nets  {g}")
    print("by wire type:")
    wt = by_wiretype(f"{pre}_wiretype_{a.iteration}.csv")
    for t, v in sorted(wt.items(), key=lambda kv: -kv[1])[:8]:
        if v:
            print(f"  {v:7d}  {t}")
    if not a.placed:
        return
    hm = grid(f"{pre}_coordinate_{a.iteration}.csv")
    tiles = cells_by_tile(a.placed)
    hot = sorted(hm.items(), key=lambda kv: -kv[1])[: a.top]
    agg = collections.Counter()
    print(f"hottest tiles (overuse; cells within {a.radius} tiles, by block):")
    r = a.radius
    for (x, y), v in hot:
        c = collections.Counter()
        for dx in range(-r, r + 1):
            for dy in range(-r, r + 1):
                for n in tiles.get((x + dx, y + dy), []):
                    c[block(n, a.depth)] += 1
        agg.update(c)
        top = ", ".join(f"{g} {n}" for g, n in c.most_common(3))
        print(f"  ({x},{y}) {v}: {top}")
    print("cells near the hottest tiles, by block:")
    for g, n in agg.most_common(8):
        print(f"  {n:6d}  {g}")


if __name__ == "__main__":
    main()
