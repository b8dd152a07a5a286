"""The `rtl` datapath: sessions become session contexts in the accelerator's shared memory
(HMAC inner/outer states precomputed here, at session creation), requests become ring
entries served by the Verilator-simulated RTL in its own process.

Faults of the accelerator process are survived the way a driver survives a card that dies or
wedges: the process exiting (any signal) is noticed on the next poll, no completion for
`hang_timeout` seconds while requests are outstanding counts as a hang. Either way every
request the datapath holds completes with VIRTIO_CRYPTO_ERR, the old process is killed and its
segment wiped and removed, a new process is started and every live session's context (which
lives in host memory, as on a real card) is loaded into it. Sessions keep their ids.

Who wires this datapath gives it `start`, a function that starts an accelerator and returns
it (`Accelerator` below); it is called once at creation and again after each fault. The
simulated card is `sim.accel_process.AcceleratorProcess` (`sim.accel_process.rtl_datapath()`
wires the two); this module knows nothing of how the card is made.
"""
from __future__ import annotations

import logging
import time
from collections import deque
from typing import Callable, Protocol

from bridge import abi
from bridge import virtio_crypto as vc
from bridge.accel_abi import Context
from bridge.accel_client import AccelClient, AccelTimeout, OutOfMemory, Request, Transport
from bridge.algorithms import (ABI_OPCODES, ACCEL_AEADS, ACCEL_CIPHERS, ACCEL_HASHES, ACCEL_MACS, AEADS, CHAIN_ORDERS,
                               CIPHERS, HASHES, MACS, OpKind, max_key_len)
from bridge.datapath import Capabilities, CryptoOp, Done, OpResult
from bridge.rings import RingError
from bridge.session import Session, check_session

log = logging.getLogger("vcrypto.rtl")

class AcceleratorHung(AccelTimeout):
    pass


class Accelerator(Protocol):
    """One running accelerator, as its host driver sees the card: a transport to talk to it,
    whether it is alive, and the means to stop or kill it."""
    pid: int | None

    def transport(self) -> Transport: ...
    def alive(self) -> bool: ...
    def exit_status(self) -> int | None: ...
    def stats(self) -> dict[str, int]: ...
    def kill(self) -> None: ...
    def stop(self) -> None: ...


StartAccelerator = Callable[[], Accelerator]


class RtlDatapath:
    name = "rtl"

    def __init__(self, start: StartAccelerator, hang_timeout: float = 5.0):
        self.start_accelerator = start
        self.hang_timeout = hang_timeout     # seconds without a completion while busy: a hang
        self.restarts = 0
        self.faults: list[str] = []          # why each restart happened
        self._start()
        # what has an accelerator ABI code (AEAD: AES-GCM); chaining with HMAC only
        self.capabilities = Capabilities(
            cipher=set(ACCEL_CIPHERS), hash=set(ACCEL_HASHES), mac=set(ACCEL_MACS), aead=set(ACCEL_AEADS),
            chain_hash_modes={vc.SYM_HASH_MODE_AUTH}, max_cipher_key_len=max_key_len(ACCEL_CIPHERS),
            max_size=abi.DEV_MAX_REQUEST_BYTES)
        self.sessions: set[Session] = set()
        self.backlog: deque[tuple[Request, Done]] = deque()
        self.waiting: dict[int, tuple[Request, Done, Session]] = {}     # cookie -> ...
        self.immediate: deque[tuple[Done, OpResult]] = deque()
        self._progress = time.monotonic()    # last completion (or start of being busy)
        self._recovering = False             # between killing a failed accelerator and starting the next
        self._next_alive_check = 0.0

    def _start(self) -> None:
        self.accel: Accelerator = self.start_accelerator()
        self.client = AccelClient(self.accel.transport(), mmio_timeout=max(self.hang_timeout, 0.5))

    # -------------------------------------------------------------- sessions
    def create_session(self, s: Session) -> int:
        status = check_session(self.capabilities, s)
        if status != vc.OK:
            return status
        try:
            s.context = self.client.create_context(self._context(s))
        except OutOfMemory:
            return vc.ERR
        self.sessions.add(s)
        s.wipe()               # the key now lives only in the context (and the hardware)
        return vc.OK

    @staticmethod
    def _context(s: Session) -> Context:
        """The accelerator's context for a session; it refers to the session's own key
        bytearrays (no copy), which create_context encodes straight into shared memory."""
        kind = s.kind
        if kind in (OpKind.CIPHER, OpKind.CHAIN):
            c = Context(cipher_alg=CIPHERS[s.cipher_algo].abi, decrypt=not s.encrypt, key=s.cipher_key)
            if kind == OpKind.CIPHER:
                return c
            return Context(cipher_alg=c.cipher_alg, decrypt=c.decrypt, key=c.key, hash_alg=MACS[s.hash_algo].abi,
                           digest_len=s.hash_result_len, chain_order=CHAIN_ORDERS[s.chain_order],
                           hmac_key=s.auth_key)
        if kind == OpKind.AEAD:          # digest_len: the tag length
            return Context(cipher_alg=AEADS[s.aead_algo], decrypt=not s.encrypt, key=s.aead_key, digest_len=s.tag_len)
        if kind == OpKind.HASH:
            return Context(hash_alg=HASHES[s.hash_algo].abi, digest_len=s.hash_result_len)
        return Context(hash_alg=MACS[s.hash_algo].abi, digest_len=s.hash_result_len, hmac_key=s.auth_key)

    def destroy_session(self, s: Session) -> None:
        self.sessions.discard(s)
        s.closed = True
        if s.inflight == 0 and not self._recovering:   # while recovering, its context is in no live segment
            self._release(s)

    def _release(self, s: Session) -> None:
        """The session's last request is done: wipe its context in shared memory, and have the
        device zero its key cache and AES round keys (SCRUB runs between two requests)."""
        self.client.destroy_context(s.context)
        s.context = -1
        if s.kind in (OpKind.CIPHER, OpKind.CHAIN, OpKind.AEAD):     # hash/MAC keys clear per request
            try:
                self.client.scrub()
            except (ConnectionError, AccelTimeout):
                pass        # a dead or hung accelerator is replaced at the next poll, keys and all

    # -------------------------------------------------------------- requests
    def submit(self, s: Session, op: CryptoOp, done: Done) -> None:
        if op.kind == OpKind.CHAIN and not (op.cipher_start == 0 and op.len_to_cipher == len(op.src)
                                            and op.hash_start == 0 and op.len_to_hash == len(op.src)
                                            and not op.aad):
            # the RTL chains over the whole source, without AAD
            self.immediate.append((done, OpResult(vc.NOTSUPP)))
            return
        if len(op.src) > abi.DEV_MAX_REQUEST_BYTES or len(op.aad) > abi.DEV_MAX_REQUEST_BYTES:
            self.immediate.append((done, OpResult(vc.ERR)))   # the device refuses these first (max_size)
            return
        if op.kind == OpKind.AEAD:
            # the device checked the IV (12 bytes) and that the source holds the tag
            # (check_request); decrypting, the tag is the source's last tag_len bytes
            n = len(op.src) if s.encrypt else len(op.src) - s.tag_len
            req = Request(ABI_OPCODES[s.kind], s.context, op.src[:n], iv=op.iv, aad=op.aad, tag=op.src[n:])
        else:
            req = Request(ABI_OPCODES[s.kind], s.context, op.src, iv=op.iv, digest_len=s.hash_result_len)
        req.extra["sess"] = s
        s.inflight += 1
        self.backlog.append((req, done))

    def _post(self) -> None:
        posted = set()
        nq = len(self.client.queues)
        q = 0
        while self.backlog:
            free = [i for i in range(nq) if self.client.space((q + i) % nq) > 0]
            if not free:
                break
            q = (q + free[0]) % nq
            req, done = self.backlog[0]
            try:
                self.client.submit(q, req)
            except OutOfMemory as e:
                if self.waiting:
                    break                   # space comes back as requests complete
                self._refuse(done, req, e)  # it does not fit even in an idle segment
                continue
            except ValueError as e:         # cannot be encoded
                self._refuse(done, req, e)
                continue
            self.backlog.popleft()
            if not self.waiting:
                self._progress = time.monotonic()
            self.waiting[req.cookie] = (req, done, req.extra["sess"])
            posted.add(q)
            q = (q + 1) % nq
        if posted:
            self.client.ring(sorted(posted))

    def _refuse(self, done: Done, req: Request, why: Exception) -> None:
        """The request at the head of the backlog can never be submitted: it alone fails with
        ERR (at the next poll), and the backlog moves on."""
        self.backlog.popleft()
        log.error("request refused by the accelerator driver: %s", why)
        self._finished(req.extra["sess"])
        self.immediate.append((done, OpResult(vc.ERR)))

    def _finished(self, s: Session) -> None:
        s.inflight -= 1
        if s.closed and s.inflight == 0:
            self._release(s)

    def inflight(self) -> int:
        return len(self.backlog) + len(self.waiting) + len(self.immediate)

    def poll(self, timeout: float = 0.0) -> int:
        try:
            return self._poll(timeout)
        except (ConnectionError, AccelTimeout, RingError) as e:    # dead, hung, or posting garbage
            return self._recover(str(e))

    def _poll(self, timeout: float) -> int:
        n = 0
        while self.immediate:
            cb, res = self.immediate.popleft()
            cb(res)
            n += 1
        self._post()
        got = self.client.reap()
        if not got and timeout > 0 and self.waiting:
            self.client.wait_interrupt(timeout)
            got = self.client.reap()
        if got:
            self._progress = time.monotonic()
        elif self.waiting:
            self._watchdog()
        for req in got:
            _, done, s = self.waiting.pop(req.cookie)
            self._finished(s)
            c = req.completion
            done(OpResult(c.status, req.dst, req.digest) if c.status == vc.OK else OpResult(c.status))
            n += 1
        if got:
            self._post()
        return n

    # -------------------------------------------------------------- faults
    def _watchdog(self) -> None:
        now = time.monotonic()
        if now >= self._next_alive_check:          # a waitpid and a shared-memory read
            self._next_alive_check = now + 0.02
            if not self.accel.alive():
                raise ConnectionError(f"the accelerator process is gone (exit status {self.accel.exit_status()})")
        if now - self._progress > self.hang_timeout:
            raise AcceleratorHung(f"no completion for {now - self._progress:.1f} s with "
                                  f"{len(self.waiting)} requests outstanding")

    def _recover(self, why: str) -> int:
        """Fail everything held with ERR, replace the accelerator, reload the live sessions."""
        failed = [done for _, done, _ in self.waiting.values()] + [done for _, done in self.backlog]
        log.error("accelerator fault: %s; failing %d requests with ERR and restarting it", why, len(failed))
        self.faults.append(why)
        saved = {s: self.client.save_context(s.context) for s in self.sessions}
        self.client.wipe_allocations()             # keys and data do not outlive the old segment
        self.waiting.clear()
        self.backlog.clear()
        for s in self.sessions:
            s.inflight = 0                          # sessions destroyed meanwhile were in `waiting` only
        self.accel.kill()
        self._recovering = True
        try:
            for done in failed:                     # the driver hears of it before the restart
                done(OpResult(vc.ERR))              # (a stateless request's session ends here)
        finally:
            self._recovering = False
        self._start()
        for s, raw in saved.items():
            # a session ended meanwhile had its context only in the old segment, which is gone
            s.context = self.client.load_context(raw) if s in self.sessions else -1
            raw[:] = bytes(len(raw))
        self.restarts += 1
        self._progress = time.monotonic()
        log.warning("accelerator restarted (pid %d); %d sessions restored", self.accel.pid, len(saved))
        return len(failed)

    def stats(self) -> dict:
        return self.accel.stats()

    def close(self) -> None:
        for s in self.sessions:
            self.client.destroy_context(s.context)
            s.context = -1
        self.sessions.clear()
        try:
            self.client.scrub()
            self.client.flush(timeout=min(self.hang_timeout, 0.5))
        except (ConnectionError, AccelTimeout):
            self.accel.kill()                       # dead or hung: killed, it holds no key any more
            return
        self.accel.stop()
