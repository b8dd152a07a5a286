"""cocotb testbench for rtl/top/vcrypto_dma_rd.sv alone (run by tests/test_vcrypto_dma.py).

The read DMA as the accelerator top cannot drive it: any 64-bit address (up to the last byte
of the address space), any length up to 4 GiB - 1, every RRESP value, random AR/R/output
stalls, and a reset in the middle of a transfer. A Python AXI4 slave checks every AR against
the block's contract (16-byte INCR beats, at most 16 beats, no 4 KiB crossing, bursts tiling
the command's 16-byte-aligned range in order: the properties rtl/formal/dma_rd proves) and
answers from a memory whose every byte is a hash of its address; the output stream is
compared with those bytes. These tests give the block's own coverage target
(`make coverage COVERAGE_TOPS=vcrypto_dma_rd`, rtl/coverage/README.md).
"""
from __future__ import annotations

import random

import cocotb
from cocotb.triggers import ReadOnly, RisingEdge

from tb.dma_bench import (LARGEST_TRANSFERS, TIMEOUT_MS, TOP, BurstTiling, DmaTb,
                          every_offset_and_short_length_cases, rand_addr)
from tb.stream import to_int


def mem_byte(a: int) -> int:
    """The byte the memory holds at address a (no storage: any 64-bit address has data)."""
    a &= TOP - 1
    return ((a * 0x9E3779B97F4A7C15) >> 56 ^ a ^ (a >> 17)) & 0xFF


def mem_beat(a: int) -> int:
    """The 16-byte beat at aligned address a, little-endian lanes (byte a+i in bits 8i+7:8i)."""
    return int.from_bytes(bytes(mem_byte(a + i) for i in range(16)), "little")


class ReadSlave(BurstTiling):
    """AXI4 read slave: checks each AR, answers with memory beats (rresp chosen per burst)."""

    def __init__(self, dut, rng: random.Random, ar_stall=0.0, r_stall=0.0):
        self.dut, self.rng = dut, rng
        self.ar_stall, self.r_stall = ar_stall, r_stall
        self.resp_of = lambda addr: 0          # rresp of the burst at addr
        self.reset()

    def reset(self):
        self.beats: list[tuple[int, int, int]] = []     # (data, resp, last) owed, in order
        self.bursts: list[tuple[int, int]] = []
        self.reset_tiling()
        self._arready = self._rvalid = False
        self.dut.m_axi_arready.value = 0
        self.dut.m_axi_rvalid.value = 0

    def drive(self):
        d = self.dut
        self._arready = self.rng.random() >= self.ar_stall
        d.m_axi_arready.value = int(self._arready)
        if not self._rvalid:                    # once offered, a beat stays until taken
            self._rvalid = bool(self.beats) and self.rng.random() >= self.r_stall
        if self._rvalid:
            data, resp, last = self.beats[0]
            d.m_axi_rdata.value = data
            d.m_axi_rresp.value = resp
            d.m_axi_rlast.value = last
        else:                                   # idle lanes carry noise
            d.m_axi_rdata.value = self.rng.getrandbits(128)
            d.m_axi_rresp.value = self.rng.getrandbits(2)
            d.m_axi_rlast.value = self.rng.getrandbits(1)
        d.m_axi_rvalid.value = int(self._rvalid)

    def sample(self):
        d = self.dut
        if self._arready and d.m_axi_arvalid.value == 1:
            addr, n = self.take_burst(d, "ar")
            assert (addr & 0xFFF) + 16 * n <= 4096 and n <= 16
            resp = self.resp_of(addr)
            for i in range(n):
                self.beats.append((mem_beat(addr + 16 * i), resp, int(i == n - 1)))
            self.bursts.append((addr, n))
        if self._rvalid and d.m_axi_rready.value == 1:
            self.beats.pop(0)
            self._rvalid = False


class Tb(DmaTb):
    IDLE_INPUTS = DmaTb.IDLE_INPUTS + ("out_ready_i",)
    IDLE_IN_RESET = DmaTb.IDLE_IN_RESET + ("out_ready_i",)

    def __init__(self, dut, seed=1):
        super().__init__(dut, seed)
        self.slave = ReadSlave(dut, self.rng)
        self.out_stall = 0.0
        self.idle_inputs()

    async def transfer(self, addr: int, length: int, max_cycles=None, stop_after=None) -> dict:
        """Issue one command, run until it is done; check the stream. stop_after: return after
        that many clocks with the transfer still running (for the reset test)."""
        d = self.dut
        assert 0 <= addr and addr + length <= TOP
        beats = []
        cycles = 0
        max_cycles = max_cycles or 200 + 8 * ((length + 15) // 16)
        taken_at = None
        while True:
            await RisingEdge(d.clk_i)
            cycles += 1
            assert cycles < max_cycles, f"transfer {addr:#x}+{length} hung"
            if stop_after is not None and cycles > stop_after:
                return {"beats": beats, "cycles": cycles}
            self.drive_cmd(addr, length, taken_at is not None)
            ready = self.rng.random() >= self.out_stall
            d.out_ready_i.value = int(ready)
            self.slave.drive()
            await ReadOnly()
            if taken_at is not None and d.busy_o.value == 0:
                break                           # done (busy falls the clock after the last beat)
            if taken_at is None and d.cmd_ready_o.value == 1:
                taken_at = cycles
                self.slave.expect(addr, length)
            if ready and d.out_valid_o.value == 1:
                beats.append((to_int(d.out_data_o.value), to_int(d.out_bytes_o.value),
                              to_int(d.out_last_o.value)))
            self.slave.sample()
        await RisingEdge(d.clk_i)               # out of ReadOnly before driving again
        d.cmd_valid_i.value = 0
        d.out_ready_i.value = 0
        self.slave.drive()                      # the slave owes nothing: rvalid stays low
        # the stream: bytes [addr, addr+len) packed, the last beat partial with zeros above
        n = (length + 15) // 16
        assert len(beats) == n, f"{len(beats)} output beats for {length} bytes"
        for j, (data, nbytes, last) in enumerate(beats):
            lo = 16 * j
            want_n = min(16, length - lo)
            want = int.from_bytes(bytes(mem_byte(addr + lo + i) for i in range(want_n)), "little")
            assert (nbytes, last) == (want_n, int(j == n - 1)), (j, nbytes, last)
            assert data == want, f"beat {j}: {data:#034x} != {want:#034x} ({addr:#x}+{length})"
        assert self.slave.beats_left == 0 and not self.slave.beats
        return {"beats": beats, "cycles": cycles, "err": to_int(d.err_o.value)}


@cocotb.test(timeout_time=TIMEOUT_MS, timeout_unit="ms")
async def every_offset_and_short_length(dut):
    """Every start offset 0..15 with lengths 1..48 and a few around 4 KiB, no stalls."""
    tb = await Tb.start(dut)
    for addr, length in every_offset_and_short_length_cases():
        await tb.transfer(addr, length)


@cocotb.test(timeout_time=TIMEOUT_MS, timeout_unit="ms")
async def random_transfers_with_stalls(dut):
    """300 random commands (addresses over the whole 64-bit space, lengths to 9 KiB) with
    random AR, R and output stalls."""
    tb = await Tb.start(dut, seed=2)
    rng = tb.rng
    for i in range(300):
        tb.slave.ar_stall, tb.slave.r_stall, tb.out_stall = rng.choice(
            [(0, 0, 0), (0.5, 0.3, 0.3), (0.9, 0.1, 0.1), (0.1, 0.8, 0.5), (0.2, 0.2, 0.9)])
        await tb.random_transfer()


@cocotb.test(timeout_time=TIMEOUT_MS, timeout_unit="ms")
async def zero_length_and_last_bytes_of_the_address_space(dut):
    """A zero-length command does nothing; transfers ending at the last byte of the 64-bit
    space (2^64 - 1), from every offset."""
    tb = await Tb.start(dut, seed=3)
    await tb.zero_length_and_last_bytes_of_the_address_space()


@cocotb.test(timeout_time=TIMEOUT_MS, timeout_unit="ms")
async def read_errors_every_rresp(dut):
    """RRESP OKAY/EXOKAY leave err_o low; SLVERR/DECERR on any one burst set it, every beat
    is still delivered; the next command clears it."""
    tb = await Tb.start(dut, seed=4)
    for resp in (0, 1, 2, 3):
        for length in (16, 700, 5000):
            addr = rand_addr(tb.rng, length)
            bad = (addr & ~15) + 16 * tb.rng.randrange(0, (length + 15) // 16)
            bad_burst = {}

            def resp_of(a, bad=bad, resp=resp, bad_burst=bad_burst):
                # the burst that holds the chosen beat answers `resp`, the others OKAY
                hit = a <= bad < a + 256 and not bad_burst
                if hit:
                    bad_burst["at"] = a
                return resp if hit else 0
            tb.slave.resp_of = resp_of
            r = await tb.transfer(addr, length)
            assert r["err"] == (resp >= 2), (resp, r["err"])
        await tb.error_cleared_by_next_command()


@cocotb.test(timeout_time=TIMEOUT_MS, timeout_unit="ms")
async def reset_during_a_4gib_transfer(dut):
    """Commands of 4 GiB - 1 (and the largest lengths at every offset class) run for a while,
    then a reset: the engine is idle with AR and R quiet, and serves the next command."""
    tb = await Tb.start(dut, seed=5)
    for addr, length in LARGEST_TRANSFERS:
        tb.slave.ar_stall, tb.slave.r_stall, tb.out_stall = 0.1, 0.1, 0.1
        await tb.transfer(addr, length, stop_after=400)
        await tb.reset()
        await ReadOnly()
        d = tb.dut
        assert (d.busy_o.value, d.m_axi_arvalid.value, d.m_axi_rready.value, d.out_valid_o.value) == (0, 0, 0, 0)
        await RisingEdge(d.clk_i)
        await tb.transfer(rand_addr(tb.rng, 100), 100)
