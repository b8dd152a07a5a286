"""SHA-384/512 (and SHA-512/224, SHA-512/256) chaining states: the SHA-512 family's constants
and IVs on bridge/sha2_state.py's compression and padding at 64-bit words (FIPS 180-4 6.4:
80 rounds, 128-byte blocks, a 128-bit length field). The rtl datapath precomputes the
HMAC-SHA-384/512 inner/outer states with it (bridge/sha2_state.hmac_states_into); the
sha512_engine testbench continues from its raw states, which hashlib and `cryptography` never
expose. tests/test_sha512_state.py checks it against hashlib. Names: "sha512", "sha384",
"sha512_224", "sha512_256" (hashlib's).
"""
from __future__ import annotations

from bridge.sha2_state import Sha2Words

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

SHA512_WORDS = Sha2Words(64, K, big_sigma0=(28, 34, 39), big_sigma1=(14, 18, 41),
                         small_sigma0=(1, 8, 7), small_sigma1=(19, 61, 6))
# one SHA-512 compression of a 128-byte block (FIPS 180-4 6.4.2); 5.1.2 padding (128 bytes
# prefix_len for an HMAC ipad/opad state)
compress, pad = SHA512_WORDS.compress, SHA512_WORDS.pad
state_bytes, state_ints = SHA512_WORDS.state_bytes, SHA512_WORDS.state_ints


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
