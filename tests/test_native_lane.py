"""The soft device's native lane (bridge/native_lane.py, bridge/native/cipher_lane.c): built, used,
and answering every request as the Python path does. Two devices, one with the lane and one
without, get the same random requests (fixed seeds): well-formed plain cipher requests of each
mode and key length in every descriptor layout, and the ones the lane must leave to the Python
path (an IV of the wrong length, a partial block, a destination too small, the direction
against the session's, an unknown or destroyed session, hash requests in the same batch). Each request gets the same status, the same bytes and the same used length from both,
and the results match `cryptography`. The hostile-input properties (tests/test_hostile_input.py)
run with the lane on and audit its every write (tests/hostile.py)."""
from __future__ import annotations

import os
import random
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from bridge import virtio_crypto as vc
from bridge.datapath import SoftDatapath
from bridge.device import VirtioCryptoDevice
from bridge.driver import VirtioCryptoDriver
from bridge.native_lane import library, library_error

ROOT = Path(__file__).resolve().parents[1]
ASAN_CFLAGS = "-fsanitize=address -fno-omit-frame-pointer -g"

MODES = {vc.CIPHER_AES_ECB: (lambda iv: modes.ECB(), (16, 24, 32)),
         vc.CIPHER_AES_CBC: (modes.CBC, (16, 24, 32)),
         vc.CIPHER_AES_CTR: (modes.CTR, (16, 24, 32)),
         vc.CIPHER_AES_XTS: (modes.XTS, (32, 64))}


def reference(algo: int, key: bytes, encrypt: bool, iv: bytes, src: bytes) -> bytes:
    c = Cipher(algorithms.AES(key), MODES[algo][0](iv))
    ctx = c.encryptor() if encrypt else c.decryptor()
    return ctx.update(src) + ctx.finalize()


def test_the_lane_is_built_and_serves_the_soft_device():
    assert library() is not None, library_error()
    assert VirtioCryptoDevice(SoftDatapath()).lane is not None
    assert VirtioCryptoDevice(SoftDatapath(), native_lane=False).lane is None


class Pair:
    """The same driver actions on a device with the lane and on one without."""

    def __init__(self, revision_1: bool, event_idx: bool, seed: int):
        self.devs = [VirtioCryptoDevice(SoftDatapath(), num_dataqueues=2, native_lane=lane) for lane in (True, False)]
        self.drvs = [VirtioCryptoDriver(d, revision_1=revision_1, event_idx=event_idx, seed=seed) for d in self.devs]

    def each(self, fn) -> list:
        return [fn(drv) for drv in self.drvs]


def answers(tokens) -> tuple:
    return tuple((t.status, t.used_len, t.extra.get("data")) for t in tokens)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_lane_and_the_python_path_answer_alike(seed):
    rng = random.Random(seed)
    p = Pair(revision_1=seed != 2, event_idx=seed != 3, seed=seed)
    sessions = []                          # (sid, algo, key, op)
    for algo, (_, key_lengths) in MODES.items():
        for key_len in key_lengths:
            for op in (vc.OP_ENCRYPT, vc.OP_DECRYPT):
                key = rng.randbytes(key_len)
                got = p.each(lambda d: d.create_cipher_session(algo, key, op))
                assert got[0] == got[1] and got[0][0] == vc.OK
                sessions.append((got[0][1], algo, key, op))
    hash_sid = p.each(lambda d: d.create_hash_session(vc.HASH_SHA_256, 32))[0][1]
    gone = sessions.pop()
    assert p.each(lambda d: d.destroy_session(vc.CIPHER_DESTROY_SESSION, gone[0])) == [vc.OK, vc.OK]
    served_ok = 0
    for batch in range(40):
        expected, tokens = [], [[], []]
        for _ in range(rng.randint(1, 12)):
            sid, algo, key, op = rng.choice(sessions + [gone])
            encrypt = (op == vc.OP_ENCRYPT) != (rng.random() < 0.1)        # sometimes against the session
            size = rng.choice([0, 1, 15, 16, 17, 48, 512, 4096, 4100, 8192, 20000])
            iv = rng.randbytes(rng.choice([16] * 8 + [0, 12, 17]))
            src = rng.randbytes(size)
            layout = rng.choice(["linux", "linux", "merged", "split"])
            q = rng.randrange(2)
            short = rng.random() < 0.05 and size > 0
            kind = rng.random()
            extra_dst = rng.choice([0, 0, 5])
            for i, drv in enumerate(p.drvs):
                if kind < 0.1:
                    t = drv.hash(q, hash_sid, src, 32, layout=layout, kick=False)
                elif short:                  # the header's dst_len does not fit the writable area
                    fixed = vc.cipher_data_fixed(len(iv), size, size)
                    opc = vc.CIPHER_ENCRYPT if encrypt else vc.CIPHER_DECRYPT
                    t = drv.submit(q, [drv._hdr(opc, sid, fixed), iv, src], size - 1, layout, kick=False)
                else:
                    t = drv.cipher(q, sid, encrypt, iv, src, layout=layout, extra_dst=extra_dst,
                                   kick=False)
                tokens[i].append(t)
            expected.append((kind < 0.1, sid, algo, key, encrypt, iv, src, short))
        for drv in p.drvs:
            for q in range(2):
                drv.kick(q)
        done = [drv.wait(ts) for drv, ts in zip(p.drvs, tokens)]
        assert answers(done[0]) == answers(done[1]), f"batch {batch}"
        for t, (is_hash, sid, algo, key, encrypt, iv, src, short) in zip(done[0], expected):
            ok_request = not is_hash and not short and sid != gone[0] and encrypt == (
                next(s for s in sessions if s[0] == sid)[3] == vc.OP_ENCRYPT) and (
                algo == vc.CIPHER_AES_ECB or len(iv) == 16) and (
                algo not in (vc.CIPHER_AES_ECB, vc.CIPHER_AES_CBC) or len(src) % 16 == 0) and (
                algo != vc.CIPHER_AES_XTS or len(src) >= 16)
            if is_hash:
                assert t.status == vc.OK
                continue
            assert (t.status == vc.OK) == ok_request, (algo, len(iv), len(src), short, encrypt)
            if ok_request:
                assert t.extra["data"] == reference(algo, key, encrypt, iv, src)
                served_ok += 1
    lane = p.devs[0].lane
    assert served_ok > 100 and lane.served == served_ok, "the lane did not answer the well-formed requests"
    assert p.devs[0].counters == p.devs[1].counters


def test_a_destroyed_session_leaves_the_lane():
    """After DESTROY_SESSION (and after a reset) the session's id is unknown to the lane too:
    a request on it is the Python path's INVSESS, not an answer with the old key."""
    dev = VirtioCryptoDevice(SoftDatapath())
    drv = VirtioCryptoDriver(dev, revision_1=True)
    status, sid = drv.create_cipher_session(vc.CIPHER_AES_CBC, bytes(16), vc.OP_ENCRYPT)
    assert status == vc.OK
    assert drv.run(drv.cipher(0, sid, True, bytes(16), bytes(32))).status == vc.OK
    assert dev.lane.served == 1
    assert drv.destroy_session(vc.CIPHER_DESTROY_SESSION, sid) == vc.OK
    assert drv.run(drv.cipher(0, sid, True, bytes(16), bytes(32))).status == vc.INVSESS
    assert dev.lane.served == 1


def test_the_lane_under_address_sanitizer():
    """The lane rebuilt with AddressSanitizer (VCRYPTO_LANE_CFLAGS, the compiler's libasan
    preloaded) through this file's differential test and the hostile data-queue property: an
    out-of-bounds access of the lane in any of them aborts the run. (`make fuzz` runs the
    properties this way with many more cases.)"""
    libasan = subprocess.run(["gcc", "-print-file-name=libasan.so"], capture_output=True, text=True,
                             check=True).stdout.strip()
    assert os.path.isabs(libasan) and os.path.exists(libasan), f"gcc has no libasan: {libasan!r}"
    env = dict(os.environ, VCRYPTO_LANE_CFLAGS=ASAN_CFLAGS, LD_PRELOAD=libasan, ASAN_OPTIONS="detect_leaks=0",
               VCRYPTO_FUZZ_CASES="150")
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist",
                        "tests/test_native_lane.py", "tests/test_hostile_input.py", "-k",
                        "answer_alike or property_data_queues"], cwd=ROOT, env=env, capture_output=True, text=True,
                       timeout=600)
    assert r.returncode == 0 and " passed" in r.stdout, (r.stdout[-3000:], r.stderr[-3000:])
    assert "AddressSanitizer" not in r.stderr
