"""SHA-384/512 (and SHA-512/224, SHA-512/256) chaining states, for the tests of
rtl/sha/sha512_engine.sv: the engine continues from a supplied state and returns the raw state
after any block, which hashlib and `cryptography` never expose.

The SHA-512 family's counterpart of bridge/sha2_state.py (FIPS 180-4 6.4: 64-bit words,
80 rounds, 128-byte blocks, a 128-bit length field). It lives in tests/ until the datapaths
serve SHA-384/512 (then it belongs next to bridge/sha2_state.py). tests/test_sha512_state.py
checks it against hashlib. Names: "sha512", "sha384", "sha512_224", "sha512_256" (hashlib's).
"""
from __future__ import annotations

import struct

BLOCK = 128
M64 = (1 << 64) - 1
DIGEST = {"sha512": 64, "sha384": 48, "sha512_224": 28, "sha512_256": 32}


def _primes(n: int) -> list[int]:
    out, c = [], 2
    while len(out) < n:
        if all(c % p for p in out if p * p <= c):
            out.append(c)
        c += 1
    return out


def _iroot(x: int, k: int) -> int:
    """floor(x ** (1/k)) for integers, exactly (Newton's method)."""
    r = 1 << ((x.bit_length() + k - 1) // k)
    while True:
        s = ((k - 1) * r + x // r ** (k - 1)) // k
        if s >= r:
            break
        r = s
    while r ** k > x:
        r -= 1
    while (r + 1) ** k <= x:
        r += 1
    return r


# FIPS 180-4 4.2.3: the first 64 bits of the fractional parts of the cube roots of the first
# 80 primes; 5.3.5/5.3.4: the square roots of the first 8 (SHA-512) and the 9th-16th (SHA-384)
# primes. Computed exactly here; tests/test_sha512_state.py checks the results against hashlib.
K = tuple(_iroot(p << 192, 3) & M64 for p in _primes(80))
_SQ = [_iroot(p << 128, 2) & M64 for p in _primes(16)]


def _rotr(x: int, n: int) -> int:
    return ((x >> n) | (x << (64 - n))) & M64


def compress(state: tuple[int, ...], block) -> tuple[int, ...]:
    """One SHA-512 compression (FIPS 180-4 6.4.2) of a 128-byte block into `state`."""
    assert len(block) == BLOCK
    w = list(struct.unpack(">16Q", block))
    for t in range(16, 80):
        s0 = _rotr(w[t - 15], 1) ^ _rotr(w[t - 15], 8) ^ (w[t - 15] >> 7)
        s1 = _rotr(w[t - 2], 19) ^ _rotr(w[t - 2], 61) ^ (w[t - 2] >> 6)
        w.append((w[t - 16] + s0 + w[t - 7] + s1) & M64)
    a, b, c, d, e, f, g, h = state
    for t in range(80):
        t1 = (h + (_rotr(e, 14) ^ _rotr(e, 18) ^ _rotr(e, 41)) + ((e & f) ^ (~e & g)) + K[t] + w[t]) & M64
        t2 = ((_rotr(a, 28) ^ _rotr(a, 34) ^ _rotr(a, 39)) + ((a & b) ^ (a & c) ^ (b & c))) & M64
        a, b, c, d, e, f, g, h = (t1 + t2) & M64, a, b, c, (d + t1) & M64, e, f, g
    return tuple((x + y) & M64 for x, y in zip(state, (a, b, c, d, e, f, g, h)))


def state_bytes(state: tuple[int, ...]) -> bytes:
    return struct.pack(">8Q", *state)


def state_ints(state: bytes) -> tuple[int, ...]:
    return struct.unpack(">8Q", state)


def pad(message: bytes, prefix_len: int = 0) -> bytes:
    """FIPS 180-4 5.1.2 padding of `message` (0x80, zeros, 128-bit big-endian bit length), when
    `prefix_len` bytes were hashed before it (128 for an HMAC ipad/opad state)."""
    bits = 8 * (prefix_len + len(message))
    zeros = (111 - (prefix_len + len(message))) % BLOCK
    return message + b"\x80" + b"\0" * zeros + bits.to_bytes(16, "big")


def _hash_from(state: tuple[int, ...], padded: bytes) -> tuple[int, ...]:
    for i in range(0, len(padded), BLOCK):
        state = compress(state, padded[i:i + BLOCK])
    return state


def _sha512t_iv(t: int) -> tuple[int, ...]:
    """FIPS 180-4 5.3.6: SHA-512/t IV = SHA-512 with IV ^ 0xa5a5... of the string 'SHA-512/t'."""
    iv = tuple(x ^ 0xA5A5A5A5A5A5A5A5 for x in _SQ[:8])
    return _hash_from(iv, pad(f"SHA-512/{t}".encode()))


IV = {
    "sha512": tuple(_SQ[:8]),
    "sha384": tuple(_SQ[8:16]),
    "sha512_224": _sha512t_iv(224),
    "sha512_256": _sha512t_iv(256),
}


def digest(name: str, message: bytes) -> bytes:
    return state_bytes(_hash_from(IV[name], pad(message)))[:DIGEST[name]]


def hmac_states(key: bytes, name: str) -> tuple[bytes, bytes]:
    """(inner, outer) 64-byte chaining states of HMAC with `name` for `key` (RFC 2104): the
    state after the one block K0 ^ ipad / K0 ^ opad. A key longer than the 128-byte block is
    hashed first."""
    k0 = digest(name, key) if len(key) > BLOCK else key
    k0 = k0.ljust(BLOCK, b"\0")
    inner = compress(IV[name], bytes(b ^ 0x36 for b in k0))
    outer = compress(IV[name], bytes(b ^ 0x5C for b in k0))
    return state_bytes(inner), state_bytes(outer)


def hmac(key: bytes, name: str, message: bytes) -> bytes:
    """HMAC continued from the precomputed states, as the hardware does it."""
    inner, outer = hmac_states(key, name)
    ih = state_bytes(_hash_from(state_ints(inner), pad(message, BLOCK)))[:DIGEST[name]]
    return state_bytes(_hash_from(state_ints(outer), pad(ih, BLOCK)))[:DIGEST[name]]
