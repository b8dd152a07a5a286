"""Issue #16: SHA-384/512, HMAC-SHA-384/512 and AES-XTS through the whole device, on the soft
datapath and on the rtl one (the RTL lanes' AES engine in XTS mode and their SHA-512 engine);
the soft-vs-rtl differential (tests/test_device_differential.py) and stateless mode
(tests/test_stateless.py) cover them too.

Published vectors through the device (CAVP XTSGenAES128/256 of both tweak formats, every
record whose data unit is whole bytes, ciphertext stealing included; CAVP SHA-384/512 Short and
Long; RFC 4231 HMAC-SHA-384/512, 131-byte keys included), random requests against independent
references (tests/xts_ref.py, hashlib, hmac), chaining with these algorithms, the statuses of
bad input, and key wiping."""
from __future__ import annotations

import hashlib
import hmac
import itertools
import random

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from bridge import virtio_crypto as vc
from bridge.datapath import SoftDatapath
from bridge.device import VirtioCryptoDevice
from bridge.driver import LAYOUTS, VirtioCryptoDriver
from tests import xts_ref
from tests.both_datapaths import soft_or_rtl
from tests.vectors import hmac_rfc4231_records, sha2_cavp_records, xts_cavp_records

pytestmark = pytest.mark.xdist_group("sha512_xts")    # one accelerator process for the module

HASH_OF = {384: (vc.HASH_SHA_384, vc.MAC_HMAC_SHA_384, "sha384", 48),
           512: (vc.HASH_SHA_512, vc.MAC_HMAC_SHA_512, "sha512", 64)}


@pytest.fixture(params=["soft", "rtl"])
def datapath(request):
    """Each test on both datapaths; the rtl one is the module's accelerator process, which a
    test leaves with no session (the device is reset after it)."""
    yield from soft_or_rtl(request)


def make(dp=None, **kw):
    dev = VirtioCryptoDevice(dp or SoftDatapath(), num_dataqueues=2)
    return dev, VirtioCryptoDriver(dev, seed=16, **kw)


def xts(key: bytes, tweak: bytes, data: bytes, encrypt: bool = True) -> bytes:
    """XTS-AES by tests/xts_ref.py (AES-ECB and GF(2^128) arithmetic), checked against
    `cryptography`'s XTS here too."""
    half = len(key) // 2
    out = xts_ref.xts(key[:half], key[half:], tweak, data, decrypt=not encrypt)
    c = Cipher(algorithms.AES(key), modes.XTS(tweak))
    op = c.encryptor() if encrypt else c.decryptor()
    assert op.update(data) + op.finalize() == out
    return out


def cbc(key: bytes, iv: bytes, data: bytes, encrypt: bool = True) -> bytes:
    c = Cipher(algorithms.AES(key), modes.CBC(iv))
    op = c.encryptor() if encrypt else c.decryptor()
    return op.update(data) + op.finalize()


# ------------------------------------------------------------------ published vectors
@pytest.mark.parametrize("key_bits", [128, 256])
def test_xts_cavp_records_through_the_device(key_bits, datapath):
    """Every CAVP XTS record whose data unit is whole bytes (virtio lengths are bytes; the
    130/140/250-bit units are the RTL testbench's, tests/tb): a session per record in its
    direction (key K1 || K2), the tweak as the IV; 200-bit units exercise ciphertext stealing."""
    dev, drv = make(datapath)
    layouts = itertools.cycle(LAYOUTS)
    done = stealing = 0
    for name, decrypt, k1, k2, tweak, bits, pt, ct in xts_cavp_records(key_bits):
        if bits % 8:
            continue
        st, sid = drv.create_cipher_session(vc.CIPHER_AES_XTS, k1 + k2, vc.OP_DECRYPT if decrypt else vc.OP_ENCRYPT)
        assert st == vc.OK, name
        src, want = (ct, pt) if decrypt else (pt, ct)
        t = drv.run(drv.cipher(done % 2, sid, not decrypt, tweak, src, layout=next(layouts)))
        assert (t.status, t.dst) == (vc.OK, want), name
        assert drv.destroy_session(vc.CIPHER_DESTROY_SESSION, sid) == vc.OK
        done += 1
        stealing += bits % 128 != 0
    assert done == {128: 1600, 256: 1200}[key_bits]
    assert stealing == {128: 400, 256: 0}[key_bits]
    assert not dev.sessions


@pytest.mark.parametrize("bits", [384, 512])
def test_sha384_sha512_cavp_short_and_long_through_the_device(bits, datapath):
    dev, drv = make(datapath)
    algo, _, _, n = HASH_OF[bits]
    st, sid = drv.create_hash_session(algo, n)
    assert st == vc.OK
    count = 0
    for kind in ("Short", "Long"):
        for i, (msg, md) in enumerate(sha2_cavp_records(bits, kind)):
            t = drv.run(drv.hash(i % 2, sid, msg, n, layout=LAYOUTS[i % len(LAYOUTS)]))
            assert (t.status, t.digest) == (vc.OK, md), (kind, len(msg))
            count += 1
    assert count == 257


@pytest.mark.parametrize("bits", [384, 512])
def test_hmac_sha384_sha512_rfc4231_through_the_device(bits, datapath):
    """RFC 4231 test cases 1-4, 6, 7 (the 131-byte keys of 6 and 7 are longer than the 128-byte
    block: hashed first, RFC 2104), full and truncated results."""
    dev, drv = make(datapath)
    _, algo, _, n = HASH_OF[bits]
    recs = list(hmac_rfc4231_records(bits))
    assert len(recs) == 6 and sum(len(k) > 128 for k, _, _ in recs) == 2
    for key, msg, mac in recs:
        for res_len in (n, 16):
            st, sid = drv.create_mac_session(algo, res_len, key)
            assert st == vc.OK
            t = drv.run(drv.hash(0, sid, msg, res_len, mac=True))
            assert (t.status, t.digest) == (vc.OK, mac[:res_len]), (len(key), res_len)
            assert drv.destroy_session(vc.MAC_DESTROY_SESSION, sid) == vc.OK


# ------------------------------------------------------------------ random, against references
def test_random_xts_requests_against_the_reference(datapath):
    """XTS-AES-128/256 in both directions, data units of 16 B to 5 KiB of any length (stealing
    for every tail of 1..15 bytes), random tweaks, many in flight on two queues, every layout;
    a decrypt session gets back the plaintext."""
    dev, drv = make(datapath)
    rng = random.Random(1619)
    sessions = []
    for klen in (32, 64, 32, 64):
        key = rng.randbytes(klen)
        sessions.append((key, *drv.skcipher_setkey(vc.CIPHER_AES_XTS, key)))
    for batch in range(6):
        plans = []
        for i in range(40):
            key, enc, dec = rng.choice(sessions)
            n = rng.choice((16 + rng.randrange(16), rng.randint(16, 700), rng.randint(16, 5000)))
            plans.append((key, enc, dec, rng.randbytes(16), rng.randbytes(n), rng.choice(LAYOUTS), i % 2))
        ts = [drv.cipher(q, enc, True, tweak, pt, layout=layout, extra_dst=rng.choice((0, 9)), kick=False)
              for key, enc, dec, tweak, pt, layout, q in plans]
        drv.kick(0)
        drv.kick(1)
        drv.wait(ts)
        cts = []
        for t, (key, enc, dec, tweak, pt, layout, q) in zip(ts, plans):
            ct = xts(key, tweak, pt)
            assert (t.status, t.extra["data"][:len(pt)]) == (vc.OK, ct), (batch, len(pt), len(key))
            cts.append(ct)
        for (key, enc, dec, tweak, pt, layout, q), ct in zip(plans, cts):
            t = drv.run(drv.cipher(q, dec, False, tweak, ct, layout=layout))
            assert (t.status, t.dst) == (vc.OK, pt)
            assert xts(key, tweak, ct, encrypt=False) == pt


@pytest.mark.parametrize("bits", [384, 512])
def test_random_hash_and_hmac_against_hashlib(bits, datapath):
    """Messages of 0 B to 10 KiB around the 128-byte block and its 112-byte padding boundary;
    HMAC keys of 0 B to 512 B (max_auth_key_len), the block size and one byte either side of it
    included; truncated results."""
    dev, drv = make(datapath)
    algo, mac_algo, name, n = HASH_OF[bits]
    rng = random.Random(bits)
    lengths = [0, 1, 111, 112, 113, 127, 128, 129, 255, 256, 257] + [rng.randint(0, 10240) for _ in range(20)]
    _, hs = drv.create_hash_session(algo, n)
    for m in lengths:
        msg = rng.randbytes(m)
        assert drv.run(drv.hash(m % 2, hs, msg, n)).digest == hashlib.new(name, msg).digest(), m
    for klen in (0, 1, 48, 64, 127, 128, 129, 131, 200, 512):
        key, res_len = rng.randbytes(klen), rng.choice((n, n, 32, 1))
        st, sid = drv.create_mac_session(mac_algo, res_len, key)
        assert st == vc.OK, klen
        for m in rng.sample(lengths, 4):
            msg = rng.randbytes(m)
            t = drv.run(drv.hash(1, sid, msg, res_len, mac=True, layout=rng.choice(LAYOUTS)))
            assert (t.status, t.digest) == (vc.OK, hmac.new(key, msg, name).digest()[:res_len]), (klen, m)
        assert drv.destroy_session(vc.MAC_DESTROY_SESSION, sid) == vc.OK


@pytest.mark.parametrize("cipher", ["cbc", "xts"])
@pytest.mark.parametrize("bits", [384, 512])
def test_chaining_with_hmac_and_plain_sha384_sha512(cipher, bits):
    """Algorithm chaining: AES-CBC or AES-XTS with HMAC-SHA-384/512 (a key longer than the
    block) or plain SHA-384/512, both orders, over the whole source and over offset ranges with
    AAD (soft serves those), against references computed here."""
    dev, drv = make()
    algo, mac_algo, name, n = HASH_OF[bits]
    rng = random.Random(f"{cipher}{bits}")
    key = rng.randbytes(64 if cipher == "xts" else 32)
    calgo = vc.CIPHER_AES_XTS if cipher == "xts" else vc.CIPHER_AES_CBC
    enc = (lambda iv, d: xts(key, iv, d)) if cipher == "xts" else (lambda iv, d: cbc(key, iv, d))
    dec = (lambda iv, d: xts(key, iv, d, False)) if cipher == "xts" else (lambda iv, d: cbc(key, iv, d, False))
    for mode, mk in ((vc.SYM_HASH_MODE_AUTH, rng.randbytes(150)), (vc.SYM_HASH_MODE_PLAIN, b"")):
        def digest(data: bytes) -> bytes:
            return hmac.new(mk, data, name).digest() if mode == vc.SYM_HASH_MODE_AUTH else \
                hashlib.new(name, data).digest()
        halg = mac_algo if mode == vc.SYM_HASH_MODE_AUTH else algo
        st, e = drv.create_chain_session(calgo, key, vc.OP_ENCRYPT, vc.ALG_CHAIN_CIPHER_THEN_HASH, mode, halg, n, mk)
        assert st == vc.OK
        st, d = drv.create_chain_session(calgo, key, vc.OP_DECRYPT, vc.ALG_CHAIN_HASH_THEN_CIPHER, mode, halg, n, mk)
        assert st == vc.OK
        for size in (16, 48, 1008, 4112) if cipher == "cbc" else (16, 47, 1000, 4113):
            src, iv = rng.randbytes(size), rng.randbytes(16)
            t = drv.run(drv.chain(0, e, True, iv, src, n))           # encrypt, then MAC the ciphertext
            ct = enc(iv, src)
            assert (t.status, t.dst, t.digest) == (vc.OK, ct, digest(ct)), size
            t = drv.run(drv.chain(1, d, False, iv, ct, n))           # MAC the ciphertext, then decrypt
            assert (t.status, t.dst, t.digest) == (vc.OK, src, digest(ct)), size
        # offsets and AAD: cipher bytes 16..16+c of the source, hash the AAD then bytes h..h+m
        src, iv, aad = rng.randbytes(300), rng.randbytes(16), b"associated"
        c_len = 256 if cipher == "cbc" else 250
        t = drv.run(drv.chain(0, e, True, iv, src, n, aad=aad, cipher_range=(16, c_len), hash_range=(8, 280)))
        out = src[:16] + enc(iv, src[16:16 + c_len]) + src[16 + c_len:]
        assert (t.status, t.dst, t.digest) == (vc.OK, out, digest(aad + out[8:288]))
        t = drv.run(drv.chain(1, d, False, iv, out, n, aad=aad, cipher_range=(16, c_len), hash_range=(8, 280)))
        back = out[:16] + dec(iv, out[16:16 + c_len]) + out[16 + c_len:]       # hash the source, then decrypt
        assert back == src and (t.status, t.dst, t.digest) == (vc.OK, back, digest(aad + out[8:288]))


# ------------------------------------------------------------------ bad input
def test_xts_bad_sessions_and_requests_get_their_statuses(datapath):
    """Session creation: a key that is not 32 or 64 bytes, or whose halves are equal (K1 == K2:
    IEEE 1619-2018 5.1; Linux's xts_verify_key refuses it in FIPS mode), is ERR in either
    direction, as is any key invalid for its algorithm (checklist item 17, QEMU's status for a
    key its crypto library refuses); over max_cipher_key_len (64) ERR before it is read.
    Requests: a data unit shorter than one block (0..15 bytes) is ERR, like a CBC length that
    is not a block multiple; 16 and 17 bytes are fine; a tweak (IV) that is not 16 bytes is ERR,
    like every other IV error. Nothing is written into the destination on ERR."""
    dev, drv = make(datapath)
    k = bytes(range(64))
    for key in (k[:16], k[:24], k[:48], k[:31], k[:33], k[:63], bytes(32), bytes(64), k[:16] * 2, k[:32] * 2,
                bytes(range(65))):
        for op in (vc.OP_ENCRYPT, vc.OP_DECRYPT):
            assert drv.create_cipher_session(vc.CIPHER_AES_XTS, key, op)[0] == vc.ERR, (len(key), op)
    assert not dev.sessions
    for key in (k[:32], k):
        enc, dec = drv.skcipher_setkey(vc.CIPHER_AES_XTS, key)
        tweak = bytes(range(16))
        for n in (0, 1, 8, 15):
            for sid, e in ((enc, True), (dec, False)):
                t = drv.run(drv.cipher(0, sid, e, tweak, bytes(n), extra_dst=4))
                assert t.status == vc.ERR, n
                written = b"".join(drv.mem.read(a, m) for a, m in t.writable)[:-1]
                assert written == b"\xa5" * (n + 4)          # the driver's garbage, untouched
        for n in (16, 17, 31, 32, 33):
            data = bytes(range(n))
            assert drv.run(drv.cipher(0, enc, True, tweak, data)).dst == xts(key, tweak, data)
        for iv_len in (0, 8, 12, 15, 17, 32):
            assert drv.run(drv.cipher(1, enc, True, bytes(iv_len), bytes(32))).status == vc.ERR, iv_len
    # chaining: the ciphered range must be one block at least too
    st, c = drv.create_chain_session(vc.CIPHER_AES_XTS, k, vc.OP_ENCRYPT, vc.ALG_CHAIN_CIPHER_THEN_HASH,
                                     vc.SYM_HASH_MODE_AUTH, vc.MAC_HMAC_SHA_512, 64, b"mk")
    assert st == vc.OK
    assert drv.run(drv.chain(0, c, True, bytes(16), bytes(64), 64, cipher_range=(0, 15))).status == vc.ERR
    # a cipher range short of the whole source: served on soft; the rtl lanes chain over the
    # whole source only (NOTSUPP there, as for any chain with offsets)
    want = vc.OK if datapath.name == "soft" else vc.NOTSUPP
    assert drv.run(drv.chain(0, c, True, bytes(16), bytes(64), 64, cipher_range=(0, 16))).status == want
    assert drv.run(drv.chain(0, c, True, bytes(12), bytes(64), 64)).status == vc.ERR
    for kk in (k[:32] * 2, bytes(32)):
        assert drv.create_chain_session(vc.CIPHER_AES_XTS, kk, vc.OP_ENCRYPT, vc.ALG_CHAIN_CIPHER_THEN_HASH,
                                        vc.SYM_HASH_MODE_AUTH, vc.MAC_HMAC_SHA_512, 64, b"mk")[0] == vc.ERR


def test_sha384_sha512_bad_result_lengths_are_err(datapath):
    dev, drv = make(datapath)
    for bits in (384, 512):
        algo, mac_algo, _, n = HASH_OF[bits]
        assert drv.create_hash_session(algo, n + 1)[0] == vc.ERR
        assert drv.create_hash_session(algo, 0)[0] == vc.ERR
        assert drv.create_mac_session(mac_algo, n + 1, b"k")[0] == vc.ERR
        assert drv.create_mac_session(mac_algo, n, bytes(513))[0] == vc.ERR      # > max_auth_key_len
        assert drv.create_chain_session(vc.CIPHER_AES_CBC, bytes(16), vc.OP_ENCRYPT, vc.ALG_CHAIN_CIPHER_THEN_HASH,
                                        vc.SYM_HASH_MODE_AUTH, mac_algo, n + 1, b"k")[0] == vc.ERR
        assert drv.create_hash_session(algo, n)[0] == drv.create_mac_session(mac_algo, n, bytes(512))[0] == vc.OK


def test_stateless_xts_and_sha512_family():
    """Stateless requests (REVISION_1 + the stateless bits) with the new algorithms: the same
    results, and the same statuses for K1 == K2, a short data unit, a bad tweak."""
    dev, drv = make(revision_1=True, stateless=True)
    rng = random.Random(7)
    for klen in (32, 64):
        key, tweak, src = rng.randbytes(klen), rng.randbytes(16), rng.randbytes(100)
        for e in (True, False):
            t = drv.run(drv.cipher_stateless(0, vc.CIPHER_AES_XTS, key, e, tweak, src))
            assert (t.status, t.dst) == (vc.OK, xts(key, tweak, src, e))
        assert drv.run(drv.cipher_stateless(0, vc.CIPHER_AES_XTS, key[:klen // 2] * 2, True, tweak,
                                            src)).status == vc.ERR
        assert drv.run(drv.cipher_stateless(0, vc.CIPHER_AES_XTS, key, True, tweak, src[:15])).status == vc.ERR
        assert drv.run(drv.cipher_stateless(0, vc.CIPHER_AES_XTS, key, True, tweak[:12], src)).status == vc.ERR
    for bits in (384, 512):
        algo, mac_algo, name, n = HASH_OF[bits]
        msg, mk = rng.randbytes(300), rng.randbytes(140)
        assert drv.run(drv.hash_stateless(1, algo, msg, n)).digest == hashlib.new(name, msg).digest()
        assert drv.run(drv.hash_stateless(1, mac_algo, msg, n, auth_key=mk)).digest == hmac.new(mk, msg, name).digest()
        key, iv = rng.randbytes(64), rng.randbytes(16)
        t = drv.run(drv.chain_stateless(0, vc.CIPHER_AES_XTS, key, True, vc.ALG_CHAIN_CIPHER_THEN_HASH,
                                        vc.SYM_HASH_MODE_AUTH, mac_algo, mk, iv, msg, n))
        ct = xts(key, iv, msg)
        assert (t.status, t.dst, t.digest) == (vc.OK, ct, hmac.new(mk, ct, name).digest())
    assert not dev.dp.sessions and not dev.sessions


# ------------------------------------------------------------------ keys
def test_xts_and_hmac_sha512_keys_are_wiped_on_destroy_and_reset():
    """The session keeps K1 || K2 and a long HMAC key in its own bytearrays, zeroed when the
    session is destroyed or the device is reset (the same rule as every other session)."""
    dev, drv = make()
    xk, mk = bytes(range(1, 65)), bytes(range(7, 207))
    _, x = drv.create_cipher_session(vc.CIPHER_AES_XTS, xk, vc.OP_ENCRYPT)
    _, m = drv.create_mac_session(vc.MAC_HMAC_SHA_512, 64, mk)
    _, c = drv.create_chain_session(vc.CIPHER_AES_XTS, xk, vc.OP_ENCRYPT, vc.ALG_CHAIN_CIPHER_THEN_HASH,
                                    vc.SYM_HASH_MODE_AUTH, vc.MAC_HMAC_SHA_384, 48, mk)
    sx, sm, sc = (dev.sessions[i] for i in (x, m, c))
    assert isinstance(sx.cipher_key, bytearray) and bytes(sx.cipher_key) == xk
    assert isinstance(sm.auth_key, bytearray) and bytes(sm.auth_key) == mk
    assert drv.run(drv.cipher(0, x, True, bytes(16), bytes(40))).status == vc.OK
    assert drv.run(drv.hash(0, m, b"abc", 64, mac=True)).status == vc.OK
    assert drv.destroy_session(vc.CIPHER_DESTROY_SESSION, x) == vc.OK
    assert drv.destroy_session(vc.MAC_DESTROY_SESSION, m) == vc.OK
    assert bytes(sx.cipher_key) == bytes(64) and bytes(sm.auth_key) == bytes(200)
    assert bytes(sc.cipher_key) == xk
    dev.set_status(0)
    assert bytes(sc.cipher_key) == bytes(64) and bytes(sc.auth_key) == bytes(200) and not dev.sessions


def test_regression_sha512_digests_stay_in_their_buffer(datapath):
    """Regression: the rtl datapath gave each request a 32-byte digest buffer in shared memory;
    SHA-384/512 digests ran over it into the next request's source. Hashes interleaved with
    ciphers, all in flight at once: every answer right."""
    dev, drv = make(datapath)
    rng = random.Random(512)
    _, h = drv.create_hash_session(vc.HASH_SHA_512, 64)
    key = rng.randbytes(16)
    _, c = drv.create_cipher_session(vc.CIPHER_AES_CBC, key, vc.OP_ENCRYPT)
    plans = [(i % 2, rng.randbytes(16 * rng.randint(1, 20)), rng.randbytes(16)) for i in range(40)]
    ts = [drv.hash(0, h, src, 64, kick=False) if k else drv.cipher(0, c, True, iv, src, kick=False)
          for k, src, iv in plans]
    drv.kick(0)
    drv.wait(ts)
    for t, (k, src, iv) in zip(ts, plans):
        assert t.status == vc.OK
        if k:
            assert t.extra["data"] == hashlib.sha512(src).digest()
        else:
            assert t.extra["data"] == cbc(key, iv, src)
    for sid, svc in ((h, vc.HASH_DESTROY_SESSION), (c, vc.CIPHER_DESTROY_SESSION)):
        assert drv.destroy_session(svc, sid) == vc.OK
