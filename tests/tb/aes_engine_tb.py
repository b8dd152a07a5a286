"""cocotb testbench for rtl/aes/aes_engine.sv (run by tests/test_aes_engine.py).

Golden model: the `cryptography` package. Vectors: FIPS-197 App. C, SP 800-38A, NIST CAVP
KAT/MMT. Cycle counts are asserted here so a throughput regression fails `make test`.
"""
from __future__ import annotations

import random

import cocotb
from cocotb.triggers import ReadOnly, RisingEdge
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from tb.engine_bench import (AES_KEY_LEN_CODE as KEY_LEN_CODE, AES_ROUNDS as ROUNDS, EngineBench,
                             beats, cycles_per_block, every_nth, is_icarus, key_schedule_words,
                             random_bench, subsample, wait_wiped, write_bench_records)
from tb.stream import Sink, Source, run_streams
from vectors import aes_cavp_records
from vectors.sp800_38a import FIPS197_APPENDIX_C, SP800_38A

MODES = {"ECB": 0, "CBC": 1, "CTR": 2}


def golden(mode: str, decrypt: bool, key: bytes, iv: bytes | None, data: bytes) -> bytes:
    m = {"ECB": lambda: modes.ECB(), "CBC": lambda: modes.CBC(iv), "CTR": lambda: modes.CTR(iv)}[mode]()
    c = Cipher(algorithms.AES(key), m)
    op = c.decryptor() if decrypt else c.encryptor()
    return op.update(data) + op.finalize()


class AesTb(EngineBench):
    IDLE_INPUTS = ("cfg_valid_i", "in_valid_i", "out_ready_i", "wipe_i")

    def __init__(self, dut, seed: int = 1, stall_in: float = 0.0, stall_out: float = 0.0):
        super().__init__(dut, seed)
        self.cfg = Source(dut, "cfg", {"key_load": "cfg_key_load_i", "key_len": "cfg_key_len_i",
                                       "key": "cfg_key_i", "mode": "cfg_mode_i",
                                       "decrypt": "cfg_decrypt_i", "iv": "cfg_iv_i"}, self.rng)
        self.inp = Source(dut, "in", {"data": "in_data_i"}, self.rng, stall_in)
        self.out = Sink(dut, "out", {"data": "out_data_o", "err": "out_err_o"}, self.rng, stall_out)
        self.key: bytes | None = None
        # XTS inputs (tests/tb/aes_xts_tb.py drives them): K1, no XTS, no stealing
        for name in ("cfg_key_sel_i", "cfg_xts_i", "cfg_tail_i", "in_last_i"):
            getattr(dut, name).value = 0

    async def reset(self, cycles: int = 3) -> None:
        await super().reset(cycles)
        self.key = None

    async def configure(self, mode: str, decrypt: bool, key: bytes | None, iv: bytes | None,
                        key_len_code: int | None = None, mode_code: int | None = None) -> int:
        """Send one configuration; key=None keeps the loaded round keys. Returns clocks until
        the engine takes blocks again."""
        load = key is not None and key != self.key
        kbytes = key or bytes(32)
        await self.send_cfg_now({
            "key_load": int(load or key_len_code is not None),
            "key_len": KEY_LEN_CODE.get(len(kbytes), 3) if key_len_code is None else key_len_code,
            "key": int.from_bytes(kbytes.ljust(32, b"\0"), "big"),
            "mode": MODES[mode] if mode_code is None else mode_code,
            "decrypt": int(decrypt),
            "iv": int.from_bytes(iv or bytes(16), "big")}, 100)
        if load:
            self.key = key
        # wait until blocks are accepted again (key expansion / round-key prefetch)
        n = 0
        while True:
            await ReadOnly()
            if self.dut.cfg_ready_o.value == 1:
                break
            await RisingEdge(self.dut.clk_i)
            n += 1
            assert n < 200, "engine never returned to ready after configuration"
        await RisingEdge(self.dut.clk_i)
        return n + 1

    async def blocks(self, data: bytes, max_cycles: int | None = None) -> tuple[bytes, list[int]]:
        """Stream whole blocks through; return the output bytes and the per-beat error flags."""
        blocks = beats(data)
        for beat in blocks:
            self.inp.send({"data": beat})
        got = await self.collect_items(len(blocks), max_cycles or 200 + 60 * len(blocks))
        return b"".join(it["data"].to_bytes(16, "big") for it in got), [it["err"] for it in got]

    async def run(self, mode: str, decrypt: bool, key: bytes, iv: bytes | None, data: bytes) -> bytes:
        await self.configure(mode, decrypt, key, iv)
        out, errs = await self.blocks(data)
        assert not any(errs), "unexpected error beat"
        return out


@cocotb.test()
async def first_operation_after_reset(dut):
    """The very first configuration and block after reset work (no warm-up cycles)."""
    tb = await AesTb.start(dut, reset_cycles=2)
    key, pt, ct = (bytes.fromhex(x) for x in FIPS197_APPENDIX_C[0])
    assert await tb.run("ECB", False, key, None, pt) == ct


@cocotb.test()
async def fips197_appendix_c(dut):
    tb = await AesTb.start(dut)
    for key, pt, ct in FIPS197_APPENDIX_C:
        key, pt, ct = bytes.fromhex(key), bytes.fromhex(pt), bytes.fromhex(ct)
        assert await tb.run("ECB", False, key, None, pt) == ct
        assert await tb.run("ECB", True, key, None, ct) == pt


@cocotb.test()
async def sp800_38a_all_modes_and_key_sizes(dut):
    tb = await AesTb.start(dut)
    for mode, bits, key, iv, pt, ct in SP800_38A:
        key, pt, ct = bytes.fromhex(key), bytes.fromhex(pt), bytes.fromhex(ct)
        iv = bytes.fromhex(iv) if iv else None
        assert await tb.run(mode, False, key, iv, pt) == ct, (mode, bits, "enc")
        assert await tb.run(mode, True, key, iv, ct) == pt, (mode, bits, "dec")


async def _cavp(dut, mode: str, kind: str, every: int) -> None:
    tb = await AesTb.start(dut)
    n = 0
    for i, (name, dec, key, iv, pt, ct) in every_nth(aes_cavp_records(mode, kind), every):
        src, want = (ct, pt) if dec else (pt, ct)
        got = await tb.run(mode, dec, key, iv, src)
        assert got == want, f"{name} record {i} ({'dec' if dec else 'enc'})"
        n += 1
    dut._log.info("%s %s: %d vectors passed", mode, kind, n)
    assert n > 0


def _kat_subsample() -> int:
    # Icarus is ~5x slower: it runs every 4th KAT vector unless VCRYPTO_FULL_VECTORS=1;
    # Verilator always runs all of them.
    return subsample(4)


@cocotb.test()
async def cavp_ecb_kat(dut):
    await _cavp(dut, "ECB", "KAT", _kat_subsample())


@cocotb.test()
async def cavp_cbc_kat(dut):
    await _cavp(dut, "CBC", "KAT", _kat_subsample())


@cocotb.test()
async def cavp_ecb_mmt(dut):
    await _cavp(dut, "ECB", "MMT", 1)


@cocotb.test()
async def cavp_cbc_mmt(dut):
    await _cavp(dut, "CBC", "MMT", 1)


async def _random_diff(dut, seed: int, count: int, stall_in: float, stall_out: float) -> None:
    tb, rng = await random_bench(AesTb, dut, seed, stall_in, stall_out)
    for i in range(count):
        mode = rng.choice(list(MODES))
        klen = rng.choice([16, 24, 32])
        key = rng.randbytes(klen) if rng.random() < 0.7 or tb.key is None or len(tb.key) != klen else tb.key
        iv = rng.randbytes(16)
        if mode == "CTR" and rng.random() < 0.3:   # exercise the 128-bit counter carry
            iv = bytes([0xff] * 15 + [rng.randrange(0xf0, 0x100)])
        dec = rng.random() < 0.5
        data = rng.randbytes(16 * rng.randint(1, 24))
        got = await tb.run(mode, dec, key, iv, data)
        assert got == golden(mode, dec, key, iv, data), f"case {i}: {mode} {klen * 8} {'dec' if dec else 'enc'}"


@cocotb.test()
async def random_differential(dut):
    """Seeded random keys, IVs, lengths and modes against `cryptography`, no stalls."""
    await _random_diff(dut, seed=11, count=60 if is_icarus() else 200, stall_in=0.0, stall_out=0.0)


@cocotb.test()
async def random_differential_with_stalls(dut):
    """The same with random valid/ready stalls on the input and the output stream."""
    await _random_diff(dut, seed=12, count=40 if is_icarus() else 150, stall_in=0.3, stall_out=0.4)
    await _random_diff(dut, seed=13, count=20 if is_icarus() else 60, stall_in=0.0, stall_out=0.8)


@cocotb.test()
async def sustained_throughput(dut):
    """Cycles per block over a long stream, every mode/direction/key size: <= Nr + 1."""
    tb = await AesTb.start(dut)
    nblocks = 32 if is_icarus() else 128
    rng = random.Random(5)
    records = []
    for klen in (16, 24, 32):
        key = rng.randbytes(klen)
        for mode in MODES:
            for dec in (False, True):
                iv = rng.randbytes(16)
                data = rng.randbytes(16 * nblocks)
                await tb.configure(mode, dec, key, iv)
                tb.out.fire_cycles.clear()
                out, errs = await tb.blocks(data)
                assert out == golden(mode, dec, key, iv, data)
                cpb = cycles_per_block(tb.out.fire_cycles)
                records.append({"engine": "aes", "mode": mode.lower(), "key_bits": klen * 8,
                                "direction": "dec" if dec else "enc", "cycles_per_block": cpb,
                                "blocks": nblocks})
                dut._log.info("AES-%d %s %s: %.2f cycles/block", klen * 8, mode,
                              "dec" if dec else "enc", cpb)
                assert cpb <= ROUNDS[klen] + 1, f"AES-{klen * 8} {mode}: {cpb} cycles/block"
    write_bench_records(records)


@cocotb.test()
async def key_expansion_latency(dut):
    """Key load to first block accepted: 4*(Nr+1) word clocks + round-key prefetch."""
    tb = await AesTb.start(dut)
    for klen in (16, 24, 32):
        clocks = await tb.configure("ECB", False, bytes(range(klen)), None)
        dut._log.info("AES-%d key expansion: %d clocks", klen * 8, clocks)
        assert clocks <= 4 * (ROUNDS[klen] + 1) + 4
        # the expander keeps w[i-1] in the state register's top word for the borrowed
        # S-boxes; after its last word nothing of the schedule may stay there
        assert int(dut.st_q.value) >> 96 == 0, f"AES-{klen * 8}: a schedule word left in st_q"


@cocotb.test()
async def reset_in_the_middle_of_an_operation(dut):
    """Reset while blocks are in flight: outputs stop, the key is gone, the next op is right."""
    tb = await AesTb.start(dut)
    key = bytes(range(32))
    iv = bytes(16)
    await tb.configure("CBC", False, key, iv)
    for i in range(16):
        tb.inp.send({"data": i})
    await tb.run_clocks(52, 1000)               # ~3.5 blocks, then reset mid-block
    assert 0 < len(tb.out.items) < 16
    tb.inp.queue.clear()
    assert any(key_schedule_words(dut)) and dut.keys_held_o.value == 1
    await tb.reset(2)
    await ReadOnly()
    assert dut.out_valid_o.value == 0
    assert dut.key_valid_o.value == 0
    # block RAM survives reset; the engine wipes it by itself (16 clocks) before taking work
    assert dut.wipe_busy_o.value == 1 and dut.cfg_ready_o.value == 0
    await RisingEdge(dut.clk_i)
    await wait_wiped(dut)
    await RisingEdge(dut.clk_i)                   # one more clock re-reads the LOAD round key
    await ReadOnly()
    assert dut.idle_o.value == 1 and int(dut.rk.value) == 0
    assert not any(key_schedule_words(dut)) and dut.keys_held_o.value == 0
    await RisingEdge(dut.clk_i)
    # a block now, with no key, is answered by an error beat, not processed with a stale key
    out, errs = await tb.blocks(bytes(16))
    assert errs == [1] and out == bytes(16)
    key2, pt, ct = (bytes.fromhex(x) for x in FIPS197_APPENDIX_C[1])
    assert await tb.run("ECB", False, key2, None, pt) == ct


@cocotb.test()
async def bad_input_defined_responses(dut):
    tb = await AesTb.start(dut)
    # 1. blocks before any key: consumed, one error beat each, zero data
    out, errs = await tb.blocks(bytes(range(32)))
    assert errs == [1, 1] and out == bytes(32)
    assert dut.key_valid_o.value == 0
    # 2. invalid key-size select (3): cfg_err, no key, blocks answered with errors
    await tb.configure("ECB", False, bytes(32), None, key_len_code=3)
    assert dut.cfg_err_o.value == 1 and dut.key_valid_o.value == 0
    out, errs = await tb.blocks(bytes(16))
    assert errs == [1] and out == bytes(16)
    # 3. a valid configuration clears the error
    key, pt, ct = (bytes.fromhex(x) for x in FIPS197_APPENDIX_C[2])
    assert await tb.run("ECB", False, key, None, pt) == ct
    assert dut.cfg_err_o.value == 0
    # 4. invalid mode (3) with the key kept: error beats, key stays loaded
    await tb.configure("ECB", False, None, None, mode_code=3)
    assert dut.cfg_err_o.value == 1 and dut.key_valid_o.value == 1
    out, errs = await tb.blocks(bytes(16))
    assert errs == [1] and out == bytes(16)
    # 5. back to a valid mode without reloading the key
    assert await tb.run("ECB", True, key, None, ct) == pt
    # 6. configuration offered mid-stream: it waits for the block in flight, which completes
    #    under the old settings; later blocks use the new ones.
    iv = bytes(range(16))
    await tb.configure("CBC", False, key, iv)
    blocks = [bytes([i]) * 16 for i in range(3)]
    for b in blocks:
        tb.inp.send({"data": int.from_bytes(b, "big")})
    fired_cfg = []

    def tick(c):
        # offer an ECB-decrypt configuration as soon as the first block has been taken
        if tb.inp.fire_cycles and not fired_cfg and len(tb.inp.queue) == 2:
            fired_cfg.append(c)
            tb.cfg.send({"key_load": 0, "key_len": 2, "key": 0, "mode": 0, "decrypt": 1, "iv": 0})
    start_items = len(tb.out.items)
    await run_streams(dut.clk_i, tb.channels, lambda: len(tb.out.items) - start_items >= 3, 500,
                      on_cycle=tick)
    got = [it["data"].to_bytes(16, "big") for it in tb.out.items[start_items:]]
    assert got[0] == golden("CBC", False, key, iv, blocks[0])
    assert got[1:] == [golden("ECB", True, key, None, b) for b in blocks[1:]]


@cocotb.test()
async def wipe_zeroes_round_keys_and_state(dut):
    """Key hygiene: after wipe_i no round key, round state or chaining value is left, blocks
    get the error beat, and a key loaded again works."""
    tb = await AesTb.start(dut)
    await wait_wiped(dut)
    key, iv = bytes(range(100, 132)), bytes(range(16))
    pt = bytes(range(64))
    assert await tb.run("CBC", False, key, iv, pt) == golden("CBC", False, key, iv, pt)
    words = key_schedule_words(dut)
    # round key 0 of AES-256 is the key's first 16 bytes: the probe reads the real memory
    assert b"".join(words[c * 16].to_bytes(4, "big") for c in range(4)) == key[:16]
    assert int(dut.st_q.value) != 0 and int(dut.chain_q.value) != 0 and dut.keys_held_o.value == 1
    dut.wipe_i.value = 1
    await RisingEdge(dut.clk_i)
    dut.wipe_i.value = 0
    clocks = await wait_wiped(dut)
    dut._log.info("wipe: %d clocks", clocks + 1)
    assert clocks <= 20
    await RisingEdge(dut.clk_i)
    await ReadOnly()
    assert not any(key_schedule_words(dut))
    for reg in ("st_q", "chain_q", "saved_in_q", "rk"):
        assert int(getattr(dut, reg).value) == 0, reg
    assert dut.keys_held_o.value == 0 and dut.key_valid_o.value == 0
    await RisingEdge(dut.clk_i)
    out, errs = await tb.blocks(bytes(16))
    assert errs == [1] and out == bytes(16)
    tb.key = None                                  # the engine has no key now: load it again
    assert await tb.run("CBC", False, key, iv, pt) == golden("CBC", False, key, iv, pt)


@cocotb.test()
async def wipe_while_a_result_waits_unread(dut):
    """A wipe while a result sits unread in the output register (found by `make coverage`): the
    wipe runs, the waiting result is still delivered intact, and no key material is left."""
    tb = await AesTb.start(dut)
    await wait_wiped(dut)
    key, iv, pt = bytes(range(40, 56)), bytes(range(16)), bytes(range(200, 216))
    await tb.configure("CBC", False, key, iv)
    tb.inp.send({"data": int.from_bytes(pt, "big")})
    await run_streams(dut.clk_i, [tb.inp], lambda: tb.inp.idle, 100)   # nobody reads the output
    for _ in range(40):
        await ReadOnly()
        if dut.out_valid_o.value == 1:
            break
        await RisingEdge(dut.clk_i)
    else:
        raise AssertionError("no result")
    await RisingEdge(dut.clk_i)
    dut.wipe_i.value = 1
    await RisingEdge(dut.clk_i)
    dut.wipe_i.value = 0
    await wait_wiped(dut)
    await RisingEdge(dut.clk_i)
    await ReadOnly()
    assert not any(key_schedule_words(dut))
    for reg in ("st_q", "chain_q", "saved_in_q"):
        assert int(getattr(dut, reg).value) == 0, reg
    assert dut.keys_held_o.value == 0 and dut.key_valid_o.value == 0
    assert dut.out_valid_o.value == 1, "the waiting result was dropped"
    await RisingEdge(dut.clk_i)
    [item] = await tb.collect_items(1, 20, channels=[tb.out])
    assert item["err"] == 0 and item["data"].to_bytes(16, "big") == golden("CBC", False, key, iv, pt)
