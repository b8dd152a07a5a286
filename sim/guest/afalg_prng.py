#!/usr/bin/env python3
"""The request sequence of afalg_test's random mode, reproduced bit for bit on the host.

This module is the specification; afalg_test.c (prng_seed/prng_next/prng_fill/prng_request)
must stay identical.

Generator: state = splitmix64(seed) (1 if that is 0); next() is xorshift64*:
    x ^= x >> 12; x ^= x << 25; x ^= x >> 27; state = x; return x * 0x2545F4914F6CDD1D (mod 2^64)
fill(n): ceil(n/8) calls of next(), each word written little endian, the last one truncated.

Request i (for i = 0, 1, ...; maxblocks = maxlen // 16):
    keylen = (16, 24, 32)[next() % 3]
    sel = next() % 4
      0: nblocks = 1 + next() % min(16, maxblocks)     (16 B .. 256 B)
      1: nblocks = 1 + next() % min(256, maxblocks)    (16 B .. 4 KiB)
      2: nblocks = 1 + next() % maxblocks              (16 B .. maxlen)
      3: nblocks = maxblocks                           (exactly maxlen)
    len = 16 * nblocks
    encrypt = (next() >> 63) == 0                      ("enc" / "dec")
    inplace = next() >> 63                             (1: same buffer for input and output)
    key = fill(keylen); iv = fill(16); data = fill(len)

Deep mode (afalg_test deep) runs the same sequence on one key: every request's key is
replaced by request 0's (the generator still draws each request's own key, so the lengths,
IVs and data are those of the random mode).
"""
from dataclasses import dataclass

M64 = (1 << 64) - 1


class Prng:
    def __init__(self, seed: int):
        z = (seed + 0x9E3779B97F4A7C15) & M64
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
        z ^= z >> 31
        self.state = z or 1

    def next(self) -> int:
        x = self.state
        x ^= x >> 12
        x ^= (x << 25) & M64
        x ^= x >> 27
        self.state = x
        return (x * 0x2545F4914F6CDD1D) & M64

    def fill(self, n: int) -> bytes:
        words = (n + 7) // 8
        nxt = self.next
        return b"".join(nxt().to_bytes(8, "little") for _ in range(words))[:n]


@dataclass
class Request:
    idx: int
    key: bytes
    iv: bytes
    data: bytes
    encrypt: bool
    inplace: bool

    @property
    def dir(self) -> str:
        return "enc" if self.encrypt else "dec"


def gen_request(p: Prng, idx: int, maxlen: int = 65536) -> Request:
    maxblocks = maxlen // 16
    keylen = (16, 24, 32)[p.next() % 3]
    sel = p.next() % 4
    if sel == 0:
        nblk = 1 + p.next() % min(16, maxblocks)
    elif sel == 1:
        nblk = 1 + p.next() % min(256, maxblocks)
    elif sel == 2:
        nblk = 1 + p.next() % maxblocks
    else:
        nblk = maxblocks
    encrypt = (p.next() >> 63) == 0
    inplace = bool(p.next() >> 63)
    key = p.fill(keylen)
    iv = p.fill(16)
    data = p.fill(16 * nblk)
    return Request(idx, key, iv, data, encrypt, inplace)


def requests(seed: int, count: int, maxlen: int = 65536, one_key: bool = False):
    """Yield the first `count` requests of the sequence for `seed` (one_key: deep mode's, all
    on request 0's key)."""
    if maxlen < 16 or maxlen % 16:
        raise ValueError("maxlen must be a positive multiple of 16")
    p = Prng(seed)
    key = None
    for i in range(count):
        r = gen_request(p, i, maxlen)
        if one_key:
            key = key or r.key
            r.key = key
        yield r


def ivbug_output(r: Request) -> bytes:
    """What Linux 6.1's virtio_crypto gets back for a decrypt request it retried after
    virtqueue_add_sgs failed with -ENOSPC: the driver had already replaced the request's IV with
    the last ciphertext block, so the device (rightly) decrypts with that IV and the first block
    comes out XORed with IV ^ last block."""
    assert not r.encrypt
    out = bytearray(expected_output(r))
    for b in range(16):
        out[b] ^= r.iv[b] ^ r.data[len(r.data) - 16 + b]
    return bytes(out)


def expected_output(r: Request) -> bytes:
    """AES-CBC of the request computed with `cryptography` (no padding)."""
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    c = Cipher(algorithms.AES(r.key), modes.CBC(r.iv))
    op = c.encryptor() if r.encrypt else c.decryptor()
    return op.update(r.data) + op.finalize()


if __name__ == "__main__":
    import argparse
    import hashlib

    ap = argparse.ArgumentParser(description="print the REQ lines afalg_test random mode should print")
    ap.add_argument("--seed", type=lambda s: int(s, 0), default=1)
    ap.add_argument("--count", type=int, default=10)
    ap.add_argument("--maxlen", type=int, default=65536)
    a = ap.parse_args()
    for r in requests(a.seed, a.count, a.maxlen):
        out = expected_output(r)
        print(f"REQ {r.idx} {r.key.hex()} {r.iv.hex()} {len(r.data)} {r.dir} "
              f"{hashlib.sha256(r.data).hexdigest()} {hashlib.sha256(out).hexdigest()}"
              f"  # {'inplace' if r.inplace else 'oop'}")
