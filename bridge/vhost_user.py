"""vhost-user backend for QEMU's `cryptodev-vhost-user` (QEMU 7.2 message set).

QEMU is the client: it connects to our UNIX socket, shares guest RAM as memfd regions, hands
us the data virtqueue (addresses, kick and call eventfds) and forwards the guest's session
create/close requests as CREATE/CLOSE_CRYPTO_SESSION messages (its control queue stays in
QEMU). The data queue is served by the same VirtioCryptoDevice and datapath as everywhere
else. When QEMU goes away the sessions are dropped and the next QEMU can connect; the
datapath (and so the accelerator process) stays up.
"""
from __future__ import annotations

import array
import logging
import mmap
import os
import selectors
import socket
import struct
from dataclasses import dataclass

from bridge import virtio_crypto as vc
from bridge.datapath import SessionParams
from bridge.guest_memory import Region, RegionGuestMemory

log = logging.getLogger("vcrypto.vhost")

HDR = struct.Struct("<III")
FLAG_VERSION, FLAG_REPLY, FLAG_NEED_REPLY = 0x1, 0x4, 0x8
(GET_FEATURES, SET_FEATURES, SET_OWNER, RESET_OWNER, SET_MEM_TABLE, SET_LOG_BASE, SET_LOG_FD, SET_VRING_NUM,
 SET_VRING_ADDR, SET_VRING_BASE, GET_VRING_BASE, SET_VRING_KICK, SET_VRING_CALL, SET_VRING_ERR,
 GET_PROTOCOL_FEATURES, SET_PROTOCOL_FEATURES, GET_QUEUE_NUM, SET_VRING_ENABLE) = range(1, 19)
GET_CONFIG, SET_CONFIG, CREATE_CRYPTO_SESSION, CLOSE_CRYPTO_SESSION = 24, 25, 26, 27
VHOST_USER_F_PROTOCOL_FEATURES = 30
PROTOCOL_F_REPLY_ACK, PROTOCOL_F_CRYPTO_SESSION = 3, 7
VRING_NOFD = 0x100
MAX_FDS = 8

# QEMU 7.1/7.2 CryptoDevBackendSymSessionInfo as sent on the wire (632 bytes)
SESSION_72 = struct.Struct("<qIIIIIIBBBB4xQQ64s512s")
assert SESSION_72.size == 632


class Disconnected(Exception):
    pass


@dataclass
class Vring:
    num: int = 0
    desc: int = 0
    avail: int = 0
    used: int = 0
    base: int = 0
    kick: int = -1
    call: int = -1
    enabled: bool = True
    started: bool = False


def parse_session_72(raw: bytes) -> SessionParams | None:
    (_, cipher_alg, key_len, hash_alg, hash_result_len, auth_key_len, aad_len, op_type, direction, hash_mode,
     order, _, _, key, auth_key) = SESSION_72.unpack(raw)
    if key_len > 64 or auth_key_len > 512:
        return None
    if op_type == vc.SYM_OP_CIPHER:
        return SessionParams(vc.SERVICE_CIPHER, cipher_algo=cipher_alg, cipher_key=bytearray(key[:key_len]),
                             cipher_op=direction)
    if op_type == vc.SYM_OP_ALGORITHM_CHAINING:
        return SessionParams(vc.SERVICE_CIPHER, cipher_algo=cipher_alg, cipher_key=bytearray(key[:key_len]),
                             cipher_op=direction, chaining=True, chain_order=order, hash_mode=hash_mode,
                             hash_algo=hash_alg, hash_result_len=hash_result_len,
                             auth_key=bytearray(auth_key[:auth_key_len]), aad_len=aad_len)
    return None


class VhostUserBackend:
    def __init__(self, socket_path: str, device):
        self.path = socket_path
        self.dev = device
        self.listener: socket.socket | None = None
        self.stopping = False
        self.connections = 0
        self._reset_connection_state()

    def _reset_connection_state(self) -> None:
        self.features = 0
        self.protocol_features = 0
        self.vrings = [Vring() for _ in range(self.dev.num_dataqueues + 1)]
        self.maps: list[mmap.mmap] = []
        self.mem: RegionGuestMemory | None = None

    # -------------------------------------------------------------- socket
    def listen(self) -> None:
        if os.path.exists(self.path):
            os.unlink(self.path)
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(self.path)
        self.listener.listen(1)
        log.info("listening on %s", self.path)

    def serve_forever(self) -> None:
        if self.listener is None:
            self.listen()
        try:
            while not self.stopping:
                self.listener.settimeout(0.5)
                try:
                    conn, _ = self.listener.accept()
                except socket.timeout:
                    continue
                self.connections += 1
                log.info("front end connected (#%d)", self.connections)
                try:
                    self._serve(conn)
                except Disconnected:
                    log.info("front end disconnected")
                finally:
                    conn.close()
                    self._disconnect()
        finally:
            self.close()

    def close(self) -> None:
        if self.listener is not None:
            self.listener.close()
            self.listener = None
            if os.path.exists(self.path):
                os.unlink(self.path)

    def _disconnect(self) -> None:
        """QEMU went away: drop its sessions and guest memory; keep the datapath."""
        for v in self.vrings:
            for fd in (v.kick, v.call):
                if fd >= 0:
                    os.close(fd)
        self.dev.reset()
        for m in self.maps:
            try:
                m.close()
            except BufferError:
                pass
        self._reset_connection_state()

    def _recv(self, conn: socket.socket) -> tuple[int, int, bytes, list[int]]:
        fds = array.array("i")
        data, anc, _, _ = conn.recvmsg(HDR.size, socket.CMSG_LEN(MAX_FDS * fds.itemsize))
        if not data:
            raise Disconnected()
        for level, kind, cdata in anc:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                fds.frombytes(cdata[: len(cdata) - len(cdata) % fds.itemsize])
        if len(data) < HDR.size:
            data += self._read_exact(conn, HDR.size - len(data))
        req, flags, size = HDR.unpack(data)
        payload = self._read_exact(conn, size) if size else b""
        return req, flags, payload, list(fds)

    def _read_exact(self, conn: socket.socket, n: int) -> bytes:
        buf = b""
        while len(buf) < n:
            chunk = conn.recv(n - len(buf))
            if not chunk:
                raise Disconnected()
            buf += chunk
        return buf

    def _reply(self, conn: socket.socket, req: int, payload: bytes) -> None:
        conn.sendall(HDR.pack(req, FLAG_VERSION | FLAG_REPLY, len(payload)) + payload)

    # -------------------------------------------------------------- main loop
    def _serve(self, conn: socket.socket) -> None:
        sel = selectors.DefaultSelector()
        sel.register(conn, selectors.EVENT_READ, "conn")
        kicks: dict[int, int] = {}
        while not self.stopping:
            busy = self.dev.dp.inflight() > 0
            # messages before kicks: a session QEMU closed must be gone before the data that
            # follows it in the guest's order is served
            events = sorted(sel.select(0 if busy else 0.2), key=lambda e: e[0].data != "conn")
            for key, _ in events:
                if key.data == "conn":
                    self._handle(conn, *self._recv(conn))
                    # (re-)register kick eventfds that appeared or changed
                    for i, v in enumerate(self.vrings):
                        if v.kick >= 0 and kicks.get(i) != v.kick:
                            if i in kicks:
                                try:
                                    sel.unregister(kicks[i])
                                except (KeyError, ValueError):
                                    pass
                            sel.register(v.kick, selectors.EVENT_READ, i)
                            kicks[i] = v.kick
                        elif v.kick < 0 and i in kicks:
                            try:
                                sel.unregister(kicks.pop(i))
                            except (KeyError, ValueError):
                                pass
                else:
                    q = key.data
                    try:
                        os.read(self.vrings[q].kick, 8)
                    except BlockingIOError:
                        pass
                    self._kick(q)
                    self.dev.poll(0)
            if busy:
                self.dev.poll(0.002)

    def _kick(self, q: int) -> None:
        v = self.vrings[q]
        if v.started and v.enabled:
            self.dev.kick(q)

    def _notify(self, q: int) -> None:
        fd = self.vrings[q].call
        if fd >= 0:
            os.write(fd, struct.pack("<Q", 1))

    def _gpa(self, uaddr: int) -> int:
        return self.mem.uaddr_to_gpa(uaddr)

    def _start_ring(self, q: int) -> None:
        v = self.vrings[q]
        if self.mem is None or not v.num:
            log.error("vring %d kicked before memory or size were set", q)
            return
        d = self.dev
        d.mem = self.mem
        d.on_notify = self._notify
        # the guest negotiated VERSION_1, INDIRECT_DESC and EVENT_IDX, but QEMU 7.2 never
        # forwards that (SET_FEATURES carries no guest features): handle both, always
        d.driver_features = (1 << vc.VIRTIO_F_VERSION_1) | (1 << vc.VIRTIO_F_INDIRECT_DESC) | (1 << vc.VIRTIO_F_EVENT_IDX)
        d.status = vc.ACKNOWLEDGE | vc.DRIVER | vc.FEATURES_OK | vc.DRIVER_OK
        d.setup_queue(q, v.num, v.desc, v.avail, v.used)
        vq = d.queues[q]
        vq.last_avail = v.base
        vq.used_idx = struct.unpack("<H", self.mem.read(v.used + 2, 2))[0]
        vq.signalled_used = vq.used_idx
        v.started = True
        log.info("vring %d started: %d entries, avail base %d", q, v.num, v.base)
        self._kick(q)

    def _handle(self, conn: socket.socket, req: int, flags: int, p: bytes, fds: list[int]) -> None:
        acked = False
        if req == GET_FEATURES:
            feats = (1 << VHOST_USER_F_PROTOCOL_FEATURES) | (1 << vc.VIRTIO_F_VERSION_1) | \
                (1 << vc.VIRTIO_F_INDIRECT_DESC) | (1 << vc.VIRTIO_F_EVENT_IDX)
            self._reply(conn, req, struct.pack("<Q", feats))
            acked = True
        elif req == SET_FEATURES:
            self.features = struct.unpack("<Q", p[:8])[0]
        elif req == GET_PROTOCOL_FEATURES:
            self._reply(conn, req, struct.pack("<Q", (1 << PROTOCOL_F_CRYPTO_SESSION) | (1 << PROTOCOL_F_REPLY_ACK)))
            acked = True
        elif req == SET_PROTOCOL_FEATURES:
            self.protocol_features = struct.unpack("<Q", p[:8])[0]
        elif req in (SET_OWNER, RESET_OWNER):
            pass
        elif req == SET_MEM_TABLE:
            self._set_mem_table(p, fds)
            fds = []
        elif req == SET_VRING_NUM:
            i, num = struct.unpack("<II", p[:8])
            self.vrings[i].num = num
        elif req == SET_VRING_ADDR:
            i, _, desc, used, avail, _ = struct.unpack("<IIQQQQ", p[:40])
            v = self.vrings[i]
            v.desc, v.used, v.avail = self._gpa(desc), self._gpa(used), self._gpa(avail)
        elif req == SET_VRING_BASE:
            i, base = struct.unpack("<II", p[:8])
            self.vrings[i].base = base
        elif req == GET_VRING_BASE:
            i = struct.unpack("<I", p[:4])[0]
            v = self.vrings[i]
            while self.dev.dp.inflight():          # finish what is in flight, then stop the ring
                self.dev.poll(0.01)
            base = self.dev.queues[i].last_avail if v.started and self.dev.queues[i] else v.base
            v.started = False
            if v.kick >= 0:
                os.close(v.kick)
                v.kick = -1
            self._reply(conn, req, struct.pack("<II", i, base))
            acked = True
        elif req in (SET_VRING_KICK, SET_VRING_CALL, SET_VRING_ERR):
            u = struct.unpack("<Q", p[:8])[0]
            i, nofd = u & 0xFF, bool(u & VRING_NOFD)
            fd = -1 if nofd or not fds else fds.pop(0)
            v = self.vrings[i]
            if req == SET_VRING_KICK:
                if v.kick >= 0:
                    os.close(v.kick)
                v.kick = fd
                if fd >= 0:
                    os.set_blocking(fd, False)
                    self._start_ring(i)
                else:
                    log.error("vring %d: polling mode (no kick fd) is not supported", i)
            elif req == SET_VRING_CALL:
                if v.call >= 0:
                    os.close(v.call)
                v.call = fd
            elif fd >= 0:
                os.close(fd)                       # error eventfd: nothing to report on it
        elif req == SET_VRING_ENABLE:
            i, enable = struct.unpack("<II", p[:8])
            self.vrings[i].enabled = bool(enable)
        elif req == GET_QUEUE_NUM:
            self._reply(conn, req, struct.pack("<Q", self.dev.num_dataqueues))
            acked = True
        elif req == CREATE_CRYPTO_SESSION:
            self._reply(conn, req, self._create_session(p))
            acked = True
        elif req == CLOSE_CRYPTO_SESSION:
            sid = struct.unpack("<q", p[:8])[0]
            if self.dev.close_session(sid) != vc.OK:
                log.warning("close of unknown crypto session %d", sid)
        else:
            log.warning("unsupported vhost-user request %d (%d bytes): ignored", req, len(p))
        for fd in fds:
            os.close(fd)
        if flags & FLAG_NEED_REPLY and not acked and self.protocol_features & (1 << PROTOCOL_F_REPLY_ACK):
            self._reply(conn, req, struct.pack("<Q", 0))

    def _set_mem_table(self, p: bytes, fds: list[int]) -> None:
        n = struct.unpack("<I", p[:4])[0]
        regions = []
        for k in range(n):
            gpa, size, uaddr, off = struct.unpack("<QQQQ", p[8 + 32 * k: 40 + 32 * k])
            m = mmap.mmap(fds[k], size + off, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
            os.close(fds[k])
            self.maps.append(m)
            regions.append(Region(gpa, size, memoryview(m)[off:off + size], uaddr))
        self.mem = RegionGuestMemory(regions)
        log.info("guest memory: %s", ", ".join(f"[0x{r.gpa:x}, +{r.size >> 20} MiB)" for r in regions))

    def _create_session(self, p: bytes) -> bytes:
        if len(p) != SESSION_72.size:
            log.error("CREATE_CRYPTO_SESSION payload of %d bytes: not the QEMU 7.1/7.2 layout (632); refused",
                      len(p))
            return struct.pack("<q", -1) + p[8:]
        params = parse_session_72(p)
        status, sid = (vc.NOTSUPP, 0) if params is None else self.dev.open_session(params)
        if status != vc.OK:
            log.info("crypto session refused: status %d", status)
            sid = -1
        return struct.pack("<q", sid) + p[8:]
