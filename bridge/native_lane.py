"""The soft datapath's native lane (bridge/native/cipher_lane.c), bound with ctypes.

The device hands each data queue to `NativeLane.drain()` before its Python pop(): the lane
answers the well-formed plain AES cipher requests of a session (ECB, CBC, CTR, XTS: what a
Linux guest's skcipher sends) in C with OpenSSL, and stops at the first chain that is anything
else, which the Python path then takes and answers. It serves only what the Python path would
answer OK, so every other status is still decided in device.py (the contract is at the top of
the C file; tests/test_native_lane.py compares both paths request by request).

The library is built on first use into build/native/ (a file named by the hash of its source
and flags, so an edited source is rebuilt) with the C compiler and OpenSSL's libcrypto
(`libssl-dev`, installed by sim/setup.sh). If it cannot be built the device runs without it
(one warning): every request then takes the Python path, with the same results.
"""
from __future__ import annotations

import ctypes
import hashlib
import logging
import os
import subprocess
import tempfile
import weakref
from pathlib import Path

from bridge import virtio_crypto as vc
from bridge import virtqueue as vq_rules
from bridge.algorithms import CIPHERS
from bridge.session import Session

log = logging.getLogger("vcrypto.native_lane")

SOURCE = Path(__file__).with_name("native") / "cipher_lane.c"
BUILD = Path(__file__).resolve().parent.parent / "build" / "native"
CFLAGS = ["-O2", "-fPIC", "-shared", "-Wall", "-Wextra", "-Werror", "-std=c11", "-D_DEFAULT_SOURCE"]
LIBS = ["-lcrypto"]
MODES = {"ecb": 0, "cbc": 1, "ctr": 2, "xts": 3}      # enum in cipher_lane.c
MAX_REGIONS = 32


class _Params(ctypes.Structure):
    _fields_ = [(n, ctypes.c_uint32) for n in ("desc_f_next", "desc_f_write", "desc_f_indirect", "used_f_no_notify",
                                               "max_chain_descs")] + \
               [("max_chain_bytes", ctypes.c_uint64)] + \
               [(n, ctypes.c_uint32) for n in ("op_encrypt", "op_decrypt", "flag_session_mode", "sym_op_cipher",
                                               "status_ok", "hdr_len", "fixed_len", "op_type_off")]


class _Region(ctypes.Structure):
    _fields_ = [("gpa", ctypes.c_uint64), ("size", ctypes.c_uint64), ("host", ctypes.c_void_p)]


class _Device(ctypes.Structure):
    _fields_ = [("revision_1", ctypes.c_uint32), ("cipher_offered", ctypes.c_uint32), ("max_size", ctypes.c_uint64),
                ("nregions", ctypes.c_uint32), ("regions", _Region * MAX_REGIONS)]


class _Queue(ctypes.Structure):
    _fields_ = [("desc", ctypes.c_uint64), ("avail", ctypes.c_uint64), ("used", ctypes.c_uint64),
                ("size", ctypes.c_uint32), ("event_idx", ctypes.c_uint32),
                ("last_avail", ctypes.c_uint32), ("used_idx", ctypes.c_uint32),
                ("kicks_wanted", ctypes.c_uint32), ("high_water", ctypes.c_uint32),
                ("held", ctypes.c_void_p), ("emptied", ctypes.c_uint32), ("last_sid", ctypes.c_uint64)]


class _Budget(ctypes.Structure):
    _fields_ = [("chains", ctypes.c_int64), ("descs", ctypes.c_int64), ("bytes", ctypes.c_int64)]


class _Write(ctypes.Structure):
    _fields_ = [("gpa", ctypes.c_uint64), ("len", ctypes.c_uint32), ("value", ctypes.c_uint8 * 8)]


class _Trace(ctypes.Structure):
    _fields_ = [("w", ctypes.POINTER(_Write)), ("cap", ctypes.c_uint32), ("n", ctypes.c_uint32)]


TRACE_CAPACITY = 4096


def _address(buf) -> int:
    """Host address of a writable buffer (bytearray, or a memoryview of an mmap). The ctypes view
    is dropped at once so the buffer keeps no export (an mmap can still be closed); the caller
    keeps the buffer itself alive while the address is used."""
    return ctypes.addressof(ctypes.c_char.from_buffer(buf))


_lib: ctypes.CDLL | None = None
_lib_error = ""


def library() -> ctypes.CDLL | None:
    """The built lane, or None (and `library_error()` says why)."""
    global _lib, _lib_error
    if _lib is not None or _lib_error:
        return _lib
    cc = os.environ.get("CC", "cc")
    # VCRYPTO_LANE_CFLAGS: more flags, e.g. "-fsanitize=address -g" for a sanitizer run (with
    # LD_PRELOAD of the compiler's libasan: bridge/README.md, "The native lane")
    flags = CFLAGS + os.environ.get("VCRYPTO_LANE_CFLAGS", "").split()
    digest = hashlib.sha256(SOURCE.read_bytes() + " ".join([cc, *flags, *LIBS]).encode()).hexdigest()[:16]
    so = BUILD / f"cipher_lane-{digest}.so"
    try:
        if not so.exists():
            BUILD.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=BUILD, suffix=".so")      # then renamed: parallel builds are safe
            os.close(fd)
            try:
                subprocess.run([cc, *flags, "-o", tmp, str(SOURCE), *LIBS], check=True, capture_output=True,
                               text=True, timeout=120)
                os.replace(tmp, so)
            finally:
                if os.path.exists(tmp):
                    os.unlink(tmp)
        lib = ctypes.CDLL(str(so))
    except (OSError, subprocess.SubprocessError) as e:
        detail = getattr(e, "stderr", "") or str(e)
        _lib_error = f"the native lane cannot be built ({cc}, libcrypto): {detail.strip()[-500:]}"
        log.warning("%s; every request takes the Python path", _lib_error)
        return None
    lib.lane_new.restype = ctypes.c_void_p
    lib.lane_new.argtypes = [ctypes.POINTER(_Params), ctypes.c_uint32]
    lib.lane_free.argtypes = [ctypes.c_void_p]
    lib.lane_session_add.restype = ctypes.c_int
    lib.lane_session_add.argtypes = [ctypes.c_void_p, ctypes.c_uint64, ctypes.c_uint32, ctypes.c_uint32,
                                     ctypes.c_void_p, ctypes.c_uint32]
    lib.lane_session_remove.argtypes = [ctypes.c_void_p, ctypes.c_uint64]
    _lib = lib
    return lib


def library_error() -> str:
    return _lib_error


class NativeLane:
    """One device's lane: its sessions' key schedules and the guest memory it may touch."""

    def __init__(self, lib: ctypes.CDLL, max_sessions: int, max_size: int, cipher_offered: bool):
        p = _Params(desc_f_next=vq_rules.VIRTQ_DESC_F_NEXT, desc_f_write=vq_rules.VIRTQ_DESC_F_WRITE,
                    desc_f_indirect=vq_rules.VIRTQ_DESC_F_INDIRECT, used_f_no_notify=vq_rules.VIRTQ_USED_F_NO_NOTIFY,
                    max_chain_descs=vq_rules.MAX_CHAIN_DESCS, max_chain_bytes=vq_rules.MAX_CHAIN_BYTES,
                    op_encrypt=vc.CIPHER_ENCRYPT, op_decrypt=vc.CIPHER_DECRYPT,
                    flag_session_mode=vc.FLAG_SESSION_MODE, sym_op_cipher=vc.SYM_OP_CIPHER, status_ok=vc.OK,
                    hdr_len=vc.OP_HDR.size, fixed_len=vc.DATA_REQ_LEN - vc.OP_HDR.size,
                    op_type_off=vc.OP_TYPE_OFF - vc.OP_HDR.size)
        self._lib = lib
        self._handle = lib.lane_new(ctypes.byref(p), max_sessions)
        if not self._handle:
            raise MemoryError("lane_new")
        self._dev = _Device(cipher_offered=int(cipher_offered), max_size=max_size)
        self._budget = _Budget()
        # the per-request call: its arguments made once, as c_void_p (a function object without
        # argtypes: 0.35 us a call here instead of 0.96 with them checked each time)
        self._drain_fn = lib["lane_drain"]
        self._drain_fn.restype = ctypes.c_int64
        self._handle_p = ctypes.c_void_p(self._handle)
        self._dev_p = ctypes.c_void_p(ctypes.addressof(self._dev))
        self._budget_p = ctypes.c_void_p(ctypes.addressof(self._budget))
        # the guest memory whose regions _dev holds, weakly: a strong reference would keep its
        # views, and so its maps, alive after the transport has replaced it
        self._mem = lambda: None
        self.served = 0               # requests answered here (the device counts them as requests too)
        self.last_sid = -1            # the session of the last one
        self._trace = None            # set by trace_writes()
        self._trace_p = None
        self._on_write = None

    def trace_writes(self, on_write) -> None:
        """Audit: `on_write(gpa, data)` for each guest-memory write the lane makes, in order,
        after each drain (writes over 8 bytes are passed as the bytes now at that place)."""
        self._on_write = on_write
        self._trace = _Trace((_Write * TRACE_CAPACITY)(), TRACE_CAPACITY, 0)
        self._trace_p = ctypes.c_void_p(ctypes.addressof(self._trace))

    # ------------------------------------------------------------ sessions
    def add(self, sid: int, s: Session) -> bool:
        """Serve session `sid` here if it is a plain AES cipher session; its key is passed from
        the session's own bytearray (no copy in Python) into OpenSSL's key schedule."""
        if s.service != vc.SERVICE_CIPHER or s.chaining or s.cipher_algo not in CIPHERS or not s.cipher_key:
            return False
        key = (ctypes.c_uint8 * len(s.cipher_key)).from_buffer(s.cipher_key)
        try:
            ok = self._lib.lane_session_add(self._handle, sid, MODES[CIPHERS[s.cipher_algo].name], int(s.encrypt),
                                            ctypes.addressof(key), len(s.cipher_key)) == 0
        finally:
            del key
        return ok

    def remove(self, sid: int) -> None:
        """The session's key schedule is freed (OpenSSL cleanses it)."""
        self._lib.lane_session_remove(self._handle, sid)

    # ------------------------------------------------------------ requests
    def _regions(self, mem) -> None:
        """The regions of `mem` for the lane; none (the lane then takes nothing) for a memory
        without spans(), with too many regions, or with a read-only mapping."""
        spans = mem.spans() if hasattr(mem, "spans") else None
        self._mem = weakref.ref(mem)
        self._dev.nregions = 0
        if not spans or len(spans) > MAX_REGIONS:
            return
        try:
            for i, (gpa, size, buf) in enumerate(spans):
                self._dev.regions[i] = _Region(gpa, size, _address(buf) if size else 0)
        except (TypeError, ValueError):          # a read-only mapping: the lane cannot write results there
            return
        self._dev.nregions = len(spans)

    def drain(self, mem, vq, budget, revision_1: bool) -> tuple[int, bool]:
        """Answer chains of `vq` here while they are plain cipher requests of a lane session:
        (how many, whether it ended on an empty ring having asked for the next kick, as pop()
        does then). The queue's positions and the budget are updated as pop() would."""
        if vq.avail_idx() == vq.last_avail or not self._handle:
            return 0, False            # an empty ring: pop() asks for the next kick (the cheap case first)
        if mem is not self._mem():
            self._regions(mem)
        if not self._dev.nregions:
            return 0, False
        if vq.lane_state is None:      # its rings' addresses and its held-heads map, made once
            st = _Queue(desc=vq.desc, avail=vq.avail, used=vq.used, size=vq.size, event_idx=int(vq.event_idx),
                        held=_address(vq.held))
            vq.lane_state = (st, ctypes.c_void_p(ctypes.addressof(st)))
        st, st_p = vq.lane_state
        st.last_avail, st.used_idx, st.kicks_wanted, st.high_water = \
            vq.last_avail, vq.used_idx, vq.kicks_wanted, vq.high_water
        b = self._budget
        b.chains, b.descs, b.bytes = budget.chains, budget.descs, budget.bytes
        self._dev.revision_1 = revision_1
        n = self._drain_fn(self._handle_p, self._dev_p, st_p, self._budget_p, self._trace_p)
        if self._trace is not None:
            self._replay(mem)
        vq.last_avail, vq.used_idx, vq.kicks_wanted, vq.high_water = \
            st.last_avail, st.used_idx, bool(st.kicks_wanted), st.high_water
        budget.chains, budget.descs, budget.bytes = b.chains, b.descs, b.bytes
        if n:
            self.served += n
            self.last_sid = st.last_sid
        return n, bool(st.emptied)

    def _replay(self, mem) -> None:
        t = self._trace
        for i in range(t.n):
            w = t.w[i]
            self._on_write(w.gpa, bytes(w.value[:w.len]) if w.len <= 8 else mem.read(w.gpa, w.len))
        t.n = 0

    def close(self) -> None:
        if self._handle:
            self._lib.lane_free(self._handle)      # every key schedule freed, the scratch buffer cleansed
            self._handle = None
            self._handle_p = ctypes.c_void_p(None)
        self._mem = lambda: None
