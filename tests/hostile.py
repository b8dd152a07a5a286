"""Hostile-input harness for the device's queues (tests/test_hostile_input.py, `make fuzz`).

`DeviceHarness` runs a real VirtioCryptoDevice (soft datapath, or a shared rtl datapath) behind
the driver model, with
the guest memory replaced by `WatchedMemory`, which logs every write the device makes while a
device entry point (kick, poll, reset) runs, and hands the device read-only views. After each
device call the log is checked against an independent model of the rings:

  * a write is either ring bookkeeping of a live queue (used element at the next slot, used
    idx = previous + 1, avail_event / flags), or data: every data write must lie wholly inside
    one device-writable descriptor of the chain whose used element follows it (the writable
    descriptors are re-derived by this harness, from guest memory, at the moment the device
    pops the chain); a chain returned with used length 0 gets no data writes, and no used
    length exceeds the chain's writable size;
  * after kick(q) + poll every chain made available on q has a used element, or the device
    has set DEVICE_NEEDS_RESET, and from then on it must not touch that queue again;
  * no exception escapes kick/poll/reset, and each returns within a time limit (a hang is
    reported as a failure, not waited for).

Nothing here changes the device: the harness wraps the guest memory object and the bound
`pop` method of each device queue (to learn which chain was taken), nothing in bridge/.
"""
from __future__ import annotations

import signal
import struct
import threading
from contextlib import contextmanager
from unittest import mock

import bridge.driver
from bridge import virtio_crypto as vc
from bridge.datapath import SoftDatapath
from bridge.device import VirtioCryptoDevice
from bridge.driver import Pending, VirtioCryptoDriver
from bridge.guest_memory import BytesGuestMemory, GuestMemoryError
from bridge.virtqueue import DESC, VIRTQ_DESC_F_INDIRECT, VIRTQ_DESC_F_NEXT, VIRTQ_DESC_F_WRITE

MEM = 1 << 20                 # guest memory of one case
CALL_LIMIT = 2.0              # seconds a single kick/poll/reset may take before it counts as a hang


class Hang(BaseException):
    """Raised from SIGALRM inside the device: BaseException, so no `except Exception` eats it."""


class Violation(AssertionError):
    pass


@contextmanager
def time_limit(seconds: float, what: str):
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def alarm(signum, frame):
        raise Hang(f"{what} did not return within {seconds} s")

    old = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


class WatchedMemory(BytesGuestMemory):
    """Guest memory that logs the device's writes (while `armed`) and gives it read-only views."""

    def __init__(self, size: int, base: int = 0):
        super().__init__(size, base)
        self.armed = False
        self.log: list[tuple[int, bytes]] = []

    def write(self, gpa: int, data: bytes) -> None:
        self.note_write(gpa, data)
        super().write(gpa, data)

    def note_write(self, gpa: int, data: bytes) -> None:
        """Also the native lane's audit trail (its writes are made in C)."""
        if self.armed:
            self.log.append((gpa, bytes(data)))

    def view(self, gpa: int, n: int) -> memoryview:
        v = super().view(gpa, n)
        return v.toreadonly() if self.armed else v


def reference_writable(mem, desc: int, size: int, head: int) -> list[tuple[int, int]]:
    """Every device-writable buffer reachable from `head`, walked leniently (follows NEXT
    whatever else is wrong, one level of indirect tables, each descriptor once): a superset
    of what any correct device may write for this chain."""
    out, seen = [], set()
    todo = [(desc, size, head, False)]
    while todo:
        table, limit, idx, nested = todo.pop()
        if idx >= limit or (table, idx) in seen:
            continue
        seen.add((table, idx))
        try:
            addr, length, flags, nxt = DESC.unpack(mem.read(table + 16 * idx, 16))
        except GuestMemoryError:
            continue
        if flags & VIRTQ_DESC_F_INDIRECT:
            if not nested and length >= 16:
                todo.append((addr, length // 16, 0, True))
        elif flags & VIRTQ_DESC_F_WRITE:
            out.append((addr, length))
        if flags & VIRTQ_DESC_F_NEXT:
            todo.append((table, limit, nxt, nested))
    return out


def post_raw(drv, q: int, descs: list[tuple[int, int, int]]) -> int:
    """Post a chain of hand-made descriptors [(addr, len, flags)] on the driver's queue q,
    linked in order (NEXT added); returns its head."""
    dq = drv.queues[q]
    idxs = dq.take(len(descs))
    for k, (i, (addr, length, flags)) in enumerate(zip(idxs, descs)):
        more = k + 1 < len(idxs)
        dq.write_desc(i, addr, length, flags | (VIRTQ_DESC_F_NEXT if more else 0), idxs[k + 1] if more else 0)
    dq.post(idxs[0], idxs, Pending(q, idxs[0], [], []))
    return idxs[0]


def u16(mem, gpa: int) -> int:
    return struct.unpack("<H", mem.read(gpa, 2))[0]


class DeviceHarness:
    def __init__(self, *, num_dataqueues: int = 2, queue_size: int = 32, indirect: bool = True,
                 event_idx: bool = True, revision_1: bool = False, strict_qemu: bool = False,
                 max_sessions: int = 16, datapath=None, limits=None, stateless: bool = False,
                 native_lane: bool = True):
        # a datapath passed in (the rtl one: an accelerator process) is shared by many cases
        # and outlives this harness: close() leaves it idle, without sessions
        self.dev = VirtioCryptoDevice(datapath or SoftDatapath(), num_dataqueues=num_dataqueues,
                                      max_sessions=max_sessions, strict_qemu=strict_qemu, limits=limits,
                                      native_lane=native_lane)
        with mock.patch.object(bridge.driver, "BytesGuestMemory", WatchedMemory):
            self.drv = VirtioCryptoDriver(self.dev, mem_bytes=MEM, queue_size=queue_size, indirect=indirect,
                                          event_idx=event_idx, revision_1=revision_1, stateless=stateless)
        self.mem: WatchedMemory = self.drv.mem
        if self.dev.lane is not None:          # the native lane's writes and chains are audited too
            self.dev.lane.trace_writes(self.mem.note_write)
            self._wrap_lane_drain()
        self.nq = num_dataqueues + 1
        self.size = queue_size
        self.rings = [(dq.desc, dq.avail, dq.used) for dq in self.drv.queues]
        # Every buffer (the driver's and the generated addresses) lies above the rings, so a
        # writable buffer never overlaps a used ring and ring writes are told apart by address.
        self.data_lo = (max(max(d + 16 * queue_size, a + 6 + 2 * queue_size, u + 6 + 8 * queue_size)
                            for d, a, u in self.rings) + 4095) & ~4095
        heap = self.drv.heap
        heap.free = [(max(o, self.data_lo), o + s - max(o, self.data_lo)) for o, s in heap.free
                     if o + s > self.data_lo]
        self.sessions: dict[str, int] = {}
        self._make_sessions()
        self.resets = 0
        self.stats = {"chains": 0, "with_status": 0, "with_status_data": 0, "used_len_0": 0,
                      "queues_abandoned": 0, "needs_reset": 0}
        self._start_tracking()

    # ---------------------------------------------------------------- setup (not checked)
    def _make_sessions(self) -> None:
        d = self.drv
        k16 = bytes(range(16))
        for name, make in (
                ("cbc_enc", lambda: d.create_cipher_session(vc.CIPHER_AES_CBC, k16, vc.OP_ENCRYPT)),
                ("cbc_dec", lambda: d.create_cipher_session(vc.CIPHER_AES_CBC, k16, vc.OP_DECRYPT)),
                ("ctr_enc", lambda: d.create_cipher_session(vc.CIPHER_AES_CTR, k16, vc.OP_ENCRYPT)),
                ("ecb_dec", lambda: d.create_cipher_session(vc.CIPHER_AES_ECB, k16, vc.OP_DECRYPT)),
                ("sha256", lambda: d.create_hash_session(vc.HASH_SHA_256, 32)),
                ("hmac", lambda: d.create_mac_session(vc.MAC_HMAC_SHA_256, 32, b"key")),
                ("gcm_enc", lambda: d.create_aead_session(vc.AEAD_GCM, k16, 16, 0, vc.OP_ENCRYPT)),
                ("gcm_dec", lambda: d.create_aead_session(vc.AEAD_GCM, k16, 16, 0, vc.OP_DECRYPT)),
                ("chain", lambda: d.create_chain_session(vc.CIPHER_AES_CBC, k16, vc.OP_ENCRYPT,
                                                         vc.ALG_CHAIN_CIPHER_THEN_HASH, vc.SYM_HASH_MODE_AUTH,
                                                         vc.MAC_HMAC_SHA_256, 32, b"mk")),
                ("xts_enc", lambda: d.create_cipher_session(vc.CIPHER_AES_XTS, bytes(range(64)), vc.OP_ENCRYPT)),
                ("sha512", lambda: d.create_hash_session(vc.HASH_SHA_512, 64)),
                ("hmac512", lambda: d.create_mac_session(vc.MAC_HMAC_SHA_512, 64, b"k" * 130))):
            status, sid = make()
            if status == vc.NOTSUPP and self.dev.dp.name != "soft":
                continue            # what a datapath does not offer (rtl offers every kind made here)
            assert status == vc.OK, (name, status)
            self.sessions[name] = sid

    def _start_tracking(self) -> None:
        self.used_count = [u16(self.mem, u + 2) for _, _, u in self.rings]
        self.popped: list[list[tuple[int, list[tuple[int, int]]]]] = [[] for _ in range(self.nq)]
        self.abandoned: set[int] = set()
        for q, vq in enumerate(self.dev.queues):
            if vq is not None:
                self._wrap_pop(q, vq)

    def _wrap_pop(self, q: int, vq) -> None:
        orig = vq.pop

        def pop():
            before = vq.last_avail
            try:
                return orig()
            finally:
                if vq.last_avail != before:          # a chain was taken (even if it then raised)
                    self._record_taken(q, vq, before)
        vq.pop = pop

    def _record_taken(self, q: int, vq, slot: int) -> None:
        """The chain the device took from available-ring slot `slot`, with its writable buffers."""
        head = u16(self.mem, vq.avail + 4 + 2 * (slot % vq.size))
        self.popped[q].append((head, reference_writable(self.mem, vq.desc, vq.size, head)))
        self.stats["chains"] += 1

    def _wrap_lane_drain(self) -> None:
        lane = self.dev.lane
        orig = lane.drain

        def drain(mem, vq, budget, revision_1):
            before = vq.last_avail
            n, emptied = orig(mem, vq, budget, revision_1)
            q = next(i for i, v in enumerate(self.dev.queues) if v is vq)
            for k in range(n):                   # the chains it took, as the wrapped pop() records them
                self._record_taken(q, vq, before + k)
            self.stats["lane"] = self.stats.get("lane", 0) + n
            return n, emptied
        lane.drain = drain

    # ---------------------------------------------------------------- device calls, checked
    def call(self, what: str, fn, *args):
        self.mem.log = []
        self.mem.armed = True
        try:
            with time_limit(CALL_LIMIT, what):
                result = fn(*args)
        except Hang as e:
            raise Violation(f"hang: {e}") from None
        except Exception as e:
            raise Violation(f"{what} raised {type(e).__name__}: {e}") from e
        finally:
            self.mem.armed = False
        self._account(what, self.mem.log)
        return result

    def kick(self, q: int, poll: bool = True) -> None:
        self.call(f"kick({q})", self.dev.kick, q)
        if poll:
            self.settle()
            self.check_complete(q)

    def poll(self) -> None:
        self.call("poll", self.dev.poll)

    def settle(self, max_polls: int = 2000) -> None:
        """Poll until the device has nothing left to do (a kick may leave chains for poll when
        its budget is spent, and the rtl datapath answers asynchronously)."""
        wait = 0.0 if self.dev.dp.name == "soft" else 0.02
        self.call("poll", self.dev.poll, wait)
        for _ in range(max_polls):
            if not self.dev.busy():
                return
            self.call("poll", self.dev.poll, wait)
        raise Violation(f"the device is still busy after {max_polls} polls")

    def close(self) -> None:
        """Reset the device (sessions destroyed) and let the datapath drop what it still holds."""
        self.dev.set_status(0)
        for _ in range(2000):
            if not self.dev.dp.inflight():
                return
            self.dev.poll(0.02)
        raise Violation("the datapath still holds requests 40 s after a reset")

    def reset(self) -> None:
        """Device reset by the driver (status 0) and a re-initialisation on the same rings."""
        self.call("reset", self.dev.set_status, 0)
        d, drv = self.dev, self.drv
        d.set_status(vc.ACKNOWLEDGE)
        d.set_status(vc.ACKNOWLEDGE | vc.DRIVER)
        d.set_features(drv.features)
        d.set_status(vc.ACKNOWLEDGE | vc.DRIVER | vc.FEATURES_OK)
        for q, dq in enumerate(drv.queues):
            for off, n in ((dq.desc, 16 * dq.size), (dq.avail, 6 + 2 * dq.size), (dq.used, 6 + 8 * dq.size)):
                self.mem.write(off, bytes(n))
            dq.free = list(range(dq.size))
            dq.avail_idx = dq.last_used = dq.kicked_idx = 0
            dq.tokens.clear()
            d.setup_queue(q, dq.size, dq.desc, dq.avail, dq.used)
        d.set_status(vc.ACKNOWLEDGE | vc.DRIVER | vc.FEATURES_OK | vc.DRIVER_OK)
        self.sessions = {}
        self.resets += 1
        self._start_tracking()

    def finish(self) -> None:
        """Kick every queue once more and check that nothing was left behind."""
        for q in range(self.nq):
            self.kick(q)

    # ---------------------------------------------------------------- the checks
    def _ring_loc(self, gpa: int, n: int):
        for q, (_, _, used) in enumerate(self.rings):
            end = used + 6 + 8 * self.size
            if gpa + n <= used or gpa >= end:
                continue
            if gpa < used or gpa + n > end:
                raise Violation(f"write [0x{gpa:x}, +{n}) straddles the used ring of queue {q}")
            off = gpa - used
            if off == 0 and n == 2:
                return q, "flags", 0
            if off == 2 and n == 2:
                return q, "idx", 0
            if off == 4 + 8 * self.size and n == 2:
                return q, "avail_event", 0
            if 4 <= off < 4 + 8 * self.size and (off - 4) % 8 == 0 and n == 8:
                return q, "elem", (off - 4) // 8
            raise Violation(f"write [0x{gpa:x}, +{n}) is not a used-ring field of queue {q}")
        return None

    def _account(self, what: str, log: list[tuple[int, bytes]]) -> None:
        pending: list[tuple[int, int]] = []
        for gpa, data in log:
            loc = self._ring_loc(gpa, len(data))
            if loc is None:
                pending.append((gpa, len(data)))
                continue
            q, kind, slot = loc
            if q in self.abandoned:
                raise Violation(f"{what}: device wrote the {kind} of queue {q} after leaving chains on it "
                                f"unanswered with NEEDS_RESET")
            if kind == "elem":
                if slot != self.used_count[q] % self.size:
                    raise Violation(f"{what}: used element written at slot {slot}, the next one is "
                                    f"{self.used_count[q] % self.size} (queue {q}; after a reset: {self.resets})")
                head, length = struct.unpack("<II", data)
                match = None
                for i, (h, ref) in enumerate(self.popped[q]):
                    if h == head and all(any(a <= g and g + n <= a + m for a, m in ref) for g, n in pending):
                        match = i
                        break
                if match is None:
                    if any(h == head for h, _ in self.popped[q]):
                        raise Violation(f"{what}: device wrote {pending} for chain {head} of queue {q}, outside "
                                        f"its device-writable buffers {[r for h, r in self.popped[q] if h == head]}")
                    raise Violation(f"{what}: used element for head {head} of queue {q}, which was not taken "
                                    f"from the available ring (outstanding: {[h for h, _ in self.popped[q]]})")
                _, ref = self.popped[q].pop(match)
                if length == 0 and pending:
                    raise Violation(f"{what}: chain {head} returned with used length 0 but {pending} written")
                if length > sum(m for _, m in ref):
                    raise Violation(f"{what}: used length {length} > writable size {sum(m for _, m in ref)}")
                self.stats["used_len_0"] += length == 0
                self.stats["with_status"] += length > 0
                self.stats["with_status_data"] += length > 0 and q != self.nq - 1
                pending = []
            elif kind == "idx":
                (val,) = struct.unpack("<H", data)
                if val != (self.used_count[q] + 1) & 0xFFFF:
                    raise Violation(f"{what}: used idx of queue {q} set to {val}, expected "
                                    f"{(self.used_count[q] + 1) & 0xFFFF}")
                self.used_count[q] += 1
        if pending:
            raise Violation(f"{what}: device wrote {pending} without completing a chain")

    def check_complete(self, q: int) -> None:
        if q in self.abandoned or not 0 <= q < self.nq:
            return
        avail = u16(self.mem, self.rings[q][1] + 2)
        left = (avail - self.used_count[q]) & 0xFFFF
        if left or self.popped[q]:
            if not self.dev.status & vc.DEVICE_NEEDS_RESET:
                raise Violation(f"queue {q}: {left} available chains not completed and NEEDS_RESET not set")
            self.abandoned.add(q)
            self.stats["queues_abandoned"] += 1
        if self.dev.status & vc.DEVICE_NEEDS_RESET:
            self.stats["needs_reset"] = 1

    # ---------------------------------------------------------------- chains (driver side)
    def descriptor_slots(self, q: int, head: int) -> list[int]:
        """Guest addresses of the descriptors of a chain as posted (direct, or the indirect table)."""
        dq = self.drv.queues[q]
        slots, idx, seen = [], head, set()
        while idx < dq.size and idx not in seen:
            seen.add(idx)
            slot = dq.desc + 16 * idx
            slots.append(slot)
            addr, length, flags, nxt = DESC.unpack(self.mem.read(slot, 16))
            if flags & VIRTQ_DESC_F_INDIRECT:
                if 16 <= length and addr + length <= MEM:
                    slots += [addr + 16 * i for i in range(min(length // 16, 64))]
                break
            if not flags & VIRTQ_DESC_F_NEXT:
                break
            idx = nxt
        return slots

    def post_ctrl(self, req: bytes, keys: list[bytes], out_len: int, layout: str, indirect: bool) -> Pending:
        """A control request like VirtioCryptoDriver._ctrl, but posted without a kick."""
        drv = self.drv
        parts = [req] + [k for k in keys if k]
        token = Pending(drv.controlq, -1, [], [], dst_len=out_len)
        cuts_r = drv._cuts([len(p) for p in parts], layout if layout != "linux" else "direct")
        segs, _ = drv._segments(b"".join(parts), cuts_r, out_len, [out_len], token)
        token.head = drv.queues[drv.controlq].add(segs, token, indirect=indirect and drv.indirect)
        return token

    def stream_write(self, token: Pending, off: int, data: bytes) -> None:
        """Overwrite bytes of a posted chain's readable stream (across descriptor boundaries)."""
        pos = 0
        for gpa, contents in token.readable:
            n = len(contents)
            lo, hi = max(off, pos), min(off + len(data), pos + n)
            if lo < hi:
                self.mem.write(gpa + lo - pos, data[lo - off:hi - off])
            pos += n


# ==================================================================== vhost-user
class VhostHarness:
    """The backend's real message loop (`_serve`) on one end of a socketpair; the test writes a
    whole message sequence (with fds) into the other end, closes it, and runs the loop. The
    loop must end with Disconnected (EOF) or ProtocolError (a clean close), in time; then
    `_disconnect` (what serve_forever does next) must not raise, and no fd may be left open."""

    QSIZE = 16
    UADDR = 0x7F0000000000
    FD_KINDS = ("memfd", "small_memfd", "eventfd", "eventfd_signalled", "pipe_r", "pipe_w", "devnull", "socket")

    def __init__(self):
        import mmap
        import os
        import socket

        from bridge import vhost_user as vu
        from bridge.accel_client import Heap
        from bridge.driver import DriverQueue
        from bridge.guest_memory import Region, RegionGuestMemory
        self.os, self.socket, self.vu = os, socket, vu
        self.fds_before = self.open_fds()
        self.dev = VirtioCryptoDevice(SoftDatapath(), num_dataqueues=1)
        self.be = vu.VhostUserBackend("/nonexistent/vcrypto-fuzz.sock", self.dev)
        self.front, self.back = socket.socketpair()
        self.memfd = os.memfd_create("guest")
        os.ftruncate(self.memfd, MEM)
        self.map = mmap.mmap(self.memfd, MEM)
        self.gmem = RegionGuestMemory([Region(0, MEM, memoryview(self.map), self.UADDR)])
        self.heap = Heap(0x1000, MEM)
        self.dq = DriverQueue(self.gmem, self.heap, 0, self.QSIZE, event_idx=True)
        self.kick = os.eventfd(0, os.EFD_NONBLOCK)
        self.call = os.eventfd(0, os.EFD_NONBLOCK)
        self.outcome = ""

    @staticmethod
    def open_fds() -> int:
        import os
        return len(os.listdir("/proc/self/fd"))

    # ------------------------------------------------------------ guest side
    def post_cbc(self, sid: int, nbytes: int) -> None:
        """A request laid out as Linux's virtio_crypto skcipher request (sid 0 = first session)."""
        hdr = vc.OP_HDR.pack(vc.CIPHER_ENCRYPT, 0, sid, 0, 0) + vc.cipher_data_fixed(16, nbytes, nbytes)
        segs = []
        for part, w in ((hdr, False), (bytes(16), False), (bytes(nbytes), False), (bytes(nbytes), True),
                        (b"\xff", True)):
            a = self.heap.alloc(max(1, len(part)))
            self.gmem.write(a, part)
            segs.append((a, len(part), w))
        self.dq.add(segs, Pending(0, -1, [], []), indirect=True)

    # ------------------------------------------------------------ messages
    def baseline(self) -> list[dict]:
        """What QEMU 7.2 sends (../shared/reference/qemu-vhost-user-crypto.md), one session."""
        vu, U = self.vu, self.UADDR
        raw = vu.SESSION_72.pack(0, vc.CIPHER_AES_CBC, 16, 0, 0, 0, 0, vc.SYM_OP_CIPHER, vc.OP_ENCRYPT, 0, 0, 0, 0,
                                 bytes(range(16)).ljust(64, b"\0"), bytes(512))

        def m(req, payload=b"", fds=()):
            return {"req": req, "flags": vu.FLAG_VERSION, "payload": payload, "fds": list(fds), "size": None}
        return [
            m(vu.GET_FEATURES), m(vu.GET_PROTOCOL_FEATURES),
            m(vu.SET_PROTOCOL_FEATURES, struct.pack("<Q", 1 << vu.PROTOCOL_F_CRYPTO_SESSION)),
            m(vu.SET_OWNER), m(vu.GET_FEATURES),
            m(vu.SET_VRING_CALL, struct.pack("<Q", 0), ["eventfd"]),
            m(vu.SET_VRING_ERR, struct.pack("<Q", 0), ["eventfd"]),
            m(vu.SET_FEATURES, struct.pack("<Q", 1 << 30)),
            m(vu.SET_MEM_TABLE, struct.pack("<II", 1, 0) + struct.pack("<QQQQ", 0, MEM, U, 0), ["memfd"]),
            m(vu.SET_VRING_NUM, struct.pack("<II", 0, self.QSIZE)),
            m(vu.SET_VRING_BASE, struct.pack("<II", 0, 0)),
            m(vu.SET_VRING_ADDR, struct.pack("<IIQQQQ", 0, 0, U + self.dq.desc, U + self.dq.used, U + self.dq.avail, 0)),
            m(vu.CREATE_CRYPTO_SESSION, raw),
            m(vu.SET_VRING_KICK, struct.pack("<Q", 0), ["kick"]),
            m(vu.SET_VRING_CALL, struct.pack("<Q", 0), ["call"]),
            m(vu.CLOSE_CRYPTO_SESSION, struct.pack("<q", 0)),
            m(vu.GET_VRING_BASE, struct.pack("<II", 0, 0)),
        ]

    def _make_fd(self, kind: str, keep: list[int]) -> int:
        os = self.os
        if kind == "memfd":
            return os.dup(self.memfd)
        if kind == "kick":
            return os.dup(self.kick)
        if kind == "call":
            return os.dup(self.call)
        if kind == "small_memfd":
            fd = os.memfd_create("small")
            os.ftruncate(fd, 4096)
            return fd
        if kind in ("eventfd", "eventfd_signalled"):
            fd = os.eventfd(1 if kind == "eventfd_signalled" else 0, os.EFD_NONBLOCK)
            return fd
        if kind in ("pipe_r", "pipe_w"):
            r, w = os.pipe()
            keep.append(w if kind == "pipe_r" else r)
            return r if kind == "pipe_r" else w
        if kind == "devnull":
            return os.open("/dev/null", os.O_RDONLY)
        a, b = self.socket.socketpair()
        keep.append(b.detach())
        return a.detach()

    def send_all(self, msgs: list[dict]) -> None:
        import array
        keep: list[int] = []
        try:
            for msg in msgs:
                payload = msg["payload"]
                size = len(payload) if msg["size"] is None else msg["size"]
                wire = self.vu.HDR.pack(msg["req"] & 0xFFFFFFFF, msg["flags"] & 0xFFFFFFFF, size & 0xFFFFFFFF) + payload
                fds = [self._make_fd(k, keep) for k in msg["fds"]]
                anc = [(self.socket.SOL_SOCKET, self.socket.SCM_RIGHTS, array.array("i", fds))] if fds else []
                try:
                    self.front.sendmsg([wire], anc)
                finally:
                    for fd in fds:                 # the backend has its own copies now
                        self.os.close(fd)
        finally:
            self.front.shutdown(self.socket.SHUT_WR)
            self._keep = keep

    # ------------------------------------------------------------ the checked run
    def run(self) -> str:
        vu = self.vu
        try:
            with time_limit(10.0, "the vhost-user message loop"):
                try:
                    self.be._serve(self.back)
                    self.outcome = "returned"
                except vu.Disconnected:
                    self.outcome = "disconnected"
                except vu.ProtocolError as e:
                    self.outcome = "protocol error"
                    self.error = str(e)
                finally:
                    self.be._disconnect()          # serve_forever's cleanup after any connection
        except Hang as e:
            raise Violation(f"hang: {e}") from None
        except Exception as e:
            raise Violation(f"the vhost-user loop raised {type(e).__name__}: {e}") from e
        return self.outcome

    def close(self) -> None:
        self.dev.poll()                              # let dropped completions go, so the maps can close
        for fd in getattr(self, "_keep", []) + [self.kick, self.call, self.memfd]:
            self.os.close(fd)
        self.front.close()
        self.back.close()
        self.gmem = self.dq = None
        try:
            self.map.close()
        except BufferError:
            pass

    def leaked_fds(self) -> int:
        import gc
        gc.collect()
        return self.open_fds() - self.fds_before
