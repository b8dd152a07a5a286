"""Deep queues, the way a busy guest drives the device: every data queue's ring filled (256
requests in flight on each of two queues, one indirect descriptor each), kicked once, on both
datapaths, every answer checked against `cryptography` / `hmac`. Then a guest that keeps the
rings full while it goes on (a completion frees a slot, the slot is refilled)."""
from __future__ import annotations

import hashlib
import hmac
import random

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from bridge import virtio_crypto as vc
from bridge.device import VirtioCryptoDevice
from bridge.driver import VirtioCryptoDriver
from sim.datapaths import open_datapath

pytestmark = pytest.mark.xdist_group("accel")

RING = 256
QUEUES = 2


@pytest.fixture(scope="module", params=["soft", "rtl"])
def drv(request):
    dev = VirtioCryptoDevice(open_datapath(request.param, mem_bytes=64 << 20), num_dataqueues=QUEUES)
    d = VirtioCryptoDriver(dev, mem_bytes=128 << 20, queue_size=RING, seed=3)
    yield d
    dev.close()


def cbc(key, iv, data):
    e = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    return e.update(data) + e.finalize()


class Workload:
    """Random AES-128-CBC encryptions and HMAC-SHA-256 requests of 16 B .. 8 KiB, each with the
    answer it must get."""

    def __init__(self, drv, seed):
        self.drv, self.rng = drv, random.Random(seed)
        self.key, self.mkey = self.rng.randbytes(16), self.rng.randbytes(32)
        self.enc, _ = drv.skcipher_setkey(vc.CIPHER_AES_CBC, self.key)
        st, self.mac = drv.create_mac_session(vc.MAC_HMAC_SHA_256, 32, self.mkey)
        assert st == vc.OK
        self.expect: dict[int, bytes] = {}

    def post(self, q):
        n = 16 * self.rng.choice((1, 4, 32, 256, 512))
        data, iv = self.rng.randbytes(n), self.rng.randbytes(16)
        if self.rng.random() < 0.5:
            t = self.drv.cipher(q, self.enc, True, iv, data, kick=False)
            self.expect[id(t)] = cbc(self.key, iv, data)
        else:
            t = self.drv.hash(q, self.mac, data, 32, mac=True, kick=False)
            self.expect[id(t)] = hmac.new(self.mkey, data, hashlib.sha256).digest()
        return t

    def check(self, t):
        assert t.status == vc.OK, t.status
        assert t.extra["data"] == self.expect.pop(id(t))


def test_full_rings_kicked_once_every_answer_right(drv):
    w = Workload(drv, seed=1)
    ts = [w.post(q) for q in range(QUEUES) for _ in range(RING)]
    for q in range(QUEUES):
        assert not drv.queues[q].space(True, 1), "the ring is not full"
    for q in range(QUEUES):
        drv.kick(q)
    for t in drv.wait(ts):
        w.check(t)
    assert not w.expect and drv.dev.inflight == 0
    # what `vcrypto serve` reports when it stops (the guest deep-queue test relies on it)
    assert drv.dev.ring_high_water() == (RING, RING)


def test_rings_kept_full_while_requests_complete(drv):
    w = Workload(drv, seed=2)
    done = 0

    def finished(t):
        nonlocal done
        w.check(t)
        done += 1
    drv.keep_in_flight(range(QUEUES), RING, w.post, finished, lambda: done < 3 * RING)
    assert done >= 3 * RING and not w.expect
