"""Every request on both datapaths, identical results: the device with the `soft` datapath
and the device with the `rtl` datapath (the accelerator process) receive the same sessions
and the same random requests, many in flight on four queues, and must answer byte for byte
the same. Also what the RTL datapath advertises, and session keys leaving shared memory."""
from __future__ import annotations

import random
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from bridge import abi
from bridge import virtio_crypto as vc
from bridge.algorithms import GCM_TAG_LENGTHS
from bridge.datapath import SoftDatapath
from bridge.device import VirtioCryptoDevice
from bridge.driver import LAYOUTS, VirtioCryptoDriver
from sim.accel_process import rtl_datapath

pytestmark = pytest.mark.xdist_group("accel")


def _pair(lanes=None):
    """A driver on the soft datapath and one on the rtl datapath (its RTL built with `lanes`)."""
    rtl = rtl_datapath(mem_bytes=64 << 20, lanes=lanes)
    devs = [VirtioCryptoDevice(SoftDatapath(), num_dataqueues=4), VirtioCryptoDevice(rtl, num_dataqueues=4)]
    drivers = [VirtioCryptoDriver(d, seed=5) for d in devs]
    yield drivers
    for d in devs:
        d.close()


@pytest.fixture(scope="module")
def pair():
    yield from _pair()


@pytest.fixture(scope="module", params=[2, 4], ids=lambda n: f"lanes{n}")
def pair_lanes(request):
    """The same pair with 2 and 4 crypto lanes: requests served in parallel, completed out of order."""
    yield from _pair(request.param)


def both(drivers, fn):
    return [fn(d) for d in drivers]


def test_rtl_config_advertises_exactly_what_it_implements(pair):
    soft, rtl = (d.config() for d in pair)
    assert rtl["crypto_services"] == soft["crypto_services"] == sum(1 << s for s in (
        vc.SERVICE_CIPHER, vc.SERVICE_HASH, vc.SERVICE_MAC, vc.SERVICE_AEAD))
    assert rtl["aead_algo"] == soft["aead_algo"] == 1 << vc.AEAD_GCM
    assert rtl["cipher_algo_l"] == soft["cipher_algo_l"] == 0b11100 | 1 << vc.CIPHER_AES_XTS
    assert rtl["hash_algo"] == soft["hash_algo"] == 0b1111000              # SHA-224/256/384/512
    assert rtl["mac_algo_l"] == soft["mac_algo_l"] == 0b1111000            # HMAC over each
    assert rtl["max_cipher_key_len"] == soft["max_cipher_key_len"] == 64   # XTS-AES-256 is 64 bytes
    assert rtl["max_size"] == soft["max_size"] == abi.DEV_MAX_REQUEST_BYTES
    # AES-GCM on both: the same statuses for good and bad sessions (key and tag lengths, algorithm)
    for algo, klen, tag_len in ((vc.AEAD_GCM, 16, 16), (vc.AEAD_GCM, 24, 4), (vc.AEAD_GCM, 32, 13),
                                (vc.AEAD_GCM, 20, 16), (vc.AEAD_GCM, 16, 0), (vc.AEAD_GCM, 16, 5),
                                (vc.AEAD_GCM, 16, 17), (2, 16, 16), (3, 32, 16)):
        statuses = [d.create_aead_session(algo, bytes(range(klen)), tag_len, 0, vc.OP_ENCRYPT)[0] for d in pair]
        assert len(set(statuses)) == 1, (algo, klen, tag_len, statuses)
    # plain-hash chaining is soft-only
    args = (vc.CIPHER_AES_CBC, bytes(16), 1, vc.ALG_CHAIN_CIPHER_THEN_HASH, vc.SYM_HASH_MODE_PLAIN, vc.HASH_SHA_256, 32)
    assert [d.create_chain_session(*args)[0] for d in pair] == [vc.OK, vc.NOTSUPP]
    # issue #16's algorithms on both: the same statuses for good and bad sessions
    for key in (bytes(range(32)), bytes(range(64)), bytes(range(16)) * 2, bytes(48)):
        assert len({d.create_cipher_session(vc.CIPHER_AES_XTS, key, 1)[0] for d in pair}) == 1, len(key)
    for algo, n in ((vc.HASH_SHA_384, 48), (vc.HASH_SHA_512, 64)):
        for m in (n, n + 1):
            assert len({d.create_hash_session(algo, m)[0] for d in pair}) == 1, (algo, m)
    for d in pair:           # leave no session behind for the tests that follow
        for sid in list(d.dev.sessions):
            d.dev.close_session(sid)


def make_sessions(drivers, rng):
    """Same sessions on both devices; returns [(kind, ids per device, extra)]."""
    out = []

    def add(kind, make, **extra):
        res = [make(d) for d in drivers]
        assert all(st == vc.OK for st, _ in res), (kind, res)
        out.append((kind, [sid for _, sid in res], extra))

    for algo in (vc.CIPHER_AES_ECB, vc.CIPHER_AES_CBC, vc.CIPHER_AES_CTR):
        for klen in (16, 24, 32):
            key = rng.randbytes(klen)
            for op in (vc.OP_ENCRYPT, vc.OP_DECRYPT):
                add("cipher", lambda d, k=key, o=op, a=algo: d.create_cipher_session(a, k, o), algo=algo,
                    encrypt=op == vc.OP_ENCRYPT)
    for klen in (32, 64):                       # XTS-AES-128/256 (K1 || K2)
        key = rng.randbytes(klen)
        for op in (vc.OP_ENCRYPT, vc.OP_DECRYPT):
            add("cipher", lambda d, k=key, o=op: d.create_cipher_session(vc.CIPHER_AES_XTS, k, o),
                algo=vc.CIPHER_AES_XTS, encrypt=op == vc.OP_ENCRYPT)
    for algo, dlen in ((vc.HASH_SHA_224, 28), (vc.HASH_SHA_256, 32), (vc.HASH_SHA_384, 48), (vc.HASH_SHA_512, 64)):
        add("hash", lambda d, a=algo, n=dlen: d.create_hash_session(a, n), n=dlen)
        key = rng.randbytes(rng.choice((8, 32, 64, 100, 129)))
        add("mac", lambda d, a=algo, n=dlen, k=key: d.create_mac_session(a, n - 3, k), n=dlen - 3)
        for order in (vc.ALG_CHAIN_CIPHER_THEN_HASH, vc.ALG_CHAIN_HASH_THEN_CIPHER):
            ck, mk = rng.randbytes(32), rng.randbytes(48)
            op = vc.OP_ENCRYPT if order == vc.ALG_CHAIN_CIPHER_THEN_HASH else vc.OP_DECRYPT
            calgo = vc.CIPHER_AES_XTS if dlen > 32 else vc.CIPHER_AES_CTR
            add("chain", lambda d, a=algo, n=dlen, k=ck, m=mk, o=order, p=op, c=calgo: d.create_chain_session(
                c, k, p, o, vc.SYM_HASH_MODE_AUTH, a, n, m), n=dlen, encrypt=op == vc.OP_ENCRYPT)
    return out


def submit(d, kind, sid, extra, q, iv, src, layout):
    if kind == "cipher":
        return d.cipher(q, sid, extra["encrypt"], iv if extra["algo"] != vc.CIPHER_AES_ECB else b"", src,
                        layout=layout, extra_dst=7, kick=False)
    if kind in ("hash", "mac"):
        return d.hash(q, sid, src, extra["n"], mac=kind == "mac", layout=layout, kick=False)
    return d.chain(q, sid, extra["encrypt"], iv, src, extra["n"], layout=layout, kick=False)


def test_random_requests_identical_on_both_datapaths(pair):
    assert random_batches_identical(pair, seed=42, batches=8) == 480


def test_random_requests_identical_with_several_lanes(pair_lanes, request):
    """Lanes finish out of submission order (a short request overtakes a 64 KiB one): every
    answer still matches the soft datapath's, on every queue."""
    binary = Path(pair_lanes[1].dev.dp.accel.proc.args[0])            # built for that LANES
    assert binary.parent.name.endswith(f"-lanes{request.node.callspec.params['pair_lanes']}"), binary
    assert random_batches_identical(pair_lanes, seed=43, batches=2) == 120


def random_batches_identical(pair, seed, batches):
    """`batches` batches of 60 random requests (every session kind, 0..5,000 bytes, now and
    then 64 KiB, some invalid lengths) on four queues, all in flight at once on both devices;
    asserts the answers are identical and returns how many requests were compared."""
    rng = random.Random(seed)
    sessions = make_sessions(pair, rng)
    total = 0
    for batch in range(batches):
        reqs = []
        for _ in range(60):
            kind, ids, extra = rng.choice(sessions)
            n = rng.choice((rng.randint(0, 64), rng.randint(1, 700), rng.randint(1, 5000)))
            if rng.random() < 0.02:
                n = 65536
            if kind == "cipher" and extra["algo"] not in (vc.CIPHER_AES_CTR, vc.CIPHER_AES_XTS) and rng.random() < 0.9:
                n -= n % 16                    # mostly valid, sometimes not (-> ERR on both)
            reqs.append((kind, ids, extra, rng.randrange(4), rng.randbytes(16), rng.randbytes(n), rng.choice(LAYOUTS)))
        results = []
        for i, d in enumerate(pair):
            d.rng.seed(batch)                  # the same descriptor cuts on both devices
            ts = [submit(d, kind, ids[i], extra, q, iv, src, layout) for kind, ids, extra, q, iv, src, layout in reqs]
            for q in range(4):
                d.kick(q)
            d.wait(ts)
            results.append([(t.status, t.extra["data"], t.used_len) for t in ts])
        for k, (a, b) in enumerate(zip(*results)):
            assert a == b, f"batch {batch} request {k} {reqs[k][0]} {reqs[k][2]} len {len(reqs[k][5])}: soft {a[0]} rtl {b[0]}"
        total += len(reqs)
    for d in pair:           # leave no session behind
        for sid in list(d.dev.sessions):
            d.dev.close_session(sid)
    return total


# ------------------------------------------------------------------ AEAD (AES-GCM)
def gcm_encrypt(key: bytes, iv: bytes, aad: bytes, pt: bytes, tag_len: int) -> bytes:
    """ciphertext || tag (truncated to tag_len), by `cryptography`, independently of both datapaths."""
    e = Cipher(algorithms.AES(key), modes.GCM(iv)).encryptor()
    e.authenticate_additional_data(aad)
    return e.update(pt) + e.finalize() + e.tag[:tag_len]


def random_aead_identical(pair, seed: int, count: int) -> dict[str, int]:
    """`count` random AES-GCM requests, batches of 40 in flight on four queues, on both devices:
    every key size and tag length, both directions, AAD and text of 0 bytes to 64 KiB (most
    small), forged tags, ciphertexts and AADs, now and then an IV that is not 12 bytes or a
    destination one byte short. Soft and rtl must answer byte for byte alike, and as
    `cryptography` says: OK with ciphertext || tag or the plaintext, BADMSG with nothing
    written. Afterwards the rtl datapath holds no session and no buffer, and no plaintext of a
    forged message is anywhere in its shared memory. Returns a count per outcome."""
    rng = random.Random(seed)
    rtl = pair[1].dev.dp
    used_before = len(rtl.client.heap.used)
    sessions = {}            # (key length, tag length) -> key, [(enc id, dec id) per device]
    for klen in (16, 24, 32):
        for tag_len in GCM_TAG_LENGTHS:
            key = rng.randbytes(klen)
            ids = []
            for d in pair:
                (se, e), (sd, dd) = (d.create_aead_session(vc.AEAD_GCM, key, tag_len, 0, op)
                                     for op in (vc.OP_ENCRYPT, vc.OP_DECRYPT))
                assert (se, sd) == (vc.OK, vc.OK)
                ids.append((e, dd))
            sessions[klen, tag_len] = key, ids

    def length() -> int:
        n = rng.choice((0, rng.randint(0, 64), rng.randint(1, 700), rng.randint(1, 4000)))
        return rng.choice((65536, rng.randint(40000, 65536))) if rng.random() < 0.02 else n

    tally: dict[str, int] = {}
    forged_plaintexts = []
    for batch in range(0, count, 40):
        reqs = []
        for _ in range(min(40, count - batch)):
            klen, tag_len = rng.choice(list(sessions))
            key, ids = sessions[klen, tag_len]
            iv, aad, pt = rng.randbytes(12), rng.randbytes(length()), rng.randbytes(length())
            ct_tag = gcm_encrypt(key, iv, aad, pt, tag_len)
            encrypt = rng.random() < 0.5
            src, want = (pt, (vc.OK, ct_tag)) if encrypt else (ct_tag, (vc.OK, pt))
            dst_len = len(pt) + tag_len if encrypt else len(pt)
            r = rng.random()
            if r < 0.03:                            # malformed: refused by the device on both
                iv = rng.choice((b"", iv[:8], iv + bytes(4)))
                want = (vc.ERR, b"\xa5" * dst_len)
            elif r < 0.05 and dst_len:
                dst_len -= 1
                want = (vc.ERR, b"\xa5" * dst_len)
            elif not encrypt and r < 0.30:          # forged: the tag, the ciphertext or the AAD
                what = rng.choice(("tag", "ct", "aad")) if pt else rng.choice(("tag", "aad"))
                if what == "aad":
                    aad = aad + b"x" if not aad or rng.random() < 0.5 else bytes([aad[0] ^ 1]) + aad[1:]
                else:
                    i = rng.randrange(len(pt), len(ct_tag)) if what == "tag" else rng.randrange(len(pt))
                    src = ct_tag[:i] + bytes([ct_tag[i] ^ (1 << rng.randrange(8))]) + ct_tag[i + 1:]
                want = (vc.BADMSG, b"\xa5" * dst_len)
                if len(pt) >= 16:
                    forged_plaintexts.append(pt)
            reqs.append((ids, encrypt, rng.randrange(4), iv, src, aad, dst_len, rng.choice(LAYOUTS), want))
        results = []
        for i, d in enumerate(pair):
            d.rng.seed(batch)                  # the same descriptor cuts on both devices
            ts = [d.aead(q, ids[i][0 if enc else 1], enc, iv, src, aad, dst_len, layout=layout, kick=False)
                  for ids, enc, q, iv, src, aad, dst_len, layout, _ in reqs]
            for q in range(4):
                d.kick(q)
            d.wait(ts)
            results.append([(t.status, t.extra["data"], t.used_len) for t in ts])
        for k, (a, b) in enumerate(zip(*results)):
            _, enc, _, iv, src, aad, dst_len, _, want = reqs[k]
            what = f"batch {batch} request {k}: {'enc' if enc else 'dec'} aad {len(aad)} src {len(src)} iv {len(iv)}"
            assert a == b, f"{what}: soft {a[0]} rtl {b[0]}"
            assert a[:2] == want, f"{what}: status {a[0]}, expected {want[0]}"
            name = {vc.OK: "ok", vc.BADMSG: "badmsg", vc.ERR: "err"}[a[0]]
            tally[name] = tally.get(name, 0) + 1
    for d in pair:           # leave no session behind
        for sid in list(d.dev.sessions):
            d.dev.close_session(sid)
    while rtl.inflight():
        rtl.poll(0.02)
    assert not rtl.sessions and len(rtl.client.heap.used) == used_before
    segment = bytes(rtl.client.mem)
    assert not [pt for pt in forged_plaintexts if pt in segment], "a forged message's plaintext left in shared memory"
    return tally


def test_random_aead_requests_identical_on_both_datapaths(pair):
    tally = random_aead_identical(pair, seed=44, count=480)
    assert sum(tally.values()) == 480 and min(tally.get(k, 0) for k in ("ok", "badmsg", "err")) >= 5, tally


def test_random_aead_requests_identical_with_several_lanes(pair_lanes):
    """AES-GCM requests served by several lanes at once, finishing out of order."""
    tally = random_aead_identical(pair_lanes, seed=45, count=120)
    assert sum(tally.values()) == 120 and tally.get("ok", 0) >= 60, tally


def test_rtl_session_keys_leave_shared_memory_on_destroy(pair):
    rtl_drv = pair[1]
    rtl = rtl_drv.dev.dp
    key = bytes(range(100, 132))
    st, sid = rtl_drv.create_cipher_session(vc.CIPHER_AES_CBC, key, vc.OP_ENCRYPT)
    assert st == vc.OK
    ctx = rtl_drv.dev.sessions[sid].context
    assert key in rtl.client.read(ctx, abi.CTX_BYTES)
    assert bytes(rtl_drv.dev.sessions[sid].cipher_key) == bytes(32)     # not kept in Python either
    assert rtl_drv.destroy_session(vc.CIPHER_DESTROY_SESSION, sid) == vc.OK
    assert rtl.client.read(ctx, abi.CTX_BYTES) == bytes(abi.CTX_BYTES)
