"""tests/xts_ref.py (the bit-granular XTS reference of the aes_engine testbench) against every
CAVP XTS record and against `cryptography`'s XTS."""
import random

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from vectors import xts_cavp_records
from xts_ref import xts


@pytest.mark.parametrize("key_bits", [128, 256])
def test_every_cavp_record(key_bits):
    n, lengths = 0, set()
    for name, dec, k1, k2, tweak, bits, pt, ct in xts_cavp_records(key_bits):
        src, want = (ct, pt) if dec else (pt, ct)
        assert xts(k1, k2, tweak, src, bits, dec) == want, name
        n += 1
        lengths.add(bits)
    assert n == 2000
    assert any(b % 128 for b in lengths) and any(b % 8 for b in lengths)


def test_byte_lengths_match_cryptography():
    rng = random.Random(7)
    for i in range(300):
        klen = rng.choice([16, 32])
        k1, k2 = rng.randbytes(klen), rng.randbytes(klen)
        tweak = rng.randbytes(16)
        data = rng.randbytes(rng.choice([16, 17, 31, 32, 33, 47, rng.randrange(16, 600)]))
        c = Cipher(algorithms.AES(k1 + k2), modes.XTS(tweak))
        enc = c.encryptor()
        ct = enc.update(data) + enc.finalize()
        assert xts(k1, k2, tweak, data) == ct, i
        assert xts(k1, k2, tweak, ct, decrypt=True) == data, i
