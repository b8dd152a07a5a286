"""The repository root and the RTL file lists, read from the FuseSoC cores (rtl/**/*.core).

The CAPI2 cores are the one source of every file list: simulation (sim/cocotb_run.py, the
accelerator process), lint (rtl/lint/lint.py), synthesis (rtl/synth/synth.py), coverage
(sim/coverage.py) and the formal jobs (rtl/formal/run_formal.py) all take a top level's ordered
sources from here, and `fusesoc` reads the same files. Neutral on purpose: it imports nothing of
sim/ or bridge/, so rtl/ tools and sim/ both use it.

    rtl_sources("vcrypto_top")      # [ROOT/rtl/top/vcrypto_abi.sv, ..., ROOT/rtl/top/vcrypto_top.sv]
    python rtl/filelists.py vcrypto_top      # prints the list (repository-relative)

Order: a core's dependencies (its filesets' `depend`, depth first, in the order written) come
before its own files, each file once: the order FuseSoC hands to Edalize. Version constraints
in `depend` ("^vcrypto:accel:abi:1.0") are matched by name only (there is one version of each
core here); a core is named by the third field of its VLNV (`vcrypto:crypto:aes_engine:1.0` ->
`aes_engine`), which is also its top module.
"""
from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
RTL = ROOT / "rtl"
_HDL_TYPES = ("systemVerilogSource", "verilogSource")


@dataclass(frozen=True)
class Core:
    vlnv: str            # vendor:library:name:version
    path: Path           # the .core file
    data: dict

    @property
    def name(self) -> str:
        return self.vlnv.split(":")[2]

    @property
    def vln(self) -> str:
        return ":".join(self.vlnv.split(":")[:3])

    def target(self, name: str = "default") -> dict:
        t = (self.data.get("targets") or {}).get(name)
        if t is None:
            raise KeyError(f"{self.vlnv} has no target {name!r}")
        return t

    def toplevel(self, target: str = "default") -> str | None:
        return self.target(target).get("toplevel")


def _vln(dep: str) -> str:
    """'^vcrypto:accel:abi:1.0' / '>=v:l:n:1.0' / 'v:l:n' -> 'v:l:n'."""
    return ":".join(re.sub(r"^[\^~<>=!]+", "", dep.strip()).split(":")[:3])


@lru_cache(maxsize=1)
def cores() -> dict[str, Core]:
    """Every core under rtl/, by name (rtl/formal holds none: its stubs stay out of every list)."""
    out: dict[str, Core] = {}
    for p in sorted(RTL.rglob("*.core")):
        text = p.read_text()
        if not text.startswith("CAPI=2:"):
            raise ValueError(f"{p}: not a CAPI2 core")
        data = yaml.safe_load(text)
        c = Core(data["name"], p, data)
        if c.name in out:
            raise ValueError(f"two cores named {c.name}: {out[c.name].path} and {p}")
        out[c.name] = c
    return out


def core(name: str) -> Core:
    """The core named `name` (its VLNV's third field) or by VLNV."""
    all_ = cores()
    if name in all_:
        return all_[name]
    for c in all_.values():
        if _vln(name) == c.vln:
            return c
    raise FileNotFoundError(f"no FuseSoC core named {name!r} under rtl/ (have: {', '.join(sorted(all_))})")


def _files(fs: dict, base: Path) -> list[Path]:
    out = []
    default_type = fs.get("file_type")
    for item in fs.get("files") or []:
        if isinstance(item, dict):            # {path: {file_type: ..., ...}}
            (name, attrs), = item.items()
            ftype = (attrs or {}).get("file_type", default_type)
        else:
            name, ftype = item, default_type
        if ftype in _HDL_TYPES:
            out.append((base / name).resolve())
    return out


def owning_core(module: str) -> Core:
    """The core whose own files define `module` (a module with no core of its own, e.g. the
    DMA engines of vcrypto_top: simulated alone by their testbenches)."""
    for c in cores().values():
        for fs in (c.data.get("filesets") or {}).values():
            for f in _files(fs, c.path.parent):
                if f.exists() and re.search(rf"^\s*module\s+{re.escape(module)}\b", f.read_text(), re.M):
                    return c
    raise FileNotFoundError(f"no FuseSoC core under rtl/ is named {module!r} or defines that module")


def rtl_sources(top: str, target: str = "default") -> list[Path]:
    """Ordered HDL sources of core `top` and its dependencies (absolute paths). A `top` that is
    no core but a module of one (vcrypto_dma_rd) gets that core's sources: it is then the top
    level of a build that also reads the core's other files."""
    try:
        core(top)
    except FileNotFoundError:
        top = owning_core(top).name
    seen_cores: set[str] = set()
    files: list[Path] = []

    def visit(c: Core, tgt: str) -> None:
        if c.vln in seen_cores:
            return
        seen_cores.add(c.vln)
        filesets = c.data.get("filesets") or {}
        for fs_name in c.target(tgt).get("filesets") or []:
            fs = filesets[fs_name]
            for dep in fs.get("depend") or []:
                visit(core(_vln(dep)), "default")
            for f in _files(fs, c.path.parent):
                if not f.exists():
                    raise FileNotFoundError(f"{c.path.relative_to(ROOT)} lists {f}, which does not exist")
                if f not in files:
                    files.append(f)

    visit(core(top), target)
    return files


def tops() -> list[str]:
    """Cores with a `lint` target: the top levels `make lint` checks."""
    return sorted(c.name for c in cores().values() if "lint" in (c.data.get("targets") or {}))


def all_sources() -> list[Path]:
    """Every HDL file of every core (what coverage maps modules to; formal stubs excluded)."""
    out: list[Path] = []
    for name in sorted(cores()):
        for f in rtl_sources(name):
            if f not in out:
                out.append(f)
    return out


if __name__ == "__main__":
    for t in sys.argv[1:] or tops():
        try:
            print(f"# {t} ({core(t).vlnv})")
        except FileNotFoundError:
            print(f"# {t} (a module of {owning_core(t).vlnv})")
        for f in rtl_sources(t):
            print(f.relative_to(ROOT))
