"""The two datapaths behind the device: `soft` (the `cryptography` package, in process) and
`rtl` (the accelerator process: Verilator-simulated RTL over shared-memory rings).

Both implement the same interface. The device validates a request's layout and looks up the
session; the datapath does the cryptography and answers with a virtio status. Each datapath
states exactly what it implements in `capabilities`, and the device advertises exactly that
in its configuration space.
"""
from __future__ import annotations

import hashlib
import hmac as std_hmac
from collections import deque
from dataclasses import dataclass, field
from typing import Callable, Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from bridge import virtio_crypto as vc


@dataclass
class Capabilities:
    cipher: set[int] = field(default_factory=set)     # virtio cipher algorithm numbers
    hash: set[int] = field(default_factory=set)
    mac: set[int] = field(default_factory=set)
    aead: set[int] = field(default_factory=set)
    chain_hash_modes: set[int] = field(default_factory=set)   # hash modes allowed in chaining
    max_cipher_key_len: int = 32
    max_auth_key_len: int = 512
    max_size: int = 1 << 20                            # bytes of variable data per request

    @property
    def services(self) -> int:
        bits = 0
        for svc, algos in ((vc.SERVICE_CIPHER, self.cipher), (vc.SERVICE_HASH, self.hash),
                           (vc.SERVICE_MAC, self.mac), (vc.SERVICE_AEAD, self.aead)):
            if algos:
                bits |= 1 << svc
        return bits


@dataclass
class SessionParams:
    """Everything a session fixes. Keys are bytearrays so destroy() can wipe them."""
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

    def wipe(self) -> None:
        for k in (self.cipher_key, self.auth_key, self.aead_key):
            for i in range(len(k)):
                k[i] = 0


@dataclass
class CryptoOp:
    kind: str                           # "cipher" | "chain" | "hash" | "mac" | "aead"
    encrypt: bool = True                # from the data opcode (AEAD); cipher uses the session
    iv: bytes = b""
    src: bytes = b""
    aad: bytes = b""
    dst_len: int = 0
    hash_result_len: int = 0
    cipher_start: int = 0
    len_to_cipher: int = 0
    hash_start: int = 0
    len_to_hash: int = 0


@dataclass
class OpResult:
    status: int
    dst: bytes = b""
    hash_result: bytes = b""


Done = Callable[[OpResult], None]


class Datapath(Protocol):
    """What the device needs of a datapath (`SoftDatapath`, `RtlDatapath`, `FailingDatapath`).
    The device has already checked a request's layout, session and fields (`check_request`);
    the datapath computes and answers each request exactly once through its `done` callback,
    from `submit()` or a later `poll()`, never from another thread."""
    name: str
    capabilities: Capabilities            # exactly what it implements (advertised in config space)

    def create_session(self, p: SessionParams) -> tuple[int, int]: ...     # (status, handle)
    def destroy_session(self, handle: int) -> None: ...      # keys wiped once no request uses them
    def submit(self, handle: int, op: CryptoOp, done: Done) -> None: ...
    def inflight(self) -> int: ...                           # requests not answered yet
    def poll(self, timeout: float = 0.0) -> int: ...         # answer what is finished; may wait
    def stats(self) -> dict: ...
    def close(self) -> None: ...

HASH_NAME = {vc.HASH_SHA_224: "sha224", vc.HASH_SHA_256: "sha256"}
MAC_NAME = {vc.MAC_HMAC_SHA_224: "sha224", vc.MAC_HMAC_SHA_256: "sha256"}
DIGEST_LEN = {"sha224": 28, "sha256": 32}
GCM_TAG_LENGTHS = (4, 8, 12, 13, 14, 15, 16)      # SP 800-38D 5.2.1.2 (Linux: crypto_gcm_check_authsize)
GCM_IV_LEN = 12


def session_supported(caps: Capabilities, p: SessionParams) -> int:
    """OK, or the create status for a session the datapath cannot do (NOTSUPP / ERR)."""
    if p.service == vc.SERVICE_CIPHER:
        if p.cipher_algo not in caps.cipher:
            return vc.NOTSUPP
        if len(p.cipher_key) not in vc.AES_KEY_LENGTHS:
            return vc.ERR
        if p.cipher_op not in (vc.OP_ENCRYPT, vc.OP_DECRYPT):
            return vc.ERR
        if p.chaining:
            if p.hash_mode not in caps.chain_hash_modes:
                return vc.NOTSUPP
            names = MAC_NAME if p.hash_mode == vc.SYM_HASH_MODE_AUTH else HASH_NAME
            if p.hash_algo not in names or p.chain_order not in (vc.ALG_CHAIN_HASH_THEN_CIPHER,
                                                                 vc.ALG_CHAIN_CIPHER_THEN_HASH):
                return vc.NOTSUPP
            if not 1 <= p.hash_result_len <= DIGEST_LEN[names[p.hash_algo]]:
                return vc.ERR
    elif p.service == vc.SERVICE_HASH:
        if p.hash_algo not in caps.hash:
            return vc.NOTSUPP
        if not 1 <= p.hash_result_len <= DIGEST_LEN[HASH_NAME[p.hash_algo]]:
            return vc.ERR
    elif p.service == vc.SERVICE_MAC:
        if p.hash_algo not in caps.mac:
            return vc.NOTSUPP
        if not 1 <= p.hash_result_len <= DIGEST_LEN[MAC_NAME[p.hash_algo]]:
            return vc.ERR
    elif p.service == vc.SERVICE_AEAD:
        if p.aead_algo not in caps.aead:
            return vc.NOTSUPP
        if len(p.aead_key) not in vc.AES_KEY_LENGTHS or p.tag_len not in GCM_TAG_LENGTHS \
                or p.aead_op not in (vc.OP_ENCRYPT, vc.OP_DECRYPT):
            return vc.ERR
    else:
        return vc.NOTSUPP
    return vc.OK


# ---------------------------------------------------------------- the cryptography itself
def aes_mode(algo: int, iv: bytes):
    return {vc.CIPHER_AES_ECB: lambda: modes.ECB(), vc.CIPHER_AES_CBC: lambda: modes.CBC(iv),
            vc.CIPHER_AES_CTR: lambda: modes.CTR(iv)}[algo]()


def check_request(p: SessionParams, op: CryptoOp) -> int:
    """The status of a request whose fields the session's algorithm cannot accept (ERR), or OK.
    The device asks this before any datapath sees the request, so a malformed field gets the
    same status on every datapath. It also drops what the mode ignores (an ECB IV)."""
    if op.kind in ("cipher", "chain"):
        if p.cipher_algo == vc.CIPHER_AES_ECB:
            op.iv = b""
        elif len(op.iv) != 16:
            return vc.ERR
        start, n = (op.cipher_start, op.len_to_cipher) if op.kind == "chain" else (0, len(op.src))
        if start + n > len(op.src) or (p.cipher_algo != vc.CIPHER_AES_CTR and n % 16):
            return vc.ERR
        if op.kind == "chain" and op.hash_start + op.len_to_hash > len(op.src):
            return vc.ERR
    elif op.kind == "aead":
        if len(op.iv) != GCM_IV_LEN:
            return vc.ERR
        out_len = len(op.src) + p.tag_len if op.encrypt else len(op.src) - p.tag_len
        if out_len < 0 or out_len > op.dst_len:
            return vc.ERR
    return vc.OK


def soft_compute(p: SessionParams, op: CryptoOp) -> OpResult:
    """Reference semantics of every operation (also the golden model of the tests)."""
    status = check_request(p, op)
    if status != vc.OK:
        return OpResult(status)
    if op.kind in ("cipher", "chain"):
        decrypt = p.cipher_op == vc.OP_DECRYPT
        start, n = (op.cipher_start, op.len_to_cipher) if op.kind == "chain" else (0, len(op.src))
        c = Cipher(algorithms.AES(p.cipher_key), aes_mode(p.cipher_algo, op.iv))
        ctx = c.decryptor() if decrypt else c.encryptor()
        out = op.src[:start] + ctx.update(op.src[start:start + n]) + ctx.finalize() + op.src[start + n:]
        if op.kind == "cipher":
            return OpResult(vc.OK, out)
        hs, hn = op.hash_start, op.len_to_hash
        hashed = op.aad + (out if p.chain_order == vc.ALG_CHAIN_CIPHER_THEN_HASH else op.src)[hs:hs + hn]
        if p.hash_mode == vc.SYM_HASH_MODE_AUTH:
            digest = std_hmac.new(p.auth_key, hashed, MAC_NAME[p.hash_algo]).digest()
        else:
            digest = hashlib.new(HASH_NAME[p.hash_algo], hashed).digest()
        return OpResult(vc.OK, out, digest[: p.hash_result_len])
    if op.kind == "hash":
        return OpResult(vc.OK, b"", hashlib.new(HASH_NAME[p.hash_algo], op.src).digest()[: p.hash_result_len])
    if op.kind == "mac":
        d = std_hmac.new(p.auth_key, op.src, MAC_NAME[p.hash_algo]).digest()
        return OpResult(vc.OK, b"", d[: p.hash_result_len])
    if op.kind == "aead":
        # GCM through the mode object, not AESGCM: it verifies truncated tags (4, 8, 12-16 bytes)
        # in OpenSSL's constant-time compare; the key is passed as the session's own bytearray
        n = len(op.src) if op.encrypt else len(op.src) - p.tag_len
        gcm = modes.GCM(op.iv, None if op.encrypt else op.src[n:], min_tag_length=4)
        c = Cipher(algorithms.AES(p.aead_key), gcm)
        ctx = c.encryptor() if op.encrypt else c.decryptor()
        if op.aad:
            ctx.authenticate_additional_data(op.aad)
        out = ctx.update(op.src[:n])
        try:
            out += ctx.finalize()
        except InvalidTag:
            return OpResult(vc.BADMSG)       # nothing of `out` leaves this function
        return OpResult(vc.OK, out + ctx.tag[: p.tag_len] if op.encrypt else out)
    return OpResult(vc.NOTSUPP)


class SoftDatapath:
    """`cryptography` in process; completes requests at the next poll()."""
    name = "soft"

    def __init__(self):
        self.capabilities = Capabilities(
            cipher={vc.CIPHER_AES_ECB, vc.CIPHER_AES_CBC, vc.CIPHER_AES_CTR},
            hash={vc.HASH_SHA_224, vc.HASH_SHA_256},
            mac={vc.MAC_HMAC_SHA_224, vc.MAC_HMAC_SHA_256},
            aead={vc.AEAD_GCM},
            chain_hash_modes={vc.SYM_HASH_MODE_PLAIN, vc.SYM_HASH_MODE_AUTH})
        self.sessions: dict[int, SessionParams] = {}
        self.next_handle = 1
        self.done: deque[tuple[Done, OpResult]] = deque()

    def create_session(self, p: SessionParams) -> tuple[int, int]:
        st = session_supported(self.capabilities, p)
        if st != vc.OK:
            return st, 0
        h = self.next_handle
        self.next_handle += 1
        self.sessions[h] = p
        return vc.OK, h

    def destroy_session(self, handle: int) -> None:
        self.sessions.pop(handle).wipe()

    def submit(self, handle: int, op: CryptoOp, done: Done) -> None:
        self.done.append((done, soft_compute(self.sessions[handle], op)))

    def inflight(self) -> int:
        return len(self.done)

    def poll(self, timeout: float = 0.0) -> int:
        n = 0
        while self.done:
            cb, res = self.done.popleft()
            cb(res)
            n += 1
        return n

    def stats(self) -> dict:
        return {}

    def close(self) -> None:
        for p in self.sessions.values():
            p.wipe()
        self.sessions.clear()


class FailingDatapath:
    """Wraps a datapath and answers every `every`-th request with ERR instead of running it:
    fault injection for end-to-end tests (`vcrypto serve --fail-every N`)."""

    def __init__(self, inner, every: int):
        self.inner, self.every = inner, every
        self.name = f"{inner.name}+fail-every-{every}"
        self.capabilities = inner.capabilities
        self.count = 0
        self.failed: deque[Done] = deque()

    @property
    def sessions(self) -> dict:
        return self.inner.sessions

    def create_session(self, p: SessionParams) -> tuple[int, int]:
        return self.inner.create_session(p)

    def destroy_session(self, handle: int) -> None:
        self.inner.destroy_session(handle)

    def submit(self, handle: int, op: CryptoOp, done: Done) -> None:
        self.count += 1
        if self.count % self.every == 0:
            self.failed.append(done)
        else:
            self.inner.submit(handle, op, done)

    def inflight(self) -> int:
        return self.inner.inflight() + len(self.failed)

    def poll(self, timeout: float = 0.0) -> int:
        n = 0
        while self.failed:
            self.failed.popleft()(OpResult(vc.ERR))
            n += 1
        return n + self.inner.poll(0.0 if n else timeout)

    def stats(self) -> dict:
        return self.inner.stats()

    def close(self) -> None:
        self.inner.close()
