"""Host driver for the accelerator: MMIO through the shared-memory mailbox, the submission and
completion rings, session contexts and data buffers in the shared segment.

It talks to the accelerator process only through the segment and the two semaphores of
sim/accel_process.Transport, exactly as a kernel driver talks to a PCIe card through a BAR,
DMA memory and an interrupt.
"""
from __future__ import annotations

import bisect
import mmap
import time
from dataclasses import dataclass, field
from typing import Protocol

from bridge import abi
from bridge.accel_abi import Completion, Context, aead_stream, aead_stream_len, encode_sqe
from bridge.algorithms import HASH_BY_ABI
from bridge.rings import BufferMemory, RingDriver, RingPair


class Transport(Protocol):
    """How the host reaches the accelerator, as a driver reaches a PCIe card: a shared segment
    (BAR + DMA memory in one), a doorbell it rings after queueing MMIO accesses, and an
    interrupt line it can wait on. `sim.accel_process` implements it over POSIX objects."""
    mem: mmap.mmap
    size: int

    def ring_doorbell(self) -> None: ...
    def wait_irq(self, timeout: float) -> bool: ...      # False: timed out
    def alive(self) -> bool: ...


class AccelTimeout(TimeoutError):
    pass


class OutOfMemory(MemoryError):
    pass


# the digest buffer of every request: the most the device writes there (a context's
# digest_len is at most its hash's size; it once was 32 here, and SHA-512 digests overran it)
MAX_DIGEST = max(h.digest_len for h in HASH_BY_ABI.values())


class Heap:
    """First-fit allocator with coalescing over [start, end) of the segment (16-byte grain)."""

    def __init__(self, start: int, end: int):
        self.free: list[tuple[int, int]] = [(start, end - start)]   # sorted (offset, size)
        self.used: dict[int, int] = {}

    def alloc(self, n: int, align: int = 16) -> int:
        n = max(16, (n + 15) & ~15)
        for i, (off, size) in enumerate(self.free):
            start = (off + align - 1) & ~(align - 1)
            if start + n <= off + size:
                del self.free[i]
                if start > off:
                    bisect.insort(self.free, (off, start - off))
                if start + n < off + size:
                    bisect.insort(self.free, (start + n, off + size - start - n))
                self.used[start] = n
                return start
        raise OutOfMemory(f"no {n} free bytes in the shared segment")

    def release(self, off: int) -> None:
        n = self.used.pop(off)
        free = self.free
        i = bisect.bisect_left(free, (off, 0))
        # coalesce with the free neighbours only (the list stays sorted and gap-separated)
        if i < len(free) and off + n == free[i][0]:
            n += free[i][1]
            del free[i]
        if i > 0 and free[i - 1][0] + free[i - 1][1] == off:
            off, n = free[i - 1][0], free[i - 1][1] + n
            i -= 1
            del free[i]
        free.insert(i, (off, n))


@dataclass
class Request:
    opcode: int
    ctx: int                     # context offset (from create_context)
    src: bytes                   # AEAD: the text (plaintext, or ciphertext without its tag)
    iv: bytes = b""
    digest_len: int = 0          # AEAD: taken from the context (its tag length)
    aad: bytes = b""             # AEAD: the additional authenticated data
    tag: bytes = b""             # AEAD decryption: the expected tag (ctx.digest_len bytes)
    # filled in
    cookie: int = 0
    src_off: int = 0
    dst_off: int = 0
    dig_off: int = 0
    dst_len: int = 0             # bytes read back from dst on success (AEAD encryption: text + tag)
    blocks: tuple[int, ...] = () # the segment blocks it holds, freed (zeroed) when it completes
    completion: Completion | None = None
    dst: bytes = b""
    digest: bytes = b""
    extra: dict = field(default_factory=dict)


class AccelClient:
    def __init__(self, transport: Transport, sq_log2: int = 8, cq_log2: int = 8, mmio_timeout: float = 5.0):
        self.t = transport
        self.mmio_timeout = mmio_timeout     # an MMIO access not executed by then: AccelTimeout
        self.mem = transport.mem
        self.base = abi.SHM_DMA_BASE
        self.mmio_head = 0
        nq = abi.DEV_NUM_QUEUES
        ring_bytes = nq * ((abi.SQE_BYTES << sq_log2) + (abi.CQE_BYTES << cq_log2))
        rings = abi.SHM_HEADER_BYTES
        self.heap = Heap((rings + ring_bytes + 4095) & ~4095, transport.size)
        pairs = []
        for q in range(nq):
            sq = rings + q * ((abi.SQE_BYTES << sq_log2) + (abi.CQE_BYTES << cq_log2))
            pairs.append(RingPair(sq, sq + (abi.SQE_BYTES << sq_log2), sq_log2, cq_log2))
        self.rings = RingDriver(BufferMemory(self.mem), pairs, dev_base=self.base)
        self.queues = self.rings.pairs
        self.next_cookie = 1
        self._zeros = memoryview(bytes(abi.DEV_MAX_REQUEST_BYTES + 16))    # source of free()'s zeroing
        self._init_device()

    # -------------------------------------------------------------- MMIO (mailbox)
    def _slot(self, idx: int) -> int:
        return abi.SHM_MMIO_RING_OFFSET + (idx % abi.SHM_MMIO_SLOTS) * abi.MMIO_BYTES

    def _mmio(self, op: int, addr: int, data: int = 0) -> int:
        idx = self.mmio_head
        if idx - self._field("mmio_tail") >= abi.SHM_MMIO_SLOTS:         # mailbox full
            self._wait_mmio(idx - abi.SHM_MMIO_SLOTS, self.mmio_timeout)
        s = self._slot(idx)
        for name, value in (("op", op), ("addr", addr), ("data", data), ("seq", idx + 1)):   # seq, the valid mark, last
            off, n = abi.MMIO_FIELDS[name]
            self.mem[s + off:s + off + n] = value.to_bytes(n, "little")
        self.mmio_head = idx + 1
        off, n = abi.SHM_FIELDS["mmio_head"]
        self.mem[off:off + n] = self.mmio_head.to_bytes(n, "little")
        self.t.ring_doorbell()
        return idx

    def _field(self, name: str) -> int:
        off, n = abi.SHM_FIELDS[name]
        return int.from_bytes(self.mem[off:off + n], "little")

    def _check_alive(self) -> None:
        if not self.t.alive():
            raise ConnectionError("the accelerator process is gone")

    def mmio_write(self, addr: int, value: int) -> None:
        """Posted write: returns once queued (executed in order with all other accesses)."""
        self._mmio(abi.MMIO_OP_WRITE, addr, value)

    def mmio_read(self, addr: int, timeout: float | None = None) -> int:
        idx = self._mmio(abi.MMIO_OP_READ, addr)
        self._wait_mmio(idx, self.mmio_timeout if timeout is None else timeout)
        off, n = abi.MMIO_FIELDS["data"]
        s = self._slot(idx) + off
        return int.from_bytes(self.mem[s:s + n], "little")

    def _wait_mmio(self, idx: int, timeout: float) -> None:
        """Wait until access `idx` has executed; a dead process is noticed within ~10 ms."""
        deadline = time.monotonic() + timeout
        next_check = 0.0
        spins = 0
        while self._field("mmio_tail") <= idx:
            spins += 1
            if spins > 200:
                time.sleep(0.00005)
                now = time.monotonic()
                if now >= next_check:
                    self._check_alive()
                    next_check = now + 0.01
                if now > deadline:
                    raise AccelTimeout(f"MMIO access {idx} not executed within {timeout} s")

    def flush(self, timeout: float | None = None) -> None:
        """Wait until every queued MMIO access has been executed."""
        if self.mmio_head:
            self._wait_mmio(self.mmio_head - 1, self.mmio_timeout if timeout is None else timeout)

    # -------------------------------------------------------------- setup
    def _init_device(self) -> None:
        if self.mmio_read(abi.CSR_ID) != abi.DEV_ID:
            raise RuntimeError("not a vcrypto accelerator")
        win_base, win_size = self.base + abi.SHM_HEADER_BYTES, self.t.size - abi.SHM_HEADER_BYTES
        for addr, value in self.rings.setup(win_base, win_size):
            self.mmio_write(addr, value)
        self.flush()

    # -------------------------------------------------------------- memory
    def write(self, off: int, data: bytes) -> None:
        self.mem[off:off + len(data)] = data

    def read(self, off: int, n: int) -> bytes:
        return bytes(self.mem[off:off + n])

    def create_context(self, session: Context) -> int:
        """Encode a session's context straight into a new block of the segment (no copy of its
        key or HMAC states is made on the way)."""
        off = self.heap.alloc(abi.CTX_BYTES)
        try:
            with memoryview(self.mem) as view, view[off:off + abi.CTX_BYTES] as dst:
                session.write_context(dst)
        except BaseException:
            self.free(off)
            raise
        return off

    def load_context(self, raw: bytes | bytearray) -> int:
        """Place an encoded context (e.g. one saved from a previous accelerator) in the segment."""
        off = self.heap.alloc(abi.CTX_BYTES)
        self.write(off, raw)
        return off

    def save_context(self, off: int) -> bytearray:
        """A copy of a context as a bytearray (no immutable copy of the key is made), to wipe after use."""
        with memoryview(self.mem) as view:
            return bytearray(view[off:off + abi.CTX_BYTES])

    def _zero(self, off: int, n: int) -> None:
        """Zero [off, off + n) of the segment: one slice assignment from a shared zero buffer."""
        if n > len(self._zeros):
            self._zeros = memoryview(bytes(n))
        self.mem[off:off + n] = self._zeros[:n]

    def free(self, off: int) -> None:
        """Zero a block (context, source, destination or digest) and give it back: nothing a
        request or session left in shared memory outlives its block."""
        self._zero(off, self.heap.used[off])
        self.heap.release(off)

    def wipe_allocations(self) -> None:
        """Zero every allocated block: contexts (keys, HMAC states) and in-flight data buffers."""
        for off, n in self.heap.used.items():
            self._zero(off, n)

    def destroy_context(self, off: int) -> None:
        """Wipe the key material and give the memory back."""
        self.free(off)

    # -------------------------------------------------------------- key hygiene
    def scrub(self) -> None:
        """Posted: the device zeroes its key cache and AES round keys before its next request."""
        self.mmio_write(abi.CSR_SCRUB, 1)

    def keys_held(self) -> bool:
        """STATUS.KEYS_HELD: whether any key schedule or cached key is inside the device."""
        return bool(self.mmio_read(abi.CSR_STATUS) & 0b100)

    def scrubs_done(self) -> int:
        return self.mmio_read(abi.CSR_SCRUB)

    # -------------------------------------------------------------- requests
    def space(self, q: int) -> int:
        return self.rings.space(q)

    def outstanding(self) -> int:
        return self.rings.outstanding()

    def submit(self, q: int, req: Request) -> None:
        """Copy the source into the segment, allocate output buffers, post the entry
        (the doorbell is rung by ring())."""
        if self.space(q) <= 0:
            raise RuntimeError(f"queue {q} is full")
        if len(req.iv) > 16:                # the entry has 16 IV bytes: refuse before taking memory
            raise ValueError(f"a {len(req.iv)}-byte IV does not fit a submission entry")
        n = len(req.src)
        aead = req.opcode == abi.OPCODE_AEAD
        if aead:
            src = self._aead_source(req)
            # the text out, then (encrypting) the tag right after it, as virtio returns them; the
            # tag's room is there decrypting too (nothing is written to it), so digest_addr is
            # always an address of this request's own block
            sizes = (len(src), n + req.digest_len)
        else:
            src = req.src
            req.dst_len = n if req.opcode in (abi.OPCODE_CIPHER, abi.OPCODE_CHAIN) else 0
            sizes = (n, n, MAX_DIGEST)
        taken: list[int] = []
        try:
            for size in sizes:
                taken.append(self.heap.alloc(max(size, 1)))
        except OutOfMemory:
            for off in taken:
                self.heap.release(off)
            raise
        req.blocks = tuple(taken)
        req.src_off, req.dst_off = taken[0], taken[1]
        req.dig_off = req.dst_off + n if aead else taken[2]
        self.write(req.src_off, src)
        req.cookie = self.next_cookie
        self.next_cookie += 1
        sqe = encode_sqe(req.opcode, req.cookie, self.base + req.ctx, self.base + req.src_off, n,
                         self.base + req.dst_off, self.base + req.dig_off, req.iv, aad_len=len(req.aad))
        self.rings.post(q, sqe, req.cookie, req)

    def _aead_source(self, req: Request) -> bytes:
        """An AEAD request's source stream (firmware/ABI.md "AEAD"), its direction and tag length
        read from its context as the device will read them; fills in digest_len and dst_len.
        A request the device could not be given as it stands raises ValueError (before any
        memory is taken)."""
        # two one-byte fields, read one by one: no copy of the context (its key) is made
        decrypt = bool(self.mem[req.ctx + abi.CTX_FIELDS["cipher_dir"][0]])
        req.digest_len = self.mem[req.ctx + abi.CTX_FIELDS["digest_len"][0]]
        if len(req.aad) >= 1 << 8 * abi.SQE_FIELDS["aad_len"][1]:
            raise ValueError(f"{len(req.aad)} bytes of AAD do not fit a submission entry")
        if len(req.tag) != (req.digest_len if decrypt else 0) or len(req.tag) > 16:
            raise ValueError(f"a {len(req.tag)}-byte expected tag for a {req.digest_len}-byte tag "
                             f"{'decryption' if decrypt else 'encryption'}")
        src = aead_stream(req.aad, req.src, req.tag)
        assert len(src) == aead_stream_len(len(req.aad), len(req.src), decrypt)
        req.dst_len = len(req.src) + (0 if decrypt else req.digest_len)
        return src

    def ring(self, queues=None) -> None:
        for q in (range(len(self.queues)) if queues is None else queues):
            self.mmio_write(*self.rings.doorbell(q))

    def reap(self) -> list[Request]:
        """Collect every completion posted so far (phase-bit protocol), copy results out,
        free the buffers, and hand the ring slots back to the device."""
        done = []
        for q in range(len(self.queues)):
            got, head_write = self.rings.reap(q)
            for c, req in got:
                req.completion = c
                if c.status == abi.STATUS_OK:    # else nothing is read out (BADMSG: no plaintext)
                    if req.dst_len:
                        req.dst = self.read(req.dst_off, req.dst_len)
                    if req.opcode not in (abi.OPCODE_CIPHER, abi.OPCODE_AEAD):
                        req.digest = self.read(req.dig_off, req.digest_len)
                for off in req.blocks:
                    self.free(off)             # zeroed: no plaintext, result or digest stays behind
                done.append(req)
            if head_write:
                self.mmio_write(*head_write)
        return done

    def wait_interrupt(self, timeout: float) -> bool:
        """Sleep until an interrupt is delivered (or timeout), then acknowledge it, before the
        caller reaps."""
        if not self.t.wait_irq(timeout):
            self._check_alive()
            return False
        self.acknowledge()
        return True

    def acknowledge(self) -> None:
        """End of interrupt: clear INT_STATUS and wait until that is done. Reap after it: a
        completion that lands later raises the line again, and one posted in the clock of the
        clearing write keeps its bit set -- the line stays high, and the process delivers the
        interrupt again at this end of interrupt (sim/README.md, "Completions")."""
        self.mmio_write(abi.CSR_INT_STATUS, (1 << len(self.queues)) - 1)
        self.flush()

    def run(self, reqs: list[Request], timeout: float = 60.0) -> list[Request]:
        """Submit a batch over all queues (as ring space allows) and wait for all of it."""
        todo = list(reqs)
        done: list[Request] = []
        q = 0
        deadline = time.monotonic() + timeout
        while todo or self.outstanding():
            posted = set()
            while todo and any(self.space(i) > 0 for i in range(len(self.queues))):
                while self.space(q) <= 0:
                    q = (q + 1) % len(self.queues)
                try:
                    self.submit(q, todo[0])
                except OutOfMemory:
                    if not self.outstanding():
                        raise
                    break
                todo.pop(0)
                posted.add(q)
                q = (q + 1) % len(self.queues)
            if posted:
                self.ring(sorted(posted))
            got = self.reap()
            if not got:
                self.wait_interrupt(0.05)
                got = self.reap()
            done += got
            if time.monotonic() > deadline:
                raise AccelTimeout(f"{self.outstanding()} requests not completed within {timeout} s")
        return done
