"""Key hygiene end to end: when a session ends (or the device is reset) its key and HMAC
states are gone from the control plane, from the accelerator's shared memory, and from the
RTL's key registers. The RTL side is read back through STATUS.KEYS_HELD and the SCRUB count
(the registers themselves are read directly in tests/tb/vcrypto_top_tb.py and aes_engine_tb.py).

Then the backend process as a whole: a backend (driver model on soft and rtl, and `vcrypto
serve` over vhost-user) runs in a child process and its memory is scanned (tests/memscan.py)
for every key, K0, pad and HMAC state once its sessions are gone; and the accelerator's
segment holds no source, destination or digest of a finished request."""
from __future__ import annotations

import hashlib
import hmac as std_hmac
import json
import os
import queue
import random
import secrets
import signal
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from bridge import abi
from bridge import vhost_user as vu
from bridge import virtio_crypto as vc
from bridge.device import VirtioCryptoDevice
from bridge.driver import VirtioCryptoDriver
from sim.accel_process import rtl_datapath
from bridge.sha2_state import BLOCK, IV, compress, state_bytes
from bridge.sha2_state import pad as sha2_pad
from bridge import sha512_state
from tests import memscan

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.xdist_group("accel")


@pytest.fixture
def rig():
    dp = rtl_datapath(mem_bytes=32 << 20)
    dev = VirtioCryptoDevice(dp, num_dataqueues=2)
    yield dp, dev, VirtioCryptoDriver(dev, seed=4)
    dev.close()


def wait_keys_gone(dp, scrubs_before: int) -> None:
    deadline = time.monotonic() + 5
    while dp.client.scrubs_done() == scrubs_before or dp.client.keys_held():
        assert time.monotonic() < deadline, "the device still holds a key 5 s after the session ended"
        time.sleep(0.001)


def test_cipher_session_end_clears_python_shared_memory_and_rtl(rig):
    dp, dev, drv = rig
    key = bytes(range(200, 232))
    st, sid = drv.create_cipher_session(vc.CIPHER_AES_CBC, key, vc.OP_ENCRYPT)
    assert st == vc.OK
    s = dev.sessions[sid]
    ctx = s.context
    assert key in dp.client.read(ctx, abi.CTX_BYTES)
    assert bytes(s.cipher_key) == bytes(32)        # Python keeps no copy
    assert drv.run(drv.cipher(0, sid, True, bytes(16), bytes(64))).status == vc.OK
    assert dp.client.keys_held(), "after a cipher request the device holds the key schedule"
    before = dp.client.scrubs_done()
    assert drv.destroy_session(vc.CIPHER_DESTROY_SESSION, sid) == vc.OK
    assert dp.client.read(ctx, abi.CTX_BYTES) == bytes(abi.CTX_BYTES) and s.context == -1
    wait_keys_gone(dp, before)


def test_session_closed_with_requests_in_flight_is_wiped_after_the_last_one(rig):
    dp, dev, drv = rig
    key = bytes(range(16))
    st, sid = drv.create_cipher_session(vc.CIPHER_AES_CTR, key, vc.OP_ENCRYPT)
    assert st == vc.OK
    ctx = dev.sessions[sid].context
    tokens = [drv.cipher(i % 2, sid, True, bytes(16), bytes(65536), kick=False) for i in range(6)]
    for q in range(2):
        drv.kick(q)
    dev.poll(0)
    before = dp.client.scrubs_done()
    assert drv.destroy_session(vc.CIPHER_DESTROY_SESSION, sid) == vc.OK
    assert key in dp.client.read(ctx, abi.CTX_BYTES), "wiped while requests still needed it"
    drv.wait(tokens)
    assert all(t.status == vc.OK for t in tokens)
    assert dp.client.read(ctx, abi.CTX_BYTES) == bytes(abi.CTX_BYTES)
    wait_keys_gone(dp, before)


def test_gcm_session_end_clears_python_shared_memory_and_rtl(rig):
    """An AES-GCM session holds an AES key in the device like a cipher session: the key lives
    only in its context, the lane holds it after a request, and destroying the session zeroes
    the context and scrubs the device."""
    dp, dev, drv = rig
    key = bytes(range(160, 192))
    st, sid = drv.create_aead_session(vc.AEAD_GCM, key, 16, 4, vc.OP_ENCRYPT)
    assert st == vc.OK
    s = dev.sessions[sid]
    ctx = s.context
    assert key in dp.client.read(ctx, abi.CTX_BYTES)
    assert bytes(s.aead_key) == bytes(32)          # Python keeps no copy
    t = drv.run(drv.aead(0, sid, True, bytes(12), bytes(64), b"aad!", 80))
    assert (t.status, t.dst) == (vc.OK, AESGCM(key).encrypt(bytes(12), bytes(64), b"aad!"))
    assert dp.client.keys_held(), "after a GCM request the device holds the key schedule"
    before = dp.client.scrubs_done()
    assert drv.destroy_session(vc.AEAD_DESTROY_SESSION, sid) == vc.OK
    assert dp.client.read(ctx, abi.CTX_BYTES) == bytes(abi.CTX_BYTES) and s.context == -1
    wait_keys_gone(dp, before)


def test_hmac_states_are_wiped_and_not_kept_by_the_rtl(rig):
    dp, dev, drv = rig
    st, sid = drv.create_mac_session(vc.MAC_HMAC_SHA_256, 32, b"secret" * 10)
    assert st == vc.OK
    ctx = dev.sessions[sid].context
    assert any(dp.client.read(ctx + 64, 64))                 # inner/outer states are there
    assert drv.run(drv.hash(0, sid, bytes(100), 32, mac=True)).status == vc.OK
    assert not dp.client.keys_held(), "the RTL kept HMAC state (or a key) past the request"
    assert drv.destroy_session(vc.MAC_DESTROY_SESSION, sid) == vc.OK
    assert dp.client.read(ctx, abi.CTX_BYTES) == bytes(abi.CTX_BYTES)


def test_device_reset_wipes_every_session(rig):
    dp, dev, drv = rig
    sids = []
    for klen in (16, 24, 32):
        st, sid = drv.create_cipher_session(vc.CIPHER_AES_ECB, bytes([klen]) * klen, vc.OP_ENCRYPT)
        assert st == vc.OK
        assert drv.run(drv.cipher(0, sid, True, b"", bytes(32))).status == vc.OK
        sids.append(sid)
    ctxs = [dev.sessions[s].context for s in sids]
    params = [dev.sessions[s] for s in sids]
    before = dp.client.scrubs_done()
    dev.set_status(0)                                       # the driver resets the device
    assert not dev.sessions and not dp.sessions
    assert all(dp.client.read(c, abi.CTX_BYTES) == bytes(abi.CTX_BYTES) for c in ctxs)
    assert all(not any(p.cipher_key) for p in params)
    wait_keys_gone(dp, before)


# ------------------------------------------------------------------ memory scans of a backend process
# A backend runs in a child process; once its sessions are gone (destroyed, device reset, front
# end disconnected) its whole memory is read through /proc/PID/mem and searched for every key,
# for the derived HMAC key K0 = H(key) of a long key, for K0 ^ ipad / K0 ^ opad and for the HMAC
# inner/outer chaining states (big-endian as in a context, and as the little-endian words of an
# OpenSSL SHA-256 context). While the sessions are open the same scan must find them: the scan
# sees what it is looking for.

HERE = Path(__file__).resolve().parent
KEY_LENGTHS = {"cipher": 32, "chain_cipher": 16, "chain_auth": 32, "mac": 20, "mac_long": 100, "mac_max": 500,
               "aead": 32, "reset_cipher": 24, "reset_mac": 48, "xts": 64, "mac512": 200}
HMAC_BITS = {"chain_auth": 256, "mac": 256, "mac_long": 224, "mac_max": 256, "reset_mac": 256, "mac512": 512}
SESSION_KEYS = {"cipher": ["cipher"], "chain": ["chain_cipher", "chain_auth"], "mac": ["mac"],
                "mac_long": ["mac_long"], "mac_max": ["mac_max"], "aead": ["aead"], "reset_cipher": ["reset_cipher"],
                "reset_mac": ["reset_mac"], "xts": ["xts"], "mac512": ["mac512"]}
SOFT_ONLY = ("xts", "mac512")    # not in the rtl runs (written when rtl offered neither; it serves both now)

needs_proc_mem = pytest.mark.skipif(not memscan.readable(os.getpid()) or sys.platform != "linux",
                                    reason="needs to read /proc/PID/mem (Linux, ptrace access)")


def hmac_secrets(key: bytes, bits: int) -> dict[str, bytes]:
    """What HMAC derives from a key: K0 (if the key is longer than a block), K0 ^ ipad, K0 ^ opad
    (the key's bytes only) and the inner/outer chaining states, in both byte orders."""
    name = f"sha{bits}"
    if bits == 512:                 # the SHA-512 family: 128-byte block, 64-bit state words
        k0 = hashlib.new(name, key).digest() if len(key) > sha512_state.BLOCK else key
        inner, outer = sha512_state.hmac_states(key, name)
        out = {"k0^ipad": bytes(b ^ 0x36 for b in k0), "k0^opad": bytes(b ^ 0x5C for b in k0), "inner": inner,
               "outer": outer, "inner(le words)": struct.pack("<8Q", *struct.unpack(">8Q", inner)),
               "outer(le words)": struct.pack("<8Q", *struct.unpack(">8Q", outer))}
        return out | ({"k0": k0} if k0 is not key else {})
    k0 = hashlib.new(name, key).digest() if len(key) > BLOCK else key
    inner, outer = (compress(IV[bits], bytes(b ^ pad for b in k0.ljust(BLOCK, b"\0"))) for pad in (0x36, 0x5C))
    # the states are right: they give hmac's result for a message
    msg = b"the states are checked against hashlib's hmac"
    st = compress(inner, sha2_pad(msg, BLOCK))
    st = compress(outer, sha2_pad(state_bytes(st)[: bits // 8], BLOCK))
    assert state_bytes(st)[: bits // 8] == std_hmac.new(key, msg, name).digest()
    out = {"k0^ipad": bytes(b ^ 0x36 for b in k0), "k0^opad": bytes(b ^ 0x5C for b in k0),
           "inner": state_bytes(inner), "outer": state_bytes(outer),
           "inner(le words)": struct.pack("<8I", *inner), "outer(le words)": struct.pack("<8I", *outer)}
    if k0 is not key:
        out["k0"] = k0
    return out


def secret_needles(keys: dict[str, bytes]) -> dict[str, bytes]:
    """{"<key name>: <what>": bytes} for every key and everything HMAC derives from it."""
    out = {f"{name}: key": k for name, k in keys.items()}
    for name, bits in HMAC_BITS.items():
        if name in keys:
            out.update({f"{name}: {what}": v for what, v in hmac_secrets(keys[name], bits).items()})
    return out


class Child:
    """A process that talks one line at a time on stdin/stdout; killed (by PID) if still alive
    when the test is done."""

    def __init__(self, cmd: list[str], tmp: Path):
        self.err = open(tmp / "child.stderr", "w+")
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.err,
                                     text=True, cwd=ROOT, start_new_session=True)
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put("")

    def send(self, line: str) -> None:
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def expect(self, word: str, timeout: float = 300) -> str:
        try:
            line = self.lines.get(timeout=timeout)
        except queue.Empty:
            line = None
        if line is None or not line.startswith(word):
            self.err.seek(0)
            pytest.fail(f"expected {word!r} from the child, got {line!r}; its stderr:\n{self.err.read()[-4000:]}")
        return line[len(word):].strip()

    def stderr(self) -> str:
        self.err.seek(0)
        return self.err.read()

    def close(self, timeout: float = 20) -> None:
        try:
            if self.proc.poll() is None:
                try:
                    self.send("quit")
                    self.proc.wait(timeout)
                except (OSError, subprocess.TimeoutExpired):
                    pass
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()
            self.err.close()


def scan_report(pid: int, needles: dict[str, bytes]) -> tuple[dict[str, list[memscan.Hit]], memscan.ScanStats]:
    stats = memscan.ScanStats()
    hits = memscan.scan(pid, needles, stats)
    assert stats.bytes_read > 1 << 20
    return hits, stats


def check_results(keys: dict[str, bytes], iv: bytes, src: bytes, results: dict) -> None:
    """The sessions computed with exactly these keys (so the scan looks for the right bytes)."""
    for name, res in results.items():
        dst, digest = bytes.fromhex(res["dst"]), bytes.fromhex(res["digest"])
        if name in ("cipher", "chain", "reset_cipher"):
            key = keys["chain_cipher" if name == "chain" else name]
            enc = Cipher(algorithms.AES(key), modes.CTR(iv) if name == "reset_cipher" else modes.CBC(iv)).encryptor()
            assert dst == enc.update(src) + enc.finalize(), name
        if name == "chain":
            assert digest == std_hmac.new(keys["chain_auth"], dst, "sha256").digest()
        elif name in HMAC_BITS:
            assert digest == std_hmac.new(keys[name], src, f"sha{HMAC_BITS[name]}").digest()[:len(digest)], name
        elif name == "aead":
            assert dst == AESGCM(keys["aead"]).encrypt(iv[:12], src, iv)
        elif name == "xts":
            enc = Cipher(algorithms.AES(keys["xts"]), modes.XTS(iv)).encryptor()
            assert dst == enc.update(src) + enc.finalize()


SETS = 8         # sessions of each kind: a freed copy that survives in one of them is found

# The control-queue parse of a session (VirtioCryptoDevice._create: ChainReader.read and
# BytesGuestMemory.read return `bytes`) leaves freed copies of long keys behind: outside the
# datapath and the vhost-user session parse that this test guards. Not strict: whether a freed
# copy survives until the scan is chance (4-5 of 8 did here); an XPASS says it may be fixed.
def run_backend_scan(datapath: str, path: str, tmp_path: Path) -> None:
    key_sets = []
    for _ in range(SETS):
        keys = {name: secrets.token_bytes(n) for name, n in KEY_LENGTHS.items()}
        if datapath == "rtl":
            for name in SOFT_ONLY:
                del keys[name]
        key_sets.append(keys)
    needles = {}
    for i, keys in enumerate(key_sets):
        needles.update({f"set {i} {k}": v for k, v in secret_needles(keys).items()})
    child = Child([sys.executable, str(HERE / "hygiene_backend.py"), datapath, path], tmp_path)
    try:
        child.send(json.dumps([{k: v.hex() for k, v in keys.items()} for keys in key_sets]))
        opened = json.loads(child.expect("OPEN"))
        for keys, results in zip(key_sets, opened["results"]):
            check_results(keys, bytes.fromhex(opened["iv"]), bytes.fromhex(opened["src"]), results)
        hits, _ = scan_report(child.proc.pid, needles)
        assert_found_while_open(hits, needles, key_sets)
        child.send("close")
        child.expect("CLOSED")
        hits, stats = scan_report(child.proc.pid, needles)
        print(f"{datapath}/{path}: {memscan.count(hits)} copies in {stats.bytes_read >> 20} MiB "
              f"({stats.mappings} mappings)\n{memscan.describe(hits)}")
        assert memscan.count(hits) == 0, f"secrets left in the {datapath} backend after the sessions ended:\n" \
                                         + memscan.describe(hits)
    finally:
        child.close()


def assert_found_while_open(hits, needles, key_sets) -> None:
    """Each open session's key or HMAC states are found: the scan sees what it looks for."""
    for i, keys in enumerate(key_sets):
        for session, names in SESSION_KEYS.items():
            if all(n in keys for n in names):
                assert any(hits[k] for k in needles if k.startswith(f"set {i} ") and k.split()[2].rstrip(":") in names), \
                    f"set {i} {session}: no secret found while the session is open; the scan is blind"


@needs_proc_mem
@pytest.mark.parametrize("datapath", ["soft", "rtl"])
def test_no_key_or_hmac_state_left_in_the_backend_process(datapath, tmp_path):
    """Sessions of every kind (cipher, chain with HMAC, HMAC with short, long and 500-byte keys,
    AES-GCM) opened the way the vhost-user backend opens them, used, then destroyed
    or dropped by a device reset: the backend process holds no copy of a key, of K0 and its
    pads, or of an HMAC state, anywhere in its memory (heap, freed Python objects, the
    accelerator's segment, guest memory)."""
    run_backend_scan(datapath, "direct", tmp_path)


@needs_proc_mem
@pytest.mark.parametrize("datapath", ["soft", "rtl"])
def test_regression_no_key_left_after_control_queue_sessions(datapath, tmp_path):
    """The same with the sessions created through the control queue: the device's parse copied
    each key into `bytes` on its way (ChainReader.read, guest memory read); it now reads keys
    with ChainReader.read_secret into the session's own bytearray (4-5 copies of a 500-byte
    HMAC key were left before)."""
    run_backend_scan(datapath, "ctrl", tmp_path)


@needs_proc_mem
@pytest.mark.parametrize("datapath", ["soft", "rtl"])
def test_no_stateless_key_left_in_the_backend_process(datapath, tmp_path):
    """Stateless requests (issue #15): each carries its keys; once it has completed, no copy of
    them or of the HMAC states derived from them is left anywhere in the backend process (the
    transient session, the request parse, the datapath, the accelerator's segment). A canary key
    the child keeps on purpose shows the scan sees a key that is there."""
    key_sets = []
    for _ in range(SETS):
        keys = {name: secrets.token_bytes(KEY_LENGTHS[name]) for name in
                ("cipher", "chain_cipher", "chain_auth", "mac", "mac_long", "mac_max", "aead") + SOFT_ONLY}
        if datapath == "rtl":
            for name in SOFT_ONLY:
                del keys[name]
        key_sets.append(keys)
    canary = secrets.token_bytes(32)
    needles = {}
    for i, keys in enumerate(key_sets):
        needles.update({f"set {i} {k}": v for k, v in secret_needles(keys).items()})
    child = Child([sys.executable, str(HERE / "hygiene_backend.py"), datapath, "stateless"], tmp_path)
    try:
        sets = [{k: v.hex() for k, v in keys.items()} for keys in key_sets]
        sets[0]["canary"] = canary.hex()
        child.send(json.dumps(sets))
        done = json.loads(child.expect("DONE"))
        assert len(done["results"]) == SETS
        hits, stats = scan_report(child.proc.pid, dict(needles, canary=canary))
        assert hits["canary"], "the scan does not see a key the process holds: it is blind"
        del hits["canary"]
        print(f"{datapath}/stateless: {memscan.count(hits)} copies in {stats.bytes_read >> 20} MiB")
        assert memscan.count(hits) == 0, f"stateless keys left in the {datapath} backend:\n" + memscan.describe(hits)
    finally:
        child.close()


# ------------------------------------------------------------------ vhost-user: vcrypto serve
VHOST_KEYS = {"cipher": 32, "chain_cipher": 16, "chain_auth": 32, "max_cipher": 24, "max_auth": 500,
              "kept_cipher": 16}
VHOST_HMAC = {"chain_auth": 256, "max_auth": 256}
VHOST_SESSIONS = {"cipher": ["cipher"], "chain": ["chain_cipher", "chain_auth"], "max": ["max_cipher", "max_auth"],
                  "kept": ["kept_cipher"]}


def session_72(key: bytes, auth_key: bytes = b"") -> bytes:
    """A QEMU 7.2 CREATE_CRYPTO_SESSION payload: AES-CBC encryption, chained with HMAC-SHA-256
    (cipher, then hash) when there is an auth key."""
    op = vc.SYM_OP_ALGORITHM_CHAINING if auth_key else vc.SYM_OP_CIPHER
    return vu.SESSION_72.pack(0, vc.CIPHER_AES_CBC, len(key), vc.MAC_HMAC_SHA_256 if auth_key else 0,
                              32 if auth_key else 0, len(auth_key), 0, op, vc.OP_ENCRYPT,
                              vc.SYM_HASH_MODE_AUTH if auth_key else 0,
                              vc.ALG_CHAIN_CIPHER_THEN_HASH if auth_key else 0, 0, 0, key.ljust(64, b"\0"),
                              auth_key.ljust(512, b"\0"))


def fe_request(fe, dq, sid: int, iv: bytes, data: bytes, digest_len: int = 0):
    """An AES-CBC encryption (chained with a MAC when digest_len) laid out as Linux lays it out."""
    n = len(data)
    if digest_len:
        fixed = vc.CHAIN_DATA.pack(16, n, n, 0, n, 0, n, 0, digest_len, 0) + \
            struct.pack("<II", vc.SYM_OP_ALGORITHM_CHAINING, 0)
    else:
        fixed = vc.cipher_data_fixed(16, n, n)
    hdr = vc.OP_HDR.pack(vc.CIPHER_ENCRYPT, 0, sid, 0, 0) + fixed.ljust(48, b"\0")
    return fe.request(dq, hdr, iv, data, n + digest_len)


def cbc(key: bytes, iv: bytes, data: bytes) -> bytes:
    enc = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    return enc.update(data) + enc.finalize()


@needs_proc_mem
@pytest.mark.parametrize("datapath", ["soft", "rtl"])
def test_no_key_left_in_vcrypto_serve_after_close_and_disconnect(datapath, tmp_path):
    """`vcrypto serve` (vhost-user) gets cipher and chained cipher+HMAC sessions (32- and
    500-byte HMAC keys) in CREATE_CRYPTO_SESSION messages and serves requests on them; the
    front end closes them with CLOSE_CRYPTO_SESSION, except one, and disconnects. Then the
    backend process holds no copy of any key, K0, pad or HMAC state."""
    from tests.test_vhost_user import FrontEnd
    key_sets = [{name: secrets.token_bytes(n) for name, n in VHOST_KEYS.items()} for _ in range(SETS)]
    needles = {}
    for i, keys in enumerate(key_sets):
        needles.update({f"set {i} {k}: key": v for k, v in keys.items()})
        for name, bits in VHOST_HMAC.items():
            needles.update({f"set {i} {name}: {what}": v for what, v in hmac_secrets(keys[name], bits).items()})
    sock = tmp_path / "vhost.sock"
    log = open(tmp_path / "serve.log", "w+")
    proc = subprocess.Popen([sys.executable, "-m", "sim.cli", "serve", "--socket", str(sock), "--datapath", datapath],
                            stdout=log, stderr=subprocess.STDOUT, cwd=ROOT, start_new_session=True)
    fes = []
    try:
        deadline = time.monotonic() + 300                 # the first rtl start may build the accelerator
        while not sock.exists():
            assert proc.poll() is None and time.monotonic() < deadline, \
                f"vcrypto serve did not start: {log.seek(0) or log.read()[-3000:]}"
            time.sleep(0.05)
        fe = FrontEnd(str(sock))
        fes.append(fe)
        dq = fe.start()
        iv, data = bytes(range(16)), bytes(range(256)) * 2
        sids = []
        for keys in key_sets:
            s = {"cipher": fe.send(vu.CREATE_CRYPTO_SESSION, session_72(keys["cipher"]), reply=True),
                 "chain": fe.send(vu.CREATE_CRYPTO_SESSION, session_72(keys["chain_cipher"], keys["chain_auth"]), reply=True),
                 "max": fe.send(vu.CREATE_CRYPTO_SESSION, session_72(keys["max_cipher"], keys["max_auth"]), reply=True),
                 "kept": fe.send(vu.CREATE_CRYPTO_SESSION, session_72(keys["kept_cipher"]), reply=True)}
            for reply in s.values():
                assert len(reply) == vu.SESSION_72.size and not any(reply[8:]), "the reply echoes the payload"
            s = {k: struct.unpack("<q", v[:8])[0] for k, v in s.items()}
            assert all(v >= 0 for v in s.values()), s
            sids.append(s)
            ts = [fe_request(fe, dq, s["cipher"], iv, data), fe_request(fe, dq, s["chain"], iv, data, 32),
                  fe_request(fe, dq, s["max"], iv, data, 32), fe_request(fe, dq, s["kept"], iv, data)]
            os.eventfd_write(fe.kick, 1)
            fe.wait(dq, len(ts))
            assert all(t.status == vc.OK for t in ts), [t.status for t in ts]
            assert ts[0].dst == cbc(keys["cipher"], iv, data) and ts[3].dst == cbc(keys["kept_cipher"], iv, data)
            for t, c, a in ((ts[1], "chain_cipher", "chain_auth"), (ts[2], "max_cipher", "max_auth")):
                ct = cbc(keys[c], iv, data)
                assert t.dst == ct + std_hmac.new(keys[a], ct, "sha256").digest()
        hits, _ = scan_report(proc.pid, needles)
        for i, keys in enumerate(key_sets):
            for session, names in VHOST_SESSIONS.items():
                assert any(hits[k] for k in needles if k.startswith(f"set {i} ") and k.split()[2].rstrip(":") in names), \
                    f"set {i} {session}: no secret found while the session is open; the scan is blind"
        for s in sids:
            for name in ("cipher", "chain", "max"):
                fe.send(vu.CLOSE_CRYPTO_SESSION, struct.pack("<q", s[name]))
        fe.close()                                        # disconnect: the kept sessions go too
        fe2 = FrontEnd(str(sock))                         # served only once the first one is cleaned up
        fes.append(fe2)
        fe2.send(vu.GET_FEATURES, reply=True)
        hits, stats = scan_report(proc.pid, needles)
        print(f"vcrypto serve {datapath}: {memscan.count(hits)} copies in {stats.bytes_read >> 20} MiB "
              f"({stats.mappings} mappings)\n{memscan.describe(hits)}")
        assert memscan.count(hits) == 0, f"secrets left in vcrypto serve ({datapath}) after close and disconnect:\n" \
                                         + memscan.describe(hits)
    finally:
        for fe in fes:
            fe.close()
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        log.close()


# ------------------------------------------------------------------ request data in shared memory
def data_needles(name: str, data: bytes) -> dict[str, bytes]:
    """32-byte pieces of `data` at its start, middle and end (a partly wiped block is found too)."""
    if len(data) <= 32:
        return {f"{name}": data}
    return {f"{name}[{i}]": data[i:i + 32] for i in (0, (len(data) // 2) & ~15, len(data) - 32)}


def segment_check(dp) -> tuple[bytes, list[tuple[int, int]]]:
    """The segment's contents, and the free blocks that are not all zeros."""
    seg = dp.client.mem[:]
    dirty = [(off, n) for off, n in dp.client.heap.free if seg.count(0, off, off + n) != n]
    return seg, dirty


def assert_no_request_data(dp, needles: dict[str, bytes], when: str) -> None:
    seg, dirty = segment_check(dp)
    found = [name for name, v in needles.items() if seg.find(v) >= 0]
    assert not found, f"{when}: request data left in the shared segment: {found[:10]}"
    assert not dirty, f"{when}: free blocks not zeroed: {dirty[:10]}"


def test_request_data_is_zeroed_in_shared_memory(rig):
    """Source, destination and digest of every request are gone from the accelerator's segment
    once the request completed: when it completes normally, when its session was destroyed
    while it was in flight, and when the device was reset while it was in flight. Every free
    block of the segment is zeros."""
    dp, dev, drv = rig
    rng = random.Random(11)
    key, mac_key, iv = rng.randbytes(32), rng.randbytes(32), rng.randbytes(16)

    def sessions():
        st1, c = drv.create_cipher_session(vc.CIPHER_AES_CBC, key, vc.OP_ENCRYPT)
        st2, ch = drv.create_chain_session(vc.CIPHER_AES_CBC, key, vc.OP_ENCRYPT, vc.ALG_CHAIN_CIPHER_THEN_HASH,
                                           vc.SYM_HASH_MODE_AUTH, vc.MAC_HMAC_SHA_256, 32, mac_key)
        st3, m = drv.create_mac_session(vc.MAC_HMAC_SHA_256, 32, mac_key)
        assert (st1, st2, st3) == (vc.OK,) * 3
        return c, ch, m

    def needles_of(srcs: list[bytes]) -> dict[str, bytes]:
        out = {}
        for i, src in enumerate(srcs):
            ct = cbc(key, iv, src)
            out.update(data_needles(f"src {i}", src))
            out.update(data_needles(f"dst {i}", ct))
            out.update(data_needles(f"digest {i}", std_hmac.new(mac_key, ct, "sha256").digest()))
            out.update(data_needles(f"mac {i}", std_hmac.new(mac_key, src, "sha256").digest()))
        return out

    # 1. requests that complete
    c, ch, m = sessions()
    srcs = [rng.randbytes(n) for n in (16, 64, 4096, 65536)]
    for src in srcs:
        ct = cbc(key, iv, src)
        assert drv.run(drv.cipher(0, c, True, iv, src)).dst == ct
        t = drv.run(drv.chain(1, ch, True, iv, src, 32))
        assert (t.dst, t.digest) == (ct, std_hmac.new(mac_key, ct, "sha256").digest())
        assert drv.run(drv.hash(0, m, src, 32, mac=True)).digest == std_hmac.new(mac_key, src, "sha256").digest()
    assert_no_request_data(dp, needles_of(srcs), "after the requests completed")

    # 2. sessions destroyed with their requests in flight
    srcs = [rng.randbytes(65536) for _ in range(6)]
    tokens = [drv.cipher(i % 2, c, True, iv, src, kick=False) for i, src in enumerate(srcs[:3])] + \
        [drv.chain(i % 2, ch, True, iv, src, 32, kick=False) for i, src in enumerate(srcs[3:])]
    for q in range(2):
        drv.kick(q)
    dev.poll(0)
    assert segment_check(dp)[0].find(srcs[-1][:32]) >= 0, "the requests are not in the segment: nothing is tested"
    for sid in (c, ch, m):
        assert drv.destroy_session(vc.CIPHER_DESTROY_SESSION if sid != m else vc.MAC_DESTROY_SESSION, sid) == vc.OK
    drv.wait(tokens)
    assert all(t.status == vc.OK for t in tokens)
    assert_no_request_data(dp, needles_of(srcs), "after destroy with requests in flight")

    # 3. device reset with requests in flight: their results are dropped, their buffers wiped
    c, ch, m = sessions()
    srcs = [rng.randbytes(65536) for _ in range(6)]
    for i, src in enumerate(srcs[:3]):
        drv.cipher(i % 2, c, True, iv, src, kick=False)
    for i, src in enumerate(srcs[3:]):
        drv.chain(i % 2, ch, True, iv, src, 32, kick=False)
    for q in range(2):
        drv.kick(q)
    dev.poll(0)
    assert dp.inflight() and segment_check(dp)[0].find(srcs[-1][:32]) >= 0
    dev.set_status(0)
    deadline = time.monotonic() + 30
    while dp.inflight():
        assert time.monotonic() < deadline, "the datapath did not drain after the reset"
        dp.poll(0.05)
    assert_no_request_data(dp, needles_of(srcs), "after a device reset with requests in flight")
    assert not dp.client.heap.used, "blocks left allocated"
