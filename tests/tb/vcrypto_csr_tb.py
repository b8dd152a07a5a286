"""cocotb testbench for rtl/top/vcrypto_csr.sv alone: the register block (the generated
AXI4-Lite slave vcrypto_csr_regs and the wrapper's ring indices, counters and constants),
run by tests/test_vcrypto_csr.py.

The accelerator's driver writes whole words one at a time; here a cycle-stepped AXI4-Lite
master also sends AW and W apart in either order, partial strobes, reads and writes in
flight together and B/R backpressure that fills the slave's response buffer, while the
queue-engine side (pop/push pulses, counter increments, scrub done, status inputs) is driven
directly. Every response is checked against the AXI4-Lite rules (no response without its
request, valid held with a stable payload, OKAY) and every value read against a model of the
register map (rtl/top/vcrypto_csr.rdl, firmware/CSR.md). These tests give the register
block's own coverage target (`make coverage COVERAGE_TOPS=vcrypto_csr`).
"""
from __future__ import annotations

import random
from collections import deque

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, ReadOnly, RisingEdge

from bridge import abi
from tb.stream import to_int

NQ = abi.DEV_NUM_QUEUES
MAXL = abi.DEV_MAX_RING_LOG2
M32 = 0xFFFF_FFFF
RW_WORDS = {abi.CSR_WIN_BASE_LO: M32, abi.CSR_WIN_BASE_HI: M32, abi.CSR_WIN_SIZE_LO: M32,
            abi.CSR_WIN_SIZE_HI: M32, abi.CSR_CTRL: 0x1, abi.CSR_INT_MASK: 0xF}
for _q in range(NQ):
    for _r in (abi.QCSR_SQ_BASE_LO, abi.QCSR_SQ_BASE_HI, abi.QCSR_CQ_BASE_LO, abi.QCSR_CQ_BASE_HI):
        RW_WORDS[abi.qcsr(_q, _r)] = M32
COUNTERS = {abi.CSR_ERR_AXI: "inc_err_axi_i", abi.CSR_ERR_WINDOW: "inc_err_window_i",
            abi.CSR_ERR_NOTSUPP: "inc_err_notsupp_i", abi.CSR_ERR_LENGTH: "inc_err_length_i"}
GEOMETRY = 7 << 24 | 4 << 20 | 6 << 16 | MAXL << 8 | NQ


def strobe_mask(strb: int) -> int:
    return sum(0xFF << (8 * i) for i in range(4) if strb >> i & 1)


class AxilMaster:
    """Cycle-stepped AXI4-Lite master: AW, W and AR queues sent independently (each item
    with a delay in clocks before it is offered), B and R sinks with random backpressure,
    and the slave's side of the protocol checked every clock."""

    def __init__(self, dut, rng: random.Random):
        self.dut, self.rng = dut, rng
        self.stall = dict(aw=0.0, w=0.0, ar=0.0, b=0.0, r=0.0)
        self.aw: deque = deque()          # [delay, addr]
        self.w: deque = deque()           # [delay, data, strb]
        self.ar: deque = deque()          # [delay, addr]
        self.reads: list[int] = []        # read data, in order
        self.bresps = 0
        self.aw_done = self.w_done = self.ar_done = 0
        self._off = dict(aw=False, w=False, ar=False)
        self._rdy = dict(b=False, r=False)
        self._prev_b = self._prev_r = None      # (valid, ready, payload) of the last clock
        self.now = 0                            # the testbench's clock count
        self.b_first: list[int] = []            # clock each B response was first offered
        for s in ("awvalid", "wvalid", "arvalid", "bready", "rready"):
            getattr(dut, f"s_axil_{s}").value = 0

    def write(self, addr: int, data: int, strb: int = 0xF, aw_delay: int = 0, w_delay: int = 0):
        self.aw.append([aw_delay, addr])
        self.w.append([w_delay, data, strb])

    def read(self, addr: int, delay: int = 0):
        self.ar.append([delay, addr])

    @property
    def idle(self) -> bool:
        return (not self.aw and not self.w and not self.ar and self.bresps == self.aw_done
                and len(self.reads) == self.ar_done)

    def drive(self):
        d, rng = self.dut, self.rng
        for ch, q in (("aw", self.aw), ("w", self.w), ("ar", self.ar)):
            if not self._off[ch]:               # an offered request stays until taken
                if q and q[0][0] > 0:
                    q[0][0] -= 1
                self._off[ch] = bool(q) and q[0][0] == 0 and rng.random() >= self.stall[ch]
            getattr(d, f"s_axil_{ch}valid").value = int(self._off[ch])
        # payloads: the head item when offered, noise otherwise
        d.s_axil_awaddr.value = self.aw[0][1] if self._off["aw"] else rng.getrandbits(12)
        d.s_axil_araddr.value = self.ar[0][1] if self._off["ar"] else rng.getrandbits(12)
        d.s_axil_wdata.value = self.w[0][1] if self._off["w"] else rng.getrandbits(32)
        d.s_axil_wstrb.value = self.w[0][2] if self._off["w"] else rng.getrandbits(4)
        for ch in ("b", "r"):
            self._rdy[ch] = rng.random() >= self.stall[ch]
            getattr(d, f"s_axil_{ch}ready").value = int(self._rdy[ch])

    def sample(self):
        d = self.dut
        bvalid, rvalid = d.s_axil_bvalid.value == 1, d.s_axil_rvalid.value == 1
        b = (bvalid, self._rdy["b"], to_int(d.s_axil_bresp.value))
        r = (rvalid, self._rdy["r"], to_int(d.s_axil_rdata.value), to_int(d.s_axil_rresp.value))
        # held until taken, with a stable payload
        if self._prev_b and self._prev_b[0] and not self._prev_b[1]:
            assert bvalid and b[2] == self._prev_b[2], "BVALID dropped or BRESP changed before BREADY"
        if self._prev_r and self._prev_r[0] and not self._prev_r[1]:
            assert rvalid and r[2:] == self._prev_r[2:], "RVALID dropped or RDATA changed before RREADY"
        # a response only for a request taken in an earlier clock (B: both AW and W)
        if bvalid:
            if not (self._prev_b and self._prev_b[0] and not self._prev_b[1]):
                self.b_first.append(self.now)
            assert b[2] == 0, "BRESP not OKAY"
            assert self.bresps < min(self.aw_done, self.w_done), "B without its request"
            if self._rdy["b"]:
                self.bresps += 1
        if rvalid:
            assert r[3] == 0, "RRESP not OKAY"
            assert len(self.reads) < self.ar_done, "R without its request"
            if self._rdy["r"]:
                self.reads.append(r[2])
        self._prev_b, self._prev_r = b, r
        for ch, q in (("aw", self.aw), ("w", self.w), ("ar", self.ar)):
            if self._off[ch] and getattr(d, f"s_axil_{ch}ready").value == 1:
                q.popleft()
                self._off[ch] = False
                setattr(self, f"{ch}_done", getattr(self, f"{ch}_done") + 1)


ENGINE_INPUTS = ("sq_pop_i", "cq_push_i", "inc_err_axi_i", "inc_err_window_i", "inc_err_notsupp_i",
                 "inc_err_length_i", "engine_idle_i", "ring_fault_i", "scrub_done_i", "keys_held_i")


class Tb:
    def __init__(self, dut, seed: int = 1):
        self.dut = dut
        self.rng = random.Random(seed)
        self.clock = Clock(dut.clk_i, 10, unit="ns").start()
        self.m = AxilMaster(dut, self.rng)
        self.cycle = 0
        self.level = {s: 0 for s in ENGINE_INPUTS}       # engine-side inputs between pulses
        self.pulses: dict[int, dict[str, int]] = {}      # clock -> {input: value} for that clock
        self.write_clock = []                             # clock each write was taken (AW and W both in)
        self.drive_engine()

    def drive_engine(self):
        now = self.pulses.pop(self.cycle, {})
        for s in ENGINE_INPUTS:
            getattr(self.dut, s).value = now.get(s, self.level[s])

    def pulse(self, sig: str, value: int, after: int = 1):
        """Drive engine-side input `sig` to value for one clock, `after` clocks from now."""
        self.pulses.setdefault(self.cycle + after, {})[sig] = value

    async def reset(self, cycles: int = 3):
        self.dut.rst_ni.value = 0
        await ClockCycles(self.dut.clk_i, cycles)
        self.dut.rst_ni.value = 1
        await RisingEdge(self.dut.clk_i)

    async def step(self):
        await RisingEdge(self.dut.clk_i)
        self.cycle += 1
        self.m.now = self.cycle
        self.m.drive()
        self.drive_engine()
        await ReadOnly()
        self.m.sample()

    async def run(self, done=None, max_cycles: int = 20000):
        """Step until the master is idle, done() holds and no pulse is pending."""
        for _ in range(max_cycles):
            await self.step()
            if self.m.idle and not self.pulses and (done is None or done()):
                await RisingEdge(self.dut.clk_i)          # leave ReadOnly: drive again
                self.cycle += 1
                self.m.drive()
                self.drive_engine()
                return
        raise AssertionError(f"AXI4-Lite traffic not done within {max_cycles} clocks")

    async def clocks(self, n: int):
        for _ in range(n):
            await self.step()
        await RisingEdge(self.dut.clk_i)
        self.cycle += 1
        self.m.drive()
        self.drive_engine()

    async def write(self, addr: int, data: int, strb: int = 0xF, **kw):
        self.m.write(addr, data, strb, **kw)
        await self.run()

    async def read(self, addr: int, **kw) -> int:
        self.m.read(addr, **kw)
        await self.run()
        return self.m.reads[-1]

    async def reads(self, addrs) -> list[int]:
        n = len(self.m.reads)
        for a in addrs:
            self.m.read(a)
        await self.run()
        return self.m.reads[n:]


async def start(dut, seed: int = 1) -> Tb:
    tb = Tb(dut, seed)
    await tb.reset()
    return tb


# ------------------------------------------------------------------------------ register model
class Model:
    """What each register reads, given the writes and engine pulses the tests apply."""

    def __init__(self):
        self.words = {a: 0 for a in RW_WORDS}
        self.sq_l2 = [0] * NQ
        self.cq_l2 = [0] * NQ
        self.sq_head = [0] * NQ
        self.sq_tail = [0] * NQ
        self.cq_head = [0] * NQ
        self.cq_tail = [0] * NQ
        self.phase = [1] * NQ
        self.int_status = 0
        self.counts = {a: 0 for a in COUNTERS} | {abi.CSR_REQ_DONE: 0}
        self.scrub_req = 0
        self.scrubs = 0

    @staticmethod
    def ring_reg(addr: int) -> tuple[int, int] | None:
        if abi.CSR_QUEUE_BASE <= addr < abi.CSR_QUEUE_BASE + NQ * abi.CSR_QUEUE_STRIDE:
            q, off = divmod(addr - abi.CSR_QUEUE_BASE, abi.CSR_QUEUE_STRIDE)
            return q, off
        return None

    def write(self, addr: int, data: int, strb: int = 0xF):
        addr &= ~3
        sm = strobe_mask(strb)
        if addr in RW_WORDS:
            self.words[addr] = ((self.words[addr] & ~sm) | (data & sm)) & RW_WORDS[addr]
        elif addr == abi.CSR_INT_STATUS:
            self.int_status &= ~(data & sm & 0xF)
        elif addr == abi.CSR_SCRUB:
            if data & sm & 1:
                self.scrub_req = 1
        elif (qr := self.ring_reg(addr)) is not None:
            q, off = qr
            v = data & sm                   # external registers: unstrobed bytes are zero
            if off == abi.QCSR_SQ_SIZE_LOG2:
                self.sq_l2[q] = 0 if v > MAXL else v & 0xF
                self.sq_head[q] = self.sq_tail[q] = 0
            elif off == abi.QCSR_CQ_SIZE_LOG2:
                self.cq_l2[q] = 0 if v > MAXL else v & 0xF
                self.cq_head[q] = self.cq_tail[q] = 0
                self.phase[q] = 1
            elif off == abi.QCSR_SQ_TAIL:
                self.sq_tail[q] = v & 0xFFFF & ((1 << self.sq_l2[q]) - 1)
            elif off == abi.QCSR_CQ_HEAD:
                self.cq_head[q] = v & 0xFFFF & ((1 << self.cq_l2[q]) - 1)

    def pop(self, q: int):
        self.sq_head[q] = (self.sq_head[q] + 1) & ((1 << self.sq_l2[q]) - 1)

    def pushes(self, mask: int):
        """One clock of cq_push_i = mask: each queue's push, and REQ_DONE once."""
        for q in range(NQ):
            if mask >> q & 1:
                self.push(q)
        self.counts[abi.CSR_REQ_DONE] += bool(mask)

    def push(self, q: int):
        self.cq_tail[q] = (self.cq_tail[q] + 1) & ((1 << self.cq_l2[q]) - 1)
        if self.cq_tail[q] == 0:
            self.phase[q] ^= 1
        self.int_status |= 1 << q

    def expect(self, addr: int, status_in: int = 0) -> int | None:
        """The value a read of addr returns (None: not modelled here, e.g. CYCLES)."""
        addr &= 0xFFC
        if addr in RW_WORDS:
            return self.words[addr]
        fixed = {abi.CSR_ID: abi.DEV_ID, abi.CSR_VERSION: abi.DEV_VERSION_MAJOR << 16 | abi.DEV_VERSION_MINOR,
                 abi.CSR_GEOMETRY: GEOMETRY, abi.CSR_INT_STATUS: self.int_status,
                 abi.CSR_STATUS: status_in | self.scrub_req << 1, abi.CSR_SCRUB: self.scrubs & M32}
        if addr in fixed:
            return fixed[addr]
        if addr in self.counts:
            return self.counts[addr] & M32
        if addr in (abi.CSR_CAPS, abi.CSR_CYCLES_LO, abi.CSR_CYCLES_HI):
            return None
        if (qr := self.ring_reg(addr)) is not None:
            q, off = qr
            return {abi.QCSR_SQ_SIZE_LOG2: self.sq_l2[q], abi.QCSR_CQ_SIZE_LOG2: self.cq_l2[q],
                    abi.QCSR_SQ_TAIL: self.sq_tail[q], abi.QCSR_SQ_HEAD: self.sq_head[q],
                    abi.QCSR_CQ_HEAD: self.cq_head[q], abi.QCSR_CQ_TAIL: self.cq_tail[q]}.get(off, 0)
        return 0                            # unmapped: reads 0


MAPPED = sorted(set(RW_WORDS) | {abi.CSR_ID, abi.CSR_VERSION, abi.CSR_CAPS, abi.CSR_GEOMETRY,
                                 abi.CSR_STATUS, abi.CSR_INT_STATUS, abi.CSR_SCRUB, abi.CSR_CYCLES_LO,
                                 abi.CSR_CYCLES_HI, abi.CSR_REQ_DONE, *COUNTERS}
                | {abi.qcsr(q, r) for q in range(NQ) for r in range(0, abi.CSR_QUEUE_STRIDE, 4)
                   if r <= abi.QCSR_CQ_TAIL})


async def check_all(tb: Tb, model: Model, status_in: int = 0, addrs=None):
    addrs = list(MAPPED if addrs is None else addrs)
    got = await tb.reads(addrs)
    for a, v in zip(addrs, got):
        want = model.expect(a, status_in)
        if want is not None:
            assert v == want, f"register {a:#05x} reads {v:#010x}, expected {want:#010x}"
    check_outputs(tb, model)


def check_outputs(tb: Tb, model: Model):
    d = tb.dut
    w = model.words
    assert to_int(d.enable_o.value) == w[abi.CSR_CTRL] & 1
    assert to_int(d.win_base_o.value) == w[abi.CSR_WIN_BASE_HI] << 32 | w[abi.CSR_WIN_BASE_LO]
    assert to_int(d.win_size_o.value) == w[abi.CSR_WIN_SIZE_HI] << 32 | w[abi.CSR_WIN_SIZE_LO]
    sq_base, cq_base = to_int(d.sq_base_o.value), to_int(d.cq_base_o.value)
    for q in range(NQ):
        assert (sq_base >> (64 * q)) & (2**64 - 1) == w[abi.qcsr(q, abi.QCSR_SQ_BASE_HI)] << 32 | w[abi.qcsr(q, abi.QCSR_SQ_BASE_LO)]
        assert (cq_base >> (64 * q)) & (2**64 - 1) == w[abi.qcsr(q, abi.QCSR_CQ_BASE_HI)] << 32 | w[abi.qcsr(q, abi.QCSR_CQ_BASE_LO)]
        for sig, arr, width in (("sq_log2_o", model.sq_l2, 4), ("cq_log2_o", model.cq_l2, 4),
                                ("sq_head_o", model.sq_head, 16), ("sq_tail_o", model.sq_tail, 16),
                                ("cq_head_o", model.cq_head, 16), ("cq_tail_o", model.cq_tail, 16)):
            assert (to_int(getattr(d, sig).value) >> (width * q)) & ((1 << width) - 1) == arr[q], (sig, q)
        assert to_int(d.cq_phase_o.value) >> q & 1 == model.phase[q]
    assert to_int(d.irq_o.value) == int(bool(model.int_status & w[abi.CSR_INT_MASK]))
    assert to_int(d.scrub_req_o.value) == model.scrub_req


def patterns(rng: random.Random) -> list[int]:
    r = rng.getrandbits(32)
    return [M32, 0, r, r ^ M32, 0xA5A5_5A5A, 0x5A5A_A5A5]


# ------------------------------------------------------------------------------ tests
@cocotb.test()
async def reset_values_constants_and_unmapped_addresses(dut):
    """After reset: the constants (ID, VERSION, GEOMETRY; CAPS a subset of the ABI's caps),
    every other register 0, the byte-offset address bits ignored; unmapped addresses read 0
    and ignore writes."""
    tb = await start(dut)
    model = Model()
    await check_all(tb, model)
    caps = await tb.read(abi.CSR_CAPS)
    all_caps = sum(1 << v for k, v in vars(abi).items() if k.startswith("CAPS_") and isinstance(v, int))
    assert caps and caps & ~all_caps == 0, hex(caps)
    for a in MAPPED:
        for off in (1, 2, 3):
            want = model.expect(a)
            if want is not None:
                assert await tb.read(a | off) == want
    unmapped = [a for a in range(0, 0x1000, 4) if a not in MAPPED]
    for a in tb.rng.sample(unmapped, 120) + [0xFFC, 0x050, 0x0FC, 0x128, 0x13C, 0x200, 0x800]:
        await tb.write(a, M32)
        assert await tb.read(a) == 0, hex(a)
    await check_all(tb, model)


@cocotb.test()
async def read_write_every_register_with_strobes(dut):
    """Every read-write register takes all-ones, zeros, a random word and its complement and
    reads them back; writes with each strobe pattern keep the unstrobed bytes; the byte-offset
    address bits are ignored; writes to read-only registers change nothing; the outputs to the
    queue engine follow."""
    tb = await start(dut, seed=2)
    model = Model()
    for a in RW_WORDS:
        for v in patterns(tb.rng):
            await tb.write(a, v)
            model.write(a, v)
            assert await tb.read(a) == model.expect(a), hex(a)
        check_outputs(tb, model)
        for strb in range(16):
            v = tb.rng.getrandbits(32)
            await tb.write(a, v, strb)
            model.write(a, v, strb)
            assert await tb.read(a) == model.expect(a), (hex(a), strb)
        for off in (1, 2, 3):                   # the byte-offset address bits are ignored
            v = tb.rng.getrandbits(32)
            await tb.write(a | off, v)
            model.write(a, v)
            assert await tb.read(a) == model.expect(a), (hex(a), off)
    ro = [abi.CSR_ID, abi.CSR_VERSION, abi.CSR_CAPS, abi.CSR_GEOMETRY, abi.CSR_STATUS, abi.CSR_CYCLES_LO,
          abi.CSR_CYCLES_HI, abi.CSR_REQ_DONE, *COUNTERS] + [abi.qcsr(q, r) for q in range(NQ)
                                                            for r in (abi.QCSR_SQ_HEAD, abi.QCSR_CQ_TAIL)]
    for a in ro:
        await tb.write(a, M32)
    await check_all(tb, model)
    for a in RW_WORDS:                          # leave random values in every word
        v = tb.rng.getrandbits(32)
        await tb.write(a, v)
        model.write(a, v)
    await check_all(tb, model)


@cocotb.test()
async def ring_sizes_indices_pops_and_pushes(dut):
    """Ring sizes 0..15 and all-ones (above 12 reads as 0), sizes written with partial
    strobes (unstrobed bytes are zeros for the ring registers), tails and heads masked to the
    ring, the engine's pops and pushes wrapping each ring and flipping the completion phase,
    a resize resetting the indices."""
    tb = await start(dut, seed=3)
    model = Model()
    rng = tb.rng
    for q in range(NQ):
        for l2 in list(range(16)) + [M32, 0x10C, 0x1_0000_0005]:
            for reg in (abi.QCSR_SQ_SIZE_LOG2, abi.QCSR_CQ_SIZE_LOG2):
                await tb.write(abi.qcsr(q, reg), l2 & M32)
                model.write(abi.qcsr(q, reg), l2 & M32)
            for reg in (abi.QCSR_SQ_TAIL, abi.QCSR_CQ_HEAD):
                for v in (M32, rng.getrandbits(32), 0xFFFF_0000 | rng.getrandbits(16)):
                    await tb.write(abi.qcsr(q, reg), v)
                    model.write(abi.qcsr(q, reg), v)
            await check_all(tb, model, addrs=[abi.qcsr(q, r) for r in range(0, 0x28, 4)])
        for reg in (abi.QCSR_SQ_SIZE_LOG2, abi.QCSR_CQ_SIZE_LOG2, abi.QCSR_SQ_TAIL, abi.QCSR_CQ_HEAD):
            for strb in range(16):
                v = rng.choice([M32, 0x0000_0C0B, 0x0500_0003, rng.getrandbits(32)])
                await tb.write(abi.qcsr(q, reg), v, strb)
                model.write(abi.qcsr(q, reg), v, strb)
                await check_all(tb, model, addrs=[abi.qcsr(q, reg)])
    # pops and pushes: every ring size, each ring around more than once
    for l2 in (0, 1, 2, 5, 12):
        for q in range(NQ):
            for reg in (abi.QCSR_SQ_SIZE_LOG2, abi.QCSR_CQ_SIZE_LOG2):
                await tb.write(abi.qcsr(q, reg), l2)
                model.write(abi.qcsr(q, reg), l2)
        n = min(2 * (1 << l2) + 3, 300)
        for i in range(n):
            pops, pushes = rng.getrandbits(NQ) | (1 << (i % NQ)), rng.getrandbits(NQ)
            tb.pulse("sq_pop_i", pops)
            tb.pulse("cq_push_i", pushes)
            await tb.clocks(1)
            for q in range(NQ):
                if pops >> q & 1:
                    model.pop(q)
            model.pushes(pushes)
        await check_all(tb, model)
    # the largest ring: indices to 4095 and around
    for q in range(NQ):
        for reg, v in ((abi.QCSR_SQ_SIZE_LOG2, 12), (abi.QCSR_CQ_SIZE_LOG2, 12), (abi.QCSR_SQ_TAIL, 0xFFF),
                       (abi.QCSR_CQ_HEAD, 0xFFE)):
            await tb.write(abi.qcsr(q, reg), v)
            model.write(abi.qcsr(q, reg), v)
    n = 4096 + 7
    for i in range(1, n + 1):
        tb.pulse("sq_pop_i", (1 << NQ) - 1, after=i)
        tb.pulse("cq_push_i", (1 << NQ) - 1, after=i)
    await tb.clocks(n)
    for _ in range(n):
        for q in range(NQ):
            model.pop(q)
        model.pushes((1 << NQ) - 1)
    await check_all(tb, model)


@cocotb.test()
async def resize_wins_over_a_pulse_in_the_same_clock(dut):
    """A size write landing in the clock of an engine pop/push resets the indices (the pulse
    is lost); a pulse one clock later counts."""
    tb = await start(dut, seed=4)
    model = Model()
    for q in range(NQ):
        for reg, v in ((abi.QCSR_SQ_SIZE_LOG2, 3), (abi.QCSR_CQ_SIZE_LOG2, 3)):
            await tb.write(abi.qcsr(q, reg), v)
            model.write(abi.qcsr(q, reg), v)
        for _ in range(3):
            tb.pulse("sq_pop_i", 1 << q)
            tb.pulse("cq_push_i", 1 << q)
            await tb.clocks(1)
            model.pop(q)
            model.pushes(1 << q)
        for reg in (abi.QCSR_SQ_SIZE_LOG2, abi.QCSR_CQ_SIZE_LOG2):
            for late in (0, 1):
                # taken in the next clock, lands one clock later (the slave is idle)
                sig = "sq_pop_i" if reg == abi.QCSR_SQ_SIZE_LOG2 else "cq_push_i"
                tb.pulse(sig, 1 << q, after=2 + late)
                tb.m.write(abi.qcsr(q, reg), 3)
                queued = tb.cycle
                await tb.run()
                assert tb.m.b_first[-1] == queued + 3, "the write did not land when expected"
                model.write(abi.qcsr(q, reg), 3)
                if sig == "cq_push_i":
                    model.counts[abi.CSR_REQ_DONE] += 1
                    model.int_status |= 1 << q
                if late:
                    (model.pop if sig == "sq_pop_i" else model.push)(q)
                await check_all(tb, model, addrs=[abi.qcsr(q, r) for r in range(0, 0x28, 4)])


@cocotb.test()
async def interrupt_status_mask_and_irq(dut):
    """A push sets its queue's INT_STATUS bit; irq_o is high while an enabled bit is set;
    writing 1 clears (0 and unstrobed bytes do not); a push in the clock the clearing write
    lands keeps the bit."""
    tb = await start(dut, seed=5)
    model = Model()
    rng = tb.rng
    for _ in range(60):
        pushes = rng.getrandbits(NQ)
        tb.pulse("cq_push_i", pushes)
        await tb.clocks(1)
        model.pushes(pushes)
        mask, clear, strb = rng.getrandbits(4), rng.getrandbits(32), rng.choice([0xF, 0x1, 0xE, 0x0])
        await tb.write(abi.CSR_INT_MASK, mask)
        model.write(abi.CSR_INT_MASK, mask)
        check_outputs(tb, model)
        await tb.write(abi.CSR_INT_STATUS, clear, strb)
        model.write(abi.CSR_INT_STATUS, clear, strb)
        await check_all(tb, model, addrs=[abi.CSR_INT_STATUS, abi.CSR_INT_MASK, abi.CSR_REQ_DONE])
    for q in range(NQ):
        tb.pulse("cq_push_i", 1 << q)
        await tb.clocks(1)
        model.pushes(1 << q)
        tb.pulse("cq_push_i", 1 << q, after=2)     # the clock the write lands
        tb.m.write(abi.CSR_INT_STATUS, 0xF)
        start_cycle = tb.cycle
        await tb.run()
        assert tb.m.b_first[-1] == start_cycle + 3, (tb.m.b_first[-1], start_cycle)
        model.write(abi.CSR_INT_STATUS, 0xF)
        model.pushes(1 << q)
        await check_all(tb, model, addrs=[abi.CSR_INT_STATUS, abi.CSR_REQ_DONE])
        assert model.int_status == 1 << q


@cocotb.test()
async def counters_scrub_and_status(dut):
    """The error counters, REQ_DONE and SCRUB's count follow their pulses (also all in one
    clock), and count 2^17 + 5 clocks of steady increments; SCRUB: a 1 in bit 0 requests
    (STATUS.SCRUB_BUSY), the engine's done clears it and counts, a write in the clock of done
    wins; STATUS shows the engine's idle, keys-held and ring-fault inputs."""
    tb = await start(dut, seed=6)
    model = Model()
    rng = tb.rng
    sigs = list(COUNTERS.items())
    for i in range(200):
        pick = [(a, s) for a, s in sigs if rng.random() < 0.5]
        for a, s in pick:
            tb.pulse(s, 1)
            model.counts[a] += 1
        push = rng.getrandbits(NQ) if i % 3 == 0 else 0
        if push:
            tb.pulse("cq_push_i", push)
            model.pushes(push)
        await tb.clocks(rng.randrange(1, 3))
    await check_all(tb, model)
    # SCRUB
    for i in range(12):
        v, strb = rng.choice([(1, 0xF), (0xFFFF_FFFF, 0x1), (1, 0xE), (0, 0xF), (0xFFFF_FFFE, 0xF)])
        await tb.write(abi.CSR_SCRUB, v, strb)
        model.write(abi.CSR_SCRUB, v, strb)
        await check_all(tb, model, addrs=[abi.CSR_SCRUB, abi.CSR_STATUS])
        if i % 2:
            # the engine answers a scrub after its own time: right away or after a quiet
            # stretch of the bus (the clock-gated view must still see it)
            gap = rng.choice([1, 2, 9, 40])
            tb.pulse("scrub_done_i", 1, after=gap)
            await tb.clocks(gap)
            model.scrub_req = 0
            model.scrubs += 1
            await check_all(tb, model, addrs=[abi.CSR_SCRUB, abi.CSR_STATUS])
    model.scrub_req = 1
    tb.pulse("scrub_done_i", 1, after=2)          # done in the clock the request lands: it wins
    tb.m.write(abi.CSR_SCRUB, 1)
    queued = tb.cycle
    await tb.run()
    assert tb.m.b_first[-1] == queued + 3, "the write did not land when expected"
    model.scrubs += 1
    await check_all(tb, model, addrs=[abi.CSR_SCRUB, abi.CSR_STATUS])
    # STATUS inputs
    for v in range(64):
        idle, keys, fault = v & 1, v >> 1 & 1, rng.getrandbits(4) if v < 48 else v & 0xF
        for s, x in (("engine_idle_i", idle), ("keys_held_i", keys), ("ring_fault_i", fault)):
            tb.level[s] = x
        status = idle | keys << 2 | fault << 8
        await check_all(tb, model, status_in=status, addrs=[abi.CSR_STATUS])
    for s in ("engine_idle_i", "keys_held_i", "ring_fault_i"):
        tb.level[s] = 0
    # steady increments: every counter through bit 16 both ways
    n = (1 << 17) + 5
    for s in ("inc_err_axi_i", "inc_err_window_i", "inc_err_notsupp_i", "inc_err_length_i", "scrub_done_i"):
        getattr(tb.dut, s).value = 1
    tb.dut.cq_push_i.value = 1
    await ClockCycles(tb.dut.clk_i, n, rising=True)
    for s in ("inc_err_axi_i", "inc_err_window_i", "inc_err_notsupp_i", "inc_err_length_i", "scrub_done_i",
              "cq_push_i"):
        getattr(tb.dut, s).value = 0
    for a in COUNTERS:
        model.counts[a] += n
    model.scrubs += n
    model.scrub_req = 0
    for _ in range(n):
        model.pushes(1)
    await check_all(tb, model)


@cocotb.test()
async def cycle_counter_and_high_word_latch(dut):
    """CYCLES_LO counts clocks; reading it latches the high word into CYCLES_HI (0 here:
    2^32 clocks are out of reach of a simulation)."""
    tb = await start(dut, seed=7)
    prev = 0
    for gap in (0, 1, 5, 100, 1000):
        await tb.clocks(gap)
        lo, hi = await tb.reads([abi.CSR_CYCLES_LO, abi.CSR_CYCLES_HI])
        assert lo > prev and hi == 0
        prev = lo
    a = await tb.read(abi.CSR_CYCLES_LO)
    await tb.clocks(10)
    b = await tb.read(abi.CSR_CYCLES_LO)
    assert 10 < b - a < 40


@cocotb.test()
async def concurrent_traffic_with_backpressure(dut):
    """Writes (AW and W apart by up to 6 clocks, either first) and reads in flight together,
    with random stalls on every channel and B/R held back long enough to fill the slave's
    response buffer: every response obeys the AXI4-Lite rules, reads of registers nobody
    writes meanwhile return their value, and the final register values are the last writes."""
    tb = await start(dut, seed=8)
    model = Model()
    rng = tb.rng
    words = sorted(RW_WORDS)
    fixed = [abi.CSR_ID, abi.CSR_VERSION, abi.CSR_GEOMETRY, abi.CSR_ERR_AXI]
    for rnd in range(40):
        tb.m.stall = dict(aw=rng.choice([0, 0.3, 0.8]), w=rng.choice([0, 0.3, 0.8]), ar=rng.choice([0, 0.3, 0.8]),
                          b=rng.choice([0, 0.5, 0.9, 0.97]), r=rng.choice([0, 0.5, 0.9, 0.97]))
        targets = rng.sample(words, 6)
        n_reads = len(tb.m.reads)
        for i in range(rng.randrange(4, 16)):
            if rng.random() < 0.5:
                a, v, strb = rng.choice(targets), rng.getrandbits(32), rng.choice([0xF, 0xF, rng.getrandbits(4)])
                d_aw, d_w = rng.choice([(0, 0), (0, rng.randrange(1, 7)), (rng.randrange(1, 7), 0)])
                tb.m.write(a, v, strb, aw_delay=d_aw, w_delay=d_w)
                model.write(a, v, strb)
            else:
                tb.m.read(rng.choice(fixed), delay=rng.randrange(0, 3))
        await tb.run(max_cycles=50000)
        got = tb.m.reads[n_reads:]
        tb.m.stall = dict(aw=0, w=0, ar=0, b=0, r=0)
        assert all(v in (abi.DEV_ID, abi.DEV_VERSION_MAJOR << 16 | abi.DEV_VERSION_MINOR, GEOMETRY, 0)
                   for v in got), [hex(v) for v in got]
        await check_all(tb, model, addrs=targets + fixed)
