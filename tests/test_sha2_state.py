"""bridge.sha2_state against hashlib / cryptography (it is the software half of HMAC)."""
import hashlib
import random
import struct

from cryptography.hazmat.primitives import hashes, hmac

from bridge.sha2_state import BLOCK, IV, compress, hmac_states, pad, state_bytes


def _hash(bits, msg):
    st = IV[bits]
    p = pad(msg)
    for i in range(0, len(p), BLOCK):
        st = compress(st, p[i:i + BLOCK])
    return state_bytes(st)[: bits // 8]


def test_full_hashes_match_hashlib():
    rng = random.Random(3)
    for n in [0, 1, 55, 56, 63, 64, 65, 119, 120, 128, 1000] + [rng.randrange(0, 600) for _ in range(30)]:
        msg = rng.randbytes(n)
        assert _hash(256, msg) == hashlib.sha256(msg).digest()
        assert _hash(224, msg) == hashlib.sha224(msg).digest()


def test_hmac_from_precomputed_states():
    rng = random.Random(4)
    for bits, algo in ((256, hashes.SHA256), (224, hashes.SHA224)):
        for klen in (0, 1, 20, 32, 63, 64, 65, 131):
            key, msg = rng.randbytes(klen), rng.randbytes(rng.randrange(0, 300))
            inner, outer = hmac_states(key, bits)
            st = struct.unpack(">8I", inner)
            p = pad(msg, prefix_len=BLOCK)
            for i in range(0, len(p), BLOCK):
                st = compress(st, p[i:i + BLOCK])
            st2 = compress(struct.unpack(">8I", outer), pad(state_bytes(st)[: bits // 8], BLOCK))
            ref = hmac.HMAC(key, algo())
            ref.update(msg)
            assert state_bytes(st2)[: bits // 8] == ref.finalize()
