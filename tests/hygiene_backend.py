"""A backend to be memory-scanned (tests/test_key_hygiene.py): the device on the `soft` or `rtl`
datapath, driven by the driver model, in its own process.

    python tests/hygiene_backend.py soft|rtl ctrl|direct|stateless

ctrl: sessions are created through the control queue (the device parses them out of guest
memory); direct: handed to VirtioCryptoDevice.open_session as Session objects, as the vhost-user
backend does once it has parsed QEMU's CREATE_CRYPTO_SESSION; stateless: no session at all,
every request carries its keys (REVISION_1 + the stateless bits), three requests per key, and
then "DONE <json>" (results, and a canary key this script keeps on purpose, so the scan shows it
can see a key that is there).

Protocol on stdin/stdout, one line each:
  <- JSON [{name: hex}, ...]: sets of keys (cipher, chain_cipher, chain_auth, mac, mac_long,
     mac_max, aead, xts, mac512 (the last two soft only), reset_cipher, reset_mac), one session
     of each kind per set
  -> "OPEN <json>"    every session created and used (json: request results, hex)
  <- "close"
  -> "CLOSED"         the first sessions destroyed through the control queue, then a device
                      reset with the `reset_*` sessions still open; nothing else happens after
  <- "quit"           the device is closed, the process exits

The keys exist in this script only in bytearrays (never as `bytes`), zeroed once the sessions
are created. Through the control queue they are written into guest memory from those
bytearrays, in requests laid out like the driver model's, and zeroed in guest memory once the
request completed (as Linux's driver frees its key buffers with kfree_sensitive). So every copy
of a key that a scan of this process finds is the device's or the datapath's, not the guest's.
"""
from __future__ import annotations

import json
import struct
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bridge import virtio_crypto as vc  # noqa: E402
from bridge.session import Session  # noqa: E402
from bridge.device import VirtioCryptoDevice  # noqa: E402
from bridge.driver import Pending, VirtioCryptoDriver  # noqa: E402


def guest_request(drv: VirtioCryptoDriver, q: int, parts: list[bytes | bytearray], writable: list[int]) -> Pending:
    """A request laid out like the driver model's direct layout, each part in its own
    descriptor; key parts (bytearrays) are written straight into guest memory and zeroed there
    once the request is done (as Linux frees its key buffers with kfree_sensitive)."""
    token = Pending(q, -1, [], [], dst_len=sum(writable))
    segs, key_bufs = [], []
    for part in parts:
        a = drv.heap.alloc(max(len(part), 1))
        token.allocations.append(a)
        drv.mem.buf[a:a + len(part)] = part
        segs.append((a, len(part), False))
        if isinstance(part, bytearray):
            key_bufs.append((a, len(part)))
    for n in writable:
        a = drv.heap.alloc(max(n, 1))
        token.allocations.append(a)
        token.writable.append((a, n))
        segs.append((a, n, True))
    dq = drv.queues[q]
    token.head = dq.add(segs, token, indirect=False)
    drv.dev.kick(q)
    drv.wait([token])
    for a, n in key_bufs:
        drv.mem.buf[a:a + n] = bytes(n)
    return token


def guest_ctrl(drv: VirtioCryptoDriver, opcode: int, algo: int, body: bytes, keys: list[bytearray]) -> tuple[int, int]:
    """A create-session request with the keys in their own descriptors (guest_request)."""
    token = guest_request(drv, drv.controlq, [drv._ctrl_req(opcode, algo, body)] + [k for k in keys if k], [16])
    sid, status, _ = vc.SESSION_INPUT.unpack(token.extra["data"])
    return status, sid


def guest_stateless(drv: VirtioCryptoDriver, parts: list[bytes | bytearray], result_len: int) -> dict:
    """A stateless data request on queue 0 (guest_request): its result, hex."""
    token = guest_request(drv, 0, parts, [result_len, 1])
    if token.status != vc.OK:
        raise RuntimeError(f"stateless request failed: status {token.status}")
    return {"dst": token.extra["data"].hex()}


def stateless_requests(drv: VirtioCryptoDriver, keys: dict[str, bytearray], iv: bytes, src: bytes) -> dict:
    """Every kind of stateless request with this key set (as many as the datapath offers)."""
    hdr = drv._stateless_hdr
    n = len(src)
    cbc = vc.CIPHER_DATA_STATELESS.pack(vc.CIPHER_AES_CBC, len(keys["cipher"]), vc.OP_ENCRYPT, 16, n, n)
    chain = vc.CHAIN_DATA_STATELESS.pack(vc.ALG_CHAIN_CIPHER_THEN_HASH, 0, vc.CIPHER_AES_CBC, len(keys["chain_cipher"]),
                                         vc.OP_ENCRYPT, vc.MAC_HMAC_SHA_256, len(keys["chain_auth"]),
                                         vc.SYM_HASH_MODE_AUTH, 16, n, n, 0, n, 0, n, 0, 32, 0)
    out = {
        "cipher": guest_stateless(drv, [hdr(vc.CIPHER_ENCRYPT), cbc.ljust(72, b"\0") + struct.pack("<I", vc.SYM_OP_CIPHER),
                                        keys["cipher"], iv, src], n),
        "chain": guest_stateless(drv, [hdr(vc.CIPHER_ENCRYPT), chain + struct.pack("<I", vc.SYM_OP_ALGORITHM_CHAINING),
                                       keys["chain_cipher"], keys["chain_auth"], iv, src], n + 32),
    }
    for name, algo, dlen in (("mac", vc.MAC_HMAC_SHA_256, 32), ("mac_long", vc.MAC_HMAC_SHA_224, 28),
                             ("mac_max", vc.MAC_HMAC_SHA_256, 32)):
        out[name] = guest_stateless(drv, [hdr(vc.MAC), vc.MAC_DATA_STATELESS.pack(algo, len(keys[name]), n, dlen),
                                          keys[name], src], dlen)
    if "aead" in keys:
        out["aead"] = guest_stateless(drv, [hdr(vc.AEAD_ENCRYPT), vc.AEAD_DATA_STATELESS.pack(
            vc.AEAD_GCM, len(keys["aead"]), vc.OP_ENCRYPT, 12, 16, 0, n, n + 16), keys["aead"], iv[:12], src], n + 16)
    if "xts" in keys:
        xts = vc.CIPHER_DATA_STATELESS.pack(vc.CIPHER_AES_XTS, len(keys["xts"]), vc.OP_ENCRYPT, 16, n, n)
        out["xts"] = guest_stateless(drv, [hdr(vc.CIPHER_ENCRYPT), xts.ljust(72, b"\0") + struct.pack(
            "<I", vc.SYM_OP_CIPHER), keys["xts"], iv, src], n)
    if "mac512" in keys:
        out["mac512"] = guest_stateless(drv, [hdr(vc.MAC), vc.MAC_DATA_STATELESS.pack(
            vc.MAC_HMAC_SHA_512, len(keys["mac512"]), n, 64), keys["mac512"], src], 64)
    return out


def stateless_main(dev, key_sets: list[dict[str, bytearray]]) -> int:
    drv = VirtioCryptoDriver(dev, mem_bytes=4 << 20, seed=7, revision_1=True, stateless=True)
    iv, src = bytes(range(16)), bytes(range(256)) * 4
    canary = key_sets[0].pop("canary")          # kept on purpose: the scan must find it
    results = []
    for keys in key_sets:
        for _ in range(3):
            res = stateless_requests(drv, keys, iv, src)
        results.append(res)
        for k in keys.values():
            k[:] = bytes(len(k))
    print("DONE " + json.dumps({"iv": iv.hex(), "src": src.hex(), "results": results}), flush=True)
    sys.stdin.readline()
    canary[:] = bytes(len(canary))
    return 0


def cipher_session(drv, algo: int, key: bytearray, op: int) -> int:
    body = vc.CIPHER_PARA.pack(algo, len(key), op, 0).ljust(48, b"\0") + struct.pack("<II", vc.SYM_OP_CIPHER, 0)
    return _ok(guest_ctrl(drv, vc.CIPHER_CREATE_SESSION, algo, body, [key]))


def chain_session(drv, algo: int, key: bytearray, op: int, hash_algo: int, result_len: int, auth_key: bytearray) -> int:
    para = vc.CHAIN_PARA.pack(vc.ALG_CHAIN_CIPHER_THEN_HASH, vc.SYM_HASH_MODE_AUTH, algo, len(key), op, 0, hash_algo,
                              result_len, len(auth_key), 0, 0, 0)
    body = para + struct.pack("<II", vc.SYM_OP_ALGORITHM_CHAINING, 0)
    return _ok(guest_ctrl(drv, vc.CIPHER_CREATE_SESSION, algo, body, [key, auth_key]))


def mac_session(drv, algo: int, result_len: int, key: bytearray) -> int:
    body = vc.MAC_SESS.pack(algo, result_len, len(key)).ljust(16, b"\0")
    return _ok(guest_ctrl(drv, vc.MAC_CREATE_SESSION, algo, body, [key]))


def aead_session(drv, key: bytearray, op: int) -> int:
    body = vc.AEAD_SESS.pack(vc.AEAD_GCM, len(key), 16, 16, op).ljust(24, b"\0")
    return _ok(guest_ctrl(drv, vc.AEAD_CREATE_SESSION, vc.AEAD_GCM, body, [key]))


class Direct:
    """Sessions handed to the device the way the vhost-user backend hands them over
    (VirtioCryptoDevice.open_session with a Session), bypassing the control queue."""

    def __init__(self, dev):
        self.dev = dev

    def cipher(self, drv, algo: int, key: bytearray, op: int) -> int:
        return _ok(self.dev.open_session(Session(vc.SERVICE_CIPHER, cipher_algo=algo, cipher_key=bytearray(key),
                                                       cipher_op=op)))

    def chain(self, drv, algo: int, key: bytearray, op: int, hash_algo: int, result_len: int, auth_key: bytearray) -> int:
        return _ok(self.dev.open_session(Session(
            vc.SERVICE_CIPHER, cipher_algo=algo, cipher_key=bytearray(key), cipher_op=op, chaining=True,
            chain_order=vc.ALG_CHAIN_CIPHER_THEN_HASH, hash_mode=vc.SYM_HASH_MODE_AUTH, hash_algo=hash_algo,
            hash_result_len=result_len, auth_key=bytearray(auth_key))))

    def mac(self, drv, algo: int, result_len: int, key: bytearray) -> int:
        return _ok(self.dev.open_session(Session(vc.SERVICE_MAC, hash_algo=algo, hash_result_len=result_len,
                                                       auth_key=bytearray(key))))

    def aead(self, drv, key: bytearray, op: int) -> int:
        return _ok(self.dev.open_session(Session(vc.SERVICE_AEAD, aead_algo=vc.AEAD_GCM, aead_key=bytearray(key),
                                                       tag_len=16, aad_len=16, aead_op=op)))


class ControlQueue:
    """Sessions created through the control queue, as the driver model does."""
    cipher, chain, mac, aead = (staticmethod(cipher_session), staticmethod(chain_session),
                                staticmethod(mac_session), staticmethod(aead_session))


def _ok(res: tuple[int, int]) -> int:
    status, sid = res
    if status != vc.OK:
        raise RuntimeError(f"session refused: status {status}")
    return sid


def main() -> int:
    datapath, path = sys.argv[1], sys.argv[2]
    key_sets = [{name: bytearray.fromhex(h) for name, h in ks.items()} for ks in json.loads(sys.stdin.readline())]
    if datapath == "rtl":
        from sim.accel_process import rtl_datapath
        dp = rtl_datapath(mem_bytes=16 << 20)
    else:
        from bridge.datapath import SoftDatapath
        dp = SoftDatapath()
    dev = VirtioCryptoDevice(dp, num_dataqueues=1)
    try:
        if path == "stateless":
            return stateless_main(dev, key_sets)
        drv = VirtioCryptoDriver(dev, mem_bytes=4 << 20, seed=7)
        make = ControlQueue() if path == "ctrl" else Direct(dev)
        iv, src = bytes(range(16)), bytes(range(256)) * 4
        closing, results = [], []
        for keys in key_sets:
            sessions = {
                "cipher": (vc.CIPHER_DESTROY_SESSION,
                           make.cipher(drv, vc.CIPHER_AES_CBC, keys["cipher"], vc.OP_ENCRYPT)),
                "chain": (vc.CIPHER_DESTROY_SESSION,
                          make.chain(drv, vc.CIPHER_AES_CBC, keys["chain_cipher"], vc.OP_ENCRYPT,
                                        vc.MAC_HMAC_SHA_256, 32, keys["chain_auth"])),
                "mac": (vc.MAC_DESTROY_SESSION, make.mac(drv, vc.MAC_HMAC_SHA_256, 32, keys["mac"])),
                "mac_long": (vc.MAC_DESTROY_SESSION, make.mac(drv, vc.MAC_HMAC_SHA_224, 28, keys["mac_long"])),
                "mac_max": (vc.MAC_DESTROY_SESSION, make.mac(drv, vc.MAC_HMAC_SHA_256, 32, keys["mac_max"])),
                "reset_cipher": (None, make.cipher(drv, vc.CIPHER_AES_CTR, keys["reset_cipher"], vc.OP_ENCRYPT)),
                "reset_mac": (None, make.mac(drv, vc.MAC_HMAC_SHA_256, 32, keys["reset_mac"])),
            }
            if "aead" in keys:
                sessions["aead"] = (vc.AEAD_DESTROY_SESSION, make.aead(drv, keys["aead"], vc.OP_ENCRYPT))
            if "xts" in keys:           # soft only (see SOFT_ONLY in tests/test_key_hygiene.py)
                sessions["xts"] = (vc.CIPHER_DESTROY_SESSION,
                                   make.cipher(drv, vc.CIPHER_AES_XTS, keys["xts"], vc.OP_ENCRYPT))
            if "mac512" in keys:
                sessions["mac512"] = (vc.MAC_DESTROY_SESSION, make.mac(drv, vc.MAC_HMAC_SHA_512, 64, keys["mac512"]))
            requests = {"cipher": lambda s: drv.cipher(0, s, True, iv, src),
                        "chain": lambda s: drv.chain(0, s, True, iv, src, 32),
                        "mac": lambda s: drv.hash(0, s, src, 32, mac=True),
                        "mac_long": lambda s: drv.hash(0, s, src, 28, mac=True),
                        "mac_max": lambda s: drv.hash(0, s, src, 32, mac=True),
                        "reset_cipher": lambda s: drv.cipher(0, s, True, iv, src),
                        "reset_mac": lambda s: drv.hash(0, s, src, 32, mac=True),
                        "aead": lambda s: drv.aead(0, s, True, iv[:12], src, iv, len(src) + 16),
                        "xts": lambda s: drv.cipher(0, s, True, iv, src),
                        "mac512": lambda s: drv.hash(0, s, src, 64, mac=True)}
            res = {}
            for name, (_, sid) in sessions.items():     # one at a time: run() waits for its own request
                for _ in range(3):
                    res[name] = _result(drv.run(requests[name](sid)))
            results.append(res)
            closing += [(opcode, sid) for opcode, sid in sessions.values() if opcode is not None]
            for k in keys.values():          # this script's own copies: the device must keep its own
                k[:] = bytes(len(k))
        print("OPEN " + json.dumps({"iv": iv.hex(), "src": src.hex(), "results": results}), flush=True)
        if sys.stdin.readline().strip() != "close":
            return 1
        for opcode, sid in closing:
            if drv.destroy_session(opcode, sid) != vc.OK:
                raise RuntimeError(f"destroy of session {sid} failed")
        dev.set_status(0)                # the guest resets the device: the reset_* sessions go
        print("CLOSED", flush=True)
        sys.stdin.readline()
        return 0
    finally:
        dev.close()


def _result(t: Pending) -> dict:
    if t.status != vc.OK:
        raise RuntimeError(f"request failed: status {t.status}")
    return {"dst": t.dst.hex(), "digest": t.digest.hex()}


if __name__ == "__main__":
    sys.exit(main())
