"""A crypto session, one type from parse to wipe, and the rules every session follows.

The control queue (device.py) and the vhost-user front end (vhost_user.py) decode their own
wire layouts and hand the fields to `symmetric_session` (CIPHER, chaining) or build a HASH, MAC
or AEAD session directly; `check_session` says whether a datapath can serve it. The device owns
sessions by id, a datapath serves them (the rtl datapath keeps each one's context in the
accelerator's shared memory: `context`). Keys are bytearrays, read straight from the wire into
them, and zeroed by `wipe()` when the session ends."""
from __future__ import annotations

import hmac
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

from bridge import virtio_crypto as vc
from bridge.algorithms import AES_KEY_LENGTHS, CIPHERS, GCM_TAG_LENGTHS, HASHES, MACS, OpKind

if TYPE_CHECKING:
    from bridge.datapath import Capabilities


@dataclass(eq=False)            # identity, not value: two sessions with equal keys are two sessions
class Session:
    service: int
    cipher_algo: int = 0
    cipher_key: bytearray = field(default_factory=bytearray)
    cipher_op: int = 0                  # OP_ENCRYPT / OP_DECRYPT
    chaining: bool = False
    chain_order: int = 0
    hash_mode: int = 0
    hash_algo: int = 0                  # HASH_* for plain hashing, MAC_* for HMAC
    hash_result_len: int = 0
    auth_key: bytearray = field(default_factory=bytearray)
    aad_len: int = 0
    aead_algo: int = 0
    aead_key: bytearray = field(default_factory=bytearray)
    tag_len: int = 0
    aead_op: int = 0
    # its life
    id: int = -1                        # the device's session id, once created
    context: int = -1                   # rtl: offset of its accelerator context in the shared segment
    inflight: int = 0                   # requests a datapath holds for it
    closed: bool = False                # destroyed by the driver (its context goes after the last request)

    @property
    def kind(self) -> OpKind:
        """The data requests it serves."""
        if self.service == vc.SERVICE_CIPHER:
            return OpKind.CHAIN if self.chaining else OpKind.CIPHER
        return {vc.SERVICE_HASH: OpKind.HASH, vc.SERVICE_MAC: OpKind.MAC, vc.SERVICE_AEAD: OpKind.AEAD}[self.service]

    @property
    def encrypt(self) -> bool:
        return (self.aead_op if self.service == vc.SERVICE_AEAD else self.cipher_op) == vc.OP_ENCRYPT

    def wipe(self) -> None:
        for k in (self.cipher_key, self.auth_key, self.aead_key):
            k[:] = bytes(len(k))


def symmetric_session(caps: Capabilities, op_type: int, cipher_algo: int, key_len: int, cipher_op: int,
                      read_key: Callable[[int], bytearray], *, chain_order: int = 0, hash_mode: int = 0,
                      hash_algo: int = 0, hash_result_len: int = 0, auth_key_len: int = 0, aad_len: int = 0,
                      read_auth_key: Callable[[int], bytearray] | None = None) -> tuple[int, Session | None]:
    """A CIPHER-service session (plain cipher, or algorithm chaining) from its decoded fields:
    (OK, session), or the create status and None. Lengths are checked against the device's
    limits before a key byte is read (`read_key(n)` / `read_auth_key(n)` read from the wire into
    a new bytearray); an auth key counts only in AUTH hash mode. A cipher the device does not
    offer is NOTSUPP whatever its key length (an XTS key of 64 bytes on the rtl datapath, whose
    max_cipher_key_len is 32, too)."""
    if op_type not in (vc.SYM_OP_CIPHER, vc.SYM_OP_ALGORITHM_CHAINING):
        return vc.NOTSUPP, None
    chaining = op_type == vc.SYM_OP_ALGORITHM_CHAINING
    if chaining and hash_mode == vc.SYM_HASH_MODE_NESTED:
        return vc.NOTSUPP, None
    if cipher_algo not in caps.cipher:
        return vc.NOTSUPP, None     # before the key length: max_cipher_key_len is of the ciphers offered
    if not chaining or hash_mode != vc.SYM_HASH_MODE_AUTH:
        auth_key_len = 0
    if key_len > caps.max_cipher_key_len or auth_key_len > caps.max_auth_key_len:
        return vc.ERR, None
    s = Session(vc.SERVICE_CIPHER, cipher_algo=cipher_algo, cipher_key=read_key(key_len), cipher_op=cipher_op)
    if chaining:
        s.chaining, s.chain_order, s.hash_mode, s.hash_algo = True, chain_order, hash_mode, hash_algo
        s.hash_result_len, s.aad_len = hash_result_len, aad_len
        if auth_key_len:
            s.auth_key = read_auth_key(auth_key_len)
    return vc.OK, s


def check_session(caps: Capabilities, s: Session) -> int:
    """OK, or the create status for a session these capabilities cannot serve (NOTSUPP / ERR)."""
    if s.service == vc.SERVICE_CIPHER:
        if s.cipher_algo not in caps.cipher:
            return vc.NOTSUPP
        alg = CIPHERS[s.cipher_algo]
        if len(s.cipher_key) not in alg.key_lengths or s.cipher_op not in (vc.OP_ENCRYPT, vc.OP_DECRYPT):
            return vc.ERR
        if alg.split_key and _halves_equal(s.cipher_key):
            return vc.ERR       # XTS with K1 == K2 (Linux xts_verify_key; IEEE 1619-2018 5.1)
        if s.chaining:
            if s.hash_mode not in caps.chain_hash_modes:
                return vc.NOTSUPP
            offered, algs = (caps.mac, MACS) if s.hash_mode == vc.SYM_HASH_MODE_AUTH else (caps.hash, HASHES)
            if s.hash_algo not in offered or s.chain_order not in (vc.ALG_CHAIN_HASH_THEN_CIPHER,
                                                                   vc.ALG_CHAIN_CIPHER_THEN_HASH):
                return vc.NOTSUPP
            if not 1 <= s.hash_result_len <= algs[s.hash_algo].digest_len:
                return vc.ERR
    elif s.service in (vc.SERVICE_HASH, vc.SERVICE_MAC):
        offered, algs = (caps.hash, HASHES) if s.service == vc.SERVICE_HASH else (caps.mac, MACS)
        if s.hash_algo not in offered:
            return vc.NOTSUPP
        if not 1 <= s.hash_result_len <= algs[s.hash_algo].digest_len:
            return vc.ERR
    elif s.service == vc.SERVICE_AEAD:
        if s.aead_algo not in caps.aead:
            return vc.NOTSUPP
        if len(s.aead_key) not in AES_KEY_LENGTHS or s.tag_len not in GCM_TAG_LENGTHS \
                or s.aead_op not in (vc.OP_ENCRYPT, vc.OP_DECRYPT):
            return vc.ERR
    else:
        return vc.NOTSUPP
    return vc.OK


def _halves_equal(key: bytearray) -> bool:
    """K1 == K2 of a split key, compared in place (no copy of either half) and in constant time."""
    half = len(key) // 2
    with memoryview(key) as m:
        return hmac.compare_digest(m[:half], m[half:])
