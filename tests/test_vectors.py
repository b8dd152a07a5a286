"""The transcribed and packaged vectors agree with the `cryptography` golden model, so an RTL
test that uses them fails only because of the RTL."""
from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from tests.vectors import aes_cavp_records, hmac_rfc4231_records, sha2_cavp_records
from tests.vectors.sp800_38a import FIPS197_APPENDIX_C, SP800_38A


def _enc(mode, key, iv, data):
    m = {"ECB": lambda: modes.ECB(), "CBC": lambda: modes.CBC(iv), "CTR": lambda: modes.CTR(iv)}[mode]()
    e = Cipher(algorithms.AES(key), m).encryptor()
    return e.update(data) + e.finalize()


def test_fips197_appendix_c():
    for key, pt, ct in FIPS197_APPENDIX_C:
        assert _enc("ECB", bytes.fromhex(key), None, bytes.fromhex(pt)).hex() == ct


def test_sp800_38a():
    assert len(SP800_38A) == 9
    for mode, bits, key, iv, pt, ct in SP800_38A:
        assert len(key) * 4 == bits
        got = _enc(mode, bytes.fromhex(key), iv and bytes.fromhex(iv), bytes.fromhex(pt))
        assert got.hex() == ct, (mode, bits)


def test_cavp_aes_files_present_and_consistent():
    n = 0
    for mode in ("ECB", "CBC"):
        for kind in ("KAT", "MMT"):
            for name, dec, key, iv, pt, ct in aes_cavp_records(mode, kind):
                assert _enc(mode, key, iv, pt) == ct, name
                n += 1
    assert n > 4000


def test_cavp_sha2_files_present_and_consistent():
    for bits, algo in ((224, hashes.SHA224), (256, hashes.SHA256)):
        count = 0
        for kind in ("Short", "Long"):
            for msg, md in sha2_cavp_records(bits, kind):
                h = hashes.Hash(algo())
                h.update(msg)
                assert h.finalize() == md
                count += 1
        assert count > 100


def test_rfc4231_present_and_consistent():
    for bits, algo in ((224, hashes.SHA224), (256, hashes.SHA256)):
        recs = list(hmac_rfc4231_records(bits))
        assert len(recs) >= 6
        for key, msg, mac in recs:
            h = hmac.HMAC(key, algo())
            h.update(msg)
            assert h.finalize() == mac
