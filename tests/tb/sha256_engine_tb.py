"""cocotb testbench for rtl/sha/sha256_engine.sv (run by tests/test_sha256_engine.py).

Golden models: hashlib / `cryptography` (digests, HMAC) and bridge.sha2_state (chaining
states). Vectors: NIST CAVP SHA-224/256 byte-oriented Short/Long messages, RFC 4231 HMAC.
"""
from __future__ import annotations

import hashlib
import random

import cocotb
from cocotb.triggers import ReadOnly, RisingEdge
from cryptography.hazmat.primitives import hashes, hmac

from bridge.sha2_state import BLOCK, IV, compress, hmac_states, pad, state_bytes
from tb.engine_bench import (ShaBench, every_nth, is_icarus, random_bench, subsample,
                             write_bench_records)
from tb.stream import run_streams
from vectors import hmac_rfc4231_records, sha2_cavp_records

INIT = {256: 0, 224: 1, "state": 2, "invalid": 3}


class ShaTb(ShaBench):
    def queue_message(self, init, padded: bytes, state: bytes = bytes(32), last: bool = True) -> None:
        """Queue one cfg (init = 224/256/'state'/'invalid') and the padded message's beats."""
        if init is not None:
            self.cfg.send({"init": INIT[init], "state": int.from_bytes(state, "big")})
        self.queue_beats(padded, last)

    async def state_after(self, init, padded: bytes, state: bytes = bytes(32), last=True) -> bytes:
        self.queue_message(init, padded, state, last)
        # cfg first (it must not overtake/undercut the beats of this message)
        await run_streams(self.dut.clk_i, [self.cfg], lambda: self.cfg.idle, 200)
        [(st, err)] = await self.collect(1, 400 + 90 * (len(padded) // BLOCK))
        assert err == 0
        return st

    async def digest(self, bits: int, msg: bytes) -> bytes:
        return (await self.state_after(bits, pad(msg)))[: bits // 8]


@cocotb.test()
async def first_operation_after_reset(dut):
    tb = await ShaTb.start(dut, reset_cycles=2)
    assert await tb.digest(256, b"abc") == hashlib.sha256(b"abc").digest()


async def _cavp(dut, bits: int, kind: str, every: int) -> None:
    tb = await ShaTb.start(dut)
    n = 0
    for i, (msg, md) in every_nth(sha2_cavp_records(bits, kind), every):
        assert await tb.digest(bits, msg) == md, f"SHA{bits}{kind}Msg record {i} (len {len(msg)})"
        n += 1
    dut._log.info("SHA-%d %sMsg: %d vectors passed", bits, kind, n)
    assert n > 0


@cocotb.test()
@cocotb.parametrize(bits=[256, 224], kind=["Short", "Long"])
async def cavp(dut, bits: int, kind: str):
    """CAVP ShortMsg (every 2nd record on Icarus) and LongMsg (every 4th) of SHA-256 and SHA-224."""
    await _cavp(dut, bits, kind, subsample(2 if kind == "Short" else 4))


async def _random_diff(dut, seed: int, count: int, stall_in: float, stall_out: float) -> None:
    tb, rng = await random_bench(ShaTb, dut, seed, stall_in, stall_out)
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
    tb = await ShaTb.start(dut, seed=31)
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
    tb = await ShaTb.start(dut)
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
    tb = await ShaTb.start(dut)
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
    write_bench_records(records)


@cocotb.test()
async def reset_in_the_middle_of_an_operation(dut):
    tb = await ShaTb.start(dut)
    msg = bytes(range(200)) * 3
    tb.queue_message(256, pad(msg))
    await tb.run_clocks(100, 1000)
    assert not tb.out.items
    tb.inp.queue.clear()
    await tb.reset(2)
    await ReadOnly()
    assert dut.state_valid_o.value == 0 and dut.idle_o.value == 1
    await RisingEdge(dut.clk_i)
    assert await tb.digest(256, msg) == hashlib.sha256(msg).digest()


@cocotb.test()
async def bad_input_defined_responses(dut):
    tb = await ShaTb.start(dut)
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
