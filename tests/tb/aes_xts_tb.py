"""cocotb testbench for the XTS mode of rtl/aes/aes_engine.sv (run by tests/test_aes_engine.py;
the engine's ECB/CBC/CTR regression is tests/tb/aes_engine_tb.py).

Golden models: `cryptography`'s XTS (whole bytes) and tests/xts_ref.py (bit lengths). Vectors:
every CAVP XTSGenAES128/256 record of both tweak formats (`tweak-128hexstr`,
`tweak-dataunitseqno`), data units of 128 to 384 bits including 130, 140, 200 and 250.
Engine interface (rtl/README.md): K2 loaded with cfg_key_sel_i = 1, K1 with 0; a configuration
with cfg_xts_i = 1 and the tweak in cfg_iv_i opens a data unit; cfg_tail_i = length mod 128 bits;
in_last_i on the last full block when a partial block follows.
"""
from __future__ import annotations

import random

import cocotb
from cocotb.triggers import ClockCycles, ReadOnly, RisingEdge
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from tb.engine_bench import (AES_KEY_LEN_CODE as KEY_LEN_CODE, AES_ROUNDS as ROUNDS, EngineBench,
                             beats, cycles_per_block, every_nth, is_icarus, key_schedule_words,
                             random_bench, subsample, wait_wiped, write_bench_records)
from tb.stream import Sink, Source, run_streams
from vectors import xts_cavp_records
from xts_ref import xts as xts_bits


def golden(k1: bytes, k2: bytes, tweak: bytes, data: bytes, decrypt: bool) -> bytes:
    c = Cipher(algorithms.AES(k1 + k2), modes.XTS(tweak))
    op = c.decryptor() if decrypt else c.encryptor()
    return op.update(data) + op.finalize()


class XtsTb(EngineBench):
    IDLE_INPUTS = ("cfg_valid_i", "in_valid_i", "out_ready_i", "wipe_i", "in_last_i")

    def __init__(self, dut, seed: int = 1, stall_in: float = 0.0, stall_out: float = 0.0):
        super().__init__(dut, seed)
        self.cfg = Source(dut, "cfg", {"key_load": "cfg_key_load_i", "key_sel": "cfg_key_sel_i",
                                       "key_len": "cfg_key_len_i", "key": "cfg_key_i",
                                       "mode": "cfg_mode_i", "xts": "cfg_xts_i", "tail": "cfg_tail_i",
                                       "decrypt": "cfg_decrypt_i", "iv": "cfg_iv_i"}, self.rng)
        self.inp = Source(dut, "in", {"data": "in_data_i", "last": "in_last_i"}, self.rng, stall_in)
        self.out = Sink(dut, "out", {"data": "out_data_o", "err": "out_err_o"}, self.rng, stall_out)
        self.keys: list[bytes | None] = [None, None]     # what the engine holds: K1, K2

    @classmethod
    async def start(cls, dut, reset_cycles: int = 3, **kw) -> XtsTb:
        tb = await super().start(dut, reset_cycles, **kw)
        await wait_idle(dut)
        return tb

    async def reset(self, cycles: int = 3) -> None:
        await super().reset(cycles)
        self.keys = [None, None]

    def cfg_item(self, *, key_load=0, key_sel=0, key=b"", key_len=None, mode=0, xts=0, tail=0,
                 decrypt=False, iv=bytes(16)) -> dict:
        return {"key_load": key_load, "key_sel": key_sel,
                "key_len": KEY_LEN_CODE.get(len(key), 0) if key_len is None else key_len,
                "key": int.from_bytes(key.ljust(32, b"\0"), "big"), "mode": mode, "xts": xts,
                "tail": tail, "decrypt": int(decrypt), "iv": int.from_bytes(iv, "big")}

    async def send_cfg(self, item: dict) -> None:
        await self.send_cfg_now(item, 400)

    async def load_key(self, sel: int, key: bytes) -> None:
        if self.keys[sel] != key:
            await self.send_cfg(self.cfg_item(key_load=1, key_sel=sel, key=key))
            self.keys[sel] = key

    def queue_unit(self, data: bytes, bits: int) -> int:
        """Queue the beats of one data unit; return the number of result beats to expect."""
        m, b = divmod(bits, 128)
        for j, beat in enumerate(beats(data[:16 * m])):
            self.inp.send({"data": beat, "last": int(b != 0 and j == m - 1)})
        if b:
            # the partial block's bits are on top; the engine must ignore the bits below them
            part = int.from_bytes(data[16 * m:].ljust(16, b"\0"), "big") >> (128 - b) << (128 - b)
            part |= self.rng.getrandbits(128 - b)
            self.inp.send({"data": part, "last": self.rng.getrandbits(1)})
        return m + (1 if b else 0)

    async def unit(self, k1: bytes, k2: bytes, tweak: bytes, data: bytes, decrypt: bool,
                   bits: int | None = None) -> bytes:
        """One data unit through the engine (loading K1/K2 only when they change)."""
        bits = 8 * len(data) if bits is None else bits
        await self.load_key(1, k2)
        await self.load_key(0, k1)
        self.cfg.send(self.cfg_item(xts=1, tail=bits % 128, decrypt=decrypt, iv=tweak))
        n = self.queue_unit(data, bits)
        got = await self.collect_items(n, 300 + 60 * n)
        assert not any(it["err"] for it in got), "unexpected error beat"
        m, b = divmod(bits, 128)
        out = b"".join(it["data"].to_bytes(16, "big") for it in got[:m])
        if b:
            last = it = got[m]["data"]
            assert last & ((1 << (128 - b)) - 1) == 0, "bits below the partial block are not zero"
            out += it.to_bytes(16, "big")[:(b + 7) // 8]
        return out


async def wait_idle(dut, limit: int = 200) -> None:
    for _ in range(limit):
        await ReadOnly()
        if dut.idle_o.value == 1:
            await RisingEdge(dut.clk_i)
            return
        await RisingEdge(dut.clk_i)
    raise AssertionError("engine not idle")


async def _cavp(dut, key_bits: int, every: int) -> None:
    tb = await XtsTb.start(dut)
    n, lengths = 0, set()
    for i, (name, dec, k1, k2, tweak, bits, pt, ct) in every_nth(xts_cavp_records(key_bits), every):
        src, want = (ct, pt) if dec else (pt, ct)
        assert await tb.unit(k1, k2, tweak, src, dec, bits) == want, f"{name} ({'dec' if dec else 'enc'}, {bits} bits)"
        n += 1
        lengths.add(bits)
    dut._log.info("XTS-AES-%d CAVP: %d records passed, data unit lengths %s", key_bits, n, sorted(lengths))
    assert n > 0 and any(b % 128 for b in lengths)


# Icarus is ~20x slower here: every 80th record (all four data unit lengths of each file, both
# directions, both tweak formats) unless VCRYPTO_FULL_VECTORS=1; Verilator runs all 4,000.
@cocotb.test()
async def cavp_xts_aes_128(dut):
    await _cavp(dut, 128, subsample(80))


@cocotb.test()
async def cavp_xts_aes_256(dut):
    await _cavp(dut, 256, subsample(80))


async def _random_diff(dut, seed: int, count: int, stall_in: float, stall_out: float) -> None:
    tb, rng = await random_bench(XtsTb, dut, seed, stall_in, stall_out)
    k1 = k2 = b""
    for i in range(count):
        klen = rng.choice([16, 32])
        if len(k1) != klen or rng.random() < 0.5:     # else: same keys, a new tweak only
            k1, k2 = rng.randbytes(klen), rng.randbytes(klen)
        tweak = rng.randbytes(16)
        if rng.random() < 0.2:                         # exercise the x^128 reduction often
            tweak = bytes([0xff] * 16)
        n = rng.choice([16, 17, 31, 32, 47, 48, 63, rng.randrange(16, 200), rng.randrange(16, 700)])
        data = rng.randbytes(n)
        dec = rng.random() < 0.5
        got = await tb.unit(k1, k2, tweak, data, dec)
        assert got == golden(k1, k2, tweak, data, dec), f"case {i}: {klen * 8} {'dec' if dec else 'enc'} {n} B"


@cocotb.test()
async def random_differential(dut):
    """Seeded random keys, tweaks, directions and byte lengths against `cryptography`."""
    await _random_diff(dut, 61, 20 if is_icarus() else 200, 0.0, 0.0)


@cocotb.test()
async def random_differential_with_stalls(dut):
    await _random_diff(dut, 62, 12 if is_icarus() else 120, 0.4, 0.4)
    await _random_diff(dut, 63, 6 if is_icarus() else 40, 0.0, 0.85)


@cocotb.test()
async def stealing_while_the_sink_holds_a_result(dut):
    """Regression: the sink holds block m-2's result until the stolen block m-1 has finished its
    rounds, then takes it in the clock that block's result goes aside (no output of its own).
    The taken beat once stayed valid and came out twice (found by the lane, whose HMAC stalls
    the cipher output for a SHA-2 block at a time). Every result must come exactly once."""
    tb = await XtsTb.start(dut, seed=65)
    rng = random.Random(65)

    async def release_sink_later() -> None:
        await ClockCycles(dut.clk_i, 200)         # past K1's expansion, the tweak, both full blocks' rounds
        tb.out.stall = 0.0
    for dec in (False, True):
        for n in (33, 40, 47):                    # two full blocks, then a partial one
            k1, k2, tweak, data = rng.randbytes(16), rng.randbytes(16), rng.randbytes(16), rng.randbytes(n)
            await tb.load_key(1, k2)              # the keys first: the hold starts with the unit
            await tb.load_key(0, k1)
            tb.out.stall = 1.0                    # never ready until released
            cocotb.start_soon(release_sink_later())
            assert await tb.unit(k1, k2, tweak, data, dec) == golden(k1, k2, tweak, data, dec), (dec, n)
            await ClockCycles(dut.clk_i, 2)
            await ReadOnly()
            assert dut.out_valid_o.value == 0, f"a result came out twice ({'dec' if dec else 'enc'}, {n} B)"
            await RisingEdge(dut.clk_i)


@cocotb.test()
async def random_bit_lengths(dut):
    """Data units of any bit length >= 128 (the CAVP files have 130, 140, 250), against the
    bit-granular reference; also AES-192 keys (not a standard XTS size, but the engine takes
    any key length for K1 and K2)."""
    tb = await XtsTb.start(dut, seed=64, stall_in=0.2, stall_out=0.2)
    rng = random.Random(64)
    for i in range(12 if is_icarus() else 80):
        klen = rng.choice([16, 24, 32])
        k1, k2, tweak = rng.randbytes(klen), rng.randbytes(klen), rng.randbytes(16)
        bits = rng.choice([128 + rng.randrange(1, 128), rng.randrange(128, 1200),
                           128 * rng.randrange(1, 5) + rng.choice([1, 125, 126, 127])])
        data = bytearray(rng.randbytes((bits + 7) // 8))
        if bits % 8:
            data[-1] &= (0xff << (8 - bits % 8)) & 0xff
        dec = rng.random() < 0.5
        got = await tb.unit(k1, k2, tweak, bytes(data), dec, bits)
        assert got == xts_bits(k1, k2, tweak, bytes(data), bits, dec), f"case {i}: {bits} bits"


@cocotb.test()
async def sustained_throughput(dut):
    """Clocks per block over a long data unit (<= Nr + 1: the tweak update is hidden), the cost
    of the ciphertext-stealing tail (<= two block times) and of a new tweak."""
    tb = await XtsTb.start(dut)
    rng = random.Random(65)
    nblocks = 24 if is_icarus() else 128
    records = []
    for klen in (16, 32):
        k1, k2 = rng.randbytes(klen), rng.randbytes(klen)
        for dec in (False, True):
            tweak = rng.randbytes(16)
            data = rng.randbytes(16 * nblocks)
            tb.out.fire_cycles.clear()
            tb.cfg.fire_cycles.clear()
            tb.inp.fire_cycles.clear()
            assert await tb.unit(k1, k2, tweak, data, dec) == golden(k1, k2, tweak, data, dec)
            cpb = cycles_per_block(tb.out.fire_cycles)
            # new data unit, same keys: configuration taken -> first block taken
            tweak_cycles = tb.inp.fire_cycles[0] - tb.cfg.fire_cycles[-1]
            # the tail: m full blocks + 8 bytes against m full blocks (first block in -> last out)
            span = {}
            for extra in (0, 8):
                d = data[:16 * 8 + extra]
                tb.out.fire_cycles.clear()
                tb.inp.fire_cycles.clear()
                assert await tb.unit(k1, k2, tweak, d, dec) == golden(k1, k2, tweak, d, dec)
                span[extra] = tb.out.fire_cycles[-1] - tb.inp.fire_cycles[0]
            tail = span[8] - span[0]
            d = "dec" if dec else "enc"
            dut._log.info("XTS-AES-%d %s: %.2f clocks/block, new tweak %d clocks, CTS tail +%d clocks",
                          klen * 8, d, cpb, tweak_cycles, tail)
            records.append({"engine": "aes", "mode": "xts", "key_bits": klen * 8, "direction": d,
                            "cycles_per_block": cpb, "blocks": nblocks,
                            "tweak_cycles": tweak_cycles, "cts_tail_cycles": tail})
            assert cpb <= ROUNDS[klen] + 1, f"XTS-AES-{klen * 8} {d}: {cpb} clocks/block"
            assert tail <= 2 * (ROUNDS[klen] + 1), f"XTS-AES-{klen * 8} {d}: tail {tail} clocks"
    write_bench_records(records)


@cocotb.test()
async def xts_and_other_modes_share_k1(dut):
    """K1 serves ECB/CBC/CTR and XTS data alike; loading K2 leaves it alone; switching modes
    needs no key reload."""
    tb = await XtsTb.start(dut)
    k1, k2, tweak = bytes(range(32)), bytes(range(100, 132)), bytes(range(16))
    data = bytes(range(48))
    assert await tb.unit(k1, k2, tweak, data, False) == golden(k1, k2, tweak, data, False)
    # ECB with the same K1, no reload
    await tb.send_cfg(tb.cfg_item(mode=0))
    for beat in beats(data):
        tb.inp.send({"data": beat, "last": 0})
    got = await tb.collect_items(3, 300)
    ecb = Cipher(algorithms.AES(k1), modes.ECB()).encryptor()
    assert b"".join(it["data"].to_bytes(16, "big") for it in got) == ecb.update(data)
    # a new K2 only, then XTS again
    k2b = bytes(range(200, 232))
    assert await tb.unit(k1, k2b, tweak, data + b"x", True) == golden(k1, k2b, tweak, data + b"x", True)


async def _blocks(tb: XtsTb, beats: list[tuple[int, int]], n_out: int, limit: int = 500):
    for data, last in beats:
        tb.inp.send({"data": data, "last": last})
    start_n = len(tb.out.items)
    await run_streams(tb.dut.clk_i, tb.channels,
                      lambda: tb.inp.idle and len(tb.out.items) - start_n >= n_out, limit)
    return [(it["data"], it["err"]) for it in tb.out.items[start_n:]]


@cocotb.test()
async def bad_input_defined_responses(dut):
    tb = await XtsTb.start(dut)
    k1, k2, tweak = bytes(range(16)), bytes(range(16, 32)), bytes(16)
    # 1. XTS with no K2 loaded: the tweak cannot be made; every block is answered by an error beat
    await tb.load_key(0, k1)
    await tb.send_cfg(tb.cfg_item(xts=1, iv=tweak))
    assert await _blocks(tb, [(1, 0), (2, 0)], 2) == [(0, 1), (0, 1)]
    # 2. an invalid K2 key length: cfg_err, K1 untouched
    await tb.send_cfg(tb.cfg_item(key_load=1, key_sel=1, key=k2, key_len=3))
    await ReadOnly()
    assert dut.cfg_err_o.value == 1 and dut.key_valid_o.value == 1
    await RisingEdge(dut.clk_i)
    # 3. blocks after the end of a data unit with a partial block: error beats until the next
    #    XTS configuration
    data = bytes(range(20))
    assert await tb.unit(k1, k2, tweak, data, False) == golden(k1, k2, tweak, data, False)
    assert await _blocks(tb, [(5, 0)], 1) == [(0, 1)]
    assert await tb.unit(k1, k2, tweak, data, True) == golden(k1, k2, tweak, data, True)
    # 4. a configuration while the partial block is awaited: the last full block, which had no
    #    result yet, is answered by one error beat; the new data unit is right
    await tb.send_cfg(tb.cfg_item(xts=1, tail=40, iv=tweak))
    assert await _blocks(tb, [(7, 1)], 0, 100) == []
    await ClockCycles(dut.clk_i, 20)
    assert not dut.idle_o.value
    tb.cfg.send(tb.cfg_item(xts=1, iv=tweak))
    assert [(it["data"], it["err"]) for it in await tb.collect_items(1, 100)] == [(0, 1)]
    assert await tb.unit(k1, k2, tweak, data[:16], False) == golden(k1, k2, tweak, data[:16], False)
    # 5. a wipe while the partial block is awaited: one error beat, the keys are gone
    await tb.send_cfg(tb.cfg_item(xts=1, tail=8, iv=tweak))
    assert await _blocks(tb, [(9, 1)], 0, 100) == []
    await ClockCycles(dut.clk_i, 20)
    dut.wipe_i.value = 1
    await RisingEdge(dut.clk_i)
    dut.wipe_i.value = 0
    assert [(it["data"], it["err"]) for it in await tb.collect_items(1, 100)] == [(0, 1)]
    await wait_idle(dut)
    assert dut.keys_held_o.value == 0
    tb.keys = [None, None]
    assert await _blocks(tb, [(3, 0)], 1) == [(0, 1)]
    # 6. a K2 load with the mode ECB leaves ECB on K1 working; then XTS uses that K2
    await tb.load_key(0, k1)
    await tb.load_key(1, k2)
    await tb.send_cfg(tb.cfg_item(mode=0))
    ecb = Cipher(algorithms.AES(k1), modes.ECB()).encryptor()
    assert await _blocks(tb, [(int.from_bytes(data[:16], "big"), 1)], 1) == \
        [(int.from_bytes(ecb.update(data[:16]), "big"), 0)]
    assert await tb.unit(k1, k2, tweak, data, True) == golden(k1, k2, tweak, data, True)


def key_words(dut, k2: bool) -> list[int]:
    """One key schedule in the round-key memory (rows 0..15: K1, 16..31: K2), column-major."""
    return key_schedule_words(dut, 16 * k2)


@cocotb.test()
async def wipe_zeroes_both_key_schedules(dut):
    tb = await XtsTb.start(dut)
    k1, k2, tweak = bytes(range(32)), bytes(range(50, 82)), bytes(range(16))
    data = bytes(range(40))
    assert await tb.unit(k1, k2, tweak, data, False) == golden(k1, k2, tweak, data, False)
    assert any(key_words(dut, True)) and any(key_words(dut, False))
    # K2's first round key is its first 16 bytes
    assert b"".join(key_words(dut, True)[c * 16].to_bytes(4, "big") for c in range(4)) == k2[:16]
    dut.wipe_i.value = 1
    await RisingEdge(dut.clk_i)
    dut.wipe_i.value = 0
    n = await wait_wiped(dut)                # 32 rows: a tweak key was loaded
    assert 32 <= n <= 36, n
    await RisingEdge(dut.clk_i)
    await wait_idle(dut)
    await ReadOnly()
    assert not any(key_words(dut, False)) and not any(key_words(dut, True))
    for reg in ("st_q", "chain_q", "saved_in_q", "rk"):
        assert int(getattr(dut, reg).value) == 0, reg
    assert dut.keys_held_o.value == 0
    await RisingEdge(dut.clk_i)
    tb.keys = [None, None]
    assert await tb.unit(k1, k2, tweak, data, True) == golden(k1, k2, tweak, data, True)


@cocotb.test()
async def reset_in_the_middle_of_a_data_unit(dut):
    tb = await XtsTb.start(dut)
    k1, k2, tweak = bytes(range(16)), bytes(range(16, 32)), bytes(range(16))
    data = bytes(range(100))
    await tb.load_key(1, k2)
    await tb.load_key(0, k1)
    for stop in (3, 40):               # while the tweak is made / between blocks
        tb.cfg.send(tb.cfg_item(xts=1, tail=32, iv=tweak))
        tb.queue_unit(data, 800)
        await tb.run_clocks(stop, 500)
        tb.inp.queue.clear()
        tb.cfg.queue.clear()
        await tb.reset(2)
        await ReadOnly()
        assert dut.out_valid_o.value == 0 and dut.key_valid_o.value == 0
        await RisingEdge(dut.clk_i)
        await wait_idle(dut)
        assert await tb.unit(k1, k2, tweak, data, True) == golden(k1, k2, tweak, data, True)
