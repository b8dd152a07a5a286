"""Reference model of one accelerator request, on the `cryptography` package.

Given a session, an opcode, the IV and the source bytes, returns what the accelerator must
produce: status, destination bytes, digest bytes. It is the golden model of the RTL tests and
the core of the software datapath. It applies the same checks as the RTL, in the same order,
so even the error statuses of malformed requests must agree.
"""
from __future__ import annotations

import hashlib
import hmac as std_hmac
from dataclasses import dataclass

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from bridge import abi
from bridge.accel_abi import DIGEST_BYTES, HASH_BITS, Session


@dataclass(frozen=True)
class Outcome:
    status: int
    error_detail: int = abi.ERROR_DETAIL_NONE
    dst: bytes = b""
    digest: bytes = b""

    @property
    def bytes_written(self) -> int:
        return len(self.dst) + len(self.digest) if self.status == abi.STATUS_OK else 0


def _fail(status: int, detail: int) -> Outcome:
    return Outcome(status, detail)


def _cipher(s: Session, iv: bytes, data: bytes) -> bytes:
    mode = {abi.CIPHER_ALG_AES_ECB: lambda: modes.ECB(), abi.CIPHER_ALG_AES_CBC: lambda: modes.CBC(iv),
            abi.CIPHER_ALG_AES_CTR: lambda: modes.CTR(iv)}[s.cipher_alg]()
    c = Cipher(algorithms.AES(s.key), mode)
    op = c.decryptor() if s.decrypt else c.encryptor()
    return op.update(data) + op.finalize()


def _digest(s: Session, data: bytes, keyed: bool) -> bytes:
    name = f"sha{HASH_BITS[s.hash_alg]}"
    if keyed:
        d = std_hmac.new(s.hmac_key or b"", data, name).digest()
    else:
        d = hashlib.new(name, data).digest()
    return d[: s.digest_len]


def run_request(s: Session, opcode: int, iv: bytes, src: bytes) -> Outcome:
    need_cipher = opcode in (abi.OPCODE_CIPHER, abi.OPCODE_CHAIN)
    need_hash = opcode in (abi.OPCODE_HASH, abi.OPCODE_MAC, abi.OPCODE_CHAIN)
    keyed = opcode in (abi.OPCODE_MAC, abi.OPCODE_CHAIN)
    if not (need_cipher or need_hash):
        return _fail(abi.STATUS_NOTSUPP, abi.ERROR_DETAIL_BAD_OPCODE)
    if need_cipher and s.cipher_alg not in (abi.CIPHER_ALG_AES_ECB, abi.CIPHER_ALG_AES_CBC, abi.CIPHER_ALG_AES_CTR):
        return _fail(abi.STATUS_NOTSUPP, abi.ERROR_DETAIL_BAD_ALGORITHM)
    if need_hash and s.hash_alg not in HASH_BITS:
        return _fail(abi.STATUS_NOTSUPP, abi.ERROR_DETAIL_BAD_ALGORITHM)
    if opcode == abi.OPCODE_CHAIN and s.chain_order not in (abi.CHAIN_ORDER_CIPHER_THEN_HASH,
                                                            abi.CHAIN_ORDER_HASH_THEN_CIPHER):
        return _fail(abi.STATUS_NOTSUPP, abi.ERROR_DETAIL_BAD_ALGORITHM)
    if ((need_cipher and len(s.key) not in (16, 24, 32))
            or (need_cipher and s.cipher_alg != abi.CIPHER_ALG_AES_CTR and len(src) % 16)
            or (need_hash and not 1 <= s.digest_len <= DIGEST_BYTES[s.hash_alg])
            or len(src) > abi.DEV_MAX_REQUEST_BYTES):
        return _fail(abi.STATUS_ERR, abi.ERROR_DETAIL_BAD_LENGTH)
    dst = _cipher(s, iv, src) if need_cipher else b""
    digest = b""
    if need_hash:
        hashed = dst if (opcode == abi.OPCODE_CHAIN and s.chain_order == abi.CHAIN_ORDER_CIPHER_THEN_HASH) else src
        digest = _digest(s, hashed, keyed)
    return Outcome(abi.STATUS_OK, abi.ERROR_DETAIL_NONE, dst, digest)
