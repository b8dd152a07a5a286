"""Key hygiene end to end: when a session ends (or the device is reset) its key and HMAC
states are gone from the control plane, from the accelerator's shared memory, and from the
RTL's key registers. The RTL side is read back through STATUS.KEYS_HELD and the SCRUB count
(the registers themselves are read directly in tests/tb/vcrypto_top_tb.py and aes_engine_tb.py)."""
from __future__ import annotations

import time

import pytest

from bridge import abi
from bridge import virtio_crypto as vc
from bridge.device import VirtioCryptoDevice
from bridge.driver import VirtioCryptoDriver
from bridge.rtl_datapath import RtlDatapath

pytestmark = pytest.mark.xdist_group("accel")


@pytest.fixture
def rig():
    dp = RtlDatapath(mem_bytes=32 << 20)
    dev = VirtioCryptoDevice(dp, num_dataqueues=2)
    yield dp, dev, VirtioCryptoDriver(dev, seed=4)
    dev.close()


def wait_keys_gone(dp, scrubs_before: int) -> None:
    deadline = time.monotonic() + 5
    while dp.client.scrubs_done() == scrubs_before or dp.client.keys_held():
        assert time.monotonic() < deadline, "the device still holds a key 5 s after the session ended"
        time.sleep(0.001)


def test_cipher_session_end_clears_python_shared_memory_and_rtl(rig):
    dp, dev, drv = rig
    key = bytes(range(200, 232))
    st, sid = drv.create_cipher_session(vc.CIPHER_AES_CBC, key, vc.OP_ENCRYPT)
    assert st == vc.OK
    s = dp.sessions[dev.sessions[sid].handle]
    assert key in dp.client.read(s.ctx, abi.CTX_BYTES)
    assert bytes(dev.sessions[sid].params.cipher_key) == bytes(32)        # Python keeps no copy
    assert drv.run(drv.cipher(0, sid, True, bytes(16), bytes(64))).status == vc.OK
    assert dp.client.keys_held(), "after a cipher request the device holds the key schedule"
    before = dp.client.scrubs_done()
    assert drv.destroy_session(vc.CIPHER_DESTROY_SESSION, sid) == vc.OK
    assert dp.client.read(s.ctx, abi.CTX_BYTES) == bytes(abi.CTX_BYTES)
    wait_keys_gone(dp, before)


def test_session_closed_with_requests_in_flight_is_wiped_after_the_last_one(rig):
    dp, dev, drv = rig
    key = bytes(range(16))
    st, sid = drv.create_cipher_session(vc.CIPHER_AES_CTR, key, vc.OP_ENCRYPT)
    assert st == vc.OK
    ctx = dp.sessions[dev.sessions[sid].handle].ctx
    tokens = [drv.cipher(i % 2, sid, True, bytes(16), bytes(65536), kick=False) for i in range(6)]
    for q in range(2):
        drv.kick(q)
    dev.poll(0)
    before = dp.client.scrubs_done()
    assert drv.destroy_session(vc.CIPHER_DESTROY_SESSION, sid) == vc.OK
    assert key in dp.client.read(ctx, abi.CTX_BYTES), "wiped while requests still needed it"
    drv.wait(tokens)
    assert all(t.status == vc.OK for t in tokens)
    assert dp.client.read(ctx, abi.CTX_BYTES) == bytes(abi.CTX_BYTES)
    wait_keys_gone(dp, before)


def test_hmac_states_are_wiped_and_not_kept_by_the_rtl(rig):
    dp, dev, drv = rig
    st, sid = drv.create_mac_session(vc.MAC_HMAC_SHA_256, 32, b"secret" * 10)
    assert st == vc.OK
    ctx = dp.sessions[dev.sessions[sid].handle].ctx
    assert any(dp.client.read(ctx + 64, 64))                 # inner/outer states are there
    assert drv.run(drv.hash(0, sid, bytes(100), 32, mac=True)).status == vc.OK
    assert not dp.client.keys_held(), "the RTL kept HMAC state (or a key) past the request"
    assert drv.destroy_session(vc.MAC_DESTROY_SESSION, sid) == vc.OK
    assert dp.client.read(ctx, abi.CTX_BYTES) == bytes(abi.CTX_BYTES)


def test_device_reset_wipes_every_session(rig):
    dp, dev, drv = rig
    sids = []
    for klen in (16, 24, 32):
        st, sid = drv.create_cipher_session(vc.CIPHER_AES_ECB, bytes([klen]) * klen, vc.OP_ENCRYPT)
        assert st == vc.OK
        assert drv.run(drv.cipher(0, sid, True, b"", bytes(32))).status == vc.OK
        sids.append(sid)
    ctxs = [dp.sessions[dev.sessions[s].handle].ctx for s in sids]
    params = [dev.sessions[s].params for s in sids]
    before = dp.client.scrubs_done()
    dev.set_status(0)                                       # the driver resets the device
    assert not dev.sessions and not dp.sessions
    assert all(dp.client.read(c, abi.CTX_BYTES) == bytes(abi.CTX_BYTES) for c in ctxs)
    assert all(not any(p.cipher_key) for p in params)
    wait_keys_gone(dp, before)
