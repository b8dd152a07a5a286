"""`make bench-qemu`'s bare Python backend: the least CPU a backend written in Python can spend
on a whole request, not only its wakeup and AES call (`wakeup_floor_python`, `crypto_call_python`).

A forked "guest" lays out AES-128-CBC encryptions exactly as Linux's virtio_crypto does (the
driver model's `DriverQueue`: one indirect chain of header, IV, source | destination, status)
in shared memory, kicks an eventfd and waits for the call eventfd, one request at a time, and
checks every result. The backend is the shortest loop that serves them: read the available
index, the head, the indirect table and the header, look the key up, encrypt straight from the
source into the destination, write the status and the used element, ask for the next kick,
signal. It makes none of the device's checks (descriptor bounds and order, lengths, session
and field rules, budgets): it is a measurement of the interpreter's share, not a device, and
serves nothing but this guest. `bridge/` is the device.

    python sim/bare_backend.py SIZE REQUESTS   ->  prints the backend's CPU µs per request
"""
from __future__ import annotations

import mmap
import os
import select
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes  # noqa: E402

from bridge import virtio_crypto as vc  # noqa: E402
from bridge.accel_client import Heap  # noqa: E402
from bridge.driver import DriverQueue, Pending  # noqa: E402
from bridge.guest_memory import Region, RegionGuestMemory  # noqa: E402
from bridge.virtqueue import DESC, U16, USED_ELEM  # noqa: E402

MEM = 16 << 20
QUEUE_SIZE = 256
SESSION_ID = 7
WARM_UP = 2000
WAIT_S = 5.0                 # either side gives up after this long without the other


def _guest(mem: RegionGuestMemory, heap: Heap, dq: DriverQueue, kick: int, call: int, size: int,
           requests: int, key: bytes) -> None:
    """Post `requests` requests one at a time, as Linux lays out cbc(aes), and check each result."""
    ep = select.epoll()
    ep.register(call, select.EPOLLIN)
    hdr = (vc.OP_HDR.pack(vc.CIPHER_ENCRYPT, 0, SESSION_ID, vc.FLAG_SESSION_MODE, 0)
           + vc.cipher_data_fixed(16, size, size))
    iv, src = os.urandom(16), os.urandom(size)
    enc = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    want = enc.update(src) + enc.finalize()
    for _ in range(requests):
        token, segs = Pending(0, -1, [], [], dst_len=size), []
        for part, writable in ((hdr, False), (iv, False), (src, False), (bytes(size), True), (b"\xff", True)):
            a = heap.alloc(len(part))
            token.allocations.append(a)
            mem.write(a, part)
            segs.append((a, len(part), writable))
            if writable:
                token.writable.append((a, len(part)))
        dq.add(segs, token, indirect=True)
        if dq.kick_needed():
            os.eventfd_write(kick, 1)
        while not (done := dq.reap()):
            if not ep.poll(WAIT_S):
                raise SystemExit("bare backend: no answer")
            try:
                os.eventfd_read(call)
            except BlockingIOError:
                pass
        (token, _), = done
        (dst, n), (status, _) = token.writable
        if mem.read(dst, n) != want or mem.read(status, 1) != bytes([vc.OK]):
            raise SystemExit("bare backend: wrong result")
        for a in token.allocations:        # the buffers and the indirect table
            heap.release(a)


def _serve(mv: memoryview, dq: DriverQueue, kick: int, call: int, requests: int, key: bytes) -> float:
    """The bare loop; returns its CPU seconds over the requests after the warm-up."""
    keys = {SESSION_ID: key}
    ep = select.epoll()
    ep.register(kick, select.EPOLLIN)
    desc, avail, used, size = dq.desc, dq.avail, dq.used, dq.size
    avail_event = used + 4 + 8 * size
    last_avail = used_idx = served = 0
    c0 = time.process_time()
    while served < requests:
        if served == WARM_UP:
            c0 = time.process_time()
        if not ep.poll(WAIT_S):
            raise SystemExit("bare backend: the guest stopped kicking")
        os.eventfd_read(kick)
        while True:
            if U16.unpack_from(mv, avail + 2)[0] == last_avail:
                mv[avail_event:avail_event + 2] = U16.pack(last_avail)      # kick me for the next one
                if U16.unpack_from(mv, avail + 2)[0] == last_avail:
                    break
            head = U16.unpack_from(mv, avail + 4 + 2 * (last_avail % size))[0]
            last_avail = (last_avail + 1) & 0xFFFF
            table, table_len, _, _ = DESC.unpack_from(mv, desc + 16 * head)
            (h, _, _, _), (iv, _, _, _), (src, _, _, _), (dst, _, _, _), (status, _, _, _) = \
                [DESC.unpack_from(mv, table + 16 * i) for i in range(table_len // 16)]
            _, _, sid, _, _ = vc.OP_HDR.unpack_from(mv, h)
            iv_len, src_len, dst_len, _ = vc.CIPHER_DATA.unpack_from(mv, h + vc.OP_HDR.size)
            enc = Cipher(algorithms.AES(keys[sid]), modes.CBC(mv[iv:iv + iv_len])).encryptor()
            mv[dst:dst + dst_len] = enc.update(mv[src:src + src_len])
            mv[status] = vc.OK
            slot = used + 4 + 8 * (used_idx % size)
            mv[slot:slot + 8] = USED_ELEM.pack(head, dst_len + 1)
            used_idx = (used_idx + 1) & 0xFFFF
            mv[used + 2:used + 4] = U16.pack(used_idx)
            served += 1
        os.eventfd_write(call, 1)
    return time.process_time() - c0


def bare_backend_us(size: int, requests: int) -> float:
    """CPU microseconds per request of the bare loop serving `requests` (after a warm-up)."""
    shared = mmap.mmap(-1, MEM, mmap.MAP_SHARED)
    mv = memoryview(shared)
    mem = RegionGuestMemory([Region(0, MEM, mv)])
    heap = Heap(0x1000, MEM)
    dq = DriverQueue(mem, heap, 0, QUEUE_SIZE, event_idx=True)
    kick, call = os.eventfd(0, os.EFD_NONBLOCK), os.eventfd(0, os.EFD_NONBLOCK)
    key = os.urandom(16)
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            _guest(mem, heap, dq, kick, call, size, WARM_UP + requests, key)
            code = 0
        except BaseException as e:          # noqa: BLE001 - reported through the exit status
            print(e, file=sys.stderr)
        finally:
            os._exit(code)
    try:
        cpu = _serve(mv, dq, kick, call, WARM_UP + requests, key)
    finally:
        _, status = os.waitpid(pid, 0)
        for fd in (kick, call):
            os.close(fd)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit("bare backend: the guest found a wrong result or no answer")
    return 1e6 * cpu / requests


if __name__ == "__main__":
    print(round(bare_backend_us(int(sys.argv[1]), int(sys.argv[2])), 1))
