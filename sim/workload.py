"""The main job (`vcrypto run`): the device on the chosen datapath, driven through the Linux-
faithful driver model by a mixed workload (every service, algorithm, key size and direction the
device's config masks offer, lengths 16 B to 64 KiB, several queues, many requests in flight),
every result checked against the software reference, and a summary table at the end."""
from __future__ import annotations

import json
import math
import random
import sys
import time
from dataclasses import dataclass, field

from bridge import virtio_crypto as vc
from bridge.algorithms import CIPHERS as CIPHER_ALGS
from bridge.datapath import CryptoOp, soft_compute
from bridge.session import Session
from bridge.device import VirtioCryptoDevice
from bridge.driver import VirtioCryptoDriver
from sim.datapaths import open_datapath


@dataclass
class Sess:
    kind: str                  # aes-cbc-128-enc, sha256, hmac-sha224, chain-..., gcm-...
    op_type: str               # column of the summary: cipher / hash / mac / chain / aead
    sid: int
    params: Session      # our own copy of the parameters, for the reference result
    encrypt: bool = True
    digest_len: int = 0


@dataclass
class Stat:
    ops: int = 0
    bytes: int = 0
    failures: int = 0


OPERATIONS = ("cipher", "chain", "hash", "mac", "aead")


@dataclass
class Outcome:
    stats: dict[str, Stat] = field(default_factory=dict)     # per operation, and "stateless" (a subset)
    seconds: float = 0.0
    cycles: int = 0
    sim_seconds: float = 0.0
    failures: list[str] = field(default_factory=list)

    def total(self) -> Stat:
        rows = [self.stats[k] for k in OPERATIONS if k in self.stats]
        return Stat(sum(s.ops for s in rows), sum(s.bytes for s in rows), sum(s.failures for s in rows))


# everything the workload knows; a run uses what the device's config masks offer (session_kinds)
CIPHERS = {"ecb": vc.CIPHER_AES_ECB, "cbc": vc.CIPHER_AES_CBC, "ctr": vc.CIPHER_AES_CTR, "xts": vc.CIPHER_AES_XTS}
HASHES = {"sha224": (vc.HASH_SHA_224, 28), "sha256": (vc.HASH_SHA_256, 32), "sha384": (vc.HASH_SHA_384, 48),
          "sha512": (vc.HASH_SHA_512, 64)}
MACS = {"sha224": vc.MAC_HMAC_SHA_224, "sha256": vc.MAC_HMAC_SHA_256, "sha384": vc.MAC_HMAC_SHA_384,
        "sha512": vc.MAC_HMAC_SHA_512}          # HMAC over each hash


def key_sizes(mode: str) -> list[int]:
    """The AES key sizes of a mode, in bits (XTS: 128 and 256, its key K1 || K2 twice as long)."""
    alg = CIPHER_ALGS[CIPHERS[mode]]
    return [8 * n // (2 if alg.split_key else 1) for n in alg.key_lengths]


def key_len(mode: str, bits: int) -> int:
    return bits // 8 * (2 if CIPHER_ALGS[CIPHERS[mode]].split_key else 1)


def _need(res, what: str) -> int:
    st, sid = res
    if st != vc.OK:
        raise RuntimeError(f"creating the {what} session failed with status {st}")
    return sid


def _cipher_sess(mode: str, bits: int, op: int, sid: int, key: bytes) -> Sess:
    p = Session(vc.SERVICE_CIPHER, cipher_algo=CIPHERS[mode], cipher_key=bytearray(key), cipher_op=op)
    return Sess(f"aes-{mode}-{bits}-{'enc' if op == vc.OP_ENCRYPT else 'dec'}", "cipher", sid, p, op == vc.OP_ENCRYPT)


def open_session(drv: VirtioCryptoDriver, rng: random.Random, kind: str) -> Sess:
    """One session of `kind` (see SESSION_KINDS) with a random key, over the control queue."""
    family, *arg = kind.split(":")
    if family == "cipher":
        mode, bits, op = arg[0], int(arg[1]), vc.OP_ENCRYPT if arg[2] == "enc" else vc.OP_DECRYPT
        key = rng.randbytes(key_len(mode, bits))
        return _cipher_sess(mode, bits, op, _need(drv.create_cipher_session(CIPHERS[mode], key, op), kind), key)
    if family == "hash":
        algo, dlen = HASHES[arg[0]]
        sid = _need(drv.create_hash_session(algo, dlen), kind)
        return Sess(arg[0], "hash", sid, Session(vc.SERVICE_HASH, hash_algo=algo, hash_result_len=dlen),
                    digest_len=dlen)
    if family == "mac":
        algo, dlen = MACS[arg[0]], HASHES[arg[0]][1]
        key = rng.randbytes(rng.choice((16, 32, 64, 100, 129, 200)))      # > the block: hashed first
        sid = _need(drv.create_mac_session(algo, dlen, key), kind)
        return Sess("hmac-" + arg[0], "mac", sid, Session(vc.SERVICE_MAC, hash_algo=algo, hash_result_len=dlen,
                                                               auth_key=bytearray(key)), digest_len=dlen)
    if family == "chain":                 # chain:HASH:ORDER[:MODE] (AES-128 in MODE, default CBC)
        algo, dlen = MACS[arg[0]], HASHES[arg[0]][1]
        mode = arg[2] if len(arg) > 2 else "cbc"
        order, op = ((vc.ALG_CHAIN_CIPHER_THEN_HASH, vc.OP_ENCRYPT) if arg[1] == "encrypt-then-mac"
                     else (vc.ALG_CHAIN_HASH_THEN_CIPHER, vc.OP_DECRYPT))
        ck, mk = rng.randbytes(key_len(mode, 128)), rng.randbytes(32)
        sid = _need(drv.create_chain_session(CIPHERS[mode], ck, op, order, vc.SYM_HASH_MODE_AUTH, algo,
                                             dlen, mk), kind)
        p = Session(vc.SERVICE_CIPHER, cipher_algo=CIPHERS[mode], cipher_key=bytearray(ck), cipher_op=op,
                          chaining=True, chain_order=order, hash_mode=vc.SYM_HASH_MODE_AUTH, hash_algo=algo,
                          hash_result_len=dlen, auth_key=bytearray(mk))
        return Sess(f"aes-{mode}-128+hmac-{arg[0]} {arg[1]}", "chain", sid, p, op == vc.OP_ENCRYPT, dlen)
    if family == "aead":
        bits = int(arg[0])
        key = rng.randbytes(bits // 8)
        sid = _need(drv.create_aead_session(vc.AEAD_GCM, key, 16, 0, vc.OP_ENCRYPT), kind)
        p = Session(vc.SERVICE_AEAD, aead_algo=vc.AEAD_GCM, aead_key=bytearray(key), tag_len=16,
                          aead_op=vc.OP_ENCRYPT)
        return Sess(f"aes-gcm-{bits}-enc", "aead", sid, p, True)
    raise ValueError(f"unknown session kind {kind!r}")


def session_kinds(drv: VirtioCryptoDriver) -> list[str]:
    """Every kind of session the device offers, decided from its config masks alone (what a
    guest sees), never from which datapath is behind it."""
    ciphers = [m for m in CIPHERS if drv.supports(vc.SERVICE_CIPHER, CIPHERS[m])]
    kinds = [f"cipher:{m}:{b}:{d}" for m in ciphers for b in key_sizes(m) for d in ("enc", "dec")]
    for h, (algo, _) in HASHES.items():
        kinds += [f"hash:{h}"] if drv.supports(vc.SERVICE_HASH, algo) else []
        if drv.supports(vc.SERVICE_MAC, MACS[h]):
            kinds.append(f"mac:{h}")
            for m in ("cbc", "xts"):
                if m in ciphers:
                    kinds += [f"chain:{h}:encrypt-then-mac" + (f":{m}" if m != "cbc" else ""),
                              f"chain:{h}:mac-then-decrypt" + (f":{m}" if m != "cbc" else "")]
    return kinds + (["aead:128", "aead:256"] if drv.supports(vc.SERVICE_AEAD, vc.AEAD_GCM) else [])


DESTROY = {"cipher": vc.CIPHER_DESTROY_SESSION, "chain": vc.CIPHER_DESTROY_SESSION, "hash": vc.HASH_DESTROY_SESSION,
           "mac": vc.MAC_DESTROY_SESSION, "aead": vc.AEAD_DESTROY_SESSION}


def create_sessions(drv: VirtioCryptoDriver, rng: random.Random) -> list[Sess]:
    """Every kind the device offers once; ciphers as Linux makes them: an encrypt and a decrypt
    session per key."""
    out = []
    kinds = session_kinds(drv)
    for mode, algo in CIPHERS.items():
        for bits in key_sizes(mode):
            if f"cipher:{mode}:{bits}:enc" not in kinds:
                continue
            key = rng.randbytes(key_len(mode, bits))
            enc, dec = drv.skcipher_setkey(algo, key)
            out += [_cipher_sess(mode, bits, vc.OP_ENCRYPT, enc, key), _cipher_sess(mode, bits, vc.OP_DECRYPT, dec, key)]
    return out + [open_session(drv, rng, k) for k in kinds if not k.startswith("cipher:")]


def request_length(rng: random.Random, s: Sess, max_len: int) -> int:
    n = int(math.exp(rng.uniform(math.log(16), math.log(max_len))))      # log-uniform 16 B .. max
    if s.op_type in ("cipher", "chain"):
        alg = CIPHER_ALGS[s.params.cipher_algo]
        if alg.whole_blocks:
            n = max(16, n - n % 16)
        n = max(n, alg.min_len)             # XTS: a data unit of at least one block, any length above
    return n


STATELESS_SHARE = 0.25         # of requests sent stateless where the device offers it for the service
STATELESS_BIT = {"cipher": vc.VIRTIO_CRYPTO_F_CIPHER_STATELESS_MODE, "chain": vc.VIRTIO_CRYPTO_F_CIPHER_STATELESS_MODE,
                 "hash": vc.VIRTIO_CRYPTO_F_HASH_STATELESS_MODE, "mac": vc.VIRTIO_CRYPTO_F_MAC_STATELESS_MODE,
                 "aead": vc.VIRTIO_CRYPTO_F_AEAD_STATELESS_MODE}


def submit_request(drv, s: Sess, q: int, rng: random.Random, max_len: int):
    """Post a random request of session s on queue q (not kicked); the token carries what to check.
    Where the driver negotiated stateless mode for the service, a quarter of them go stateless:
    the same parameters and keys (the session's own copy), in the request, no session id."""
    n = request_length(rng, s, max_len)
    src, iv = rng.randbytes(n), rng.randbytes(16)
    if drv.features >> STATELESS_BIT[s.op_type] & 1 and rng.random() < STATELESS_SHARE:
        t, op = _stateless(drv, s, q, iv, src)
        t.extra.update(sess=s, op=op, n=n, stateless=True)
        return t
    if s.op_type == "cipher":
        iv = b"" if s.params.cipher_algo == vc.CIPHER_AES_ECB else iv
        t = drv.cipher(q, s.sid, s.encrypt, iv, src, extra_dst=rng.choice((0, 0, 64)), kick=False)
        op = CryptoOp("cipher", iv=iv, src=src, dst_len=n)
    elif s.op_type in ("hash", "mac"):
        t = drv.hash(q, s.sid, src, s.digest_len, mac=s.op_type == "mac", kick=False)
        op = CryptoOp(s.op_type, src=src, hash_result_len=s.digest_len)
    elif s.op_type == "chain":
        t = drv.chain(q, s.sid, s.encrypt, iv, src, s.digest_len, kick=False)
        op = CryptoOp("chain", iv=iv, src=src, dst_len=n, hash_result_len=s.digest_len, len_to_cipher=n, len_to_hash=n)
    else:
        iv = iv[:12]
        t = drv.aead(q, s.sid, True, iv, src, b"", n + 16, kick=False)
        op = CryptoOp("aead", iv=iv, src=src, dst_len=n + 16)
    t.extra.update(sess=s, op=op, n=n)
    return t


def _stateless(drv, s: Sess, q: int, iv: bytes, src: bytes):
    p, n = s.params, len(src)
    if s.op_type == "cipher":
        iv = b"" if p.cipher_algo == vc.CIPHER_AES_ECB else iv
        return (drv.cipher_stateless(q, p.cipher_algo, bytes(p.cipher_key), s.encrypt, iv, src, kick=False),
                CryptoOp("cipher", iv=iv, src=src, dst_len=n))
    if s.op_type in ("hash", "mac"):
        key = bytes(p.auth_key) if s.op_type == "mac" else None
        return (drv.hash_stateless(q, p.hash_algo, src, s.digest_len, auth_key=key, kick=False),
                CryptoOp(s.op_type, src=src, hash_result_len=s.digest_len))
    if s.op_type == "chain":
        t = drv.chain_stateless(q, p.cipher_algo, bytes(p.cipher_key), s.encrypt, p.chain_order, p.hash_mode,
                                p.hash_algo, bytes(p.auth_key), iv, src, s.digest_len, kick=False)
        return t, CryptoOp("chain", iv=iv, src=src, dst_len=n, hash_result_len=s.digest_len, len_to_cipher=n,
                           len_to_hash=n)
    iv = iv[:12]
    return (drv.aead_stateless(q, p.aead_algo, bytes(p.aead_key), True, iv, src, b"", p.tag_len, n + p.tag_len,
                               kick=False), CryptoOp("aead", iv=iv, src=src, dst_len=n + p.tag_len))


def expected_result(t) -> bytes:
    s, op = t.extra["sess"], t.extra["op"]
    res = soft_compute(s.params, op)
    return res.dst + res.hash_result


def run(datapath: str = "rtl", queues: int = 4, seconds: float = 10.0, seed: int = 1, max_len: int = 65536,
        inflight: int = 8, progress=sys.stderr) -> Outcome:
    dp = open_datapath(datapath)
    dev = VirtioCryptoDevice(dp, num_dataqueues=queues)
    out = Outcome()
    try:
        drv = VirtioCryptoDriver(dev, mem_bytes=max(64 << 20, queues * inflight * 3 * max_len + (16 << 20)), seed=seed,
                                 revision_1=True, stateless=True)
        rng = random.Random(seed)
        sessions = create_sessions(drv, rng)
        stats0 = dp.stats()
        t0 = last = time.monotonic()

        def post(q):
            return submit_request(drv, rng.choice(sessions), q, rng, max_len)

        def finished(t) -> None:
            s = t.extra["sess"]
            st = out.stats.setdefault(s.op_type, Stat())
            st.ops += 1
            st.bytes += t.extra["n"]
            want = expected_result(t)
            bad = t.status != vc.OK or t.extra["data"][: len(want)] != want
            if bad:
                st.failures += 1
                out.failures.append(f"{s.kind} len {t.extra['n']}: status {t.status}")
            if t.extra.get("stateless"):        # also counted in its operation's row
                sl = out.stats.setdefault("stateless", Stat())
                sl.ops, sl.bytes, sl.failures = sl.ops + 1, sl.bytes + t.extra["n"], sl.failures + bad

        def show() -> bool:
            nonlocal last
            now = time.monotonic()
            if progress and now - last >= 1.0:
                last = now
                tot = out.total()
                ops, mb, bad = tot.ops, tot.bytes / 1e6, tot.failures
                tty = progress.isatty()          # a terminal: one line rewritten; a log: a line each
                line = f"  {now - t0:5.1f} s  {ops:7d} requests  {mb:9.2f} MB  {bad} failures"
                progress.write("\r" + line + " " if tty else line + "\n")
                progress.flush()
            return False
        drv.keep_in_flight(range(queues), inflight, post, finished, lambda: time.monotonic() - t0 < seconds, show)
        out.seconds = time.monotonic() - t0
        stats1 = dp.stats()
        if stats1:
            out.cycles = stats1["busy_cycles"] - stats0["busy_cycles"]
            out.sim_seconds = (stats1["busy_ns"] - stats0["busy_ns"]) / 1e9
        if progress and progress.isatty():
            progress.write("\n")
    finally:
        dev.close()
    return out


def table(out: Outcome, datapath: str) -> str:
    lines = [f"{'operation':10s} {'requests':>9s} {'bytes':>12s} {'failures':>9s} {'req/s':>9s} {'MB/s':>8s}"]
    def row(name: str, s: Stat) -> str:
        return (f"{name:10s} {s.ops:9d} {s.bytes:12d} {s.failures:9d} {s.ops / out.seconds:9.1f} "
                f"{s.bytes / out.seconds / 1e6:8.3f}")
    lines += [row(name, out.stats[name]) for name in OPERATIONS if name in out.stats]
    lines.append(row("total", out.total()))
    if "stateless" in out.stats:              # of the total: requests that carried their own session
        lines.append(row("stateless", out.stats["stateless"]))
    lines.append(f"datapath {datapath}, {out.seconds:.1f} s wall")
    if out.cycles:
        lines.append(f"simulated {out.cycles:,} RTL clock cycles in {out.sim_seconds:.1f} s "
                     f"({out.cycles / max(out.sim_seconds, 1e-9):,.0f} cycles/s)")
    return "\n".join(lines)


def as_json(out: Outcome, datapath: str) -> str:
    return json.dumps({"datapath": datapath, "seconds": round(out.seconds, 3), "simulated_cycles": out.cycles,
                       "operations": {k: vars(v) for k, v in out.stats.items()},
                       "stateless": vars(out.stats.get("stateless", Stat())),
                       "failures": out.failures[:20], "failed": out.total().failures},
                      indent=1)
