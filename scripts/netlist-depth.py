#!/usr/bin/env python3
"""netlist-depth.py -- estimate the longest combinational paths of a flattened
Yosys ECP5 netlist (the JSON written by `synth_ecp5 ...; flatten; write_json`).

Usage: python3 scripts/netlist-depth.py <netlist.json> [--top K]
       (more: [--min-depth D] [--json OUT] [--collapse-bus] [--level N]
              [--mult-comb] [--keep-wrapper] [--all-pins] [--full-path]
              [--weight TYPE=W] [--module NAME]; see --help)

THIS IS AN ESTIMATE OF LOGIC DEPTH, NOT A TIMING REPORT.  There is no routing,
no fan-out, no placement and no real cell delay in it: every primitive gets a
fixed weight (roughly "LUT levels") and the script reports, for every timing
end point, the largest sum of weights over any combinational path that reaches
it.  It is meant to find *where* the deep logic is (which module, which
register) before/without running nextpnr, and to compare two synthesis runs.

Model
-----
The netlist is turned into a DAG whose nodes are nets (Yosys bit ids; the
strings "0", "1", "x", "z" are constants and simply contribute arrival 0).
Each net has at most one driver pin:

  start points (arrival fixed, no predecessors)
    * TRELLIS_FF Q (and other register primitives: FD1*, IFS1P3*, ODDR* ...) : 0
    * DP16KD / PDPW16KD DO*  : 1.0  (the read of a block RAM counts 1 unit,
                                     whether or not REGMODE=OUTREG)
    * top-level input (and inout) ports, undriven nets, constants : 0
    * outputs of clock/infrastructure cells (DCCA, OSCG, EHXPLLL, ...) : 0
    * pad-side outputs of IO buffers (TRELLIS_IO O, IB O, ...) : 0
    * MULT18X18D / ALU54B outputs whose output (or pipeline) register is
      enabled by its REG_*_CLK parameter : 0  (see below)

  combinational cells (arrival(out) = max(arrival(in)) + weight)
        LUT4 1.0   PFUMX 0.3   L6MUX21 0.3   CCU2C 0.25   TRELLIS_RAMW 0
        MULT18X18D 4.0   ALU54B 2.0   any other / unknown type 1.0
    * CCU2C: 0.25 from an input to an output, so an N-bit carry chain
      (N/2 cells, COUT->CIN) costs about N/8.  S0 only depends on A0..D0 and
      CIN; S1 and COUT depend on all inputs.
    * TRELLIS_DPR16X4 (distributed RAM): DO = max(arrival(RAD)) + 1.0, i.e. the
      stored content is a start point and the asynchronous read costs 1 unit
      from the read address.  Its write side (DI, WAD, WRE) is an end point.

  end points (depth = arrival of the net at the pin [+ extra])
    * TRELLIS_FF DI, CE (only if CEMUX=CE), LSR, M; other register primitives'
      data/control inputs
    * every DP16KD / PDPW16KD input except the clocks (address, data, WE, CE,
      OCE, RST, CS ...)
    * TRELLIS_DPR16X4 DI / WAD / WRE
    * DSP (MULT18X18D / ALU54B) inputs that go into an enabled input register;
      inputs that are not registered but whose output register is enabled are
      end points with extra = the cell weight (the multiplier array sits in
      front of the output register); CE*/RST* pins of a registered DSP
    * pad-side inputs of IO buffers (TRELLIS_IO I / T ...) and top-level
      output ports (unless they are the pad of an IO buffer)
  Clock pins (CLK, CLKA/B, CLKW/R, WCK, SCLK, ECLK, CLK0..3 ...) are ignored:
  they are neither end points nor inputs of combinational arcs.

  DSP blocks: by default the REG_INPUT{A,B,C}_CLK / REG_OUTPUT_CLK /
  REG_PIPELINE_CLK (ALU54B: REG_INPUTC0/C1/CFB, REG_OPCODE*, REG_OUTPUT0/1,
  REG_FLAG) parameters decide which side is registered.  A DSP with no
  register at all is a plain combinational cell of weight 4 (MULT) / 2 (ALU).
  --mult-comb ignores the register parameters and treats every DSP as purely
  combinational (all non-clock inputs -> all outputs), which over-estimates
  paths through registered multipliers.

Arrival times are computed by an iterative depth-first search over the nets
(no recursion).  A combinational loop is broken at the back edge found by the
DFS (that edge is simply ignored) and reported.

Output: the top K end points (end points on the same net -- e.g. the CE of a
32-bit register -- are collapsed into one row, see --all-pins; with
--collapse-bus also end points whose cell and pin names differ only in
numbers, e.g. the bits xr_t_..._Q_62 / _Q_63 of one register or the
registers ffe_c0 .. ffe_c15 of an array, so that one wide adder does not fill
the whole list), each with the
path back to its start point and a summary of the hierarchy prefixes it
crosses; a histogram of register (FF) end-point depths; the maximum depth per
hierarchy group.  Hierarchy comes from the "hdlname" attribute that `flatten`
leaves on each cell (fallback: the cell name and the $scopeinfo cells).  When
every hierarchical cell lives below one wrapper instance (e.g. u_core), that
wrapper is skipped for grouping (--keep-wrapper to disable); cells directly in
the wrapper are grouped as "(u_core)", cells of the top module as "(top)".

Standard library only; single-threaded.  A 150 MB netlist (~125k cells) takes
a few seconds and well under 2 GB of memory.
"""

import argparse
import json
import re
import sys
import time

# --------------------------------------------------------------------------
# Model parameters
# --------------------------------------------------------------------------

# Combinational weight per cell type (input -> output).  Unknown types use
# DEFAULT_WEIGHT.  DP16KD / PDPW16KD weights are the arrival at their DO pins.
WEIGHTS = {
    "LUT4": 1.0,
    "LUT2": 1.0,
    "PFUMX": 0.3,
    "L6MUX21": 0.3,
    "CCU2C": 0.25,
    "MULT18X18D": 4.0,
    "ALU54B": 2.0,
    "DP16KD": 1.0,
    "PDPW16KD": 1.0,
    "TRELLIS_DPR16X4": 1.0,
    "TRELLIS_RAMW": 0.0,   # pure routing cell of the LUT-RAM write port
    "INV": 1.0,
}
DEFAULT_WEIGHT = 1.0

# Register primitives: outputs are start points (arrival 0), non-clock inputs
# are end points.
REGISTER_TYPES = {
    "TRELLIS_FF",
    "FD1P3AX", "FD1P3AY", "FD1P3BX", "FD1P3DX", "FD1P3IX", "FD1P3JX",
    "FD1S3AX", "FD1S3AY", "FD1S3BX", "FD1S3DX", "FD1S3IX", "FD1S3JX",
    "IFS1P3BX", "IFS1P3DX", "IFS1P3IX", "IFS1P3JX",
    "OFS1P3BX", "OFS1P3DX", "OFS1P3IX", "OFS1P3JX",
    "IDDRX1F", "IDDRX2F", "IDDR71B", "IDDRX2DQA",
    "ODDRX1F", "ODDRX2F", "ODDR71B", "ODDRX2DQA", "ODDRX2DQSB",
    "OSHX2A", "TSHX2DQA", "TSHX2DQSA",
}
BRAM_TYPES = {"DP16KD", "PDPW16KD"}
DSP_TYPES = {"MULT18X18D", "ALU54B"}
LUTRAM_TYPES = {"TRELLIS_DPR16X4"}
# IO buffers: the pin on a top-level port is the pad (ignored); the other
# outputs are start points, the other inputs end points.
IO_TYPES = {
    "TRELLIS_IO", "IB", "IBPU", "IBPD", "OB", "OBZ", "OBZPU", "OBZPD", "OBCO",
    "BB", "BBPU", "BBPD", "ILVDS", "OLVDS",
}
# Clock / configuration infrastructure: outputs are start points (0), inputs
# are ignored.
INFRA_TYPES = {
    "DCCA", "DCSC", "DCUA", "EHXPLLL", "OSCG", "CLKDIVF", "ECLKSYNCB",
    "ECLKBRIDGECS", "TRELLIS_ECLKBUF", "PCSCLKDIV", "DLLDELD", "DDRDLL",
    "DQSBUFM", "GSR", "SGSR", "PUR", "JTAGG", "USRMCLK", "SEDGA", "DTR",
    "EXTREFB", "START", "VHI", "VLO",
}
IGNORED_TYPES = {"$scopeinfo"}
# Types whose outputs are natural start points (no note printed for them).
START_NOTE_QUIET = REGISTER_TYPES | BRAM_TYPES | IO_TYPES | INFRA_TYPES
# Types that we know to be plain combinational (silences the "unknown" note).
KNOWN_COMB = {"LUT4", "LUT2", "PFUMX", "L6MUX21", "CCU2C", "TRELLIS_RAMW",
              "INV", "DELAYF", "DELAYG"}

CLOCK_PIN_RE = re.compile(r"^(CLK|CLKA|CLKB|CLKW|CLKR|WCK|SCLK|ECLK|CK|CLKI|"
                          r"CLKFB|CLK[0-3]|DQSW|DQSW270|ECLKI)$")

DIGITS_RE = re.compile(r"\d+")
BITSUFFIX_RE = re.compile(r"([_.]#)+$")

HIST_STEP = 2
HIST_MAX = 20


def attr_true(v):
    """Yosys JSON attribute values are ints or binary strings."""
    if isinstance(v, int):
        return v != 0
    if isinstance(v, str):
        s = v.strip()
        if s and set(s) <= set("01"):
            return int(s, 2) != 0
        return s not in ("", "0")
    return bool(v)


def pstr(params, key, default="NONE"):
    v = params.get(key, default)
    return v.strip() if isinstance(v, str) else str(v)


def pin_label(port, idx, width):
    return port if width == 1 else "%s[%d]" % (port, idx)


# --------------------------------------------------------------------------
# Netlist loading
# --------------------------------------------------------------------------

def pick_top(modules, forced=None):
    if forced:
        if forced not in modules:
            sys.exit("error: module %r not in netlist" % forced)
        return forced
    tops = [n for n, m in modules.items()
            if attr_true(m.get("attributes", {}).get("top", 0))]
    if len(tops) == 1:
        return tops[0]
    # Fallback: the non-blackbox module with the most primitive cells.
    prim = WEIGHTS.keys() | REGISTER_TYPES | BRAM_TYPES | DSP_TYPES
    best, bestn = None, 0
    for n, m in modules.items():
        if attr_true(m.get("attributes", {}).get("blackbox", 0)):
            continue
        k = sum(1 for c in m.get("cells", {}).values() if c.get("type") in prim)
        if k > bestn:
            best, bestn = n, k
    if best is None:
        sys.exit("error: cannot find the top module (use --module)")
    return best


class Graph:
    """Nets are indexed by their Yosys bit id.  For each net:
         drv_cell[b]  driver cell index, -1 = top-level port / undriven
         drv_deps[b]  list of predecessor nets, or None for "leaf, arrival 0"
         drv_w[b]     weight added on top of max(arrival(deps)) (for start
                      points deps == [] and drv_w is the start arrival)
    """

    def __init__(self, nbits):
        self.drv_cell = [-1] * nbits
        self.drv_deps = [None] * nbits
        self.drv_w = [0.0] * nbits


def build(mod, modules, mult_comb):
    t0 = time.time()
    cells_d = mod.get("cells", {})
    ports = mod.get("ports", {})

    # Largest bit id, to size the flat arrays.
    maxbit = 1
    for p in ports.values():
        for b in p.get("bits", ()):
            if isinstance(b, int) and b > maxbit:
                maxbit = b
    for c in cells_d.values():
        for bits in c.get("connections", {}).values():
            for b in bits:
                if isinstance(b, int) and b > maxbit:
                    maxbit = b
    g = Graph(maxbit + 1)
    drv_cell, drv_deps, drv_w = g.drv_cell, g.drv_deps, g.drv_w

    names, types, hdl = [], [], []
    endpoints = []   # (cell idx or -1, label, type, pin, bit, extra, kind)
    port_of_bit = {}  # bit -> "port[idx]" for top-level ports
    in_port_bits = set()
    out_port_bits = []
    for pn, p in ports.items():
        bits = p.get("bits", [])
        for i, b in enumerate(bits):
            if not isinstance(b, int):
                continue
            port_of_bit[b] = pin_label(pn, i, len(bits))
            d = p.get("direction", "input")
            if d in ("input", "inout"):
                in_port_bits.add(b)
            if d == "output":
                out_port_bits.append((pn, i, len(bits), b))

    stats = {"multi_driven": 0, "unknown_types": {}, "hier_types": {},
             "inout_cell_pins": 0, "unknown_dir_pins": 0}
    drivers_seen = bytearray(maxbit + 1)
    io_pad_bits = set()

    def set_driver(b, ci, deps, w):
        if drivers_seen[b]:
            stats["multi_driven"] += 1
            return
        drivers_seen[b] = 1
        drv_cell[b] = ci
        drv_deps[b] = deps
        drv_w[b] = w

    def add_ep(ci, pin, b, extra, kind):
        endpoints.append((ci, pin, b, extra, kind))

    for name, c in cells_d.items():
        t = c.get("type", "?")
        if t in IGNORED_TYPES:
            continue
        conns = c.get("connections", {})
        if not conns:
            continue
        ci = len(names)
        names.append(name)
        types.append(t)
        hdl.append(c.get("attributes", {}).get("hdlname"))
        params = c.get("parameters", {})
        dirs = c.get("port_directions")
        if not dirs:
            bb = modules.get(t, {}).get("ports", {})
            dirs = {pn: pv.get("direction", "input") for pn, pv in bb.items()}
        if t in modules and not attr_true(
                modules[t].get("attributes", {}).get("blackbox", 0)):
            stats["hier_types"][t] = stats["hier_types"].get(t, 0) + 1

        # Split pins: ins = [(port, idx, width, bit)], outs likewise.
        ins, outs = [], []
        for pn, bits in conns.items():
            d = dirs.get(pn)
            if d is None:
                stats["unknown_dir_pins"] += 1
                d = "input"
            w = len(bits)
            if d == "inout":
                stats["inout_cell_pins"] += 1
                if t in IO_TYPES:
                    for b in bits:
                        if isinstance(b, int):
                            io_pad_bits.add(b)
                continue
            lst = outs if d == "output" else ins
            for i, b in enumerate(bits):
                if isinstance(b, int):
                    lst.append((pn, i, w, b))

        weight = WEIGHTS.get(t, DEFAULT_WEIGHT)

        if t in REGISTER_TYPES:
            cemux = pstr(params, "CEMUX", "CE")
            lsrmux = pstr(params, "LSRMUX", "LSR")
            for pn, i, w, b in outs:
                set_driver(b, ci, [], 0.0)
            for pn, i, w, b in ins:
                if CLOCK_PIN_RE.match(pn):
                    continue
                if pn == "CE" and cemux in ("0", "1"):
                    continue
                if pn == "LSR" and lsrmux in ("0", "1"):
                    continue
                add_ep(ci, pin_label(pn, i, w), b, 0.0, "ff")

        elif t in BRAM_TYPES:
            for pn, i, w, b in outs:
                set_driver(b, ci, [], weight)
            for pn, i, w, b in ins:
                if not CLOCK_PIN_RE.match(pn):
                    add_ep(ci, pin_label(pn, i, w), b, 0.0, "bram")

        elif t in LUTRAM_TYPES:
            rad = [b for pn, i, w, b in ins if pn == "RAD"]
            for pn, i, w, b in outs:
                set_driver(b, ci, rad, weight)
            for pn, i, w, b in ins:
                if pn != "RAD" and not CLOCK_PIN_RE.match(pn):
                    add_ep(ci, pin_label(pn, i, w), b, 0.0, "lutram")

        elif t in DSP_TYPES and not mult_comb:
            in_group, out_reg, out_group = dsp_model(t, params)
            any_reg = out_reg or any(in_group.values())
            # Unregistered data inputs per group ("A", "B", "C", ...).
            free = {}
            for pn, i, w, b in ins:
                if CLOCK_PIN_RE.match(pn):
                    continue
                grp = dsp_in_group(t, pn)
                if grp is None:          # CE*/RST*: register control
                    if any_reg:
                        add_ep(ci, pin_label(pn, i, w), b, 0.0, "dsp")
                    continue
                if in_group.get(grp, False):
                    add_ep(ci, pin_label(pn, i, w), b, 0.0, "dsp")
                else:
                    free.setdefault(grp, []).append(b)
                    if out_reg:
                        add_ep(ci, pin_label(pn, i, w), b, weight, "dsp")
            all_free = [b for lst in free.values() for b in lst]
            for pn, i, w, b in outs:
                og = out_group(pn)
                if og == "result":
                    if out_reg:
                        set_driver(b, ci, [], 0.0)
                    else:
                        set_driver(b, ci, all_free, weight)
                else:
                    # Pass-through of an input register (ROA/SROA ...).
                    if in_group.get(og, False):
                        set_driver(b, ci, [], 0.0)
                    else:
                        set_driver(b, ci, free.get(og, []), 0.0)

        elif t in IO_TYPES:
            for pn, i, w, b in outs:
                if b in port_of_bit:
                    io_pad_bits.add(b)
                    continue
                set_driver(b, ci, [], 0.0)
            for pn, i, w, b in ins:
                if b in port_of_bit:
                    io_pad_bits.add(b)
                    continue
                add_ep(ci, pin_label(pn, i, w), b, 0.0, "io")

        elif t in INFRA_TYPES:
            for pn, i, w, b in outs:
                set_driver(b, ci, [], 0.0)

        else:
            # Plain combinational cell (also DSPs under --mult-comb).
            if t not in KNOWN_COMB and t not in DSP_TYPES:
                stats["unknown_types"][t] = stats["unknown_types"].get(t, 0) + 1
            dall = [b for pn, i, w, b in ins if not CLOCK_PIN_RE.match(pn)]
            if t == "CCU2C":
                d0 = [b for pn, i, w, b in ins
                      if pn in ("A0", "B0", "C0", "D0", "CIN")]
                for pn, i, w, b in outs:
                    set_driver(b, ci, d0 if pn == "S0" else dall, weight)
            else:
                for pn, i, w, b in outs:
                    set_driver(b, ci, dall, weight)

    # Top-level ports: inputs are leaves (deps None, arrival 0, the default);
    # outputs are end points unless they are the pad of an IO buffer.
    for pn, i, w, b in out_port_bits:
        if b in io_pad_bits:
            continue
        add_ep(-1, pin_label(pn, i, w), b, 0.0, "top-output")

    stats["build_s"] = time.time() - t0
    return g, names, types, hdl, endpoints, port_of_bit, in_port_bits, stats


def dsp_in_group(t, pn):
    """Register group of a DSP input pin, None for CE*/RST* control pins."""
    if re.match(r"^(CE|RST)\d$", pn):
        return None
    if t == "MULT18X18D":
        if re.match(r"^(A\d+|SIGNEDA|SOURCEA|SRIA\d+)$", pn):
            return "A"
        if re.match(r"^(B\d+|SIGNEDB|SOURCEB|SRIB\d+)$", pn):
            return "B"
        if re.match(r"^C\d+$", pn):
            return "C"
        return "other"
    # ALU54B
    if re.match(r"^C\d+$", pn):
        return "C"
    if re.match(r"^CFB\d+$", pn):
        return "CFB"
    if re.match(r"^OP\d+$", pn):
        return "OP"
    return "other"     # A/B/MA/MB/CIN/SIGNED*: come from the MULT registers


def dsp_model(t, params):
    """Return (registered input groups, output registered?, output grouping)."""
    def on(*keys):
        return any(pstr(params, k) not in ("NONE", "") for k in keys)
    if t == "MULT18X18D":
        in_group = {"A": on("REG_INPUTA_CLK"), "B": on("REG_INPUTB_CLK"),
                    "C": on("REG_INPUTC_CLK"), "other": False}
        out_reg = on("REG_OUTPUT_CLK", "REG_PIPELINE_CLK")

        def out_group(pn):
            if re.match(r"^(ROA|SROA)\d+$", pn):
                return "A"
            if re.match(r"^(ROB|SROB)\d+$", pn):
                return "B"
            if re.match(r"^ROC\d+$", pn):
                return "C"
            return "result"
        return in_group, out_reg, out_group
    in_group = {"C": on("REG_INPUTC0_CLK", "REG_INPUTC1_CLK"),
                "CFB": on("REG_INPUTCFB_CLK"),
                "OP": on("REG_OPCODEOP0_0_CLK", "REG_OPCODEOP0_1_CLK",
                         "REG_OPCODEOP1_0_CLK", "REG_OPCODEOP1_1_CLK",
                         "REG_OPCODEIN_0_CLK", "REG_OPCODEIN_1_CLK"),
                "other": False}
    out_reg = on("REG_OUTPUT0_CLK", "REG_OUTPUT1_CLK", "REG_FLAG_CLK")
    return in_group, out_reg, (lambda pn: "result")


# --------------------------------------------------------------------------
# Arrival computation (iterative DFS, loop breaking)
# --------------------------------------------------------------------------

def compute_arrivals(g, roots, max_loops_kept=20):
    """Longest-path arrival per net.  Returns (arrival, crit, loops) where
    crit[b] is the predecessor net on the critical path (-1 at a start)."""
    n = len(g.drv_deps)
    deps_of = g.drv_deps
    w_of = g.drv_w
    arrival = [0.0] * n
    crit = [-1] * n
    state = bytearray(n)          # 0 new, 1 on DFS stack, 2 done
    loops = []
    nloops = 0
    for root in roots:
        if state[root]:
            continue
        state[root] = 1
        stack = [root]
        pos = [0]
        while stack:
            b = stack[-1]
            deps = deps_of[b]
            i = pos[-1]
            descended = False
            if deps:
                nd = len(deps)
                while i < nd:
                    d = deps[i]
                    i += 1
                    s = state[d]
                    if s == 0:
                        dd = deps_of[d]
                        if not dd:
                            # Leaf / start point: finish it right away.
                            state[d] = 2
                            if dd is not None:
                                arrival[d] = w_of[d]
                        else:
                            pos[-1] = i
                            state[d] = 1
                            stack.append(d)
                            pos.append(0)
                            descended = True
                            break
                    elif s == 1:
                        # Back edge b -> d: combinational loop.  The edge is
                        # ignored (d is not "done" when b is evaluated).
                        nloops += 1
                        if len(loops) < max_loops_kept:
                            k = len(stack) - 1
                            while stack[k] != d:
                                k -= 1
                            loops.append(stack[k:])
            if descended:
                continue
            # All predecessors done: evaluate b.
            best = 0.0
            cb = -1
            if deps:
                for d in deps:
                    if state[d] == 2:
                        a = arrival[d]
                        if cb < 0 or a > best:
                            best = a
                            cb = d
            if deps is not None:
                arrival[b] = best + w_of[b]
            crit[b] = cb
            state[b] = 2
            stack.pop()
            pos.pop()
    return arrival, crit, loops, nloops


# --------------------------------------------------------------------------
# Hierarchy helpers
# --------------------------------------------------------------------------

class Hier:
    def __init__(self, names, hdl, scopes, keep_wrapper, level):
        self.names = names
        self.hdl = hdl
        self.scopes = scopes
        self.level = level
        self._path = {}
        self.strip = []
        if not keep_wrapper:
            # Longest common instance prefix of all hierarchical cells.
            lcp = None
            for ci in range(len(names)):
                p = self.inst_path(ci)
                if not p:
                    continue
                if lcp is None:
                    lcp = list(p)
                else:
                    k = 0
                    while k < len(lcp) and k < len(p) and lcp[k] == p[k]:
                        k += 1
                    del lcp[k:]
                if not lcp:
                    break
            self.strip = lcp or []

    def inst_path(self, ci):
        """Instance path (list of instance names) of cell ci."""
        p = self._path.get(ci)
        if p is not None:
            return p
        h = self.hdl[ci]
        if h:
            p = tuple(h.split(" ")[:-1])
        else:
            # Fallback: longest known scope that prefixes the cell name.
            name = self.names[ci]
            p = ()
            k = name.rfind(".")
            while k > 0:
                if name[:k] in self.scopes:
                    p = tuple(name[:k].split("."))
                    break
                k = name.rfind(".", 0, k)
        self._path[ci] = p
        return p

    def group(self, ci, level=None):
        if ci < 0:
            return "(top-port)"
        level = self.level if level is None else level
        p = self.inst_path(ci)
        if not p:
            return "(top)"
        ns = len(self.strip)
        if ns and tuple(p[:ns]) == tuple(self.strip):
            rest = p[ns:]
            if not rest:
                return "(%s)" % ".".join(self.strip)
            return ".".join(rest[:level])
        return ".".join(p[:level])


# --------------------------------------------------------------------------
# Reporting
# --------------------------------------------------------------------------

def driver_pin(cells_d, name, b):
    c = cells_d.get(name)
    if c is None:
        return "?"
    for pn, bits in c.get("connections", {}).items():
        for i, x in enumerate(bits):
            if x == b and c.get("port_directions", {}).get(pn) != "input":
                return pin_label(pn, i, len(bits))
    return "?"


def trace(g, crit, arrival, b):
    """Nets on the critical path ending at net b, start first."""
    chain = [b]
    seen = {b}
    while crit[b] >= 0:
        b = crit[b]
        if b in seen:          # cannot happen after loop breaking; be safe
            break
        seen.add(b)
        chain.append(b)
    chain.reverse()
    return chain


def main():
    ap = argparse.ArgumentParser(
        description="Estimate the longest combinational paths (weighted logic "
                    "depth, not timing) of a flattened Yosys ECP5 JSON netlist.",
        usage="python3 scripts/netlist-depth.py <netlist.json> [--top K] "
              "[options]")
    ap.add_argument("netlist")
    ap.add_argument("--top", type=int, default=25, metavar="K",
                    help="number of end points to list (0 = all; default 25)")
    ap.add_argument("--min-depth", type=float, default=0.0, metavar="D",
                    help="only list end points with depth >= D")
    ap.add_argument("--json", metavar="OUT", help="also write results as JSON")
    ap.add_argument("--module", help="top module name (default: auto)")
    ap.add_argument("--level", type=int, default=1, metavar="N",
                    help="hierarchy components used for groups/summaries "
                         "(default 1)")
    ap.add_argument("--keep-wrapper", action="store_true",
                    help="do not skip a wrapper instance common to all cells")
    ap.add_argument("--mult-comb", action="store_true",
                    help="treat MULT18X18D/ALU54B as purely combinational "
                         "(ignore their REG_* parameters)")
    ap.add_argument("--all-pins", action="store_true",
                    help="list every end-point pin, even several on one net")
    ap.add_argument("--collapse-bus", action="store_true",
                    help="also collapse end points whose cell/pin names "
                         "differ only in numbers (xr_t_TRELLIS_FF_Q_62 / _63, "
                         "ffe_c0 / ffe_c15, DIA3 / DIA4): one row per "
                         "register, bus or register array")
    ap.add_argument("--full-path", action="store_true",
                    help="do not compress carry-chain runs in printed paths")
    ap.add_argument("--weight", action="append", default=[], metavar="TYPE=W",
                    help="override a cell weight, e.g. --weight LUT4=1.2")
    args = ap.parse_args()

    for spec in args.weight:
        try:
            k, v = spec.split("=")
            WEIGHTS[k] = float(v)
        except ValueError:
            sys.exit("error: bad --weight %r (want TYPE=W)" % spec)

    t_start = time.time()
    with open(args.netlist, "rb") as f:
        data = json.load(f)
    t_parse = time.time() - t_start
    modules = data.get("modules", {})
    top = pick_top(modules, args.module)
    mod = modules[top]

    g, names, types, hdl, endpoints, port_of_bit, in_port_bits, stats = build(
        mod, modules, args.mult_comb)
    cells_d = mod.get("cells", {})
    scopes = {n for n, c in cells_d.items() if c.get("type") == "$scopeinfo"}
    hier = Hier(names, hdl, scopes, args.keep_wrapper, args.level)

    t1 = time.time()
    roots = sorted({ep[2] for ep in endpoints})
    arrival, crit, loops, nloops = compute_arrivals(g, roots)
    t_arr = time.time() - t1

    # Depth per end point.
    eps = []
    for ci, pin, b, extra, kind in endpoints:
        eps.append((arrival[b] + extra, ci, pin, b, extra, kind))

    # ---------------- histogram of register end points -------------------
    nbins = HIST_MAX // HIST_STEP + 1
    hist_ff = [0] * nbins
    hist_pin = [0] * nbins
    ff_worst = {}
    for depth, ci, pin, b, extra, kind in eps:
        if kind != "ff":
            continue
        k = min(int(depth // HIST_STEP), nbins - 1)
        hist_pin[k] += 1
        if depth > ff_worst.get(ci, -1.0):
            ff_worst[ci] = depth
    for ci, depth in ff_worst.items():
        hist_ff[min(int(depth // HIST_STEP), nbins - 1)] += 1
    bin_names = ["[%d,%d)" % (k * HIST_STEP, (k + 1) * HIST_STEP)
                 for k in range(nbins - 1)] + [">=%d" % HIST_MAX]

    # ---------------- per-group maxima -----------------------------------
    groups = {}
    for e in eps:
        depth, ci = e[0], e[1]
        gname = hier.group(ci)
        gr = groups.get(gname)
        if gr is None:
            groups[gname] = [depth, 1, e]
        else:
            gr[1] += 1
            if depth > gr[0]:
                gr[0] = depth
                gr[2] = e

    # ---------------- top K -----------------------------------------------
    def ep_name(ci):
        return names[ci] if ci >= 0 else "<top>"

    def ep_type(ci):
        return types[ci] if ci >= 0 else "(port)"

    eps.sort(key=lambda e: (-e[0], ep_name(e[1]), e[2]))

    def bus_key(e):
        # Cell and pin names with every number replaced by '#': the bits of
        # one register (..._Q_62 / ..._Q_63), arrays of registers (ffe_c0 /
        # ffe_c15), RAM tiles (mem.0.3) and RAM pins (DIA7 / DIA8) collapse.
        # A trailing "_#" is dropped as well (..._Q and ..._Q_1 are bits of
        # the same register in Yosys naming).
        return (BITSUFFIX_RE.sub("", DIGITS_RE.sub("#", ep_name(e[1]))),
                DIGITS_RE.sub("#", e[2]), e[5])

    rows = []
    by_net = {}
    by_bus = {}
    for e in eps:
        below = e[0] < args.min_depth
        if below and (args.all_pins or not rows):
            break
        if not args.all_pins:
            nk = (e[3], e[4])
            row = by_net.get(nk)
            bk = None
            if row is None and args.collapse_bus:
                bk = bus_key(e)
                row = by_bus.get(bk)
            if row is not None:
                row[1] += 1        # counted even when below --min-depth
                continue
            if below:
                continue
            row = [e, 1]
            by_net[nk] = row
            if args.collapse_bus:
                by_bus[bk] = row
        else:
            row = [e, 1]
        rows.append(row)
    # (the whole list is scanned first so that the "+N more pins" counts of
    # the listed rows are complete)
    if args.top > 0:
        rows = rows[:args.top]

    def hop(b):
        ci = g.drv_cell[b]
        if ci >= 0:
            h = {"cell": names[ci], "type": types[ci],
                 "pin": driver_pin(cells_d, names[ci], b),
                 "arrival": round(arrival[b], 3),
                 "group": hier.group(ci), "ci": ci}
            if crit[b] < 0 and g.drv_deps[b]:
                h["note"] = "loop cut here"        # see the loop warning
            elif crit[b] < 0 and types[ci] not in START_NOTE_QUIET:
                h["note"] = "all inputs constant/registered"
            return h
        lab = port_of_bit.get(b)
        return {"cell": ("<port %s>" % lab) if lab else "<undriven net %d>" % b,
                "type": "(port)" if lab else "(undriven)", "pin": "",
                "arrival": round(arrival[b], 3), "group": "(top-port)",
                "ci": -1}

    results = []
    for rank, (e, same) in enumerate(rows, 1):
        depth, ci, pin, b, extra, kind = e
        path = [hop(x) for x in trace(g, crit, arrival, b)]
        seq = []  # run-length hierarchy summary, start -> end
        for h in path + [{"group": hier.group(ci)}]:
            if seq and seq[-1][0] == h["group"]:
                seq[-1][1] += 1
            else:
                seq.append([h["group"], 1])
        results.append({
            "rank": rank, "depth": round(depth, 3), "cell": ep_name(ci),
            "type": ep_type(ci), "pin": pin, "kind": kind,
            "extra": extra, "group": hier.group(ci),
            "pins_represented": same,
            "hier_summary": [s[0] for s in seq],
            "hier_runs": seq,
            "path": [{k: v for k, v in h.items() if k != "ci"} for h in path],
            "start": {k: v for k, v in path[0].items() if k != "ci"},
        })

    t_total = time.time() - t_start

    # ---------------- text report -----------------------------------------
    out = sys.stdout
    tc = {}
    for t in types:
        tc[t] = tc.get(t, 0) + 1
    kinds = {}
    for e in eps:
        kinds[e[5]] = kinds.get(e[5], 0) + 1
    out.write("netlist-depth: %s\n" % args.netlist)
    out.write("  top module %s: %d cells, %d nets; %d end-point pins (%s)\n" % (
        top, len(names), len(g.drv_deps),
        len(eps), ", ".join("%s %d" % kv for kv in sorted(kinds.items()))))
    out.write("  cell types: %s\n" % ", ".join(
        "%s %d" % kv for kv in sorted(tc.items(), key=lambda kv: -kv[1])))
    out.write("  weights: %s; others %.2f; DSP %s\n" % (
        ", ".join("%s=%g" % (t, WEIGHTS[t]) for t in sorted(WEIGHTS)
                  if t in tc), DEFAULT_WEIGHT,
        "combinational (--mult-comb)" if args.mult_comb
        else "registers from REG_* parameters"))
    if hier.strip:
        out.write("  grouping: wrapper '%s' skipped (--keep-wrapper), level %d\n"
                  % (".".join(hier.strip), args.level))
    out.write("  time: parse %.1fs, build %.1fs, arrival %.1fs, total %.1fs\n"
              % (t_parse, stats["build_s"], t_arr, t_total))
    if stats["unknown_types"]:
        out.write("  note: unknown cell types treated as combinational "
                  "(weight %.1f): %s\n" % (DEFAULT_WEIGHT, ", ".join(
                      "%s %d" % kv for kv in sorted(stats["unknown_types"].items()))))
    if stats["hier_types"]:
        out.write("  WARNING: design is not flattened (instances of %s) -- "
                  "they are treated as unknown combinational cells\n"
                  % ", ".join(sorted(stats["hier_types"])))
    if stats["multi_driven"]:
        out.write("  WARNING: %d nets with more than one driver (first kept)\n"
                  % stats["multi_driven"])
    if stats["unknown_dir_pins"]:
        out.write("  note: %d pins without a direction (treated as inputs)\n"
                  % stats["unknown_dir_pins"])
    if nloops:
        out.write("  WARNING: %d combinational loop back-edges broken; "
                  "first loops:\n" % nloops)
        for lp in loops[:5]:
            cl = []
            for x in lp:
                ci = g.drv_cell[x]
                nm = names[ci] if ci >= 0 else "net %d" % x
                if not cl or cl[-1] != nm:
                    cl.append(nm)
            out.write("    loop of %d nets: %s\n" % (len(lp), " -> ".join(cl)))
    else:
        out.write("  combinational loops: none\n")

    out.write("\nTop %d end points by weighted depth%s%s:\n" % (
        len(results),
        "" if args.all_pins else
        " (pins on the same net%s collapsed)" % (
            " or bus" if args.collapse_bus else ""),
        (" with depth >= %g" % args.min_depth) if args.min_depth else ""))
    for r in results:
        more = (" (+%d more pins on this net%s)" % (
            r["pins_represented"] - 1, "/bus" if args.collapse_bus else "")
                if r["pins_represented"] > 1 else "")
        ex = (" [incl. +%g inside %s]" % (r["extra"], r["type"])
              if r["extra"] else "")
        out.write("\n#%-3d depth %6.2f  %s.%s  (%s, %s)%s%s\n" % (
            r["rank"], r["depth"], r["cell"], r["pin"], r["type"], r["kind"],
            ex, more))
        out.write("      hier: %s\n" % " -> ".join(
            "%s[%d]" % (gname, n) for gname, n in r["hier_runs"]))
        path = r["path"]
        k = 0
        while k < len(path):
            h = path[k]
            j = k
            if not args.full_path:
                while (j + 1 < len(path) and path[j + 1]["type"] == h["type"]
                       and h["type"] == "CCU2C"):
                    j += 1
            if j > k:
                out.write("      %6.2f  %-10s x%-3d %s  ..  %s\n" % (
                    path[j]["arrival"], h["type"], j - k + 1, h["cell"],
                    path[j]["cell"]))
            else:
                tag = "start " if k == 0 else ""
                out.write("      %6.2f  %-15s %s%s%s%s\n" % (
                    h["arrival"], h["type"], tag, h["cell"],
                    ("." + h["pin"]) if (k == 0 and h["pin"]) else "",
                    ("  (%s)" % h["note"]) if "note" in h else ""))
            k = j + 1

    out.write("\nRegister (FF) end points by depth: per FF (worst of its "
              "DI/CE/LSR/M pins) and per pin\n")
    out.write("  %-9s %8s %8s\n" % ("depth", "FFs", "pins"))
    for k in range(nbins):
        out.write("  %-9s %8d %8d\n" % (bin_names[k], hist_ff[k], hist_pin[k]))
    out.write("  %-9s %8d %8d\n" % ("total", sum(hist_ff), sum(hist_pin)))
    nff = sum(1 for t in types if t in REGISTER_TYPES)
    if nff > len(ff_worst):
        out.write("  (%d register cells have no non-constant data/control "
                  "input and are not counted)\n" % (nff - len(ff_worst)))

    out.write("\nMax depth per hierarchy group (level %d, all end-point kinds):\n"
              % args.level)
    out.write("  %-24s %8s %9s  %s\n" % ("group", "max", "endpoints",
                                         "worst end point"))
    group_rows = sorted(groups.items(), key=lambda kv: -kv[1][0])
    for gname, (mx, cnt, e) in group_rows:
        out.write("  %-24s %8.2f %9d  %s.%s\n" % (
            gname, mx, cnt, ep_name(e[1]), e[2]))

    if args.json:
        doc = {
            "netlist": args.netlist, "top_module": top,
            "model": "weighted logic depth estimate (not a timing report)",
            "weights": dict(WEIGHTS), "default_weight": DEFAULT_WEIGHT,
            "dsp_mode": "combinational" if args.mult_comb else "registered",
            "wrapper_skipped": ".".join(hier.strip), "level": args.level,
            "runtime_s": round(t_total, 2),
            "cells": len(names), "endpoint_pins": len(eps),
            "loops_broken": nloops,
            "loops": [[names[g.drv_cell[x]] if g.drv_cell[x] >= 0
                       else "net %d" % x for x in lp] for lp in loops],
            "endpoints": results,
            "histogram_ff": [{"bin": bin_names[k], "ffs": hist_ff[k],
                              "pins": hist_pin[k]} for k in range(nbins)],
            "groups": [{"group": gname, "max_depth": round(mx, 3),
                        "endpoints": cnt,
                        "worst": "%s.%s" % (ep_name(e[1]), e[2])}
                       for gname, (mx, cnt, e) in group_rows],
        }
        with open(args.json, "w") as f:
            json.dump(doc, f, indent=1)
        out.write("\nJSON written to %s\n" % args.json)


if __name__ == "__main__":
    main()
