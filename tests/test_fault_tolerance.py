"""Faults of the process split: the accelerator process killed or hung while requests are in
flight, and the bridge killed. The device must answer every request (ERR for the ones the
fault took), bring a new accelerator up with the sessions' contexts, and serve on; a dead
bridge must not leave the accelerator or any shared-memory object behind."""
from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from bridge import abi
from bridge import virtio_crypto as vc
from bridge.device import VirtioCryptoDevice
from bridge.driver import VirtioCryptoDriver
from sim.accel_process import rtl_datapath
from sim.accel_process import posix_objects_left

pytestmark = pytest.mark.xdist_group("accel")

QUEUES = 4
KEY, MAC_KEY = bytes(range(32)), b"k" * 40


def cbc(key: bytes, iv: bytes, data: bytes) -> bytes:
    e = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    return e.update(data) + e.finalize()


def hmac256(key: bytes, data: bytes) -> bytes:
    h = hmac.HMAC(key, hashes.SHA256())
    h.update(data)
    return h.finalize()


@pytest.fixture
def rig():
    dp = rtl_datapath(mem_bytes=64 << 20, hang_timeout=0.5)
    dev = VirtioCryptoDevice(dp, num_dataqueues=QUEUES)
    drv = VirtioCryptoDriver(dev, seed=3)
    st, aes_sid = drv.create_cipher_session(vc.CIPHER_AES_CBC, KEY, vc.OP_ENCRYPT)
    st2, mac_sid = drv.create_mac_session(vc.MAC_HMAC_SHA_256, 32, MAC_KEY)
    assert st == st2 == vc.OK
    yield dp, dev, drv, aes_sid, mac_sid
    pid = dp.accel.pid
    dev.close()
    assert pid is None or not Path(f"/proc/{pid}").exists() or \
        Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z"


def submit_burst(drv, aes_sid, mac_sid, n: int, size: int = 65536) -> list:
    tokens = []
    for i in range(n):
        src, iv = bytes([i]) * size, bytes([i ^ 0x5A]) * 16
        if i % 2:
            t = drv.hash(i % QUEUES, mac_sid, src, 32, mac=True, kick=False)
            t.extra["want"] = hmac256(MAC_KEY, src)
        else:
            t = drv.cipher(i % QUEUES, aes_sid, True, iv, src, kick=False)
            t.extra["want"] = cbc(KEY, iv, src)
        tokens.append(t)
    for q in range(QUEUES):
        drv.kick(q)
    return tokens


def collect_all(drv, dev, tokens, limit: float) -> float:
    """Poll until every token completed; returns when the last one did (monotonic)."""
    pending = {id(t) for t in tokens}
    deadline = time.monotonic() + limit
    while pending:
        dev.poll(0.01)
        for q in range(QUEUES):
            for t in drv.collect(q):
                assert id(t) in pending, "a request completed twice"
                pending.discard(id(t))
        if time.monotonic() > deadline:
            pytest.fail(f"{len(pending)} requests never completed (the driver would hang)")
    return time.monotonic()


def check_served(drv, dev, aes_sid, mac_sid) -> None:
    """New requests on the same sessions: the restored contexts give the right answers."""
    tokens = submit_burst(drv, aes_sid, mac_sid, 8, size=4096)
    collect_all(drv, dev, tokens, 30)
    for t in tokens:
        assert t.status == vc.OK and t.extra["data"] == t.extra["want"]


def fault_outcome(tokens) -> tuple[int, int]:
    ok = err = 0
    for t in tokens:
        if t.status == vc.OK:
            assert t.extra["data"] == t.extra["want"], "a request completed OK with a wrong result"
            ok += 1
        else:
            assert t.status == vc.ERR, f"status {t.status}"
            err += 1
    return ok, err


def test_accelerator_sigkill_fails_in_flight_requests_then_serves_again(rig):
    dp, dev, drv, aes_sid, mac_sid = rig
    old_pid, old_names = dp.accel.pid, dict(dp.accel.names)
    tokens = submit_burst(drv, aes_sid, mac_sid, 24)       # ~1 s of simulation queued
    dev.poll(0)                                            # posted to the accelerator's rings
    assert dp.waiting
    os.kill(old_pid, signal.SIGKILL)
    killed = time.monotonic()
    last = collect_all(drv, dev, tokens, 10)
    ok, err = fault_outcome(tokens)
    assert err >= 1, "the kill took no request with it: it came too late to test anything"
    assert last - killed < 1.0, f"in-flight requests failed {last - killed:.2f} s after the kill"
    assert dp.restarts == 1 and "gone" in dp.faults[0]
    assert dp.accel.pid != old_pid and dp.accel.alive()
    assert posix_objects_left(old_names) == [], "the dead accelerator's shared objects were not removed"
    check_served(drv, dev, aes_sid, mac_sid)
    assert dev.inflight == 0 and not dp.inflight()


def test_accelerator_hang_is_detected_and_the_process_replaced(rig):
    dp, dev, drv, aes_sid, mac_sid = rig
    old = dp.accel.proc
    tokens = submit_burst(drv, aes_sid, mac_sid, 8)
    dev.poll(0)
    os.kill(old.pid, signal.SIGSTOP)                        # alive, but makes no progress
    stopped = time.monotonic()
    try:
        last = collect_all(drv, dev, tokens, 10)
    finally:
        if old.poll() is None:
            os.kill(old.pid, signal.SIGKILL)
    ok, err = fault_outcome(tokens)
    assert err >= 1
    assert last - stopped < dp.hang_timeout + 1.0
    assert old.poll() == -signal.SIGKILL, "the hung process was not killed"
    assert dp.restarts == 1 and "no completion" in dp.faults[0]
    check_served(drv, dev, aes_sid, mac_sid)


def test_sessions_created_and_destroyed_around_a_fault(rig):
    """A session closed while its requests were in flight, and one opened after the fault."""
    dp, dev, drv, aes_sid, mac_sid = rig
    st, extra = drv.create_cipher_session(vc.CIPHER_AES_CBC, KEY[:16], vc.OP_ENCRYPT)
    assert st == vc.OK
    tokens = submit_burst(drv, extra, mac_sid, 6)
    dev.poll(0)
    assert drv.destroy_session(vc.CIPHER_DESTROY_SESSION, extra) == vc.OK
    st, doomed = drv.create_cipher_session(vc.CIPHER_AES_ECB, KEY[:24], vc.OP_ENCRYPT)
    assert st == vc.OK
    pid = dp.accel.pid
    os.kill(pid, signal.SIGKILL)
    os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT)      # dead, and not yet noticed by the bridge
    # posted writes the dead card never takes fill its mailbox; closing a session then must not
    # raise out of the device (its SCRUB cannot reach the card)
    while dp.client.mmio_head - dp.client._field("mmio_tail") < abi.SHM_MMIO_SLOTS:
        dp.client.mmio_write(abi.CSR_INT_MASK, (1 << QUEUES) - 1)
    assert drv.destroy_session(vc.CIPHER_DESTROY_SESSION, doomed) == vc.OK
    collect_all(drv, dev, tokens, 10)
    assert dp.sessions == set(dev.sessions.values())
    st, again = drv.create_cipher_session(vc.CIPHER_AES_CBC, KEY, vc.OP_ENCRYPT)
    assert st == vc.OK
    check_served(drv, dev, again, mac_sid)
    # nothing but the live sessions' contexts is left allocated in the new segment
    assert sorted(dp.client.heap.used) == sorted(s.context for s in dp.sessions)


def test_vhost_user_backend_survives_an_accelerator_kill(tmp_path):
    """The same through the vhost-user backend, as QEMU sees it: the guest's requests in flight
    come back with ERR (no hang), the backend keeps serving, the session keeps working."""
    import threading

    from bridge import vhost_user as vu
    from tests.test_vhost_user import FrontEnd, ref
    dp = rtl_datapath(mem_bytes=64 << 20, hang_timeout=0.5)
    dev = VirtioCryptoDevice(dp, num_dataqueues=1)
    b = vu.VhostUserBackend(str(tmp_path / "vhost.sock"), dev)
    b.listen()
    th = threading.Thread(target=b.serve_forever, daemon=True)
    th.start()
    try:
        fe = FrontEnd(b.path)
        dq = fe.start()
        sid = fe.create_session(vc.CIPHER_AES_CBC, KEY, vc.OP_ENCRYPT)
        assert sid >= 0
        data = [bytes([i]) * 65536 for i in range(12)]
        ts = [fe.cbc(dq, sid, True, bytes(16), d) for d in data]
        os.eventfd_write(fe.kick, 1)
        deadline = time.monotonic() + 10
        while not dp.waiting:                   # the backend has handed them to the accelerator
            assert time.monotonic() < deadline
            time.sleep(0.001)
        os.kill(dp.accel.pid, signal.SIGKILL)
        done = fe.wait(dq, len(ts), timeout=5)
        assert len(done) == len(ts)
        statuses = [t.status for t in ts]
        assert vc.ERR in statuses and set(statuses) <= {vc.OK, vc.ERR}
        for t, d in zip(ts, data):
            if t.status == vc.OK:
                assert t.dst == ref(KEY, bytes(16), d)
        # the ERR completions go out before the restart (the guest hears of it first)
        t = fe.cbc(dq, sid, True, bytes(16), data[0])
        os.eventfd_write(fe.kick, 1)
        [t] = fe.wait(dq, 1)
        assert t.status == vc.OK and t.dst == ref(KEY, bytes(16), data[0])
        assert dp.restarts == 1
        fe.close()
    finally:
        b.stopping = True
        th.join(5)
        dev.close()
