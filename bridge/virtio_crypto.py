"""virtio-crypto wire format (device ID 20): constants and the legacy (non-REVISION_1) padded
layouts that Linux and QEMU use. Values and offsets as in the final spec / Linux
include/uapi/linux/virtio_crypto.h (see ../shared/reference/virtio-crypto-device.md)."""
from __future__ import annotations

import struct

VIRTIO_ID_CRYPTO = 20

# generic virtio feature bits the device offers
VIRTIO_F_INDIRECT_DESC = 28
VIRTIO_F_EVENT_IDX = 29
VIRTIO_F_VERSION_1 = 32
# device-specific
VIRTIO_CRYPTO_F_REVISION_1 = 0
# stateless mode per service (final spec; the v16-v22 drafts' "non-session"/"mux" bits): each needs REVISION_1
VIRTIO_CRYPTO_F_CIPHER_STATELESS_MODE = 1
VIRTIO_CRYPTO_F_HASH_STATELESS_MODE = 2
VIRTIO_CRYPTO_F_MAC_STATELESS_MODE = 3
VIRTIO_CRYPTO_F_AEAD_STATELESS_MODE = 4

# device status bits (virtio 1.x, 2.1)
ACKNOWLEDGE, DRIVER, DRIVER_OK, FEATURES_OK, DEVICE_NEEDS_RESET, FAILED = 1, 2, 4, 8, 64, 128
VIRTIO_CRYPTO_S_HW_READY = 1

# services (bit numbers in crypto_services)
SERVICE_CIPHER, SERVICE_HASH, SERVICE_MAC, SERVICE_AEAD, SERVICE_AKCIPHER = 0, 1, 2, 3, 4

# algorithms (value == bit number in the config masks)
CIPHER_AES_ECB, CIPHER_AES_CBC, CIPHER_AES_CTR = 2, 3, 4
CIPHER_AES_XTS = 13
HASH_SHA_224, HASH_SHA_256, HASH_SHA_384, HASH_SHA_512 = 3, 4, 5, 6
MAC_HMAC_SHA_224, MAC_HMAC_SHA_256, MAC_HMAC_SHA_384, MAC_HMAC_SHA_512 = 3, 4, 5, 6
AEAD_GCM = 1

# cipher direction, op_type, chaining
OP_ENCRYPT, OP_DECRYPT = 1, 2
SYM_OP_NONE, SYM_OP_CIPHER, SYM_OP_ALGORITHM_CHAINING = 0, 1, 2
ALG_CHAIN_HASH_THEN_CIPHER, ALG_CHAIN_CIPHER_THEN_HASH = 1, 2
SYM_HASH_MODE_PLAIN, SYM_HASH_MODE_AUTH, SYM_HASH_MODE_NESTED = 1, 2, 3

# status
OK, ERR, BADMSG, NOTSUPP, INVSESS, NOSPC, KEY_REJECTED = 0, 1, 2, 3, 4, 5, 6


def opcode(service: int, op: int) -> int:
    return (service << 8) | op


CIPHER_CREATE_SESSION = opcode(SERVICE_CIPHER, 0x02)
CIPHER_DESTROY_SESSION = opcode(SERVICE_CIPHER, 0x03)
HASH_CREATE_SESSION = opcode(SERVICE_HASH, 0x02)
HASH_DESTROY_SESSION = opcode(SERVICE_HASH, 0x03)
MAC_CREATE_SESSION = opcode(SERVICE_MAC, 0x02)
MAC_DESTROY_SESSION = opcode(SERVICE_MAC, 0x03)
AEAD_CREATE_SESSION = opcode(SERVICE_AEAD, 0x02)
AEAD_DESTROY_SESSION = opcode(SERVICE_AEAD, 0x03)
AKCIPHER_CREATE_SESSION = opcode(SERVICE_AKCIPHER, 0x04)
AKCIPHER_DESTROY_SESSION = opcode(SERVICE_AKCIPHER, 0x05)
CIPHER_ENCRYPT = opcode(SERVICE_CIPHER, 0x00)
CIPHER_DECRYPT = opcode(SERVICE_CIPHER, 0x01)
HASH = opcode(SERVICE_HASH, 0x00)
MAC = opcode(SERVICE_MAC, 0x00)
AEAD_ENCRYPT = opcode(SERVICE_AEAD, 0x00)
AEAD_DECRYPT = opcode(SERVICE_AEAD, 0x01)
AKCIPHER_ENCRYPT = opcode(SERVICE_AKCIPHER, 0x00)

DESTROY_OPCODES = {CIPHER_DESTROY_SESSION, HASH_DESTROY_SESSION, MAC_DESTROY_SESSION,
                   AEAD_DESTROY_SESSION, AKCIPHER_DESTROY_SESSION}

# ---------------------------------------------------------------- layouts
CONFIG = struct.Struct("<12IQ")           # struct virtio_crypto_config, 56 bytes
CTRL_HDR = struct.Struct("<4I")           # opcode, algo, flag, queue_id
CTRL_REQ_LEN = 72                         # header + 56-byte padded union
SESSION_INPUT = struct.Struct("<QII")     # session_id, status (le32), padding
OP_HDR = struct.Struct("<IIQII")          # opcode, algo, session_id, flag, padding
DATA_REQ_LEN = 72

# control union (offsets absolute in the 72-byte request)
CIPHER_PARA = struct.Struct("<4I")        # algo, keylen, op, pad           @16
CHAIN_PARA = struct.Struct("<IIIIII4III")  # order, hash_mode, c.algo, c.keylen, c.op, c.pad,
                                          # hash union (4 words), aad_len, pad   @16 (48 bytes)
OP_TYPE_OFF = 64
HASH_SESS = struct.Struct("<II")          # algo, hash_result_len          @16
MAC_SESS = struct.Struct("<III")          # algo, hash_result_len, auth_key_len @16
AEAD_SESS = struct.Struct("<5I")          # algo, key_len, tag_len, aad_len, op  @16
DESTROY = struct.Struct("<Q")             # session_id                     @16

# data union @24
CIPHER_DATA = struct.Struct("<4I")        # iv_len, src_data_len, dst_data_len, pad
CHAIN_DATA = struct.Struct("<10I")        # iv_len, src, dst, cipher_start, len_to_cipher,
                                          # hash_start, len_to_hash, aad_len, hash_result_len, rsvd
HASH_DATA = struct.Struct("<II")          # src_data_len, hash_result_len (also MAC)
AEAD_DATA = struct.Struct("<4I")          # iv_len, aad_len, src_data_len, dst_data_len


def cipher_data_fixed(iv_len: int, src_len: int, dst_len: int) -> bytes:
    """The 48-byte fixed part of a plain cipher data request (after the 24-byte header):
    CIPHER_DATA padded to the 40-byte union, then op_type SYM_OP_CIPHER at OP_TYPE_OFF, padding."""
    return CIPHER_DATA.pack(iv_len, src_len, dst_len, 0).ljust(OP_TYPE_OFF - OP_HDR.size, b"\0") + \
        struct.pack("<II", SYM_OP_CIPHER, 0)

# stateless data requests (REVISION_1 + the service's STATELESS_MODE bit, flag without SESSION_MODE):
# the session's parameters travel in the fixed part, its keys first in the variable part
FLAG_SESSION_MODE = 1
HASH_DATA_STATELESS = struct.Struct("<4I")    # algo, src_data_len, hash_result_len, reserved  (src)
MAC_DATA_STATELESS = struct.Struct("<4I")     # algo, auth_key_len, src_data_len, hash_result_len  (auth_key, src)
CIPHER_DATA_STATELESS = struct.Struct("<6I")  # algo, key_len, op, iv_len, src_data_len, dst_data_len  (key, iv, src)
CHAIN_DATA_STATELESS = struct.Struct("<18I")  # order, aad_len, c.algo, c.key_len, c.op, h.algo, h.auth_key_len,
                                              # h.hash_mode, then CHAIN_DATA's 10 words
                                              # (cipher_key, auth_key, iv, aad, src)
SYM_DATA_STATELESS_LEN = 76                   # the 72-byte op_type_flf, then op_type (driver-written)
AEAD_DATA_STATELESS = struct.Struct("<8I")    # algo, key_len, op, iv_len, tag_len, aad_len, src_len, dst_len
                                              # (key, iv, src, aad)
