"""cocotb testbench for rtl/sha/sha512_engine.sv (run by tests/test_sha512_engine.py).

Golden models: hashlib / `cryptography` (digests, HMAC) and tests/sha512_state.py (chaining
states, HMAC inner/outer states). Vectors: NIST CAVP SHA-384/512 (and SHA-512/224, /256)
byte-oriented Short/Long messages and Monte Carlo checkpoints, RFC 4231 HMAC-SHA-384/512.
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

from sha512_state import BLOCK, DIGEST, IV, compress, hmac_states, pad, state_bytes
from tb.stream import Sink, Source, run_streams
from vectors import hmac_rfc4231_records, sha2_cavp_records, sha2_monte_records

INIT = {"sha512": 0, "sha384": 1, "state": 2, "invalid": 3, "sha512_224": 4, "sha512_256": 5}
CAVP = {"sha512": 512, "sha384": 384, "sha512_224": "512_224", "sha512_256": "512_256"}
CRYPTO = {"sha512": hashes.SHA512, "sha384": hashes.SHA384}
NAMES = list(DIGEST)
FULL_ICARUS = os.environ.get("VCRYPTO_FULL_VECTORS", "0") == "1"
ZERO = bytes(64)


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

    def queue_cfg(self, init, state: bytes = ZERO) -> None:
        code = init if isinstance(init, int) else INIT[init]
        self.cfg.send({"init": code, "state": int.from_bytes(state, "big")})

    def queue_beats(self, padded: bytes, last: bool = True) -> None:
        assert len(padded) % 16 == 0
        n = len(padded) // 16
        for i in range(n):
            self.inp.send({"data": int.from_bytes(padded[16 * i:16 * i + 16], "big"),
                           "last": int(last and i == n - 1)})

    async def cfg_now(self, init, state: bytes = ZERO) -> None:
        self.queue_cfg(init, state)
        await run_streams(self.dut.clk_i, [self.cfg], lambda: self.cfg.idle, 400)

    async def collect(self, count: int, max_cycles: int) -> list[tuple[bytes, int]]:
        start = len(self.out.items)
        await run_streams(self.dut.clk_i, self.channels,
                          lambda: len(self.out.items) - start >= count, max_cycles)
        return [(it["state"].to_bytes(64, "big"), it["err"]) for it in self.out.items[start:]]

    async def state_after(self, init, padded: bytes, state: bytes = ZERO, last=True) -> bytes:
        await self.cfg_now(init, state)       # the cfg must not overtake this message's beats
        self.queue_beats(padded, last)
        [(st, err)] = await self.collect(1, 400 + 110 * (len(padded) // BLOCK))
        assert err == 0
        return st

    async def digest(self, name: str, msg: bytes) -> bytes:
        return (await self.state_after(name, pad(msg)))[:DIGEST[name]]


async def start(dut, **kw) -> ShaTb:
    tb = ShaTb(dut, **kw)
    for name in ("cfg_valid_i", "in_valid_i", "state_ready_i"):
        getattr(dut, name).value = 0
    await tb.reset()
    return tb


def _sub(icarus_every: int, verilator_every: int = 1) -> int:
    return icarus_every if is_icarus() and not FULL_ICARUS else verilator_every


@cocotb.test()
async def first_operation_after_reset(dut):
    tb = ShaTb(dut)
    dut.rst_ni.value = 0
    for name in ("cfg_valid_i", "in_valid_i", "state_ready_i"):
        getattr(dut, name).value = 0
    await ClockCycles(dut.clk_i, 2)
    dut.rst_ni.value = 1
    assert await tb.digest("sha512", b"abc") == hashlib.sha512(b"abc").digest()


async def _cavp(dut, name: str, kind: str, subsample: int) -> None:
    tb = await start(dut)
    n = 0
    for i, (msg, md) in enumerate(sha2_cavp_records(CAVP[name], kind)):
        if i % subsample:
            continue
        assert await tb.digest(name, msg) == md, f"{name} {kind}Msg record {i} (len {len(msg)})"
        n += 1
    dut._log.info("%s %sMsg: %d vectors passed", name, kind, n)
    assert n > 0


@cocotb.test()
async def cavp_sha512_short(dut):
    await _cavp(dut, "sha512", "Short", _sub(2))


@cocotb.test()
async def cavp_sha512_long(dut):
    await _cavp(dut, "sha512", "Long", _sub(4))


@cocotb.test()
async def cavp_sha384_short(dut):
    await _cavp(dut, "sha384", "Short", _sub(2))


@cocotb.test()
async def cavp_sha384_long(dut):
    await _cavp(dut, "sha384", "Long", _sub(4))


@cocotb.test()
async def cavp_sha512_t_short_and_long(dut):
    """SHA-512/224 and SHA-512/256: all ShortMsg records, every 4th LongMsg record."""
    for name in ("sha512_224", "sha512_256"):
        await _cavp(dut, name, "Short", _sub(4))
        await _cavp(dut, name, "Long", _sub(16, 4))


async def _monte(dut, name: str, checkpoints: int) -> None:
    """SHAVS Monte Carlo: MD[i] = H(MD[i-3] || MD[i-2] || MD[i-1]), 1000 per checkpoint."""
    tb = await start(dut)
    seed, mds = sha2_monte_records(CAVP[name])
    for j in range(checkpoints):
        md = [seed] * 3
        for _ in range(1000):
            md = [md[1], md[2], await tb.digest(name, md[0] + md[1] + md[2])]
        assert md[2] == mds[j], f"{name} Monte checkpoint {j}"
        seed = md[2]
    dut._log.info("%s Monte: %d of %d checkpoints (%d hashes) passed", name, checkpoints,
                  len(mds), 1000 * checkpoints)


@cocotb.test()
async def cavp_monte_sha512(dut):
    await _monte(dut, "sha512", 1 if is_icarus() and not FULL_ICARUS else 3)


@cocotb.test()
async def cavp_monte_sha384(dut):
    await _monte(dut, "sha384", 1 if is_icarus() and not FULL_ICARUS else 3)


async def _random_diff(dut, seed: int, count: int, stall_in: float, stall_out: float) -> None:
    tb = await start(dut, seed=seed, stall_in=stall_in, stall_out=stall_out)
    rng = random.Random(seed)
    for i in range(count):
        name = rng.choice(NAMES)
        msg = rng.randbytes(rng.choice([rng.randrange(0, 260), rng.randrange(0, 2000)]))
        assert await tb.digest(name, msg) == hashlib.new(name, msg).digest(), f"case {i}: {name} {len(msg)}"


@cocotb.test()
async def random_differential(dut):
    await _random_diff(dut, 21, 30 if is_icarus() else 120, 0.0, 0.0)


@cocotb.test()
async def random_differential_with_stalls(dut):
    await _random_diff(dut, 22, 20 if is_icarus() else 80, 0.5, 0.5)
    await _random_diff(dut, 23, 8 if is_icarus() else 25, 0.9, 0.0)
    await _random_diff(dut, 24, 8 if is_icarus() else 25, 0.0, 0.9)


async def _hmac_hw(tb: ShaTb, name: str, key: bytes, msg: bytes) -> bytes:
    """HMAC with software-precomputed inner/outer states continued in the RTL."""
    inner, outer = hmac_states(key, name)
    ist = await tb.state_after("state", pad(msg, prefix_len=BLOCK), inner)
    ost = await tb.state_after("state", pad(ist[:DIGEST[name]], prefix_len=BLOCK), outer)
    return ost[:DIGEST[name]]


@cocotb.test()
async def hmac_via_precomputed_states(dut):
    tb = await start(dut, seed=31)
    for name, bits in (("sha384", 384), ("sha512", 512)):
        n = 0
        for key, msg, mac in hmac_rfc4231_records(bits):
            assert await _hmac_hw(tb, name, key, msg) == mac, f"RFC 4231 HMAC-SHA-{bits}"
            n += 1
        assert n >= 6
    rng = random.Random(31)
    for i in range(16 if is_icarus() else 60):
        name = rng.choice(["sha384", "sha512"])
        key = rng.randbytes(rng.choice([0, 16, 48, 64, 128, 129, 200]))
        msg = rng.randbytes(rng.randrange(0, 700))
        ref = hmac.HMAC(key, CRYPTO[name]())
        ref.update(msg)
        assert await _hmac_hw(tb, name, key, msg) == ref.finalize(), f"random HMAC case {i}"


@cocotb.test()
async def state_readout_after_unpadded_blocks(dut):
    """The engine stops after any block and reports the raw chaining state: here it computes
    the HMAC ipad state itself, which must equal the software precomputation."""
    tb = await start(dut)
    rng = random.Random(41)
    for name in NAMES:
        key = rng.randbytes(64)
        k0 = key.ljust(BLOCK, b"\0")
        got = await tb.state_after(name, bytes(b ^ 0x36 for b in k0))
        assert got == hmac_states(key, name)[0]
        three = rng.randbytes(3 * BLOCK)
        st = IV[name]
        for i in range(3):
            st = compress(st, three[i * BLOCK:(i + 1) * BLOCK])
        assert await tb.state_after(name, three) == state_bytes(st)


@cocotb.test()
async def sustained_throughput(dut):
    """Marginal clocks per block over long messages (the next block loaded during the last
    16 rounds): <= 81."""
    tb = await start(dut)
    rng = random.Random(51)
    short_n, long_n = 4, (16 if is_icarus() else 48)
    records = []
    for name in NAMES:
        cycles = {}
        for n in (short_n, long_n):
            msg = rng.randbytes(n * BLOCK - 17)         # pads to exactly n blocks
            padded = pad(msg)
            assert len(padded) == n * BLOCK
            await tb.cfg_now(name)
            tb.queue_beats(padded)
            tb.inp.fire_cycles.clear()
            tb.out.fire_cycles.clear()
            [(st, err)] = await tb.collect(1, 120 * n + 200)
            assert st[:DIGEST[name]] == hashlib.new(name, msg).digest()
            cycles[n] = tb.out.fire_cycles[0] - tb.inp.fire_cycles[0]
        cpb = (cycles[long_n] - cycles[short_n]) / (long_n - short_n)
        dut._log.info("%s: %.2f clocks/block sustained (%d blocks in %d clocks incl. latency)",
                      name, cpb, long_n, cycles[long_n])
        records.append({"engine": "sha", "mode": name, "key_bits": 0, "direction": "hash",
                        "cycles_per_block": cpb, "blocks": long_n, "block_bytes": BLOCK,
                        "message_cycles": cycles[long_n]})
        assert cpb <= 81, f"{name}: {cpb} clocks/block"
    out_path = os.environ.get("VCRYPTO_BENCH_OUT")
    if out_path:
        with open(out_path, "w") as f:
            json.dump(records, f, indent=1)


@cocotb.test()
async def reset_in_the_middle_of_an_operation(dut):
    tb = await start(dut)
    msg = bytes(range(256)) * 3
    for stop in (30, 150):                         # while loading / while compressing
        await tb.cfg_now("sha512")
        tb.queue_beats(pad(msg))
        before = len(tb.out.items)
        n = 0

        def done():
            return n >= stop

        def tick(c):
            nonlocal n
            n = c
        await run_streams(dut.clk_i, tb.channels, done, 1000, on_cycle=tick)
        assert len(tb.out.items) == before
        tb.inp.queue.clear()
        await tb.reset(2)
        await ReadOnly()
        assert dut.state_valid_o.value == 0 and dut.idle_o.value == 1 and dut.cfg_err_o.value == 0
        await RisingEdge(dut.clk_i)
        assert await tb.digest("sha384", msg) == hashlib.sha384(msg).digest()


@cocotb.test()
async def bad_input_defined_responses(dut):
    tb = await start(dut)
    # 1. a whole message with no cfg: dropped, one error beat for its last beat
    tb.queue_beats(pad(b"no cfg" * 40))
    assert await tb.collect(1, 1000) == [(ZERO, 1)]
    # 2. invalid init selects: cfg_err, nothing opens; a message after it is answered as error
    for code in (3, 6, 7):
        await tb.cfg_now(code)
        await ReadOnly()
        assert dut.cfg_err_o.value == 1
        await RisingEdge(dut.clk_i)
        tb.queue_beats(pad(b"x"))
        assert await tb.collect(1, 500) == [(ZERO, 1)]
    # 3. in_last on beat 3 of the second block: partial block dropped, message closed with an
    #    error (the first block is still compressed, silently); then the engine is healthy
    await tb.cfg_now("sha512")
    await ReadOnly()
    assert dut.cfg_err_o.value == 0
    await RisingEdge(dut.clk_i)
    tb.queue_beats(bytes(BLOCK), last=False)
    tb.inp.send({"data": 1, "last": 0})
    tb.inp.send({"data": 2, "last": 0})
    tb.inp.send({"data": 3, "last": 1})
    assert await tb.collect(1, 300) == [(ZERO, 1)]
    assert await tb.digest("sha512", b"abc") == hashlib.sha512(b"abc").digest()
    # 4. a new cfg in the middle of a message: the old one ends with an error beat, the new
    #    message is hashed correctly
    await tb.cfg_now("sha512")
    tb.queue_beats(pad(bytes(300))[:2 * BLOCK], last=False)      # two blocks only
    await run_streams(dut.clk_i, tb.channels, lambda: tb.inp.idle, 100)
    tb.queue_cfg("sha512_224")
    tb.queue_beats(pad(b"abc"))
    got = await tb.collect(2, 2000)
    assert got[0] == (ZERO, 1)
    assert got[1][1] == 0 and got[1][0][:28] == hashlib.new("sha512_224", b"abc").digest()
    # 5. beats offered while the final block compresses are not taken before the state beat
    await tb.cfg_now("sha384")
    tb.queue_beats(pad(b"first"))
    tb.queue_beats(pad(b"orphan"))                       # no cfg: dropped, one error beat
    got = await tb.collect(2, 2000)
    assert got[0] == (hashlib.sha384(b"first").digest().ljust(64, b"\0")[:48] + got[0][0][48:], 0)
    assert got[1] == (ZERO, 1)
    # 6. still healthy
    assert await tb.digest("sha512_256", b"abc") == hashlib.new("sha512_256", b"abc").digest()
