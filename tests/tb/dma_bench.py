"""What the DMA engine testbenches (vcrypto_dma_rd_tb, vcrypto_dma_wr_tb) share: the burst
contract both engines keep on their address channel, the command port, clock and reset, and
the addresses and lengths the tests use.
"""
from __future__ import annotations

import random

from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, RisingEdge

from tb.stream import to_int

TOP = 1 << 64
# a test that has not finished after this much simulated time has hung (a lost handshake, a
# clock that stopped): it fails instead of running forever; the longest takes about 1.7 ms
TIMEOUT_MS = 50


def burst_rule(addr: int, beats_left: int) -> int:
    """The burst length the block must use: 16 beats, cut at 4 KiB and at the end."""
    return min(16, (4096 - (addr & 0xFFF)) // 16, beats_left)


class BurstTiling:
    """Checks each burst announced on an address channel (AR or AW): 16-byte INCR beats, the
    length burst_rule gives, tiling the command's 16-byte-aligned range in order."""

    def reset_tiling(self):
        self.next_addr = None
        self.beats_left = 0

    def expect(self, addr: int, length: int):
        """A command was taken: the bursts must tile [addr & ~15, align16(addr+len))."""
        self.next_addr = addr & ~15
        self.beats_left = ((addr & 15) + length + 15) // 16 if length else 0

    def take_burst(self, dut, ch: str) -> tuple[int, int]:
        """The burst on channel `ch` ("ar"/"aw") has just been taken: check it, return
        (address, beats)."""
        name = ch.upper()

        def sig(field: str) -> int:
            return to_int(getattr(dut, f"m_axi_{ch}{field}").value)
        addr, n = sig("addr"), sig("len") + 1
        assert sig("size") == 4 and sig("burst") == 1
        assert addr == self.next_addr, f"{name} at {addr:#x}, expected {self.next_addr:#x}"
        assert n == burst_rule(addr, self.beats_left), f"{name} {addr:#x} len {n}, left {self.beats_left}"
        self.next_addr = (addr + 16 * n) % TOP
        self.beats_left -= n
        return addr, n


class DmaTb:
    """Clock, reset and the command port of one DMA engine; the subclass adds its AXI slave
    (self.slave) and its data stream."""

    # held at 0 from the start / during reset
    IDLE_INPUTS: tuple[str, ...] = ("cmd_valid_i", "cmd_addr_i", "cmd_len_i")
    IDLE_IN_RESET: tuple[str, ...] = ("cmd_valid_i",)

    def __init__(self, dut, seed=1):
        self.dut = dut
        self.rng = random.Random(seed)
        self.clock = Clock(dut.clk_i, 10, unit="ns").start()

    def idle_inputs(self):
        for s in self.IDLE_INPUTS:
            getattr(self.dut, s).value = 0

    @classmethod
    async def start(cls, dut, seed=1):
        tb = cls(dut, seed)
        await tb.reset()
        return tb

    async def reset(self, cycles=3):
        self.dut.rst_ni.value = 0
        self.slave.reset()
        for s in self.IDLE_IN_RESET:
            getattr(self.dut, s).value = 0
        await ClockCycles(self.dut.clk_i, cycles)
        self.dut.rst_ni.value = 1
        await RisingEdge(self.dut.clk_i)

    def drive_cmd(self, addr: int, length: int, taken: bool):
        """Offer the command until it is taken; after that the command lines carry noise."""
        d = self.dut
        d.cmd_valid_i.value = int(not taken)
        d.cmd_addr_i.value = addr if not taken else self.rng.getrandbits(64)
        d.cmd_len_i.value = length if not taken else self.rng.getrandbits(32)

    async def random_transfer(self):
        """One command of a random length to 9 KiB anywhere in the 64-bit space (room for long
        stalls)."""
        length = rand_length(self.rng)
        await self.transfer(rand_addr(self.rng, length), length, max_cycles=100_000)

    async def zero_length_and_last_bytes_of_the_address_space(self):
        """Zero-length commands make no burst; transfers ending at the last byte of the 64-bit
        space (2^64 - 1), from every offset."""
        for addr in ZERO_LENGTH_ADDRS:
            await self.transfer(addr, 0)
            assert not self.slave.bursts
        for addr, length in last_bytes_of_the_address_space_cases():
            await self.transfer(addr, length)

    async def error_cleared_by_next_command(self):
        """After a failing transfer: a good one reports no error."""
        self.slave.resp_of = lambda a: 0
        r = await self.transfer(rand_addr(self.rng, 40), 40)
        assert r["err"] == 0


def rand_addr(rng: random.Random, length: int) -> int:
    """A random address with [addr, addr+len) inside the 64-bit space, often near a 4 KiB
    boundary, sometimes at either end of the space."""
    r = rng.random()
    if r < 0.1:
        return rng.randrange(0, 64)
    if r < 0.2:
        return TOP - length - rng.randrange(0, 64) if length + 64 < TOP else 0
    base = rng.randrange(0, TOP - length - 4096)
    if r < 0.5:
        base = (base & ~0xFFF) + 4096 - rng.randrange(0, 64)
    return base


def rand_length(rng: random.Random) -> int:
    """Short, medium or up to 9 KiB."""
    return rng.choice([rng.randrange(1, 64), rng.randrange(1, 1024), rng.randrange(1, 9 * 1024)])


def every_offset_and_short_length_cases():
    """Every start offset 0..15 with lengths 1..48 and a few around 4 KiB."""
    for off in range(16):
        for length in list(range(1, 49)) + [255, 256, 257, 4095, 4096, 4097]:
            yield 0x1000 * (off + 1) + off - 16 * (length % 3), length


ZERO_LENGTH_ADDRS = (0, 5, TOP - 1, TOP - 16)


def last_bytes_of_the_address_space_cases():
    """Transfers ending at the last byte of the 64-bit space (2^64 - 1), from every offset."""
    for off in range(16):
        for length in (1, 16 - off, 17, 300):
            yield TOP - length, length


# 4 GiB - 1 and the largest lengths at other offsets, for the reset-in-a-transfer tests
LARGEST_TRANSFERS = [(0, 0xFFFF_FFFF), (0xF, 0xFFFF_FFF0), (0x8000_0000_0000_0007, 0xFFFF_FFFF),
                     (TOP - 0x1_0000_0000, 0xFFFF_FFFF), (0x0123_4567_89AB_CDE1, 0xFFFF_FFFE)]
