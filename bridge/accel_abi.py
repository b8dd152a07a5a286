"""Build and parse the accelerator's in-memory structures (submission entries, session
contexts, completion entries) from the generated layout in bridge/abi.py."""
from __future__ import annotations

from dataclasses import dataclass

from bridge import abi
from bridge.sha2_state import hmac_states

DIGEST_BYTES = {abi.HASH_ALG_SHA_224: 28, abi.HASH_ALG_SHA_256: 32}
HASH_BITS = {abi.HASH_ALG_SHA_224: 224, abi.HASH_ALG_SHA_256: 256}


def _pack(size: int, layout: dict[str, tuple[int, int]], **values) -> bytes:
    buf = bytearray(size)
    for name, value in values.items():
        off, n = layout[name]
        raw = value if isinstance(value, (bytes, bytearray)) else int(value).to_bytes(n, "little")
        if len(raw) > n:
            raise ValueError(f"{name}: {len(raw)} bytes do not fit in {n}")
        buf[off:off + len(raw)] = raw
    return bytes(buf)


def _field(raw: bytes, layout: dict[str, tuple[int, int]], name: str) -> int:
    off, n = layout[name]
    return int.from_bytes(raw[off:off + n], "little")


def encode_sqe(opcode: int, cookie: int, ctx_addr: int, src_addr: int, src_len: int,
               dst_addr: int = 0, digest_addr: int = 0, iv: bytes = b"") -> bytes:
    return _pack(abi.SQE_BYTES, abi.SQE_FIELDS, opcode=opcode, cookie=cookie, ctx_addr=ctx_addr,
                 src_addr=src_addr, src_len=src_len, dst_addr=dst_addr, digest_addr=digest_addr,
                 iv=iv.ljust(16, b"\0"))


@dataclass(frozen=True)
class Session:
    """What a session context holds; `hmac_key` is turned into inner/outer states here."""
    cipher_alg: int = abi.CIPHER_ALG_NONE
    decrypt: bool = False
    key: bytes = b""
    hash_alg: int = abi.HASH_ALG_NONE
    digest_len: int = 0
    chain_order: int = 0
    hmac_key: bytes | None = None

    def context(self) -> bytes:
        inner = outer = b""
        if self.hmac_key is not None and self.hash_alg in HASH_BITS:
            inner, outer = hmac_states(self.hmac_key, HASH_BITS[self.hash_alg])
        return _pack(abi.CTX_BYTES, abi.CTX_FIELDS, cipher_alg=self.cipher_alg,
                     cipher_dir=int(self.decrypt), key_len=len(self.key), hash_alg=self.hash_alg,
                     digest_len=self.digest_len, chain_order=self.chain_order, key=self.key,
                     inner_state=inner, outer_state=outer)


@dataclass(frozen=True)
class Completion:
    cookie: int
    bytes_written: int
    status: int
    queue: int
    error_detail: int
    phase: int


def decode_cqe(raw: bytes) -> Completion:
    f = {name: _field(raw, abi.CQE_FIELDS, name) for name in abi.CQE_FIELDS}
    return Completion(f["cookie"], f["bytes_written"], f["status"], f["queue"], f["error_detail"],
                      f["phase"] & 1)
