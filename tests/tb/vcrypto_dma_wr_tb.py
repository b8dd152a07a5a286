"""cocotb testbench for rtl/top/vcrypto_dma_wr.sv alone (run by tests/test_vcrypto_dma.py).

The write DMA as the accelerator top cannot drive it: any 64-bit address (up to the last byte
of the address space), any length up to 4 GiB - 1, every BRESP value, B responses held back
over hundreds of bursts, random AW/W/B/input stalls, and a reset in the middle of a transfer.
A Python AXI4 slave checks every AW and W beat against the block's contract (16-byte INCR
beats, at most 16 beats, no 4 KiB crossing, bursts tiling the command's range in order, W
only inside an announced burst, WLAST on its last beat, strobes exactly the bytes of
[addr, addr+len): the properties rtl/formal/dma_wr proves) and stores the strobed bytes; the
memory must then hold exactly the input stream's bytes at [addr, addr+len) and nothing else.
These tests give the block's own coverage target (`make coverage COVERAGE_TOPS=vcrypto_dma_wr`).
"""
from __future__ import annotations

import random

import cocotb
from cocotb.triggers import ReadOnly, RisingEdge

from tb.dma_bench import (LARGEST_TRANSFERS, TIMEOUT_MS, TOP, BurstTiling, DmaTb,
                          every_offset_and_short_length_cases, rand_addr)
from tb.stream import to_int


def src_byte(seed: int, i: int) -> int:
    """Byte i of the input stream of a transfer (no storage: 4 GiB streams are fine)."""
    return ((i + seed) * 0x9E3779B97F4A7C15 >> 40 ^ i) & 0xFF


class WriteSlave(BurstTiling):
    """AXI4 write slave: checks AW and W, stores strobed bytes, answers B per burst."""

    def __init__(self, dut, rng: random.Random):
        self.dut, self.rng = dut, rng
        self.aw_stall = self.w_stall = self.b_stall = 0.0
        self.hold_b = False                    # withhold every B response while set
        self.resp_of = lambda addr: 0          # bresp of the burst at addr
        self.reset()

    def reset(self):
        self.mem: dict[int, int] = {}
        self.w_bursts: list[list[int]] = []     # [addr, beats, beats sent] announced, W not done
        self.b_owed: list[int] = []             # bresp of each burst whose last W beat went out
        self.bursts = 0
        self.max_b_owed = 0
        self.reset_tiling()
        self.lo = self.hi = 0
        self._awready = self._wready = self._bvalid = False
        for s in ("m_axi_awready", "m_axi_wready", "m_axi_bvalid"):
            getattr(self.dut, s).value = 0

    def expect(self, addr: int, length: int):
        super().expect(addr, length)
        self.lo, self.hi = addr, addr + length

    def drive(self):
        d = self.dut
        self._awready = self.rng.random() >= self.aw_stall
        self._wready = self.rng.random() >= self.w_stall
        d.m_axi_awready.value = int(self._awready)
        d.m_axi_wready.value = int(self._wready)
        if not self._bvalid:                    # once offered, a response stays until taken
            self._bvalid = bool(self.b_owed) and not self.hold_b and self.rng.random() >= self.b_stall
        d.m_axi_bvalid.value = int(self._bvalid)
        d.m_axi_bresp.value = self.b_owed[0] if self._bvalid else self.rng.getrandbits(2)

    def sample(self):
        d = self.dut
        if self._awready and d.m_axi_awvalid.value == 1:
            addr, n = self.take_burst(d, "aw")
            self.w_bursts.append([addr, n, 0])
            self.bursts += 1
        if self._wready and d.m_axi_wvalid.value == 1:
            assert self.w_bursts, "W beat before its burst's AW"
            b = self.w_bursts[0]
            beat_addr = b[0] + 16 * b[2]
            b[2] += 1
            assert to_int(d.m_axi_wlast.value) == int(b[2] == b[1]), "WLAST not on the burst's last beat"
            data, strb = to_int(d.m_axi_wdata.value), to_int(d.m_axi_wstrb.value)
            for i in range(16):
                inside = self.lo <= beat_addr + i < self.hi
                assert bool(strb >> i & 1) == inside, f"strobe of byte {beat_addr + i:#x}: {strb:#06x}"
                if inside:
                    self.mem[beat_addr + i] = (data >> (8 * i)) & 0xFF
            if b[2] == b[1]:
                self.w_bursts.pop(0)
                self.b_owed.append(self.resp_of(b[0]))
                self.max_b_owed = max(self.max_b_owed, len(self.b_owed))
        if self._bvalid and d.m_axi_bready.value == 1:
            self.b_owed.pop(0)
            self._bvalid = False


class Tb(DmaTb):
    IDLE_INPUTS = DmaTb.IDLE_INPUTS + ("in_valid_i", "in_data_i")
    IDLE_IN_RESET = DmaTb.IDLE_IN_RESET + ("in_valid_i",)

    def __init__(self, dut, seed=1):
        super().__init__(dut, seed)
        self.slave = WriteSlave(dut, self.rng)
        self.in_stall = 0.0
        self.release_b_after_w = False         # hold_b until the last W beat, then answer all
        self.idle_inputs()

    async def transfer(self, addr: int, length: int, max_cycles=None, stop_after=None) -> dict:
        d = self.dut
        assert 0 <= addr and addr + length <= TOP
        seed = self.rng.getrandbits(32)
        n_in = (length + 15) // 16
        sent, offered, taken_at, cycles = 0, False, None, 0
        max_cycles = max_cycles or 200 + 8 * n_in
        self.slave.mem = {}
        while True:
            await RisingEdge(d.clk_i)
            cycles += 1
            assert cycles < max_cycles, f"transfer {addr:#x}+{length} hung"
            if stop_after is not None and cycles > stop_after:
                return {"cycles": cycles}
            self.drive_cmd(addr, length, taken_at is not None)
            if not offered:                     # a beat once offered stays until taken
                offered = taken_at is not None and sent < n_in and self.rng.random() >= self.in_stall
            d.in_valid_i.value = int(offered)
            if offered:
                lo = 16 * sent
                d.in_data_i.value = int.from_bytes(
                    bytes(src_byte(seed, lo + i) if lo + i < length else 0 for i in range(16)), "little")
            else:
                d.in_data_i.value = self.rng.getrandbits(128)
            if self.release_b_after_w:
                self.slave.hold_b = taken_at is None or sent < n_in or bool(self.slave.w_bursts)
            self.slave.drive()
            await ReadOnly()
            if taken_at is not None and d.busy_o.value == 0:
                break
            if taken_at is None and d.cmd_ready_o.value == 1:
                taken_at = cycles
                self.slave.expect(addr, length)
            if offered and d.in_ready_o.value == 1:
                sent += 1
                offered = False
            self.slave.sample()
        await RisingEdge(d.clk_i)
        d.cmd_valid_i.value = 0
        d.in_valid_i.value = 0
        self.slave.drive()
        assert sent == n_in, f"{sent} input beats taken of {n_in}"
        assert self.slave.beats_left == 0 and not self.slave.w_bursts and not self.slave.b_owed
        want = {addr + i: src_byte(seed, i) for i in range(length)}
        if self.slave.mem != want:
            bad = sorted(set(self.slave.mem) ^ set(want)) or \
                [a for a in want if self.slave.mem[a] != want[a]]
            raise AssertionError(f"memory after {addr:#x}+{length} differs at {len(bad)} bytes, "
                                 f"first {bad[0]:#x}")
        return {"cycles": cycles, "err": to_int(d.err_o.value)}


@cocotb.test(timeout_time=TIMEOUT_MS, timeout_unit="ms")
async def every_offset_and_short_length(dut):
    """Every start offset 0..15 with lengths 1..48 and a few around 4 KiB, no stalls."""
    tb = await Tb.start(dut)
    for addr, length in every_offset_and_short_length_cases():
        await tb.transfer(addr, length)


@cocotb.test(timeout_time=TIMEOUT_MS, timeout_unit="ms")
async def random_transfers_with_stalls(dut):
    """300 random commands (addresses over the whole 64-bit space, lengths to 9 KiB) with
    random AW, W, B and input stalls (a slow W side fills the 4-entry burst-length FIFO)."""
    tb = await Tb.start(dut, seed=2)
    rng, s = tb.rng, tb.slave
    for _ in range(300):
        s.aw_stall, s.w_stall, s.b_stall, tb.in_stall = rng.choice(
            [(0, 0, 0, 0), (0.5, 0.3, 0.3, 0.3), (0, 0.9, 0.1, 0), (0.9, 0.1, 0.1, 0.1),
             (0.1, 0.5, 0.9, 0.2), (0.2, 0.2, 0.2, 0.9)])
        await tb.random_transfer()


@cocotb.test(timeout_time=TIMEOUT_MS, timeout_unit="ms")
async def zero_length_and_last_bytes_of_the_address_space(dut):
    """A zero-length command writes nothing; transfers ending at the last byte of the 64-bit
    space (2^64 - 1), from every offset."""
    tb = await Tb.start(dut, seed=3)
    await tb.zero_length_and_last_bytes_of_the_address_space()


@cocotb.test(timeout_time=TIMEOUT_MS, timeout_unit="ms")
async def responses_held_back_over_300_bursts(dut):
    """The slave answers no B until every W beat of a 76 KiB transfer is out (304 bursts
    awaiting B): the engine keeps writing and is done only after the last B."""
    tb = await Tb.start(dut, seed=4)
    tb.release_b_after_w = True
    for addr in (0x4000_0000_0000_0000 + 0x10, 0x0000_7FFF_FFFF_0003):
        await tb.transfer(addr, 76 * 1024, max_cycles=200_000)
        assert tb.slave.max_b_owed >= 300, tb.slave.max_b_owed
    tb.release_b_after_w = False


@cocotb.test(timeout_time=TIMEOUT_MS, timeout_unit="ms")
async def write_errors_every_bresp(dut):
    """BRESP OKAY/EXOKAY leave err_o low; SLVERR/DECERR on any one burst set it; the transfer
    still runs to its end; the next command clears it."""
    tb = await Tb.start(dut, seed=5)
    for resp in (0, 1, 2, 3):
        for length in (16, 700, 5000):
            addr = rand_addr(tb.rng, length)
            pick = tb.rng.randrange(0, (length + 15) // 16 // 16 + 1)
            seen = []

            def resp_of(a, pick=pick, resp=resp, seen=seen):
                seen.append(a)
                return resp if len(seen) - 1 == pick else 0
            tb.slave.resp_of = resp_of
            r = await tb.transfer(addr, length)
            assert r["err"] == (resp >= 2 and pick < len(seen)), (resp, r["err"])
        await tb.error_cleared_by_next_command()


@cocotb.test(timeout_time=TIMEOUT_MS, timeout_unit="ms")
async def reset_during_a_4gib_transfer(dut):
    """Commands of 4 GiB - 1 (and the largest lengths at other offsets) run for a while, then
    a reset: the engine is idle with AW, W and B quiet, and serves the next command."""
    tb = await Tb.start(dut, seed=6)
    for addr, length in LARGEST_TRANSFERS:
        s = tb.slave
        s.aw_stall, s.w_stall, s.b_stall, tb.in_stall = 0.1, 0.1, 0.1, 0.1
        await tb.transfer(addr, length, stop_after=400)
        await tb.reset()
        await ReadOnly()
        d = tb.dut
        assert (d.busy_o.value, d.m_axi_awvalid.value, d.m_axi_wvalid.value, d.m_axi_bready.value,
                d.in_ready_o.value) == (0, 0, 0, 0, 0)
        await RisingEdge(d.clk_i)
        await tb.transfer(rand_addr(tb.rng, 100), 100)
