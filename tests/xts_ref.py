"""XTS-AES reference (IEEE 1619-2007 / SP 800-38E) at bit granularity, for the aes_engine
testbench: `cryptography` offers XTS for whole bytes only, while the CAVP XTS files also have
data units of 130, 140 and 250 bits. Built on `cryptography`'s AES-ECB; tests/test_xts_ref.py
checks it against every CAVP record and against `cryptography`'s XTS for byte lengths.

Bit order: the data unit is a bit string, most significant bit of byte 0 first (as the CAVP
hex strings and the RTL, byte 0 in [127:120], have it); a partial last byte keeps its bits at
its most significant end and zeros below.
"""
from __future__ import annotations

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

MASK128 = (1 << 128) - 1


def ecb(key: bytes, block: bytes, decrypt: bool = False) -> bytes:
    c = Cipher(algorithms.AES(key), modes.ECB())
    op = c.decryptor() if decrypt else c.encryptor()
    return op.update(block) + op.finalize()


def mul_alpha(t: bytes) -> bytes:
    """T * alpha in GF(2^128) (IEEE 1619 5.2): T as a little-endian integer, shifted left by
    one, x^128 reduced with 0x87."""
    x = int.from_bytes(t, "little") << 1
    if x >> 128:
        x ^= (1 << 128) | 0x87
    return x.to_bytes(16, "little")


def tweaks(key2: bytes, tweak: bytes, n: int) -> list[bytes]:
    """T_0 .. T_{n-1}: T_0 = E(K2, tweak), T_{j+1} = T_j * alpha."""
    t = ecb(key2, tweak)
    out = []
    for _ in range(n):
        out.append(t)
        t = mul_alpha(t)
    return out


def _xor(a: bytes, b: bytes) -> bytes:
    return bytes(x ^ y for x, y in zip(a, b))


def xts(key1: bytes, key2: bytes, tweak: bytes, data: bytes, bits: int | None = None,
        decrypt: bool = False) -> bytes:
    """Encrypt or decrypt one data unit of `bits` bits (default: all of `data`), >= 128."""
    bits = 8 * len(data) if bits is None else bits
    assert bits >= 128 and len(data) == (bits + 7) // 8
    m, b = divmod(bits, 128)
    ts = tweaks(key2, tweak, m + 1)

    def xex(j: int, blk: bytes) -> bytes:
        return _xor(ecb(key1, _xor(blk, ts[j]), decrypt), ts[j])

    blocks = [data[16 * j:16 * j + 16] for j in range(m)]
    out = [xex(j, blocks[j]) for j in range(m - (1 if b else 0))]
    if b:
        tail = int.from_bytes(data[16 * m:].ljust(16, b"\0"), "big") >> (128 - b) << (128 - b)
        low = (1 << (128 - b)) - 1
        # encryption: CC = E(P[m-1], T[m-1]); C[m-1] = E(P[m] || CC tail, T[m]); C[m] = CC head
        # decryption: PP = D(C[m-1], T[m]);  P[m-1] = D(C[m] || PP tail, T[m-1]); P[m] = PP head
        j1, j2 = (m, m - 1) if decrypt else (m - 1, m)
        first = int.from_bytes(xex(j1, blocks[m - 1]), "big")
        merged = (tail | (first & low)).to_bytes(16, "big")
        out.append(xex(j2, merged))
        out.append((first & ~low & MASK128).to_bytes(16, "big")[:(b + 7) // 8])
    return b"".join(out)
