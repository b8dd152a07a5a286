"""cocotb testbench for rtl/sha/sha256_engine.sv (run by tests/test_sha256_engine.py).

Golden models: hashlib / `cryptography` (digests, HMAC) and bridge.sha2_state (chaining
states). Vectors: NIST CAVP SHA-224/256 byte-oriented Short/Long messages, RFC 4231 HMAC.
"""
from __future__ import annotations

import hashlib
import json
import os
import random

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, ReadOnly, RisingEdge
from cryptography.hazmat.primitives import hashes, hmac

from bridge.sha2_state import BLOCK, IV, compress, hmac_states, pad, state_bytes
from tb.stream import Sink, Source, run_streams
from vectors import hmac_rfc4231_records, sha2_cavp_records

INIT = {256: 0, 224: 1, "state": 2, "invalid": 3}
FULL_ICARUS = os.environ.get("VCRYPTO_FULL_VECTORS", "0") == "1"


def is_icarus() -> bool:
    return "icarus" in cocotb.SIM_NAME.lower()


class ShaTb:
    def __init__(self, dut, seed: int = 1, stall_in: float = 0.0, stall_out: float = 0.0):
        self.dut = dut
        self.rng = random.Random(seed)
        self.clock = Clock(dut.clk_i, 10, unit="ns").start()
        self.cfg = Source(dut, "cfg", {"init": "cfg_init_i", "state": "cfg_state_i"}, self.rng)
        self.inp = Source(dut, "in", {"data": "in_data_i", "last": "in_last_i"}, self.rng, stall_in)
        self.out = Sink(dut, "state", {"state": "state_o", "err": "state_err_o"}, self.rng, stall_out)
        self.channels = [self.cfg, self.inp, self.out]

    async def reset(self, cycles: int = 3) -> None:
        self.dut.rst_ni.value = 0
        await ClockCycles(self.dut.clk_i, cycles)
        self.dut.rst_ni.value = 1

    def queue_message(self, init, padded: bytes, state: bytes = bytes(32), last: bool = True) -> None:
        """Queue one cfg (init = 224/256/'state'/'invalid') and the padded message's beats."""
        if init is not None:
            self.cfg.send({"init": INIT[init], "state": int.from_bytes(state, "big")})
        self.queue_beats(padded, last)

    def queue_beats(self, padded: bytes, last: bool = True) -> None:
        assert len(padded) % 16 == 0
        n = len(padded) // 16
        for i in range(n):
            self.inp.send({"data": int.from_bytes(padded[16 * i:16 * i + 16], "big"),
                           "last": int(last and i == n - 1)})

    async def collect(self, count: int, max_cycles: int) -> list[tuple[bytes, int]]:
        """Run the streams in order: a cfg is offered only once the beats before it are in."""
        start = len(self.out.items)
        await run_streams(self.dut.clk_i, self.channels,
                          lambda: len(self.out.items) - start >= count, max_cycles)
        return [(it["state"].to_bytes(32, "big"), it["err"]) for it in self.out.items[start:]]

    async def state_after(self, init, padded: bytes, state: bytes = bytes(32), last=True) -> bytes:
        self.queue_message(init, padded, state, last)
        # cfg first (it must not overtake/undercut the beats of this message)
        await run_streams(self.dut.clk_i, [self.cfg], lambda: self.cfg.idle, 200)
        [(st, err)] = await self.collect(1, 400 + 90 * (len(padded) // BLOCK))
        assert err == 0
        return st

    async def digest(self, bits: int, msg: bytes) -> bytes:
        return (await self.state_after(bits, pad(msg)))[: bits // 8]


async def start(dut, **kw) -> ShaTb:
    tb = ShaTb(dut, **kw)
    for name in ("cfg_valid_i", "in_valid_i", "state_ready_i"):
        getattr(dut, name).value = 0
    await tb.reset()
    return tb


@cocotb.test()
async def first_operation_after_reset(dut):
    tb = ShaTb(dut)
    dut.rst_ni.value = 0
    for name in ("cfg_valid_i", "in_valid_i", "state_ready_i"):
        getattr(dut, name).value = 0
    await ClockCycles(dut.clk_i, 2)
    dut.rst_ni.value = 1
    assert await tb.digest(256, b"abc") == hashlib.sha256(b"abc").digest()


async def _cavp(dut, bits: int, kind: str, subsample: int) -> None:
    tb = await start(dut)
    n = 0
    for i, (msg, md) in enumerate(sha2_cavp_records(bits, kind)):
        if i % subsample:
            continue
        assert await tb.digest(bits, msg) == md, f"SHA{bits}{kind}Msg record {i} (len {len(msg)})"
        n += 1
    dut._log.info("SHA-%d %sMsg: %d vectors passed", bits, kind, n)
    assert n > 0


def _sub(icarus_every: int) -> int:
    return icarus_every if is_icarus() and not FULL_ICARUS else 1


@cocotb.test()
async def cavp_sha256_short(dut):
    await _cavp(dut, 256, "Short", _sub(2))


@cocotb.test()
async def cavp_sha256_long(dut):
    await _cavp(dut, 256, "Long", _sub(4))


@cocotb.test()
async def cavp_sha224_short(dut):
    await _cavp(dut, 224, "Short", _sub(2))


@cocotb.test()
async def cavp_sha224_long(dut):
    await _cavp(dut, 224, "Long", _sub(4))


async def _random_diff(dut, seed: int, count: int, stall_in: float, stall_out: float) -> None:
    tb = await start(dut, seed=seed, stall_in=stall_in, stall_out=stall_out)
    rng = random.Random(seed)
    for i in range(count):
        bits = rng.choice([224, 256])
        msg = rng.randbytes(rng.choice([rng.randrange(0, 130), rng.randrange(0, 1200)]))
        assert await tb.digest(bits, msg) == hashlib.new(f"sha{bits}", msg).digest(), f"case {i}"


@cocotb.test()
async def random_differential(dut):
    await _random_diff(dut, 21, 40 if is_icarus() else 150, 0.0, 0.0)


@cocotb.test()
async def random_differential_with_stalls(dut):
    await _random_diff(dut, 22, 25 if is_icarus() else 100, 0.5, 0.5)
    await _random_diff(dut, 23, 10 if is_icarus() else 30, 0.9, 0.0)


async def _hmac_hw(tb: ShaTb, bits: int, key: bytes, msg: bytes) -> bytes:
    """HMAC with software-precomputed inner/outer states continued in the RTL."""
    inner, outer = hmac_states(key, bits)
    ist = await tb.state_after("state", pad(msg, prefix_len=BLOCK), inner)
    ost = await tb.state_after("state", pad(ist[: bits // 8], prefix_len=BLOCK), outer)
    return ost[: bits // 8]


@cocotb.test()
async def hmac_via_precomputed_states(dut):
    tb = await start(dut, seed=31)
    for bits in (256, 224):
        for key, msg, mac in hmac_rfc4231_records(bits):
            assert await _hmac_hw(tb, bits, key, msg) == mac, f"RFC 4231 HMAC-SHA-{bits}"
    rng = random.Random(31)
    for i in range(20 if is_icarus() else 80):
        bits = rng.choice([224, 256])
        key = rng.randbytes(rng.choice([0, 16, 32, 64, 65, 100]))
        msg = rng.randbytes(rng.randrange(0, 700))
        ref = hmac.HMAC(key, hashes.SHA256() if bits == 256 else hashes.SHA224())
        ref.update(msg)
        assert await _hmac_hw(tb, bits, key, msg) == ref.finalize(), f"random HMAC case {i}"


@cocotb.test()
async def state_readout_after_unpadded_blocks(dut):
    """The engine stops after any block and reports the raw chaining state: here it computes
    the HMAC ipad state itself, which must equal the software precomputation."""
    tb = await start(dut)
    rng = random.Random(41)
    for bits in (256, 224):
        key = rng.randbytes(32)
        k0 = key.ljust(BLOCK, b"\0")
        got = await tb.state_after(bits, bytes(b ^ 0x36 for b in k0))
        assert got == hmac_states(key, bits)[0]
        two = rng.randbytes(2 * BLOCK)
        want = state_bytes(compress(compress(IV[bits], two[:BLOCK]), two[BLOCK:]))
        assert await tb.state_after(bits, two) == want


@cocotb.test()
async def sustained_throughput(dut):
    """Marginal clocks per block over long messages (loading overlapped): <= 65."""
    tb = await start(dut)
    rng = random.Random(51)
    short_n, long_n = 4, (20 if is_icarus() else 68)
    records = []
    for bits in (224, 256):
        cycles = {}
        for n in (short_n, long_n):
            msg = rng.randbytes(n * BLOCK - 9)         # pads to exactly n blocks
            padded = pad(msg)
            assert len(padded) == n * BLOCK
            tb.queue_message(bits, padded)
            await run_streams(dut.clk_i, [tb.cfg], lambda: tb.cfg.idle, 100)
            tb.inp.fire_cycles.clear()
            tb.out.fire_cycles.clear()
            [(st, err)] = await tb.collect(1, 100 * n + 200)
            assert st[: bits // 8] == hashlib.new(f"sha{bits}", msg).digest()
            cycles[n] = tb.out.fire_cycles[0] - tb.inp.fire_cycles[0]
        cpb = (cycles[long_n] - cycles[short_n]) / (long_n - short_n)
        dut._log.info("SHA-%d: %.2f clocks/block sustained (%d blocks in %d clocks incl. latency)",
                      bits, cpb, long_n, cycles[long_n])
        records.append({"engine": "sha", "mode": f"sha{bits}", "key_bits": 0, "direction": "hash",
                        "cycles_per_block": cpb, "blocks": long_n,
                        "message_cycles": cycles[long_n]})
        assert cpb <= 65, f"SHA-{bits}: {cpb} clocks/block"
    out_path = os.environ.get("VCRYPTO_BENCH_OUT")
    if out_path:
        with open(out_path, "w") as f:
            json.dump(records, f, indent=1)


@cocotb.test()
async def reset_in_the_middle_of_an_operation(dut):
    tb = await start(dut)
    msg = bytes(range(200)) * 3
    tb.queue_message(256, pad(msg))
    n = 0

    def done():
        return n >= 100

    def tick(c):
        nonlocal n
        n = c
    await run_streams(dut.clk_i, tb.channels, done, 1000, on_cycle=tick)
    assert not tb.out.items
    tb.inp.queue.clear()
    await tb.reset(2)
    await ReadOnly()
    assert dut.state_valid_o.value == 0 and dut.idle_o.value == 1
    await RisingEdge(dut.clk_i)
    assert await tb.digest(256, msg) == hashlib.sha256(msg).digest()


@cocotb.test()
async def bad_input_defined_responses(dut):
    tb = await start(dut)
    zero = bytes(32)
    # 1. a whole message with no cfg: dropped, one error beat for its last beat
    tb.queue_beats(pad(b"no cfg" * 20))
    assert await tb.collect(1, 1000) == [(zero, 1)]
    # 2. invalid init select: cfg_err, nothing opens; the message after it is answered as error
    tb.cfg.send({"init": INIT["invalid"], "state": 0})
    await run_streams(dut.clk_i, [tb.cfg], lambda: tb.cfg.idle, 100)
    await ReadOnly()
    assert dut.cfg_err_o.value == 1
    await RisingEdge(dut.clk_i)
    tb.queue_beats(pad(b"x"))
    assert await tb.collect(1, 500) == [(zero, 1)]
    # 3. in_last on beat 2 of a block: partial block dropped, message closed with an error
    tb.cfg.send({"init": INIT[256], "state": 0})
    await run_streams(dut.clk_i, [tb.cfg], lambda: tb.cfg.idle, 100)
    await ReadOnly()
    assert dut.cfg_err_o.value == 0
    await RisingEdge(dut.clk_i)
    tb.inp.send({"data": 1, "last": 0})
    tb.inp.send({"data": 2, "last": 1})
    assert await tb.collect(1, 200) == [(zero, 1)]
    # 4. a new cfg in the middle of a message: the old one ends with an error beat, the new
    #    message is hashed correctly
    tb.cfg.send({"init": INIT[256], "state": 0})
    await run_streams(dut.clk_i, [tb.cfg], lambda: tb.cfg.idle, 100)
    tb.queue_beats(pad(bytes(100))[:BLOCK], last=False)      # first block only
    await run_streams(dut.clk_i, tb.channels, lambda: tb.inp.idle, 100)
    tb.queue_message(224, pad(b"abc"))
    got = await tb.collect(2, 2000)
    assert got[0] == (zero, 1)
    assert got[1][1] == 0 and got[1][0][:28] == hashlib.sha224(b"abc").digest()
    # 5. still healthy
    assert await tb.digest(256, b"abc") == hashlib.sha256(b"abc").digest()
