"""Split virtqueues, device side (virtio 1.x, "Split Virtqueues"): descriptor table, available
and used rings in guest memory, indirect descriptors, VIRTIO_F_EVENT_IDX.

`pop()` walks one descriptor chain into a `Chain` (readable and writable segments, in order)
with every rule checked: index in range, no loops, at most `size` descriptors in the table and
at most max(size, 1024) in all (an indirect table counts its entries, as in QEMU), no indirect
inside indirect, no readable descriptor after a writable one, every segment inside guest
memory. A chain that breaks a rule raises ChainError carrying its head, so the caller can
complete it (or flag the device) and go on. A queue whose rings are not wholly inside guest
memory, whose available index jumps by more than the queue size, or that makes a head
available again while the device still holds it, is `broken`: ChainError with head -1, nothing
can be completed on it until the device is reset (Linux's driver treats a used head it does not
hold the same way: BAD_RING).

Kicks are suppressed while the device drains (as Linux's vhost does): the driver is asked for
its next kick (EVENT_IDX: avail_event = the next index the device will take; otherwise used
flags without NO_NOTIFY) only when `pop()` finds the ring empty, and the ring is read once more
after asking, so a chain the driver made available in between is taken now rather than left
waiting for a kick it was told it need not send. A driver that adds chains while the device is
still working through earlier ones therefore does not kick at all.
"""
from __future__ import annotations

import struct
import threading
from dataclasses import dataclass, field

from bridge.guest_memory import GuestMemoryError

DESC = struct.Struct("<QIHH")
U16 = struct.Struct("<H")
USED_ELEM = struct.Struct("<II")
VIRTQ_DESC_F_NEXT, VIRTQ_DESC_F_WRITE, VIRTQ_DESC_F_INDIRECT = 1, 2, 4
VIRTQ_AVAIL_F_NO_INTERRUPT = 1
VIRTQ_USED_F_NO_NOTIFY = 1
MAX_CHAIN_BYTES = 1 << 32
MAX_CHAIN_DESCS = 1024          # QEMU's VIRTQUEUE_MAX_SIZE: descriptors in one chain, indirect ones included


class ChainError(Exception):
    def __init__(self, head: int, why: str, descs: int = 1):
        super().__init__(why)
        self.head = head
        self.descs = descs           # descriptors read before the rule broke (the work it cost)


@dataclass(slots=True)
class Chain:
    head: int
    readable: list[tuple[int, int]] = field(default_factory=list)   # (gpa, len)
    writable: list[tuple[int, int]] = field(default_factory=list)
    descs: int = 0                   # descriptors walked, indirect entries included
    readable_len: int = 0            # bytes in `readable` (summed by the walk)
    writable_len: int = 0


_FENCE = threading.Lock()


def full_barrier() -> None:
    """Order the stores before it against the loads after it, as virtio_mb() does: x86 lets a
    load pass an earlier store to another address, and Python has no fence of its own. An
    uncontended lock's acquire and release are locked read-modify-writes in glibc's semaphore,
    which x86 orders as full barriers."""
    with _FENCE:
        pass


def need_event(event: int, new: int, old: int) -> bool:
    """vring_need_event: has the other side asked to be told when idx passes `event`?"""
    return ((new - event - 1) & 0xFFFF) < ((new - old) & 0xFFFF)


class DeviceVirtqueue:
    def __init__(self, mem, size: int, desc: int, avail: int, used: int, event_idx: bool):
        if size == 0 or size & (size - 1) or size > 32768:
            raise ValueError(f"bad queue size {size}")
        self.mem, self.size = mem, size
        self.desc, self.avail, self.used = desc, avail, used
        self.event_idx = event_idx
        self.last_avail = 0
        self.used_idx = 0
        self.signalled_used = 0      # used idx at the last notification we sent
        self.broken = ""             # why the queue cannot be used until reset ("" = usable)
        self.held = bytearray(size)  # held[head]: popped and not yet pushed back (never in flight twice)
        self.high_water = 0          # most chains the driver had outstanding (available, not yet used) at a pop
        self.kicks_wanted = True     # the driver was last told to kick for its next chain (see pop)
        self.lane_state = None       # the native lane's copy of this queue's state (bridge/native_lane.py)
        # the three rings, each checked once to lie wholly in guest memory; the device reads the
        # descriptor table and the available ring through these views (every ring offset below
        # is inside them by construction) and writes the used ring through mem.write (audited)
        views = []
        for what, addr, n in (("descriptor table", desc, 16 * size), ("available ring", avail, 6 + 2 * size),
                              ("used ring", used, 6 + 8 * size)):
            try:
                if mem is None:
                    raise GuestMemoryError("no guest memory")
                views.append(mem.view(addr, n))
            except GuestMemoryError as e:
                self.broken = f"{what} [0x{addr:x}, +{n}) not in guest memory: {e}"
                break
        self._desc_ring, self._avail_ring = views[:2] if not self.broken else (b"", b"")

    # ------------------------------------------------------------ available ring
    def avail_idx(self) -> int:
        return U16.unpack_from(self._avail_ring, 2)[0]

    def pop(self) -> Chain | None:
        """Next available chain, or None. Raises ChainError for a malformed chain (already
        consumed from the ring: the caller must push it to the used ring)."""
        avail_idx = self.avail_idx()
        if avail_idx == self.last_avail:
            self._want_kicks()
            avail_idx = self.avail_idx()
            if avail_idx == self.last_avail:
                return None
        if self.kicks_wanted:        # draining: the driver need not kick until the ring is empty
            self.kicks_wanted = False
            if not self.event_idx:   # (with EVENT_IDX, avail_event simply stays behind its index)
                self.mem.write(self.used, U16.pack(VIRTQ_USED_F_NO_NOTIFY))
        if (avail_idx - self.last_avail) & 0xFFFF > self.size:
            raise ChainError(-1, f"available index jumped by {(avail_idx - self.last_avail) & 0xFFFF}")
        outstanding = (avail_idx - self.used_idx) & 0xFFFF     # == size: the driver's ring is full
        if outstanding > self.high_water:
            self.high_water = outstanding
        head = U16.unpack_from(self._avail_ring, 4 + 2 * (self.last_avail % self.size))[0]
        self.last_avail = (self.last_avail + 1) & 0xFFFF
        if head < self.size and self.held[head]:     # the driver reused a head we hold: its ring is corrupt
            raise ChainError(-1, f"head {head} made available again while still in flight")
        chain = self._walk(head)
        self.held[head] = 1
        return chain

    def _want_kicks(self) -> None:
        """Ask the driver to kick for the next chain it adds (the ring is empty), then make that
        store visible before the caller reads the available index again."""
        if self.event_idx:
            self.mem.write(self.used + 4 + 8 * self.size, U16.pack(self.last_avail))
        else:
            self.mem.write(self.used, U16.pack(0))
        self.kicks_wanted = True
        full_barrier()

    def _walk(self, head: int) -> Chain:
        if head >= self.size:
            raise ChainError(head, f"head index {head} >= queue size {self.size}")
        chain = Chain(head)
        check = self.mem.check
        table, limit, idx = self._desc_ring, self.size, head     # idx < limit on every pass
        seen = 0
        descs, max_descs = 0, max(self.size, MAX_CHAIN_DESCS)
        total_r = total_w = 0
        indirect = b""               # an indirect table, read from guest memory in one access
        while True:
            seen += 1
            descs += 1
            if seen > limit or descs > max_descs:
                raise ChainError(head, "descriptor chain loops or is longer than the queue", descs)
            addr, length, flags, nxt = DESC.unpack_from(indirect or table, 16 * idx)
            if flags & VIRTQ_DESC_F_INDIRECT:
                if indirect:
                    raise ChainError(head, "indirect descriptor inside an indirect table", descs)
                if flags & VIRTQ_DESC_F_NEXT:
                    raise ChainError(head, "indirect descriptor with NEXT set", descs)
                if length == 0 or length % 16:
                    raise ChainError(head, f"indirect table length {length} is not a multiple of 16", descs)
                if length // 16 > max_descs:
                    raise ChainError(head, f"indirect table of {length // 16} entries (at most {max_descs})", descs)
                try:
                    indirect = self.mem.read(addr, length)
                except GuestMemoryError as e:
                    raise ChainError(head, f"indirect table outside guest memory: {e}", descs) from None
                limit, idx, seen = length // 16, 0, 0
                continue
            try:
                check(addr, length)
            except GuestMemoryError as e:
                raise ChainError(head, f"buffer outside guest memory: {e}", descs) from None
            if flags & VIRTQ_DESC_F_WRITE:
                chain.writable.append((addr, length))
                total_w += length
            else:
                if chain.writable:
                    raise ChainError(head, "device-readable descriptor after a device-writable one", descs)
                chain.readable.append((addr, length))
                total_r += length
            if total_r + total_w > MAX_CHAIN_BYTES:
                raise ChainError(head, "chain longer than 4 GiB", descs)
            if not flags & VIRTQ_DESC_F_NEXT:
                chain.descs, chain.readable_len, chain.writable_len = descs, total_r, total_w
                return chain
            if nxt >= limit:
                raise ChainError(head, f"next index {nxt} out of range", descs)
            idx = nxt

    # ------------------------------------------------------------ used ring
    def push(self, head: int, length: int) -> None:
        """Publish a used element: the element first, then the index (virtio 2.7.8.2)."""
        if head < self.size:
            self.held[head] = 0
        slot = self.used + 4 + 8 * (self.used_idx % self.size)
        self.mem.write(slot, USED_ELEM.pack(head, length))
        self.used_idx = (self.used_idx + 1) & 0xFFFF
        self.mem.write(self.used + 2, U16.pack(self.used_idx))

    def should_notify(self) -> bool:
        """Whether the driver wants an interrupt for what was pushed since the last one."""
        old, new = self.signalled_used, self.used_idx
        if old == new:
            return False
        self.signalled_used = new
        if self.event_idx:
            used_event = U16.unpack_from(self._avail_ring, 4 + 2 * self.size)[0]
            return need_event(used_event, new, old)
        flags = U16.unpack_from(self._avail_ring, 0)[0]
        return not flags & VIRTQ_AVAIL_F_NO_INTERRUPT


class ChainReader:
    """The readable part of a chain as one byte stream."""

    def __init__(self, mem, chain: Chain):
        self.mem, self.segs = mem, chain.readable
        self.total = chain.readable_len
        self.pos = 0

    def remaining(self) -> int:
        return self.total - self.pos

    def read(self, n: int) -> bytes:
        """The next n bytes (not secret: a `bytes` copy)."""
        pos = self.pos
        for addr, length in self.segs:     # the common case: all n bytes in one segment
            if pos < length:
                if pos + n <= length:
                    self.pos += n
                    return self.mem.read(addr + pos, n)
                break
            pos -= length
        return bytes(self.read_secret(n))

    def skip(self, n: int) -> None:
        if n > self.remaining():
            raise EOFError(f"need {n} readable bytes, {self.remaining()} left")
        self.pos += n

    def read_secret(self, n: int) -> bytearray:
        """The next n bytes as one bytearray, copied straight from views of guest memory: no
        intermediate `bytes` (which could not be wiped), so a key read this way exists only in
        the returned buffer, which its owner zeroes."""
        if n > self.remaining():
            raise EOFError(f"need {n} readable bytes, {self.remaining()} left")
        out = bytearray(n)
        pos, skip = 0, self.pos
        for addr, length in self.segs:
            if skip >= length:
                skip -= length
                continue
            take = min(length - skip, n - pos)
            if take:
                with self.mem.view(addr + skip, take) as v:
                    out[pos:pos + take] = v
            pos += take
            skip = 0
            if pos == n:
                break
        self.pos += n
        return out


class ChainWriter:
    """The writable part of a chain: a data stream followed by the status byte, which is
    the last byte of the last writable descriptor (virtio-crypto 'inhdr')."""

    def __init__(self, mem, chain: Chain, status_byte: bool = True):
        self.mem, self.segs = mem, chain.writable
        self.total = chain.writable_len
        self.status_byte = status_byte
        self.pos = 0

    @property
    def has_status(self) -> bool:
        return bool(self.segs) and self.segs[-1][1] >= 1

    def capacity(self) -> int:
        """Bytes available for data (before the status byte, if the layout has one)."""
        return max(0, self.total - 1) if self.status_byte else self.total

    def write(self, data: bytes) -> None:
        if self.pos + len(data) > self.capacity():
            raise EOFError(f"{len(data)} bytes do not fit in the writable area")
        skip, rest = self.pos, memoryview(data)
        for addr, length in self.segs:
            if skip >= length:
                skip -= length
                continue
            take = min(length - skip, len(rest))
            self.mem.write(addr + skip, rest[:take])
            rest = rest[take:]
            skip = 0
            if not len(rest):
                break
        self.pos += len(data)

    def write_status(self, status: int) -> None:
        addr, length = self.segs[-1]
        self.mem.write(addr + length - 1, bytes([status]))
