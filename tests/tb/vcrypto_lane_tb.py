"""cocotb testbench for rtl/top/vcrypto_lane.sv, one crypto lane on its own.

The testbench plays the lane's surroundings as rtl/README.md specifies them:
  * the fetch: each request's submission entry and context are streamed into the lane over the
    load bus (ld_sqe_i / ld_ctx_i, one beat a clock or with gaps), then start_i (or abort_i);
  * its two DMA clients, as vcrypto_dma_arb presents them: a command is taken while the client
    is not busy, busy stays high while beats are owed (and, for writes, until the write is
    acknowledged), err is final when busy falls and held until the next command; beats come
    and go with random stalls out of a Python memory;
  * the completion unit: res_ready_i with random stalls.
Every result is checked against bridge.accel_model (the `cryptography` package), and every
byte of memory outside the request's output buffers is checked to be untouched.
"""
from __future__ import annotations

import random
from dataclasses import dataclass

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, FallingEdge, ReadOnly, RisingEdge

from bridge import abi
from bridge.accel_abi import Context, aead_stream, aead_stream_len, encode_sqe
from bridge.accel_model import Outcome, run_request
from bridge.algorithms import CIPHER_BY_ABI, GCM_TAG_LENGTHS, HASH_BY_ABI
from tb.host_memory import aliased_get, aliased_put
from tb.lane_requests import CIPHERS, HASHES, fit_length, lane_snapshot, random_ctx

MEM = 1 << 20                        # the memory model: address a is byte a % MEM
TOP = 1 << 64
CTX_KEY_BYTES = abi.CTX_FIELDS["key"][1]


def beats(raw: bytes) -> list[int]:
    """16-byte beats as the DMA delivers them: byte i of a beat in bits [8i+7:8i]."""
    raw = raw + bytes(-len(raw) % 16)
    return [int.from_bytes(raw[i:i + 16], "little") for i in range(0, len(raw), 16)]


@dataclass
class Result:
    q: int
    cookie: int
    status: int
    detail: int
    bytes_written: int


class LaneBench:
    def __init__(self, dut, seed: int = 0, stall: float = 0.3):
        self.dut = dut
        self.rng = random.Random(seed)
        self.stall = stall
        self.mem = bytearray(self.rng.randbytes(MEM))
        self.results: list[Result] = []
        self.rd_err_at: tuple[int, int] | None = None   # (lo, hi): a read touching it errs
        self.wr_err_at: tuple[int, int] | None = None
        self.res_hold = 0                                # clocks to keep res_ready_i low
        # read client
        self.rd_beats: list[int] = []
        self.rd_err = False
        self.rd_next_err = False
        # write client
        self.wr_addr = self.wr_len = 0
        self.wr_owed = 0
        self.wr_data: list[int] = []
        self.wr_tail = 0          # clocks of "write response pending" after the last beat
        self.wr_err = False
        self.wr_next_err = False
        self.cycles = 0
        self.rd_cmds: list[tuple[int, int]] = []        # every command taken, (addr, len)
        self.wr_cmds: list[tuple[int, int]] = []

    def _hits(self, span: tuple[int, int] | None, addr: int, n: int) -> bool:
        return span is not None and n > 0 and addr < span[1] and span[0] < addr + n

    async def clients(self) -> None:
        """One iteration a clock: drive the client inputs at the falling edge, sample the lane's
        outputs once they settle, account for the handshakes of the coming rising edge."""
        d, rng = self.dut, self.rng
        while True:
            await FallingEdge(d.clk_i)
            self.cycles += 1
            rd_busy = bool(self.rd_beats)
            d.rd_cmd_ready_i.value = int(not rd_busy)
            d.rd_busy_i.value = int(rd_busy)
            d.rd_err_i.value = int(self.rd_err)
            rd_valid = rd_busy and rng.random() >= self.stall
            d.rd_valid_i.value = int(rd_valid)
            d.rd_data_i.value = self.rd_beats[0] if rd_busy else rng.getrandbits(128)
            wr_busy = self.wr_owed > 0 or self.wr_tail > 0
            d.wr_cmd_ready_i.value = int(not wr_busy)
            d.wr_busy_i.value = int(wr_busy)
            d.wr_err_i.value = int(self.wr_err)
            wr_ready = self.wr_owed > 0 and rng.random() >= self.stall
            d.wr_ready_i.value = int(wr_ready)
            res_ready = self.res_hold == 0 and rng.random() >= self.stall
            d.res_ready_i.value = int(res_ready)
            if self.res_hold:
                self.res_hold -= 1
            await ReadOnly()
            # ---- read client
            if rd_valid and d.rd_ready_o.value:
                self.rd_beats.pop(0)
                if not self.rd_beats:
                    self.rd_err = self.rd_next_err       # final as busy falls
            if not rd_busy and d.rd_cmd_valid_o.value:
                addr, n = int(d.rd_cmd_addr_o.value), int(d.rd_cmd_len_o.value)
                self.rd_cmds.append((addr, n))
                self.rd_beats = beats(aliased_get(self.mem, addr, n)) if n else []
                self.rd_err = False
                self.rd_next_err = self._hits(self.rd_err_at, addr, n)
                if not self.rd_beats:
                    self.rd_err = False
            # ---- write client
            if self.wr_tail:
                self.wr_tail -= 1
                if not self.wr_tail:
                    self.wr_err = self.wr_next_err
            if wr_ready and d.wr_valid_o.value:
                self.wr_data.append(int(d.wr_data_o.value))
                self.wr_owed -= 1
                if self.wr_owed == 0:
                    raw = b"".join(b.to_bytes(16, "little") for b in self.wr_data)[:self.wr_len]
                    if not self._hits(self.wr_err_at, self.wr_addr, self.wr_len):
                        aliased_put(self.mem, self.wr_addr, raw)
                    self.wr_tail = rng.randint(1, 5)
            if not wr_busy and d.wr_cmd_valid_o.value:
                self.wr_addr, self.wr_len = int(d.wr_cmd_addr_o.value), int(d.wr_cmd_len_o.value)
                self.wr_cmds.append((self.wr_addr, self.wr_len))
                self.wr_owed = (self.wr_len + 15) // 16
                self.wr_data = []
                self.wr_err = False
                self.wr_next_err = self._hits(self.wr_err_at, self.wr_addr, self.wr_len)
            # ---- result
            if res_ready and d.res_valid_o.value:
                self.results.append(Result(int(d.res_q_o.value), int(d.res_cookie_o.value),
                                           int(d.res_status_o.value), int(d.res_detail_o.value),
                                           int(d.res_bytes_o.value)))

    async def load(self, sqe: bytes, ctx: bytes, q: int, gaps: bool = True) -> None:
        """Stream the entry and the context into the lane as the fetch does."""
        d = self.dut
        await FallingEdge(d.clk_i)
        d.ld_q_i.value = q
        for flag, raw in ((d.ld_sqe_i, sqe), (d.ld_ctx_i, ctx)):
            for i, b in enumerate(beats(raw)):
                await FallingEdge(d.clk_i)
                flag.value = 1
                d.ld_beat_i.value = i
                d.ld_data_i.value = b
                if gaps and self.rng.random() < 0.3:
                    await FallingEdge(d.clk_i)
                    flag.value = 0
                    d.ld_data_i.value = self.rng.getrandbits(128)
            await FallingEdge(d.clk_i)
            flag.value = 0

    async def pulse(self, sig) -> None:
        await FallingEdge(self.dut.clk_i)
        sig.value = 1
        await FallingEdge(self.dut.clk_i)
        sig.value = 0

    async def idle(self, limit: int = 200_000) -> int:
        """Wait until the lane is idle; returns the clocks waited."""
        for n in range(limit):
            await RisingEdge(self.dut.clk_i)
            await ReadOnly()
            if self.dut.idle_o.value:
                return n
        raise AssertionError("the lane never became idle")

    async def request(self, ctx: Context, opcode: int, src: bytes, iv: bytes = b"", q: int = 0,
                      align: tuple[int, int, int] = (0, 0, 0), base: int = 0x1000,
                      expect: Outcome | None = None,
                      addrs: tuple[int, int, int] | None = None,
                      aad: bytes = b"", tag: bytes = b"") -> tuple[Result, int]:
        """Run one request; returns its result and the clocks from start to result. addrs:
        (source, destination, digest) anywhere in the 64-bit space instead of base + align
        (the caller keeps them apart modulo MEM). AEAD: src is the text, aad and (decrypting)
        the expected tag go into the source stream (firmware/ABI.md "AEAD")."""
        aead = opcode == abi.OPCODE_AEAD
        stream = aead_stream(aad, src, tag if ctx.decrypt else b"") if aead else src
        cookie = self.rng.getrandbits(64)
        if addrs is None:
            src_addr = base + align[0]
            dst_addr = (src_addr + len(stream) + 63) // 64 * 64 + align[1]
            dig_addr = (dst_addr + len(src) + 63) // 64 * 64 + align[2]
        else:
            src_addr, dst_addr, dig_addr = addrs
        aliased_put(self.mem, src_addr, stream)
        before = bytearray(self.mem)
        e = run_request(ctx, opcode, iv, src, aad, tag) if expect is None else expect
        sqe = encode_sqe(opcode, cookie, 0x40, src_addr, len(src), dst_addr, dig_addr, iv, len(aad))
        await self.load(sqe, bytes(ctx.context()), q)
        t0 = self.cycles
        n = len(self.results)
        self.rd_cmds, self.wr_cmds = [], []
        await self.pulse(self.dut.start_i)
        while len(self.results) == n:
            await RisingEdge(self.dut.clk_i)
            assert self.cycles - t0 < 400_000, "no result: " + lane_snapshot(self.dut)
        r = self.results[-1]
        took = self.cycles - t0
        assert (r.q, r.cookie) == (q, cookie)
        assert (r.status, r.detail) == (e.status, e.error_detail), f"got {r}, want {e}"
        if e.status == abi.STATUS_OK:
            assert r.bytes_written == e.bytes_written
            # the commands, at their full 64-bit addresses (the memory model aliases them)
            text_out = opcode in (abi.OPCODE_CIPHER, abi.OPCODE_CHAIN, abi.OPCODE_AEAD)
            digest_out = opcode != abi.OPCODE_CIPHER and not (aead and ctx.decrypt)
            rd_len = aead_stream_len(len(aad), len(src), ctx.decrypt) if aead else len(src)
            assert self.rd_cmds == [(src_addr, rd_len)], self.rd_cmds
            assert self.wr_cmds == ([(dst_addr, len(src))] if text_out else []) + \
                ([(dig_addr, ctx.digest_len)] if digest_out else []), self.wr_cmds
            if e.dst:
                aliased_put(before, dst_addr, e.dst)
            if e.digest:
                aliased_put(before, dig_addr, e.digest)
            assert self.mem == before, "wrong output, or memory written outside the outputs"
        await self.idle()
        return r, took


def key_regs(dut) -> dict[str, int]:
    out = {n: int(getattr(dut, n).value) for n in ("key_q", "inner_q", "outer_q", "kc_key_q")}
    out["gcm_h"] = int(dut.u_gcm.u_ghash.h_q.value)
    mem = dut.u_aes.u_key_mem
    out["round_key_words"] = sum(int(getattr(mem, f"bank{c}")[r].value) != 0 for c in range(4) for r in range(16))
    return out


async def start(dut, seed: int = 0, stall: float = 0.3, settle: bool = True) -> LaneBench:
    Clock(dut.clk_i, 10, unit="ns").start()
    for s in (dut.ld_sqe_i, dut.ld_ctx_i, dut.start_i, dut.abort_i, dut.wipe_i, dut.rd_valid_i,
              dut.wr_ready_i, dut.res_ready_i):
        s.value = 0
    dut.ld_beat_i.value = 0
    dut.ld_data_i.value = 0
    dut.ld_q_i.value = 0
    dut.rst_ni.value = 0
    b = LaneBench(dut, seed, stall)
    cocotb.start_soon(b.clients())
    await ClockCycles(dut.clk_i, 3)
    dut.rst_ni.value = 1
    await b.idle()
    if settle:
        await ClockCycles(dut.clk_i, 20)        # the AES engine's post-reset wipe
    return b


# ---------------------------------------------------------------- tests
@cocotb.test()
async def every_operation(dut):
    """Every operation, algorithm, key size, direction and chain order, buffers at any
    alignment, random stalls on both clients and on the result."""
    b = await start(dut, seed=1)
    rng = random.Random(1)
    for cipher in CIPHERS:
        for klen in CIPHER_BY_ABI[cipher].key_lengths:
            for dec in (False, True):
                ctx = Context(cipher_alg=cipher, decrypt=dec, key=rng.randbytes(klen))
                n = (rng.randint(0, 200) if cipher == abi.CIPHER_ALG_AES_CTR
                     else rng.choice((16, 17, 31, 47, 100, 208)) if cipher == abi.CIPHER_ALG_AES_XTS
                     else rng.choice((16, 64, 208)))
                await b.request(ctx, abi.OPCODE_CIPHER, rng.randbytes(n), rng.randbytes(16), q=rng.randrange(4),
                                align=(rng.randrange(16), rng.randrange(16), rng.randrange(16)))
    for h in HASHES:
        d = HASH_BY_ABI[h].digest_len
        for n in (0, 3, 55, 56, 64, 111, 112, 119, 128, 300):
            await b.request(Context(hash_alg=h, digest_len=d), abi.OPCODE_HASH, rng.randbytes(n),
                            align=(rng.randrange(16), 0, rng.randrange(16)))
            await b.request(Context(hash_alg=h, digest_len=rng.randint(1, d), hmac_key=rng.randbytes(40)),
                            abi.OPCODE_MAC, rng.randbytes(n), align=(rng.randrange(16), 0, rng.randrange(16)))
        for order in (abi.CHAIN_ORDER_CIPHER_THEN_HASH, abi.CHAIN_ORDER_HASH_THEN_CIPHER):
            for cipher, klen, n in ((abi.CIPHER_ALG_AES_CBC, 16, 160), (abi.CIPHER_ALG_AES_XTS, 64, 170)):
                ctx = Context(cipher_alg=cipher, key=rng.randbytes(klen), hash_alg=h, digest_len=d,
                              chain_order=order, hmac_key=rng.randbytes(rng.choice((64, 129))), decrypt=order == 2)
                await b.request(ctx, abi.OPCODE_CHAIN, rng.randbytes(n), rng.randbytes(16),
                                align=(rng.randrange(16), rng.randrange(16), rng.randrange(16)))


@cocotb.test()
async def random_requests(dut):
    """Seeded random requests (operations, sizes up to 2 KiB, alignments), back to back."""
    b = await start(dut, seed=2)
    rng = random.Random(2)
    for _ in range(60):
        op = rng.choice((abi.OPCODE_CIPHER, abi.OPCODE_HASH, abi.OPCODE_MAC, abi.OPCODE_CHAIN))
        ctx = random_ctx(rng, op)
        n = rng.randint(0, 2048)
        n = fit_length(ctx, n)
        await b.request(ctx, op, rng.randbytes(n), rng.randbytes(16), q=rng.randrange(16),
                        align=(rng.randrange(16), rng.randrange(16), rng.randrange(16)))


@cocotb.test()
async def key_cache_skips_the_expansion(dut):
    """The same key again: no key expansion (4(Nr+1) clocks saved); another key: expanded."""
    b = await start(dut, seed=3, stall=0.0)
    rng = random.Random(3)
    k1, k2 = rng.randbytes(32), rng.randbytes(32)
    data = rng.randbytes(256)
    _, first = await b.request(Context(cipher_alg=abi.CIPHER_ALG_AES_CBC, key=k1), abi.OPCODE_CIPHER, data, bytes(16))
    _, again = await b.request(Context(cipher_alg=abi.CIPHER_ALG_AES_CBC, key=k1, decrypt=True),
                               abi.OPCODE_CIPHER, data, bytes(16))
    _, other = await b.request(Context(cipher_alg=abi.CIPHER_ALG_AES_CBC, key=k2), abi.OPCODE_CIPHER, data, bytes(16))
    dut._log.info("clocks: new key %d, cached key %d, another key %d", first, again, other)
    # a 60-clock expansion (4(Nr+1)) in the first and the third, none in the second; the three
    # requests' other clocks differ by a few (pipeline alignment at the write skid buffer), so the
    # saving is checked against 3/4 of the expansion, far above what no cache (0) would show
    assert first - again >= 3 * 15 and other - again >= 3 * 15
    assert key_regs(dut)["kc_key_q"] == int.from_bytes(k2.ljust(CTX_KEY_BYTES, b"\0"), "big")


@cocotb.test()
async def abort_and_result_clear_the_secrets(dut):
    """An aborted request (the fetch's checks failed) leaves no key or HMAC state; a finished one
    neither; only the key cache and the round keys stay, until a wipe."""
    b = await start(dut, seed=4)
    rng = random.Random(4)
    ctx = Context(cipher_alg=abi.CIPHER_ALG_AES_CBC, key=rng.randbytes(16), hash_alg=abi.HASH_ALG_SHA_256,
                  digest_len=32, chain_order=abi.CHAIN_ORDER_CIPHER_THEN_HASH, hmac_key=rng.randbytes(32))
    sqe = encode_sqe(abi.OPCODE_CHAIN, 5, 0x40, 0x1000, 64, 0x2000, 0x3000, bytes(16))
    await b.load(sqe, bytes(ctx.context()), 1)
    k = key_regs(dut)
    assert k["key_q"] and k["inner_q"] and k["outer_q"] and dut.keys_held_o.value
    await b.pulse(dut.abort_i)
    await ClockCycles(dut.clk_i, 2)
    k = key_regs(dut)
    assert k["key_q"] == k["inner_q"] == k["outer_q"] == 0 and not b.results and dut.idle_o.value
    # a request after the abort is not disturbed by it
    await b.request(ctx, abi.OPCODE_CHAIN, rng.randbytes(64), rng.randbytes(16))
    k = key_regs(dut)
    assert k["key_q"] == k["inner_q"] == k["outer_q"] == 0
    assert k["kc_key_q"] and k["round_key_words"] and dut.keys_held_o.value
    await b.pulse(dut.wipe_i)
    assert not dut.idle_o.value
    waited = await b.idle()
    assert waited < 40, waited
    k = key_regs(dut)
    assert not any(k.values()) and not dut.keys_held_o.value, k
    # after the wipe the key is expanded again and the results are right
    await b.request(ctx, abi.OPCODE_CHAIN, rng.randbytes(64), rng.randbytes(16))


@cocotb.test()
async def axi_errors_become_err_results(dut):
    """An AXI error on the source read, the destination write or the digest write: the request
    runs to its end and reports ERR / AXI_ERROR with 0 bytes; a write error of one request does
    not leak into the next (a hash request has no write command before its digest)."""
    b = await start(dut, seed=5)
    rng = random.Random(5)
    err = Outcome(abi.STATUS_ERR, abi.ERROR_DETAIL_AXI_ERROR)
    cbc = Context(cipher_alg=abi.CIPHER_ALG_AES_CBC, key=rng.randbytes(16))
    mac = Context(hash_alg=abi.HASH_ALG_SHA_256, digest_len=32, hmac_key=rng.randbytes(32))
    for where in ("src", "dst", "digest"):
        base = 0x8000
        if where == "src":
            b.rd_err_at = (base, base + 1)
        elif where == "dst":
            b.wr_err_at = (base + 0x100, base + 0x101)       # in the dst of a 192-byte request at base
        else:
            b.wr_err_at = (base + 0x180, base + 0x181)       # its digest (dst at +0xc0, digest at +0x180)
        ctx = mac if where == "digest" else cbc
        op = abi.OPCODE_MAC if where == "digest" else abi.OPCODE_CIPHER
        r, _ = await b.request(ctx, op, rng.randbytes(192), bytes(16), base=base, expect=err)
        assert r.bytes_written == 0
        b.rd_err_at = b.wr_err_at = None
        # the next request of another kind is fine (the write client's err is still set)
        await b.request(mac, abi.OPCODE_MAC, rng.randbytes(100))
        await b.request(cbc, abi.OPCODE_CIPHER, rng.randbytes(32), bytes(16))


@cocotb.test()
async def result_waits_for_the_completion_unit(dut):
    """The result stays valid and unchanged until taken; the lane takes nothing new meanwhile."""
    b = await start(dut, seed=6, stall=0.0)
    rng = random.Random(6)
    b.res_hold = 10_000
    ctx = Context(hash_alg=abi.HASH_ALG_SHA_224, digest_len=28)
    sqe = encode_sqe(abi.OPCODE_HASH, 77, 0x40, 0x1000, 10, 0, 0x2000, b"")
    b.mem[0x1000:0x100a] = rng.randbytes(10)
    await b.load(sqe, bytes(ctx.context()), 3)
    await b.pulse(dut.start_i)
    await ClockCycles(dut.clk_i, 2000)
    assert dut.res_valid_o.value and not dut.idle_o.value and not b.results
    assert int(dut.res_cookie_o.value) == 77 and int(dut.res_q_o.value) == 3
    b.res_hold = 0
    await b.idle()
    assert len(b.results) == 1 and b.results[0].bytes_written == 28


@cocotb.test()
async def addresses_across_the_64_bit_space(dut):
    """Source, destination and digest anywhere in the 64-bit space: random addresses, the
    complementary patterns 0x5555.../0xaaaa... and all-ones above bit 20, each buffer ending at
    the last byte of the space (2^64 - 1) once; every command's full address is checked."""
    b = await start(dut, seed=7)
    rng = random.Random(7)
    ops = (abi.OPCODE_CIPHER, abi.OPCODE_HASH, abi.OPCODE_MAC, abi.OPCODE_CHAIN)
    highs = [0, (1 << 44) - 1, 0x5555_5555_555, 0xAAAA_AAAA_AAA] + [rng.getrandbits(44) for _ in range(20)]
    for i in range(len(highs) + 3):
        op = ops[i % 4] if i < len(highs) else (abi.OPCODE_CHAIN, abi.OPCODE_CHAIN, abi.OPCODE_MAC)[i - len(highs)]
        ctx = random_ctx(rng, op)
        n = rng.randint(0 if i < len(highs) else 16, 300)
        n = fit_length(ctx, n)
        # the three buffers in disjoint slots modulo MEM (the memory model aliases addresses)
        lows = [0x1_0000 + rng.randrange(0x1_0000), 0x3_0000 + rng.randrange(0x1_0000),
                0x5_0000 + rng.randrange(0x1_0000)]
        if i < len(highs):
            his = [highs[i], highs[(i + 1) % len(highs)], highs[(i + 2) % len(highs)]]
            addrs = [(h << 20) | lo for h, lo in zip(his, lows)]
        else:                       # buffer k ends at 2^64 - 1, the others low in the space
            k = i - len(highs)
            sizes = (n, n, ctx.digest_len)
            addrs = [lo for lo in lows]
            addrs[k] = TOP - sizes[k]
        await b.request(ctx, op, rng.randbytes(n), rng.randbytes(16), q=rng.randrange(16), addrs=tuple(addrs))


@cocotb.test()
async def aborted_loads_with_any_field_values(dut):
    """The fetch streams an entry and its context into the lane before its checks, so a lane
    loads whatever a failing entry holds (any opcode, length, address, algorithm and key
    length) before the abort: every field lands where the ABI says, the abort drops the key
    and HMAC states, no result and no DMA command comes out, and the next request is right."""
    b = await start(dut, seed=8)
    rng = random.Random(8)
    good = Context(cipher_alg=abi.CIPHER_ALG_AES_CTR, key=rng.randbytes(24), hash_alg=abi.HASH_ALG_SHA_224,
                   digest_len=28, chain_order=abi.CHAIN_ORDER_CIPHER_THEN_HASH, hmac_key=rng.randbytes(30))

    def field(raw: bytes, fields: dict, name: str) -> int:
        off, n = fields[name]
        return int.from_bytes(raw[off:off + n], "little")
    for i in range(24):
        sqe, ctx = ((b"\xff" * 64, b"\xff" * abi.CTX_BYTES) if i == 0 else (bytes(64), bytes(abi.CTX_BYTES)) if i == 1
                    else (rng.randbytes(64), rng.randbytes(abi.CTX_BYTES)))
        if i >= 2 and i % 2:        # a cipher or chain entry whose length failed (over 1 MiB, or not whole blocks)
            sqe = bytes([rng.choice((abi.OPCODE_CIPHER, abi.OPCODE_CHAIN))]) + sqe[1:]
        q = rng.randrange(16)
        b.rd_cmds, b.wr_cmds = [], []
        await b.load(sqe, ctx, q)
        await ReadOnly()
        for name, sig in (("opcode", "opcode_q"), ("src_len", "src_len_q"), ("cookie", "cookie_q"),
                          ("src_addr", "src_addr_q"), ("dst_addr", "dst_addr_q"), ("digest_addr", "dig_addr_q")):
            assert int(getattr(dut, sig).value) == field(sqe, abi.SQE_FIELDS, name), name
        assert int(dut.iv_q.value) == int.from_bytes(sqe[48:64], "big")
        for name, sig in (("cipher_alg", "cipher_alg_q"), ("cipher_dir", "cipher_dir_q"), ("key_len", "key_len_q"),
                          ("hash_alg", "hash_alg_q"), ("digest_len", "digest_len_q"), ("chain_order", "chain_q")):
            assert int(getattr(dut, sig).value) == field(ctx, abi.CTX_FIELDS, name), name
        k = key_regs(dut)
        assert (k["key_q"], k["inner_q"], k["outer_q"]) == tuple(
            int.from_bytes(ctx[o:o + n], "big") for o, n in (abi.CTX_FIELDS[f] for f in ("key", "inner_state", "outer_state")))
        await b.pulse(dut.abort_i)
        await ClockCycles(dut.clk_i, 3)
        k = key_regs(dut)
        assert k["key_q"] == k["inner_q"] == k["outer_q"] == 0 and dut.idle_o.value
        assert not b.results and not b.rd_cmds and not b.wr_cmds
        if i % 4 == 3:
            await b.request(good, abi.OPCODE_CHAIN, rng.randbytes(rng.randint(0, 200)), rng.randbytes(16), q=q)
            b.results.clear()


@cocotb.test()
async def a_source_over_64_kib(dut):
    """A 70,000-byte source (length bit 16) through AES-CTR then HMAC-SHA-256, ending at the
    last byte of the 64-bit space, no stalls; output and digest checked."""
    b = await start(dut, seed=9, stall=0.0)
    rng = random.Random(9)
    ctx = Context(cipher_alg=abi.CIPHER_ALG_AES_CTR, key=rng.randbytes(32), hash_alg=abi.HASH_ALG_SHA_256,
                  digest_len=32, chain_order=abi.CHAIN_ORDER_CIPHER_THEN_HASH, hmac_key=rng.randbytes(64))
    n = 70_000
    await b.request(ctx, abi.OPCODE_CHAIN, rng.randbytes(n), rng.randbytes(16),
                    addrs=(TOP - n, 0x7_0000_0000_0000 + 0x2_0000, 0x8000))


@cocotb.test()
async def a_request_right_after_reset(dut):
    """A cipher request loaded and started as soon as the lane is idle after reset, while the
    AES engine still wipes its round-key memory (block RAM keeps its contents through a reset):
    the lane waits in its configuration state until the engine takes the key, and the result
    is right."""
    b = await start(dut, seed=10, stall=0.0, settle=False)
    rng = random.Random(10)
    in_cfg = 0

    async def watch():
        nonlocal in_cfg
        while True:
            await RisingEdge(dut.clk_i)
            await ReadOnly()
            if int(dut.state_q.value) == 1:      # L_CFG
                in_cfg += 1
    w = cocotb.start_soon(watch())
    ctx = Context(cipher_alg=abi.CIPHER_ALG_AES_CBC, key=rng.randbytes(16))
    assert dut.u_aes.wipe_busy_o.value, "the post-reset wipe is over: the test tests nothing"
    await b.request(ctx, abi.OPCODE_CIPHER, rng.randbytes(64), rng.randbytes(16))
    w.cancel()
    assert in_cfg >= 2, in_cfg


@cocotb.test()
async def xts_stealing_in_every_chain_order_and_direction(dut):
    """XTS with ciphertext stealing (every tail 1..15 bytes) alone and chained with HMAC in both
    orders, both directions, back to back with other modes: the engine's two results for the
    partial block are the last of the request (regression: an XTS chain left a beat behind)."""
    b = await start(dut, seed=9)
    rng = random.Random(9)
    for i in range(32):
        op = (abi.OPCODE_CIPHER, abi.OPCODE_CHAIN)[i % 2]
        ctx = Context(cipher_alg=abi.CIPHER_ALG_AES_XTS, decrypt=rng.random() < 0.5, key=rng.randbytes(rng.choice((32, 64))),
                      hash_alg=abi.HASH_ALG_SHA_224 if op == abi.OPCODE_CHAIN else abi.HASH_ALG_NONE,
                      digest_len=5 if op == abi.OPCODE_CHAIN else 0, hmac_key=rng.randbytes(20),
                      chain_order=rng.choice((abi.CHAIN_ORDER_CIPHER_THEN_HASH, abi.CHAIN_ORDER_HASH_THEN_CIPHER)))
        n = 16 * rng.randint(1, 20) + 1 + i % 15
        dut._log.info("XTS %s %s key %d order %d len %d", "dec" if ctx.decrypt else "enc", op, len(ctx.key), ctx.chain_order, n)
        await b.request(ctx, op, rng.randbytes(n), rng.randbytes(16),
                        align=(rng.randrange(16), rng.randrange(16), rng.randrange(16)))
        await b.request(Context(cipher_alg=abi.CIPHER_ALG_AES_ECB, key=rng.randbytes(16)), abi.OPCODE_CIPHER,
                        rng.randbytes(32), bytes(16))


@cocotb.test()
async def aead_gcm_both_directions_and_forged_tags(dut):
    """AES-GCM through the lane: every key size and tag length, AAD and text of 0 to 100 bytes,
    encryption, then decryption of its output (plaintext back), then a forged tag or AAD
    (BADMSG, nothing counted as written); cipher requests in between change the cached key, so
    H is recomputed exactly when the key in the engine is not GCM's."""
    b = await start(dut, seed=11)
    rng = random.Random(11)
    keys = {n: rng.randbytes(n) for n in (16, 24, 32)}
    for i in range(24):
        key = keys[rng.choice((16, 24, 32))]
        tag_len = GCM_TAG_LENGTHS[i % len(GCM_TAG_LENGTHS)]
        aad = rng.randbytes(rng.choice((0, 1, 15, 16, 17, 40)))
        text = rng.randbytes(rng.choice((0, 1, 15, 16, 33, 100)))
        iv = rng.randbytes(12)
        enc = Context(cipher_alg=abi.CIPHER_ALG_AES_GCM, key=key, digest_len=tag_len)
        dec = Context(cipher_alg=abi.CIPHER_ALG_AES_GCM, key=key, digest_len=tag_len, decrypt=True)
        align = (rng.randrange(16), rng.randrange(16), rng.randrange(16))
        await b.request(enc, abi.OPCODE_AEAD, text, iv + bytes(4), q=i % 16, align=align, aad=aad)
        sealed = run_request(enc, abi.OPCODE_AEAD, iv, text, aad)
        r, _ = await b.request(dec, abi.OPCODE_AEAD, sealed.dst, iv, align=align, aad=aad, tag=sealed.digest)
        assert r.status == abi.STATUS_OK
        forged = bytearray(sealed.digest)
        forged[rng.randrange(tag_len)] ^= 1 << rng.randrange(8)
        r, _ = await b.request(dec, abi.OPCODE_AEAD, sealed.dst, iv, aad=aad, tag=bytes(forged))
        assert (r.status, r.bytes_written) == (abi.STATUS_BADMSG, 0)
        if aad:
            r, _ = await b.request(dec, abi.OPCODE_AEAD, sealed.dst, iv, aad=bytes([aad[0] ^ 0x80]) + aad[1:],
                                   tag=sealed.digest)
            assert r.status == abi.STATUS_BADMSG
        if i % 3 == 0:          # a cipher request: the same key (H stays valid) or another
            k = key if rng.random() < 0.5 else rng.randbytes(len(key))
            await b.request(Context(cipher_alg=abi.CIPHER_ALG_AES_CTR, key=k), abi.OPCODE_CIPHER,
                            rng.randbytes(40), rng.randbytes(16))


@cocotb.test()
async def aead_gcm_throughput_and_wipe(dut):
    """A 4 KiB AES-128-GCM request without stalls: clocks per 16-byte block against the same
    request in CTR (GHASH must hide behind the rounds); a wipe clears H with the round keys."""
    b = await start(dut, seed=12, stall=0.0)
    rng = random.Random(12)
    key, iv, text = rng.randbytes(16), rng.randbytes(12), rng.randbytes(4096)
    gcm = Context(cipher_alg=abi.CIPHER_ALG_AES_GCM, key=key, digest_len=16)
    await b.request(gcm, abi.OPCODE_AEAD, text, iv, aad=rng.randbytes(16))     # key and H loaded
    _, t_gcm = await b.request(gcm, abi.OPCODE_AEAD, text, iv, aad=rng.randbytes(16))
    ctr = Context(cipher_alg=abi.CIPHER_ALG_AES_CTR, key=key)
    _, t_ctr = await b.request(ctr, abi.OPCODE_CIPHER, text, rng.randbytes(16))
    _, t_ctr = await b.request(ctr, abi.OPCODE_CIPHER, text, rng.randbytes(16))
    dut._log.info("4 KiB: GCM %d clocks (%.2f per block), CTR %d clocks (%.2f per block), ratio %.3f",
                  t_gcm, t_gcm / 256, t_ctr, t_ctr / 256, t_gcm / t_ctr)
    assert t_gcm / 256 < 12, t_gcm
    await b.request(gcm, abi.OPCODE_AEAD, text, iv, aad=b"")        # H for this key again
    assert key_regs(dut)["gcm_h"] and dut.keys_held_o.value
    await b.pulse(dut.wipe_i)
    await b.idle()
    k = key_regs(dut)
    assert not any(k.values()) and not dut.keys_held_o.value, k
    await b.request(gcm, abi.OPCODE_AEAD, rng.randbytes(100), iv, aad=rng.randbytes(20))
