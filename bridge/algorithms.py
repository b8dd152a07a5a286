"""The one vocabulary of algorithms and operations, and the one translation between the virtio
numbering (bridge/virtio_crypto.py) and the accelerator's ABI numbering (bridge/abi.py,
generated from firmware/abi.toml): names, digest sizes, IV sizes and ABI codes live here and
nowhere else in the bridge."""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from cryptography.hazmat.primitives.ciphers import modes

from bridge import abi
from bridge import virtio_crypto as vc


class OpKind(str, Enum):
    """What a data request asks for (the opcode, and for CIPHER requests the op_type)."""
    CIPHER = "cipher"
    CHAIN = "chain"            # cipher + hash/HMAC in one request (algorithm chaining)
    HASH = "hash"
    MAC = "mac"
    AEAD = "aead"


@dataclass(frozen=True)
class CipherAlg:
    name: str                  # "cbc": also the name of its `cryptography` mode
    abi: int                   # CIPHER_ALG_* of the accelerator
    iv_len: int                # 0: the IV is ignored
    whole_blocks: bool         # the data must be a multiple of 16 bytes

    def mode(self, iv: bytes):
        return {"ecb": modes.ECB, "cbc": modes.CBC, "ctr": modes.CTR}[self.name](*((iv,) if self.iv_len else ()))


@dataclass(frozen=True)
class HashAlg:
    name: str                  # hashlib / hmac name
    bits: int
    digest_len: int
    abi: int                   # HASH_ALG_* of the accelerator


CIPHERS = {vc.CIPHER_AES_ECB: CipherAlg("ecb", abi.CIPHER_ALG_AES_ECB, 0, True),
           vc.CIPHER_AES_CBC: CipherAlg("cbc", abi.CIPHER_ALG_AES_CBC, 16, True),
           vc.CIPHER_AES_CTR: CipherAlg("ctr", abi.CIPHER_ALG_AES_CTR, 16, False)}
HASHES = {vc.HASH_SHA_224: HashAlg("sha224", 224, 28, abi.HASH_ALG_SHA_224),
          vc.HASH_SHA_256: HashAlg("sha256", 256, 32, abi.HASH_ALG_SHA_256)}
MACS = {vc.MAC_HMAC_SHA_224: HASHES[vc.HASH_SHA_224],          # HMAC over that hash
        vc.MAC_HMAC_SHA_256: HASHES[vc.HASH_SHA_256]}
CIPHER_BY_ABI = {c.abi: c for c in CIPHERS.values()}
HASH_BY_ABI = {h.abi: h for h in HASHES.values()}

AES_KEY_LENGTHS = (16, 24, 32)
GCM_IV_LEN = 12
GCM_TAG_LENGTHS = (4, 8, 12, 13, 14, 15, 16)      # SP 800-38D 5.2.1.2 (Linux: crypto_gcm_check_authsize)

CHAIN_ORDERS = {vc.ALG_CHAIN_HASH_THEN_CIPHER: abi.CHAIN_ORDER_HASH_THEN_CIPHER,
                vc.ALG_CHAIN_CIPHER_THEN_HASH: abi.CHAIN_ORDER_CIPHER_THEN_HASH}
ABI_OPCODES = {OpKind.CIPHER: abi.OPCODE_CIPHER, OpKind.CHAIN: abi.OPCODE_CHAIN, OpKind.HASH: abi.OPCODE_HASH,
               OpKind.MAC: abi.OPCODE_MAC}

# A completion's status is a virtio status: the ABI uses the same numbers (checked at import).
for _name in ("OK", "ERR", "BADMSG", "NOTSUPP", "INVSESS"):
    assert getattr(abi, "STATUS_" + _name) == getattr(vc, _name), f"ABI status {_name} is not virtio's"
