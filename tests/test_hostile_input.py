"""Hostile input: property-based tests (hypothesis) of the control queue, the data queues and
the vhost-user message parser, and the regression tests of the bugs they found.

The generators (below) build requests with the driver model and then mutate them, or build
chains from raw descriptors: flags flipped, lengths and addresses set to boundary and
out-of-range values, next pointers that loop or leave the table, indirect tables with bad
lengths, request headers with unknown opcodes/algorithms/sessions and lying length fields,
truncated payloads, avail ring entries and indices that make no sense, device resets with
requests in flight. The invariant is checked by tests/hostile.py (the device writes only inside
device-writable buffers of the chain it completes, or the used ring; every available chain is
completed or the device sets NEEDS_RESET and leaves the queue alone; nothing raises out of
kick/poll/reset; nothing hangs).

`make test` runs a fixed number of derandomized examples per property; `make fuzz`
(FUZZ_CASES=N) runs the same properties with N examples each and a random seed.
"""
from __future__ import annotations

import contextlib
import logging
import os
import random
import struct
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bridge import virtio_crypto as vc
from bridge.driver import LAYOUTS
from bridge.virtqueue import DESC, VIRTQ_DESC_F_INDIRECT, VIRTQ_DESC_F_NEXT, VIRTQ_DESC_F_WRITE
from tests.hostile import MEM, DeviceHarness, Pending, VhostHarness, post_raw

FUZZ_CASES = int(os.environ.get("VCRYPTO_FUZZ_CASES", "0") or 0)


def prop_settings(ci_examples: int, share: float = 1.0) -> settings:
    if FUZZ_CASES:       # make fuzz: many examples, a new random seed each run, failures kept in .hypothesis/
        return settings(max_examples=max(1, int(FUZZ_CASES * share)), deadline=None, derandomize=False, print_blob=True,
                        suppress_health_check=list(HealthCheck))
    return settings(max_examples=ci_examples, deadline=None, derandomize=True, database=None,
                    suppress_health_check=list(HealthCheck))


OUTCOMES: dict[str, int] = {}


def tally(h: DeviceHarness) -> None:
    st_ = h.stats
    for k, v in (("chains", st_["chains"]), ("answered with a status", st_["with_status"]),
                 ("data requests OK", st_["with_status_data"] - h.dev.counters["errors"]),
                 ("of them answered in the native lane", st_.get("lane", 0)),
                 ("used length 0 (needs reset)", st_["used_len_0"]),
                 ("queues left with NEEDS_RESET", st_["queues_abandoned"]),
                 ("cases that set NEEDS_RESET", st_["needs_reset"])):
        OUTCOMES[k] = OUTCOMES.get(k, 0) + v


@contextlib.contextmanager
def pinned_local_constants():
    """Hypothesis (>= 6.131) also draws integers found in the source of every *imported* local
    module, so a derandomized run would depend on what other tests had imported before it (the
    counts changed with the test order). For `make test`, pin that pool to the modules under
    test (hypothesis is pinned, so this internal hook is stable); `make fuzz` keeps the default."""
    from hypothesis.internal.conjecture import providers
    from hypothesis.internal.constants_ast import Constants, constants_from_module
    from hypothesis.internal.floats import float_to_int
    from sortedcontainers import SortedSet

    import bridge.datapath
    import bridge.device
    import bridge.driver
    import bridge.guest_memory
    import bridge.vhost_user
    import bridge.virtqueue
    pool = Constants(integers=SortedSet(), floats=SortedSet(key=float_to_int), bytes=SortedSet(), strings=SortedSet())
    for m in (vc, bridge.virtqueue, bridge.device, bridge.driver, bridge.datapath, bridge.guest_memory,
              bridge.vhost_user):
        got = constants_from_module(m)
        for kind in ("integers", "floats", "bytes", "strings"):
            getattr(pool, kind).update(getattr(got, kind))
    providers.CONSTANTS_CACHE.cache.clear()
    try:
        with mock.patch.object(providers, "_get_local_constants", lambda: pool):
            yield
    finally:
        providers.CONSTANTS_CACHE.cache.clear()


def run_counted(record_property, prop) -> int:
    """Run a hypothesis property; record and print how many cases it executed (and, for the
    device, what became of the chains: a status, used length 0, left behind with NEEDS_RESET)."""
    count = [0]
    OUTCOMES.clear()
    quiet = logging.getLogger("vcrypto")       # hostile input makes the device log a warning per bad chain
    level = quiet.level
    quiet.setLevel(logging.CRITICAL)
    try:
        with contextlib.nullcontext() if FUZZ_CASES else pinned_local_constants():
            prop(count)
    finally:
        quiet.setLevel(level)
    record_property("hostile_cases", count[0])
    if OUTCOMES:
        record_property("hostile_outcomes", ", ".join(f"{k} {v}" for k, v in OUTCOMES.items()))
    print(f"\n{prop.__name__}: {count[0]} cases run" + "".join(f"; {k} {v}" for k, v in OUTCOMES.items()))
    return count[0]


# ---------------------------------------------------------------- value pools
U32_EDGES = [0, 1, 2, 3, 4, 8, 12, 15, 16, 17, 20, 24, 28, 31, 32, 33, 48, 56, 64, 72, 255, 256, 512, 513,
             4096, (1 << 20) - 1, 1 << 20, (1 << 20) + 1, 1 << 21, 0x7FFFFFFF, 0x80000000, 0xFFFFFFF0, 0xFFFFFFFF]
DATA_OPCODES = [vc.CIPHER_ENCRYPT, vc.CIPHER_DECRYPT, vc.HASH, vc.MAC, vc.AEAD_ENCRYPT, vc.AEAD_DECRYPT,
                vc.AKCIPHER_ENCRYPT, 0x0403, 0x0777, 0, 0xFFFFFFFF]
CTRL_OPCODES = [vc.CIPHER_CREATE_SESSION, vc.HASH_CREATE_SESSION, vc.MAC_CREATE_SESSION, vc.AEAD_CREATE_SESSION,
                vc.AKCIPHER_CREATE_SESSION, vc.CIPHER_DESTROY_SESSION, vc.HASH_DESTROY_SESSION,
                vc.MAC_DESTROY_SESSION, vc.AEAD_DESTROY_SESSION, vc.AKCIPHER_DESTROY_SESSION, 0x0777, 0, 0xFFFFFFFF]

u32s = st.one_of(st.sampled_from(U32_EDGES), st.integers(0, 2**32 - 1))
lengths = st.one_of(st.sampled_from([0, 1, 15, 16, 17, 71, 72, 73, 4096, 1 << 20, 0x7FFFFFFF, 0xFFFFFFFF]),
                    st.integers(0, 600))
u64_ids = st.one_of(st.sampled_from([0, 1, 7, 99, 255, 256, 2**32, 2**63, 2**64 - 1]), st.integers(0, 2**64 - 1))


def address(data, h: DeviceHarness) -> int:
    """A buffer address: inside guest memory above the rings, at its edges, or far outside."""
    return data.draw(st.one_of(
        st.integers(h.data_lo, MEM - 1),
        st.sampled_from([h.data_lo, MEM - 72, MEM - 16, MEM - 1, MEM, MEM + 4096, 2**32, 2**63, 2**64 - 16,
                         2**64 - 1]),
        st.integers(2**32, 2**64 - 1)), label="address")


def payload(data, n: int) -> bytes:
    return random.Random(data.draw(st.integers(0, 2**32 - 1), label="payload seed")).randbytes(n)


def session_id(data, h: DeviceHarness, *names: str) -> int:
    own = [h.sessions[n] for n in names if n in h.sessions]
    if own and data.draw(st.sampled_from([True, True, True, False]), label="own session"):
        return data.draw(st.sampled_from(own), label="session")
    return data.draw(u64_ids, label="session")


def enough_descriptors(h: DeviceHarness, q: int) -> bool:
    return len(h.drv.queues[q].free) >= 24


# ---------------------------------------------------------------- valid requests (then mutated)
def post_data_request(data, h: DeviceHarness, q: int) -> Pending | None:
    if not enough_descriptors(h, q):
        return None
    drv = h.drv
    kinds = ["cipher", "chain", "hash", "mac", "aead", "raw_header"]
    if drv.want_stateless:
        kinds += ["stateless_cipher", "stateless_chain", "stateless_hash", "stateless_mac", "stateless_aead"]
    kind = data.draw(st.sampled_from(kinds), label="data kind")
    layout = data.draw(st.sampled_from(LAYOUTS), label="layout")
    nbytes = st.one_of(st.sampled_from(range(0, 641, 16)),
                       st.sampled_from([0, 1, 15, 16, 17, 32, 48, 64, 100, 256]), st.integers(0, 600))
    if kind.startswith("stateless_"):
        return post_stateless_request(data, drv, q, kind[len("stateless_"):], layout, nbytes)
    if kind == "cipher":
        name = data.draw(st.sampled_from(["cbc_enc", "cbc_dec", "ctr_enc", "ecb_dec", "xts_enc"]))
        sid = session_id(data, h, name)
        iv = payload(data, data.draw(st.sampled_from([16, 16, 16, 0, 8, 12, 17])))
        src = payload(data, data.draw(nbytes))
        encrypt = name.endswith("enc") if data.draw(st.sampled_from([True, True, True, False])) else \
            data.draw(st.booleans())
        return drv.cipher(q, sid, encrypt, iv, src, layout=layout,
                          extra_dst=data.draw(st.integers(0, 40)), kick=False)
    if kind == "chain":
        sid = session_id(data, h, "chain", "cbc_enc")
        src = payload(data, data.draw(nbytes))
        rng = data.draw(st.one_of(st.none(), st.tuples(st.integers(0, 700), st.integers(0, 700))))
        return drv.chain(q, sid, data.draw(st.sampled_from([True, True, False])), payload(data, 16), src,
                         data.draw(st.sampled_from([32, 32, 0, 16, 33, 64])), aad=payload(data, data.draw(nbytes)),
                         cipher_range=rng, hash_range=rng, layout=layout, kick=False)
    if kind in ("hash", "mac"):
        sid = session_id(data, h, "sha256", "hmac", "sha512", "hmac512")
        return drv.hash(q, sid, payload(data, data.draw(nbytes)), data.draw(st.sampled_from([32, 28, 1, 0, 33, 64])),
                        mac=kind == "mac", layout=layout, kick=False)
    if kind == "aead":
        enc = data.draw(st.booleans())
        sid = session_id(data, h, "gcm_enc", "gcm_dec")
        src = payload(data, data.draw(nbytes))
        dst_len = data.draw(st.one_of(st.just(len(src) + 16 if enc else max(0, len(src) - 16)), st.integers(0, 700)))
        return drv.aead(q, sid, enc, payload(data, data.draw(st.sampled_from([12, 12, 0, 16]))), src,
                        payload(data, data.draw(st.integers(0, 40))), dst_len, layout=layout, kick=False)
    # a header with arbitrary fields, then arbitrary readable bytes and a writable area
    words = [data.draw(u32s) for _ in range(12)]
    hdr = vc.OP_HDR.pack(data.draw(st.sampled_from(DATA_OPCODES)), data.draw(u32s),
                         session_id(data, h, *h.sessions), data.draw(st.sampled_from([0, 1, 2, 0xFFFFFFFF])), 0)
    hdr += struct.pack("<12I", *words)[: data.draw(st.sampled_from([48, 48, 24, 8, 0]))]
    return drv.submit(q, [hdr, payload(data, data.draw(nbytes))], data.draw(st.integers(0, 700)), layout=layout,
                      extra_dst=data.draw(st.integers(0, 20)), kick=False)


def post_stateless_request(data, drv, q: int, kind: str, layout: str, nbytes) -> Pending:
    """A stateless request (keys and parameters in the request) with keys of every size, good
    and bad; `mutate` then lies about its lengths or cuts it short (inside a key, too)."""
    algo = data.draw(st.sampled_from([vc.CIPHER_AES_CBC, vc.CIPHER_AES_CTR, vc.CIPHER_AES_ECB, vc.CIPHER_AES_XTS, 0,
                                      99]))
    key = payload(data, data.draw(KEY_LENGTHS))
    src = payload(data, data.draw(nbytes))
    encrypt = data.draw(st.booleans())
    if kind == "cipher":
        return drv.cipher_stateless(q, algo, key, encrypt, payload(data, data.draw(st.sampled_from([16, 16, 0, 8, 17]))),
                                    src, op=data.draw(st.sampled_from([None, None, 1, 2, 0, 7])), layout=layout,
                                    kick=False)
    if kind == "chain":
        return drv.chain_stateless(q, algo, key, encrypt, data.draw(st.sampled_from([1, 2, 0, 3])),
                                   data.draw(st.sampled_from([vc.SYM_HASH_MODE_AUTH, vc.SYM_HASH_MODE_PLAIN,
                                                              vc.SYM_HASH_MODE_NESTED, 0])),
                                   data.draw(st.sampled_from([vc.MAC_HMAC_SHA_256, vc.HASH_SHA_224,
                                                              vc.MAC_HMAC_SHA_512, 0, 77])),
                                   payload(data, data.draw(AUTH_KEY_LENGTHS)), payload(data, 16), src,
                                   data.draw(st.sampled_from([32, 28, 0, 33])), aad=payload(data, data.draw(nbytes)),
                                   layout=layout, kick=False)
    if kind in ("hash", "mac"):
        return drv.hash_stateless(q, data.draw(st.sampled_from([vc.HASH_SHA_256, vc.HASH_SHA_224, vc.HASH_SHA_384,
                                                                vc.HASH_SHA_512, 0, 99])), src,
                                  data.draw(st.sampled_from([32, 28, 1, 0, 33])),
                                  auth_key=payload(data, data.draw(AUTH_KEY_LENGTHS)) if kind == "mac" else None,
                                  layout=layout, kick=False)
    tag = data.draw(st.sampled_from([16, 12, 8, 4, 0, 5, 17]))
    dst_len = data.draw(st.one_of(st.just(len(src) + tag if encrypt else max(0, len(src) - tag)), st.integers(0, 700)))
    return drv.aead_stateless(q, data.draw(st.sampled_from([vc.AEAD_GCM, 0, 2])), key, encrypt,
                              payload(data, data.draw(st.sampled_from([12, 12, 0, 16]))), src,
                              payload(data, data.draw(st.integers(0, 40))), tag, dst_len, layout=layout, kick=False)


def post_ctrl_request(data, h: DeviceHarness) -> Pending | None:
    q = h.drv.controlq
    if not enough_descriptors(h, q):
        return None
    kind = data.draw(st.sampled_from(["cipher", "chain", "hash", "mac", "aead", "akcipher", "unknown", "destroy",
                                      "random"]), label="ctrl kind")
    algo = data.draw(st.one_of(st.sampled_from([1, 2, 3, 4, 5, 6, vc.CIPHER_AES_XTS, 0]), u32s), label="algo")
    keylen = data.draw(st.one_of(st.sampled_from([0, 16, 24, 32, 20, 33, 64, 512, 513]), u32s), label="keylen")
    keybytes = payload(data, data.draw(st.one_of(st.just(min(keylen, 600)), st.integers(0, 600))))
    op = data.draw(st.sampled_from([vc.OP_ENCRYPT, vc.OP_DECRYPT, 0, 3]))
    if kind == "cipher":
        opcode, keys = vc.CIPHER_CREATE_SESSION, [keybytes]
        body = vc.CIPHER_PARA.pack(algo, keylen, op, 0).ljust(48, b"\0") + \
            struct.pack("<II", data.draw(st.sampled_from([vc.SYM_OP_CIPHER, vc.SYM_OP_NONE, 7])), 0)
    elif kind == "chain":
        opcode = vc.CIPHER_CREATE_SESSION
        auth_len = data.draw(st.one_of(st.sampled_from([0, 3, 32, 512, 513]), u32s))
        keys = [keybytes, payload(data, data.draw(st.integers(0, 600)))]
        para = vc.CHAIN_PARA.pack(data.draw(st.sampled_from([1, 2, 0, 9])), data.draw(st.sampled_from([1, 2, 3, 0])),
                                  algo, keylen, op, 0, data.draw(st.sampled_from([3, 4, 0, 9])),
                                  data.draw(st.sampled_from([32, 28, 0, 33])), auth_len, 0, data.draw(u32s), 0)
        body = para + struct.pack("<II", vc.SYM_OP_ALGORITHM_CHAINING, 0)
    elif kind == "hash":
        opcode, keys = vc.HASH_CREATE_SESSION, []
        body = vc.HASH_SESS.pack(algo, data.draw(st.sampled_from([32, 28, 0, 33, 0xFFFFFFFF])))
    elif kind == "mac":
        opcode, keys = vc.MAC_CREATE_SESSION, [keybytes]
        body = vc.MAC_SESS.pack(algo, data.draw(st.sampled_from([32, 28, 0, 33])), keylen).ljust(16, b"\0")
    elif kind == "aead":
        opcode, keys = vc.AEAD_CREATE_SESSION, [keybytes]
        body = vc.AEAD_SESS.pack(algo, keylen, data.draw(st.sampled_from([16, 12, 4, 0, 17])), data.draw(u32s),
                                 op).ljust(24, b"\0")
    elif kind == "akcipher":
        opcode, keys, body = vc.AKCIPHER_CREATE_SESSION, [keybytes], payload(data, 56)
    elif kind == "unknown":
        opcode, keys, body = data.draw(st.sampled_from([0x0777, 0, 0x0104, 0xFFFFFFFF])), [], payload(data, 56)
    elif kind == "destroy":
        opcode = data.draw(st.sampled_from(sorted(vc.DESTROY_OPCODES)))
        keys, body = [], vc.DESTROY.pack(session_id(data, h, *h.sessions))
    else:
        opcode, keys, body = data.draw(st.sampled_from(CTRL_OPCODES)), [payload(data, data.draw(st.integers(0, 80)))], \
            payload(data, data.draw(st.integers(0, 56)))
    req = h.drv._ctrl_req(opcode, algo, body)
    req = req[: data.draw(st.sampled_from([len(req)] * 8 + [0, 8, 16, 40, 71]))]      # sometimes truncated
    out_len = data.draw(st.sampled_from([1, 1, 1, 0, 16]) if kind == "destroy" else
                        st.sampled_from([16, 16, 16, 16, 16, 0, 1, 15, 17, 64]))
    return h.post_ctrl(req, keys, out_len, data.draw(st.sampled_from(LAYOUTS)), data.draw(st.booleans()))


# ---------------------------------------------------------------- raw chains
def post_raw_chain(data, h: DeviceHarness, q: int) -> Pending | None:
    dq = h.drv.queues[q]
    n = data.draw(st.integers(1, 6), label="descriptors")
    if len(dq.free) < n + 8:
        return None
    idxs = dq.take(n)
    bufs = []
    for _ in range(data.draw(st.integers(1, 4))):
        size = data.draw(st.sampled_from([1, 16, 72, 100, 256]))
        a = h.drv.heap.alloc(size)
        body = bytearray(payload(data, size))
        if size >= 72:                     # mostly a plausible header, so the parser gets past the opcode
            struct.pack_into("<I", body, 0, data.draw(st.sampled_from(DATA_OPCODES + CTRL_OPCODES)))
        h.mem.write(a, bytes(body))
        bufs.append((a, size))
    table = None
    if data.draw(st.booleans()):            # an indirect table of random entries
        k = data.draw(st.integers(1, 6))
        table = h.drv.heap.alloc(16 * k)
        for i in range(k):
            a, size = data.draw(st.sampled_from(bufs))
            h.mem.write(table + 16 * i, DESC.pack(a if data.draw(st.booleans()) else address(data, h),
                                                  data.draw(st.one_of(st.just(size), lengths)),
                                                  data.draw(st.integers(0, 7)),
                                                  data.draw(st.one_of(st.integers(0, k), st.integers(0, 0xFFFF)))))
    for j, i in enumerate(idxs):
        a, size = data.draw(st.sampled_from(bufs))
        flags = data.draw(st.integers(0, 7))
        addr = a if data.draw(st.booleans()) else address(data, h)
        length = data.draw(st.one_of(st.just(size), lengths))
        if table is not None and data.draw(st.booleans()):
            flags, addr, length = flags | VIRTQ_DESC_F_INDIRECT, table, data.draw(st.sampled_from([16 * k, 16 * k] + [
                0, 8, 17, 16 * k + 16, 0xFFFFFFF0]))
        nxt = data.draw(st.one_of(st.sampled_from(idxs), st.sampled_from([0, dq.size - 1, dq.size, 0xFFFF])))
        dq.write_desc(i, addr, length, flags, nxt)
    token = Pending(q, data.draw(st.sampled_from(idxs)), [], [])
    token.readable = [(a, h.mem.read(a, size)) for a, size in bufs]
    dq.post(token.head, idxs, token)
    return token


# ---------------------------------------------------------------- mutations of posted chains
DATA_FIELDS = [(0, "opcode"), (4, "u32"), (8, "sid"), (16, "u32")] + [(o, "u32") for o in range(24, 72, 4)]
CTRL_FIELDS = [(0, "ctrl_opcode"), (4, "u32"), (8, "u32"), (12, "u32")] + [(o, "u32") for o in range(16, 72, 4)]


def mutate(data, h: DeviceHarness, q: int, token: Pending) -> None:
    dq = h.drv.queues[q]
    for _ in range(data.draw(st.sampled_from([0, 0, 1, 1, 2, 3]), label="mutations")):
        m = data.draw(st.sampled_from(["field", "flags", "len", "addr", "next", "field", "byte", "len", "field",
                                       "avail_head", "avail_idx"]), label="mutation")
        if m in ("flags", "len", "addr", "next"):
            slots = h.descriptor_slots(q, token.head)
            if not slots:
                continue
            slot = data.draw(st.sampled_from(slots))
            addr, length, flags, nxt = DESC.unpack(h.mem.read(slot, 16))
            if m == "flags":
                flags ^= data.draw(st.sampled_from([VIRTQ_DESC_F_NEXT, VIRTQ_DESC_F_WRITE, VIRTQ_DESC_F_INDIRECT]))
            elif m == "len":
                length = data.draw(st.one_of(lengths, st.integers(max(0, length - 20), min(length + 20, 0xFFFFFFFF)),
                                             st.just(length * 2 & 0xFFFFFFFF)))
            elif m == "addr":
                addr = address(data, h)
            else:
                nxt = data.draw(st.one_of(st.sampled_from([0, token.head, (slot - dq.desc) // 16 & 0xFFFF, dq.size - 1,
                                                           dq.size, 0xFFFF]), st.integers(0, dq.size - 1)))
            h.mem.write(slot, DESC.pack(addr, length, flags, nxt))
        elif m == "field":
            fields = CTRL_FIELDS if q == h.drv.controlq else DATA_FIELDS
            off, kind = data.draw(st.sampled_from(fields))
            if kind == "sid":
                val = struct.pack("<Q", session_id(data, h, *h.sessions))
            elif kind in ("opcode", "ctrl_opcode"):
                val = struct.pack("<I", data.draw(st.sampled_from(DATA_OPCODES if kind == "opcode" else CTRL_OPCODES)))
            else:
                val = struct.pack("<I", data.draw(u32s))
            h.stream_write(token, off, val)
        elif m == "byte":
            total = sum(len(c) for _, c in token.readable)
            if total:
                h.stream_write(token, data.draw(st.integers(0, total - 1)), bytes([data.draw(st.integers(0, 255))]))
        elif m == "avail_head":
            slot = dq.avail + 4 + 2 * ((dq.avail_idx - 1) % dq.size)
            h.mem.write(slot, struct.pack("<H", data.draw(st.sampled_from([dq.size, dq.size + 1, 0xFFFF, 0,
                                                                          token.head ^ 1]))))
        else:
            idx = struct.unpack("<H", h.mem.read(dq.avail + 2, 2))[0]
            h.mem.write(dq.avail + 2, struct.pack("<H", (idx + data.draw(st.sampled_from(
                [dq.size + 1, dq.size * 2, 0x8000, 0xFFFF, 1, 2]))) & 0xFFFF))


# ---------------------------------------------------------------- the device properties
configs = st.fixed_dictionaries({
    "queue_size": st.sampled_from([32, 64, 128]),
    "indirect": st.booleans(),
    "event_idx": st.booleans(),
    "revision_1": st.booleans(),
    "stateless": st.booleans(),             # negotiated only with revision_1
    "strict_qemu": st.sampled_from([False, False, True]),
})
KEY_LENGTHS = st.sampled_from([16, 24, 32, 16, 0, 1, 15, 31, 33, 64, 65])
AUTH_KEY_LENGTHS = st.sampled_from([20, 32, 64, 0, 1, 65, 128, 512, 513])


def run_device_case(data, allowed_ops: list[str], datapath=None) -> None:
    h = DeviceHarness(**data.draw(configs, label="config"), datapath=datapath)
    try:
        _run_steps(data, h, allowed_ops)
    finally:
        h.close()


def _run_steps(data, h: DeviceHarness, allowed_ops: list[str]) -> None:
    data_queues = list(range(h.nq - 1))
    for _ in range(data.draw(st.integers(1, 10), label="steps")):
        op = data.draw(st.sampled_from(allowed_ops), label="op")
        if op in ("data", "data_raw"):
            q = data.draw(st.sampled_from(data_queues))
            t = post_data_request(data, h, q) if op == "data" else post_raw_chain(data, h, q)
        elif op in ("ctrl", "ctrl_raw"):
            q = h.drv.controlq
            t = post_ctrl_request(data, h) if op == "ctrl" else post_raw_chain(data, h, q)
        elif op in ("kick", "kick_no_poll"):
            h.kick(data.draw(st.sampled_from(list(range(h.nq)) + [h.nq, 0xFFFF])), poll=op == "kick")
            continue
        elif op == "reset":
            h.reset()
            continue
        if t is not None:
            mutate(data, h, q, t)
    h.finish()
    tally(h)


def _device_property(name: str, ops: list[str], ci_examples: int):
    """A property over the device's queues: random cases of the given steps, on the soft
    datapath or on a shared rtl one (fewer cases there: every request runs in the simulator)."""
    def prop(count, datapath=None, share: float = 1.0):
        @prop_settings(max(1, int(ci_examples * share)), share)
        @given(st.data())
        def case(data):
            count[0] += 1
            run_device_case(data, ops, datapath)
        case()
    prop.__name__ = name
    return prop


_data_queue_property = _device_property("data queues", ["data", "data", "data_raw", "kick"], 250)
_control_queue_property = _device_property("control queue", ["ctrl", "ctrl", "ctrl_raw", "kick"], 250)
_mixed_property = _device_property("both queues, resets, kicks without polls",
                                   ["data", "data", "data_raw", "ctrl", "ctrl_raw", "kick", "kick", "kick_no_poll",
                                    "reset"], 150)


def test_property_data_queues_hostile_chains(record_property):
    lane = OUTCOMES.get("of them answered in the native lane", 0)
    assert run_counted(record_property, _data_queue_property) > 0
    assert OUTCOMES.get("of them answered in the native lane", 0) > lane, "no case reached the native lane"


def test_property_control_queue_hostile_chains(record_property):
    assert run_counted(record_property, _control_queue_property) > 0


def test_property_both_queues_with_resets(record_property):
    assert run_counted(record_property, _mixed_property) > 0


@pytest.mark.xdist_group("accel")
def test_property_rtl_datapath_hostile_chains(record_property, rtl_dp):
    """The same mixed property against the rtl datapath (the accelerator process): the same
    invariant, the same statuses as soft for malformed fields (the device checks them before
    any datapath), and a datapath left idle and without sessions after every case."""
    def prop(count):
        _data_queue_property(count, datapath=rtl_dp, share=0.3)
        _mixed_property(count, datapath=rtl_dp, share=0.5)
    prop.__name__ = "rtl datapath: data queues; both queues, resets, kicks without polls"
    assert run_counted(record_property, prop) > 0
    assert not rtl_dp.sessions and not rtl_dp.inflight()
    assert rtl_dp.restarts == 0, rtl_dp.faults


@pytest.mark.xdist_group("accel")
def test_aead_bad_input_gets_the_same_status_on_both_datapaths(rtl_dp):
    """AES-GCM requests and sessions a guest gets wrong, on soft and on rtl (sessions and
    stateless requests): an IV that is not 12 bytes, a tag length SP 800-38D does not allow, a
    key length AES does not have, an algorithm not offered, AAD or text over max_size (refused
    by the device before any datapath; at exactly max_size served), a destination too small for
    ciphertext + tag (or the plaintext), a decrypt source shorter than its tag, a direction
    that disagrees with the opcode, a forged tag. Each gets one status, the expected one, on
    both; what is served gives the same bytes; the rtl datapath is left with no session and no
    buffer."""
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    from bridge.datapath import SoftDatapath
    from bridge.device import VirtioCryptoDevice
    from bridge.driver import VirtioCryptoDriver

    max_size = 1 << 20
    key, iv, aad, pt = bytes(range(16)), bytes(range(12)), b"header", bytes(range(48))

    def gcm(tag_len, pt=pt, aad=aad):
        e = Cipher(algorithms.AES(key), modes.GCM(iv)).encryptor()
        e.authenticate_additional_data(aad)
        return e.update(pt) + e.finalize() + e.tag[:tag_len]

    ct16, ct4, empty4 = gcm(16), gcm(4), gcm(4, b"")
    big_text = (max_size - 12 - 16) // 2                   # iv + src + dst (text + tag) == max_size
    sessions = {"enc": (16, vc.OP_ENCRYPT), "dec": (16, vc.OP_DECRYPT), "enc4": (4, vc.OP_ENCRYPT),
                "dec4": (4, vc.OP_DECRYPT)}
    bad_sessions = {"tag 0": (vc.AEAD_GCM, 16, 0), "tag 1": (vc.AEAD_GCM, 16, 1), "tag 5": (vc.AEAD_GCM, 16, 5),
                    "tag 11": (vc.AEAD_GCM, 16, 11), "tag 17": (vc.AEAD_GCM, 16, 17),
                    "tag 255": (vc.AEAD_GCM, 16, 255), "key 0": (vc.AEAD_GCM, 0, 16),
                    "key 20": (vc.AEAD_GCM, 20, 16), "key 33": (vc.AEAD_GCM, 33, 16),
                    "key 64": (vc.AEAD_GCM, 64, 16), "CCM": (2, 16, 16), "ChaCha20-Poly1305": (3, 32, 16),
                    "no algorithm": (0, 16, 16)}
    # name: (expected status, expected output or None, request builder (driver, session ids))
    cases = {
        "iv 0": (vc.ERR, None, lambda d, s: d.aead(0, s["enc"], True, b"", pt, aad, 64)),
        "iv 8": (vc.ERR, None, lambda d, s: d.aead(0, s["enc"], True, iv[:8], pt, aad, 64)),
        "iv 11": (vc.ERR, None, lambda d, s: d.aead(0, s["dec"], False, iv[:11], ct16, aad, 48)),
        "iv 13": (vc.ERR, None, lambda d, s: d.aead(0, s["enc"], True, iv + b"\0", pt, aad, 64)),
        "iv 16": (vc.ERR, None, lambda d, s: d.aead(0, s["dec"], False, iv + bytes(4), ct16, aad, 48)),
        "aad over max_size": (vc.ERR, None, lambda d, s: d.aead(0, s["enc"], True, iv, b"", bytes(max_size), 16)),
        "aad at max_size": (vc.OK, gcm(16, b"", bytes(max_size - 28)),
                            lambda d, s: d.aead(0, s["enc"], True, iv, b"", bytes(max_size - 28), 16)),
        "text over max_size": (vc.ERR, None, lambda d, s: d.aead(0, s["enc"], True, iv, bytes(big_text + 1), b"",
                                                                  big_text + 17)),
        "text at max_size": (vc.OK, gcm(16, bytes(big_text), b""),
                             lambda d, s: d.aead(0, s["enc"], True, iv, bytes(big_text), b"", big_text + 16)),
        "dst without room for the tag": (vc.ERR, None, lambda d, s: d.aead(0, s["enc"], True, iv, pt, aad, 48)),
        "dst one byte short of the tag": (vc.ERR, None, lambda d, s: d.aead(0, s["enc"], True, iv, pt, aad, 63)),
        "dst one byte short of a 4-byte tag": (vc.ERR, None, lambda d, s: d.aead(0, s["enc4"], True, iv, pt, aad,
                                                                                  51)),
        "dst short of the plaintext": (vc.ERR, None, lambda d, s: d.aead(0, s["dec"], False, iv, ct16, aad, 47)),
        "decrypt source 15 bytes, tag 16": (vc.ERR, None, lambda d, s: d.aead(0, s["dec"], False, iv, ct16[:15],
                                                                               aad, 16)),
        "decrypt source 3 bytes, tag 4": (vc.ERR, None, lambda d, s: d.aead(0, s["dec4"], False, iv, ct4[-3:], aad,
                                                                             0)),
        "decrypt source empty": (vc.ERR, None, lambda d, s: d.aead(0, s["dec"], False, iv, b"", aad, 16)),
        "decrypt source exactly its tag": (vc.OK, b"", lambda d, s: d.aead(0, s["dec4"], False, iv, empty4, aad, 0)),
        "decrypt source exactly a forged tag": (vc.BADMSG, None, lambda d, s: d.aead(
            0, s["dec4"], False, iv, empty4[:-1] + bytes([empty4[-1] ^ 1]), aad, 0)),
        "forged 4-byte tag": (vc.BADMSG, None, lambda d, s: d.aead(0, s["dec4"], False, iv,
                                                                   ct4[:-4] + bytes(4), aad, 48)),
        "good 4-byte tag": (vc.OK, pt, lambda d, s: d.aead(0, s["dec4"], False, iv, ct4, aad, 48)),
        "decrypt opcode on an encrypt session": (vc.ERR, None, lambda d, s: d.aead(0, s["enc"], False, iv, ct16,
                                                                                    aad, 48)),
        "encrypt opcode on a decrypt session": (vc.ERR, None, lambda d, s: d.aead(0, s["dec"], True, iv, pt, aad,
                                                                                   64)),
        "unknown session": (vc.INVSESS, None, lambda d, s: d.aead(0, 4242, True, iv, pt, aad, 64)),
        "stateless tag 5": (vc.ERR, None, lambda d, s: d.aead_stateless(0, vc.AEAD_GCM, key, True, iv, pt, aad, 5,
                                                                         64)),
        "stateless CCM": (vc.NOTSUPP, None, lambda d, s: d.aead_stateless(0, 2, key, True, iv, pt, aad, 16, 64)),
        "stateless key 20": (vc.ERR, None, lambda d, s: d.aead_stateless(0, vc.AEAD_GCM, bytes(20), True, iv, pt,
                                                                          aad, 16, 64)),
        "stateless iv 8": (vc.ERR, None, lambda d, s: d.aead_stateless(0, vc.AEAD_GCM, key, True, iv[:8], pt, aad,
                                                                        16, 64)),
        "stateless dst too small": (vc.ERR, None, lambda d, s: d.aead_stateless(0, vc.AEAD_GCM, key, True, iv, pt,
                                                                                 aad, 16, 63)),
        "stateless decrypt source shorter than its tag": (vc.ERR, None, lambda d, s: d.aead_stateless(
            0, vc.AEAD_GCM, key, False, iv, ct16[:8], aad, 16, 0)),
        "stateless aad over max_size": (vc.ERR, None, lambda d, s: d.aead_stateless(
            0, vc.AEAD_GCM, key, True, iv, b"", bytes(max_size), 16, 16)),
        "stateless encrypt": (vc.OK, ct16, lambda d, s: d.aead_stateless(0, vc.AEAD_GCM, key, True, iv, pt, aad, 16,
                                                                          64)),
        "stateless forged tag": (vc.BADMSG, None, lambda d, s: d.aead_stateless(
            0, vc.AEAD_GCM, key, False, iv, ct16[:-1] + bytes([ct16[-1] ^ 1]), aad, 16, 48)),
    }
    devs = [VirtioCryptoDevice(SoftDatapath(), num_dataqueues=1), VirtioCryptoDevice(rtl_dp, num_dataqueues=1)]
    drvs = [VirtioCryptoDriver(d, revision_1=True, stateless=True, seed=9) for d in devs]
    used_before = len(rtl_dp.client.heap.used)
    try:
        created = {name: [d.create_aead_session(algo, bytes(klen), tag, 0, vc.OP_ENCRYPT)[0] for d in drvs]
                   for name, (algo, klen, tag) in bad_sessions.items()}
        want = {name: [vc.NOTSUPP if args[0] != vc.AEAD_GCM else vc.ERR] * 2 for name, args in bad_sessions.items()}
        assert created == want
        ids = []
        for d in drvs:
            made = {name: d.create_aead_session(vc.AEAD_GCM, key, tag, len(aad), op) for name, (tag, op) in
                    sessions.items()}
            assert all(st_ == vc.OK for st_, _ in made.values()), made
            ids.append({name: sid for name, (_, sid) in made.items()})
        got = {}
        for name, (status, out, make) in cases.items():
            got[name] = [(t.status, t.dst if t.status == vc.OK else t.extra["data"])
                         for t in (d.run(make(d, s)) for d, s in zip(drvs, ids))]
        differ = {n: [st_ for st_, _ in g] for n, g in got.items() if g[0] != g[1]}
        assert not differ, f"soft vs rtl differ: {differ}"
        wrong = {n: (got[n][0][0], status) for n, (status, _, _) in cases.items() if got[n][0][0] != status}
        assert not wrong, f"(got, expected) statuses: {wrong}"
        for name, (status, out, _) in cases.items():
            if status == vc.OK:
                assert got[name][0][1] == out, name
            else:                       # nothing of a refused or forged request is written
                assert set(got[name][0][1]) <= {0xA5}, name
        assert not any(devs[i].status & vc.DEVICE_NEEDS_RESET for i in (0, 1))
    finally:
        devs[0].close()
        devs[1].set_status(0)
        while rtl_dp.inflight():
            rtl_dp.poll(0.02)
    assert not rtl_dp.sessions and len(rtl_dp.client.heap.used) == used_before


# ---------------------------------------------------------------- the vhost-user property
VU_REQUESTS = list(range(0, 29)) + [40, 0x7FFFFFFF, 0xFFFFFFFF]


def vhost_message(data, h: VhostHarness) -> dict:
    """A message of any request code with an arbitrary payload and fds."""
    return {"req": data.draw(st.sampled_from(VU_REQUESTS), label="request"),
            "flags": data.draw(st.sampled_from([1, 1, 1 | 8, 0, 5, 0xFFFFFFFF])),
            "payload": payload(data, data.draw(st.sampled_from([0, 4, 8, 12, 40, 72, 632, 636]))),
            "fds": data.draw(st.lists(st.sampled_from(VhostHarness.FD_KINDS), max_size=3)), "size": None}


def mutate_vhost(data, h: VhostHarness, msgs: list[dict]) -> None:
    U = h.UADDR
    for _ in range(data.draw(st.sampled_from([0, 1, 1, 2, 3, 5]), label="mutations")):
        m = data.draw(st.sampled_from(["field", "field", "field", "truncate", "extend", "fds", "size", "flags",
                                       "request", "drop", "duplicate", "swap", "insert", "session_size"]),
                      label="mutation")
        if not msgs:
            msgs.append(vhost_message(data, h))
            continue
        k = data.draw(st.integers(0, len(msgs) - 1), label="message")
        msg = msgs[k]
        p = bytearray(msg["payload"])
        if m == "field":
            off, width = data.draw(st.sampled_from([(0, 4), (4, 4), (8, 8), (16, 8), (24, 8), (32, 8), (0, 8)]))
            if width == 4:
                val = data.draw(st.sampled_from([0, 1, 2, 3, 8, 9, 16, 255, 0x100, 0x1FF, 1024, 32768, 65536,
                                                 0xFFFFFFFF]))
            else:
                val = data.draw(st.one_of(st.sampled_from([0, 1, 4096, MEM, 2 * MEM, U, U + MEM - 8, U + MEM,
                                                           U + 0x1000, 2**63, 2**64 - 1]), st.integers(0, 2**64 - 1)))
            if off + width <= len(p):
                p[off:off + width] = val.to_bytes(width, "little")
        elif m == "truncate":
            p = p[: data.draw(st.integers(0, len(p)))] if p else p
        elif m == "extend":
            p += payload(data, data.draw(st.sampled_from([1, 8, 32, 600])))
        elif m == "fds":
            msg["fds"] = data.draw(st.lists(st.sampled_from(VhostHarness.FD_KINDS), max_size=4))
        elif m == "size":
            msg["size"] = len(p) + data.draw(st.sampled_from([-8, -1, 1, 8, 4097, 0xFFFFFFFF - len(p)]))
        elif m == "flags":
            msg["flags"] = data.draw(st.sampled_from([1 | 8, 0, 5, 0xFFFFFFFF]))
        elif m == "request":
            msg["req"] = data.draw(st.sampled_from(VU_REQUESTS))
        elif m == "drop":
            del msgs[k]
            continue
        elif m == "duplicate":
            msgs.insert(k, dict(msg, fds=list(msg["fds"])))
        elif m == "swap" and k + 1 < len(msgs):
            msgs[k], msgs[k + 1] = msgs[k + 1], msgs[k]
        elif m == "insert":
            msgs.insert(k, vhost_message(data, h))
        elif m == "session_size":
            msg["req"] = h.vu.CREATE_CRYPTO_SESSION
            p = (p + bytes(640))[: data.draw(st.sampled_from([0, 8, 631, 632, 633, 636]))]
        msg["payload"] = bytes(p)


def _vhost_property(count):
    @prop_settings(150)
    @given(st.data())
    def vhost_user(data):
        count[0] += 1
        h = VhostHarness()
        try:
            for _ in range(data.draw(st.integers(0, 3), label="requests in the ring")):
                h.post_cbc(0, data.draw(st.sampled_from([16, 64, 4096])))
            if data.draw(st.booleans()):
                os.eventfd_write(h.kick, 1)          # a kick pending when the ring starts
            msgs = h.baseline()
            mutate_vhost(data, h, msgs)
            h.send_all(msgs)
            outcome = h.run()
            VU_OUTCOMES[outcome] = VU_OUTCOMES.get(outcome, 0) + 1
        finally:
            h.close()
        leaked = h.leaked_fds()
        assert leaked <= 0, f"{leaked} fds left open after the connection"
    vhost_user()


VU_OUTCOMES: dict[str, int] = {}
_vhost_property.__name__ = "vhost-user messages"


def test_property_vhost_user_messages(record_property):
    VU_OUTCOMES.clear()
    assert run_counted(record_property, _vhost_property) > 0
    record_property("hostile_outcomes", ", ".join(f"connection ended by {k}: {v}" for k, v in VU_OUTCOMES.items()))
    print("vhost-user outcomes:", VU_OUTCOMES)


# ---------------------------------------------------------------- regressions (bugs the properties found)
def test_regression_available_index_jump_needs_reset_instead_of_hanging():
    """avail->idx more than the queue size ahead: kick() looped forever re-reporting it."""
    h = DeviceHarness()
    dq = h.drv.queues[0]
    h.mem.write(dq.avail + 2, struct.pack("<H", dq.avail_idx + dq.size + 1))
    h.kick(0)                                                  # returns (the harness fails a hang)
    assert h.dev.status & vc.DEVICE_NEEDS_RESET and h.dev.queues[0].broken
    assert 0 in h.abandoned
    # the other queues still work; the broken one is left alone until reset
    t = h.drv.cipher(1, h.sessions["cbc_enc"], True, bytes(16), bytes(32), kick=False)
    h.kick(1)
    h.kick(0)
    assert h.drv.collect(1)[0] is t and t.status == vc.OK
    h.reset()
    t = h.drv.cipher(0, h.drv.create_cipher_session(vc.CIPHER_AES_CBC, bytes(16), vc.OP_ENCRYPT)[1], True,
                     bytes(16), bytes(32), kick=False)
    h.kick(0)
    assert h.drv.collect(0)[0].status == vc.OK


def test_regression_rings_outside_guest_memory_need_reset_not_an_exception():
    """Rings (partly) outside guest memory: kick() raised GuestMemoryError out of the device."""
    h = DeviceHarness()
    h.dev.setup_queue(0, 32, MEM - 64, MEM - 32, MEM + 4096)
    assert h.dev.queues[0].broken and h.dev.status & vc.DEVICE_NEEDS_RESET
    h.mem.write(MEM - 30, struct.pack("<H", 1))                # avail->idx = 1: "a chain is available"
    assert h.call("kick(0)", h.dev.kick, 0) == 0              # no exception, no access


def test_regression_looping_indirect_table_with_a_huge_length_is_rejected_quickly():
    """An indirect table claiming 0xFFFFFFF0 bytes whose first entry points to itself: the loop
    bound was length/16 (2^28 steps, minutes); now a table of more than max(size, 1024) entries
    is refused before it is read (it would also be read whole into memory)."""
    h = DeviceHarness()
    table, buf = h.drv.heap.alloc(16), h.drv.heap.alloc(72)
    h.mem.write(table, DESC.pack(buf, 72, VIRTQ_DESC_F_NEXT, 0))
    head = post_raw(h.drv, 0, [(table, 0xFFFFFFF0, VIRTQ_DESC_F_INDIRECT)])
    h.kick(0)
    assert h.dev.status & vc.DEVICE_NEEDS_RESET and "indirect table of" in h.dev.needs_reset_reason
    assert [(t.head, t.used_len) for t in h.drv.collect(0)] == [(head, 0)]


def test_regression_destroy_status_goes_to_the_first_writable_byte():
    """A destroy request whose first writable descriptor is 0 bytes long: the status byte was
    written at that descriptor's address, outside every device-writable buffer."""
    h = DeviceHarness()
    q = h.drv.controlq
    req = h.drv._ctrl_req(vc.HASH_DESTROY_SESSION, 0, vc.DESTROY.pack(h.sessions["sha256"]))
    a_req, empty, status = h.drv.heap.alloc(72), h.drv.heap.alloc(16), h.drv.heap.alloc(16)
    h.mem.write(a_req, req)
    h.mem.write(empty, b"\xee" * 16)
    post_raw(h.drv, q, [(a_req, 72, 0), (empty, 0, VIRTQ_DESC_F_WRITE), (status, 1, VIRTQ_DESC_F_WRITE)])
    h.kick(q)                                                  # the harness checks where the device wrote
    assert h.mem.read(empty, 16) == b"\xee" * 16 and h.mem.read(status, 1) == bytes([vc.OK])


def test_regression_no_guest_memory_writes_after_a_reset_with_requests_in_flight():
    """A reset while requests were in the datapath: their completions were still written to the
    (now reused) guest buffers and the old used ring, and `inflight` went negative. (Through the
    Python path: the native lane answers a cipher request within kick(), it is never in flight.)"""
    h = DeviceHarness(native_lane=False)
    t = h.drv.cipher(0, h.sessions["cbc_enc"], True, bytes(16), bytes(32), kick=False)
    h.kick(0, poll=False)
    assert h.dev.inflight == 1
    dst = t.writable[0][0]
    h.reset()
    h.poll()                                                   # the harness fails any write here
    assert h.dev.inflight == 0 and h.mem.read(dst, 32) == b"\xa5" * 32


# ---------------------------------------------------------------- vhost-user regressions
def _vhost_run(msgs_edit, requests: int = 1, kick_pending: bool = False) -> VhostHarness:
    h = VhostHarness()
    try:
        for _ in range(requests):
            h.post_cbc(0, 64)
        if kick_pending:
            os.eventfd_write(h.kick, 1)
        msgs = h.baseline()
        msgs_edit(h, msgs)
        h.send_all(msgs)
        h.run()
    finally:
        h.close()
    assert h.leaked_fds() <= 0
    return h


def _set(msgs: list[dict], req: int, **kw) -> None:
    for m in msgs:
        if m["req"] == req:
            m.update(kw)


def _m(req: int, payload: bytes = b"", fds=(), flags: int = 1, size=None) -> dict:
    return {"req": req, "flags": flags, "payload": payload, "fds": list(fds), "size": size}


def _vu():
    from bridge import vhost_user as vu
    return vu


BAD_MESSAGES = {
    "short SET_FEATURES": lambda h, m: _set(m, _vu().SET_FEATURES, payload=b"\x01"),
    "short CLOSE_CRYPTO_SESSION": lambda h, m: _set(m, _vu().CLOSE_CRYPTO_SESSION, payload=b"\x00" * 4),
    "vring index out of range": lambda h, m: _set(m, _vu().SET_VRING_NUM, payload=struct.pack("<II", 7, 16)),
    "kick for a vring out of range": lambda h, m: _set(m, _vu().SET_VRING_KICK, payload=struct.pack("<Q", 9)),
    "queue size not a power of 2": lambda h, m: _set(m, _vu().SET_VRING_NUM, payload=struct.pack("<II", 0, 24)),
    "vring address before the memory table": lambda h, m: m.insert(0, _m(
        _vu().SET_VRING_ADDR, struct.pack("<IIQQQQ", 0, 0, 1, 2, 3, 0))),
    "vring address in no region": lambda h, m: _set(m, _vu().SET_VRING_ADDR, payload=struct.pack(
        "<IIQQQQ", 0, 0, 0x1000000003, h.UADDR, h.UADDR, 0)),
    "memory table without fds": lambda h, m: _set(m, _vu().SET_MEM_TABLE, fds=[]),
    "memory table of 9 regions": lambda h, m: _set(m, _vu().SET_MEM_TABLE, payload=struct.pack("<II", 9, 0) + bytes(
        32 * 9), fds=["memfd"] * 3),
    "memory table, short payload": lambda h, m: _set(m, _vu().SET_MEM_TABLE, payload=struct.pack("<II", 2, 0) + bytes(
        32)),
    "region larger than its file": lambda h, m: _set(m, _vu().SET_MEM_TABLE, payload=struct.pack("<II", 1, 0) +
                                                     struct.pack("<QQQQ", 0, MEM, h.UADDR, 0), fds=["small_memfd"]),
    "region fd that cannot be mapped": lambda h, m: _set(m, _vu().SET_MEM_TABLE, fds=["eventfd"]),
    "kick fd that cannot be polled": lambda h, m: _set(m, _vu().SET_VRING_KICK, fds=["memfd"]),
    "payload announced as 4 GiB": lambda h, m: m.insert(3, _m(_vu().SET_OWNER, size=0xFFFFFFFF)),
}


@pytest.mark.parametrize("case", sorted(BAD_MESSAGES))
def test_regression_vhost_user_bad_message_is_a_protocol_error(case):
    """Each of these raised struct.error / IndexError / AttributeError / GuestMemoryError /
    ValueError out of the message loop (and so out of serve_forever: `vcrypto serve` exited),
    or read a 4 GiB payload; now: ProtocolError (connection closed), no fd left open."""
    h = _vhost_run(BAD_MESSAGES[case])
    assert h.outcome == "protocol error", (case, h.outcome)


def test_regression_vhost_user_kick_event_after_get_vring_base_is_ignored():
    """A kick eventfd readable in the same select() as a GET_VRING_BASE that closes it: the loop
    read fd -1 (OSError out of the loop). Now the stale event is skipped."""
    def edit(h, msgs):
        vu = _vu()
        k = next(i for i, m in enumerate(msgs) if m["req"] == vu.SET_VRING_KICK)
        msgs[k + 1:] = [_m(vu.GET_VRING_BASE, struct.pack("<II", 0, 0))]
    h = _vhost_run(edit, kick_pending=True)
    assert h.outcome == "disconnected"


@pytest.mark.parametrize("kind", ["devnull", "pipe_r"])
def test_regression_vhost_user_call_fd_that_cannot_be_written_does_not_crash(kind):
    """A call fd the backend cannot write (read-only): os.write raised out of device.kick."""
    h = _vhost_run(lambda h, m: _set(m, _vu().SET_VRING_CALL, fds=[kind]))
    assert h.outcome == "disconnected"


def test_regression_vhost_user_guest_memory_unmapped_on_disconnect():
    """After a connection that served requests, the device's views kept the guest-memory map (and
    the fd mmap duplicates) open: one mapping and one fd leaked per QEMU connection."""
    h = _vhost_run(lambda h, m: None, requests=3)          # _vhost_run checks that no fd is left
    assert h.outcome == "disconnected"
    assert h.dev.mem is None and h.be.maps == []


def test_regression_vhost_user_unknown_request_with_need_reply_is_acked_as_failure():
    """REPLY_ACK for a request the backend does not handle answered 0 (success)."""
    vu = _vu()
    h = VhostHarness()
    try:
        h.send_all([_m(vu.SET_PROTOCOL_FEATURES, struct.pack("<Q", 1 << vu.PROTOCOL_F_REPLY_ACK)),
                    _m(vu.SET_LOG_BASE, bytes(16), flags=vu.FLAG_VERSION | vu.FLAG_NEED_REPLY),
                    _m(vu.SET_OWNER, flags=vu.FLAG_VERSION | vu.FLAG_NEED_REPLY)])
        h.run()
        replies = h.front.recv(4096)
    finally:
        h.close()
    assert replies == vu.HDR.pack(vu.SET_LOG_BASE, 5, 8) + struct.pack("<Q", 1) + \
        vu.HDR.pack(vu.SET_OWNER, 5, 8) + struct.pack("<Q", 0)


def test_regression_vhost_user_serve_forever_survives_a_bad_message(tmp_path):
    """End to end on the UNIX socket: a malformed message closes that connection with a clear
    error; the backend keeps listening and the next front end is served."""
    import socket
    import threading

    from bridge.datapath import SoftDatapath
    from bridge.device import VirtioCryptoDevice
    from tests.test_vhost_user import FrontEnd
    vu = _vu()
    b = vu.VhostUserBackend(str(tmp_path / "vhost.sock"), VirtioCryptoDevice(SoftDatapath(), num_dataqueues=1))
    b.listen()
    th = threading.Thread(target=b.serve_forever, daemon=True)
    th.start()
    try:
        bad = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        bad.connect(b.path)
        bad.sendall(vu.HDR.pack(vu.SET_VRING_NUM, 1, 8) + struct.pack("<II", 200, 16))    # no vring 200
        bad.settimeout(10)
        assert bad.recv(16) == b""                          # closed by the backend
        bad.close()
        fe = FrontEnd(b.path)
        assert fe.serves_one_cbc_request()
        fe.close()
        assert th.is_alive() and b.connections == 2
    finally:
        b.stopping = True
        th.join(5)
