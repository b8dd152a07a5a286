"""SHA-2 chaining states, for the parts of HMAC that software precomputes.

A hardware HMAC engine continues from the inner and outer states H(K0 ^ ipad) and
H(K0 ^ opad) after one block (RFC 2104), so a key never has to be re-hashed per request.
hashlib and `cryptography` expose only finished digests, never the state after a block, so
the FIPS 180-4 compression function lives here; tests/test_sha2_state.py checks it against
hashlib for whole messages. Sha2Words is that compression and padding at either word size:
bridge/sha512_state.py builds the SHA-384/512 family on it.
"""
from __future__ import annotations

import struct

BLOCK = 64
IV = {
    256: (0x6A09E667, 0xBB67AE85, 0x3C6EF372, 0xA54FF53A, 0x510E527F, 0x9B05688C, 0x1F83D9AB, 0x5BE0CD19),
    224: (0xC1059ED8, 0x367CD507, 0x3070DD17, 0xF70E5939, 0xFFC00B31, 0x68581511, 0x64F98FA7, 0xBEFA4FA4),
}
# FIPS 180-4 4.2.2: first 32 bits of the fractional parts of the cube roots of the first 64 primes
_K = (
    0x428A2F98, 0x71374491, 0xB5C0FBCF, 0xE9B5DBA5, 0x3956C25B, 0x59F111F1, 0x923F82A4, 0xAB1C5ED5,
    0xD807AA98, 0x12835B01, 0x243185BE, 0x550C7DC3, 0x72BE5D74, 0x80DEB1FE, 0x9BDC06A7, 0xC19BF174,
    0xE49B69C1, 0xEFBE4786, 0x0FC19DC6, 0x240CA1CC, 0x2DE92C6F, 0x4A7484AA, 0x5CB0A9DC, 0x76F988DA,
    0x983E5152, 0xA831C66D, 0xB00327C8, 0xBF597FC7, 0xC6E00BF3, 0xD5A79147, 0x06CA6351, 0x14292967,
    0x27B70A85, 0x2E1B2138, 0x4D2C6DFC, 0x53380D13, 0x650A7354, 0x766A0ABB, 0x81C2C92E, 0x92722C85,
    0xA2BFE8A1, 0xA81A664B, 0xC24B8B70, 0xC76C51A3, 0xD192E819, 0xD6990624, 0xF40E3585, 0x106AA070,
    0x19A4C116, 0x1E376C08, 0x2748774C, 0x34B0BCB5, 0x391C0CB3, 0x4ED8AA4A, 0x5B9CCA4F, 0x682E6FF3,
    0x748F82EE, 0x78A5636F, 0x84C87814, 0x8CC70208, 0x90BEFFFA, 0xA4506CEB, 0xBEF9A3F7, 0xC67178F2,
)


class Sha2Words:
    """The FIPS 180-4 compression and padding at one word size: 32-bit words for SHA-224/256
    (6.2.2: 64 rounds, 64-byte blocks, a 64-bit length field), 64-bit words for the SHA-384/512
    family (6.4.2: 80 rounds, 128-byte blocks, a 128-bit length field). The rotations are the
    (rotr, rotr, rotr) of the Sigma functions and the (rotr, rotr, shr) of the sigma functions."""

    def __init__(self, bits: int, k: tuple[int, ...], big_sigma0: tuple[int, int, int],
                 big_sigma1: tuple[int, int, int], small_sigma0: tuple[int, int, int],
                 small_sigma1: tuple[int, int, int]):
        self.bits = bits
        self.mask = (1 << bits) - 1
        self.block = 16 * bits // 8
        self.k = k
        self.rotations = (big_sigma0, big_sigma1, small_sigma0, small_sigma1)
        word = "I" if bits == 32 else "Q"
        self._block_words = struct.Struct(f">16{word}")
        self._state_words = struct.Struct(f">8{word}")

    def compress(self, state: tuple[int, ...], block) -> tuple[int, ...]:
        """One compression of a block into `state`."""
        assert len(block) == self.block
        n, m = self.bits, self.mask

        def rotr(x: int, r: int) -> int:
            return ((x >> r) | (x << (n - r))) & m
        (a0, a1, a2), (e0, e1, e2), (p0, p1, p2), (q0, q1, q2) = self.rotations
        k = self.k
        w = list(self._block_words.unpack(block))
        for t in range(16, len(k)):
            s0 = rotr(w[t - 15], p0) ^ rotr(w[t - 15], p1) ^ (w[t - 15] >> p2)
            s1 = rotr(w[t - 2], q0) ^ rotr(w[t - 2], q1) ^ (w[t - 2] >> q2)
            w.append((w[t - 16] + s0 + w[t - 7] + s1) & m)
        a, b, c, d, e, f, g, h = state
        for t in range(len(k)):
            t1 = (h + (rotr(e, e0) ^ rotr(e, e1) ^ rotr(e, e2)) + ((e & f) ^ (~e & g)) + k[t] + w[t]) & m
            t2 = ((rotr(a, a0) ^ rotr(a, a1) ^ rotr(a, a2)) + ((a & b) ^ (a & c) ^ (b & c))) & m
            a, b, c, d, e, f, g, h = (t1 + t2) & m, a, b, c, (d + t1) & m, e, f, g
        return tuple((x + y) & m for x, y in zip(state, (a, b, c, d, e, f, g, h)))

    def state_bytes(self, state: tuple[int, ...]) -> bytes:
        return self._state_words.pack(*state)

    def state_into(self, out, state: tuple[int, ...]) -> None:
        """The state's bytes written into the start of a writable buffer (no copy in between)."""
        self._state_words.pack_into(out, 0, *state)

    def state_ints(self, state: bytes) -> tuple[int, ...]:
        return self._state_words.unpack(state)

    def pad(self, message: bytes, prefix_len: int = 0) -> bytes:
        """FIPS 180-4 5.1.1/5.1.2 padding of `message` (0x80, zeros, the big-endian bit length in
        two words), when `prefix_len` bytes were hashed before it (e.g. the ipad/opad block
        already folded into an HMAC state)."""
        length_bytes = 2 * self.bits // 8
        n = prefix_len + len(message)
        zeros = (self.block - 1 - length_bytes - n) % self.block
        return message + b"\x80" + b"\0" * zeros + (8 * n).to_bytes(length_bytes, "big")


SHA256_WORDS = Sha2Words(32, _K, big_sigma0=(2, 13, 22), big_sigma1=(6, 11, 25),
                         small_sigma0=(7, 18, 3), small_sigma1=(17, 19, 10))


def compress(state: tuple[int, ...], block: bytes) -> tuple[int, ...]:
    """One SHA-256 compression (FIPS 180-4 6.2.2) of a 64-byte block into `state`."""
    return SHA256_WORDS.compress(state, block)


def state_bytes(state: tuple[int, ...]) -> bytes:
    return SHA256_WORDS.state_bytes(state)


def pad(message: bytes, prefix_len: int = 0) -> bytes:
    """FIPS 180-4 5.1.1 padding of `message`, when `prefix_len` bytes were hashed before it
    (e.g. the 64-byte ipad/opad block already folded into an HMAC state)."""
    return SHA256_WORDS.pad(message, prefix_len)


def _family(bits: int) -> tuple[Sha2Words, tuple[int, ...]]:
    """The compression (word size) and IV of SHA-224/256/384/512 by digest bits. The SHA-512
    family's constants live in bridge/sha512_state.py, which builds on this module: imported
    here, when first needed, not at the top (that would be circular)."""
    if bits in IV:
        return SHA256_WORDS, IV[bits]
    from bridge import sha512_state
    return sha512_state.SHA512_WORDS, sha512_state.IV[f"sha{bits}"]


def _digest_into(data, bits: int, out) -> None:
    """H(data) (SHA-224/256/384/512) into out[:bits // 8], with the padded tail in a bytearray
    that is zeroed: for K0 = H(key) of a key longer than a block, which is as secret as the key."""
    words, st = _family(bits)
    block, len_bytes = words.block, 2 * words.bits // 8
    n = len(data)
    full = n - n % block
    tail = bytearray(2 * block)
    with memoryview(data) as m:
        for i in range(0, full, block):
            st = words.compress(st, m[i:i + block])
        tail[:n - full] = m[full:]
    try:
        tail[n - full] = 0x80
        end = block if n - full < block - len_bytes else 2 * block
        tail[end - len_bytes:end] = (8 * n).to_bytes(len_bytes, "big")
        with memoryview(tail) as t:
            for i in range(0, end, block):
                st = words.compress(st, t[i:i + block])
        out[:bits // 8] = words.state_bytes(st)[:bits // 8]
    finally:
        tail[:] = bytes(len(tail))


def hmac_states_into(key, bits: int, inner, outer) -> None:
    """The inner and outer chaining states of HMAC-SHA-224/256/384/512 for `key` (RFC 2104),
    written straight into two writable buffers (e.g. the state slots of a context in shared
    memory): 32 bytes of 32-bit words for SHA-224/256, 64 bytes of 64-bit words for
    SHA-384/512 (the whole state, SHA-384's truncated digest notwithstanding). `key` is any
    bytes-like object and is not copied into an immutable object: K0 and K0 ^ ipad/opad live
    in one bytearray that is zeroed before returning. A key longer than the block (64 or 128
    bytes) is hashed first."""
    words, iv = _family(bits)
    block = words.block
    k0 = bytearray(2 * block)           # K0, then K0 ^ pad
    try:
        if len(key) > block:
            _digest_into(key, bits, k0)
        else:
            k0[:len(key)] = key
        for out, pad_byte in ((inner, 0x36), (outer, 0x5C)):
            for i in range(block):
                k0[block + i] = k0[i] ^ pad_byte
            with memoryview(k0) as m, m[block:] as padded:
                words.state_into(out, words.compress(iv, padded))
    finally:
        k0[:] = bytes(len(k0))


def hmac_states(key: bytes, bits: int) -> tuple[bytes, bytes]:
    """(inner, outer) chaining states of HMAC-SHA-224/256/384/512 for `key` (RFC 2104), as
    bytes (32 or 64 each): for tools and tests (`vcrypto hmac-states`). The datapath uses
    hmac_states_into, which leaves no immutable copy behind."""
    n = 32 if bits in IV else 64
    states = bytearray(2 * n)
    with memoryview(states) as m, m[:n] as inner, m[n:] as outer:
        hmac_states_into(key, bits, inner, outer)
    return bytes(states[:n]), bytes(states[n:])
