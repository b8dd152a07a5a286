"""Stateless mode (issue #15): data requests that carry their own session parameters and keys
(spec: virtio_crypto_*_data_flf/vlf_stateless, feature bits CIPHER/HASH/MAC/AEAD_STATELESS_MODE,
each needing REVISION_1). Conformance items (S*, mapped in bridge/README.md), the soft-vs-rtl
differential with stateless requests mixed into session ones, and key hygiene."""
from __future__ import annotations

import hashlib
import hmac
import random
import struct
import time

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from bridge import virtio_crypto as vc
from bridge.datapath import SoftDatapath
from bridge.device import VirtioCryptoDevice
from bridge.driver import LAYOUTS, VirtioCryptoDriver
from bridge.sha2_state import hmac_states

STATELESS_BITS = {vc.VIRTIO_CRYPTO_F_CIPHER_STATELESS_MODE, vc.VIRTIO_CRYPTO_F_HASH_STATELESS_MODE,
                  vc.VIRTIO_CRYPTO_F_MAC_STATELESS_MODE, vc.VIRTIO_CRYPTO_F_AEAD_STATELESS_MODE}


def soft(**kw) -> tuple[VirtioCryptoDevice, VirtioCryptoDriver]:
    dev = VirtioCryptoDevice(SoftDatapath(), num_dataqueues=2)
    return dev, VirtioCryptoDriver(dev, revision_1=True, stateless=True, **kw)


def aes(mode, key: bytes, iv: bytes, data: bytes, encrypt: bool = True) -> bytes:
    c = Cipher(algorithms.AES(key), mode(iv) if mode is not modes.ECB else modes.ECB())
    x = c.encryptor() if encrypt else c.decryptor()
    return x.update(data) + x.finalize()


# ------------------------------------------------------------------ feature negotiation
def test_s1_stateless_bits_offered_per_service_and_only_with_revision_1():
    """S1: the device offers a stateless bit for each service its datapath has (AEAD only where
    AEAD exists); a driver that acks one without REVISION_1 has FEATURES_OK refused."""
    dev = VirtioCryptoDevice(SoftDatapath())
    offered = {b for b in STATELESS_BITS if dev.device_features >> b & 1}
    assert offered == STATELESS_BITS
    dev.set_status(vc.ACKNOWLEDGE | vc.DRIVER)
    dev.set_features((1 << vc.VIRTIO_F_VERSION_1) | (1 << vc.VIRTIO_CRYPTO_F_HASH_STATELESS_MODE))
    dev.set_status(vc.ACKNOWLEDGE | vc.DRIVER | vc.FEATURES_OK)
    assert not dev.status & vc.FEATURES_OK
    dev.set_status(0)
    dev.set_features((1 << vc.VIRTIO_F_VERSION_1) | (1 << vc.VIRTIO_CRYPTO_F_REVISION_1)
                     | (1 << vc.VIRTIO_CRYPTO_F_HASH_STATELESS_MODE))
    dev.set_status(vc.ACKNOWLEDGE | vc.DRIVER | vc.FEATURES_OK)
    assert dev.status & vc.FEATURES_OK
    assert not VirtioCryptoDevice(SoftDatapath(), offer_revision_1=False).device_features & \
        sum(1 << b for b in STATELESS_BITS)


def test_s2_revision_1_without_the_services_stateless_bit_rejects_flag_0_with_notsupp():
    """S2: spec, note on virtio_crypto_op_header: with REVISION_1 but not <SERVICE>_STATELESS_MODE
    the device SHOULD reject a request without SESSION_MODE: NOTSUPP."""
    dev = VirtioCryptoDevice(SoftDatapath())
    drv = VirtioCryptoDriver(dev, revision_1=True, stateless=False)
    t = drv.run(drv.hash_stateless(0, vc.HASH_SHA_256, b"abc", 32))
    assert t.status == vc.NOTSUPP


def test_s3_session_mode_still_works_when_stateless_is_negotiated():
    """S3: with the stateless bits negotiated, `flag` decides: SESSION_MODE is a session
    request (REVISION_1 layouts), 0 a stateless one."""
    dev, drv = soft()
    _, sid = drv.create_hash_session(vc.HASH_SHA_256, 32)
    assert drv.run(drv.hash(0, sid, b"abc", 32)).digest == hashlib.sha256(b"abc").digest()
    assert drv.run(drv.hash_stateless(0, vc.HASH_SHA_256, b"abc", 32)).digest == hashlib.sha256(b"abc").digest()


# ------------------------------------------------------------------ every service, every layout
@pytest.mark.parametrize("layout", LAYOUTS)
def test_s4_every_service_through_stateless_requests(layout):
    """S4: results equal the reference for cipher (every mode and key size, both directions),
    chaining (both orders, HMAC and plain hash, AAD), hash, MAC and AEAD (encrypt, decrypt,
    forged tag -> BADMSG), in every chain layout."""
    dev, drv = soft()
    rng = random.Random(layout)
    for mode, algo in ((modes.ECB, vc.CIPHER_AES_ECB), (modes.CBC, vc.CIPHER_AES_CBC), (modes.CTR, vc.CIPHER_AES_CTR)):
        for klen in (16, 24, 32):
            key, iv, src = rng.randbytes(klen), rng.randbytes(16), rng.randbytes(64)
            for enc in (True, False):
                t = drv.run(drv.cipher_stateless(0, algo, key, enc, b"" if mode is modes.ECB else iv, src,
                                                 layout=layout))
                assert (t.status, t.dst) == (vc.OK, aes(mode, key, iv, src, enc)), (algo, klen, enc)
    key, mk, iv, src, aad = rng.randbytes(16), rng.randbytes(40), rng.randbytes(16), rng.randbytes(96), b"hdr!"
    ct = aes(modes.CBC, key, iv, src)
    t = drv.run(drv.chain_stateless(1, vc.CIPHER_AES_CBC, key, True, vc.ALG_CHAIN_CIPHER_THEN_HASH,
                                    vc.SYM_HASH_MODE_AUTH, vc.MAC_HMAC_SHA_256, mk, iv, src, 32, aad=aad, layout=layout))
    assert (t.status, t.dst, t.digest) == (vc.OK, ct, hmac.new(mk, aad + ct, "sha256").digest())
    t = drv.run(drv.chain_stateless(1, vc.CIPHER_AES_CBC, key, False, vc.ALG_CHAIN_HASH_THEN_CIPHER,
                                    vc.SYM_HASH_MODE_PLAIN, vc.HASH_SHA_224, b"ignored", iv, ct, 28, layout=layout))
    assert (t.status, t.dst, t.digest) == (vc.OK, src, hashlib.sha224(ct).digest())
    t = drv.run(drv.hash_stateless(0, vc.HASH_SHA_224, src, 20, layout=layout))
    assert (t.status, t.digest) == (vc.OK, hashlib.sha224(src).digest()[:20])
    t = drv.run(drv.hash_stateless(0, vc.MAC_HMAC_SHA_256, src, 32, auth_key=mk, layout=layout))
    assert (t.status, t.digest) == (vc.OK, hmac.new(mk, src, "sha256").digest())
    gk, nonce = rng.randbytes(32), rng.randbytes(12)
    e = Cipher(algorithms.AES(gk), modes.GCM(nonce)).encryptor()
    e.authenticate_additional_data(aad)
    ct_tag = e.update(src) + e.finalize() + e.tag[:12]
    t = drv.run(drv.aead_stateless(1, vc.AEAD_GCM, gk, True, nonce, src, aad, 12, len(src) + 12, layout=layout))
    assert (t.status, t.dst) == (vc.OK, ct_tag)
    t = drv.run(drv.aead_stateless(1, vc.AEAD_GCM, gk, False, nonce, ct_tag, aad, 12, len(src), layout=layout))
    assert (t.status, t.dst) == (vc.OK, src)
    forged = ct_tag[:-1] + bytes([ct_tag[-1] ^ 1])
    assert drv.run(drv.aead_stateless(1, vc.AEAD_GCM, gk, False, nonce, forged, aad, 12, len(src),
                                      layout=layout)).status == vc.BADMSG
    assert not dev.dp.sessions and not dev.sessions


# ------------------------------------------------------------------ statuses of bad requests
def _bad_requests(drv):
    k16, iv = bytes(range(16)), bytes(16)
    return {
        "unsupported cipher algorithm": (vc.NOTSUPP, drv.cipher_stateless(0, 99, k16, True, iv, bytes(16), kick=False)),
        "unsupported hash algorithm": (vc.NOTSUPP, drv.hash_stateless(0, 99, b"x", 16, kick=False)),
        "unsupported mac algorithm": (vc.NOTSUPP, drv.hash_stateless(0, 99, b"x", 16, auth_key=b"k", kick=False)),
        "key of 15 bytes": (vc.ERR, drv.cipher_stateless(0, vc.CIPHER_AES_CBC, k16[:15], True, iv, bytes(16),
                                                         kick=False)),
        "key over max_cipher_key_len": (vc.ERR, drv.cipher_stateless(0, vc.CIPHER_AES_CBC, bytes(65), True, iv,
                                                                     bytes(16), kick=False)),
        "auth key over max_auth_key_len": (vc.ERR, drv.hash_stateless(0, vc.MAC_HMAC_SHA_256, b"x", 32,
                                                                      auth_key=bytes(513), kick=False)),
        "IV of 8 bytes": (vc.ERR, drv.cipher_stateless(0, vc.CIPHER_AES_CBC, k16, True, iv[:8], bytes(16),
                                                       kick=False)),
        "direction mismatch": (vc.ERR, drv.cipher_stateless(0, vc.CIPHER_AES_CBC, k16, True, iv, bytes(16),
                                                            op=vc.OP_DECRYPT, kick=False)),
        "result longer than the digest": (vc.ERR, drv.hash_stateless(0, vc.HASH_SHA_256, b"x", 33, kick=False)),
        "GCM tag length 5": (vc.ERR, drv.aead_stateless(0, vc.AEAD_GCM, k16, True, bytes(12), b"abc", b"", 5, 8,
                                                        kick=False)),
        "GCM destination too small": (vc.ERR, drv.aead_stateless(0, vc.AEAD_GCM, k16, True, bytes(12), b"abc", b"",
                                                                 16, 10, kick=False)),
        "nested hash mode": (vc.NOTSUPP, drv.chain_stateless(0, vc.CIPHER_AES_CBC, k16, True, 1,
                                                             vc.SYM_HASH_MODE_NESTED, vc.MAC_HMAC_SHA_256, b"k", iv,
                                                             bytes(16), 32, kick=False)),
    }


def test_s5_bad_stateless_fields_get_their_statuses():
    """S5: an algorithm the device does not offer is NOTSUPP; a bad key length (also one over
    the advertised maximum, refused before it is read), a bad IV, a direction that disagrees
    with the opcode, a result or tag length outside the algorithm's, a destination too small:
    ERR. No transient session outlives its request."""
    dev, drv = soft()
    cases = _bad_requests(drv)
    drv.kick(0)
    drv.wait([t for _, t in cases.values()])
    assert {k: t.status for k, (_, t) in cases.items()} == {k: want for k, (want, _) in cases.items()}
    assert not dev.dp.sessions


def test_s5_request_ending_inside_its_key_or_with_lying_lengths_is_err():
    """S5: a readable part that ends inside the key (the key length lies), and a chaining request
    whose two aad_len fields disagree: ERR (the legacy rule for a truncated request), nothing
    read past the chain, nothing left behind."""
    dev, drv = soft()
    hdr = drv._stateless_hdr(vc.CIPHER_ENCRYPT, vc.CIPHER_AES_CBC)
    fixed = vc.CIPHER_DATA_STATELESS.pack(vc.CIPHER_AES_CBC, 32, vc.OP_ENCRYPT, 16, 16, 16).ljust(72, b"\0") + \
        struct.pack("<I", vc.SYM_OP_CIPHER)
    t = drv.run(drv.submit(0, [hdr, fixed, bytes(20)], 16))               # 20 of the 32 key bytes
    assert t.status == vc.ERR
    n = 32
    chain = vc.CHAIN_DATA_STATELESS.pack(1, 4, vc.CIPHER_AES_CBC, 16, vc.OP_ENCRYPT, vc.MAC_HMAC_SHA_256, 4,
                                         vc.SYM_HASH_MODE_AUTH, 16, n, n, 0, n, 0, n, 8, 32, 0) + \
        struct.pack("<I", vc.SYM_OP_ALGORITHM_CHAINING)
    t = drv.run(drv.submit(0, [hdr, chain, bytes(16), b"kkkk", bytes(16), bytes(8), bytes(n)], n + 32))
    assert t.status == vc.ERR
    assert not dev.dp.sessions


# ------------------------------------------------------------------ both datapaths
@pytest.mark.xdist_group("accel")
def test_stateless_requests_identical_on_both_datapaths(rtl_dp):
    """Random stateless requests (cipher of every mode and key size, chaining with HMAC, hash,
    MAC) mixed with session requests, many in flight on four queues, every layout: soft and rtl
    answer byte for byte alike, malformed ones included; afterwards the rtl datapath holds no
    transient context in shared memory."""
    devs = [VirtioCryptoDevice(SoftDatapath(), num_dataqueues=4), VirtioCryptoDevice(rtl_dp, num_dataqueues=4)]
    drvs = [VirtioCryptoDriver(d, revision_1=True, stateless=True, seed=7) for d in devs]
    used_before = len(rtl_dp.client.heap.used)
    try:
        sids = [d.create_hash_session(vc.HASH_SHA_256, 32)[1] for d in drvs]
        rng = random.Random(15)
        plans = []
        for i in range(160):
            kind = rng.choice(["cipher", "cipher", "chain", "hash", "mac", "session", "bad"])
            algo = rng.choice([vc.CIPHER_AES_ECB, vc.CIPHER_AES_CBC, vc.CIPHER_AES_CTR])
            key, iv = rng.randbytes(rng.choice((16, 24, 32))), rng.randbytes(16)
            n = rng.randrange(1, 300) * (1 if algo == vc.CIPHER_AES_CTR else 16)
            src, mk, layout, q = rng.randbytes(n), rng.randbytes(rng.choice((16, 64, 100))), rng.choice(LAYOUTS), i % 4
            plans.append((kind, algo, key, iv, src, mk, layout, q, rng.random() < 0.5))
        tokens = [[], []]
        for drv, sid, out in zip(drvs, sids, tokens):
            for k, (kind, algo, key, iv, src, mk, layout, q, enc) in enumerate(plans):
                if k % 40 == 0 and out:        # batches of 40 in flight (split layouts take many descriptors)
                    for qq in range(4):
                        drv.kick(qq)
                    drv.wait(out[-40:])
                if kind == "cipher":
                    t = drv.cipher_stateless(q, algo, key, enc, iv, src, layout=layout, kick=False)
                elif kind == "chain":
                    t = drv.chain_stateless(q, vc.CIPHER_AES_CBC, key, True, vc.ALG_CHAIN_CIPHER_THEN_HASH,
                                            vc.SYM_HASH_MODE_AUTH, vc.MAC_HMAC_SHA_256, mk, iv,
                                            src[: len(src) // 16 * 16 or 16].ljust(16, b"\0"), 32, layout=layout,
                                            kick=False)
                elif kind == "hash":
                    t = drv.hash_stateless(q, vc.HASH_SHA_224, src, 28, layout=layout, kick=False)
                elif kind == "mac":
                    t = drv.hash_stateless(q, vc.MAC_HMAC_SHA_224, src, 20, auth_key=mk, layout=layout, kick=False)
                elif kind == "session":
                    t = drv.hash(q, sid, src, 32, layout=layout, kick=False)
                else:                       # malformed: a 15-byte key or a short IV
                    t = drv.cipher_stateless(q, vc.CIPHER_AES_CBC, key[:15] if enc else key, True,
                                             iv if enc else iv[:8], src.ljust(16, b"\0")[:16], layout=layout,
                                             kick=False)
                out.append(t)
            for q in range(4):
                drv.kick(q)
            drv.wait(out[-40:])
        got = [[(t.status, t.extra["data"]) for t in out] for out in tokens]
        assert sum(st == vc.OK for st, _ in got[0]) > 100
        assert got[0] == got[1]
        assert devs[0].counters["stateless"] == devs[1].counters["stateless"] > 100
    finally:
        devs[0].close()
        devs[1].set_status(0)
        while rtl_dp.inflight():
            rtl_dp.poll(0.02)
    assert not rtl_dp.sessions and len(rtl_dp.client.heap.used) == used_before


@pytest.mark.xdist_group("accel")
def test_stateless_keys_leave_no_trace_in_shared_memory_or_the_device(rtl_dp):
    """Key hygiene: a stateless request's key and HMAC states are in shared memory only while it
    is in flight; afterwards its context block is zeroed and freed, the device scrubbed its key
    registers (SCRUB), and the transient session's bytearrays are zeros."""
    dev = VirtioCryptoDevice(rtl_dp, num_dataqueues=1)
    drv = VirtioCryptoDriver(dev, revision_1=True, stateless=True)
    try:
        key, mk = bytes(range(100, 132)), bytes(range(7, 71))
        scrubs = rtl_dp.client.scrubs_done()
        t = drv.run(drv.cipher_stateless(0, vc.CIPHER_AES_CTR, key, True, bytes(16), bytes(64)))
        assert t.status == vc.OK
        t = drv.run(drv.hash_stateless(0, vc.MAC_HMAC_SHA_256, b"data", 32, auth_key=mk))
        assert t.status == vc.OK and t.digest == hmac.new(mk, b"data", "sha256").digest()
        seg = bytes(rtl_dp.client.mem)
        inner, outer = hmac_states(mk, 256)
        assert key not in seg and bytes(inner) not in seg and bytes(outer) not in seg
        assert not rtl_dp.sessions
        deadline = time.monotonic() + 5
        while rtl_dp.client.scrubs_done() == scrubs or rtl_dp.client.keys_held():
            assert time.monotonic() < deadline, "the device still holds the stateless key"
    finally:
        dev.set_status(0)


@pytest.mark.xdist_group("accel")
def test_stateless_xts_and_sha512_family_identical_on_both_datapaths(rtl_dp):
    """XTS, SHA-384/512 and HMAC-SHA-384/512 (issue #16) as stateless requests: the same
    status, output and digest on soft and rtl, for good keys and for a bad one (K1 == K2)."""
    devs = [VirtioCryptoDevice(SoftDatapath()), VirtioCryptoDevice(rtl_dp)]
    drvs = [VirtioCryptoDriver(d, revision_1=True, stateless=True) for d in devs]
    key, iv, src = bytes(range(1, 65)), bytes(range(16)), bytes(range(48)) + b"tail"

    def same(make) -> None:
        got = [(t.status, t.dst, t.digest) for t in (d.run(make(d)) for d in drvs)]
        assert got[0] == got[1], got
    try:
        for k in (key[:32], key, key[:16] * 2):
            for enc in (True, False):
                same(lambda d: d.cipher_stateless(0, vc.CIPHER_AES_XTS, k, enc, iv, src))
        for algo, n in ((vc.HASH_SHA_384, 48), (vc.HASH_SHA_512, 64)):
            same(lambda d: d.hash_stateless(0, algo, src, n))
        for algo, n in ((vc.MAC_HMAC_SHA_384, 48), (vc.MAC_HMAC_SHA_512, 64)):
            same(lambda d: d.hash_stateless(0, algo, src, n, auth_key=key + key + key))
            same(lambda d: d.chain_stateless(0, vc.CIPHER_AES_XTS, key, True, vc.ALG_CHAIN_CIPHER_THEN_HASH,
                                             vc.SYM_HASH_MODE_AUTH, algo, key, iv, src, n))
        assert not rtl_dp.sessions
    finally:
        devs[0].close()
        devs[1].set_status(0)
        while rtl_dp.inflight():
            rtl_dp.poll(0.02)
