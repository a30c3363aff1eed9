#!/usr/bin/env python3
"""placed-paths.py -- the longest paths of a *placed* nextpnr-ecp5 design,
with the wires' length in them.

Usage: python3 scripts/placed-paths.py <placed.json> [--top N] [--above NS]

<placed.json> is what `nextpnr-ecp5 ... --no-route --write placed.json` writes
(or a routed design: the routes are ignored). nextpnr's post-placement report
gives one figure (the estimated Fmax) and, without routing, no path; this
script gives the paths behind it, so that one can see *why* a path is long.

THIS IS AN ESTIMATE, NOT A TIMING REPORT.  Model:
  * wire delay of an arc from a driver cell to a sink cell: nextpnr-ecp5's own
    pre-routing estimate (`Arch::predictDelay`, speed grade 6): 120 ps x
    (6 + max(dx-5,0) + max(dy-5,0) + 2 (min(dx,5) + min(dy,5))), dx, dy the
    distance in tiles; 0 for carry (FCO -> FCI) and the slice's own muxes
    (FXA, FXB, F1);
  * cells: a LUT (A..D -> F, OFX, FCO) 0.45 ns, a carry step FCI -> FCO
    0.06 ns, FCI -> F 0.25 ns, the wide muxes 0.2-0.3 ns;
  * start points: a flip-flop's Q 0.5 ns, a DP16KD read 5.83 ns (its
    clock-to-data without the output register) or 0.95 ns through its
    output register (REGMODE OUTREG on the side, A or B, of the pin),
    a MULT18X18D output 0.6 ns;
    top-level inputs and constants are not timed;
  * end points: every flip-flop input (DI, M, CE, LSR) plus 0.1 ns of setup,
    every DP16KD and multiplier input, the write side of LUT RAM.
Its figures run about 1.4 times nextpnr's own estimate (1cfe63c: 29.5 ns
against nextpnr's 20.6 ns); compare runs with the same script, not with nextpnr.

Output: the worst end point, a histogram of flip-flop end points by arrival
(ns), the worst arrival per block (the second level of the hierarchy), the
top N distinct end points with their paths (each step: arrival, cell, port,
tile), and the end points above --above ns grouped by (start register, end
register), which is where a register stage on one crossing takes out
hundreds of end points at once.

Standard library only; a 225 MB placed design takes about 10 s.
"""

import argparse
import collections
import json
import re
import sys

UNIT_NS = 0.120
LUT_NS = 0.45
CELL_NS = {
    ("FCI", "FCO"): 0.06,
    ("FCI", "F"): 0.25,
    ("FXA", "OFX"): 0.2,
    ("FXB", "OFX"): 0.2,
    ("M", "OFX"): 0.3,
    ("F1", "OFX"): 0.3,
}
START_NS = {"TRELLIS_FF": 0.5, "DP16KD": 5.83, "MULT18X18D": 0.6}
# a DP16KD output through the block's output register
OUTREG_NS = 0.95
SETUP_NS = 0.1
# cells whose outputs start paths (their inputs end them)
SEQUENTIAL = {"TRELLIS_FF", "DP16KD", "MULT18X18D", "TRELLIS_IO", "DCCA", "TRELLIS_RAMW"}
# inputs of a TRELLIS_COMB that are the LUT RAM's write side
RAM_WRITE = {"WCK", "WRE", "WD", "WAD0", "WAD1", "WAD2", "WAD3", "DI0", "DI1"}
NOT_TIMED = -1.0e9


def wire_ns(a, b, dport, sport):
    if (dport == "FCO" and sport == "FCI") or sport in ("FXA", "FXB", "F1"):
        return 0.0
    dx, dy = abs(a[0] - b[0]), abs(a[1] - b[1])
    return UNIT_NS * (6 + max(dx - 5, 0) + max(dy - 5, 0) + 2 * (min(dx, 5) + min(dy, 5)))


class Design:
    def __init__(self, path):
        with open(path) as f:
            d = json.load(f)
        tops = list(d["modules"])
        if len(tops) != 1:
            sys.exit("error: expected one (flat) module in %s, found %d" % (path, len(tops)))
        self.cells = d["modules"][tops[0]]["cells"]
        self.loc = {}
        for n, c in self.cells.items():
            bel = c.get("attributes", {}).get("NEXTPNR_BEL")
            if bel is None:
                sys.exit("error: cell %s has no NEXTPNR_BEL: not a placed design" % n)
            x, y = bel.split("/")[:2]
            self.loc[n] = (int(x[1:]), int(y[1:]))
        self.driver = {}
        for n, c in self.cells.items():
            for p, bits in c["connections"].items():
                if c["port_directions"][p] == "output":
                    for b in bits:
                        if isinstance(b, int):
                            self.driver[b] = (n, p)
        self.arr = {}  # (cell, output port) -> (arrival, (input port, driver key) | None)

    def name(self, cn):
        return self.cells[cn].get("attributes", {}).get("hdlname", cn)

    def block(self, cn):
        h = self.name(cn).split(" ")
        return h[1] if len(h) > 2 else h[0]

    def comb_inputs(self, key):
        """(input port, driver key) of the arcs into output `key` of a comb cell."""
        cn, out = key
        c = self.cells[cn]
        for ip, bits in c["connections"].items():
            if c["port_directions"][ip] != "input" or ip in RAM_WRITE:
                continue
            if out in ("F", "FCO") and ip in ("FXA", "FXB", "M", "F1"):
                continue
            for b in bits:
                if isinstance(b, int) and b in self.driver:
                    yield ip, self.driver[b]

    def start_ns(self, key):
        """The clock-to-output time of a sequential cell's output `key`."""
        c = self.cells[key[0]]
        if c["type"] == "DP16KD" and key[1][:2] == "DO":
            mode = str(c.get("parameters", {}).get("REGMODE_" + key[1][2], "NOREG"))
            if mode == "OUTREG":
                return OUTREG_NS
        return START_NS.get(c["type"], NOT_TIMED)

    def arrival(self, key):
        """Latest arrival at output `key`, by an iterative depth-first walk."""
        if key in self.arr:
            return self.arr[key][0]
        stack, onstack = [key], {key}
        while stack:
            k = stack[-1]
            if k in self.arr:
                stack.pop()
                onstack.discard(k)
                continue
            t = self.cells[k[0]]["type"]
            if t in SEQUENTIAL:
                self.arr[k] = (self.start_ns(k), None)
                continue
            pending = False
            for _, dk in self.comb_inputs(k):
                if dk not in self.arr and dk not in onstack:
                    stack.append(dk)
                    onstack.add(dk)
                    pending = True
            if pending:
                continue
            best = (NOT_TIMED, None)
            for ip, dk in self.comb_inputs(k):
                if dk not in self.arr:  # a combinational loop: the back edge is ignored
                    continue
                a = (self.arr[dk][0] + wire_ns(self.loc[dk[0]], self.loc[k[0]], dk[1], ip)
                     + CELL_NS.get((ip, k[1]), LUT_NS))
                if a > best[0]:
                    best = (a, (ip, dk))
            self.arr[k] = best
        return self.arr[key][0]

    def endpoints(self):
        ends = []
        for n, c in self.cells.items():
            t = c["type"]
            lutram = t == "TRELLIS_COMB" and "WD" in c["connections"]
            if t not in ("TRELLIS_FF", "DP16KD", "MULT18X18D") and not lutram:
                continue
            for ip, bits in c["connections"].items():
                if c["port_directions"][ip] != "input" or ip.startswith("CLK") or ip == "WCK":
                    continue
                if lutram and ip not in RAM_WRITE:
                    continue
                for b in bits:
                    if isinstance(b, int) and b in self.driver:
                        dk = self.driver[b]
                        a = self.arrival(dk) + wire_ns(self.loc[dk[0]], self.loc[n], dk[1], ip)
                        if a > 0:
                            ends.append((a + SETUP_NS, n, ip, dk))
        ends.sort(reverse=True)
        return ends

    def path(self, dk):
        out = []
        k = dk
        while k is not None:
            out.append((k, self.arr[k][0]))
            pred = self.arr[k][1]
            k = pred[1] if pred else None
        return out


def pattern(s):
    return re.sub(r"\d+", "#", s)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("placed", help="nextpnr-ecp5 --write output (placed or routed)")
    ap.add_argument("--top", type=int, default=15, help="distinct end points to show (15)")
    ap.add_argument("--above", type=float, default=16.0,
                    help="group the end points above this arrival, ns (16)")
    a = ap.parse_args()
    d = Design(a.placed)
    ends = d.endpoints()
    if not ends:
        sys.exit("error: no timed end point")
    print("worst %.2f ns (%.1f MHz by this model)" % (ends[0][0], 1000 / ends[0][0]))
    hist = collections.Counter(int(e[0]) for e in ends if d.cells[e[1]]["type"] == "TRELLIS_FF")
    print("flip-flop end points by arrival (ns: count):",
          ", ".join("%d: %d" % kv for kv in sorted(hist.items())))
    worst = {}
    for e in ends:
        worst.setdefault(d.block(e[1]), e[0])
    print("worst per block:", ", ".join("%s %.2f" % (b, t) for b, t in
                                       sorted(worst.items(), key=lambda kv: -kv[1])[:12]))
    shown = set()
    for t, n, ip, dk in ends:
        key = pattern(d.name(n))
        if key in shown:
            continue
        if len(shown) == a.top:
            break
        shown.add(key)
        print("\n%.2f ns  end %s.%s @%s" % (t, d.name(n), ip, d.loc[n]))
        for (cn, p), at in d.path(dk):
            c = d.cells[cn]
            if c["type"] == "TRELLIS_COMB" and p == "FCO":
                continue  # the carry chain's steps: its entry and exit are shown
            print("   %6.2f %s.%s @%s %s" % (at, d.name(cn)[:110], p, d.loc[cn], c["type"]))
    groups = collections.Counter()
    gworst = {}
    for t, n, ip, dk in ends:
        if t < a.above:
            break
        start = d.path(dk)[-1][0][0]
        s = pattern(re.sub(r"_TRELLIS_FF_Q.*|_DI_.*", "", d.name(start)))
        e = pattern(re.sub(r"_TRELLIS_FF_Q.*", "", d.name(n))) + "." + ip
        groups[(s, e)] += 1
        gworst[(s, e)] = max(gworst.get((s, e), 0.0), t)
    print("\nend points above %.1f ns: %d in all; by (start register -> end register): count, worst"
          % (a.above, sum(groups.values())))
    for (s, e), c in groups.most_common(60):
        print("%7d %6.2f  %s  ->  %s" % (c, gworst[(s, e)], s, e))


if __name__ == "__main__":
    main()
