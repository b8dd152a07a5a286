"""The accelerator process and the bridge's ring client in two processes, over POSIX shared
memory and semaphores: thousands of random requests verified against the `cryptography`
golden model, clean shutdown, and clean-up when the bridge side dies."""
from __future__ import annotations

import os
import random
import re
import signal
import subprocess
import sys
import textwrap
import time
from dataclasses import replace
from pathlib import Path

import pytest

from bridge import abi
from bridge.accel_abi import Context
from bridge.accel_client import AccelClient, Request
from bridge.accel_model import run_request
from sim.accel_process import AcceleratorProcess, build, build_info, default_pgo, direct_eval_ok, posix_objects_left
from sim.cocotb_run import ROOT
from sim.compiler import compiler

pytestmark = pytest.mark.xdist_group("accel")    # one process at a time on a 2-core machine


def random_sessions(rng: random.Random) -> list[Context]:
    out = []
    for cipher in (abi.CIPHER_ALG_AES_ECB, abi.CIPHER_ALG_AES_CBC, abi.CIPHER_ALG_AES_CTR):
        for klen in (16, 24, 32):
            for dec in (False, True):
                out.append(Context(cipher_alg=cipher, decrypt=dec, key=rng.randbytes(klen)))
    for h, d in ((abi.HASH_ALG_SHA_224, 28), (abi.HASH_ALG_SHA_256, 32)):
        out.append(Context(hash_alg=h, digest_len=d))
        out.append(Context(hash_alg=h, digest_len=d - 4, hmac_key=rng.randbytes(rng.choice((16, 64, 100)))))
        for order in (abi.CHAIN_ORDER_CIPHER_THEN_HASH, abi.CHAIN_ORDER_HASH_THEN_CIPHER):
            out.append(Context(cipher_alg=rng.choice((2, 3)), key=rng.randbytes(32), hash_alg=h, digest_len=d,
                               chain_order=order, hmac_key=rng.randbytes(32), decrypt=order == 2))
    return out


def opcode_for(s: Context) -> int:
    if s.cipher_alg and s.hash_alg:
        return abi.OPCODE_CHAIN
    if s.cipher_alg:
        return abi.OPCODE_CIPHER
    return abi.OPCODE_MAC if s.hmac_key is not None else abi.OPCODE_HASH


def test_thousands_of_random_requests_two_processes():
    rng = random.Random(2026)
    with AcceleratorProcess(mem_bytes=64 << 20) as accel:
        client = AccelClient(accel.transport())
        sessions = random_sessions(rng)
        ctxs = [client.create_context(s) for s in sessions]
        reqs = []
        for i in range(3000):
            k = rng.randrange(len(sessions))
            s = sessions[k]
            n = rng.choice((rng.randint(0, 64), rng.randint(1, 1024), rng.randint(1, 8192)))
            if i % 500 == 7:
                n = 65536
            if s.cipher_alg in (abi.CIPHER_ALG_AES_ECB, abi.CIPHER_ALG_AES_CBC):
                n -= n % 16
            r = Request(opcode_for(s), ctxs[k], rng.randbytes(n), iv=rng.randbytes(16), digest_len=s.digest_len)
            r.extra["session"] = s
            reqs.append(r)
        done = client.run(reqs, timeout=600)
        assert len(done) == len(reqs)
        for r in done:
            want = run_request(r.extra["session"], r.opcode, r.iv, r.src)
            assert r.completion.status == want.status, r.completion
            assert r.dst == want.dst and r.digest == want.digest, f"cookie {r.cookie}"
            assert r.completion.bytes_written == want.bytes_written
        assert client.mmio_read(abi.CSR_REQ_DONE) == len(reqs)
        # contexts are wiped when destroyed
        for c in ctxs:
            client.destroy_context(c)
            assert client.read(c, abi.CTX_BYTES) == bytes(abi.CTX_BYTES)
        stats = accel.stats()
        assert stats["busy_cycles"] > 0 and stats["irq_count"] > 0
        names = dict(accel.names)
    assert posix_objects_left(names) == [], "stop() left shared objects behind"


def test_aead_requests_through_the_client_match_the_reference_model():
    """AES-GCM through the ring client (firmware/ABI.md "AEAD"): every key size and tag length,
    both directions, AAD and text of 0 to 3,000 bytes, forged tags and ciphertexts, contexts the
    device must refuse (a 5-byte tag, a 20-byte key); status, error detail, bytes_written and
    the bytes out are the reference model's (encrypting, dst is ciphertext || tag). A request
    that cannot be encoded is refused before it takes memory; once all is reaped only the
    contexts are left in the segment, and no plaintext of a forged message."""
    rng = random.Random(2027)
    with AcceleratorProcess(mem_bytes=16 << 20) as accel:
        client = AccelClient(accel.transport())
        contexts = []
        for klen in (16, 24, 32):
            for tag_len in (4, 8, 12, 13, 16):
                key = rng.randbytes(klen)
                contexts += [Context(cipher_alg=abi.CIPHER_ALG_AES_GCM, decrypt=dec, key=key, digest_len=tag_len)
                             for dec in (False, True)]
        contexts += [Context(cipher_alg=abi.CIPHER_ALG_AES_GCM, decrypt=dec, key=k, digest_len=t)
                     for dec in (False, True) for k, t in ((rng.randbytes(16), 5), (rng.randbytes(20), 16))]
        offs = [client.create_context(c) for c in contexts]
        blocks = len(client.heap.used)
        with pytest.raises(ValueError):      # decrypting needs the context's tag length
            client.submit(0, Request(abi.OPCODE_AEAD, offs[1], bytes(16), iv=bytes(12), tag=bytes(3)))
        with pytest.raises(ValueError):      # encrypting takes no tag
            client.submit(0, Request(abi.OPCODE_AEAD, offs[0], bytes(16), iv=bytes(12), tag=bytes(4)))
        with pytest.raises(ValueError):      # aad_len has 3 bytes
            client.submit(0, Request(abi.OPCODE_AEAD, offs[0], b"", iv=bytes(12), aad=bytes(1 << 24)))
        assert len(client.heap.used) == blocks and client.outstanding() == 0
        reqs, forged = [], []
        for i in range(400):
            k = rng.randrange(len(contexts))
            c = contexts[k]
            iv = rng.randbytes(12)
            aad = rng.randbytes(rng.choice((0, rng.randint(0, 40), rng.randint(1, 600))))
            text = rng.randbytes(rng.choice((0, rng.randint(0, 64), rng.randint(1, 3000))))
            tag = b""
            if c.decrypt:        # the ciphertext and tag of `text` under the same key
                enc = run_request(replace(c, decrypt=False), abi.OPCODE_AEAD, iv, text, aad)
                if enc.status == abi.STATUS_OK:
                    pt, text, tag = text, enc.dst, enc.digest
                    if rng.random() < 0.3:
                        if text and rng.random() < 0.5:
                            text = bytes([text[0] ^ 1]) + text[1:]
                        else:
                            tag = tag[:-1] + bytes([tag[-1] ^ 0x80])
                        if len(pt) >= 16:
                            forged.append(pt)
                else:
                    tag = rng.randbytes(c.digest_len)
            r = Request(abi.OPCODE_AEAD, offs[k], text, iv=iv, aad=aad, tag=tag)
            r.extra["ctx"] = c
            reqs.append(r)
        done = client.run(reqs, timeout=600)
        assert len(done) == len(reqs)
        statuses = set()
        for r in done:
            c = r.extra["ctx"]
            want = run_request(c, abi.OPCODE_AEAD, r.iv, r.src, r.aad, r.tag)
            got = (r.completion.status, r.completion.error_detail, r.completion.bytes_written)
            assert got == (want.status, want.error_detail, want.bytes_written), (r.cookie, c.decrypt, len(r.src))
            assert (r.dst, r.digest) == (want.dst + want.digest if want.status == abi.STATUS_OK else b"", b""), \
                f"cookie {r.cookie}"
            statuses.add(want.status)
        assert statuses == {abi.STATUS_OK, abi.STATUS_BADMSG, abi.STATUS_ERR}
        assert len(client.heap.used) == blocks, "request buffers left in the segment"
        segment = bytes(client.mem)
        assert forged and not [pt for pt in forged if pt in segment], "a forged message's plaintext left behind"
        for off in offs:
            client.destroy_context(off)


def test_regression_counters_published_before_the_completion_interrupt():
    """The clock counters a host reads (stats()) cover every request it has seen complete,
    also while the accelerator stays busy with more: they were published only when the process
    went to sleep or every ~4M clocks, so a host reading them after a completion of a busy run
    could see none of its clocks (`vcrypto run --json` reported simulated_cycles 0 on a loaded
    machine)."""
    rng = random.Random(4)
    with AcceleratorProcess(mem_bytes=8 << 20) as accel:
        client = AccelClient(accel.transport())
        ctx = client.create_context(Context(cipher_alg=abi.CIPHER_ALG_AES_CBC, key=rng.randbytes(16)))
        before = accel.stats()["busy_cycles"]
        for _ in range(12):                       # ~35,000 clocks of work, the process never idle
            client.submit(0, Request(abi.OPCODE_CIPHER, ctx, rng.randbytes(4096), iv=rng.randbytes(16)))
        client.ring([0])
        assert client.t.wait_irq(30), "no completion"
        seen = accel.stats()["busy_cycles"] - before       # at least the first request's clocks
        assert seen >= 256 * 11, f"{seen} clocks published after the first completion"
        client.acknowledge()        # (without it the line stays high: no interrupt until a timeout)
        while client.outstanding():
            client.wait_interrupt(30)
            client.reap()


def test_regression_interrupt_delivered_again_when_its_acknowledgement_leaves_the_line_high(tmp_path):
    """The interrupt line is a level (INT_STATUS bits, a completion in the clock of a clearing
    write keeps its bit). The process posted the irq semaphore only on its rising edges, so
    when a completion landed in the clock of the client's acknowledgement the line never fell,
    no edge came again, and every later wait ran to its timeout: with 32 requests in flight the
    device then served one ring's worth per timeout (`rtl_efficiency_512` 0.51 instead of 1.00
    in about half the benchmark runs). Now the process delivers the interrupt again at an end
    of interrupt (a write of INT_STATUS) that leaves the line high."""
    rng = random.Random(5)
    with AcceleratorProcess(mem_bytes=16 << 20, stats=tmp_path / "stats.json") as accel:
        client = AccelClient(accel.transport())
        ctx = client.create_context(Context(cipher_alg=abi.CIPHER_ALG_AES_CBC, key=rng.randbytes(16)))
        # the case itself, made on purpose: an end of interrupt that clears nothing
        client.submit(0, Request(abi.OPCODE_CIPHER, ctx, rng.randbytes(64), iv=rng.randbytes(16)))
        client.ring([0])
        assert client.t.wait_irq(30), "no completion"
        assert client.reap() and client.mmio_read(abi.CSR_INT_STATUS) == 1
        client.mmio_write(abi.CSR_INT_STATUS, 0)
        assert client.t.wait_irq(2), "an end of interrupt that left the line high was not delivered again"
        client.acknowledge()
        assert client.mmio_read(abi.CSR_INT_STATUS) == 0
        # the race, as a deep queue meets it: 32 in flight over 4 queues, 512 B and 64 B requests
        for size in (512, 64, 512):
            data, sent, done, q, timeouts = rng.randbytes(size), 0, 0, 0, 0
            while done < 5000 and timeouts < 3:
                posted = set()
                while client.outstanding() < 32 and sent < 5000:
                    client.submit(q, Request(abi.OPCODE_CIPHER, ctx, data, iv=bytes(16)))
                    posted.add(q)
                    sent, q = sent + 1, (q + 1) % len(client.queues)
                if posted:
                    client.ring(sorted(posted))
                got = client.reap()
                if not got:
                    timeouts += not client.wait_interrupt(0.5)     # one request takes < 1 ms
                    got = client.reap()
                done += len(got)
            assert timeouts == 0, f"{size} B: {timeouts} waits of 0.5 s timed out with {client.outstanding()} in flight"
    assert accel.exit_stats()["redelivered"] >= 1


def test_regression_no_loop_left_in_the_per_clock_code():
    """The model's per-clock functions (Verilator's nba/ico/act blocks) are straight-line code.
    Verilator unrolls a loop of at most 64 iterations (--unroll-count); a longer one (the SHA-256
    engine's 256-bit next-state loop, the AES engine's 128-bit XTS mask) stays a C++ loop that
    runs every clock, whether the unit is busy or not: those two were half of the accelerator
    process's time (rtl/README.md, "One rule for simulation speed"). This keeps a new one out."""
    obj = build().parent / "obj"
    block = re.compile(r"^void \w+___(?:nba|ico|act)_(?:sequent|comb)__\w*\(.*?\) \{$(.*?)^\}$", re.M | re.S)
    looping = []
    for cpp in sorted(obj.glob("Vvcrypto_top___024root__*.cpp")):
        for m in block.finditer(cpp.read_text()):
            if re.search(r"\b(?:while|for) \(", m.group(1)):
                looping.append(m.group(0).split("(", 1)[0].split()[-1])
    assert not looping, f"loops in the per-clock code of the verilated model: {looping}"


def test_the_process_is_built_by_the_chosen_compiler_with_its_profile():
    """make setup installs clang 19 and its llvm-profdata, and the process is built with them and
    its profile (sim/README.md, "The build": 1.2-1.3x GCC's model, 1.02-1.05x clang 14's): a
    missing package, a fallback to another compiler, or a profile that silently stopped being
    collected (the build would go on without it) shows here."""
    cxx = compiler()
    if "VCRYPTO_ACCEL_CXX" not in os.environ:       # not chosen by hand: make setup's clang
        assert (cxx.kind, cxx.major, cxx.profdata) == ("clang", 19, "llvm-profdata-19"), \
            f"the models' compiler is {cxx} (make setup installs clang-19 and llvm-19)"
    info = build_info(build())
    assert info["config"]["compiler"] == cxx.version
    assert default_pgo() and info["profile_used"], info.get("note")


def test_the_harness_evaluates_the_model_directly_only_when_eval_step_is_housekeeping():
    """The harness skips eval_step()'s per-call housekeeping (sim/harness/accel_main.cpp,
    eval_model) only if the generated eval_step() is exactly that around the model's
    evaluation: so on this Verilator the process is built that way, and a Verilator whose
    eval_step() does anything more gets the plain eval()."""
    binary = build()
    assert build_info(binary)["direct_eval"], "the pinned Verilator's eval_step() changed: direct_eval_ok refuses it"
    text = (binary.parent / "obj" / "Vvcrypto_top.cpp").read_text()
    assert direct_eval_ok(text)
    call = "    Vvcrypto_top___024root___eval(&(vlSymsp->TOP));\n"
    assert call in text
    assert not direct_eval_ok(text.replace(call, call + "    vlSymsp->__Vm_somethingNew();\n"))
    assert not direct_eval_ok(text.replace(call, ""))
    assert not direct_eval_ok(text.replace("void Vvcrypto_top::eval_step() {", "void Vvcrypto_top::step() {"))


def test_stop_request_ends_the_process_and_removes_everything():
    accel = AcceleratorProcess(mem_bytes=8 << 20).start()
    proc, names = accel.proc, dict(accel.names)
    client = AccelClient(accel.transport())
    assert client.mmio_read(abi.CSR_ID) == abi.DEV_ID
    accel.stop()
    assert proc.returncode == 0
    assert posix_objects_left(names) == []


def test_process_exits_and_cleans_up_when_the_bridge_is_killed():
    """SIGKILL the bridge-side process: the accelerator notices, exits, removes the objects."""
    child = textwrap.dedent(f"""
        import sys, time
        sys.path.insert(0, {str(ROOT)!r})
        from sim.accel_process import AcceleratorProcess
        a = AcceleratorProcess(mem_bytes=8 << 20).start()
        print(a.proc.pid, a.names["shm"], a.names["doorbell"], a.names["irq"], flush=True)
        time.sleep(600)
    """)
    build()
    p = subprocess.Popen([sys.executable, "-c", child], stdout=subprocess.PIPE, text=True)
    accel_pid = None
    try:
        line = p.stdout.readline().split()
        accel_pid, names = int(line[0]), {"shm": line[1], "doorbell": line[2], "irq": line[3]}
        p.send_signal(signal.SIGKILL)
        p.wait()
        t0 = time.monotonic()
        while time.monotonic() - t0 < 5:
            try:
                os.kill(accel_pid, 0)
            except ProcessLookupError:
                break
            # a zombie (our grandchild, reparented) counts as gone once it stops running
            stat = Path(f"/proc/{accel_pid}/stat")
            if stat.exists() and stat.read_text().split()[2] == "Z":
                break
            time.sleep(0.02)
        else:
            pytest.fail("the accelerator process outlived its bridge by 5 s")
        assert time.monotonic() - t0 < 1.0, "the accelerator took over a second to notice"
        time.sleep(0.05)
        assert posix_objects_left(names) == []
    finally:
        if p.poll() is None:
            p.kill()
        if accel_pid:
            try:
                os.kill(accel_pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def test_waveform_window(tmp_path):
    fst = tmp_path / "window.fst"
    with AcceleratorProcess(mem_bytes=8 << 20, fst=str(fst), fst_from=0, fst_cycles=5000) as accel:
        client = AccelClient(accel.transport())
        ctx = client.create_context(Context(cipher_alg=abi.CIPHER_ALG_AES_CBC, key=bytes(16)))
        client.run([Request(abi.OPCODE_CIPHER, ctx, bytes(256), iv=bytes(16))])
    assert fst.exists() and fst.stat().st_size > 1000
