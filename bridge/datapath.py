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
from bridge.algorithms import CIPHERS, GCM_IV_LEN, HASHES, MACS, OpKind, max_key_len
from bridge.session import Session, check_session


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
class CryptoOp:
    """One data request as parsed by the device (fields in the spec's order)."""
    kind: OpKind
    encrypt: bool = True                # from the data opcode (AEAD); a cipher's comes from its session
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
    sessions: set[Session]                # the sessions it serves (ended ones leave at once)

    def create_session(self, s: Session) -> int: ...         # a create status; OK: it serves s
    def destroy_session(self, s: Session) -> None: ...       # keys wiped once no request uses them
    def submit(self, s: Session, op: CryptoOp, done: Done) -> None: ...
    def inflight(self) -> int: ...                           # requests not answered yet
    def poll(self, timeout: float = 0.0) -> int: ...         # answer what is finished; may wait
    def stats(self) -> dict: ...
    def close(self) -> None: ...


def check_request(s: Session, op: CryptoOp) -> int:
    """The status of a request whose fields the session's algorithm cannot accept (ERR), or OK.
    The device asks this before any datapath sees the request, so a malformed field gets the
    same status on every datapath. It also drops what the mode ignores (an ECB IV)."""
    if op.kind in (OpKind.CIPHER, OpKind.CHAIN):
        alg = CIPHERS[s.cipher_algo]
        if not alg.iv_len:
            op.iv = b""
        elif len(op.iv) != alg.iv_len:
            return vc.ERR
        start, n = (op.cipher_start, op.len_to_cipher) if op.kind == OpKind.CHAIN else (0, len(op.src))
        if start + n > len(op.src) or (alg.whole_blocks and n % 16) or n < alg.min_len:
            return vc.ERR
        if op.kind == OpKind.CHAIN and op.hash_start + op.len_to_hash > len(op.src):
            return vc.ERR
    elif op.kind == OpKind.AEAD:
        if len(op.iv) != GCM_IV_LEN:
            return vc.ERR
        out_len = len(op.src) + s.tag_len if op.encrypt else len(op.src) - s.tag_len
        if out_len < 0 or out_len > op.dst_len:
            return vc.ERR
    return vc.OK


def soft_compute(s: Session, op: CryptoOp) -> OpResult:
    """Reference semantics of every operation: the golden model of the tests
    (bridge/accel_model.py computes the accelerator's results through it too)."""
    status = check_request(s, op)
    return _compute(s, op) if status == vc.OK else OpResult(status)


def _compute(s: Session, op: CryptoOp) -> OpResult:
    """The result of a request that check_request() accepted: the soft datapath, which is
    given only such requests (the device checks each one first)."""
    if op.kind in (OpKind.CIPHER, OpKind.CHAIN):
        start, n = (op.cipher_start, op.len_to_cipher) if op.kind == OpKind.CHAIN else (0, len(op.src))
        c = Cipher(algorithms.AES(s.cipher_key), CIPHERS[s.cipher_algo].mode(op.iv))
        ctx = c.decryptor() if s.cipher_op == vc.OP_DECRYPT else c.encryptor()
        if op.kind == OpKind.CIPHER:        # the whole source: no slices to copy
            return OpResult(vc.OK, ctx.update(op.src) + ctx.finalize())
        out = op.src[:start] + ctx.update(op.src[start:start + n]) + ctx.finalize() + op.src[start + n:]
        hs, hn = op.hash_start, op.len_to_hash
        hashed = op.aad + (out if s.chain_order == vc.ALG_CHAIN_CIPHER_THEN_HASH else op.src)[hs:hs + hn]
        keyed = s.hash_mode == vc.SYM_HASH_MODE_AUTH
        return OpResult(vc.OK, out, _digest(s, hashed, keyed))
    if op.kind in (OpKind.HASH, OpKind.MAC):
        return OpResult(vc.OK, b"", _digest(s, op.src, op.kind == OpKind.MAC))
    if op.kind == OpKind.AEAD:
        # GCM through the mode object, not AESGCM: it verifies truncated tags (4, 8, 12-16 bytes)
        # in OpenSSL's constant-time compare; the key is passed as the session's own bytearray
        n = len(op.src) if op.encrypt else len(op.src) - s.tag_len
        gcm = modes.GCM(op.iv, None if op.encrypt else op.src[n:], min_tag_length=4)
        c = Cipher(algorithms.AES(s.aead_key), gcm)
        ctx = c.encryptor() if op.encrypt else c.decryptor()
        if op.aad:
            ctx.authenticate_additional_data(op.aad)
        out = ctx.update(op.src[:n])
        try:
            out += ctx.finalize()
        except InvalidTag:
            return OpResult(vc.BADMSG)       # nothing of `out` leaves this function
        return OpResult(vc.OK, out + ctx.tag[: s.tag_len] if op.encrypt else out)
    return OpResult(vc.NOTSUPP)


def _digest(s: Session, data: bytes, keyed: bool) -> bytes:
    """The session's hash (or HMAC with its auth key, passed as the bytearray itself), truncated."""
    if keyed:
        d = std_hmac.new(s.auth_key, data, MACS[s.hash_algo].name).digest()
    else:
        d = hashlib.new(HASHES[s.hash_algo].name, data).digest()
    return d[: s.hash_result_len]


class SoftDatapath:
    """`cryptography` in process; completes requests at the next poll()."""
    name = "soft"
    # the device may answer this datapath's plain cipher requests in its native lane
    # (bridge/native_lane.py): OpenSSL there, OpenSSL under `cryptography` here, the same results
    native_lane = True

    def __init__(self):
        cipher = {vc.CIPHER_AES_ECB, vc.CIPHER_AES_CBC, vc.CIPHER_AES_CTR, vc.CIPHER_AES_XTS}
        self.capabilities = Capabilities(
            cipher=cipher,
            hash={vc.HASH_SHA_224, vc.HASH_SHA_256, vc.HASH_SHA_384, vc.HASH_SHA_512},
            mac={vc.MAC_HMAC_SHA_224, vc.MAC_HMAC_SHA_256, vc.MAC_HMAC_SHA_384, vc.MAC_HMAC_SHA_512},
            aead={vc.AEAD_GCM},
            chain_hash_modes={vc.SYM_HASH_MODE_PLAIN, vc.SYM_HASH_MODE_AUTH},
            max_cipher_key_len=max_key_len(cipher))         # 64: XTS-AES-256 is K1 || K2
        self.sessions: set[Session] = set()
        self.done: deque[tuple[Done, OpResult]] = deque()

    def create_session(self, s: Session) -> int:
        status = check_session(self.capabilities, s)
        if status == vc.OK:
            self.sessions.add(s)
        return status

    def destroy_session(self, s: Session) -> None:
        self.sessions.discard(s)
        s.wipe()                # requests already computed hold no reference to the key

    def submit(self, s: Session, op: CryptoOp, done: Done) -> None:
        self.done.append((done, _compute(s, op)))

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
        for s in self.sessions:
            s.wipe()
        self.sessions.clear()


class FailingDatapath:
    """Wraps a datapath and answers every `every`-th request with ERR instead of running it:
    fault injection for end-to-end tests (`vcrypto serve --fail-every N`)."""

    def __init__(self, inner: Datapath, every: int):
        self.inner, self.every = inner, every
        self.name = f"{inner.name}+fail-every-{every}"
        self.capabilities = inner.capabilities
        self.count = 0
        self.failed: deque[Done] = deque()

    @property
    def sessions(self) -> set[Session]:
        return self.inner.sessions

    def create_session(self, s: Session) -> int:
        return self.inner.create_session(s)

    def destroy_session(self, s: Session) -> None:
        self.inner.destroy_session(s)

    def submit(self, s: Session, op: CryptoOp, done: Done) -> None:
        self.count += 1
        if self.count % self.every == 0:
            self.failed.append(done)
        else:
            self.inner.submit(s, op, done)

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
