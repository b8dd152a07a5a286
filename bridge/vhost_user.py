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

The socket is read without blocking: a message is assembled from whatever arrives (header,
then the payload into a bytearray that is zeroed after dispatch: it may carry session keys),
and one that does not arrive whole within `msg_timeout` seconds (2) is a ProtocolError, so a
stalled front end cannot keep the loop, the next front end or SIGTERM waiting. Replies are
queued and written as the socket takes them (a front end that does not read them is dropped).
The socket is created 0600 whatever the umask, only front ends of our own uid are served
(SO_PEERCRED; `allow_uids`, `allow_any_user`), and only the socket this backend bound is ever
removed.
"""
from __future__ import annotations

import array
import errno
import logging
import mmap
import os
import select
import socket
import stat
import struct
import time
from dataclasses import dataclass

from bridge import virtio_crypto as vc
from bridge.datapath import Capabilities
from bridge.guest_log import GuestLog
from bridge.guest_memory import GuestMemoryError, Region, RegionGuestMemory
from bridge.session import Session, symmetric_session
from bridge.virtqueue import DeviceVirtqueue

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
MSG_TIMEOUT = 2.0               # seconds a started message (or an unsent reply) may stall before the front end is dropped
MAX_UNSENT = 64 << 10           # reply bytes the front end may leave unread beyond the socket buffer
_ONE = struct.pack("<Q", 1)       # an eventfd write: add 1
# Interrupt moderation (see _kick): how long an answer's interrupt is held back while the guest
# has several requesters going; asked of time.sleep, which the scheduler stretches to 150-200 us here
HOLD_S = 100e-6
IDLE_WAIT = 0.2                 # longest select() while idle: how late a stop request can be seen
ANC_SPACE = socket.CMSG_SPACE(MAX_FDS * array.array("i").itemsize)
SOCKET_MODE = 0o600             # the socket file; 0o666 when other uids are allowed (SO_PEERCRED decides)
# the smallest payload each handled request needs (shorter: ProtocolError)
MIN_PAYLOAD = {SET_FEATURES: 8, SET_PROTOCOL_FEATURES: 8, SET_MEM_TABLE: 8, SET_VRING_NUM: 8, SET_VRING_ADDR: 40,
               SET_VRING_BASE: 8, GET_VRING_BASE: 8, SET_VRING_KICK: 8, SET_VRING_CALL: 8, SET_VRING_ERR: 8,
               SET_VRING_ENABLE: 8, CLOSE_CRYPTO_SESSION: 8}

# QEMU 7.1/7.2 CryptoDevBackendSymSessionInfo as sent on the wire (632 bytes)
SESSION_72 = struct.Struct("<qIIIIIIBBBB4xQQ64s512s")
assert SESSION_72.size == 632


class Disconnected(Exception):
    pass


class Stopping(Disconnected):
    """The backend was asked to stop (SIGTERM) while it waited for the datapath."""


class ProtocolError(Exception):
    """The front end sent a message that cannot be honoured: close the connection."""


@dataclass
class Vring:
    num: int = 0
    desc: int = 0                # guest-physical addresses, translated from `uaddrs` through the memory table
    avail: int = 0
    used: int = 0
    uaddrs: tuple[int, int, int] | None = None     # (desc, avail, used) as the front end gave them
    base: int = 0
    kick: int = -1
    call: int = -1
    enabled: bool = True
    started: bool = False


# the fields before the keys; the keys are read out of the payload as bytearray slices, never
# unpacked into bytes (an immutable copy of a key could not be wiped)
SESSION_72_HEAD = struct.Struct("<qIIIIIIBBBB4xQQ")
SESSION_72_KEY, SESSION_72_AUTH_KEY = SESSION_72_HEAD.size, SESSION_72_HEAD.size + 64


def parse_session_72(raw: bytes | bytearray | memoryview, caps: Capabilities) -> tuple[int, Session | None]:
    """The session of a CREATE_CRYPTO_SESSION payload (632 bytes; bytes, bytearray or
    memoryview): (OK, session) or (create status, None), by the same rules as the control queue
    (bridge.session.symmetric_session). The keys are copied straight from the payload into the
    session's bytearrays, which the device wipes when the session ends; the payload itself is
    the caller's to wipe."""
    if len(raw) != SESSION_72.size:
        raise struct.error(f"a QEMU 7.2 session is {SESSION_72.size} bytes, not {len(raw)}")
    (_, cipher_alg, key_len, hash_alg, hash_result_len, auth_key_len, aad_len, op_type, direction, hash_mode,
     order, _, _) = SESSION_72_HEAD.unpack_from(raw, 0)
    with memoryview(raw) as m:
        def field_reader(off: int, size: int):
            return lambda n: bytearray(m[off:off + min(n, size)])
        return symmetric_session(caps, op_type, cipher_alg, key_len, direction, field_reader(SESSION_72_KEY, 64),
                                 chain_order=order, hash_mode=hash_mode, hash_algo=hash_alg,
                                 hash_result_len=hash_result_len, auth_key_len=auth_key_len, aad_len=aad_len,
                                 read_auth_key=field_reader(SESSION_72_AUTH_KEY, 512))


def peer_credentials(conn: socket.socket) -> tuple[int, int, int]:
    """(pid, uid, gid) of the process at the other end of a UNIX socket (SO_PEERCRED)."""
    raw = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    return struct.unpack("3i", raw)


class _Channel:
    """One front end's socket, never blocking. A message is assembled from whatever arrives:
    the 12-byte header, then its payload into a bytearray, with the fds that came with it.
    Replies are queued and written as the socket takes them. A message begun but not whole
    within `timeout` seconds, or a reply the front end leaves unread that long (or more than
    MAX_UNSENT bytes of them), is a ProtocolError."""

    def __init__(self, sock: socket.socket, timeout: float):
        sock.setblocking(False)
        self.sock, self.timeout = sock, timeout
        self.out = bytearray()
        self.out_since: float | None = None      # when the unsent replies last made progress
        self.fds: list[int] = []
        self.payload: bytearray | None = None
        self._next()

    def _next(self) -> None:
        self.hdr = bytearray(HDR.size)
        self.hdr_got = 0
        self.payload, self.got = None, 0
        self.fds = []
        self.started: float | None = None        # when the first byte of this message arrived

    def read(self) -> tuple[int, int, bytearray, list[int]] | None:
        """Read what the socket has (up to the end of one message); the message once it is whole."""
        while True:
            whole_hdr = self.hdr_got == HDR.size
            buf = memoryview(self.payload)[self.got:] if whole_hdr else memoryview(self.hdr)[self.hdr_got:]
            try:
                n, anc, _, _ = self.sock.recvmsg_into([buf], ANC_SPACE)
            except (BlockingIOError, InterruptedError):
                return None
            except (ConnectionResetError, BrokenPipeError):
                raise Disconnected() from None
            finally:
                buf.release()
            fds = array.array("i")
            for level, kind, cdata in anc:
                if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                    fds.frombytes(cdata[: len(cdata) - len(cdata) % fds.itemsize])
            self.fds += fds
            if len(self.fds) > MAX_FDS:
                raise ProtocolError(f"more than {MAX_FDS} fds with one message")
            if n == 0:
                raise Disconnected()
            if self.started is None:
                self.started = time.monotonic()
            if whole_hdr:
                self.got += n
            else:
                self.hdr_got += n
                if self.hdr_got < HDR.size:
                    continue
                req, flags, size = HDR.unpack(self.hdr)
                if size > MAX_PAYLOAD:
                    raise ProtocolError(f"request {req} announces a {size}-byte payload (at most {MAX_PAYLOAD})")
                self.payload = bytearray(size)
            if self.got == len(self.payload):
                req, flags, _ = HDR.unpack(self.hdr)
                msg = (req, flags, self.payload, self.fds)
                self._next()                     # the message, its payload and fds are the caller's now
                return msg

    def send(self, *parts: bytes) -> None:
        for part in parts:
            self.out += part
        if len(self.out) > MAX_UNSENT:
            raise ProtocolError(f"the front end leaves {len(self.out)} bytes of replies unread")
        self.flush()

    def flush(self) -> None:
        while self.out:
            try:
                n = self.sock.send(self.out)
            except (BlockingIOError, InterruptedError):
                if self.out_since is None:
                    self.out_since = time.monotonic()
                return
            except (BrokenPipeError, ConnectionResetError):
                raise Disconnected() from None
            self.out[:n] = bytes(n)              # replies may carry key material: zero, then drop
            del self.out[:n]
            self.out_since = time.monotonic() if self.out else None

    def deadline(self) -> float | None:
        """When the oldest stalled thing (a partial message, an unsent reply) runs out of time."""
        if self.started is None and self.out_since is None:
            return None                          # the common case, on every turn of the loop
        ts = [t + self.timeout for t in (self.started, self.out_since) if t is not None]
        return min(ts) if ts else None

    def check(self) -> None:
        if self.started is None and self.out_since is None:
            return
        now = time.monotonic()
        if self.started is not None and now - self.started > self.timeout:
            have = self.hdr_got + self.got
            need = HDR.size + (len(self.payload) if self.payload is not None else 0)
            raise ProtocolError(f"a message stalled: {have} of {need if self.payload is not None else '>= 12'} "
                                f"bytes in {self.timeout:g} s")
        if self.out_since is not None and now - self.out_since > self.timeout:
            raise ProtocolError(f"the front end has not read {len(self.out)} bytes of replies for {self.timeout:g} s")

    def close(self) -> None:
        """The connection ends: close the fds of a partial message, zero what is buffered."""
        for fd in self.fds:
            os.close(fd)
        if self.payload is not None:
            self.payload[:] = bytes(len(self.payload))
        self.out[:] = bytes(len(self.out))
        self.hdr[:] = bytes(HDR.size)
        self.fds, self.payload = [], None


class VhostUserBackend:
    def __init__(self, socket_path: str, device, allow_uids=(), allow_any_user: bool = False,
                 msg_timeout: float = MSG_TIMEOUT, coalesce: bool = True):
        self.path = socket_path
        self.dev = device
        self.allow_uids = set(allow_uids)
        self.allow_any_user = allow_any_user
        self.msg_timeout = msg_timeout
        self.listener: socket.socket | None = None
        self.bound: tuple[int, int] | None = None     # (st_dev, st_ino) of the socket file we created
        self.stopping = False
        self.connections = 0
        self.refused = 0
        self.guest_kicks = 0             # kick eventfd counts read (the guest's notifications), all rings
        self.interrupts = 0              # call eventfd writes (used-buffer notifications), all rings
        self.coalesce = coalesce
        self.interrupt_holds = 0         # kicks whose answers' interrupt was held back
        self.holds_caught = 0            # of them, holds during which more requests came and were answered
        self._held_signals: dict[int, None] | None = None     # rings whose interrupt a hold keeps back
        self.flog = GuestLog(log)        # what a front end (or a local peer) can make us log: rate-limited
        self._chan: _Channel | None = None
        self._retired: list[mmap.mmap] = []            # maps of replaced memory tables still referenced
        self._reset_connection_state()

    def _reset_connection_state(self) -> None:
        self.features = 0
        self.protocol_features = 0
        self.vrings = [Vring() for _ in range(self.dev.num_dataqueues + 1)]
        self.maps: list[mmap.mmap] = []
        self.mem: RegionGuestMemory | None = None

    # -------------------------------------------------------------- socket
    @property
    def socket_mode(self) -> int:
        return 0o666 if self.allow_any_user or self.allow_uids else SOCKET_MODE

    def listen(self) -> None:
        """Bind the socket file: 0600 whatever the umask (0666 when other uids are allowed, the
        peer check then decides). A stale socket at the path is replaced; anything else there
        (a regular file, a directory, a socket someone listens on) is refused, not removed."""
        self._clear_path()
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            old = os.umask(0o177)                 # the file is created 0600 at once: no window
            try:
                sock.bind(self.path)
            finally:
                os.umask(old)
            st = os.lstat(self.path)
            if not stat.S_ISSOCK(st.st_mode):
                raise OSError(errno.EEXIST, f"{self.path} was replaced while binding")
            self.bound = (st.st_dev, st.st_ino)
            if stat.S_IMODE(st.st_mode) != self.socket_mode:
                os.chmod(self.path, self.socket_mode)
                st = os.lstat(self.path)
                if (st.st_dev, st.st_ino) != self.bound or stat.S_IMODE(st.st_mode) != self.socket_mode:
                    raise OSError(errno.EPERM, f"{self.path}: cannot set mode {self.socket_mode:o}")
            sock.listen(1)
        except BaseException:
            sock.close()
            self._unlink_ours()
            raise
        self.listener = sock
        log.info("listening on %s (mode %o%s)", self.path, self.socket_mode,
                 ", any user" if self.allow_any_user else
                 f", uids {sorted(self.allow_uids | {os.geteuid()})}" if self.allow_uids else "")

    def _clear_path(self) -> None:
        try:
            st = os.lstat(self.path)
        except FileNotFoundError:
            return
        if not stat.S_ISSOCK(st.st_mode):
            raise OSError(errno.EEXIST, f"{self.path} exists and is not a socket; not removing it")
        probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        probe.settimeout(1.0)
        try:
            probe.connect(self.path)
        except ConnectionRefusedError:            # nobody listens: a stale socket, ours to replace
            log.info("removing the stale socket %s", self.path)
            try:
                os.unlink(self.path)
            except FileNotFoundError:
                pass
            return
        except FileNotFoundError:
            return
        except OSError as e:
            raise OSError(errno.EADDRINUSE, f"{self.path}: cannot tell whether something listens on it ({e}); "
                                            "not removing it") from None
        finally:
            probe.close()
        raise OSError(errno.EADDRINUSE, f"{self.path}: another process is listening on it")

    def _unlink_ours(self) -> None:
        """Remove the socket file only if the path still is the socket this backend bound."""
        if self.bound is None:
            return
        try:
            st = os.lstat(self.path)
            if stat.S_ISSOCK(st.st_mode) and (st.st_dev, st.st_ino) == self.bound:
                os.unlink(self.path)
            else:
                log.warning("%s is no longer the socket this backend created: left in place", self.path)
        except FileNotFoundError:
            pass
        except OSError as e:
            log.warning("cannot remove %s: %s", self.path, e)
        self.bound = None

    def _peer_allowed(self, conn: socket.socket) -> bool:
        if self.allow_any_user:
            return True
        try:
            pid, uid, _ = peer_credentials(conn)
        except OSError as e:
            self.flog.error("cannot read the front end's credentials (%s): refused", e)
            return False
        if uid == os.geteuid() or uid in self.allow_uids:
            return True
        self.flog.error("refused a front end of uid %d (pid %d): only uid %d%s may connect (--allow-uid, --allow-any-user)",
                  uid, pid, os.geteuid(), "".join(f", {u}" for u in sorted(self.allow_uids)))
        return False

    def serve_forever(self) -> None:
        if self.listener is None:
            self.listen()
        try:
            while not self.stopping:
                self.listener.settimeout(IDLE_WAIT)
                try:
                    conn, _ = self.listener.accept()
                except socket.timeout:
                    continue
                if not self._peer_allowed(conn):
                    self.refused += 1
                    conn.close()
                    continue
                self.connections += 1
                log.info("front end connected (#%d)", self.connections)
                try:
                    self._serve(conn)
                except Stopping:
                    log.info("stopping: connection closed")
                except Disconnected:
                    log.info("front end disconnected")
                except ProtocolError as e:
                    self.flog.error("bad vhost-user message: %s; closing the connection", e)
                except Exception as e:
                    if self.stopping:  # a wait the stop signal interrupted (e.g. the accelerator's irq semaphore)
                        log.info("stopping: connection closed (%s: %s)", type(e).__name__, e)
                    else:              # a bug, not the front end's fault: still never take the backend down
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
        self._unlink_ours()

    def _disconnect(self) -> None:
        """QEMU went away: drop its sessions and guest memory; keep the datapath."""
        for v in self.vrings:
            for fd in (v.kick, v.call):
                if fd >= 0:
                    os.close(fd)
        self.dev.detach()                    # sessions gone, and no view of guest memory left: the maps can close
        self.mem = None
        self._unmap(self.maps + self._retired)
        self._retired = []
        self._reset_connection_state()

    def _unmap(self, maps: list[mmap.mmap]) -> None:
        """Unmap guest-memory maps nothing references any more; the others are kept (retired)
        and unmapped later (at the latest when their last view goes)."""
        for m in maps:
            try:
                m.close()
            except BufferError:
                self._retired.append(m)

    def _reply(self, conn: socket.socket, req: int, payload: bytes) -> None:
        self._chan.send(HDR.pack(req, FLAG_VERSION | FLAG_REPLY, len(payload)), payload)

    # -------------------------------------------------------------- main loop
    def _serve(self, conn: socket.socket) -> None:
        self._chan = _Channel(conn, self.msg_timeout)
        ep = select.epoll()           # epoll itself, not `selectors`: this loop turns once a request
        try:
            self._serve_loop(conn, ep)
        finally:
            ep.close()                # its fd closes with the connection
            self._chan.close()
            self._chan = None

    def _serve_loop(self, conn: socket.socket, ep: select.epoll) -> None:
        chan = self._chan
        cfd = conn.fileno()
        ep.register(cfd, select.EPOLLIN)
        mask = select.EPOLLIN
        kicks: dict[int, int] = {}          # vring -> its kick fd, registered
        vring_of: dict[int, int] = {}       # kick fd -> vring
        while not self.stopping:
            busy = self.dev.busy()
            wait = 0.0 if busy else IDLE_WAIT
            deadline = chan.deadline()
            if deadline is not None:
                wait = max(0.0, min(wait, deadline - time.monotonic()))
            want = select.EPOLLIN | (select.EPOLLOUT if chan.out else 0)
            if want != mask:
                ep.modify(cfd, want)
                mask = want
            events = ep.poll(wait)
            if len(events) > 1:             # messages before kicks: a session QEMU closed must be
                events.sort(key=lambda e: e[0] != cfd)     # gone before the data that follows it
            for fd, ev in events:
                if fd == cfd:
                    if ev & ~select.EPOLLIN:             # writable, or hung up / failed: flush sees it
                        chan.flush()
                    if not ev & ~select.EPOLLOUT:        # nothing to read (a hang-up reads as EOF)
                        continue
                    msg = chan.read()
                    if msg is None:
                        continue
                    self._handle(conn, *msg)
                    self._watch_kicks(ep, kicks, vring_of)
                else:
                    q = vring_of.get(fd)
                    if q is None or self.vrings[q].kick != fd:
                        continue           # the fd was closed/replaced by a message handled just before
                    try:
                        self.guest_kicks += int.from_bytes(os.read(fd, 8), "little")
                    except BlockingIOError:
                        pass
                    except OSError as e:
                        raise ProtocolError(f"vring {q}: kick fd cannot be read: {e}") from None
                    self._kick(q)
                    if self.dev.busy():    # requests the datapath finishes later (not the native lane's)
                        self.dev.poll(0)
            chan.check()
            if busy:                       # requests in flight or chains deferred: keep polling
                self.dev.poll(0.002)

    def _watch_kicks(self, ep: select.epoll, kicks: dict[int, int], vring_of: dict[int, int]) -> None:
        """(Re-)register the kick eventfds that appeared or changed."""
        for i, v in enumerate(self.vrings):
            if v.kick >= 0 and kicks.get(i) != v.kick:
                if i in kicks:
                    self._unwatch(ep, kicks, vring_of, i)
                try:
                    ep.register(v.kick, select.EPOLLIN)
                except (OSError, ValueError) as e:
                    raise ProtocolError(f"vring {i}: kick fd {v.kick} cannot be polled: {e}") from None
                kicks[i] = v.kick
                vring_of[v.kick] = i
            elif v.kick < 0 and i in kicks:
                self._unwatch(ep, kicks, vring_of, i)

    @staticmethod
    def _unwatch(ep: select.epoll, kicks: dict[int, int], vring_of: dict[int, int], i: int) -> None:
        fd = kicks.pop(i)
        if vring_of.get(fd) == i:
            del vring_of[fd]
        try:
            ep.unregister(fd)
        except (OSError, ValueError):       # closed already (epoll dropped it then)
            pass

    def _drain(self, why: str) -> None:
        """Let the datapath finish every request in flight (their results go to the used rings
        through the memory table they were parsed with). Kicks wait; chains a spent budget left
        on a ring stay there. Bounded by the datapath (a hung accelerator is failed after its
        hang timeout); a stop request (SIGTERM) ends it at once."""
        if self.dev.inflight:
            log.info("%s: waiting for %d requests in flight", why, self.dev.inflight)
        while self.dev.inflight:
            if self.stopping:
                raise Stopping()
            try:
                self.dev.poll_inflight(0.01)
            except Exception:
                if self.stopping:      # the stop signal interrupted the datapath's wait
                    raise Stopping() from None
                raise

    def _kick(self, q: int) -> None:
        """Take what the ring has. Interrupt moderation: under TCG each interrupt costs the
        guest's one vCPU more than QEMU's builtin backend, which completes inside the vCPU
        thread; with several requesters going (the last answers were for more than one session)
        the answers' interrupt is held for HOLD_S and what arrived meanwhile is answered under
        the same one. A single requester, synchronous or not, is never held: nothing could
        arrive while it waits, and what it queues is taken in one drain anyway."""
        v = self.vrings[q]
        if not (v.started and v.enabled):
            return
        self._held_signals = {}
        try:
            self.dev.kick(q)
            if self._held_signals and self.coalesce and self.dev.several_requesters():
                time.sleep(HOLD_S)                   # (a stop request is seen right after)
                self.interrupt_holds += 1
                self.holds_caught += self.dev.kick(q) > 0
        finally:
            held, self._held_signals = self._held_signals, None
            for r in held:
                self._notify(r)

    def _notify(self, q: int) -> None:
        if self._held_signals is not None:      # inside _kick(): sent when it returns
            self._held_signals[q] = None
            return
        fd = self.vrings[q].call
        if fd >= 0:
            self.interrupts += 1
            try:
                os.write(fd, _ONE)
            except BlockingIOError:
                pass                   # an eventfd at its maximum count: already signalled
            except OSError as e:       # not a writable eventfd: the guest is not told, the backend goes on
                self.flog.error("vring %d: cannot signal the call fd: %s", q, str(e))

    def _gpa(self, uaddr: int, mem: RegionGuestMemory | None = None) -> int:
        mem = mem or self.mem
        if mem is None:
            raise ProtocolError("vring address before a memory table")
        try:
            return mem.uaddr_to_gpa(uaddr)
        except GuestMemoryError as e:
            raise ProtocolError(str(e)) from None

    def _vring(self, i: int) -> Vring:
        if not 0 <= i < len(self.vrings):
            raise ProtocolError(f"vring index {i} (the device has {len(self.vrings)})")
        return self.vrings[i]

    def _start_ring(self, q: int) -> None:
        v = self.vrings[q]
        if self.mem is None or not v.num:
            self.flog.error("vring %d kicked before memory or size were set", q)
            return
        if v.uaddrs is not None:       # through the memory table in force now
            v.desc, v.avail, v.used = (self._gpa(u) for u in v.uaddrs)
        self.dev.attach(self.mem, self._notify)
        broken = self.dev.start_queue(q, v.num, v.desc, v.avail, v.used, v.base)
        if broken:
            self.flog.error("vring %d: %s; not started (device needs reset)", q, broken)
            return
        v.started = True
        log.info("vring %d started: %d entries, avail base %d", q, v.num, v.base)
        self._kick(q)

    def _handle(self, conn: socket.socket, req: int, flags: int, p: bytearray, fds: list[int]) -> None:
        fds = list(fds)
        try:
            if len(p) < MIN_PAYLOAD.get(req, 0):
                raise ProtocolError(f"request {req} with a {len(p)}-byte payload (needs {MIN_PAYLOAD[req]})")
            self._dispatch(conn, req, flags, p, fds)
        finally:
            for fd in fds:             # whatever the handler did not take
                os.close(fd)
            if isinstance(p, bytearray):
                p[:] = bytes(len(p))   # the payload may carry session keys (CREATE_CRYPTO_SESSION)

    def _dispatch(self, conn: socket.socket, req: int, flags: int, p: bytearray, fds: list[int]) -> None:
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
            v.uaddrs = (desc, avail, used)
        elif req == SET_VRING_BASE:
            i, base = struct.unpack("<II", p[:8])
            self._vring(i).base = base & 0xFFFF
        elif req == GET_VRING_BASE:
            i = struct.unpack("<I", p[:4])[0]
            v = self._vring(i)
            self._drain("GET_VRING_BASE")          # finish what is in flight, then stop the ring
            base = self.dev.stop_queue(i) if v.started else None     # not touched again
            base = v.base if base is None else base
            v.started = False
            v.base = base
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
                    if v.started:
                        self._kick(i)              # a new kick fd for a running ring: keep its state
                    else:
                        self._start_ring(i)
                else:
                    self.flog.error("vring %d: polling mode (no kick fd) is not supported", i)
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
                self.flog.warning("close of unknown crypto session %d", sid)
        else:
            self.flog.warning("unsupported vhost-user request %d (%d bytes): ignored", req, len(p))
            known = False
        if flags & FLAG_NEED_REPLY and not acked and self.protocol_features & (1 << PROTOCOL_F_REPLY_ACK):
            self._reply(conn, req, struct.pack("<Q", 0 if known else 1))     # REPLY_ACK: non-zero = failure

    def _set_mem_table(self, p: bytearray, fds: list[int]) -> None:
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
                for r in regions:
                    r.mem.release()
                regions.clear()
                self._unmap(maps)
        new = RegionGuestMemory(regions)
        try:
            self._switch_memory(new)
        except BaseException:          # refused: the old table stays in force, the new one goes
            for r in regions:
                r.mem.release()
            new, regions = None, []
            self._unmap(maps)
            raise
        old_maps, self.maps = self.maps, maps
        self._unmap(old_maps)
        log.info("guest memory: %s", ", ".join(f"[0x{r.gpa:x}, +{r.size >> 20} MiB)" for r in regions))

    def _switch_memory(self, new: RegionGuestMemory) -> None:
        """Put a new memory table in force, for the device and every running ring at once: the
        rings' front-end addresses are translated through the new table first (a running ring
        it does not hold is a ProtocolError, and nothing changes: libvhost-user treats it as
        fatal too), then the requests in flight finish through the old table, then the device
        and each running queue (re-created on the new table, keeping its indices) switch."""
        running: dict[int, tuple[int, int, int]] = {}
        for i, v in enumerate(self.vrings):
            if not v.started:
                continue
            gpas = tuple(self._gpa(u, new) for u in v.uaddrs) if v.uaddrs is not None else (v.desc, v.avail, v.used)
            probe = DeviceVirtqueue(new, v.num, gpas[0], gpas[1], gpas[2], True)
            if probe.broken:
                raise ProtocolError(f"new memory table: running vring {i}: {probe.broken}")
            running[i] = gpas
        if self.mem is not None:
            self._drain("SET_MEM_TABLE")
        self.mem = new
        if self.dev.mem is not None or running:
            self.dev.switch_memory(new, running)
        for i, (desc, avail, used) in running.items():
            v = self.vrings[i]
            v.desc, v.avail, v.used = desc, avail, used
            log.info("vring %d: now through the new memory table", i)

    def _create_session(self, p: bytes | bytearray | memoryview) -> bytes:
        """The reply: the session id (or -1), then zeros to the payload's length. QEMU reads only
        the id; echoing the rest would send the keys back and leave one more copy of them here."""
        reply = struct.pack("<q", -1) + bytes(max(len(p) - 8, 0))
        if len(p) != SESSION_72.size:
            self.flog.error("CREATE_CRYPTO_SESSION payload of %d bytes: not the QEMU 7.1/7.2 layout (632); refused",
                      len(p))
            return reply
        status, session = parse_session_72(p, self.dev.caps)
        if session is not None:
            status, sid = self.dev.open_session(session)
        if status != vc.OK:
            self.flog.info("crypto session refused: status %d", status)
            return reply
        return struct.pack("<q", sid) + reply[8:]
