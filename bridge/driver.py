"""A guest-side virtio-crypto driver model, for tests and the demo workload.

It does what the Linux `virtio_crypto` driver does (drivers/crypto/virtio): negotiates
VERSION_1 (+ INDIRECT_DESC, EVENT_IDX; no device-specific bit unless asked to), reads the
config, creates sessions through the control queue with the padded 72-byte request and the
key as a separate descriptor, two cipher sessions per key (encrypt and decrypt), and submits
data requests as a chain of: 72-byte header, separate IV, the source as scatter-gather
entries, the destination as scatter-gather entries that may be larger than needed, and a
1-byte status descriptor, through an indirect table. Other legal layouts (a header split
across descriptors, everything merged in one descriptor, the status sharing a descriptor with
the destination, no indirect table) are available for conformance tests.
"""
from __future__ import annotations

import random
import struct
from dataclasses import dataclass, field
from typing import Callable

from bridge import virtio_crypto as vc
from bridge.accel_client import Heap
from bridge.guest_memory import BytesGuestMemory
from bridge.virtqueue import DESC, U16, USED_ELEM, VIRTQ_DESC_F_INDIRECT, VIRTQ_DESC_F_NEXT, VIRTQ_DESC_F_WRITE, need_event

LAYOUTS = ("linux", "direct", "split", "merged")
_GARBAGE = memoryview(b"\xa5" * 65536)    # what a writable buffer holds before the device writes it


@dataclass
class Pending:
    queue: int
    head: int
    writable: list[tuple[int, int]]       # (gpa, len) of the writable segments
    allocations: list[int]
    dst_len: int = 0
    digest_len: int = 0
    result_len: int | None = None          # data bytes to return (defaults to dst_len + digest_len)
    done: bool = False
    used_len: int = 0
    status: int = -1
    dst: bytes = b""
    digest: bytes = b""
    extra: dict = field(default_factory=dict)
    readable: list[tuple[int, bytes]] = field(default_factory=list)   # (gpa, contents) as posted


class DriverQueue:
    def __init__(self, mem: BytesGuestMemory, heap: Heap, index: int, size: int, event_idx: bool):
        self.mem, self.heap, self.index, self.size, self.event_idx = mem, heap, index, size, event_idx
        self.desc = heap.alloc(16 * size, 4096)
        self.avail = heap.alloc(6 + 2 * size, 64)
        self.used = heap.alloc(6 + 8 * size, 4096)
        for off, n in ((self.desc, 16 * size), (self.avail, 6 + 2 * size), (self.used, 6 + 8 * size)):
            mem.write(off, bytes(n))
        self.free = list(range(size))
        self.avail_idx = 0
        self.last_used = 0
        self.kicked_idx = 0
        self.tokens: dict[int, tuple[Pending, list[int]]] = {}
        self.bad_used: list[tuple[int, int]] = []      # used entries naming a head not in flight

    def space(self, indirect: bool, nsegs: int) -> bool:
        return len(self.free) >= (1 if indirect else nsegs)

    def add(self, segs: list[tuple[int, int, bool]], token: Pending, indirect: bool, table: int = 0) -> int:
        """Post one chain: segs = [(gpa, len, writable)], readable ones first. An indirect table
        goes at `table` (16 bytes a segment, reserved by the caller) or in a block of its own."""
        if indirect and len(segs) > 1:
            if not table:
                table = self.heap.alloc(16 * len(segs), 16)
                token.allocations.append(table)
            last = len(segs) - 1
            raw = b"".join([DESC.pack(a, n, (VIRTQ_DESC_F_WRITE if w else 0) | (VIRTQ_DESC_F_NEXT if i < last else 0),
                                      i + 1 if i < last else 0) for i, (a, n, w) in enumerate(segs)])
            self.mem.write(table, raw)
            head = self.free.pop()
            self.mem.write(self.desc + 16 * head, DESC.pack(table, len(raw), VIRTQ_DESC_F_INDIRECT, 0))
            descs = [head]
        else:
            descs = [self.free.pop() for _ in segs]
            for i, ((a, n, w), d) in enumerate(zip(segs, descs)):
                last = i + 1 == len(segs)
                flags = (VIRTQ_DESC_F_WRITE if w else 0) | (0 if last else VIRTQ_DESC_F_NEXT)
                self.mem.write(self.desc + 16 * d, DESC.pack(a, n, flags, 0 if last else descs[i + 1]))
            head = descs[0]
        self.post(head, descs, token)
        return head

    # hand-made descriptors, for malformed-chain tests: take indices, write, post
    def take(self, n: int) -> list[int]:
        return [self.free.pop() for _ in range(n)]

    def write_desc(self, idx: int, addr: int, length: int, flags: int, nxt: int = 0) -> None:
        self.mem.write(self.desc + 16 * idx, DESC.pack(addr, length, flags, nxt))

    def post(self, head: int, idxs: list[int], token: Pending) -> None:
        """Make the chain at `head` (descriptors idxs) available: the ring entry, then the index."""
        self.tokens[head] = (token, idxs)
        self.mem.write(self.avail + 4 + 2 * (self.avail_idx % self.size), U16.pack(head))
        self.avail_idx = (self.avail_idx + 1) & 0xFFFF
        self.mem.write(self.avail + 2, U16.pack(self.avail_idx))

    def kick_needed(self) -> bool:
        old, new = self.kicked_idx, self.avail_idx
        self.kicked_idx = new
        if old == new:
            return False
        if self.event_idx:
            avail_event = U16.unpack(self.mem.read(self.used + 4 + 8 * self.size, 2))[0]
            return need_event(avail_event, new, old)
        flags = U16.unpack(self.mem.read(self.used, 2))[0]
        return not flags & 1

    def reap(self) -> list[tuple[Pending, int]]:
        used_idx = U16.unpack(self.mem.read(self.used + 2, 2))[0]
        out = []
        while self.last_used != used_idx:
            slot = self.used + 4 + 8 * (self.last_used % self.size)
            head, length = USED_ELEM.unpack(self.mem.read(slot, 8))
            self.last_used = (self.last_used + 1) & 0xFFFF
            if head not in self.tokens:            # a device bug: record it, keep going
                self.bad_used.append((head, length))
                continue
            token, descs = self.tokens.pop(head)
            self.free.extend(descs)
            out.append((token, length))
        if self.event_idx:     # used_event: interrupt me on the next completion
            self.mem.write(self.avail + 4 + 2 * self.size, U16.pack(self.last_used))
        return out


class VirtioCryptoDriver:
    def __init__(self, device, mem_bytes: int = 64 << 20, queue_size: int = 256, indirect: bool = True,
                 event_idx: bool = True, revision_1: bool = False, stateless: bool = False, seed: int = 0):
        """stateless=True (with revision_1) also negotiates every stateless-mode bit the device
        offers: the *_stateless request builders then work for those services."""
        self.dev = device
        self.mem = BytesGuestMemory(mem_bytes)
        self.heap = Heap(0x1000, mem_bytes)        # page 0 stays unused, like a null page
        self.rng = random.Random(seed)
        self.interrupts = 0
        self.kicks = 0                             # notifications sent to the device (all queues)
        self.config_changes = 0
        device.mem = self.mem
        device.on_notify = self._interrupt
        device.on_config_change = self._config_change
        self.queue_size = queue_size
        self.want_indirect = indirect
        self.want_event_idx = event_idx
        self.want_revision_1 = revision_1
        self.want_stateless = stateless and revision_1
        self.probe()

    def _interrupt(self, q: int) -> None:
        self.interrupts += 1

    def _config_change(self) -> None:
        self.config_changes += 1

    # -------------------------------------------------------------- probe (virtio 3.1.1)
    def probe(self) -> None:
        d = self.dev
        d.set_status(0)
        d.set_status(vc.ACKNOWLEDGE)
        d.set_status(vc.ACKNOWLEDGE | vc.DRIVER)
        want = (1 << vc.VIRTIO_F_VERSION_1) | (1 << vc.VIRTIO_F_INDIRECT_DESC) * self.want_indirect \
            | (1 << vc.VIRTIO_F_EVENT_IDX) * self.want_event_idx \
            | (1 << vc.VIRTIO_CRYPTO_F_REVISION_1) * self.want_revision_1
        if self.want_stateless:
            want |= sum(1 << b for b in (vc.VIRTIO_CRYPTO_F_CIPHER_STATELESS_MODE, vc.VIRTIO_CRYPTO_F_HASH_STATELESS_MODE,
                                         vc.VIRTIO_CRYPTO_F_MAC_STATELESS_MODE, vc.VIRTIO_CRYPTO_F_AEAD_STATELESS_MODE))
        self.features = d.device_features & want
        if not self.features & (1 << vc.VIRTIO_F_VERSION_1):
            raise RuntimeError("device does not offer VIRTIO_F_VERSION_1 (Linux refuses it too)")
        d.set_features(self.features)
        d.set_status(vc.ACKNOWLEDGE | vc.DRIVER | vc.FEATURES_OK)
        if not d.status & vc.FEATURES_OK:
            raise RuntimeError("device refused the features")
        cfg = self.config()
        if cfg["status"] & ~vc.VIRTIO_CRYPTO_S_HW_READY:
            raise RuntimeError("undefined status bits (Linux breaks the device)")
        self.num_dataqueues = cfg["max_dataqueues"]
        self.indirect = bool(self.features & (1 << vc.VIRTIO_F_INDIRECT_DESC))
        self.event_idx = bool(self.features & (1 << vc.VIRTIO_F_EVENT_IDX))
        self.queues = []
        for q in range(self.num_dataqueues + 1):
            dq = DriverQueue(self.mem, self.heap, q, self.queue_size, self.event_idx)
            d.setup_queue(q, self.queue_size, dq.desc, dq.avail, dq.used)
            self.queues.append(dq)
        d.set_status(vc.ACKNOWLEDGE | vc.DRIVER | vc.FEATURES_OK | vc.DRIVER_OK)

    def config(self) -> dict:
        names = ("status", "max_dataqueues", "crypto_services", "cipher_algo_l", "cipher_algo_h", "hash_algo",
                 "mac_algo_l", "mac_algo_h", "aead_algo", "max_cipher_key_len", "max_auth_key_len",
                 "akcipher_algo", "max_size")
        return dict(zip(names, vc.CONFIG.unpack(self.dev.config())))

    def supports(self, service: int, algo: int) -> bool:
        """Whether the device offers `algo` of `service`, from the config masks alone, as Linux's
        virtcrypto_algo_is_supported decides: the service bit and the algorithm's bit (MAC
        algorithms 32..63 in mac_algo_h, ciphers 32..63 in cipher_algo_h)."""
        c = self.config()
        if not c["crypto_services"] >> service & 1 or algo < 0:
            return False
        lo, hi = {vc.SERVICE_CIPHER: ("cipher_algo_l", "cipher_algo_h"), vc.SERVICE_HASH: ("hash_algo", None),
                  vc.SERVICE_MAC: ("mac_algo_l", "mac_algo_h"), vc.SERVICE_AEAD: ("aead_algo", None)}[service]
        if algo < 32:
            return bool(c[lo] >> algo & 1)
        return hi is not None and algo < 64 and bool(c[hi] >> (algo - 32) & 1)

    @property
    def controlq(self) -> int:
        return self.num_dataqueues

    # -------------------------------------------------------------- chains
    def _segments(self, readable: bytes, cuts_r: list[int], writable_len: int, cuts_w: list[int],
                  token: Pending, table: bool = False) -> tuple[list[tuple[int, int, bool]], int]:
        """Buffers for one chain, carved from one allocation (16-byte aligned each): the
        readable stream cut at cuts_r, then writable ones of sizes cuts_w filled with garbage
        the device must overwrite. table=True also reserves the chain's indirect table at the
        allocation's end (one allocation a request, as Linux's kmalloc of the sg table is one):
        returns (segments, the table's address or 0)."""
        sizes = [(max(n, 1) + 15) & ~15 for n in cuts_r + cuts_w]
        data_bytes = sum(sizes)
        a = self.heap.alloc(data_bytes + (16 * len(sizes) if table else 0))
        token.allocations.append(a)
        table_at = a + data_bytes if table else 0
        segs = []
        write, view, pos = self.mem.write, memoryview(readable), 0
        for n, size in zip(cuts_r, sizes):
            chunk = view[pos:pos + n]
            write(a, chunk)
            token.readable.append((a, chunk))
            segs.append((a, n, False))
            pos, a = pos + n, a + size
        assert pos == len(readable)
        for n, size in zip(cuts_w, sizes[len(cuts_r):]):
            write(a, _GARBAGE[:n] if n <= len(_GARBAGE) else b"\xa5" * n)
            segs.append((a, n, True))
            token.writable.append((a, n))
            a += size
        assert sum(cuts_w) == writable_len
        return segs, table_at

    def _cuts(self, parts: list[int], layout: str) -> list[int]:
        """Descriptor sizes for a stream made of `parts` (e.g. [72, iv, src])."""
        parts = [p for p in parts if p]
        if layout == "merged":
            return [sum(parts)] if parts else []
        if layout == "split":          # cut every part at random places, up to 3 pieces
            out = []
            for p in parts:
                cuts = sorted(self.rng.sample(range(1, p), min(2, p - 1))) if p > 1 else []
                edges = [0] + cuts + [p]
                out += [b - a for a, b in zip(edges, edges[1:])]
            return out
        out = []                       # linux / direct: one descriptor per part, data in pages
        for p in parts:
            while p > 4096:
                out.append(4096)
                p -= 4096
            out.append(p)
        return out

    def submit(self, q: int, readable_parts: list[bytes], dst_total: int, layout: str = "linux",
               extra_dst: int = 0, result_len: int | None = None, kick: bool = True) -> Pending:
        """Post a request: readable_parts (e.g. [header, iv, src]) and a writable area of
        dst_total bytes (+ extra_dst the device must ignore) + the 1-byte status."""
        token = Pending(q, -1, [], [], dst_len=dst_total, result_len=result_len)
        readable = b"".join(readable_parts)
        cuts_r = self._cuts([len(p) for p in readable_parts], layout)
        wlen = dst_total + extra_dst
        if layout == "merged":
            cuts_w = [wlen + 1]                       # the status shares the dst descriptor
        elif layout == "split":
            cuts_w = self._cuts([wlen], "split") + [1] if wlen else [1]
        else:
            cuts_w = self._cuts([wlen], layout) + [1]
        indirect = self.indirect and layout == "linux"
        segs, table = self._segments(readable, cuts_r, wlen + 1, cuts_w, token, table=indirect)
        dq = self.queues[q]
        token.head = dq.add(segs, token, indirect=indirect, table=table)
        if kick:
            self.kick(q)
        return token

    def kick(self, q: int) -> None:
        """Notify the device of queue q's new chains, unless it said it needs no kick."""
        if self.queues[q].kick_needed():
            self.kicks += 1
            self.dev.kick(q)

    def collect(self, q: int) -> list[Pending]:
        done = []
        for token, used_len in self.queues[q].reap():
            token.used_len = used_len
            w = token.writable
            if w:             # the status is the last writable byte; the data the first n bytes
                a, n = w[-1]
                token.status = self.mem.read(a + n - 1, 1)[0]
                want = token.dst_len if token.result_len is None else token.result_len
                parts = []
                for a, n in w:
                    if want <= 0:
                        break
                    parts.append(self.mem.read(a, min(n, want)))
                    want -= n
                token.extra["data"] = parts[0] if len(parts) == 1 else b"".join(parts)
            else:
                token.status, token.extra["data"] = -1, b""
            token.done = True
            for a in token.allocations:
                self.heap.release(a)
            done.append(token)
        return done

    def wait(self, tokens: list[Pending], timeout_polls: int = 1_000_000) -> list[Pending]:
        pending = {id(t) for t in tokens}
        queues = {t.queue for t in tokens}
        for _ in range(timeout_polls):
            for q in queues:
                for t in self.collect(q):
                    pending.discard(id(t))
            if not pending:
                return tokens
            self.dev.poll(0.05)
        raise TimeoutError(f"{len(pending)} requests never completed")

    def keep_in_flight(self, queues, depth: int, post: Callable[[int], Pending | None],
                       done: Callable[[Pending], None], more: Callable[[], bool],
                       each_round: Callable[[], bool] | None = None, poll_timeout: float = 0.02) -> None:
        """A guest that keeps `depth` requests in flight on each queue while more() holds:
        post(q) posts one request without kicking (None: nothing more to post now), each
        completion is handed to done(token), each_round() runs once a round, after posting and
        before polling (requests in flight), and may end the loop by returning True. Returns once more() is false and nothing is in flight."""
        live = dict.fromkeys(queues, 0)
        while True:
            going = more()
            for q in live:
                posted = False
                while going and live[q] < depth:
                    if post(q) is None:
                        break
                    live[q] += 1
                    posted = True
                if posted:
                    self.kick(q)
            if each_round is not None and each_round():      # with this round's requests in flight
                return
            self.dev.poll(poll_timeout)
            for q in live:
                for t in self.collect(q):
                    live[q] -= 1
                    done(t)
            if not going and not any(live.values()):
                return

    # -------------------------------------------------------------- control queue
    def _ctrl(self, req: bytes, keys: list[bytes], out_len: int, layout: str = "linux") -> Pending:
        parts = [req] + [k for k in keys if k]
        token = Pending(self.controlq, -1, [], [], dst_len=out_len)
        cuts_r = self._cuts([len(p) for p in parts], layout if layout != "linux" else "direct")
        segs, _ = self._segments(b"".join(parts), cuts_r, out_len, [out_len], token)
        dq = self.queues[self.controlq]
        token.head = dq.add(segs, token, indirect=False)
        self.kick(self.controlq)
        got = self.collect(self.controlq)
        assert got and got[0] is token, "control requests complete synchronously"
        return token

    def _ctrl_req(self, opcode: int, algo: int, body: bytes) -> bytes:
        fixed = body if self.dev.revision_1 else body.ljust(56, b"\0")
        return vc.CTRL_HDR.pack(opcode, algo, 0, 0) + fixed

    def create_session(self, opcode: int, algo: int, body: bytes, keys: list[bytes],
                       layout: str = "linux") -> tuple[int, int]:
        t = self._ctrl(self._ctrl_req(opcode, algo, body), keys, 16, layout)
        sid, status, _ = vc.SESSION_INPUT.unpack(t.extra["data"])
        return status, sid

    def create_cipher_session(self, algo: int, key: bytes, op: int) -> tuple[int, int]:
        body = vc.CIPHER_PARA.pack(algo, len(key), op, 0).ljust(48, b"\0") + struct.pack("<II", vc.SYM_OP_CIPHER, 0)
        return self.create_session(vc.CIPHER_CREATE_SESSION, algo, body, [key])

    def create_chain_session(self, algo: int, key: bytes, op: int, order: int, hash_mode: int, hash_algo: int,
                             result_len: int, auth_key: bytes = b"", aad_len: int = 0) -> tuple[int, int]:
        para = vc.CHAIN_PARA.pack(order, hash_mode, algo, len(key), op, 0, hash_algo, result_len,
                                  len(auth_key) if hash_mode == vc.SYM_HASH_MODE_AUTH else 0, 0, aad_len, 0)
        body = para + struct.pack("<II", vc.SYM_OP_ALGORITHM_CHAINING, 0)
        keys = [key] + ([auth_key] if hash_mode == vc.SYM_HASH_MODE_AUTH else [])
        return self.create_session(vc.CIPHER_CREATE_SESSION, algo, body, keys)

    def create_hash_session(self, algo: int, result_len: int) -> tuple[int, int]:
        return self.create_session(vc.HASH_CREATE_SESSION, algo, vc.HASH_SESS.pack(algo, result_len), [])

    def create_mac_session(self, algo: int, result_len: int, key: bytes) -> tuple[int, int]:
        body = vc.MAC_SESS.pack(algo, result_len, len(key)).ljust(16, b"\0")
        return self.create_session(vc.MAC_CREATE_SESSION, algo, body, [key])

    def create_aead_session(self, algo: int, key: bytes, tag_len: int, aad_len: int, op: int) -> tuple[int, int]:
        body = vc.AEAD_SESS.pack(algo, len(key), tag_len, aad_len, op).ljust(24, b"\0")
        return self.create_session(vc.AEAD_CREATE_SESSION, algo, body, [key])

    def destroy_session(self, opcode: int, sid: int) -> int:
        body = vc.DESTROY.pack(sid)
        t = self._ctrl(self._ctrl_req(opcode, 0, body), [], 1)
        return t.extra["data"][0]

    def skcipher_setkey(self, algo: int, key: bytes) -> tuple[int, int]:
        """Linux's setkey: an encrypt and a decrypt session for the same key."""
        st_e, enc = self.create_cipher_session(algo, key, vc.OP_ENCRYPT)
        st_d, dec = self.create_cipher_session(algo, key, vc.OP_DECRYPT)
        if st_e != vc.OK or st_d != vc.OK:
            raise RuntimeError(f"setkey failed: {st_e}, {st_d}")
        return enc, dec

    # -------------------------------------------------------------- data requests
    def _hdr(self, opcode: int, sid: int, fixed: bytes, algo: int = 0) -> bytes:
        flag = 1 if self.dev.revision_1 else 0          # SESSION_MODE under REVISION_1
        fixed = fixed if self.dev.revision_1 else fixed.ljust(48, b"\0")
        return vc.OP_HDR.pack(opcode, algo, sid, flag, 0) + fixed

    def cipher(self, q: int, sid: int, encrypt: bool, iv: bytes, src: bytes, layout: str = "linux",
               extra_dst: int = 0, kick: bool = True) -> Pending:
        fixed = vc.cipher_data_fixed(len(iv), len(src), len(src))
        opc = vc.CIPHER_ENCRYPT if encrypt else vc.CIPHER_DECRYPT
        return self.submit(q, [self._hdr(opc, sid, fixed), iv, src], len(src), layout, extra_dst, kick=kick)

    def chain(self, q: int, sid: int, encrypt: bool, iv: bytes, src: bytes, result_len: int, aad: bytes = b"",
              cipher_range: tuple[int, int] | None = None, hash_range: tuple[int, int] | None = None,
              layout: str = "linux", kick: bool = True) -> Pending:
        cs, cl = cipher_range or (0, len(src))
        hs, hl = hash_range or (0, len(src))
        fixed = vc.CHAIN_DATA.pack(len(iv), len(src), len(src), cs, cl, hs, hl, len(aad), result_len, 0) + \
            struct.pack("<II", vc.SYM_OP_ALGORITHM_CHAINING, 0)
        opc = vc.CIPHER_ENCRYPT if encrypt else vc.CIPHER_DECRYPT
        t = self.submit(q, [self._hdr(opc, sid, fixed), iv, src, aad], len(src) + result_len, layout, kick=kick)
        t.digest_len = result_len
        return t

    def hash(self, q: int, sid: int, src: bytes, result_len: int, mac: bool = False, layout: str = "linux",
             kick: bool = True) -> Pending:
        fixed = vc.HASH_DATA.pack(len(src), result_len)
        t = self.submit(q, [self._hdr(vc.MAC if mac else vc.HASH, sid, fixed), src], result_len, layout, kick=kick)
        t.digest_len = result_len
        return t

    def aead(self, q: int, sid: int, encrypt: bool, iv: bytes, src: bytes, aad: bytes, dst_len: int,
             layout: str = "linux", kick: bool = True) -> Pending:
        fixed = vc.AEAD_DATA.pack(len(iv), len(aad), len(src), dst_len).ljust(24, b"\0")
        opc = vc.AEAD_ENCRYPT if encrypt else vc.AEAD_DECRYPT
        return self.submit(q, [self._hdr(opc, sid, fixed), iv, src, aad], dst_len, layout, kick=kick)

    # -------------------------------------------------------------- stateless data requests
    # (REVISION_1 + the service's stateless bit: no session; the parameters and keys travel in
    # the request, the flag is 0; spec layouts virtio_crypto_*_data_flf/vlf_stateless)
    def _stateless_hdr(self, opcode: int, algo: int = 0) -> bytes:
        return vc.OP_HDR.pack(opcode, algo, 0, 0, 0)

    def cipher_stateless(self, q: int, algo: int, key: bytes, encrypt: bool, iv: bytes, src: bytes,
                         op: int | None = None, layout: str = "linux", kick: bool = True) -> Pending:
        """`op` (the direction in sess_para) defaults to the opcode's; set it to test a mismatch."""
        op = (vc.OP_ENCRYPT if encrypt else vc.OP_DECRYPT) if op is None else op
        fixed = vc.CIPHER_DATA_STATELESS.pack(algo, len(key), op, len(iv), len(src), len(src)).ljust(72, b"\0") + \
            struct.pack("<I", vc.SYM_OP_CIPHER)
        opc = vc.CIPHER_ENCRYPT if encrypt else vc.CIPHER_DECRYPT
        return self.submit(q, [self._stateless_hdr(opc, algo), fixed, key, iv, src], len(src), layout, kick=kick)

    def chain_stateless(self, q: int, algo: int, key: bytes, encrypt: bool, order: int, hash_mode: int,
                        hash_algo: int, auth_key: bytes, iv: bytes, src: bytes, result_len: int, aad: bytes = b"",
                        layout: str = "linux", kick: bool = True) -> Pending:
        op = vc.OP_ENCRYPT if encrypt else vc.OP_DECRYPT
        n = len(src)
        fixed = vc.CHAIN_DATA_STATELESS.pack(order, len(aad), algo, len(key), op, hash_algo, len(auth_key), hash_mode,
                                             len(iv), n, n, 0, n, 0, n, len(aad), result_len, 0) + \
            struct.pack("<I", vc.SYM_OP_ALGORITHM_CHAINING)
        opc = vc.CIPHER_ENCRYPT if encrypt else vc.CIPHER_DECRYPT
        t = self.submit(q, [self._stateless_hdr(opc, algo), fixed, key, auth_key, iv, aad, src], n + result_len,
                        layout, kick=kick)
        t.digest_len = result_len
        return t

    def hash_stateless(self, q: int, algo: int, src: bytes, result_len: int, auth_key: bytes | None = None,
                       layout: str = "linux", kick: bool = True) -> Pending:
        """A HASH request, or a MAC request when an auth key is given."""
        if auth_key is None:
            parts = [self._stateless_hdr(vc.HASH, algo), vc.HASH_DATA_STATELESS.pack(algo, len(src), result_len, 0),
                     src]
        else:
            parts = [self._stateless_hdr(vc.MAC, algo),
                     vc.MAC_DATA_STATELESS.pack(algo, len(auth_key), len(src), result_len), auth_key, src]
        t = self.submit(q, parts, result_len, layout, kick=kick)
        t.digest_len = result_len
        return t

    def aead_stateless(self, q: int, algo: int, key: bytes, encrypt: bool, iv: bytes, src: bytes, aad: bytes,
                       tag_len: int, dst_len: int, layout: str = "linux", kick: bool = True) -> Pending:
        op = vc.OP_ENCRYPT if encrypt else vc.OP_DECRYPT
        fixed = vc.AEAD_DATA_STATELESS.pack(algo, len(key), op, len(iv), tag_len, len(aad), len(src), dst_len)
        opc = vc.AEAD_ENCRYPT if encrypt else vc.AEAD_DECRYPT
        return self.submit(q, [self._stateless_hdr(opc, algo), fixed, key, iv, src, aad], dst_len, layout, kick=kick)

    def run(self, token: Pending) -> Pending:
        """Wait for one request and split its result."""
        self.wait([token])
        data = token.extra["data"]
        token.dst = data[: token.dst_len - token.digest_len]
        token.digest = data[token.dst_len - token.digest_len: token.dst_len]
        return token
