"""The virtio-crypto device (device ID 20): configuration space, feature negotiation and
status, the control queue (session create/destroy) and the data queues, in front of a
datapath (bridge/datapath.py: `soft`, or `rtl` = the simulated accelerator).

Transport-neutral: a transport (the in-process driver model, or the vhost-user backend)
calls set_status / set_features / setup_queue / kick / poll and receives used-buffer
notifications through `on_notify(queue)` and configuration changes through
`on_config_change()`.

Error policy (see bridge/README.md): whatever can be answered with a status is answered with
the status the spec and QEMU prescribe; a chain that cannot carry a status (no writable
byte, malformed descriptors, out-of-range addresses) sets DEVICE_NEEDS_RESET, is returned with
used length 0, and the device goes on serving the other requests, queues and sessions.
With `strict_qemu=True`, the cases QEMU treats as fatal (src_data_len != dst_data_len, a
request larger than max_size, a truncated header or payload) take the needs-reset path too.
"""
from __future__ import annotations

import logging
import struct
from contextlib import contextmanager
from dataclasses import dataclass

from bridge import virtio_crypto as vc
from bridge.algorithms import OpKind
from bridge.datapath import CryptoOp, Datapath, OpResult, check_request
from bridge.guest_log import GuestLog
from bridge.native_lane import NativeLane
from bridge.native_lane import library as native_library
from bridge.session import Session, check_session, symmetric_session
from bridge.virtqueue import Chain, ChainError, ChainReader, ChainWriter, DeviceVirtqueue

log = logging.getLogger("vcrypto.device")

STATELESS_BIT = {vc.SERVICE_CIPHER: vc.VIRTIO_CRYPTO_F_CIPHER_STATELESS_MODE,
                 vc.SERVICE_HASH: vc.VIRTIO_CRYPTO_F_HASH_STATELESS_MODE,
                 vc.SERVICE_MAC: vc.VIRTIO_CRYPTO_F_MAC_STATELESS_MODE,
                 vc.SERVICE_AEAD: vc.VIRTIO_CRYPTO_F_AEAD_STATELESS_MODE}
# REVISION_1 fixed-part lengths after the header (legacy: always padded to 72 in total)
REV1_CTRL_FIXED = {vc.CIPHER_CREATE_SESSION: 56, vc.HASH_CREATE_SESSION: 8, vc.MAC_CREATE_SESSION: 16,
                   vc.AEAD_CREATE_SESSION: 24, vc.AKCIPHER_CREATE_SESSION: 56}
REV1_DATA_FIXED = {vc.CIPHER_ENCRYPT: 48, vc.CIPHER_DECRYPT: 48, vc.HASH: 8, vc.MAC: 8,
                   vc.AEAD_ENCRYPT: 24, vc.AEAD_DECRYPT: 24}
SERVICE_OF_CREATE = {vc.CIPHER_CREATE_SESSION: vc.SERVICE_CIPHER, vc.HASH_CREATE_SESSION: vc.SERVICE_HASH,
                     vc.MAC_CREATE_SESSION: vc.SERVICE_MAC, vc.AEAD_CREATE_SESSION: vc.SERVICE_AEAD}


@dataclass
class Limits:
    """What one guest can make the device hold or do at once (RELIABILITY.md, "Resource bounds").
    A kick() or poll() stops taking chains when its budget is spent, and the data queues stop
    taking chains while the requests in flight hold too much; the rest stays on the ring and is
    taken by a later poll() (backpressure), so one queue or guest cannot monopolise the loop."""
    kick_chains: int = 256           # chains taken per kick()/poll()
    kick_descs: int = 4096           # descriptors walked per kick()/poll(), indirect entries included
    kick_bytes: int = 8 << 20        # request bytes (readable + result) taken per kick()/poll()
    held_bytes: int = 16 << 20       # request bytes held by requests in flight, whole device
    held_requests: int = 1024        # requests in flight, whole device


class _Budget:
    def __init__(self, limits: Limits):
        self.chains, self.descs, self.bytes = limits.kick_chains, limits.kick_descs, limits.kick_bytes

    def spent(self) -> bool:
        return self.chains <= 0 or self.descs <= 0 or self.bytes <= 0


class Fatal(Exception):
    """This chain cannot be answered with a status: take the needs-reset path."""


class VirtioCryptoDevice:
    def __init__(self, datapath: Datapath, num_dataqueues: int = 1, max_sessions: int = 256,
                 strict_qemu: bool = False, offer_revision_1: bool = True, offer_stateless: bool = True,
                 limits: Limits | None = None, native_lane: bool = True):
        if not 1 <= num_dataqueues <= 65535:
            raise ValueError("max_dataqueues must be in 1..65535")
        self.dp = datapath
        self.caps = datapath.capabilities
        self.services = self.caps.services          # fixed for the device's life (config space)
        self.num_dataqueues = num_dataqueues
        self.max_sessions = max_sessions
        self.strict_qemu = strict_qemu
        self.device_features = (1 << vc.VIRTIO_F_VERSION_1) | (1 << vc.VIRTIO_F_EVENT_IDX) \
            | (1 << vc.VIRTIO_F_INDIRECT_DESC) | ((1 << vc.VIRTIO_CRYPTO_F_REVISION_1) if offer_revision_1 else 0)
        if offer_revision_1 and offer_stateless:      # stateless mode for every service the datapath has
            for svc, bit in STATELESS_BIT.items():
                if self.services & (1 << svc):
                    self.device_features |= 1 << bit
        self.mem = None
        self.on_notify = lambda q: None
        self.on_config_change = lambda: None
        self.hw_ready = True
        self.needs_reset_reason = ""
        self.counters = {"requests": 0, "errors": 0, "fatal": 0, "stateless": 0, "datapath_double_completion": 0}
        self._high_water = (0, 0)         # ring_high_water() of the queues forgotten so far
        self.generation = 0
        self.limits = limits or Limits()
        # requests given to the datapath and not answered yet, and the bytes they hold; kept
        # across resets (the datapath still holds a reset's requests until it drops them)
        self.inflight = 0
        self.held_bytes = 0
        self.glog = GuestLog(log)         # guest-triggered warnings: rate-limited
        # whether the guest has more than one requester going (each AF_ALG socket, each
        # dm-crypt target has a session of its own): the session of the last data request
        # answered and how many answers since it changed (O(1) a request; several_requesters())
        self._last_session = -1
        self._same_session = 8
        # plain cipher requests of a datapath that computes as soft does, answered in C (see
        # bridge/native_lane.py); everything else, and every status but OK, stays on the Python path
        self.lane: NativeLane | None = None
        if native_lane and getattr(datapath, "native_lane", False) and (lib := native_library()) is not None:
            self.lane = NativeLane(lib, max_sessions, self.caps.max_size, bool(self.services & (1 << vc.SERVICE_CIPHER)))
        self.reset()

    # -------------------------------------------------------------- configuration
    def config(self) -> bytes:
        c = self.caps
        mac_l = sum(1 << a for a in c.mac if a < 32)
        mac_h = sum(1 << (a - 32) for a in c.mac if a >= 32)
        return vc.CONFIG.pack(vc.VIRTIO_CRYPTO_S_HW_READY if self.hw_ready else 0, self.num_dataqueues,
                              self.services, sum(1 << a for a in c.cipher if a < 32),
                              sum(1 << (a - 32) for a in c.cipher if a >= 32), sum(1 << a for a in c.hash),
                              mac_l, mac_h, sum(1 << a for a in c.aead),
                              c.max_cipher_key_len if c.cipher else 0, c.max_auth_key_len if c.mac else 0,
                              0, c.max_size)

    def set_hw_ready(self, ready: bool) -> None:
        if ready != self.hw_ready:
            self.hw_ready = ready
            if self.status & vc.DRIVER_OK:
                self.on_config_change()

    @property
    def revision_1(self) -> bool:
        return bool(self.driver_features & (1 << vc.VIRTIO_CRYPTO_F_REVISION_1))

    def set_features(self, features: int) -> None:
        self.driver_features = features

    def set_status(self, status: int) -> None:
        if status == 0:
            self.reset()
            return
        if status & vc.FEATURES_OK and not self.status & vc.FEATURES_OK:
            f = self.driver_features
            stateless = any(f & (1 << bit) for bit in STATELESS_BIT.values())
            if f & ~self.device_features or not f & (1 << vc.VIRTIO_F_VERSION_1) \
                    or (stateless and not f & (1 << vc.VIRTIO_CRYPTO_F_REVISION_1)):
                status &= ~vc.FEATURES_OK        # refuse: the driver reads it back and fails
        self.status = status | (self.status & vc.DEVICE_NEEDS_RESET)

    def reset(self) -> None:
        """Device reset: every session is destroyed (keys wiped), queues forgotten."""
        for sid, s in getattr(self, "sessions", {}).items():
            if self.lane is not None:
                self.lane.remove(sid)
            self.dp.destroy_session(s)
            s.wipe()
        self.sessions: dict[int, Session] = {}
        self.status = 0
        self.ring_high_water()            # before the queues are forgotten
        self.driver_features = 0
        self.queues: list[DeviceVirtqueue | None] = [None] * (self.num_dataqueues + 1)
        self.deferred: dict[int, None] = {}     # queues with chains left by a spent budget (in order)
        # queues with used entries pushed and not yet signalled: one should_notify() check per
        # queue when kick()/poll() returns, so a batch of completions costs one interrupt
        self._to_signal: dict[int, None] = {}
        self.needs_reset_reason = ""
        # requests still in the datapath when the device is reset belong to the old generation:
        # their results are dropped, nothing is written to guest memory after a reset
        self.generation += 1

    def setup_queue(self, q: int, size: int, desc: int, avail: int, used: int) -> None:
        vq = self.queues[q] = DeviceVirtqueue(self.mem, size, desc, avail, used,
                                              bool(self.driver_features & (1 << vc.VIRTIO_F_EVENT_IDX)))
        if vq.broken:                 # rings not in guest memory: unusable until reset (QEMU: virtio_error)
            self._fatal(q, -1, f"queue {q}: {vq.broken}")

    # -------------------------------------------------------------- a backend's transport
    # A front end that negotiates virtio itself and hands the device its rings (QEMU over
    # vhost-user) drives the device through these, never through its attributes.
    BACKEND_FEATURES = (1 << vc.VIRTIO_F_VERSION_1) | (1 << vc.VIRTIO_F_INDIRECT_DESC) | (1 << vc.VIRTIO_F_EVENT_IDX)

    def attach(self, mem, on_notify) -> None:
        """Guest memory and the used-buffer notification of a negotiating front end; the device
        is then live with every feature such a front end may have agreed with the guest (QEMU
        7.2 does not forward them, so the device handles them all, always)."""
        self.mem, self.on_notify = mem, on_notify
        self.driver_features = self.BACKEND_FEATURES
        self.status = vc.ACKNOWLEDGE | vc.DRIVER | vc.FEATURES_OK | vc.DRIVER_OK

    def detach(self) -> None:
        """The front end went away: reset (sessions destroyed, keys wiped) and drop guest memory."""
        self.reset()
        self.mem = None

    def start_queue(self, q: int, size: int, desc: int, avail: int, used: int, avail_base: int) -> str:
        """Run queue q from a saved position (the used index is read from the ring); returns ""
        or why the queue cannot run (then it needs reset and is not touched)."""
        self.setup_queue(q, size, desc, avail, used)
        vq = self.queues[q]
        if vq.broken:
            return vq.broken
        vq.last_avail = avail_base
        vq.used_idx = vq.signalled_used = struct.unpack("<H", self.mem.read(used + 2, 2))[0]
        return ""

    def stop_queue(self, q: int) -> int | None:
        """Stop queue q (the device does not touch it again); its available-ring position, or
        None when it was not running. Drain first (`inflight`, `poll_inflight`)."""
        vq, self.queues[q] = self.queues[q], None
        self.deferred.pop(q, None)
        if vq is not None:
            self._note_high_water(q, vq)
        return None if vq is None else vq.last_avail

    def _note_high_water(self, q: int, vq: DeviceVirtqueue) -> None:
        if q != self.controlq and vq.high_water > self._high_water[0]:
            self._high_water = (vq.high_water, vq.size)

    def ring_high_water(self) -> tuple[int, int]:
        """The fullest a data queue's ring has been since the device was made: (chains the
        driver had outstanding at once, that queue's size). Equal: the guest filled its ring."""
        for q, vq in enumerate(getattr(self, "queues", ())):     # none before the first reset
            if vq is not None:
                self._note_high_water(q, vq)
        return self._high_water

    def switch_memory(self, mem, rings: dict[int, tuple[int, int, int]]) -> None:
        """A new guest-memory table: the device and each running queue q (its rings at the
        new (desc, avail, used) addresses) move to it, keeping their positions. Drain first."""
        self.mem = mem
        for q, (desc, avail, used) in rings.items():
            old = self.queues[q]
            self.setup_queue(q, old.size, desc, avail, used)
            new = self.queues[q]
            new.last_avail, new.used_idx, new.signalled_used = old.last_avail, old.used_idx, old.signalled_used
            new.held[:], new.high_water = old.held, old.high_water

    def poll_inflight(self, timeout: float = 0.0) -> int:
        """Answer requests already in the datapath without taking new chains (a transport
        draining before it stops a ring or swaps memory); returns how many are still there."""
        try:
            self.dp.poll(timeout)
        finally:
            self._signal()
        return self.inflight

    @property
    def controlq(self) -> int:
        return self.num_dataqueues

    # -------------------------------------------------------------- processing
    def kick(self, q: int) -> int:
        """Take chains from queue q until it is empty or this call's budget is spent (the rest
        is taken by poll()); returns how many were taken."""
        try:
            return self._drain(q, _Budget(self.limits))
        finally:
            self._signal()

    def _signal(self) -> None:
        """The used-buffer notifications of what was pushed since the last call: per queue, one
        interrupt if the driver asked for one anywhere in the batch (EVENT_IDX's used_event, or
        no VIRTQ_AVAIL_F_NO_INTERRUPT), none otherwise."""
        while self._to_signal:
            q = next(iter(self._to_signal))
            del self._to_signal[q]
            vq = self.queues[q]
            if vq is not None and vq.should_notify():
                self.on_notify(q)

    def _drain(self, q: int, budget: _Budget) -> int:
        vq = self.queues[q] if 0 <= q < len(self.queues) else None
        self.deferred.pop(q, None)
        if vq is None or vq.broken or not self.status & vc.DRIVER_OK:
            return 0
        n = 0
        lane = self.lane if q != self.controlq else None
        while True:
            if budget.spent() or (q != self.controlq and self._held_full()):
                self.deferred[q] = None
                return n
            if lane is not None:
                k, emptied = lane.drain(self.mem, vq, budget, self.revision_1)
                if k:
                    n += k
                    self.counters["requests"] += k
                    self._to_signal[q] = None
                    self._note_session(lane.last_sid)
                    if emptied:   # and the next kick asked for, as pop() would have
                        return n
                    if budget.spent():
                        continue  # deferred at the top of the loop
            # (what the lane left: an empty ring, whose pop() asks for the next kick, or a chain
            # for the Python path)
            try:
                chain = vq.pop()
            except ChainError as e:
                budget.chains -= 1
                budget.descs -= e.descs
                if e.head < 0:        # the ring itself is corrupt: stop touching this queue until reset
                    vq.broken = str(e)
                    self._fatal(q, -1, str(e))
                    return n
                self._fatal(q, e.head, str(e))
                n += 1
                continue
            if chain is None:
                return n
            n += 1
            budget.chains -= 1
            budget.descs -= chain.descs
            budget.bytes -= min(chain.readable_len + chain.writable_len, self.caps.max_size)
            try:
                if q == self.controlq:
                    self._control(q, vq, chain)
                else:
                    self._data(q, vq, chain)
            except Fatal as e:
                self._fatal(q, chain.head, str(e))

    def _held_full(self) -> bool:
        return self.held_bytes >= self.limits.held_bytes or self.inflight >= self.limits.held_requests

    def poll(self, timeout: float = 0.0) -> int:
        """Let the datapath finish requests (their results go to the used rings), and take the
        chains a spent budget or backpressure left on the rings."""
        try:
            n = self.dp.poll(0.0 if self.deferred and not self._held_full() else timeout)
            self._resume()
        finally:
            self._signal()
        return n

    def _resume(self) -> None:
        """One budget shared by every deferred queue, taken in turn (a queue still left over
        goes to the back), so one busy queue cannot starve the others."""
        budget = _Budget(self.limits)
        for q in list(self.deferred):
            if budget.spent():
                return
            if q != self.controlq and self._held_full():
                continue
            self._drain(q, budget)

    def _note_session(self, sid: int) -> None:
        if sid == self._last_session:
            self._same_session += 1
        else:                   # (the first session is no change)
            self._same_session = 0 if self._last_session >= 0 else 8
            self._last_session = sid

    def several_requesters(self) -> bool:
        """The session changed within the last 8 data requests: more than one requester going."""
        return self._same_session < 8

    def busy(self) -> bool:
        """Work remains without a new kick: requests in the datapath, or chains left on a queue
        when kick() stopped at its budget. A transport keeps calling poll() while this holds."""
        return self.dp.inflight() > 0 or bool(self.deferred)

    def _fatal(self, q: int, head: int, why: str) -> None:
        self.counters["fatal"] += 1
        self.glog.warning("queue %d: %s: device needs reset", q, why)
        self.needs_reset_reason = why
        self.status |= vc.DEVICE_NEEDS_RESET
        vq = self.queues[q]
        if head >= 0 and vq is not None:
            vq.push(head, 0)
            self._to_signal[q] = None
        self.on_config_change()

    def _complete(self, q: int, vq: DeviceVirtqueue, chain: Chain, w: ChainWriter, status: int,
                  payload: bytes = b"") -> None:
        if payload:
            w.write(payload)
        w.write_status(status)
        if status != vc.OK:
            self.counters["errors"] += 1
        vq.push(chain.head, w.total)          # QEMU: the total writable size, status included
        self._to_signal[q] = None

    # -------------------------------------------------------------- control queue
    def _control(self, q: int, vq: DeviceVirtqueue, chain: Chain) -> None:
        r, w = ChainReader(self.mem, chain), ChainWriter(self.mem, chain)
        if not chain.readable or not chain.writable:
            raise Fatal("control request without a readable or writable part")
        try:
            opcode, algo, flag, queue_id = vc.CTRL_HDR.unpack(r.read(16))
        except EOFError:
            raise Fatal("control header shorter than 16 bytes") from None
        if opcode in vc.DESTROY_OPCODES:
            if w.total < 1:
                raise Fatal("destroy request without a status byte")
            try:
                fixed = r.read(8 if self.revision_1 else 56)
                (sid,) = vc.DESTROY.unpack_from(fixed, 0)
                status = self._destroy(sid)
            except EOFError:
                status = vc.ERR
            ChainWriter(self.mem, chain, status_byte=False).write(bytes([status]))   # the first writable byte
            vq.push(chain.head, 1)
            self._to_signal[q] = None
            return
        if w.total < vc.SESSION_INPUT.size:
            raise Fatal("control request with less than 16 writable bytes")
        sid, status = 0, vc.NOTSUPP
        if opcode in SERVICE_OF_CREATE:
            try:
                status, sid = self._create(opcode, r)
            except EOFError:
                if self.strict_qemu:
                    raise Fatal("create request shorter than its layout") from None
                status, sid = vc.ERR, 0
        ChainWriter(self.mem, chain, status_byte=False).write(
            vc.SESSION_INPUT.pack(sid if status == vc.OK else 0, status, 0))
        vq.push(chain.head, vc.SESSION_INPUT.size)
        self._to_signal[q] = None

    def _create(self, opcode: int, r: ChainReader) -> tuple[int, int]:
        svc = SERVICE_OF_CREATE[opcode]
        fixed = r.read(REV1_CTRL_FIXED[opcode] if self.revision_1 else 56)
        c = self.caps
        if svc == vc.SERVICE_CIPHER:
            op_type = struct.unpack_from("<I", fixed, vc.OP_TYPE_OFF - 16)[0]
            if op_type == vc.SYM_OP_ALGORITHM_CHAINING:
                (order, hash_mode, algo, keylen, op, _, h_algo, h_len, auth_len, _, aad_len,
                 _) = vc.CHAIN_PARA.unpack_from(fixed, 0)
                status, s = symmetric_session(c, op_type, algo, keylen, op, r.read_secret, chain_order=order,
                                              hash_mode=hash_mode, hash_algo=h_algo, hash_result_len=h_len,
                                              auth_key_len=auth_len, aad_len=aad_len, read_auth_key=r.read_secret)
            else:
                algo, keylen, op, _ = vc.CIPHER_PARA.unpack_from(fixed, 0)
                status, s = symmetric_session(c, op_type, algo, keylen, op, r.read_secret)
            if s is None:
                return status, 0
        elif svc == vc.SERVICE_HASH:
            algo, res_len = vc.HASH_SESS.unpack_from(fixed, 0)
            s = Session(svc, hash_algo=algo, hash_result_len=res_len)
        elif svc == vc.SERVICE_MAC:
            algo, res_len, auth_len = vc.MAC_SESS.unpack_from(fixed, 0)
            if auth_len > c.max_auth_key_len:
                return vc.ERR, 0
            s = Session(svc, hash_algo=algo, hash_result_len=res_len, auth_key=r.read_secret(auth_len))
        else:
            algo, keylen, tag_len, aad_len, op = vc.AEAD_SESS.unpack_from(fixed, 0)
            if keylen > c.max_cipher_key_len:
                return vc.ERR, 0
            s = Session(svc, aead_algo=algo, aead_key=r.read_secret(keylen), tag_len=tag_len, aad_len=aad_len,
                        aead_op=op)
        return self.open_session(s)

    def open_session(self, s: Session) -> tuple[int, int]:
        """Give a parsed session to the datapath and an id to the driver: (status, id).
        Also the entry point of the vhost-user backend, whose control queue lives in QEMU."""
        sid = next((i for i in range(self.max_sessions) if i not in self.sessions), None)
        if sid is None:
            s.wipe()
            return (vc.NOSPC if self.revision_1 else vc.ERR), 0
        status = self.dp.create_session(s)
        if status != vc.OK:
            s.wipe()
            return status, 0
        s.id = sid
        self.sessions[sid] = s
        if self.lane is not None:
            self.lane.add(sid, s)
        return vc.OK, sid

    def close_session(self, sid: int) -> int:
        return self._destroy(sid)

    def _destroy(self, sid: int) -> int:
        s = self.sessions.pop(sid, None)
        if s is None:
            return vc.ERR
        if self.lane is not None:
            self.lane.remove(sid)
        self.dp.destroy_session(s)
        s.wipe()
        return vc.OK

    # -------------------------------------------------------------- data queues
    def _data(self, q: int, vq: DeviceVirtqueue, chain: Chain) -> None:
        r, w = ChainReader(self.mem, chain), ChainWriter(self.mem, chain)
        if not chain.readable or not w.has_status:
            raise Fatal("data request without a readable part or a status byte")
        self.counters["requests"] += 1

        def answer(status: int) -> None:
            self._complete(q, vq, chain, w, status)

        def short(what: str) -> None:
            if self.strict_qemu:
                raise Fatal(what)
            answer(vc.ERR)

        try:
            opcode, algo, sid, flag, _ = vc.OP_HDR.unpack(r.read(vc.OP_HDR.size))
        except EOFError:
            return short("data header shorter than 24 bytes")
        service = opcode >> 8
        if opcode not in REV1_DATA_FIXED or not self.services & (1 << service):
            return answer(vc.NOTSUPP)
        # REVISION_1 without SESSION_MODE in `flag` is a stateless request; without the service's
        # stateless bit the device "SHOULD reject" it (spec, note on virtio_crypto_op_header)
        stateless = self.revision_1 and not flag & vc.FLAG_SESSION_MODE
        if stateless and not self.driver_features & (1 << STATELESS_BIT[service]):
            return answer(vc.NOTSUPP)
        try:
            if stateless:
                s, op, dst_total = self._parse_stateless(opcode, r)
            else:
                fixed = r.read(REV1_DATA_FIXED[opcode] if self.revision_1 else vc.DATA_REQ_LEN - vc.OP_HDR.size)
                op, dst_total, want_service = self._parse_data(opcode, fixed, r)
        except EOFError:
            return short("data request shorter than its fixed and variable parts")
        except _Answer as a:
            if a.fatal and self.strict_qemu:
                raise Fatal(a.why) from None
            return answer(a.status)
        if stateless:                      # a transient session: it ends with this request
            self.counters["stateless"] += 1
            if dst_total > w.capacity():
                s.wipe()
                return short("writable area smaller than the result")
            status = check_session(self.caps, s)
            if status != vc.OK:
                s.wipe()
                return answer(status)
        else:
            if dst_total > w.capacity():
                return short("writable area smaller than the result")
            s = self.sessions.get(sid)
            if s is None or s.service != want_service:
                return answer(vc.INVSESS)
            self._note_session(sid)
        status = vc.OK
        if op.kind in (OpKind.CIPHER, OpKind.CHAIN):
            if op.kind != s.kind or (opcode == vc.CIPHER_ENCRYPT) != s.encrypt:
                status = vc.ERR         # a cipher request on a chaining session or back; a direction mismatch
        if op.kind in (OpKind.CHAIN, OpKind.HASH, OpKind.MAC) and op.hash_result_len != s.hash_result_len:
            status = vc.ERR
        if op.kind == OpKind.AEAD and op.encrypt != s.encrypt:
            status = vc.ERR
        if status == vc.OK:
            status = check_request(s, op)          # one rule for every datapath
        if status == vc.OK and stateless:
            status = self.dp.create_session(s)
        if status != vc.OK:
            if stateless:
                s.wipe()
            return answer(status)

        held = len(op.iv) + len(op.src) + len(op.aad) + dst_total
        self.inflight += 1
        self.held_bytes += held
        answered = False
        generation = self.generation

        def done(res: OpResult) -> None:
            nonlocal answered
            if answered:        # a datapath bug must not publish one head twice
                self.counters["datapath_double_completion"] += 1
                log.error("queue %d: the datapath answered request %d twice; ignored", q, chain.head)
                return
            answered = True
            if stateless:       # its keys and context go with the request, whatever became of it
                self.dp.destroy_session(s)
                s.wipe()
            self.inflight -= 1
            self.held_bytes -= held
            if generation != self.generation or vq.broken:
                return          # reset since, or the queue is abandoned: the chain is not ours any more
            if res.status != vc.OK:
                return answer(res.status)
            if op.kind in (OpKind.CIPHER, OpKind.CHAIN):
                payload = res.dst + res.hash_result if res.hash_result else res.dst     # no copy for a cipher
            elif op.kind == OpKind.AEAD:
                payload = res.dst
            else:
                payload = res.hash_result
            self._complete(q, vq, chain, w, vc.OK, payload)

        self.dp.submit(s, op, done)

    def _parse_data(self, opcode: int, fixed: bytes, r: ChainReader) -> tuple[CryptoOp, int, int]:
        """Fixed part + variable part of a data request (spec order iv, src, aad)."""
        max_size = self.caps.max_size
        if opcode in (vc.CIPHER_ENCRYPT, vc.CIPHER_DECRYPT):
            op_type = struct.unpack_from("<I", fixed, vc.OP_TYPE_OFF - vc.OP_HDR.size)[0]
            if op_type == vc.SYM_OP_CIPHER:
                iv_len, src_len, dst_len, _ = vc.CIPHER_DATA.unpack_from(fixed, 0)
                if src_len != dst_len:
                    raise _Answer(vc.ERR, "src_data_len != dst_data_len", fatal=True)
                if iv_len + src_len + dst_len > max_size:
                    raise _Answer(vc.ERR, "request larger than max_size", fatal=True)
                op = CryptoOp(OpKind.CIPHER, iv=r.read(iv_len), src=r.read(src_len), dst_len=dst_len)
                return op, dst_len, vc.SERVICE_CIPHER
            if op_type == vc.SYM_OP_ALGORITHM_CHAINING:
                (iv_len, src_len, dst_len, c_start, c_len, h_start, h_len, aad_len, res_len,
                 _) = vc.CHAIN_DATA.unpack_from(fixed, 0)
                if src_len != dst_len:
                    raise _Answer(vc.ERR, "src_data_len != dst_data_len", fatal=True)
                if iv_len + src_len + dst_len + aad_len + res_len > max_size:
                    raise _Answer(vc.ERR, "request larger than max_size", fatal=True)
                iv, src = r.read(iv_len), r.read(src_len)
                aad = r.read(aad_len) if aad_len else b""        # parsed only when aad_len > 0
                op = CryptoOp(OpKind.CHAIN, iv=iv, src=src, aad=aad, dst_len=dst_len, hash_result_len=res_len,
                              cipher_start=c_start, len_to_cipher=c_len, hash_start=h_start, len_to_hash=h_len)
                return op, dst_len + res_len, vc.SERVICE_CIPHER
            raise _Answer(vc.NOTSUPP, "op_type not supported")
        if opcode in (vc.HASH, vc.MAC):
            src_len, res_len = vc.HASH_DATA.unpack_from(fixed, 0)
            if src_len + res_len > max_size:
                raise _Answer(vc.ERR, "request larger than max_size", fatal=True)
            op = CryptoOp(OpKind.HASH if opcode == vc.HASH else OpKind.MAC, src=r.read(src_len), hash_result_len=res_len)
            return op, res_len, vc.SERVICE_HASH if opcode == vc.HASH else vc.SERVICE_MAC
        iv_len, aad_len, src_len, dst_len = vc.AEAD_DATA.unpack_from(fixed, 0)
        if iv_len + aad_len + src_len + dst_len > max_size:
            raise _Answer(vc.ERR, "request larger than max_size", fatal=True)
        iv, src = r.read(iv_len), r.read(src_len)
        aad = r.read(aad_len) if aad_len else b""
        op = CryptoOp(OpKind.AEAD, encrypt=opcode == vc.AEAD_ENCRYPT, iv=iv, src=src, aad=aad, dst_len=dst_len)
        return op, dst_len, vc.SERVICE_AEAD

    def _parse_stateless(self, opcode: int, r: ChainReader) -> tuple[Session, CryptoOp, int]:
        """A stateless request (spec: virtio_crypto_*_data_flf/vlf_stateless): the session's
        parameters from the fixed part, its keys first in the variable part (read straight into
        the transient session's bytearrays), then the data in the spec's order. Lengths are
        checked against the limits before anything variable is read. Returns the session (not
        yet checked against the datapath), the operation and the result size."""
        c, max_size = self.caps, self.caps.max_size

        def too_big(*lengths: int) -> None:
            if sum(lengths) > max_size:
                raise _Answer(vc.ERR, "request larger than max_size", fatal=True)

        if opcode in (vc.CIPHER_ENCRYPT, vc.CIPHER_DECRYPT):
            fixed = r.read(vc.SYM_DATA_STATELESS_LEN)
            op_type = struct.unpack_from("<I", fixed, vc.SYM_DATA_STATELESS_LEN - 4)[0]
            if op_type == vc.SYM_OP_CIPHER:
                algo, key_len, cop, iv_len, src_len, dst_len = vc.CIPHER_DATA_STATELESS.unpack_from(fixed, 0)
                if src_len != dst_len:
                    raise _Answer(vc.ERR, "src_data_len != dst_data_len", fatal=True)
                too_big(key_len, iv_len, src_len, dst_len)
                status, s = symmetric_session(c, op_type, algo, key_len, cop, r.read_secret)
                if s is None:
                    raise _Answer(status, "stateless cipher parameters refused")
                with _wiped_on_error(s):
                    op = CryptoOp(OpKind.CIPHER, iv=r.read(iv_len), src=r.read(src_len), dst_len=dst_len)
                return s, op, dst_len
            if op_type == vc.SYM_OP_ALGORITHM_CHAINING:
                (order, sess_aad_len, algo, key_len, cop, h_algo, auth_len, hash_mode, iv_len, src_len, dst_len,
                 c_start, c_len, h_start, h_len, aad_len, res_len, _) = vc.CHAIN_DATA_STATELESS.unpack_from(fixed, 0)
                if src_len != dst_len:
                    raise _Answer(vc.ERR, "src_data_len != dst_data_len", fatal=True)
                if sess_aad_len != aad_len:       # the spec carries aad_len twice: they must agree
                    raise _Answer(vc.ERR, "sess_para.aad_len != aad_len")
                too_big(key_len, auth_len, iv_len, src_len, dst_len, aad_len, res_len)
                status, s = symmetric_session(c, op_type, algo, key_len, cop, r.read_secret, chain_order=order,
                                              hash_mode=hash_mode, hash_algo=h_algo, hash_result_len=res_len,
                                              auth_key_len=auth_len, aad_len=aad_len, read_auth_key=r.read_secret)
                if s is None:
                    raise _Answer(status, "stateless chaining parameters refused")
                with _wiped_on_error(s):
                    if hash_mode != vc.SYM_HASH_MODE_AUTH:
                        r.skip(auth_len)          # an auth key a plain hash does not use is still in the stream
                    iv, aad = r.read(iv_len), (r.read(aad_len) if aad_len else b"")
                    op = CryptoOp(OpKind.CHAIN, iv=iv, aad=aad, src=r.read(src_len), dst_len=dst_len,
                                  hash_result_len=res_len, cipher_start=c_start, len_to_cipher=c_len,
                                  hash_start=h_start, len_to_hash=h_len)
                return s, op, dst_len + res_len
            raise _Answer(vc.NOTSUPP, "op_type not supported")
        if opcode == vc.HASH:
            algo, src_len, res_len, _ = vc.HASH_DATA_STATELESS.unpack(r.read(vc.HASH_DATA_STATELESS.size))
            too_big(src_len, res_len)
            s = Session(vc.SERVICE_HASH, hash_algo=algo, hash_result_len=res_len)
            return s, CryptoOp(OpKind.HASH, src=r.read(src_len), hash_result_len=res_len), res_len
        if opcode == vc.MAC:
            algo, auth_len, src_len, res_len = vc.MAC_DATA_STATELESS.unpack(r.read(vc.MAC_DATA_STATELESS.size))
            if auth_len > c.max_auth_key_len:
                raise _Answer(vc.ERR, "auth key longer than max_auth_key_len")
            too_big(auth_len, src_len, res_len)
            s = Session(vc.SERVICE_MAC, hash_algo=algo, hash_result_len=res_len, auth_key=r.read_secret(auth_len))
            with _wiped_on_error(s):
                op = CryptoOp(OpKind.MAC, src=r.read(src_len), hash_result_len=res_len)
            return s, op, res_len
        (algo, key_len, aop, iv_len, tag_len, aad_len, src_len,
         dst_len) = vc.AEAD_DATA_STATELESS.unpack(r.read(vc.AEAD_DATA_STATELESS.size))
        if key_len > c.max_cipher_key_len:
            raise _Answer(vc.ERR, "key longer than max_cipher_key_len")
        too_big(key_len, iv_len, aad_len, src_len, dst_len)
        s = Session(vc.SERVICE_AEAD, aead_algo=algo, aead_key=r.read_secret(key_len), tag_len=tag_len,
                    aad_len=aad_len, aead_op=aop)
        with _wiped_on_error(s):
            iv, src = r.read(iv_len), r.read(src_len)
            op = CryptoOp(OpKind.AEAD, encrypt=opcode == vc.AEAD_ENCRYPT, iv=iv, src=src,
                          aad=r.read(aad_len) if aad_len else b"", dst_len=dst_len)
        return s, op, dst_len

    def close(self) -> None:
        self.reset()
        if self.lane is not None:
            self.lane.close()
            self.lane = None
        self.dp.close()


@contextmanager
def _wiped_on_error(s: Session):
    """A transient session whose request cannot be parsed to the end takes its keys with it."""
    try:
        yield
    except BaseException:
        s.wipe()
        raise


class _Answer(Exception):
    def __init__(self, status: int, why: str, fatal: bool = False):
        super().__init__(why)
        self.status, self.why, self.fatal = status, why, fatal
