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


AES_KEY_LENGTHS = (16, 24, 32)
XTS_KEY_LENGTHS = (32, 64)       # K1 || K2: XTS-AES-128 / XTS-AES-256 (IEEE 1619, SP 800-38E; no AES-192)


@dataclass(frozen=True)
class CipherAlg:
    name: str                  # "cbc": also the name of its `cryptography` mode
    abi: int | None            # CIPHER_ALG_* of the accelerator; None: the accelerator does not serve it
    iv_len: int                # 0: the IV is ignored
    whole_blocks: bool         # the data must be a multiple of 16 bytes
    key_lengths: tuple[int, ...] = AES_KEY_LENGTHS
    min_len: int = 0           # the shortest data (XTS: one block, then ciphertext stealing)
    split_key: bool = False    # the key is K1 || K2 (XTS), and K1 == K2 is refused

    def mode(self, iv: bytes):
        return {"ecb": modes.ECB, "cbc": modes.CBC, "ctr": modes.CTR,
                "xts": modes.XTS}[self.name](*((iv,) if self.iv_len else ()))


@dataclass(frozen=True)
class HashAlg:
    name: str                  # hashlib / hmac name
    bits: int
    digest_len: int
    abi: int | None            # HASH_ALG_* of the accelerator; None: the accelerator does not serve it


# The rtl datapath offers what has an accelerator ABI code (firmware/abi.toml), `ACCEL_*` below.
CIPHERS = {vc.CIPHER_AES_ECB: CipherAlg("ecb", abi.CIPHER_ALG_AES_ECB, 0, True),
           vc.CIPHER_AES_CBC: CipherAlg("cbc", abi.CIPHER_ALG_AES_CBC, 16, True),
           vc.CIPHER_AES_CTR: CipherAlg("ctr", abi.CIPHER_ALG_AES_CTR, 16, False),
           vc.CIPHER_AES_XTS: CipherAlg("xts", abi.CIPHER_ALG_AES_XTS, 16, False, XTS_KEY_LENGTHS, min_len=16,
                                                 split_key=True)}
HASHES = {vc.HASH_SHA_224: HashAlg("sha224", 224, 28, abi.HASH_ALG_SHA_224),
          vc.HASH_SHA_256: HashAlg("sha256", 256, 32, abi.HASH_ALG_SHA_256),
          vc.HASH_SHA_384: HashAlg("sha384", 384, 48, abi.HASH_ALG_SHA_384),
          vc.HASH_SHA_512: HashAlg("sha512", 512, 64, abi.HASH_ALG_SHA_512)}
MACS = {vc.MAC_HMAC_SHA_224: HASHES[vc.HASH_SHA_224],          # HMAC over that hash
        vc.MAC_HMAC_SHA_256: HASHES[vc.HASH_SHA_256],
        vc.MAC_HMAC_SHA_384: HASHES[vc.HASH_SHA_384],
        vc.MAC_HMAC_SHA_512: HASHES[vc.HASH_SHA_512]}
CIPHER_BY_ABI = {c.abi: c for c in CIPHERS.values() if c.abi is not None}
HASH_BY_ABI = {h.abi: h for h in HASHES.values() if h.abi is not None}
ACCEL_CIPHERS = {v for v, c in CIPHERS.items() if c.abi is not None}      # what the accelerator serves
ACCEL_HASHES = {v for v, h in HASHES.items() if h.abi is not None}
ACCEL_MACS = {v for v, h in MACS.items() if h.abi is not None}


def max_key_len(ciphers: set[int]) -> int:
    """The longest key of these cipher algorithms (a datapath's `max_cipher_key_len`): 32 for
    AES, 64 once XTS-AES-256 (K1 || K2) is offered."""
    return max((max(CIPHERS[c].key_lengths) for c in ciphers), default=max(AES_KEY_LENGTHS))


GCM_IV_LEN = 12
GCM_TAG_LENGTHS = (4, 8, 12, 13, 14, 15, 16)      # SP 800-38D 5.2.1.2 (Linux: crypto_gcm_check_authsize)
AEADS = {vc.AEAD_GCM: abi.CIPHER_ALG_AES_GCM}      # virtio AEAD algorithm -> the accelerator's cipher_alg
ACCEL_AEADS = set(AEADS)

CHAIN_ORDERS = {vc.ALG_CHAIN_HASH_THEN_CIPHER: abi.CHAIN_ORDER_HASH_THEN_CIPHER,
                vc.ALG_CHAIN_CIPHER_THEN_HASH: abi.CHAIN_ORDER_CIPHER_THEN_HASH}
ABI_OPCODES = {OpKind.CIPHER: abi.OPCODE_CIPHER, OpKind.CHAIN: abi.OPCODE_CHAIN, OpKind.HASH: abi.OPCODE_HASH,
               OpKind.MAC: abi.OPCODE_MAC, OpKind.AEAD: abi.OPCODE_AEAD}

# A completion's status is a virtio status: the ABI uses the same numbers (checked at import).
for _name in ("OK", "ERR", "BADMSG", "NOTSUPP", "INVSESS"):
    assert getattr(abi, "STATUS_" + _name) == getattr(vc, _name), f"ABI status {_name} is not virtio's"
