"""cocotb testbench for rtl/gcm/aes_gcm.sv (run by tests/test_aes_gcm.py).

Vectors: NIST CAVP AES-GCM (`cryptography-vectors`: gcmEncryptExtIV*.rsp and gcmDecrypt*.rsp,
one record of every key/IV/text/AAD/tag-length group, FAIL records included). Golden model
for the random tests: `cryptography`'s AESGCM (tags of 16 bytes; shorter tags are its prefix).
"""
from __future__ import annotations

import random

import cocotb
from cocotb.triggers import ClockCycles, RisingEdge
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from tb.engine_bench import (AES_KEY_LEN_CODE as KEY_LEN_CODE, AES_ROUNDS as ROUNDS, EngineBench, beats,
                             cycles_per_block, is_icarus, write_bench_records)
from tb.ghash_tb import blocks_of, gf_mult, ghash
from tb.stream import Sink, Source, run_streams
from vectors import gcm_cavp_records


def region_beats(data: bytes) -> list[int]:
    """A region as 16-byte beats, byte 0 in the top byte, the last one zero-padded."""
    return beats(data + bytes(-len(data) % 16))


class GcmTb(EngineBench):
    IDLE_INPUTS = ("cfg_valid_i", "in_valid_i", "out_ready_i", "wipe_i")

    def __init__(self, dut, seed: int = 1, stall_in: float = 0.0, stall_out: float = 0.0):
        super().__init__(dut, seed)
        self.cfg = Source(dut, "cfg", {f: f"cfg_{f}_i" for f in (
            "key_load", "key_len", "key", "decrypt", "iv", "iv_len", "aad_len", "text_len", "tag_len")}, self.rng)
        self.inp = Source(dut, "in", {"data": "in_data_i"}, self.rng, stall_in)
        self.out = Sink(dut, "out", {"data": "out_data_o", "last": "out_last_o", "ok": "out_tag_ok_o",
                                     "err": "out_err_o"}, self.rng, stall_out)
        self.key: bytes | None = None

    async def request(self, key: bytes | None, decrypt: bool, iv: bytes, aad: bytes, text: bytes,
                      tag_len: int = 16, tag: bytes = b"", key_len_code: int | None = None,
                      iv_len: int | None = None) -> dict:
        """One request; key=None (or the key already loaded) keeps the engine's key and H.
        Returns {text, pad (the text beats' bytes past the text), tag (the last beat), ok, err,
        beats (text beats), text_fires (their handshake clocks)}."""
        load = key is not None and key != self.key
        kbytes = key or bytes(32)
        n_iv = len(iv) if iv_len is None else iv_len
        self.cfg.send({"key_load": int(load), "key_len": KEY_LEN_CODE.get(len(kbytes), 3) if key_len_code is None
                       else key_len_code, "key": int.from_bytes(kbytes.ljust(32, b"\0"), "big"),
                       "decrypt": int(decrypt), "iv": int.from_bytes(iv, "big") if n_iv == 12 else 0,
                       "iv_len": n_iv, "aad_len": len(aad), "text_len": len(text), "tag_len": tag_len})
        for b in (region_beats(iv) if n_iv != 12 else []) + region_beats(aad) + region_beats(text) + (
                [int.from_bytes(tag.ljust(16, b"\0"), "big")] if decrypt else []):
            self.inp.send({"data": b})
        if load:
            self.key = key
        self.out.fire_cycles.clear()
        items = await self.collect_until_last(200 + 40 * (len(iv) + len(aad) + len(text)) // 16 + 200)
        assert items[-1]["last"] == 1 and all(i["last"] == 0 for i in items[:-1])
        body = b"".join(i["data"].to_bytes(16, "big") for i in items[:-1])
        return {"text": body[:len(text)], "pad": body[len(text):], "tag": items[-1]["data"].to_bytes(16, "big"),
                "ok": items[-1]["ok"], "err": items[-1]["err"], "beats": len(items) - 1,
                "text_fires": list(self.out.fire_cycles[:-1])}

    async def collect_until_last(self, max_cycles: int) -> list[dict]:
        start = len(self.out.items)
        await run_streams(self.dut.clk_i, self.channels,
                          lambda: any(i["last"] for i in self.out.items[start:]), max_cycles)
        return self.out.items[start:]


def check_encrypt(r: dict, key: bytes, iv: bytes, aad: bytes, pt: bytes, tag_len: int, name: str) -> None:
    want = AESGCM(key).encrypt(iv, pt, aad)
    assert r["err"] == 0, f"{name}: error beat"
    assert r["text"] == want[:len(pt)], f"{name}: ciphertext"
    assert r["pad"] == bytes(len(r["pad"])), f"{name}: bytes past the text not zero"
    assert r["tag"][:tag_len] == want[len(pt):][:tag_len], f"{name}: tag"


@cocotb.test()
async def cavp_encrypt(dut):
    """CAVP gcmEncryptExtIV128/192/256: one record of each key/IV/text/AAD/tag length group
    (525 a key size; Icarus: every 15th), IVs of 1, 12 and 128 bytes, AAD and text of 0..90
    bytes, tags 4..16."""
    tb = await GcmTb.start(dut)
    recs = list(gcm_cavp_records(False, every=15))
    if is_icarus():
        recs = recs[::15]
    for r in recs:
        got = await tb.request(r["key"], False, r["iv"], r["aad"], r["pt"], len(r["tag"]))
        assert got["err"] == 0, r["name"]
        assert got["text"] == r["ct"], f"{r['name']}: ciphertext"
        assert got["tag"][:len(r["tag"])] == r["tag"], f"{r['name']}: tag"
    dut._log.info("%d CAVP encryption records", len(recs))


@cocotb.test()
async def cavp_decrypt_with_fail_records(dut):
    """CAVP gcmDecrypt128/192/256, one record of each length group (Icarus: every 15th), FAIL
    records included: a FAIL record's tag must not verify, every other one verifies and gives
    the plaintext."""
    tb = await GcmTb.start(dut)
    recs = list(gcm_cavp_records(True, every=15))
    if is_icarus():
        recs = recs[::15]
    fails = 0
    for r in recs:
        got = await tb.request(r["key"], True, r["iv"], r["aad"], r["ct"], len(r["tag"]), tag=r["tag"])
        assert got["err"] == 0, r["name"]
        if r["fail"]:
            fails += 1
            assert got["ok"] == 0, f"{r['name']}: a FAIL record verified"
        else:
            assert got["ok"] == 1, f"{r['name']}: tag did not verify"
            assert got["text"] == r["pt"], f"{r['name']}: plaintext"
    assert fails > 0
    dut._log.info("%d CAVP decryption records, %d FAIL", len(recs), fails)


async def _random(dut, seed: int, count: int, stall_in: float, stall_out: float) -> None:
    tb = await GcmTb.start(dut, seed=seed, stall_in=stall_in, stall_out=stall_out)
    rng = random.Random(seed)
    key = None
    for i in range(count):
        if key is None or rng.random() < 0.3:
            key = rng.randbytes(rng.choice((16, 24, 32)))
        # (AESGCM takes IVs of 8..128 bytes; the CAVP records hold the 1-byte ones)
        iv = rng.randbytes(rng.choice((12, 12, 8, 9, 16, 17, 33, 64)))
        aad = rng.randbytes(rng.choice((0, 1, 15, 16, 17, rng.randrange(0, 80))))
        pt = rng.randbytes(rng.choice((0, 1, 15, 16, 17, 32, rng.randrange(0, 200))))
        tag_len = rng.choice((16, 16, 4, 8, 12, 13, 14, 15))
        enc = await tb.request(key, False, iv, aad, pt, tag_len)
        check_encrypt(enc, key, iv, aad, pt, tag_len, f"#{i}")
        tag = enc["tag"][:tag_len]
        forged = rng.random() < 0.4
        if forged:                      # one bit of the tag, the AAD or the text flipped
            where = rng.choice(("tag",) + (("aad",) if aad else ()) + (("ct",) if pt else ()))
            flip = lambda b: bytes([b[0] ^ (1 << rng.randrange(8))]) + b[1:]  # noqa: E731
            if where == "tag":
                tag = flip(tag)
            elif where == "aad":
                aad = flip(aad)
            else:
                enc["text"] = flip(enc["text"])
        dec = await tb.request(key, True, iv, aad, enc["text"], tag_len, tag=tag)
        assert dec["err"] == 0
        assert dec["ok"] == int(not forged), f"#{i}: forged={forged} ok={dec['ok']}"
        if not forged:
            assert dec["text"] == pt, f"#{i}: plaintext"


@cocotb.test()
async def random_against_cryptography(dut):
    """Random keys, IV lengths (8..64 bytes), AAD and text lengths, tag lengths; each request
    encrypted, then decrypted as is or with one bit of its tag, AAD or ciphertext flipped."""
    await _random(dut, 7, 25 if is_icarus() else 150, 0.0, 0.0)


@cocotb.test()
async def random_with_stalls(dut):
    """The same with the data source and the answer sink stalling at random."""
    await _random(dut, 11, 10 if is_icarus() else 60, 0.3, 0.3)


@cocotb.test()
async def counter_wraps_in_its_last_32_bits(dut):
    """inc32: with J0 ending in 0xfffffffe the text's second counter block wraps the low 32
    bits to 0 and leaves the upper 96 alone (a 128-bit increment would carry and differ from
    AESGCM). A 96-bit IV cannot give such a J0 (it ends in 1), so the 16-byte IV is solved for
    it: J0 = ((IV * H) ^ L) * H for L = [0]64 || [128]64, GHASH being linear."""
    tb = await GcmTb.start(dut)
    key = bytes(range(16))
    h = int.from_bytes(Cipher(algorithms.AES(key), modes.ECB()).encryptor().update(bytes(16)), "big")
    h_inv, base, e = 1 << 127, h, (1 << 128) - 2          # H^(2^128 - 2) = H^-1; 1 is bit 127
    while e:
        if e & 1:
            h_inv = gf_mult(h_inv, base)
        base, e = gf_mult(base, base), e >> 1
    length = 128
    j0 = (random.Random(5).getrandbits(96) << 32) | 0xFFFFFFFE
    iv = gf_mult(gf_mult(j0, h_inv) ^ length, h_inv).to_bytes(16, "big")
    assert ghash(h, blocks_of(iv) + [length]) == j0
    pt = bytes(range(16 * 4))
    got = await tb.request(key, False, iv, b"", pt)
    check_encrypt(got, key, iv, b"", pt, 16, "J0 ending in 0xfffffffe")


@cocotb.test()
async def sustained_throughput(dut):
    """GHASH hides behind the AES rounds: over a long text one block every Nr+1 clocks, both
    directions, every key size (`make bench-rtl` takes these as its `gcm` records)."""
    tb = await GcmTb.start(dut)
    rng = random.Random(9)
    nblocks = 16 if is_icarus() else 64
    records = []
    for klen in (16, 24, 32):
        key, iv, aad = rng.randbytes(klen), rng.randbytes(12), rng.randbytes(16)
        pt = rng.randbytes(16 * nblocks)
        enc = await tb.request(key, False, iv, aad, pt)
        check_encrypt(enc, key, iv, aad, pt, 16, f"AES-{klen * 8}-GCM")
        dec = await tb.request(key, True, iv, aad, enc["text"], 16, tag=enc["tag"])
        assert dec["ok"] == 1 and dec["text"] == pt
        for direction, r in (("enc", enc), ("dec", dec)):
            cpb = cycles_per_block(r["text_fires"])
            records.append({"engine": "aes", "mode": "gcm", "key_bits": klen * 8, "direction": direction,
                            "cycles_per_block": cpb, "blocks": nblocks})
            dut._log.info("AES-%d-GCM %s: %.2f clocks per 16-byte block", klen * 8, direction, cpb)
            assert cpb <= ROUNDS[klen] + 1, f"AES-{klen * 8}-GCM {direction}: {cpb} clocks per block"
    write_bench_records(records)


@cocotb.test()
async def bad_requests_answered_with_one_error_beat(dut):
    """Key length code 3, IV length 0, tag length 0 or 17, and no key held: every data beat of
    the request is consumed (the source stalling at random), the answer is one error beat, and
    the next request is right."""
    tb = await GcmTb.start(dut, stall_in=0.3)
    key = bytes(range(16))
    iv, aad, pt = bytes(12), b"a" * 20, b"p" * 40
    # no key held yet: a request without a key load
    r = await tb.request(None, False, iv, aad, pt)
    assert r["err"] == 1 and r["beats"] == 0 and r["tag"] == bytes(16)
    for kw in ({"key_len_code": 3}, {"iv_len": 0}, {"tag_len": 0}, {"tag_len": 17}):
        tag_len = kw.pop("tag_len", 16)
        for decrypt in (False, True):
            tb.key = None
            r = await tb.request(key, decrypt, iv if "iv_len" not in kw else b"", aad, pt, tag_len,
                                 tag=bytes(16), **kw)
            assert r["err"] == 1 and r["beats"] == 0, f"{kw} tag_len={tag_len}: not one error beat"
            assert tb.inp.idle, "data beats of the bad request left unconsumed"
    tb.key = None                       # none of them loaded it
    good = await tb.request(key, False, iv, aad, pt)
    check_encrypt(good, key, iv, aad, pt, 16, "after the bad requests")


@cocotb.test()
async def wipe_forgets_key_and_h(dut):
    """After a wipe no key or H is held: a request without a key load is an error; with one it
    works again."""
    tb = await GcmTb.start(dut)
    key = bytes(range(32))
    r = await tb.request(key, False, bytes(12), b"x", b"y" * 33)
    check_encrypt(r, key, bytes(12), b"x", b"y" * 33, 16, "before the wipe")
    assert dut.keys_held_o.value == 1
    dut.wipe_i.value = 1
    await RisingEdge(dut.clk_i)
    dut.wipe_i.value = 0
    for _ in range(200):
        await RisingEdge(dut.clk_i)
        if dut.idle_o.value == 1 and dut.keys_held_o.value == 0:
            break
    assert dut.keys_held_o.value == 0, "keys still held after the wipe"
    assert int(dut.u_ctl.u_ghash.h_q.value) == 0, "H left in the GHASH unit"
    await ClockCycles(dut.clk_i, 2)
    r = await tb.request(None, False, bytes(12), b"x", b"y" * 33)
    assert r["err"] == 1
    tb.key = None
    r = await tb.request(key, False, bytes(12), b"x", b"y" * 33)
    check_encrypt(r, key, bytes(12), b"x", b"y" * 33, 16, "after the wipe")
