"""Hostile and careless front ends against the vhost-user backend (issue #11, defects 5, 6, 10).

- A stalled front end (part of a message, then nothing) must not hold the loop: the partial
  message times out (ProtocolError, the connection is dropped) and the next front end is
  served; SIGTERM ends `vcrypto serve` within 1 s in every state. Payloads are read into a
  bytearray and zeroed after dispatch (they may carry session keys).
- The socket is 0600 whatever the umask, front ends of another uid are refused (SO_PEERCRED)
  unless allowed, and only the socket the backend bound is ever removed.
- A second SET_MEM_TABLE while the ring runs switches the device and the running queue to
  the new table together (in-flight requests finish first, the old maps are unmapped); a
  running ring the new table does not hold is a ProtocolError.

The `vcrypto serve` subprocesses are started here and always stopped here, by PID (their
process group: the accelerator of an rtl backend is in it), also when a test fails.
"""
from __future__ import annotations

import logging
import os
import select
import signal
import socket
import stat
import struct
import subprocess
import sys
import threading
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

from bridge import virtio_crypto as vc
from bridge import vhost_user as vu
from bridge.datapath import SoftDatapath
from bridge.device import VirtioCryptoDevice
from bridge.guest_memory import Region, RegionGuestMemory
from tests.test_vhost_user import MEM, UADDR, FrontEnd, ref

ROOT = Path(__file__).resolve().parents[1]
SIGTERM_BOUND = 1.0            # seconds: a correctness bound (issue #11), not a benchmark


# ---------------------------------------------------------------- vcrypto serve as a subprocess
@contextmanager
def serve(tmp_path: Path, datapath: str = "soft", *extra: str):
    sock = str(tmp_path / "vcrypto.sock")
    log_path = tmp_path / f"serve-{datapath}.log"
    cmd = [sys.executable, "-m", "sim.cli", "serve", "--socket", sock, "--datapath", datapath, "-v", *extra]
    with open(log_path, "w") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT, start_new_session=True)
    try:
        deadline = time.monotonic() + 180            # an rtl start may build the accelerator first
        while "listening on" not in log_path.read_text():
            assert proc.poll() is None, f"vcrypto serve exited: {log_path.read_text()[-2000:]}"
            assert time.monotonic() < deadline, "vcrypto serve did not start listening"
            time.sleep(0.05)
        yield proc, sock, log_path
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)       # its own session: pgid == the PID we started
            proc.wait()
        try:
            os.killpg(proc.pid, signal.SIGKILL)       # an accelerator child left behind, if any
        except (ProcessLookupError, PermissionError):
            pass


def sigterm_exit_time(proc: subprocess.Popen) -> float:
    t0 = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(5)
    except subprocess.TimeoutExpired:
        pytest.fail("vcrypto serve did not exit within 5 s of SIGTERM")
    dt = time.monotonic() - t0
    assert proc.returncode == 0, f"vcrypto serve exited with {proc.returncode}"
    return dt


def recv_exact(s: socket.socket, n: int) -> bytes:
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise EOFError(f"connection closed after {len(buf)} of {n} bytes")
        buf += chunk
    return buf


def get_features(path: str, timeout: float) -> tuple[socket.socket, float]:
    """Connect, ask GET_FEATURES, wait for the reply: (the socket, seconds it took)."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    t0 = time.monotonic()
    s.connect(path)
    s.sendall(vu.HDR.pack(vu.GET_FEATURES, vu.FLAG_VERSION, 0))
    hdr = recv_exact(s, vu.HDR.size)
    assert vu.HDR.unpack(hdr) == (vu.GET_FEATURES, vu.FLAG_VERSION | vu.FLAG_REPLY, 8)
    feats = struct.unpack("<Q", recv_exact(s, 8))[0]
    assert feats & (1 << vu.VHOST_USER_F_PROTOCOL_FEATURES)
    return s, time.monotonic() - t0


def stalled_front_end(path: str) -> socket.socket:
    """4 bytes of a 12-byte header, then nothing."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(path)
    s.sendall(vu.HDR.pack(vu.GET_FEATURES, vu.FLAG_VERSION, 0)[:4])
    return s


# ---------------------------------------------------------------- 5: a stalled front end
def test_regression_vhost_user_stalled_front_end_is_dropped_and_the_next_is_served(tmp_path, record_property):
    """A front end that sent 4 bytes of a header and stopped left `vcrypto serve` in a blocking
    read: the next front end got no reply. Now the partial message times out (2 s), that
    connection is dropped, and the next front end gets its GET_FEATURES reply."""
    with serve(tmp_path) as (proc, sock, log_path):
        stalled = stalled_front_end(sock)
        time.sleep(0.3)                                   # the backend has accepted it and read the 4 bytes
        nxt, took = get_features(sock, timeout=10)
        record_property("next_front_end_served_after_s", round(took, 2))
        print(f"next front end served {took:.2f} s after connecting behind a stalled one")
        assert took < 5
        stalled.settimeout(5)
        assert stalled.recv(16) == b""                    # the stalled connection was closed
        assert "a message stalled: 4 of >= 12 bytes" in log_path.read_text()
        nxt.close()
        stalled.close()
        assert sigterm_exit_time(proc) < SIGTERM_BOUND


def test_regression_vhost_user_stalled_payload_times_out(tmp_path):
    """The same with a whole header announcing 8 payload bytes and 3 of them sent."""
    with serve(tmp_path) as (proc, sock, log_path):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(sock)
        s.sendall(vu.HDR.pack(vu.SET_FEATURES, vu.FLAG_VERSION, 8) + b"\0\0\0")
        s.settimeout(6)
        t0 = time.monotonic()
        assert s.recv(16) == b""
        assert 1.5 < time.monotonic() - t0 < 4            # the 2 s message timeout, not sooner
        assert "a message stalled: 15 of 20 bytes" in log_path.read_text()
        s.close()
        get_features(sock, timeout=5)[0].close()


def _rtl_requests_in_flight(sock: str, n: int = 64, get_vring_base: bool = False) -> FrontEnd:
    """A front end with n 64 KiB AES-CBC requests on the rtl datapath (several seconds of
    simulated work); returns once the first has completed, with most still in flight."""
    fe = FrontEnd(sock)
    fe.sock.settimeout(30)
    dq = fe.start()
    sid = fe.create_session(vc.CIPHER_AES_CBC, bytes(range(16)), vc.OP_ENCRYPT)
    assert sid >= 0
    for i in range(n):
        fe.cbc(dq, sid, True, bytes(16), bytes([i]) * 65536)
    os.eventfd_write(fe.kick, 1)
    r, _, _ = select.select([fe.call], [], [], 30)
    assert r, "no completion from the rtl datapath"
    done = len(list(dq.reap()))
    assert done < n // 2, f"{done} of {n} done already: not enough in flight"
    if get_vring_base:            # QEMU stopping the ring: the backend drains before it replies
        fe.sock.sendall(vu.HDR.pack(vu.GET_VRING_BASE, vu.FLAG_VERSION, 8) + struct.pack("<II", 0, 0))
        time.sleep(0.3)
        r, _, _ = select.select([fe.sock], [], [], 0)
        assert not r, "GET_VRING_BASE answered already: the drain is over"
    return fe


STATES = ["idle", "connected", "mid_message"] + [
    pytest.param(s, marks=pytest.mark.xdist_group("accel")) for s in ("rtl_requests_in_flight",
                                                                      "rtl_get_vring_base_draining",
                                                                      "rtl_accelerator_hung")]


def child_pids(pid: int) -> list[int]:
    with open(f"/proc/{pid}/task/{pid}/children") as f:
        return [int(c) for c in f.read().split()]


@pytest.mark.parametrize("state", STATES)
def test_regression_vhost_user_sigterm_ends_serve_within_1s(tmp_path, state, record_property):
    """SIGTERM is honoured within 1 s whatever the backend is doing: listening with no front
    end, connected and idle, in the middle of a message (the case that hung: a blocking read),
    with requests in flight on the rtl datapath, and while GET_VRING_BASE waits for them."""
    datapath = "rtl" if state.startswith("rtl") else "soft"
    with serve(tmp_path, datapath) as (proc, sock, log_path):
        keep: list = []
        if state == "connected":
            keep.append(get_features(sock, timeout=5)[0])
        elif state == "mid_message":
            keep.append(stalled_front_end(sock))
            time.sleep(0.3)
        elif state == "rtl_requests_in_flight":
            keep.append(_rtl_requests_in_flight(sock))
        elif state == "rtl_get_vring_base_draining":
            keep.append(_rtl_requests_in_flight(sock, get_vring_base=True))
        elif state == "rtl_accelerator_hung":       # took 10 s: close() waited out two timeouts
            keep.append(_rtl_requests_in_flight(sock))
            for child in child_pids(proc.pid):      # the accelerator process: stopped, not dead
                os.kill(child, signal.SIGSTOP)
        dt = sigterm_exit_time(proc)
        record_property("sigterm_exit_s", round(dt, 3))
        print(f"SIGTERM ({state}, {datapath}): exited in {dt:.3f} s")
        for k in keep:
            k.close()
        assert dt < SIGTERM_BOUND, f"{state}: SIGTERM took {dt:.2f} s"
        assert "stopped after" in log_path.read_text()


def test_regression_vhost_user_payload_is_a_bytearray_zeroed_after_dispatch(monkeypatch):
    """The payload was built by bytes concatenation and left as it was: a CREATE_CRYPTO_SESSION
    key stayed in an immutable object until the garbage collector got to it. Now each payload
    is read into one bytearray, and that bytearray is zeroed once the message is handled."""
    from tests.hostile import VhostHarness
    seen: list[tuple[int, object, bytes]] = []
    real = vu.VhostUserBackend._dispatch

    def spy(self, conn, req, flags, p, fds):
        seen.append((req, p, bytes(p)))
        return real(self, conn, req, flags, p, fds)
    monkeypatch.setattr(vu.VhostUserBackend, "_dispatch", spy)
    h = VhostHarness()
    try:
        h.send_all(h.baseline())
        assert h.run() == "disconnected"
    finally:
        h.close()
    assert seen and all(isinstance(p, bytearray) for _, p, _ in seen)
    [(_, p, copy)] = [s for s in seen if s[0] == vu.CREATE_CRYPTO_SESSION]
    assert bytes(range(16)) in copy                       # the key was there while it was handled
    assert p == bytearray(len(copy))                      # and is gone now
    assert all(p == bytearray(len(c)) for _, p, c in seen)


# ---------------------------------------------------------------- 6: the socket's access
@pytest.fixture
def make_backend(tmp_path):
    made = []

    def make(path=None, **kw) -> vu.VhostUserBackend:
        b = vu.VhostUserBackend(str(path or tmp_path / "vhost.sock"), VirtioCryptoDevice(SoftDatapath(), 1), **kw)
        made.append(b)
        return b
    yield make
    for b in made:
        b.stopping = True
        th = getattr(b, "_thread", None)
        if th is not None:
            th.join(5)
        b.close()


def start(b: vu.VhostUserBackend) -> vu.VhostUserBackend:
    if b.listener is None:
        b.listen()
    b._thread = threading.Thread(target=b.serve_forever, daemon=True)
    b._thread.start()
    return b


def test_regression_vhost_user_socket_is_0600_whatever_the_umask(make_backend, tmp_path):
    """bind() with no chmod: under umask 000 the socket was 0777, any local user could connect."""
    old = os.umask(0)
    try:
        b = make_backend()
        b.listen()
        assert stat.S_IMODE(os.stat(b.path).st_mode) == 0o600
        assert stat.S_ISSOCK(os.stat(b.path).st_mode)
        b.close()
        # allowing other uids opens the file to them; the peer check then decides
        b2 = make_backend(tmp_path / "other.sock", allow_uids=[4242])
        b2.listen()
        assert stat.S_IMODE(os.stat(b2.path).st_mode) == 0o666
    finally:
        os.umask(old)


def test_regression_vhost_user_socket_is_0600_under_umask_000_in_vcrypto_serve(tmp_path):
    old = os.umask(0)
    try:
        with serve(tmp_path) as (proc, sock, _):
            assert stat.S_IMODE(os.stat(sock).st_mode) == 0o600
            assert sigterm_exit_time(proc) < SIGTERM_BOUND
        assert not os.path.exists(sock)                   # it removed its own socket
    finally:
        os.umask(old)


def test_regression_vhost_user_foreign_uid_peer_is_refused(make_backend, monkeypatch):
    """No peer check: any uid that could open the socket was served. Now SO_PEERCRED's uid
    must be ours or allowed (tests run as root: the lookup is replaced to play another uid)."""
    calls = []

    def foreign(conn):
        calls.append(conn.fileno())
        return (4321, 54321, 54321)
    monkeypatch.setattr(vu, "peer_credentials", foreign)
    b = start(make_backend())
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(5)
    s.connect(b.path)
    try:
        s.sendall(vu.HDR.pack(vu.GET_FEATURES, vu.FLAG_VERSION, 0))
    except BrokenPipeError:
        pass
    try:
        assert s.recv(16) == b""                          # closed without a reply
    except ConnectionResetError:
        pass
    s.close()
    assert calls and b.refused == 1 and b.connections == 0
    b.stopping = True
    b._thread.join(5)
    # the same uid, allowed: served; and with --allow-any-user
    for kw in ({"allow_uids": [54321]}, {"allow_any_user": True}):
        b = start(make_backend(**kw))
        s, _ = get_features(b.path, timeout=5)
        s.close()
        assert b.refused == 0
        b.stopping = True
        b._thread.join(5)


def test_vhost_user_own_uid_is_served_by_the_real_peer_check(make_backend):
    b = start(make_backend())
    x, y = socket.socketpair()
    assert vu.peer_credentials(x)[1] == os.geteuid()
    x.close()
    y.close()
    s, _ = get_features(b.path, timeout=5)
    s.close()
    assert b.refused == 0


def test_regression_vhost_user_close_does_not_unlink_a_file_that_replaced_the_socket(make_backend):
    """close() removed whatever was at the path by then."""
    b = make_backend()
    b.listen()
    os.unlink(b.path)
    Path(b.path).write_text("not the backend's")
    b.close()
    assert Path(b.path).read_text() == "not the backend's"
    # and a socket bound by someone else in its place is left alone too
    os.unlink(b.path)
    other = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    b2 = make_backend()
    b2.listen()
    os.unlink(b2.path)
    other.bind(b2.path)
    b2.close()
    assert stat.S_ISSOCK(os.lstat(b2.path).st_mode)
    other.close()


def test_regression_vhost_user_listen_refuses_to_delete_a_non_socket(make_backend, tmp_path):
    """listen() unlinked any file at the socket path."""
    victim = tmp_path / "important.txt"
    victim.write_text("data")
    with pytest.raises(OSError, match="not a socket"):
        make_backend(victim).listen()
    assert victim.read_text() == "data"
    d = tmp_path / "dir"
    d.mkdir()
    with pytest.raises(OSError, match="not a socket"):
        make_backend(d).listen()
    assert d.is_dir()


def test_regression_vhost_user_listen_refuses_a_live_socket_and_replaces_a_stale_one(make_backend, tmp_path):
    """listen() unlinked a live backend's socket and took the path over (the first backend then
    served nobody). Now a socket something listens on is refused; a stale one is replaced."""
    first = start(make_backend())
    with pytest.raises(OSError, match="listening"):
        make_backend().listen()
    s, _ = get_features(first.path, timeout=5)            # the first backend still has its socket
    s.close()
    first.stopping = True
    first._thread.join(5)
    # a stale socket: bound, never listened on / its process gone
    stale_path = tmp_path / "stale.sock"
    stale = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    stale.bind(str(stale_path))
    stale.close()
    b = make_backend(stale_path)
    b.listen()
    assert stat.S_IMODE(os.stat(stale_path).st_mode) == 0o600
    b.close()
    assert not stale_path.exists()


# ---------------------------------------------------------------- 10: a second memory table
class HeldDatapath(SoftDatapath):
    """The soft datapath, but nothing completes until `release` is set: requests stay in flight
    (so none is answered in the device's native lane, which answers within the kick)."""
    native_lane = False

    def __init__(self):
        super().__init__()
        self.release = threading.Event()

    def poll(self, timeout: float = 0.0) -> int:
        if not self.release.is_set():
            time.sleep(min(timeout, 0.005))
            return 0
        return super().poll(timeout)


@pytest.fixture
def backend_on(tmp_path):
    made = []

    def make(dp=None, **kw) -> vu.VhostUserBackend:
        dev = VirtioCryptoDevice(dp or SoftDatapath(), num_dataqueues=1, **kw)
        b = start(vu.VhostUserBackend(str(tmp_path / f"vhost{len(made)}.sock"), dev))
        made.append(b)
        return b
    yield make
    for b in made:
        b.stopping = True
        b._thread.join(5)
        assert not b._thread.is_alive()


def mem_table(*regions: tuple[int, int, int, int]) -> bytes:
    """SET_MEM_TABLE payload for [(gpa, size, uaddr, offset)]."""
    return struct.pack("<II", len(regions), 0) + b"".join(struct.pack("<QQQQ", *r) for r in regions)


def barrier(fe: FrontEnd) -> None:
    """Messages are handled in order: once GET_FEATURES is answered, everything before it was."""
    fe.send(vu.GET_FEATURES, reply=True)


def submit(fe: FrontEnd, dq, sid: int, key: bytes, n: int, tag: int) -> list:
    ts = [(fe.cbc(dq, sid, True, bytes([tag + i]) * 16, bytes([tag + i]) * 64), tag + i) for i in range(n)]
    os.eventfd_write(fe.kick, 1)
    return ts


def check(fe: FrontEnd, dq, key: bytes, ts: list) -> None:
    done = fe.wait(dq, len(ts), timeout=5)
    assert len(done) == len(ts)
    for t, v in ts:
        assert t.status == vc.OK and t.dst == ref(key, bytes([v]) * 16, bytes([v]) * 64)


def next_front_end_is_served(path: str, tag: int) -> None:
    """A new front end connects, opens a session and gets two requests served."""
    fe = FrontEnd(path, timeout=10)
    dq = fe.start()
    sid = fe.create_session(vc.CIPHER_AES_CBC, bytes(16), vc.OP_ENCRYPT)
    check(fe, dq, bytes(16), submit(fe, dq, sid, bytes(16), 2, tag))
    fe.close()


def test_regression_vhost_user_second_mem_table_switches_the_running_ring(backend_on):
    """After a second SET_MEM_TABLE the running queue kept reading and writing the old table
    (here: a different memfd with the guest memory copied): new requests were never seen, or
    were parsed through one table and answered through the other. Now the device and the
    running queue switch together; results and used entries land in the new memory only."""
    b = backend_on()
    fe = FrontEnd(b.path, timeout=10)
    dq = fe.start()
    key = bytes(range(16))
    sid = fe.create_session(vc.CIPHER_AES_CBC, key, vc.OP_ENCRYPT)
    check(fe, dq, key, submit(fe, dq, sid, key, 4, 0))
    # the front end moves guest RAM to a new memfd (same layout) and tells the backend
    memfd2 = os.memfd_create("guest2")
    os.ftruncate(memfd2, MEM)
    map2 = __import__("mmap").mmap(memfd2, MEM)
    map2[:] = fe.map[:]
    fe.send(vu.SET_MEM_TABLE, mem_table((0, MEM, UADDR, 0)), [memfd2])
    barrier(fe)
    old_snapshot = bytes(fe.map)
    fe.mem = dq.mem = RegionGuestMemory([Region(0, MEM, memoryview(map2), UADDR)])
    check(fe, dq, key, submit(fe, dq, sid, key, 4, 100))
    assert bytes(fe.map) == old_snapshot                  # nothing written to the old memory any more
    assert len(b.maps) == 1 and not b._retired            # the old table was unmapped
    base = struct.unpack("<II", fe.send(vu.GET_VRING_BASE, struct.pack("<II", 0, 0), reply=True))
    assert base == (0, 8)
    fe.close()
    os.close(memfd2)


def test_regression_vhost_user_mem_table_with_requests_in_flight_drains_then_switches(backend_on):
    """A new table (the same memfd split into two regions) arriving with requests in flight:
    they finish first (through the table they were parsed with), then the device and the ring
    switch; the old map is unmapped (it stayed mapped, one more per SET_MEM_TABLE)."""
    dp = HeldDatapath()
    b = backend_on(dp)
    fe = FrontEnd(b.path, timeout=10)
    dq = fe.start()
    key = bytes(range(32))
    sid = fe.create_session(vc.CIPHER_AES_CBC, key, vc.OP_ENCRYPT)
    ts = submit(fe, dq, sid, key, 6, 0)
    deadline = time.monotonic() + 5
    while dp.inflight() < 6:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    half = MEM // 2
    fds = [os.dup(fe.memfd), os.dup(fe.memfd)]
    fe.send(vu.SET_MEM_TABLE, mem_table((0, half, UADDR, 0), (half, half, UADDR + half, half)), fds)
    for fd in fds:
        os.close(fd)
    time.sleep(0.3)
    assert dp.inflight() == 6 and len(b.maps) == 1        # the switch waits for them
    dp.release.set()
    check(fe, dq, key, ts)
    barrier(fe)
    assert len(b.maps) == 2 and not b._retired            # the new table's two maps, the old one unmapped
    check(fe, dq, key, submit(fe, dq, sid, key, 6, 50))
    fe.close()


def test_regression_vhost_user_mem_table_without_the_running_ring_is_a_protocol_error(backend_on):
    """A new table that no longer holds the running ring's addresses: the queue went on through
    the old maps. Now a ProtocolError (libvhost-user: vu_panic), the connection closes, and the
    next front end is served."""
    b = backend_on()
    fe = FrontEnd(b.path, timeout=10)
    fe.start()
    memfd2 = os.memfd_create("elsewhere")
    os.ftruncate(memfd2, MEM)
    fe.send(vu.SET_MEM_TABLE, mem_table((0, MEM, UADDR + (1 << 40), 0)), [memfd2])
    os.close(memfd2)
    assert fe.sock.recv(16) == b""
    fe.close()
    next_front_end_is_served(b.path, 7)
    assert b.connections == 2


# ---------------------------------------------------------------- the loop itself
def test_regression_vhost_user_front_end_that_never_reads_replies_is_dropped(backend_on):
    """Replies were written with a blocking sendall(): a front end that asked and never read
    the answers blocked the backend for good once the socket buffer was full. Now replies are
    queued; past 64 KiB unread (or 2 s without progress) the front end is dropped."""
    b = backend_on()
    flood = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    flood.connect(b.path)
    flood.settimeout(10)

    def push():
        try:
            flood.sendall(vu.HDR.pack(vu.GET_FEATURES, vu.FLAG_VERSION, 0) * 60000)
        except OSError:
            pass
    th = threading.Thread(target=push, daemon=True)
    th.start()
    th.join(15)
    next_front_end_is_served(b.path, 1)
    flood.close()
    assert b.connections == 2


def test_vhost_user_loop_polls_while_the_device_is_busy_without_a_kick(backend_on):
    """Requests finish after their kick was handled: the loop must go on polling while the
    device is busy, with no kick fd readable, and deliver them."""
    dp = HeldDatapath()
    b = backend_on(dp)
    fe = FrontEnd(b.path, timeout=10)
    dq = fe.start()
    sid = fe.create_session(vc.CIPHER_AES_CBC, bytes(16), vc.OP_ENCRYPT)
    ts = submit(fe, dq, sid, bytes(16), 3, 9)
    deadline = time.monotonic() + 5
    while dp.inflight() < 3:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    dp.release.set()                                      # no kick after this
    check(fe, dq, bytes(16), ts)
    fe.close()


def test_vhost_user_loop_resumes_chains_a_spent_kick_budget_left(backend_on):
    """The device takes a bounded number of chains per kick and leaves the rest for poll():
    with one kick for 40 requests and a budget of 4 chains, all 40 are answered."""
    limits_cls = getattr(__import__("bridge.device", fromlist=["Limits"]), "Limits", None)
    if limits_cls is None:
        pytest.skip("this device has no kick budget")
    b = backend_on(limits=limits_cls(kick_chains=4))
    fe = FrontEnd(b.path, timeout=10)
    dq = fe.start()
    sid = fe.create_session(vc.CIPHER_AES_CBC, bytes(16), vc.OP_ENCRYPT)
    check(fe, dq, bytes(16), submit(fe, dq, sid, bytes(16), 40, 0))
    fe.close()


def test_regression_vhost_user_front_end_triggered_messages_are_rate_limited(caplog):
    """A front end could make the backend log a line per message (an unknown request code, a
    close of an unknown session), as a guest could per bad chain: the same GuestLog limit now
    applies (the first few of each interval, then a count)."""
    be = vu.VhostUserBackend("/nonexistent/vcrypto.sock", VirtioCryptoDevice(SoftDatapath(), num_dataqueues=1))
    caplog.set_level(logging.INFO, logger="vcrypto")
    for i in range(2000):
        be._dispatch(None, 0x7777, 0, b"", [])                                      # unsupported request
        be._dispatch(None, vu.CLOSE_CRYPTO_SESSION, 0, struct.pack("<q", 10_000 + i), [])
    lines = [r for r in caplog.records if r.name == "vcrypto.vhost"]
    assert len(lines) <= be.flog.burst + 1 and be.flog.suppressed_total >= 3990
