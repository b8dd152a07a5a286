"""The host's side of the accelerator's submission and completion rings (firmware/ABI.md),
without I/O of its own: one driver model for every host of the device.

It writes submission entries into host memory and reads completion entries out of it through
a `HostMemory` (read/write at addresses as the host sees them), and it returns the register
writes the device needs (ring programming, doorbells, completion heads) as (address, value)
pairs for the caller to perform its own way: the accelerator client through its MMIO mailbox,
the cocotb testbench through an AXI4-Lite master, the stepped model by toggling pins. The same
split as Corundum's mqnic.py driver model, minus the awaits.

Ordering rule it relies on (ABI): completions of one ring come in the order the device
finishes them; the cookie, not the position, says which request completed.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from bridge import abi
from bridge.accel_abi import Completion, decode_cqe

RegWrite = tuple[int, int]          # (CSR address, 32-bit value)
_PHASE_BYTE = abi.CQE_FIELDS["phase"][0]


class HostMemory(Protocol):
    def read(self, addr: int, n: int) -> bytes: ...
    def write(self, addr: int, data: bytes) -> None: ...


class BufferMemory:
    """HostMemory over a bytearray or mmap (the shared segment, a test's RAM image)."""

    def __init__(self, buf):
        self.buf = buf

    def read(self, addr: int, n: int) -> bytes:
        return bytes(self.buf[addr:addr + n])

    def write(self, addr: int, data: bytes) -> None:
        self.buf[addr:addr + len(data)] = data


class RingError(RuntimeError):
    """The device posted a completion the driver cannot account for."""


@dataclass
class RingPair:
    """One submission ring and its completion ring, at host addresses `sq` and `cq`."""
    sq: int
    cq: int
    sq_log2: int
    cq_log2: int
    tail: int = 0                   # next submission slot (the doorbell value)
    head: int = 0                   # next completion slot (written back as CQ_HEAD)
    phase: int = 1                  # phase bit of a new completion in the current pass
    inflight: dict[int, Any] = field(default_factory=dict)     # cookie -> the caller's token

    @property
    def capacity(self) -> int:
        """Entries that may be outstanding: the submission ring keeps one slot empty. More than
        the completion ring holds is fine: the device waits for CQ_HEAD before posting."""
        return (1 << self.sq_log2) - 1


class RingDriver:
    def __init__(self, mem: HostMemory, pairs: list[RingPair], dev_base: int = 0):
        """`dev_base`: the device's DMA address of host address 0 (what the entries carry)."""
        if not 1 <= len(pairs) <= abi.DEV_NUM_QUEUES:
            raise ValueError(f"{len(pairs)} ring pairs (the device has {abi.DEV_NUM_QUEUES})")
        self.mem, self.pairs, self.dev_base = mem, pairs, dev_base

    def setup(self, win_base: int, win_size: int) -> list[RegWrite]:
        """Clear the completion rings; the writes that program the DMA window (DMA addresses)
        and every ring pair, unmask their interrupts and enable the device."""
        w = [(abi.CSR_WIN_BASE_LO, win_base & 0xFFFFFFFF), (abi.CSR_WIN_BASE_HI, win_base >> 32),
             (abi.CSR_WIN_SIZE_LO, win_size & 0xFFFFFFFF), (abi.CSR_WIN_SIZE_HI, win_size >> 32)]
        for q, p in enumerate(self.pairs):
            self.mem.write(p.cq, bytes(abi.CQE_BYTES << p.cq_log2))
            sq, cq = self.dev_base + p.sq, self.dev_base + p.cq
            w += [(abi.qcsr(q, abi.QCSR_SQ_BASE_LO), sq & 0xFFFFFFFF), (abi.qcsr(q, abi.QCSR_SQ_BASE_HI), sq >> 32),
                  (abi.qcsr(q, abi.QCSR_CQ_BASE_LO), cq & 0xFFFFFFFF), (abi.qcsr(q, abi.QCSR_CQ_BASE_HI), cq >> 32),
                  (abi.qcsr(q, abi.QCSR_SQ_SIZE_LOG2), p.sq_log2), (abi.qcsr(q, abi.QCSR_CQ_SIZE_LOG2), p.cq_log2)]
        return w + [(abi.CSR_INT_MASK, (1 << len(self.pairs)) - 1), (abi.CSR_CTRL, 1)]

    def space(self, q: int) -> int:
        p = self.pairs[q]
        return p.capacity - len(p.inflight)

    def outstanding(self) -> int:
        return sum(len(p.inflight) for p in self.pairs)

    def post(self, q: int, sqe: bytes, cookie: int, token: Any) -> None:
        """Write an entry at the tail of ring q (the doorbell is separate: `doorbell(q)`)."""
        p = self.pairs[q]
        if len(p.inflight) >= p.capacity:
            raise RingError(f"ring {q} is full")
        if cookie in p.inflight:
            raise RingError(f"cookie {cookie} is already in flight on ring {q}")
        self.mem.write(p.sq + p.tail * abi.SQE_BYTES, sqe)
        p.tail = (p.tail + 1) % (1 << p.sq_log2)
        p.inflight[cookie] = token

    def doorbell(self, q: int) -> RegWrite:
        return abi.qcsr(q, abi.QCSR_SQ_TAIL), self.pairs[q].tail

    def reap(self, q: int) -> tuple[list[tuple[Completion, Any]], RegWrite | None]:
        """Every completion ring q holds (phase-bit protocol), with its token, and the CQ_HEAD
        write that hands the slots back (None when there was nothing)."""
        p = self.pairs[q]
        done = []
        while True:
            raw = self.mem.read(p.cq + p.head * abi.CQE_BYTES, abi.CQE_BYTES)
            if raw[_PHASE_BYTE] & 1 != p.phase:          # the common case when polling: nothing new
                break
            c = decode_cqe(raw)
            if c.queue != q:
                raise RingError(f"completion for ring {c.queue} posted in ring {q}")
            if c.cookie not in p.inflight:
                raise RingError(f"completion with unknown cookie {c.cookie} on ring {q}")
            done.append((c, p.inflight.pop(c.cookie)))
            p.head = (p.head + 1) % (1 << p.cq_log2)
            if p.head == 0:
                p.phase ^= 1
        return done, ((abi.qcsr(q, abi.QCSR_CQ_HEAD), p.head) if done else None)
