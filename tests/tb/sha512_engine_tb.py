"""cocotb testbench for rtl/sha/sha512_engine.sv (run by tests/test_sha512_engine.py).

Golden models: hashlib / `cryptography` (digests, HMAC) and bridge/sha512_state.py (chaining
states, HMAC inner/outer states). Vectors: NIST CAVP SHA-384/512 (and SHA-512/224, /256)
byte-oriented Short/Long messages and Monte Carlo checkpoints, RFC 4231 HMAC-SHA-384/512.
"""
from __future__ import annotations

import hashlib
import random

import cocotb
from cocotb.triggers import ReadOnly, RisingEdge
from cryptography.hazmat.primitives import hashes, hmac

from bridge.sha512_state import BLOCK, DIGEST, IV, compress, hmac_states, pad, state_bytes
from tb.engine_bench import (FULL_ICARUS, ShaBench, every_nth, is_icarus, random_bench,
                             subsample, write_bench_records)
from tb.stream import run_streams
from vectors import hmac_rfc4231_records, sha2_cavp_records, sha2_monte_records

INIT = {"sha512": 0, "sha384": 1, "state": 2, "invalid": 3, "sha512_224": 4, "sha512_256": 5}
CAVP = {"sha512": 512, "sha384": 384, "sha512_224": "512_224", "sha512_256": "512_256"}
CRYPTO = {"sha512": hashes.SHA512, "sha384": hashes.SHA384}
NAMES = list(DIGEST)
ZERO = bytes(64)


class ShaTb(ShaBench):
    STATE_BYTES = 64

    def queue_cfg(self, init, state: bytes = ZERO) -> None:
        code = init if isinstance(init, int) else INIT[init]
        self.cfg.send({"init": code, "state": int.from_bytes(state, "big")})

    async def cfg_now(self, init, state: bytes = ZERO) -> None:
        self.queue_cfg(init, state)
        await run_streams(self.dut.clk_i, [self.cfg], lambda: self.cfg.idle, 400)

    async def state_after(self, init, padded: bytes, state: bytes = ZERO, last=True) -> bytes:
        await self.cfg_now(init, state)       # the cfg must not overtake this message's beats
        self.queue_beats(padded, last)
        [(st, err)] = await self.collect(1, 400 + 110 * (len(padded) // BLOCK))
        assert err == 0
        return st

    async def digest(self, name: str, msg: bytes) -> bytes:
        return (await self.state_after(name, pad(msg)))[:DIGEST[name]]


@cocotb.test()
async def first_operation_after_reset(dut):
    tb = await ShaTb.start(dut, reset_cycles=2)
    assert await tb.digest("sha512", b"abc") == hashlib.sha512(b"abc").digest()


async def _cavp(dut, name: str, kind: str, every: int) -> None:
    tb = await ShaTb.start(dut)
    n = 0
    for i, (msg, md) in every_nth(sha2_cavp_records(CAVP[name], kind), every):
        assert await tb.digest(name, msg) == md, f"{name} {kind}Msg record {i} (len {len(msg)})"
        n += 1
    dut._log.info("%s %sMsg: %d vectors passed", name, kind, n)
    assert n > 0


@cocotb.test()
@cocotb.parametrize(name=["sha512", "sha384"], kind=["Short", "Long"])
async def cavp(dut, name: str, kind: str):
    """CAVP ShortMsg (every 2nd record on Icarus) and LongMsg (every 4th) of SHA-512 and SHA-384."""
    await _cavp(dut, name, kind, subsample(2 if kind == "Short" else 4))


@cocotb.test()
async def cavp_sha512_t_short_and_long(dut):
    """SHA-512/224 and SHA-512/256: all ShortMsg records, every 4th LongMsg record."""
    for name in ("sha512_224", "sha512_256"):
        await _cavp(dut, name, "Short", subsample(4))
        await _cavp(dut, name, "Long", subsample(16, 4))


async def _monte(dut, name: str, checkpoints: int) -> None:
    """SHAVS Monte Carlo: MD[i] = H(MD[i-3] || MD[i-2] || MD[i-1]), 1000 per checkpoint."""
    tb = await ShaTb.start(dut)
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
    tb, rng = await random_bench(ShaTb, dut, seed, stall_in, stall_out)
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
    tb = await ShaTb.start(dut, seed=31)
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
    tb = await ShaTb.start(dut)
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
    tb = await ShaTb.start(dut)
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
    write_bench_records(records)


@cocotb.test()
async def reset_in_the_middle_of_an_operation(dut):
    tb = await ShaTb.start(dut)
    msg = bytes(range(256)) * 3
    for stop in (30, 150):                         # while loading / while compressing
        await tb.cfg_now("sha512")
        tb.queue_beats(pad(msg))
        before = len(tb.out.items)
        await tb.run_clocks(stop, 1000)
        assert len(tb.out.items) == before
        tb.inp.queue.clear()
        await tb.reset(2)
        await ReadOnly()
        assert dut.state_valid_o.value == 0 and dut.idle_o.value == 1 and dut.cfg_err_o.value == 0
        await RisingEdge(dut.clk_i)
        assert await tb.digest("sha384", msg) == hashlib.sha384(msg).digest()


@cocotb.test()
async def bad_input_defined_responses(dut):
    tb = await ShaTb.start(dut)
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
