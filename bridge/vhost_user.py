"""vhost-user backend for QEMU's `cryptodev-vhost-user` (QEMU 7.2 message set).

QEMU is the client: it connects to our UNIX socket, shares guest RAM as memfd regions, hands
us the data virtqueue (addresses, kick and call eventfds) and forwards the guest's session
create/close requests as CREATE/CLOSE_CRYPTO_SESSION messages (its control queue stays in
QEMU). The data queue is served by the same VirtioCryptoDevice and datapath as everywhere
else. When QEMU goes away the sessions are dropped and the next QEMU can connect; the
datapath (and so the accelerator process) stays up.

A malformed message (a payload too short or too long for its request, a vring index out of
range, a memory table that does not match its fds, an address in no region, a queue size that
is not a power of two, an fd that cannot be used as an eventfd) is a ProtocolError: logged with
the reason, the connection is closed, and the backend waits for the next front end. Nothing a
front end sends raises out of serve_forever.
"""
from __future__ import annotations

import array
import logging
import mmap
import os
import selectors
import socket
import stat
import struct
from dataclasses import dataclass

from bridge import virtio_crypto as vc
from bridge.datapath import SessionParams
from bridge.guest_memory import GuestMemoryError, Region, RegionGuestMemory

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
MAX_REGIONS = 8                 # VHOST_MEMORY_BASELINE_NREGIONS
MAX_PAYLOAD = 4096              # larger than any vhost-user message payload (QEMU's largest: < 1.2 KiB)
# the smallest payload each handled request needs (shorter: ProtocolError)
MIN_PAYLOAD = {SET_FEATURES: 8, SET_PROTOCOL_FEATURES: 8, SET_MEM_TABLE: 8, SET_VRING_NUM: 8, SET_VRING_ADDR: 40,
               SET_VRING_BASE: 8, GET_VRING_BASE: 8, SET_VRING_KICK: 8, SET_VRING_CALL: 8, SET_VRING_ERR: 8,
               SET_VRING_ENABLE: 8, CLOSE_CRYPTO_SESSION: 8}

# QEMU 7.1/7.2 CryptoDevBackendSymSessionInfo as sent on the wire (632 bytes)
SESSION_72 = struct.Struct("<qIIIIIIBBBB4xQQ64s512s")
assert SESSION_72.size == 632


class Disconnected(Exception):
    pass


class ProtocolError(Exception):
    """The front end sent a message that cannot be honoured: close the connection."""


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
                except ProtocolError as e:
                    log.error("bad vhost-user message: %s; closing the connection", e)
                except Exception:      # a bug, not the front end's fault: still never take the backend down
                    log.exception("internal error serving the front end; closing the connection")
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
        self.dev.mem = None                  # drop the views of guest memory, so the maps can close
        self.mem = None
        for m in self.maps:
            try:
                m.close()
            except BufferError:
                pass
        self._reset_connection_state()

    def _recv(self, conn: socket.socket) -> tuple[int, int, bytes, list[int]]:
        fds = array.array("i")
        data, anc, _, _ = conn.recvmsg(HDR.size, socket.CMSG_LEN(MAX_FDS * fds.itemsize))
        for level, kind, cdata in anc:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                fds.frombytes(cdata[: len(cdata) - len(cdata) % fds.itemsize])
        try:
            if not data:
                raise Disconnected()
            if len(data) < HDR.size:
                data += self._read_exact(conn, HDR.size - len(data))
            req, flags, size = HDR.unpack(data)
            if size > MAX_PAYLOAD:
                raise ProtocolError(f"request {req} announces a {size}-byte payload (at most {MAX_PAYLOAD})")
            payload = self._read_exact(conn, size) if size else b""
        except BaseException:
            for fd in fds:
                os.close(fd)
            raise
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
        with selectors.DefaultSelector() as sel:       # its epoll fd closes with the connection
            self._serve_loop(conn, sel)

    def _serve_loop(self, conn: socket.socket, sel: selectors.BaseSelector) -> None:
        sel.register(conn, selectors.EVENT_READ, "conn")
        kicks: dict[int, int] = {}
        while not self.stopping:
            busy = self.dev.busy()
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
                                    sel.unregister(kicks.pop(i))
                                except (KeyError, ValueError):
                                    pass
                            try:
                                sel.register(v.kick, selectors.EVENT_READ, i)
                            except (OSError, ValueError) as e:
                                raise ProtocolError(f"vring {i}: kick fd {v.kick} cannot be polled: {e}") from None
                            kicks[i] = v.kick
                        elif v.kick < 0 and i in kicks:
                            try:
                                sel.unregister(kicks.pop(i))
                            except (KeyError, ValueError):
                                pass
                else:
                    q = key.data
                    if self.vrings[q].kick != key.fd:
                        continue           # the fd was closed/replaced by a message handled just before
                    try:
                        os.read(key.fd, 8)
                    except BlockingIOError:
                        pass
                    except OSError as e:
                        raise ProtocolError(f"vring {q}: kick fd cannot be read: {e}") from None
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
            try:
                os.write(fd, struct.pack("<Q", 1))
            except BlockingIOError:
                pass                   # an eventfd at its maximum count: already signalled
            except OSError as e:       # not a writable eventfd: the guest is not told, the backend goes on
                log.error("vring %d: cannot signal the call fd: %s", q, str(e))

    def _gpa(self, uaddr: int) -> int:
        if self.mem is None:
            raise ProtocolError("vring address before a memory table")
        try:
            return self.mem.uaddr_to_gpa(uaddr)
        except GuestMemoryError as e:
            raise ProtocolError(str(e)) from None

    def _vring(self, i: int) -> Vring:
        if not 0 <= i < len(self.vrings):
            raise ProtocolError(f"vring index {i} (the device has {len(self.vrings)})")
        return self.vrings[i]

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
        if vq.broken:
            log.error("vring %d: %s; not started (device needs reset)", q, vq.broken)
            return
        vq.last_avail = v.base
        vq.used_idx = struct.unpack("<H", self.mem.read(v.used + 2, 2))[0]
        vq.signalled_used = vq.used_idx
        v.started = True
        log.info("vring %d started: %d entries, avail base %d", q, v.num, v.base)
        self._kick(q)

    def _handle(self, conn: socket.socket, req: int, flags: int, p: bytes, fds: list[int]) -> None:
        fds = list(fds)
        try:
            if len(p) < MIN_PAYLOAD.get(req, 0):
                raise ProtocolError(f"request {req} with a {len(p)}-byte payload (needs {MIN_PAYLOAD[req]})")
            self._dispatch(conn, req, flags, p, fds)
        finally:
            for fd in fds:             # whatever the handler did not take
                os.close(fd)

    def _dispatch(self, conn: socket.socket, req: int, flags: int, p: bytes, fds: list[int]) -> None:
        acked = False
        known = True
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
        elif req == SET_VRING_NUM:
            i, num = struct.unpack("<II", p[:8])
            if not 0 < num <= 32768 or num & (num - 1):
                raise ProtocolError(f"vring {i}: size {num} is not a power of 2 in 1..32768")
            self._vring(i).num = num
        elif req == SET_VRING_ADDR:
            i, _, desc, used, avail, _ = struct.unpack("<IIQQQQ", p[:40])
            v = self._vring(i)
            v.desc, v.used, v.avail = self._gpa(desc), self._gpa(used), self._gpa(avail)
        elif req == SET_VRING_BASE:
            i, base = struct.unpack("<II", p[:8])
            self._vring(i).base = base & 0xFFFF
        elif req == GET_VRING_BASE:
            i = struct.unpack("<I", p[:4])[0]
            v = self._vring(i)
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
            v = self._vring(i)
            fd = -1 if nofd or not fds else fds.pop(0)
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
                if fd >= 0:
                    os.set_blocking(fd, False)     # a full pipe must not block the backend
            elif fd >= 0:
                os.close(fd)                       # error eventfd: nothing to report on it
        elif req == SET_VRING_ENABLE:
            i, enable = struct.unpack("<II", p[:8])
            self._vring(i).enabled = bool(enable)
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
            known = False
        if flags & FLAG_NEED_REPLY and not acked and self.protocol_features & (1 << PROTOCOL_F_REPLY_ACK):
            self._reply(conn, req, struct.pack("<Q", 0 if known else 1))     # REPLY_ACK: non-zero = failure

    def _set_mem_table(self, p: bytes, fds: list[int]) -> None:
        n = struct.unpack("<I", p[:4])[0]
        if not 0 < n <= MAX_REGIONS or len(p) < 8 + 32 * n or len(fds) < n:
            raise ProtocolError(f"memory table of {n} regions, {len(p)} bytes, {len(fds)} fds")
        regions, maps = [], []
        try:
            for k in range(n):
                gpa, size, uaddr, off = struct.unpack("<QQQQ", p[8 + 32 * k: 40 + 32 * k])
                st = os.fstat(fds[k])
                if not stat.S_ISREG(st.st_mode) or size == 0 or off + size > st.st_size:
                    raise ProtocolError(f"region {k}: [+0x{off:x}, +0x{size:x}) is not inside its "
                                        f"{st.st_size}-byte file")
                m = mmap.mmap(fds[k], size + off, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
                maps.append(m)
                regions.append(Region(gpa, size, memoryview(m)[off:off + size], uaddr))
        except (OSError, ValueError, OverflowError) as e:
            raise ProtocolError(f"memory table: region {len(maps)} cannot be mapped: {e}") from None
        finally:
            if len(maps) < n:          # failed: unmap what was mapped (the fds are closed by _handle)
                regions.clear()
                for m in maps:
                    try:
                        m.close()
                    except BufferError:
                        pass
        self.maps += maps
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
