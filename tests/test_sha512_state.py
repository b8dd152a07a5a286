"""bridge/sha512_state.py (the SHA-512 family model the sha512_engine testbench continues HMAC
from) against hashlib and `cryptography`."""
import hashlib
import random

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as crypto_hmac

from bridge import sha512_state as s5

NAMES = ["sha512", "sha384", "sha512_224", "sha512_256"]
CRYPTO = {"sha512": hashes.SHA512, "sha384": hashes.SHA384,
          "sha512_224": hashes.SHA512_224, "sha512_256": hashes.SHA512_256}


def test_constants_are_fips_180_4():
    assert s5.K[0] == 0x428A2F98D728AE22 and s5.K[79] == 0x6C44198C4A475817
    assert s5.IV["sha512"][0] == 0x6A09E667F3BCC908
    assert s5.IV["sha384"][0] == 0xCBBB9D5DC1059ED8
    assert s5.IV["sha512_224"][0] == 0x8C3D37C819544DA2
    assert s5.IV["sha512_256"][0] == 0x22312194FC2BF72C


@pytest.mark.parametrize("name", NAMES)
def test_digest_matches_hashlib(name):
    rng = random.Random(name)
    for n in list(range(0, 260)) + [rng.randrange(0, 3000) for _ in range(20)]:
        msg = rng.randbytes(n)
        assert s5.digest(name, msg) == hashlib.new(name, msg).digest(), n
        assert len(s5.pad(msg)) % s5.BLOCK == 0


@pytest.mark.parametrize("name", NAMES)
def test_hmac_from_states_matches_cryptography(name):
    rng = random.Random(name + "hmac")
    for klen in (0, 1, 48, 64, 127, 128, 129, 200):
        key, msg = rng.randbytes(klen), rng.randbytes(rng.randrange(0, 400))
        ref = crypto_hmac.HMAC(key, CRYPTO[name]())
        ref.update(msg)
        assert s5.hmac(key, name, msg) == ref.finalize(), klen
