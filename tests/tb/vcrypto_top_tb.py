"""cocotb testbench for rtl/top/vcrypto_top.sv: the accelerator with host memory modelled by
cocotbext-axi (AxiRam on the DMA master, AxilMaster on the registers) and the project's one
ring driver (bridge.rings, also behind the accelerator client and the stepped model), its
register writes performed over AXI4-Lite. Every result is checked byte for byte
against bridge.accel_model (the `cryptography` package), and every byte of host memory
outside the buffers a request may write is checked to be untouched.
"""
from __future__ import annotations

import json
import logging
import os
import random
from dataclasses import dataclass, field

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, RisingEdge, with_timeout
from cocotb.utils import get_sim_time
from cocotbext.axi import AxiBus, AxiLiteBus, AxiLiteMaster, AxiRam

from bridge import abi
from bridge.accel_abi import Completion, Context, aead_stream, decode_cqe, encode_sqe
from bridge.accel_model import Outcome, run_request
from bridge.rings import RingDriver, RingPair
from bridge.algorithms import CIPHER_BY_ABI, HASH_BY_ABI
from tb.host_memory import inject_failures
from tb.lane_requests import CIPHERS, HASHES, fit_length, lane_snapshot, random_aead, random_ctx

MEM = 4 << 20
SQ_BASE, CQ_BASE, CTX_BASE, ARENA = 0x0000, 0x8000, 0x10000, 0x20000
# contexts 144 bytes apart: 16-byte aligned as the ABI asks, at every 16-byte offset in a line
CTX_STRIDE = abi.CTX_BYTES + 16
DIGEST_MAX = max(h.digest_len for h in HASH_BY_ABI.values())   # a digest slot
CTX_SLOTS = (ARENA - CTX_BASE) // CTX_STRIDE
CLK_NS = 10


@dataclass
class Req:
    q: int
    session: Context
    opcode: int
    iv: bytes
    src: bytes
    align: tuple[int, int, int] = (0, 0, 0)       # src, dst, digest byte offsets
    aad: bytes = b""                             # AEAD: the AAD and (decrypting) the expected tag
    tag: bytes = b""
    cookie: int = 0
    expect_override: Outcome | None = None       # when the SQE will be corrupted on purpose
    ctx_patch: dict[str, int] = field(default_factory=dict)   # context fields overwritten as placed
    sqe_patch: dict[str, int] = field(default_factory=dict)   # submission fields overwritten as placed
    # filled in by the driver
    src_addr: int = 0
    dst_addr: int = 0
    dig_addr: int = 0
    ctx_addr: int = 0
    expect: Outcome | None = None
    done: Completion | None = None
    poisoned: bool = False


def _patch(raw: bytes, fields: dict[str, tuple[int, int]], patch: dict[str, int]) -> bytes:
    out = bytearray(raw)
    for name, value in patch.items():
        off, n = fields[name]
        out[off:off + n] = value.to_bytes(n, "little")
    return bytes(out)


class Host:
    """Host memory + the driver side of the rings.

    `ram` holds MEM bytes; the device sees byte `a` of it at DMA address dev_base + a
    (dev_base a multiple of MEM: AxiRam takes addresses modulo its size), so the same test
    can run with its rings and buffers anywhere in the 64-bit address space. Addresses kept
    here (ring bases, Req.src_addr, poison, arena) are offsets into `ram`; the window is in
    DMA addresses."""

    def __init__(self, dut, pause: bool = False, seed: int = 0, dev_base: int = 0):
        self.dut = dut
        self.rng = random.Random(seed)
        self.ram = AxiRam(AxiBus.from_prefix(dut, "m_axi"), dut.clk_i, dut.rst_ni, reset_active_level=False, size=MEM)
        self.axil = AxiLiteMaster(AxiLiteBus.from_prefix(dut, "s_axil"), dut.clk_i, dut.rst_ni, reset_active_level=False)
        # cocotbext-axi logs every burst at INFO: megabytes of output and time in long runs
        for bus in ("m_axi", "s_axil"):
            logging.getLogger(f"cocotb.{dut._name}.{bus}").setLevel(logging.WARNING)
        self.rings: RingDriver | None = None
        self.queues: list[RingPair] = []          # the ring driver's pairs (tail, head, phase, inflight)
        self.dev_base = dev_base
        self.sq_base = [SQ_BASE + q * 0x2000 for q in range(abi.DEV_NUM_QUEUES)]
        self.cq_base = [CQ_BASE + q * 0x2000 for q in range(abi.DEV_NUM_QUEUES)]
        self.arena = (ARENA, MEM)
        self.ctx_next = 0                                 # contexts rotate through every slot
        # cookies: distinct random 64-bit values (the device must carry all 64 bits back)
        cookie_rng, seen = random.Random(seed + 0xC00C1E), set()

        def cookies():
            while True:
                c = cookie_rng.getrandbits(64)
                if c and c not in seen:
                    seen.add(c)
                    yield c
        self.cookies = cookies()
        self.win = (0, MEM)
        self.writes_outside: list[tuple[int, int]] = []
        self.poison: tuple[int, int] | None = None       # (start, end): AXI SLVERR there
        self.poisons: list[tuple[int, int]] = []         # more such ranges
        self._hook_memory()
        if pause:
            self.set_pauses(0.3)

    def _hook_memory(self) -> None:
        def record_outside(address: int, n: int) -> None:
            lo, size = self.win
            if not (lo <= address and address + n <= lo + size):
                self.writes_outside.append((address, n))
        def failing(a: int) -> bool:
            a %= MEM
            return any(lo <= a < hi for lo, hi in ([self.poison] if self.poison else []) + self.poisons)
        inject_failures(self.ram, failing, on_write=record_outside)

    def set_pauses(self, p: float) -> None:
        def gen():
            rng = random.Random(self.rng.random())
            while True:
                yield rng.random() < p
        for ch in (self.ram.write_if.aw_channel, self.ram.write_if.w_channel, self.ram.write_if.b_channel,
                   self.ram.read_if.ar_channel, self.ram.read_if.r_channel):
            ch.set_pause_generator(gen() if p else None)

    async def csr_w(self, addr: int, val: int) -> None:
        await self.axil.write_dword(addr, val)

    async def csr_r(self, addr: int) -> int:
        return await self.axil.read_dword(addr)

    async def init(self, sq_log2: int | list[int] = 6, cq_log2: int | list[int] = 6, win: tuple[int, int] = (0, MEM),
                   sq_bases: list[int] | None = None, cq_bases: list[int] | None = None,
                   arena: tuple[int, int] = (ARENA, MEM)) -> None:
        """Program the window and every queue (ring bases: offsets into ram, default
        SQ_BASE/CQ_BASE + q * 0x2000) and enable the device. Also re-programs an idle device."""
        nq = abi.DEV_NUM_QUEUES
        sq_l = sq_log2 if isinstance(sq_log2, list) else [sq_log2] * nq
        cq_l = cq_log2 if isinstance(cq_log2, list) else [cq_log2] * nq
        self.sq_base = sq_bases or [SQ_BASE + q * 0x2000 for q in range(nq)]
        self.cq_base = cq_bases or [CQ_BASE + q * 0x2000 for q in range(nq)]
        self.arena = arena
        spans = sorted([(self.sq_base[q], 64 << sq_l[q]) for q in range(nq)]
                       + [(self.cq_base[q], 16 << cq_l[q]) for q in range(nq)]
                       + [(CTX_BASE, CTX_SLOTS * CTX_STRIDE), (arena[0], arena[1] - arena[0])])
        for (a, n), (b, _) in zip(spans, spans[1:]):
            assert a + n <= b <= MEM, f"layout overlaps: 0x{a:x}+0x{n:x} > 0x{b:x}"
        self.win = win
        self.rings = RingDriver(self.ram, [RingPair(self.sq_base[q], self.cq_base[q], sq_l[q], cq_l[q])
                                           for q in range(nq)], self.dev_base)
        self.queues = self.rings.pairs
        for addr, value in self.rings.setup(*win):
            await self.csr_w(addr, value)

    def space(self, q: int) -> int:
        return self.rings.space(q)

    def place(self, reqs: list[Req]) -> None:
        """Lay out a batch in the arena (with random alignment), fill everything else with a
        pattern, write contexts and sources, and queue the submission entries."""
        lo, hi = self.arena
        pattern = self.rng.randbytes(hi - lo)
        self.ram.write(lo, pattern)
        self.image = bytearray(pattern)          # what the arena must hold afterwards
        self.mutable: list[tuple[int, int]] = []  # ranges a failed request may have touched
        cur = lo
        assert len(reqs) <= CTX_SLOTS
        for r in reqs:
            s_al, d_al, g_al = r.align
            r.cookie = next(self.cookies)
            r.expect = r.expect_override or run_request(r.session, r.opcode, r.iv, r.src, r.aad, r.tag)
            stream = (aead_stream(r.aad, r.src, r.tag if r.session.decrypt else b"")
                      if r.opcode == abi.OPCODE_AEAD else r.src)
            ctx_addr = r.ctx_addr = CTX_BASE + (self.ctx_next % CTX_SLOTS) * CTX_STRIDE
            self.ctx_next += 1
            self.ram.write(ctx_addr, _patch(r.session.context(), abi.CTX_FIELDS, r.ctx_patch))
            r.src_addr = cur + s_al
            cur = (r.src_addr + len(stream) + 63) & ~63
            r.dst_addr = cur + d_al
            cur = (r.dst_addr + len(r.src) + 63) & ~63
            r.dig_addr = cur + g_al
            cur = (r.dig_addr + DIGEST_MAX + 63) & ~63
            assert cur <= hi, "batch does not fit the arena"
            self.ram.write(r.src_addr, stream)
            self.image[r.src_addr - lo:r.src_addr - lo + len(stream)] = stream
            if r.expect.status == abi.STATUS_OK and not r.poisoned:
                for addr, data in ((r.dst_addr, r.expect.dst), (r.dig_addr, r.expect.digest)):
                    self.image[addr - lo:addr - lo + len(data)] = data
            elif r.poisoned:
                self.mutable += [(r.dst_addr, len(r.src)), (r.dig_addr, DIGEST_MAX)]
            elif r.expect.status == abi.STATUS_BADMSG:     # the plaintext streamed out before the check
                self.mutable.append((r.dst_addr, len(r.src)))
            d = self.dev_base
            sqe = encode_sqe(r.opcode, r.cookie, d + ctx_addr, d + r.src_addr, len(r.src), d + r.dst_addr,
                             d + r.dig_addr, r.iv, len(r.aad))
            self.rings.post(r.q, _patch(sqe, abi.SQE_FIELDS, r.sqe_patch), r.cookie, r)

    async def doorbells(self) -> None:
        for q in range(len(self.queues)):
            await self.csr_w(*self.rings.doorbell(q))

    async def reap(self, update_head: bool = True) -> list[Req]:
        done = []
        for q in range(len(self.queues)):
            got, head_write = self.rings.reap(q)       # RingError: wrong ring or unknown cookie
            for c, r in got:
                r.done = c
                done.append(r)
            if head_write and update_head:
                await self.csr_w(*head_write)
        return done

    def outstanding(self) -> int:
        return self.rings.outstanding()

    async def ring_and_wait(self, max_cycles: int) -> None:
        """Ring every doorbell, then reap until nothing is outstanding (at most max_cycles)."""
        await self.doorbells()
        waited = 0
        while self.outstanding():
            await ClockCycles(self.dut.clk_i, 64)
            waited += 64
            await self.reap()
            if waited >= max_cycles:
                stuck = [r for p in self.queues for r in p.inflight.values()][:4]
                raise AssertionError(f"{self.outstanding()} requests never completed, e.g. " + "; ".join(
                    f"op {r.opcode} cipher {r.session.cipher_alg} key {len(r.session.key)} hash {r.session.hash_alg} "
                    f"len {len(r.src)}" for r in stuck if isinstance(r, Req)) + " | lane 0: " + lane_snapshot(self.dut.u_engine.g_lane[0].u_lane))

    async def run(self, reqs: list[Req], max_cycles: int) -> None:
        self.place(reqs)
        await self.ring_and_wait(max_cycles)
        self.check(reqs)

    def check(self, reqs: list[Req]) -> None:
        for r in reqs:
            c, e = r.done, r.expect
            what = f"cookie {r.cookie} op {r.opcode} len {len(r.src)} align {r.align}"
            if r.poisoned:
                assert c.status == abi.STATUS_ERR and c.error_detail == abi.ERROR_DETAIL_AXI_ERROR, what
                continue
            assert (c.status, c.error_detail) == (e.status, e.error_detail), f"{what}: got {c}, want {e}"
            assert c.bytes_written == e.bytes_written, what
            if e.status == abi.STATUS_OK:
                assert self.ram.read(r.dst_addr, len(e.dst)) == e.dst, f"{what}: dst"
                assert self.ram.read(r.dig_addr, len(e.digest)) == e.digest, f"{what}: digest"
        lo, hi = self.arena
        got = bytearray(self.ram.read(lo, hi - lo))
        for addr, n in self.mutable:
            got[addr - lo:addr - lo + n] = self.image[addr - lo:addr - lo + n]
        if got != self.image:
            bad = next(i for i in range(len(got)) if got[i] != self.image[i])
            raise AssertionError(f"host memory changed outside the requests' buffers at 0x{lo + bad:x}")
        assert not self.writes_outside, f"writes outside the DMA window: {self.writes_outside[:4]}"


# ---------------------------------------------------------------- request generators
def random_length(rng: random.Random, s: Context, big: bool) -> int:
    n = rng.choice((rng.randint(0, 48), rng.randint(1, 300), rng.randint(1, 2000)))
    if big and rng.random() < 0.05:
        n = rng.randint(8192, 65536)
    return fit_length(s, n)


def random_request(rng: random.Random, big: bool = False) -> Req:
    opcode = rng.choice((abi.OPCODE_CIPHER, abi.OPCODE_CIPHER, abi.OPCODE_HASH, abi.OPCODE_MAC, abi.OPCODE_CHAIN,
                         abi.OPCODE_AEAD))
    if opcode == abi.OPCODE_AEAD:
        s, iv, text, aad, tag = random_aead(rng, random_length(rng, Context(), big))
        return Req(q=rng.randrange(abi.DEV_NUM_QUEUES), session=s, opcode=opcode, iv=iv, src=text, aad=aad, tag=tag,
                   align=(rng.randrange(16), rng.randrange(16), rng.randrange(16)))
    s = random_ctx(rng, opcode)
    src = rng.randbytes(random_length(rng, s, big))
    return Req(q=rng.randrange(abi.DEV_NUM_QUEUES), session=s, opcode=opcode, iv=rng.randbytes(16), src=src,
               align=(rng.randrange(16), rng.randrange(16), rng.randrange(16)))


async def start(dut, pause: bool = False, seed: int = 0, **init) -> Host:
    Clock(dut.clk_i, CLK_NS, unit="ns").start()
    dut.rst_ni.value = 0
    host = Host(dut, pause=pause, seed=seed)
    await ClockCycles(dut.clk_i, 4)
    dut.rst_ni.value = 1
    await ClockCycles(dut.clk_i, 2)
    await host.init(**init)
    return host


async def run_random(host: Host, rng: random.Random, total: int, batch: int, big: bool) -> int:
    done = 0
    while done < total:
        n = min(batch, total - done)
        reqs = [random_request(rng, big) for _ in range(n)]
        # respect each ring's free space
        per_q = {q: 0 for q in range(abi.DEV_NUM_QUEUES)}
        for r in reqs:
            while per_q[r.q] >= host.space(r.q):
                r.q = (r.q + 1) % abi.DEV_NUM_QUEUES
            per_q[r.q] += 1
        await host.run(reqs, max_cycles=200_000 + sum(len(r.src) for r in reqs) * 8)
        done += n
    return done


# ---------------------------------------------------------------- tests
@cocotb.test()
async def registers_identify_the_device(dut):
    host = await start(dut)
    assert await host.csr_r(abi.CSR_ID) == abi.DEV_ID
    assert await host.csr_r(abi.CSR_VERSION) == (abi.DEV_VERSION_MAJOR << 16) | abi.DEV_VERSION_MINOR
    caps = await host.csr_r(abi.CSR_CAPS)
    assert caps == sum(1 << v for k, v in vars(abi).items() if k.startswith("CAPS_") and isinstance(v, int))   # all of the ABI
    geo = await host.csr_r(abi.CSR_GEOMETRY)
    assert geo & 0xFF == abi.DEV_NUM_QUEUES and (geo >> 8) & 0xFF == abi.DEV_MAX_RING_LOG2
    assert await host.csr_r(abi.qcsr(2, abi.QCSR_SQ_SIZE_LOG2)) == 6
    assert await host.csr_r(abi.CSR_STATUS) & 1 == 1
    lo = await host.csr_r(abi.CSR_CYCLES_LO)
    await ClockCycles(dut.clk_i, 100)
    assert (await host.csr_r(abi.CSR_CYCLES_LO)) - lo >= 100


@cocotb.test()
async def every_operation_directed(dut):
    """One request of every op / algorithm / key size / direction / chain order."""
    host = await start(dut, seed=1)
    rng = random.Random(1)
    reqs = []
    for cipher in CIPHERS:
        for klen in CIPHER_BY_ABI[cipher].key_lengths:
            for dec in (False, True):
                s = Context(cipher_alg=cipher, decrypt=dec, key=rng.randbytes(klen))
                n = {abi.CIPHER_ALG_AES_CTR: 61, abi.CIPHER_ALG_AES_XTS: 71}.get(cipher, 64)
                reqs.append(Req(0, s, abi.OPCODE_CIPHER, rng.randbytes(16), rng.randbytes(n)))
    for h in HASHES:
        d = HASH_BY_ABI[h].digest_len
        for n in (0, 3, 55, 56, 64, 112, 119, 1000):
            reqs.append(Req(1, Context(hash_alg=h, digest_len=d), abi.OPCODE_HASH, b"", rng.randbytes(n)))
            reqs.append(Req(2, Context(hash_alg=h, digest_len=d, hmac_key=rng.randbytes(32)), abi.OPCODE_MAC,
                            b"", rng.randbytes(n)))
        for order in (abi.CHAIN_ORDER_CIPHER_THEN_HASH, abi.CHAIN_ORDER_HASH_THEN_CIPHER):
            for cipher, klen, n in ((abi.CIPHER_ALG_AES_CBC, 16, 256), (abi.CIPHER_ALG_AES_XTS, 32, 250)):
                s = Context(cipher_alg=cipher, key=rng.randbytes(klen), hash_alg=h, digest_len=d,
                            chain_order=order, hmac_key=rng.randbytes(64), decrypt=order == 2)
                reqs.append(Req(3, s, abi.OPCODE_CHAIN, rng.randbytes(16), rng.randbytes(n)))
    await host.run(reqs, 400_000)
    assert await host.csr_r(abi.CSR_REQ_DONE) == len(reqs)


@cocotb.test()
async def random_requests_all_queues(dut):
    """Thousands of seeded random requests (ops, key sizes, lengths 0..64 KiB, alignments)."""
    host = await start(dut, seed=2)
    total = await run_random(host, random.Random(2), int(os.environ.get("VCRYPTO_TOP_RANDOM", "2000")), 48, big=True)
    assert await host.csr_r(abi.CSR_REQ_DONE) == total
    dut._log.info("%d random requests verified", total)


@cocotb.test()
async def random_requests_with_axi_backpressure(dut):
    """Random pauses on all five AXI channels."""
    host = await start(dut, pause=True, seed=3)
    total = await run_random(host, random.Random(3), 400, 40, big=False)
    assert await host.csr_r(abi.CSR_REQ_DONE) == total


@cocotb.test()
async def ring_wrap_around_small_rings(dut):
    host = await start(dut, seed=4, sq_log2=2, cq_log2=2)
    rng = random.Random(4)
    for _ in range(12):                          # 12 x 3 entries through 4-entry rings
        reqs = [random_request(rng) for _ in range(3)]
        for r in reqs:
            r.q = 1
        await host.run(reqs, 200_000)
    # the completion entry lands in memory a few clocks before the tail register moves
    await ClockCycles(dut.clk_i, 10)
    assert await host.csr_r(abi.qcsr(1, abi.QCSR_CQ_TAIL)) == 36 % 4


@cocotb.test()
async def full_completion_ring_is_never_overrun(dut):
    """SQ 16 entries, CQ 4: with the host not reaping, exactly 3 completions are written,
    then the device waits; each CQ_HEAD update lets more through."""
    host = await start(dut, seed=5, sq_log2=4, cq_log2=2)
    rng = random.Random(5)
    reqs = []
    for _ in range(15):
        r = random_request(rng)
        r.q = 0
        r.src = r.src[:64]
        if r.session.cipher_alg != abi.CIPHER_ALG_AES_CTR:
            r.src = r.src[: len(r.src) // 16 * 16]
        reqs.append(r)
    host.place(reqs)
    await host.doorbells()
    await ClockCycles(dut.clk_i, 20_000)
    assert await host.csr_r(abi.qcsr(0, abi.QCSR_CQ_TAIL)) == 3
    assert await host.csr_r(abi.CSR_REQ_DONE) == 3
    assert await host.csr_r(abi.qcsr(0, abi.QCSR_SQ_HEAD)) == 3
    waited = 0
    while host.outstanding():
        await host.reap()
        await ClockCycles(dut.clk_i, 2_000)
        waited += 1
        assert waited < 200
    host.check(reqs)


@cocotb.test()
async def malformed_requests_get_statuses(dut):
    """Unknown opcode, unsupported algorithm, bad lengths, out-of-window addresses."""
    host = await start(dut, seed=6, win=(0, MEM - 0x10000))   # last 64 KiB outside the window
    rng = random.Random(6)
    good = Context(cipher_alg=abi.CIPHER_ALG_AES_CBC, key=rng.randbytes(16))
    reqs = [
        Req(0, good, 0x7F, rng.randbytes(16), rng.randbytes(32)),                             # opcode
        Req(0, Context(cipher_alg=9, key=bytes(16)), abi.OPCODE_CIPHER, b"", bytes(16)),       # algorithm
        Req(0, Context(hash_alg=7, digest_len=8), abi.OPCODE_HASH, b"", bytes(16)),
        Req(0, Context(cipher_alg=2, key=bytes(16), hash_alg=2, digest_len=32, chain_order=9,
                       hmac_key=b"k"), abi.OPCODE_CHAIN, b"", bytes(16)),
        Req(1, good, abi.OPCODE_CIPHER, rng.randbytes(16), rng.randbytes(33)),                 # CBC length
        Req(1, Context(cipher_alg=1, key=bytes(20)), abi.OPCODE_CIPHER, b"", bytes(16)),       # key length
        Req(1, Context(hash_alg=1, digest_len=29), abi.OPCODE_HASH, b"", bytes(16)),           # digest length
        Req(1, Context(hash_alg=2, digest_len=0), abi.OPCODE_HASH, b"", bytes(16)),
        Req(2, good, abi.OPCODE_CIPHER, rng.randbytes(16), rng.randbytes(64)),                 # good one between
    ]
    await host.run(reqs, 100_000)
    assert await host.csr_r(abi.CSR_ERR_NOTSUPP) == 4
    assert await host.csr_r(abi.CSR_ERR_LENGTH) == 4
    # addresses outside the window (the last 64 KiB): dst, src, digest, context. Each request
    # is laid out normally, then its submission entry is re-pointed outside the window.
    out = MEM - 0x8000
    hashed = Context(hash_alg=abi.HASH_ALG_SHA_256, digest_len=32)
    refused = Outcome(abi.STATUS_ERR, abi.ERROR_DETAIL_OUT_OF_WINDOW)
    bad = {"dst_addr": Req(0, good, abi.OPCODE_CIPHER, bytes(16), bytes(32), expect_override=refused),
           "src_addr": Req(1, good, abi.OPCODE_CIPHER, bytes(16), bytes(32), expect_override=refused),
           "digest_addr": Req(2, hashed, abi.OPCODE_HASH, b"", bytes(40), expect_override=refused),
           "ctx_addr": Req(3, good, abi.OPCODE_CIPHER, bytes(16), bytes(16), expect_override=refused)}
    ok = Req(3, good, abi.OPCODE_CIPHER, bytes(16), bytes(48))
    for field_name, r in bad.items():
        host.place([r])
        qs = host.queues[r.q]
        slot = host.sq_base[r.q] + ((qs.tail - 1) % (1 << qs.sq_log2)) * 64
        off, n = abi.SQE_FIELDS[field_name]
        host.ram.write(slot + off, (out + 0x100).to_bytes(n, "little"))
        await host.doorbells()
        while host.outstanding():
            await ClockCycles(dut.clk_i, 64)
            await host.reap()
        host.check([r])
    await host.run([ok], 100_000)
    # host.check() compared the whole arena (window and beyond) and found no write outside
    assert not host.writes_outside
    assert await host.csr_r(abi.CSR_ERR_WINDOW) == 4


@cocotb.test()
async def aead_fields_are_checked(dut):
    """Every AEAD field the fetch checks (firmware/ABI.md "AEAD"): the algorithm both ways, the
    tag and key lengths, an AAD over the limit, a source stream (not just its text) or an
    encryption's tag leaving the window; a decryption writes no tag, so its digest address is
    not checked. Then AEAD among every other operation on all queues."""
    end = MEM - 0x10000
    host = await start(dut, seed=13, win=(0, end))
    rng = random.Random(13)
    key, iv = rng.randbytes(16), rng.randbytes(12)
    gcm = Context(cipher_alg=abi.CIPHER_ALG_AES_GCM, key=key, digest_len=16)
    text, aad = rng.randbytes(50), rng.randbytes(20)
    sealed = run_request(gcm, abi.OPCODE_AEAD, iv, text, aad)
    gdec = Context(cipher_alg=abi.CIPHER_ALG_AES_GCM, key=key, digest_len=16, decrypt=True)
    err_len = Outcome(abi.STATUS_ERR, abi.ERROR_DETAIL_BAD_LENGTH)
    refused = Outcome(abi.STATUS_ERR, abi.ERROR_DETAIL_OUT_OF_WINDOW)
    reqs = [
        Req(0, Context(cipher_alg=abi.CIPHER_ALG_AES_CTR, key=key, digest_len=16), abi.OPCODE_AEAD, iv, bytes(16)),
        Req(0, gcm, abi.OPCODE_CIPHER, bytes(16), bytes(16)),                        # GCM is AEAD only
        Req(1, Context(cipher_alg=abi.CIPHER_ALG_AES_GCM, key=key, digest_len=5), abi.OPCODE_AEAD, iv, bytes(16)),
        Req(1, Context(cipher_alg=abi.CIPHER_ALG_AES_GCM, key=bytes(20), digest_len=16), abi.OPCODE_AEAD, iv, b""),
        Req(1, gcm, abi.OPCODE_AEAD, iv, bytes(16), sqe_patch={"aad_len": abi.DEV_MAX_REQUEST_BYTES + 1},
            expect_override=err_len),
        Req(2, gcm, abi.OPCODE_AEAD, iv, b"", aad=bytes(32), sqe_patch={"src_addr": end - 16},
            expect_override=refused),
        Req(2, gcm, abi.OPCODE_AEAD, iv, rng.randbytes(40), sqe_patch={"digest_addr": end - 8},
            expect_override=refused),
        Req(3, gdec, abi.OPCODE_AEAD, iv, sealed.dst, aad=aad, tag=sealed.digest, sqe_patch={"digest_addr": end + 0x100}),
        Req(3, gdec, abi.OPCODE_AEAD, iv, sealed.dst, aad=aad[1:], tag=sealed.digest),   # BADMSG
        Req(3, gcm, abi.OPCODE_AEAD, iv, rng.randbytes(100), aad=rng.randbytes(20)),
    ]
    await host.run(reqs, 200_000)
    assert [r.done.status for r in reqs[-3:]] == [abi.STATUS_OK, abi.STATUS_BADMSG, abi.STATUS_OK]
    assert await host.csr_r(abi.CSR_ERR_NOTSUPP) == 2
    assert await host.csr_r(abi.CSR_ERR_LENGTH) == 3
    assert await host.csr_r(abi.CSR_ERR_WINDOW) == 2
    host.set_pauses(0.2)
    reqs = []
    while len(reqs) < 24:
        r = random_request(rng)
        if r.opcode == abi.OPCODE_AEAD or len(reqs) % 3 == 0:
            r.q = len(reqs) % abi.DEV_NUM_QUEUES
            reqs.append(r)
    await host.run(reqs, 400_000)


@cocotb.test()
async def axi_error_responses_become_err_completions(dut):
    """SLVERR on a source read or a destination write: that request completes with ERR,
    the error counter counts it, the next requests are fine."""
    host = await start(dut, seed=7)
    rng = random.Random(7)
    for victim in ("src", "dst"):
        reqs = [random_request(rng) for _ in range(6)]
        bad = Req(2, Context(cipher_alg=abi.CIPHER_ALG_AES_CTR, key=rng.randbytes(16)), abi.OPCODE_CIPHER,
                  rng.randbytes(16), rng.randbytes(500), poisoned=True)
        reqs.insert(3, bad)
        host.place(reqs)
        addr = bad.src_addr if victim == "src" else bad.dst_addr
        host.poison = (addr & ~15, addr + 256)
        await host.ring_and_wait(3000 * 64)
        host.poison = None
        host.check(reqs)
    assert await host.csr_r(abi.CSR_ERR_AXI) == 2


@cocotb.test()
async def axi_errors_on_every_lane_while_the_others_run(dut):
    """Every lane at work, with requests failing on their source read or their destination write
    among the others: each failing one completes with ERR / AXI_ERROR on whichever lane served
    it, the requests beside it are right, ERR_AXI counts each; a 96 KiB request in the same
    batch carries the byte counts past 16 bits."""
    host = await start(dut, seed=19)
    rng = random.Random(19)
    cbc = Context(cipher_alg=abi.CIPHER_ALG_AES_CBC, key=rng.randbytes(32))
    mac = Context(hash_alg=abi.HASH_ALG_SHA_256, digest_len=32, hmac_key=rng.randbytes(32))
    reqs = []
    for i in range(6 * LANES + 2):
        ctx, op = (cbc, abi.OPCODE_CIPHER) if i % 2 else (mac, abi.OPCODE_MAC)
        reqs.append(Req(i % 4, ctx, op, rng.randbytes(16), rng.randbytes(rng.choice((256, 1024, 3072))),
                        poisoned=i % 3 == 1))
    reqs.insert(2, Req(1, cbc, abi.OPCODE_CIPHER, rng.randbytes(16), rng.randbytes(96 << 10)))
    host.place(reqs)
    victims = [r for r in reqs if r.poisoned]
    for k, r in enumerate(victims):          # alternately the source read and the destination write
        a = r.src_addr if k % 2 else r.dst_addr
        host.poisons.append((a & ~15, (a & ~15) + 64))
    await host.ring_and_wait(6000 * 64)
    host.poisons = []
    host.check(reqs)
    assert await host.csr_r(abi.CSR_ERR_AXI) == len(victims)


@cocotb.test()
async def reset_while_busy_then_serve_again(dut):
    host = await start(dut, seed=8)
    rng = random.Random(8)
    reqs = [random_request(rng, big=False) for _ in range(20)]
    host.place(reqs)
    await host.doorbells()
    await ClockCycles(dut.clk_i, 1500)
    assert await host.csr_r(abi.CSR_STATUS) & 1 == 0, "expected the engine busy"
    dut.rst_ni.value = 0
    await ClockCycles(dut.clk_i, 3)
    dut.rst_ni.value = 1
    await ClockCycles(dut.clk_i, 3)
    assert await host.csr_r(abi.CSR_REQ_DONE) == 0
    assert await host.csr_r(abi.CSR_STATUS) & 1 == 1
    await host.init()
    await run_random(host, rng, 40, 40, big=False)


LANES = int(os.environ.get("VCRYPTO_PARAM_LANES", "1"))     # the top's LANES (sim.cocotb_run sets it)


def lanes(dut) -> list:
    return [dut.u_engine.g_lane[i].u_lane for i in range(LANES)]


def key_material(dut) -> dict[str, int]:
    """Every register that can hold key material, read through the simulator (the device has no
    port that reads them, on purpose), OR-ed over the lanes (round-key words summed)."""
    out = {name: 0 for name in ("key_q", "inner_q", "outer_q", "kc_key_q", "aes.st_q", "aes.chain_q", "aes.rk",
                                "key_expand.buf")}
    out["round_key_words"] = 0
    for ln in lanes(dut):
        for name in ("key_q", "inner_q", "outer_q", "kc_key_q"):
            out[name] |= int(getattr(ln, name).value)
        mem = ln.u_aes.u_key_mem
        out["round_key_words"] += sum(int(getattr(mem, f"bank{c}")[r].value) != 0 for c in range(4) for r in range(16))
        for name in ("st_q", "chain_q", "rk"):
            out["aes." + name] |= int(getattr(ln.u_aes, name).value)
        out["key_expand.buf"] |= sum(int(ln.u_aes.u_key_expand.buf_q[i].value) for i in range(8))
    return out


async def scrub(host: Host, limit: int = 2000) -> int:
    """Write SCRUB and wait for its count to move; returns the clocks it took (bounded)."""
    before = await host.csr_r(abi.CSR_SCRUB)
    t0 = get_sim_time("ns")
    await host.csr_w(abi.CSR_SCRUB, 1)
    for _ in range(limit // 16):
        if await host.csr_r(abi.CSR_SCRUB) == before + 1:
            return round((get_sim_time("ns") - t0) / CLK_NS)
        await ClockCycles(host.dut.clk_i, 16)
    raise AssertionError("the scrub never completed")


@cocotb.test()
async def keys_zeroed_after_requests_scrub_and_reset(dut):
    """Key hygiene in the RTL: the per-request key and HMAC registers clear when the request
    completes; SCRUB clears the key cache and the AES round keys (requests queued behind it are
    still right); reset leaves no key either."""
    host = await start(dut, seed=10)
    rng = random.Random(10)
    key, mac_key = rng.randbytes(32), rng.randbytes(40)
    cipher = Context(cipher_alg=abi.CIPHER_ALG_AES_CBC, key=key)
    mac = Context(hash_alg=abi.HASH_ALG_SHA_256, digest_len=32, hmac_key=mac_key)
    await host.run([Req(0, cipher, abi.OPCODE_CIPHER, rng.randbytes(16), rng.randbytes(256)),
                    Req(1, mac, abi.OPCODE_MAC, b"", rng.randbytes(300))], 100_000)
    k = key_material(dut)
    assert k["key_q"] == k["inner_q"] == k["outer_q"] == 0, "per-request key registers kept a key"
    # what SCRUB is for: the cached key and its schedule stay between requests (and the probes
    # see the real registers: the cache holds exactly the session's key)
    assert k["kc_key_q"] == int.from_bytes(key.ljust(abi.CTX_FIELDS["key"][1], b"\0"), "big")
    assert k["round_key_words"] > 0
    assert await host.csr_r(abi.CSR_STATUS) & 0b100, "KEYS_HELD should be set"
    clocks = await scrub(host)
    dut._log.info("scrub: %d clocks from the CSR write to the count moving", clocks)
    k = key_material(dut)
    assert not any(k.values()), f"key material left after SCRUB: {[n for n, v in k.items() if v]}"
    assert await host.csr_r(abi.CSR_STATUS) & 0b110 == 0
    # a scrub requested while requests are queued runs between two of them; all stay right
    reqs = [random_request(rng) for _ in range(12)]
    host.place(reqs)
    await host.doorbells()
    await ClockCycles(dut.clk_i, 200)
    await host.csr_w(abi.CSR_SCRUB, 1)
    waited = 0
    while host.outstanding():
        await ClockCycles(dut.clk_i, 64)
        waited += 64
        await host.reap()
        assert waited < 400_000, "requests stuck after a scrub"
    host.check(reqs)
    assert await host.csr_r(abi.CSR_SCRUB) == 2
    # reset: the round-key memory keeps its contents through reset, the post-reset wipe clears it
    await host.run([Req(0, cipher, abi.OPCODE_CIPHER, rng.randbytes(16), rng.randbytes(64))], 100_000)
    assert key_material(dut)["round_key_words"] > 0
    dut.rst_ni.value = 0
    await ClockCycles(dut.clk_i, 3)
    dut.rst_ni.value = 1
    await ClockCycles(dut.clk_i, 40)
    k = key_material(dut)
    assert not any(k.values()), f"key material left after reset: {[n for n, v in k.items() if v]}"


async def _one(host: Host, req: Req) -> int:
    """Cycles from the doorbell write to the completion interrupt, for one request."""
    host.place([req])
    q = req.q
    # an interrupt still pending from earlier requests would hide this one's rising edge
    await host.csr_w(abi.CSR_INT_STATUS, 0xF)
    assert not host.dut.irq_o.value, "interrupt pending before the request"
    await host.csr_w(abi.qcsr(q, abi.QCSR_SQ_TAIL), host.queues[q].tail)
    t0 = get_sim_time("ns")
    await with_timeout(RisingEdge(host.dut.irq_o), 1_000_000 * CLK_NS, "ns")
    t1 = get_sim_time("ns")
    await host.reap()
    await host.csr_w(abi.CSR_INT_STATUS, 0xF)
    host.check([req])
    return round((t1 - t0) / CLK_NS)


@cocotb.test()
async def per_request_cycle_counts(dut):
    """4 KiB requests: ring/DMA overhead and chaining cost against the engines' own rates; AES-GCM
    (16 bytes of AAD, a 16-byte tag) against CTR with the same key, each after one request that
    loads it (GCM: with H)."""
    host = await start(dut, seed=9)
    rng = random.Random(9)
    data = rng.randbytes(4096)
    key, mac_key = rng.randbytes(16), rng.randbytes(32)
    cbc = Context(cipher_alg=abi.CIPHER_ALG_AES_CBC, key=key)
    sha = Context(hash_alg=abi.HASH_ALG_SHA_256, digest_len=32)
    hmac = Context(hash_alg=abi.HASH_ALG_SHA_256, digest_len=32, hmac_key=mac_key)
    chain = Context(cipher_alg=abi.CIPHER_ALG_AES_CBC, key=key, hash_alg=abi.HASH_ALG_SHA_256, digest_len=32,
                    chain_order=abi.CHAIN_ORDER_CIPHER_THEN_HASH, hmac_key=mac_key)
    ctr = Context(cipher_alg=abi.CIPHER_ALG_AES_CTR, key=key)
    gcm = Context(cipher_alg=abi.CIPHER_ALG_AES_GCM, key=key, digest_len=16)
    aad = rng.randbytes(16)
    await _one(host, Req(0, gcm, abi.OPCODE_AEAD, bytes(12), data, aad=aad))   # loads the key and H
    gcm_clocks = await _one(host, Req(0, gcm, abi.OPCODE_AEAD, rng.randbytes(12), data, aad=aad))
    await _one(host, Req(0, cbc, abi.OPCODE_CIPHER, bytes(16), data))      # loads the key once
    res = {
        "aes128_ctr_4k_clocks_per_request": await _one(host, Req(0, ctr, abi.OPCODE_CIPHER, rng.randbytes(16), data)),
        "aes128_gcm_4k_clocks_per_request": gcm_clocks,
        "aes128_cbc_4k_cycles_per_request": await _one(host, Req(0, cbc, abi.OPCODE_CIPHER, bytes(16), data)),
        "sha256_4k_cycles_per_request": await _one(host, Req(1, sha, abi.OPCODE_HASH, b"", data)),
        "hmac_sha256_4k_cycles_per_request": await _one(host, Req(2, hmac, abi.OPCODE_MAC, b"", data)),
        "chain_aes128cbc_hmacsha256_4k_cycles_per_request":
            await _one(host, Req(3, chain, abi.OPCODE_CHAIN, bytes(16), data)),
    }
    for k, v in res.items():
        dut._log.info("%s = %d", k, v)
    assert res["aes128_cbc_4k_cycles_per_request"] <= 1.10 * 256 * 11
    assert res["sha256_4k_cycles_per_request"] <= 1.10 * 65 * 65
    assert res["chain_aes128cbc_hmacsha256_4k_cycles_per_request"] <= 1.15 * res["hmac_sha256_4k_cycles_per_request"]
    assert res["aes128_gcm_4k_clocks_per_request"] <= 1.05 * res["aes128_ctr_4k_clocks_per_request"]
    out = os.environ.get("VCRYPTO_BENCH_OUT")
    if out:
        with open(out, "w") as f:
            json.dump(res, f, indent=1)


# ---------------------------------------------------------------- corners the random traffic misses
# (found with `make coverage`, see rtl/coverage/README.md)
TOP = 1 << 64


def small_request(rng: random.Random, q: int, opcode: int) -> Req:
    """A short request of the given operation, any key size / algorithm / chain order, buffers
    at any byte offset within a 64-byte line."""
    s = random_ctx(rng, opcode)
    src = rng.randbytes(random_length(rng, s, big=False) % 400)
    if s.cipher_alg in (abi.CIPHER_ALG_AES_ECB, abi.CIPHER_ALG_AES_CBC):
        src = src[: len(src) // 16 * 16]
    return Req(q=q, session=s, opcode=opcode, iv=rng.randbytes(16), src=src,
               align=(rng.randrange(64), rng.randrange(64), rng.randrange(64)))


def mixed_batch(rng: random.Random) -> list[Req]:
    ops = (abi.OPCODE_CIPHER, abi.OPCODE_HASH, abi.OPCODE_MAC, abi.OPCODE_CHAIN)
    return [small_request(rng, q, op) for q in range(abi.DEV_NUM_QUEUES) for op in ops]


def ring_pattern_layout(pattern: int) -> tuple[list[int], list[int]]:
    """Ring bases whose address bits 21..6 (SQ) / 21..4 (CQ) follow `pattern` (0 or 1) so that
    the two patterns are each other's complement in every queue: going default -> 0 -> 1 ->
    default, every one of those bits of every base register rises and falls."""
    sq_pat = (0x15_5540, 0x2A_AA80)[pattern]     # ...0101 01|00 0000 / ...1010 10|00 0000
    cq_pat = (0x15_5550, 0x2A_AAA0)[pattern]
    return ([sq_pat ^ (q << 16) for q in range(abi.DEV_NUM_QUEUES)],
            [cq_pat ^ (q << 16) ^ (1 << 15) for q in range(abi.DEV_NUM_QUEUES)])


@cocotb.test()
async def addresses_across_the_64_bit_space(dut):
    """Rings, contexts and buffers at the very top of the 64-bit address space (the window
    ending at 2^64 exactly), a window covering everything, ring bases with every address bit
    set and cleared, ring sizes 2^9 and 2^6, 64-bit cookies: every request verified."""
    host = await start(dut, seed=10)
    rng = random.Random(10)
    top_base = TOP - MEM
    p0, p1 = ring_pattern_layout(0), ring_pattern_layout(1)
    phases = [
        dict(dev_base=top_base, win=(top_base - 1, MEM + 1)),       # window base 0xffff_ffff_ffbf_ffff
        dict(dev_base=top_base, win=(top_base, MEM)),               # ... and 0xffff_ffff_ffc0_0000
        dict(dev_base=0, win=(0, TOP - 1)),                         # window = all but the last byte
        dict(dev_base=0, win=(0, MEM), sq_bases=p0[0], cq_bases=p0[1], sq_log2=9, cq_log2=9,
             arena=(ARENA, 0x14_0000)),
        dict(dev_base=0, win=(0, MEM), sq_bases=p1[0], cq_bases=p1[1], arena=(ARENA, 0x28_0000)),
        dict(dev_base=0, win=(0, MEM)),                             # back to the defaults
    ]
    for ph in phases:
        host.dev_base = ph.pop("dev_base")
        await host.init(**ph)
        reqs = mixed_batch(rng)
        await host.run(reqs, 400_000)
        assert all(r.done.cookie == r.cookie for r in reqs)
    assert await host.csr_r(abi.CSR_REQ_DONE) == len(phases) * 16


async def _lone(host: Host, r: Req, poison: tuple[int, int]) -> tuple[bytes, bool]:
    """Submit one request with an AXI error injected on `poison` (offsets into ram), wait for
    the device to post it (CQ_TAIL moves), retire it by hand; returns the raw completion slot
    and whether the slot holds a new entry (its phase bit matches)."""
    q, qs = r.q, host.queues[r.q]
    host.place([r])
    host.poison = poison
    tail = await host.csr_r(abi.qcsr(q, abi.QCSR_CQ_TAIL))
    await host.csr_w(abi.qcsr(q, abi.QCSR_SQ_TAIL), qs.tail)
    for _ in range(300):
        await ClockCycles(host.dut.clk_i, 64)
        if await host.csr_r(abi.qcsr(q, abi.QCSR_CQ_TAIL)) != tail:
            break
    else:
        raise AssertionError("request never completed")
    host.poison = None
    raw = host.ram.read(host.cq_base[q] + qs.head * 16, 16)
    posted = decode_cqe(raw).phase == qs.phase
    qs.inflight.pop(r.cookie)
    qs.head = (qs.head + 1) % (1 << qs.cq_log2)
    if qs.head == 0:
        qs.phase ^= 1
    await host.csr_w(abi.qcsr(q, abi.QCSR_CQ_HEAD), qs.head)
    host.check([])                                  # nothing outside the request's buffers moved
    return raw, posted


@cocotb.test()
async def malformed_fields_and_axi_errors_on_rings_and_context(dut):
    """Field values far out of range (all-ones opcode/algorithms/lengths, a 1 MiB source whose
    destination leaves the window), and AXI errors on the submission entry, the context and
    the completion entry itself."""
    host = await start(dut, seed=11)
    rng = random.Random(11)
    cbc = Context(cipher_alg=abi.CIPHER_ALG_AES_CBC, key=rng.randbytes(16))
    sha = Context(hash_alg=abi.HASH_ALG_SHA_256, digest_len=32)
    err_len = Outcome(abi.STATUS_ERR, abi.ERROR_DETAIL_BAD_LENGTH)
    reqs = [
        Req(0, cbc, 0xFF, bytes(16), bytes(32)),                                               # opcode
        Req(0, Context(cipher_alg=0xFF, key=bytes(16)), abi.OPCODE_CIPHER, b"", bytes(16)),    # algorithms
        Req(0, Context(hash_alg=0xFF, digest_len=8), abi.OPCODE_MAC, b"", bytes(16)),
        Req(0, Context(cipher_alg=2, key=bytes(16), hash_alg=2, digest_len=32, chain_order=0xFF,
                       hmac_key=b"k"), abi.OPCODE_CHAIN, b"", bytes(16)),
        Req(1, cbc, abi.OPCODE_CIPHER, bytes(16), bytes(16), ctx_patch={"key_len": 0xFF},      # key length
            expect_override=err_len),
        Req(1, Context(hash_alg=abi.HASH_ALG_SHA_224, digest_len=0xC0), abi.OPCODE_HASH, b"", bytes(16)),
        Req(1, sha, abi.OPCODE_HASH, b"", bytes(16), sqe_patch={"src_len": 0xFFFF_FFFF},        # 4 GiB - 1
            expect_override=err_len),
        # exactly the 1 MiB limit (passes the length check), destination running past the
        # window's end: refused before any access
        Req(2, Context(cipher_alg=abi.CIPHER_ALG_AES_CTR, key=bytes(32)), abi.OPCODE_CIPHER, bytes(16),
            bytes(16), sqe_patch={"src_len": abi.DEV_MAX_REQUEST_BYTES, "dst_addr": MEM - 0x10_0000 + 1},
            expect_override=Outcome(abi.STATUS_ERR, abi.ERROR_DETAIL_OUT_OF_WINDOW)),
        Req(3, cbc, abi.OPCODE_CIPHER, bytes(16), rng.randbytes(64)),                            # a good one
    ]
    await host.run(reqs, 100_000)
    assert await host.csr_r(abi.CSR_ERR_NOTSUPP) == 4
    assert await host.csr_r(abi.CSR_ERR_LENGTH) == 3
    assert await host.csr_r(abi.CSR_ERR_WINDOW) == 1

    # an AXI error reading the context: ERR / AXI_ERROR with the request's cookie
    r = Req(1, cbc, abi.OPCODE_CIPHER, bytes(16), rng.randbytes(48), poisoned=True)
    host.place([r])
    host.poison = (r.ctx_addr, r.ctx_addr + abi.CTX_BYTES)
    await host.doorbells()
    while host.outstanding():
        await ClockCycles(dut.clk_i, 64)
        await host.reap()
    host.poison = None
    host.check([r])
    assert await host.csr_r(abi.CSR_ERR_AXI) == 1

    # an AXI error reading the submission entry: the cookie is unknown, so the completion
    # carries cookie 0 with ERR / AXI_ERROR; nothing else is fetched or written
    r = Req(2, cbc, abi.OPCODE_CIPHER, bytes(16), rng.randbytes(32),
            expect_override=Outcome(abi.STATUS_ERR, abi.ERROR_DETAIL_AXI_ERROR))
    slot = host.sq_base[2] + host.queues[2].tail * 64
    raw, posted = await _lone(host, r, (slot, slot + 64))
    c = decode_cqe(raw)
    assert posted and (c.cookie, c.status, c.error_detail, c.queue, c.bytes_written) == \
        (0, abi.STATUS_ERR, abi.ERROR_DETAIL_AXI_ERROR, 2, 0), c
    assert await host.csr_r(abi.CSR_ERR_AXI) == 2

    # an AXI error writing the completion entry: the request itself ran (its output is in
    # memory, checked by _lone), the entry could not be delivered, the tail moves on and the
    # error is counted once
    r = Req(3, cbc, abi.OPCODE_CIPHER, bytes(16), rng.randbytes(80))
    slot = host.cq_base[3] + host.queues[3].head * 16
    before = host.ram.read(slot, 16)
    raw, posted = await _lone(host, r, (slot, slot + 16))
    assert not posted and raw == before
    assert await host.csr_r(abi.CSR_ERR_AXI) == 3

    # and the device goes on serving every queue
    await host.run(mixed_batch(rng), 400_000)
    assert await host.csr_r(abi.CSR_ERR_AXI) == 3


@cocotb.test()
async def largest_rings_past_index_2048(dut):
    """4096-entry rings (the maximum) on every queue, 2100 entries each: ring indices and
    slot addresses past bit 11, every completion in its slot, in order, with its cookie.
    The entries are ones the device refuses right after reading them (opcode 0xFF -> NOTSUPP):
    the ring machinery is what is tested, at ~40 clocks an entry."""
    host = await start(dut, seed=12)
    rng = random.Random(12)
    nq, n, log2 = abi.DEV_NUM_QUEUES, 2100, abi.DEV_MAX_RING_LOG2
    sq_bases = [0x10_0000 + q * (64 << log2) for q in range(nq)]
    cq_bases = [0x20_0000 + q * (16 << log2) for q in range(nq)]
    await host.init(sq_log2=log2, cq_log2=log2, sq_bases=sq_bases, cq_bases=cq_bases, arena=(0x24_0000, MEM))
    cookies = [[next(host.cookies) for _ in range(n)] for _ in range(nq)]
    for q in range(nq):
        host.ram.write(sq_bases[q], b"".join(encode_sqe(0xFF, c, CTX_BASE, 0, 0) for c in cookies[q]))
    # as a driver would: doorbells and completion-head updates every 64 entries, so every
    # index bit of SQ_TAIL and CQ_HEAD rises and falls as well
    for upto in [*range(64, n, 64), n]:
        for q in range(nq):
            await host.csr_w(abi.qcsr(q, abi.QCSR_SQ_TAIL), upto)
        for _ in range(100):
            await ClockCycles(dut.clk_i, 512)
            if await host.csr_r(abi.CSR_REQ_DONE) == nq * upto:
                break
        else:
            raise AssertionError(f"{await host.csr_r(abi.CSR_REQ_DONE)} of {nq * upto} entries completed")
        if upto < n:
            for q in range(nq):
                await host.csr_w(abi.qcsr(q, abi.QCSR_CQ_HEAD), upto)
    for q in range(nq):
        raw = host.ram.read(cq_bases[q], 16 << log2)
        got = [decode_cqe(raw[16 * i:16 * i + 16]) for i in range(n + 1)]
        assert all((c.cookie, c.status, c.error_detail, c.queue, c.phase, c.bytes_written)
                   == (cookies[q][i], abi.STATUS_NOTSUPP, abi.ERROR_DETAIL_BAD_OPCODE, q, 1, 0)
                   for i, c in enumerate(got[:n])), f"queue {q}"
        assert got[n].phase == 0 and raw[16 * n:] == bytes(16 * ((1 << log2) - n))
        assert await host.csr_r(abi.qcsr(q, abi.QCSR_SQ_HEAD)) == n
        assert await host.csr_r(abi.qcsr(q, abi.QCSR_CQ_TAIL)) == n
        await host.csr_w(abi.qcsr(q, abi.QCSR_CQ_HEAD), n)
    assert await host.csr_r(abi.CSR_ERR_NOTSUPP) == nq * n
    # re-programming a ring's size resets its indices; the device serves the new rings
    await host.init()
    await host.run(mixed_batch(rng), 400_000)


@cocotb.test()
async def lanes_serve_in_parallel(dut):
    """LANES requests at once: on one ring a long request and a short one behind it complete in
    the order they finish (the short one first when there is a second lane), the host matches
    them by cookie; 16 requests of 4 KiB over 4 rings take about 1/LANES of the clocks one lane
    needs (the DMA is shared in chunks, the engines are not)."""
    host = await start(dut, seed=13)
    rng = random.Random(13)
    cbc = Context(cipher_alg=abi.CIPHER_ALG_AES_CBC, key=rng.randbytes(16))
    long_, short = (Req(0, cbc, abi.OPCODE_CIPHER, rng.randbytes(16), rng.randbytes(n)) for n in (16384, 64))
    await host.run([long_, short], 200_000)
    slots = [decode_cqe(host.ram.read(host.cq_base[0] + 16 * i, 16)).cookie for i in range(2)]
    assert slots == ([short.cookie, long_.cookie] if LANES > 1 else [long_.cookie, short.cookie]), slots
    # throughput: 4 rings x 4 requests of 4 KiB, doorbells together
    reqs = [Req(q, cbc, abi.OPCODE_CIPHER, rng.randbytes(16), rng.randbytes(4096)) for q in range(4) for _ in range(4)]
    host.place(reqs)
    t0 = get_sim_time("ns")
    await host.doorbells()
    while host.outstanding():
        await ClockCycles(dut.clk_i, 32)
        await host.reap()
        assert get_sim_time("ns") - t0 < 200_000 * CLK_NS, "requests stuck"
    host.check(reqs)
    per_req = (get_sim_time("ns") - t0) / CLK_NS / len(reqs)
    dut._log.info("LANES=%d: %.0f clocks per 4 KiB AES-128-CBC request (16 in flight)", LANES, per_req)
    assert per_req <= 1.05 * 2900 / min(LANES, 4) + 60, per_req


# ---------------------------------------------------------------- throughput (make bench-accel)
BENCH_KINDS = ("aes128_cbc", "hmac_sha256", "mixed")


async def steady_state(host: Host, kind: str, total: int, per_ring: int = 8, size: int = 4096) -> float:
    """4 rings x `per_ring` requests of `size` bytes kept in flight (a completed one is replaced
    at once, in its slot), `total` requests in all, every result checked; returns the clocks per
    request between the completions of the first and the last `per_ring * 4` requests (the
    steady state, after the rings filled)."""
    dut, rng = host.dut, random.Random(BENCH_KINDS.index(kind) + 100)
    key, mac_key = rng.randbytes(16), rng.randbytes(32)
    sessions = {
        "aes128_cbc": (Context(cipher_alg=abi.CIPHER_ALG_AES_CBC, key=key), abi.OPCODE_CIPHER),
        "hmac_sha256": (Context(hash_alg=abi.HASH_ALG_SHA_256, digest_len=32, hmac_key=mac_key), abi.OPCODE_MAC),
        "chain": (Context(cipher_alg=abi.CIPHER_ALG_AES_CBC, key=key, hash_alg=abi.HASH_ALG_SHA_256, digest_len=32,
                          chain_order=abi.CHAIN_ORDER_CIPHER_THEN_HASH, hmac_key=mac_key), abi.OPCODE_CHAIN),
        "sha256": (Context(hash_alg=abi.HASH_ALG_SHA_256, digest_len=32), abi.OPCODE_HASH),
    }
    order = ("aes128_cbc", "hmac_sha256", "chain", "sha256") if kind == "mixed" else (kind,)
    nq, slots = len(host.queues), len(host.queues) * per_ring
    ctx_addr = {}
    for i, name in enumerate(order):                       # one context per session
        ctx_addr[name] = CTX_BASE + i * CTX_STRIDE
        host.ram.write(ctx_addr[name], bytes(sessions[name][0].context()))
    lo = host.arena[0]
    span = (size + 64) * 2 + 64                            # src, dst, digest of one slot
    assert lo + slots * span <= host.arena[1]
    posted = done = 0
    inflight: dict[int, tuple] = {}                        # cookie -> (slot, expected outcome, dst, dig)
    times: list[int] = []

    def post(slot: int) -> None:
        nonlocal posted
        name = order[posted % len(order)]
        s, op = sessions[name]
        src, iv = rng.randbytes(size), rng.randbytes(16)
        base = lo + slot * span
        src_a, dst_a, dig_a = base, base + size + 64, base + 2 * (size + 64)
        host.ram.write(src_a, src)
        cookie = next(host.cookies)
        d = host.dev_base
        sqe = encode_sqe(op, cookie, d + ctx_addr[name], d + src_a, size, d + dst_a, d + dig_a, iv)
        host.rings.post(slot % nq, sqe, cookie, cookie)
        inflight[cookie] = (slot, run_request(s, op, iv, src), dst_a, dig_a)
        posted += 1

    for slot in range(min(slots, total)):
        post(slot)
    await host.doorbells()
    t0 = get_sim_time("ns")
    while done < total:
        await ClockCycles(dut.clk_i, 16)
        assert get_sim_time("ns") - t0 < 20_000_000 * CLK_NS, f"{total - done} requests never completed"
        refill = False
        for q in range(nq):
            got, head_write = host.rings.reap(q)
            for c, cookie in got:
                slot, e, dst_a, dig_a = inflight.pop(cookie)
                times.append(round(get_sim_time("ns") / CLK_NS))
                done += 1
                assert (c.status, c.bytes_written) == (abi.STATUS_OK, e.bytes_written), c
                assert host.ram.read(dst_a, len(e.dst)) == e.dst and host.ram.read(dig_a, len(e.digest)) == e.digest
                if posted < total:
                    post(slot)
                    refill = True
            if head_write:
                await host.csr_w(*head_write)
        if refill:
            await host.doorbells()
    first, last = slots, total - 1
    return (times[last] - times[first - 1]) / (last - first + 1)


@cocotb.test(skip=not os.environ.get("VCRYPTO_BENCH_LANES_OUT"))     # make bench-accel runs it
async def throughput_at_steady_state(dut):
    """make bench-accel: clocks per 4 KiB request with 4 rings x 8 in flight (AES-128-CBC,
    HMAC-SHA-256, a mix of AES-128-CBC, HMAC-SHA-256, both chained and SHA-256), and one
    request alone (AES-128-CBC, doorbell to interrupt, its key loaded)."""
    host = await start(dut, seed=14, sq_log2=4, cq_log2=4)
    total = int(os.environ.get("VCRYPTO_BENCH_REQUESTS", "96"))
    res = {"lanes": LANES}
    for kind in BENCH_KINDS:
        res[f"{kind}_4k_clocks_per_request"] = round(await steady_state(host, kind, total), 1)
        dut._log.info("LANES=%d %s: %.1f clocks per 4 KiB request (4 rings x 8 in flight)", LANES, kind,
                      res[f"{kind}_4k_clocks_per_request"])
    await host.init()
    rng = random.Random(15)
    cbc = Context(cipher_alg=abi.CIPHER_ALG_AES_CBC, key=rng.randbytes(16))
    data = rng.randbytes(4096)
    await _one(host, Req(0, cbc, abi.OPCODE_CIPHER, bytes(16), data))      # loads the key
    res["single_request_latency_clocks"] = await _one(host, Req(0, cbc, abi.OPCODE_CIPHER, bytes(16), data))
    dut._log.info("LANES=%d: %s", LANES, res)
    out = os.environ.get("VCRYPTO_BENCH_LANES_OUT")
    if out:
        with open(out, "w") as f:
            json.dump(res, f, indent=1)
