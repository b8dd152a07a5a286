"""cocotb testbench for rtl/gcm/ghash.sv (run by tests/test_ghash.py).

Models: the bit-serial multiplication of NIST SP 800-38D (Algorithm 1) written here, and,
independent of it, `cryptography`'s AES-GCM: a tag is E(K, J0) ^ GHASH_H(A || C || lengths),
so GHASH chains computed by the unit must give AESGCM's tags (H and E(K, J0) from AES-ECB).
"""
from __future__ import annotations

import random
import struct

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, ReadOnly, RisingEdge
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from tb.engine_bench import is_icarus

R = 0xE1 << 120
ONE = 1 << 127                     # the field's 1: GCM bit 0 (x^0) is the vector's bit 127
ALL = (1 << 128) - 1


def gf_mult(x: int, y: int) -> int:
    """X * Y in GCM's GF(2^128), SP 800-38D Algorithm 1, one bit at a time."""
    z, v = 0, y
    for i in range(127, -1, -1):
        if x >> i & 1:
            z ^= v
        v = (v >> 1) ^ R if v & 1 else v >> 1
    return z


def ghash(h: int, blocks: list[int]) -> int:
    y = 0
    for b in blocks:
        y = gf_mult(y ^ b, h)
    return y


def blocks_of(data: bytes) -> list[int]:
    data += bytes(-len(data) % 16)
    return [int.from_bytes(data[i:i + 16], "big") for i in range(0, len(data), 16)]


class Ghash:
    def __init__(self, dut):
        self.dut = dut
        self.steps = 128 // int(dut.DIGIT.value)

    @classmethod
    async def start(cls, dut) -> "Ghash":
        cocotb.start_soon(Clock(dut.clk_i, 10, unit="ns").start())
        for s in ("h_load_i", "clear_i", "start_i", "wipe_i"):
            getattr(dut, s).value = 0
        dut.h_i.value = 0
        dut.blk_i.value = 0
        dut.rst_ni.value = 0
        await ClockCycles(dut.clk_i, 2)
        dut.rst_ni.value = 1
        await RisingEdge(dut.clk_i)
        return cls(dut)

    async def pulse(self, name: str, **values) -> None:
        for k, v in values.items():
            getattr(self.dut, k).value = v
        getattr(self.dut, name).value = 1
        await RisingEdge(self.dut.clk_i)
        getattr(self.dut, name).value = 0

    async def load(self, h: int) -> None:
        await self.pulse("h_load_i", h_i=h)

    async def block(self, b: int) -> int:
        """One block through the unit; checks busy, the done pulse and the clock count."""
        await self.pulse("start_i", blk_i=b)
        clocks = 0
        while True:
            await ReadOnly()
            if int(self.dut.done_o.value):
                break
            assert int(self.dut.busy_o.value) == 1, "idle without done"
            await RisingEdge(self.dut.clk_i)
            clocks += 1
            assert clocks <= self.steps + 1, "no done"
        assert clocks == self.steps, f"{clocks} clocks, contract says {self.steps}"
        assert int(self.dut.busy_o.value) == 0
        y = int(self.dut.y_o.value)
        await RisingEdge(self.dut.clk_i)
        return y

    async def run(self, h: int | None, blocks: list[int]) -> int:
        if h is not None:
            await self.load(h)
        else:
            await self.pulse("clear_i")
        y = 0
        for b in blocks:
            y = await self.block(b)
        return y


def count(verilator: int, icarus: int) -> int:
    return icarus if is_icarus() else verilator


@cocotb.test()
async def edge_operands(dut):
    """0, the field's 1, x^127 (vector bit 0), all ones, R and a few random values, every pair:
    products against Algorithm 1 (and 1 * H = H)."""
    g = await Ghash.start(dut)
    rng = random.Random(1)
    vals = [0, ONE, 1, ALL, R, R >> 7, ONE | 1] + [rng.getrandbits(128) for _ in range(3)]
    for h in vals:
        await g.load(h)
        for x in vals:
            await g.pulse("clear_i")
            assert await g.block(x) == gf_mult(x, h), (hex(x), hex(h))
        await g.pulse("clear_i")
        assert await g.block(ONE) == h


@cocotb.test()
async def random_products_and_chains(dut):
    """Random single products, then random GHASH chains of 1..12 blocks (accumulating in Y)."""
    g = await Ghash.start(dut)
    rng = random.Random(2)
    for _ in range(count(400, 60)):
        h, x = rng.getrandbits(128), rng.getrandbits(128)
        assert await g.run(h, [x]) == gf_mult(x, h)
    for _ in range(count(120, 20)):
        h = rng.getrandbits(128)
        bl = [rng.getrandbits(128) for _ in range(rng.randint(1, 12))]
        assert await g.run(h, bl) == ghash(h, bl)             # H loaded (Y cleared by the load)
        assert await g.run(None, bl) == ghash(h, bl)          # the same H, Y cleared by clear_i


@cocotb.test()
async def tags_of_aes_gcm(dut):
    """GHASH over AAD, ciphertext and the length block, XOR E(K, J0): the tag `cryptography`'s
    AESGCM gives, for 128/192/256-bit keys, 96-bit IVs, AAD and text of 0..80 bytes."""
    g = await Ghash.start(dut)
    rng = random.Random(3)
    for i in range(count(60, 12)):
        key = rng.randbytes(rng.choice((16, 24, 32)))
        iv = rng.randbytes(12)
        aad, pt = rng.randbytes(rng.randint(0, 80)), rng.randbytes(rng.randint(0, 80))
        sealed = AESGCM(key).encrypt(iv, pt, aad)
        ct, tag = sealed[:-16], sealed[-16:]
        ecb = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
        h = int.from_bytes(ecb.update(bytes(16)), "big")
        ek_j0 = int.from_bytes(ecb.update(iv + b"\0\0\0\1"), "big")
        lengths = int.from_bytes(struct.pack(">QQ", 8 * len(aad), 8 * len(ct)), "big")
        s = await g.run(h, blocks_of(aad) + blocks_of(ct) + [lengths])
        assert (s ^ ek_j0).to_bytes(16, "big") == tag, i


@cocotb.test()
async def wipe_clear_and_priorities(dut):
    """wipe zeroes H and Y, also in the middle of a product (busy falls, no done); clear zeroes Y
    only; a start while busy is ignored; h_load clears Y."""
    g = await Ghash.start(dut)
    rng = random.Random(4)
    h, x, x2 = (rng.getrandbits(128) for _ in range(3))
    assert await g.run(h, [x]) == gf_mult(x, h)
    await g.pulse("clear_i")
    await ReadOnly()
    assert int(dut.y_o.value) == 0 and int(dut.h_q.value) == h
    await RisingEdge(dut.clk_i)
    # a start while busy is ignored
    await g.pulse("start_i", blk_i=x)
    dut.start_i.value = 1
    dut.blk_i.value = x2
    await RisingEdge(dut.clk_i)
    dut.start_i.value = 0
    while int(dut.busy_o.value):
        await RisingEdge(dut.clk_i)
    await ReadOnly()
    assert int(dut.y_o.value) == gf_mult(x, h)
    await RisingEdge(dut.clk_i)
    # wipe in the middle of a product
    await g.pulse("start_i", blk_i=x)
    await ClockCycles(dut.clk_i, max(1, g.steps // 2))
    await g.pulse("wipe_i")
    await ReadOnly()
    for sig in ("h_q", "y_q", "x_q", "v_q"):
        assert int(getattr(dut, sig).value) == 0, sig
    assert int(dut.busy_o.value) == 0 and int(dut.done_o.value) == 0
    await RisingEdge(dut.clk_i)
    # h_load clears Y
    assert await g.run(h, [x]) == gf_mult(x, h)
    await g.load(x2)
    await ReadOnly()
    assert int(dut.y_o.value) == 0
