"""cocotb testbench for rtl/top/vcrypto_dma_arb.sv: the shared AXI read and write engines behind
per-client command ports (built with NRC = NWC = 3 by tests/test_vcrypto_dma_arb.py).

Host memory is cocotbext-axi's AxiRam of 1 MiB; the whole 64-bit space aliases onto it (AxiRam
maps an address modulo its size, the tests keep the clients' buffers apart modulo 1 MiB, and
every AR/AW address is checked at its full 64 bits against the commands in flight). Every client is a Python model issuing commands of any
alignment and length and consuming / producing its stream with its own random stalls; every
byte read is compared with memory, every write is checked in memory (and nothing around it
moved). On top: the arbitration contract of rtl/README.md — round robin per direction, a
client that can take a chunk waits at most NC-1 other chunks, a slow consumer or producer
never holds the engines, an AXI error reaches only the client whose chunk got it.
"""
from __future__ import annotations

import hashlib
import logging
import os
import random
from dataclasses import dataclass, field

import cocotb
from cocotb.clock import Clock
from cocotb.triggers import ClockCycles, FallingEdge, ReadOnly, RisingEdge
from cocotbext.axi import AxiBus, AxiRam

from tb.host_memory import aliased_get, aliased_put, inject_failures
import cocotbext.axi.axi_slave as _axi_slave


# a test that has not finished after this much simulated time has hung (a lost handshake, a
# clock that stopped): it fails instead of running forever; the longest takes about 0.09 ms
TIMEOUT_MS = 20


class _Resp:
    """AxiRam answers a failed access with AxiResp.SLVERR; the tests choose that code (1 EXOKAY,
    2 SLVERR, 3 DECERR) through this stand-in for cocotbext-axi's AxiResp."""
    OKAY = 0
    SLVERR = 2


_axi_slave.AxiResp = _Resp

MEM = 1 << 20
READ_AREA = (0, MEM // 2)            # never written: what a read returns is known
C0_MAX = 16 * 16                     # client 0's longest command: its FIFO (FD0 = 16 beats), one chunk
NRC = int(os.environ.get("VCRYPTO_PARAM_NRC", "2"))
NWC = int(os.environ.get("VCRYPTO_PARAM_NWC", "2"))
CHUNK = 256                          # CHUNK_BEATS * 16 (the default)
TOP = 1 << 64


def pattern_beat(addr: int, k: int) -> int:
    """Beat k of a write too long to hold in memory (the 4 GiB commands): a hash of (addr, k)."""
    return int.from_bytes(hashlib.blake2b(f"{addr}:{k}".encode(), digest_size=16).digest(), "little")


@dataclass
class RClient:
    cmds: list[tuple[int, int]]               # (addr, len)
    stall: float = 0.3
    k: int = 0                                # beats of the command taken so far
    nb: int = 0                               # beats of the command
    bad: bool = False                         # the command touches the failing range
    active: bool = False
    done: list[tuple[int, int, int, bool]] = field(default_factory=list)   # (addr, len, clocks, err)
    t0: int = 0
    cur: tuple[int, int] = (0, 0)


@dataclass
class WClient:
    cmds: list[tuple[int, bytes | int]]       # (addr, data), or (addr, length): pattern_beat data
    stall: float = 0.3
    k: int = 0                                # beats handed over so far
    nb: int = 0
    active: bool = False
    done: list[tuple[int, int, int, bool]] = field(default_factory=list)
    t0: int = 0
    cur: tuple[int, bytes | int] = (0, b"")

    def beat(self) -> int:
        a, data = self.cur
        if isinstance(data, int):
            return pattern_beat(a, self.k)
        return int.from_bytes(data[16 * self.k:16 * self.k + 16].ljust(16, b"\0"), "little")


def _len(data: bytes | int) -> int:
    return data if isinstance(data, int) else len(data)


def _set_bit(v: int, i: int, b: bool) -> int:
    return v | (1 << i) if b else v & ~(1 << i)


class Bench:
    def __init__(self, dut, seed: int = 0):
        self.dut = dut
        self.rng = random.Random(seed)
        self.ram = AxiRam(AxiBus.from_prefix(dut, "m_axi"), dut.clk_i, dut.rst_ni, reset_active_level=False, size=MEM)
        # cocotbext-axi logs every burst at INFO: megabytes of output and time in long runs
        logging.getLogger(f"cocotb.{dut._name}.m_axi").setLevel(logging.WARNING)
        self.image = bytearray(self.rng.randbytes(MEM))
        self.ram.write(0, bytes(self.image))
        self.rc = [RClient([]) for _ in range(NRC)]
        self.wc = [WClient([]) for _ in range(NWC)]
        self.cycles = 0
        self.poison: tuple[int, int] | None = None       # [lo, hi) modulo MEM: accesses fail
        _Resp.SLVERR = 2
        self.bursts = 0                                   # AR + AW taken (each checked)
        self.r_waits = [0] * NRC               # other chunks granted while eligible
        self.w_waits = [0] * NWC
        self.max_r_wait = self.max_w_wait = 0
        self.grants: list[tuple[str, int, int]] = []       # (dir, client, clock)
        inject_failures(self.ram, lambda a: bool(self.poison) and self.poison[0] <= a % MEM < self.poison[1])

    def poisoned(self, a: int, n: int) -> bool:
        """[a, a+n) touches the failing range (modulo MEM)."""
        if not self.poison or not n:
            return False
        lo, hi = self.poison
        return any((x - a) % MEM < n for x in range(lo, hi))

    def beat_of(self, cur: tuple[int, int], k: int) -> int:
        a, n = cur
        return int.from_bytes(aliased_get(self.image, a + 16 * k, min(16, n - 16 * k)).ljust(16, b"\0"), "little")

    def _check_bursts(self) -> None:
        """An AR / AW taken in this clock lies in the 16-byte-aligned range of a command of
        that direction in flight, at its full 64-bit address."""
        d = self.dut
        for valid, ready, addr, clients in ((d.m_axi_arvalid, d.m_axi_arready, d.m_axi_araddr, self.rc),
                                            (d.m_axi_awvalid, d.m_axi_awready, d.m_axi_awaddr, self.wc)):
            if valid.value == 1 and ready.value == 1:
                x = int(addr.value)
                assert any(c.active and (c.cur[0] & ~15) <= x < c.cur[0] + _len(c.cur[1]) for c in clients), \
                    f"burst at {x:#x} outside every command in flight"
                self.bursts += 1

    def busy(self) -> bool:
        return any(c.active or c.cmds for c in self.rc) or any(c.active or c.cmds for c in self.wc)

    async def run(self, limit: int = 2_000_000) -> None:
        d, rng = self.dut, self.rng
        t0 = self.cycles
        while self.busy():
            await FallingEdge(d.clk_i)
            self.cycles += 1
            if self.cycles - t0 >= limit:
                raise AssertionError("transfers never finished: " + "; ".join(
                    f"{k}{i} active={c.active} cur={c.cur[0]:#x}+{_len(c.cur[1])} k={c.k}/{c.nb} cmds={len(c.cmds)}"
                    for k, cs in (("r", self.rc), ("w", self.wc)) for i, c in enumerate(cs)))
            rcv = rcr = 0
            raddr = rlen = 0
            for i, c in enumerate(self.rc):
                if not c.active and c.cmds:
                    rcv = _set_bit(rcv, i, True)
                    raddr |= c.cmds[0][0] << (64 * i)
                    rlen |= c.cmds[0][1] << (32 * i)
                rcr = _set_bit(rcr, i, c.active and rng.random() >= c.stall)
            d.rc_cmd_valid_i.value = rcv
            d.rc_cmd_addr_i.value = raddr
            d.rc_cmd_len_i.value = rlen
            d.rc_ready_i.value = rcr
            wcv = wv = 0
            waddr = wlen = wdata = 0
            for i, c in enumerate(self.wc):
                if not c.active and c.cmds:
                    wcv = _set_bit(wcv, i, True)
                    waddr |= c.cmds[0][0] << (64 * i)
                    wlen |= _len(c.cmds[0][1]) << (32 * i)
                if c.active and c.k < c.nb and rng.random() >= c.stall:
                    wv = _set_bit(wv, i, True)
                    wdata |= c.beat() << (128 * i)
            d.wc_cmd_valid_i.value = wcv
            d.wc_cmd_addr_i.value = waddr
            d.wc_cmd_len_i.value = wlen
            d.wc_valid_i.value = wv
            d.wc_data_i.value = wdata
            await ReadOnly()
            self._arbitration()
            self._check_bursts()
            cready, busy, err = int(d.rc_cmd_ready_o.value), int(d.rc_busy_o.value), int(d.rc_err_o.value)
            valid, data = int(d.rc_valid_o.value), int(d.rc_data_o.value)
            for i, c in enumerate(self.rc):
                if c.active:
                    if (rcr >> i) & 1 and (valid >> i) & 1:
                        got = (data >> (128 * i)) & ((1 << 128) - 1)
                        assert c.k < c.nb, f"read client {i}: a beat more than its command's"
                        want = self.beat_of(c.cur, c.k)
                        if not c.bad:
                            assert got == want, f"read client {i} {c.cur}: beat {got:032x} != {want:032x}"
                        c.k += 1
                    if not (busy >> i) & 1:
                        assert c.k == c.nb, f"read client {i}: idle with {c.nb - c.k} beats owed"
                        c.done.append((*c.cur, self.cycles - c.t0, bool((err >> i) & 1)))
                        c.active = False
                elif (rcv >> i) & 1 and (cready >> i) & 1:
                    c.cur = c.cmds.pop(0)
                    a, n = c.cur
                    c.k, c.nb = 0, (n + 15) // 16
                    c.bad = self.poisoned(a, n)
                    c.active, c.t0 = bool(n), self.cycles
                    if not n:
                        c.done.append((a, n, 0, False))
            cready, busy, err = int(d.wc_cmd_ready_o.value), int(d.wc_busy_o.value), int(d.wc_err_o.value)
            ready = int(d.wc_ready_o.value)
            for i, c in enumerate(self.wc):
                if c.active:
                    if (wv >> i) & 1 and (ready >> i) & 1:
                        c.k += 1
                    if not (busy >> i) & 1:
                        assert c.k == c.nb, f"write client {i}: idle with {c.nb - c.k} beats not taken"
                        a, raw = c.cur
                        assert isinstance(raw, bytes), "a pattern write ran to its end"
                        if not self.poisoned(a, len(raw)):
                            aliased_put(self.image, a, raw)
                        else:               # the failed 16-byte beat is not written, the others are
                            keep = bytearray(aliased_get(self.image, a, len(raw)))
                            for j in range(len(raw)):
                                if not self.poisoned(a + j, 1):
                                    keep[j] = raw[j]
                            aliased_put(self.image, a, bytes(keep))
                        c.done.append((a, len(raw), self.cycles - c.t0, bool((err >> i) & 1)))
                        c.active = False
                elif (wcv >> i) & 1 and (cready >> i) & 1:
                    c.cur = c.cmds.pop(0)
                    c.k, c.nb = 0, (_len(c.cur[1]) + 15) // 16
                    c.active, c.t0 = bool(_len(c.cur[1])), self.cycles
                    if not _len(c.cur[1]):
                        c.done.append((c.cur[0], 0, 0, False))
        await ClockCycles(d.clk_i, 2)

    def _arbitration(self) -> None:
        """Round robin, bounded wait: a client that can take a chunk is passed over by at most
        NC-1 grants to others (its eligibility only ends with its own grant)."""
        d = self.dut
        for kind, valid, ready, pick, elig, waits, n in (
                ("rd", d.rd_cmd_valid, d.rd_cmd_ready, d.r_pick, d.r_elig, self.r_waits, NRC),
                ("wr", d.wr_cmd_valid, d.wr_cmd_ready, d.w_pick, d.w_elig, self.w_waits, NWC)):
            if not (valid.value and ready.value):
                continue
            p, e = int(pick.value), int(elig.value)
            assert (e >> p) & 1
            self.grants.append((kind, p, self.cycles))
            for c in range(n):
                if c == p:
                    waits[c] = 0
                elif (e >> c) & 1:
                    waits[c] += 1
                    assert waits[c] <= n - 1, f"{kind} client {c} passed over {waits[c]} times"
            if kind == "rd":
                self.max_r_wait = max(self.max_r_wait, max(waits))
            else:
                self.max_w_wait = max(self.max_w_wait, max(waits))

    def check_memory(self) -> None:
        got = self.ram.read(0, MEM)
        if got != bytes(self.image):
            bad = next(i for i in range(MEM) if got[i] != self.image[i])
            raise AssertionError(f"memory differs at 0x{bad:x}")


async def start(dut, seed: int) -> Bench:
    Clock(dut.clk_i, 10, unit="ns").start()
    for s in (dut.rc_cmd_valid_i, dut.rc_ready_i, dut.wc_cmd_valid_i, dut.wc_valid_i):
        s.value = 0
    dut.rst_ni.value = 0
    b = Bench(dut, seed)
    await ClockCycles(dut.clk_i, 3)
    dut.rst_ni.value = 1
    await ClockCycles(dut.clk_i, 2)
    return b


def write_area(c: int) -> tuple[int, int]:
    size = (MEM // 2) // NWC
    return MEM // 2 + c * size, MEM // 2 + (c + 1) * size


# ---------------------------------------------------------------- tests
@cocotb.test(timeout_time=TIMEOUT_MS, timeout_unit="ms")
async def random_transfers_on_every_client(dut):
    """Every client at once: commands of any alignment and length (0 to 3 KiB; client 0 at most
    the 16 beats of its FIFO, FD0, a chunk), random stalls on every stream and every AXI
    channel's readiness left to AxiRam."""
    b = await start(dut, seed=1)
    rng = b.rng
    for i, c in enumerate(b.rc):
        top = C0_MAX if i == 0 else 3000
        c.cmds = [(rng.randrange(READ_AREA[1] - 4096), rng.choice((0, rng.randint(1, 64), rng.randint(1, top))))
                  for _ in range(40)]
        c.stall = rng.choice((0.0, 0.3, 0.7))
    for i, c in enumerate(b.wc):
        lo, hi = write_area(i)
        top = C0_MAX if i == 0 else 3000
        c.cmds = [(rng.randrange(lo, hi - 4096), rng.randbytes(rng.choice((0, rng.randint(1, 64), rng.randint(1, top)))))
                  for _ in range(40)]
        c.stall = rng.choice((0.0, 0.3, 0.7))
    await b.run()
    b.check_memory()
    assert not any(e for c in b.rc + b.wc for *_, e in c.done)
    dut._log.info("%d clocks; longest wait in grants: read %d, write %d", b.cycles, b.max_r_wait, b.max_w_wait)
    assert dut.idle_o.value


@cocotb.test(timeout_time=TIMEOUT_MS, timeout_unit="ms")
async def slow_clients_do_not_hold_the_engines(dut):
    """Client 1 reads and writes 64 KiB at one beat per 40 clocks (a slow engine); client 2 moves
    4 KiB at full speed meanwhile, within a few chunks' time of its time alone."""
    b = await start(dut, seed=2)
    rng = b.rng
    b.rc[2].cmds = [(0x1000, 4096)]
    b.rc[2].stall = 0.0
    await b.run()
    alone = b.rc[2].done[-1][2]
    lo1, _ = write_area(1)
    lo2, _ = write_area(2)
    b.wc[2].cmds = [(lo2, rng.randbytes(4096))]
    b.wc[2].stall = 0.0
    await b.run()
    alone_w = b.wc[2].done[-1][2]
    b.rc[1].cmds = [(0x2_0000, 65536)]
    b.rc[1].stall = 39 / 40
    b.wc[1].cmds = [(lo1, rng.randbytes(65536))]
    b.wc[1].stall = 39 / 40
    b.rc[2].cmds = [(0x1000, 4096)]
    b.wc[2].cmds = [(lo2 + 0x3000, rng.randbytes(4096))]
    runner = cocotb.start_soon(b.run(limit=5_000_000))
    while b.rc[2].cmds or b.rc[2].active or b.wc[2].cmds or b.wc[2].active:
        await ClockCycles(dut.clk_i, 100)
    shared, shared_w = b.rc[2].done[-1][2], b.wc[2].done[-1][2]
    dut._log.info("4 KiB read: %d clocks alone, %d next to a slow 64 KiB reader; write: %d, %d",
                  alone, shared, alone_w, shared_w)
    chunks = 4096 // CHUNK
    assert shared <= alone + chunks * 40 and shared_w <= alone_w + chunks * 40
    b.rc[1].stall = b.wc[1].stall = 0.0
    await runner
    b.check_memory()


@cocotb.test(timeout_time=TIMEOUT_MS, timeout_unit="ms")
async def round_robin_under_full_load(dut):
    """Every client has chunks to move at full speed: the grants rotate (a client able to take
    a chunk is passed over at most NC-1 times, checked at every grant)."""
    b = await start(dut, seed=3)
    rng = b.rng
    for i, c in enumerate(b.rc):
        c.cmds = [(rng.randrange(READ_AREA[1] - 8192), C0_MAX if i == 0 else 4096) for _ in range(6 if i else 24)]
        c.stall = 0.0
    for i, c in enumerate(b.wc):
        lo, hi = write_area(i)
        c.cmds = [(rng.randrange(lo, hi - 8192), rng.randbytes(C0_MAX if i == 0 else 4096)) for _ in range(6 if i else 24)]
        c.stall = 0.0
    await b.run()
    b.check_memory()
    # (every grant was checked: no eligible client passed over more than NC-1 times)
    assert b.max_r_wait >= 1 and b.max_w_wait >= 1, "no contention: the test tests nothing"
    for kind, n in (("rd", NRC), ("wr", NWC)):
        seq = [c for k, c, _ in b.grants if k == kind]
        assert set(seq) == set(range(n))
        dut._log.info("%s grants: %s", kind, "".join(map(str, seq[:60])))


@cocotb.test(timeout_time=TIMEOUT_MS, timeout_unit="ms")
async def axi_errors_reach_only_their_client(dut):
    """An AXI error response in one client's range: that client's err is set when its command
    ends (the transfer still runs to its end); the others' are not; the next command clears it."""
    b = await start(dut, seed=4)
    rng = b.rng
    b.poison = (0x4_0000, 0x4_0100)
    b.rc[1].cmds = [(0x4_0000 - 300, 1000), (0x1000, 200)]
    b.rc[2].cmds = [(0x8_0000 - 3000, 2000), (0x2000, 700)]
    lo, _ = write_area(2)
    b.wc[1].cmds = [(write_area(1)[0], rng.randbytes(900))]
    b.wc[2].cmds = [(lo, rng.randbytes(600)), (lo + 0x1000, rng.randbytes(100))]
    b.rc[0].cmds = [(0x3000, 64)]
    await b.run()
    assert [e for *_, e in b.rc[1].done] == [True, False]
    assert [e for *_, e in b.rc[2].done] == [False, False]
    assert [e for *_, e in b.rc[0].done] == [False]
    assert not any(e for c in b.wc for *_, e in c.done)
    # a write error
    b.poison = (lo + 0x100, lo + 0x110)
    b.wc[2].cmds = [(lo + 0x80, rng.randbytes(300)), (lo + 0x2000, rng.randbytes(50))]
    b.wc[1].cmds = [(write_area(1)[0] + 0x1000, rng.randbytes(700))]
    await b.run()
    assert [e for *_, e in b.wc[2].done][-2:] == [True, False]
    assert not b.wc[1].done[-1][3]


async def reset(b: Bench) -> None:
    """Reset the arbiter (and AxiRam, which watches rst_ni) with every client input low; the
    client models forget their commands."""
    d = b.dut
    await FallingEdge(d.clk_i)
    for sig in (d.rc_cmd_valid_i, d.rc_ready_i, d.wc_cmd_valid_i, d.wc_valid_i):
        sig.value = 0
    d.rst_ni.value = 0
    for c in b.rc + b.wc:
        c.cmds, c.active = [], False
    b.r_waits, b.w_waits = [0] * NRC, [0] * NWC         # the reset ends every wait
    await ClockCycles(d.clk_i, 3)
    d.rst_ni.value = 1
    await ClockCycles(d.clk_i, 2)


def high(rng: random.Random) -> int:
    """Address bits 63:20: random, or one of the patterns that set each bit both ways."""
    return rng.choice((rng.getrandbits(44), rng.getrandbits(44), 0, (1 << 44) - 1, 0x5555_5555_555, 0xAAAA_AAAA_AAA))


@cocotb.test(timeout_time=TIMEOUT_MS, timeout_unit="ms")
async def transfers_across_the_64_bit_space(dut):
    """Every client at once at addresses all over the 64-bit space (random bits 63:20 and the
    complementary patterns), each burst's full address checked against the commands in flight;
    then transfers ending at the last byte of the space (2^64 - 1) on every client."""
    b = await start(dut, seed=5)
    rng = b.rng
    for i, c in enumerate(b.rc):
        top = C0_MAX if i == 0 else 3000
        c.cmds = [((high(rng) << 20) | rng.randrange(READ_AREA[1] - 4096), rng.randint(1, top)) for _ in range(30)]
        c.stall = rng.choice((0.0, 0.3))
    for i, c in enumerate(b.wc):
        lo, hi = write_area(i)
        top = C0_MAX if i == 0 else 3000
        c.cmds = [((high(rng) << 20) | rng.randrange(lo, hi - 4096), rng.randbytes(rng.randint(1, top)))
                  for _ in range(30)]
        c.stall = rng.choice((0.0, 0.3))
    await b.run(limit=200_000)
    b.check_memory()
    assert b.bursts > 300 and not any(e for c in b.rc + b.wc for *_, e in c.done)
    # ending at 2^64 - 1: the top of the space aliases onto the top of the memory, the last
    # write client's area; one client at a time there, the others elsewhere meanwhile
    for j, n in enumerate((1, 16, 300, 100, 255, 77)):     # client 0 at most C0_MAX bytes (its FIFO)
        for i, c in enumerate(b.wc):
            c.cmds = [(TOP - n, rng.randbytes(n))] if i == j % NWC else \
                [((high(rng) << 20) | write_area(i)[0], rng.randbytes(64))]
        await b.run()
        for i, c in enumerate(b.rc):
            c.cmds = [(TOP - n - 16 * i, n + 16 * i) if i == j % NRC else ((high(rng) << 20) | 0x1000, 100)]
        await b.run()
        b.check_memory()
    assert not any(e for c in b.rc + b.wc for *_, e in c.done)


@cocotb.test(timeout_time=TIMEOUT_MS, timeout_unit="ms")
async def axi_errors_every_response_on_every_client(dut):
    """EXOKAY, SLVERR and DECERR on one beat of one client's command, for every read and every
    write client, the others running at the same time: err is set on that client only and only
    for SLVERR/DECERR; every beat is still delivered (reads) or taken (writes), the other bytes
    of a failed write are written; the client's next command clears its err."""
    b = await start(dut, seed=6)
    rng = b.rng
    for resp in (1, 2, 3):
        _Resp.SLVERR = resp
        for side, n in (("rd", NRC), ("wr", NWC)):
            for victim in range(n):
                base = (high(rng) << 20)
                for i, c in enumerate(b.rc):
                    a = base | (0x1_0000 * (i + 1) + rng.randrange(16))
                    c.cmds = [(a, 100 if i == 0 else 1000), ((high(rng) << 20) | 0x2000, 50)]
                for i, c in enumerate(b.wc):
                    a = base | (write_area(i)[0] + rng.randrange(16))
                    c.cmds = [(a, rng.randbytes(100 if i == 0 else 1000)), ((high(rng) << 20) | (write_area(i)[0] + 0x4000), rng.randbytes(40))]
                cs = b.rc if side == "rd" else b.wc
                a = cs[victim].cmds[0][0] % MEM
                p = (a & ~15) + 16 * rng.randrange(1, 5)        # a beat inside the command
                b.poison = (p, p + 16)
                await b.run()
                b.poison = None
                for kind, clients in (("rd", b.rc), ("wr", b.wc)):
                    for i, c in enumerate(clients):
                        errs = [e for *_, e in c.done[-2:]]
                        want = [kind == side and i == victim and resp >= 2, False]
                        assert errs == want, (resp, side, victim, kind, i, errs)
                b.check_memory()


@cocotb.test(timeout_time=TIMEOUT_MS, timeout_unit="ms")
async def largest_commands_then_reset(dut):
    """Commands of 4 GiB - 1 (and the largest lengths at other offsets) on every client, reads
    checked beat by beat and writes streaming, for a while; then a reset: every client idle and
    without err, the AXI side quiet, nothing written outside the commands' first bytes; then
    ordinary transfers on every client are right."""
    b = await start(dut, seed=7)
    rng = b.rng
    lengths = [0xFFFF_FFFF, 0xFFFF_FFF0, 0xFFFF_FFFE, 0x8000_0001, rng.getrandbits(32) | (1 << 31)]
    for rnd, ln0 in enumerate(lengths):
        for i, c in enumerate(b.rc):
            ln = ln0 if i else 128
            c.cmds = [((high(rng) << 20) | (0x1_0000 * (i + 1) + rng.randrange(16)), ln)]
            c.stall = 0.2 if i else 0.0
        marks = []
        for i, c in enumerate(b.wc):
            a = (high(rng) << 20) | (write_area(i)[0] + rng.randrange(16))
            c.cmds = [(a, ln0 if i else rng.randbytes(128))]
            c.stall = 0.2
            marks.append(a)
        runner = cocotb.start_soon(b.run())
        await ClockCycles(dut.clk_i, 600)
        assert not runner.done()
        assert all(c.k > 0 for c in b.rc[1:]) and all(c.k > 0 for c in b.wc[1:]), "the commands did not start"
        runner.cancel()
        await reset(b)
        await ReadOnly()
        assert (int(dut.rc_busy_o.value), int(dut.wc_busy_o.value), int(dut.rc_err_o.value), int(dut.wc_err_o.value)) == (0, 0, 0, 0)
        assert (int(dut.rc_cmd_ready_o.value), int(dut.wc_cmd_ready_o.value)) == ((1 << NRC) - 1, (1 << NWC) - 1)
        assert dut.idle_o.value and not dut.m_axi_arvalid.value and not dut.m_axi_awvalid.value and not dut.m_axi_wvalid.value
        await RisingEdge(dut.clk_i)
        # memory: only the write clients' first (up to 600 x 16) bytes moved
        got = bytearray(b.ram.read(0, MEM))
        for i, a in enumerate(marks):
            lo = a % MEM
            got[lo:lo + 16 * 600] = b.image[lo:lo + 16 * 600]
        assert got == b.image, "memory written outside the interrupted commands"
        b.image = bytearray(b.ram.read(0, MEM))
        # ordinary transfers after the reset
        for i, c in enumerate(b.rc):
            c.cmds = [((high(rng) << 20) | rng.randrange(READ_AREA[1] - 4096), rng.randint(1, C0_MAX if i == 0 else 2000))
                      for _ in range(3)]
        for i, c in enumerate(b.wc):
            lo, hi = write_area(i)
            c.cmds = [((high(rng) << 20) | rng.randrange(lo, hi - 4096), rng.randbytes(rng.randint(1, C0_MAX if i == 0 else 2000)))
                      for _ in range(3)]
        await b.run()
        b.check_memory()
        assert not any(e for c in b.rc + b.wc for *_, e in c.done[-3:])


@cocotb.test(timeout_time=TIMEOUT_MS, timeout_unit="ms")
async def full_fifos(dut):
    """Consumers that stop taking beats: each read client's FIFO fills to its depth (16 beats for
    client 0, 32 for the others), the read engine serves the other clients meanwhile and no beat
    is lost or reordered when they resume."""
    b = await start(dut, seed=8)
    rng = b.rng
    for i, c in enumerate(b.rc):
        c.cmds = [(rng.randrange(READ_AREA[1] - 8192), C0_MAX if i == 0 else 4096) for _ in range(2)]
        c.stall = 1.0
    runner = cocotb.start_soon(b.run())
    full = set()
    for _ in range(2000):
        await RisingEdge(dut.clk_i)
        await ReadOnly()
        f = int(dut.r_fifo_full.value)
        full |= {i for i in range(NRC) if (f >> i) & 1}
        if len(full) == NRC:
            break
    assert full == set(range(NRC)), full
    for c in b.rc:
        c.stall = 0.3
    await runner
    assert all(len(c.done) == 2 and not any(e for *_, e in c.done) for c in b.rc)
