"""The accelerator's reference model for one request: what the RTL must produce (status, error
detail, destination and digest bytes) for a context, an opcode, an IV and a source.

It applies the accelerator's own checks, in the RTL's order, so even the error details of
malformed requests must agree (firmware/ABI.md); the cryptography itself is the one reference
model of the project, `bridge.datapath.soft_compute`, reached through the one translation
table (bridge/algorithms.py). It is the golden model of the RTL testbenches.
"""
from __future__ import annotations

from dataclasses import dataclass

from bridge import abi
from bridge import virtio_crypto as vc
from bridge.accel_abi import Context
from bridge.algorithms import (AES_KEY_LENGTHS, CIPHER_BY_ABI, CIPHERS, GCM_TAG_LENGTHS, HASH_BY_ABI, HASHES, MACS,
                               OpKind)
from bridge.datapath import CryptoOp, soft_compute
from bridge.session import Session

KIND_OF_OPCODE = {abi.OPCODE_CIPHER: OpKind.CIPHER, abi.OPCODE_CHAIN: OpKind.CHAIN, abi.OPCODE_HASH: OpKind.HASH,
                  abi.OPCODE_MAC: OpKind.MAC, abi.OPCODE_AEAD: OpKind.AEAD}
_VIRTIO_CIPHER = {alg.abi: v for v, alg in CIPHERS.items() if alg.abi is not None}
_VIRTIO_HASH = {alg.abi: v for v, alg in HASHES.items() if alg.abi is not None}
_VIRTIO_MAC = {alg.abi: v for v, alg in MACS.items() if alg.abi is not None}
_VIRTIO_ORDER = {abi.CHAIN_ORDER_HASH_THEN_CIPHER: vc.ALG_CHAIN_HASH_THEN_CIPHER,
                 abi.CHAIN_ORDER_CIPHER_THEN_HASH: vc.ALG_CHAIN_CIPHER_THEN_HASH}


@dataclass(frozen=True)
class Outcome:
    status: int
    error_detail: int = abi.ERROR_DETAIL_NONE
    dst: bytes = b""
    digest: bytes = b""

    @property
    def bytes_written(self) -> int:
        return len(self.dst) + len(self.digest) if self.status == abi.STATUS_OK else 0


def run_request(c: Context, opcode: int, iv: bytes, src: bytes, aad: bytes = b"", tag: bytes = b"") -> Outcome:
    """AEAD: `src` is the text (a ciphertext without its tag), `tag` the expected tag
    (decrypting); encrypting, the outcome's digest is the tag."""
    kind = KIND_OF_OPCODE.get(opcode)
    if kind is None:
        return Outcome(abi.STATUS_NOTSUPP, abi.ERROR_DETAIL_BAD_OPCODE)
    if kind == OpKind.AEAD:
        return _run_aead(c, iv, src, aad, tag)
    need_cipher = kind in (OpKind.CIPHER, OpKind.CHAIN)
    need_hash = kind != OpKind.CIPHER
    if need_cipher and c.cipher_alg not in CIPHER_BY_ABI:
        return Outcome(abi.STATUS_NOTSUPP, abi.ERROR_DETAIL_BAD_ALGORITHM)
    if need_hash and c.hash_alg not in HASH_BY_ABI:
        return Outcome(abi.STATUS_NOTSUPP, abi.ERROR_DETAIL_BAD_ALGORITHM)
    if kind == OpKind.CHAIN and c.chain_order not in _VIRTIO_ORDER:
        return Outcome(abi.STATUS_NOTSUPP, abi.ERROR_DETAIL_BAD_ALGORITHM)
    cipher = CIPHER_BY_ABI.get(c.cipher_alg)
    if ((need_cipher and len(c.key) not in cipher.key_lengths)
            or (need_cipher and cipher.whole_blocks and len(src) % 16)
            or (need_cipher and len(src) < cipher.min_len)
            or (need_hash and not 1 <= c.digest_len <= HASH_BY_ABI[c.hash_alg].digest_len)
            or len(src) > abi.DEV_MAX_REQUEST_BYTES):
        return Outcome(abi.STATUS_ERR, abi.ERROR_DETAIL_BAD_LENGTH)
    # the accelerator chains over the whole source (no offsets, no AAD), HMAC only
    s = Session(vc.SERVICE_CIPHER if need_cipher else (vc.SERVICE_MAC if kind == OpKind.MAC else vc.SERVICE_HASH),
                cipher_algo=_VIRTIO_CIPHER.get(c.cipher_alg, 0), cipher_key=bytearray(c.key),
                cipher_op=vc.OP_DECRYPT if c.decrypt else vc.OP_ENCRYPT, chaining=kind == OpKind.CHAIN,
                chain_order=_VIRTIO_ORDER.get(c.chain_order, 0), hash_mode=vc.SYM_HASH_MODE_AUTH,
                hash_algo=(_VIRTIO_HASH if kind == OpKind.HASH else _VIRTIO_MAC).get(c.hash_alg, 0),
                hash_result_len=c.digest_len, auth_key=bytearray(c.hmac_key or b""))
    op = CryptoOp(kind, iv=iv, src=src, dst_len=len(src), hash_result_len=c.digest_len,
                  len_to_cipher=len(src), len_to_hash=len(src))
    res = soft_compute(s, op)
    s.wipe()
    if res.status != vc.OK:          # the accelerator accepts what the checks above accept
        raise AssertionError(f"reference model refused a request the accelerator accepts: status {res.status}")
    return Outcome(abi.STATUS_OK, abi.ERROR_DETAIL_NONE, res.dst, res.hash_result)


def _run_aead(c: Context, iv: bytes, text: bytes, aad: bytes, tag: bytes) -> Outcome:
    """AES-GCM with the accelerator's checks, in the RTL's order (firmware/ABI.md "AEAD")."""
    if c.cipher_alg != abi.CIPHER_ALG_AES_GCM:
        return Outcome(abi.STATUS_NOTSUPP, abi.ERROR_DETAIL_BAD_ALGORITHM)
    if (len(c.key) not in AES_KEY_LENGTHS or c.digest_len not in GCM_TAG_LENGTHS
            or len(text) > abi.DEV_MAX_REQUEST_BYTES or len(aad) > abi.DEV_MAX_REQUEST_BYTES):
        return Outcome(abi.STATUS_ERR, abi.ERROR_DETAIL_BAD_LENGTH)
    s = Session(vc.SERVICE_AEAD, aead_algo=vc.AEAD_GCM, aead_key=bytearray(c.key), tag_len=c.digest_len,
                aead_op=vc.OP_DECRYPT if c.decrypt else vc.OP_ENCRYPT)
    # the device compares the first digest_len bytes of the tag beat; a shorter tag is zero-padded
    src = text + bytes(tag[:c.digest_len]).ljust(c.digest_len, b"\0") if c.decrypt else text
    op = CryptoOp(OpKind.AEAD, encrypt=not c.decrypt, iv=bytes(iv[:12]), src=src, aad=aad,
                  dst_len=len(text) + c.digest_len)
    res = soft_compute(s, op)
    s.wipe()
    if res.status == vc.BADMSG:
        return Outcome(abi.STATUS_BADMSG)
    if res.status != vc.OK:
        raise AssertionError(f"reference model refused a request the accelerator accepts: status {res.status}")
    n = len(text)
    return Outcome(abi.STATUS_OK, abi.ERROR_DETAIL_NONE, res.dst[:n], res.dst[n:])
