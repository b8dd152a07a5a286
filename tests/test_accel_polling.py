"""A polling driver gets back-to-back requests served without the accelerator process sleeping
between them (issue #17).

The driver posts a batch, rings the doorbell once and then only watches the completion ring's
phase bits in shared memory: no MMIO, no interrupt wait, so nothing posts the doorbell
semaphore again. The process used to go to sleep (100 ms timeout) in the few clocks between
two requests where `busy_o` is low, so each request after the first cost ~100 ms. This is a
correctness bound, not a benchmark: 20 requests take a few tens of thousands of clocks
(well under 0.1 s even on a loaded machine), against the 1.9 s the bug cost.
"""
from __future__ import annotations

import random
import time

import posix_ipc
import pytest

from bridge import abi
from bridge.accel_abi import Context
from bridge.accel_client import AccelClient, Request
from bridge.accel_model import run_request
from sim.accel_process import AcceleratorProcess

pytestmark = pytest.mark.xdist_group("accel")    # one process at a time on a 2-core machine

N = 20
BOUND_S = 1.0            # vs N x 100 ms = 2 s when the process sleeps between requests


def _drain(sem: posix_ipc.Semaphore) -> None:
    """Take every pending doorbell post, so that none is left to wake the process by luck
    (the setup's MMIO accesses each posted one)."""
    while True:
        try:
            sem.acquire(0)
        except posix_ipc.BusyError:
            return


def _completion_slots(client: AccelClient, mem, q: int, n: int) -> list[tuple[int, int]]:
    """The next `n` completion slots of queue q as the device will fill them (its CQ base, size
    and tail, read before the batch) and each slot's phase bit now: (segment offset, bit). A
    completion flips its slot's phase bit (the device writes the opposite phase each pass)."""
    base = client.mmio_read(abi.qcsr(q, abi.QCSR_CQ_BASE_LO)) | client.mmio_read(abi.qcsr(q, abi.QCSR_CQ_BASE_HI)) << 32
    size = 1 << client.mmio_read(abi.qcsr(q, abi.QCSR_CQ_SIZE_LOG2))
    tail = client.mmio_read(abi.qcsr(q, abi.QCSR_CQ_TAIL))
    offs = [base - abi.SHM_DMA_BASE + ((tail + k) % size) * abi.CQE_BYTES for k in range(n)]
    return [(o, mem[o + 15] & 1) for o in offs]


def _poll_completions(mem, slots: list[tuple[int, int]], timeout: float) -> None:
    """Spin on the phase bits in shared memory (no MMIO, no interrupt) until every slot flipped."""
    deadline = time.monotonic() + timeout
    left = list(slots)
    while left:
        left = [(o, p) for o, p in left if mem[o + 15] & 1 == p]
        if left and time.monotonic() > deadline:
            pytest.fail(f"{len(left)} of {len(slots)} completions missing after {timeout} s")
        time.sleep(0.0002)                    # leave the cores to the accelerator process


def _sessions(rng: random.Random) -> list[tuple[Context, int]]:
    return [(Context(cipher_alg=abi.CIPHER_ALG_AES_CBC, key=rng.randbytes(16)), abi.OPCODE_CIPHER),
            (Context(hash_alg=abi.HASH_ALG_SHA_256, digest_len=32, hmac_key=rng.randbytes(32)), abi.OPCODE_MAC)]


@pytest.mark.parametrize("queues", [[0], [0, 1, 2, 3]], ids=["one_queue", "four_queues"])
def test_back_to_back_requests_with_one_doorbell_and_no_mmio(queues):
    rng = random.Random(17)
    with AcceleratorProcess(mem_bytes=16 << 20) as accel:
        client = AccelClient(accel.transport())
        sessions = [(s, op, client.create_context(s)) for s, op in _sessions(rng)]
        reqs = []
        for i in range(N):
            s, op, ctx = sessions[i % len(sessions)]
            r = Request(op, ctx, rng.randbytes(4096), iv=rng.randbytes(16), digest_len=s.digest_len)
            r.extra["session"] = s
            client.submit(queues[i % len(queues)], r)
            reqs.append(r)
        slots = []
        for q in queues:
            slots += _completion_slots(client, accel.mem, q, sum(1 for i in range(N) if queues[i % len(queues)] == q))
        client.flush()
        time.sleep(0.05)                      # let the process go idle (asleep on the doorbell)
        _drain(accel.doorbell)
        t0 = time.monotonic()
        client.ring(queues)                   # the only MMIO after the batch: SQ_TAIL writes
        _poll_completions(accel.mem, slots, timeout=30)
        elapsed = time.monotonic() - t0
        done = client.reap()
        assert len(done) == N
        for r in done:
            w = run_request(r.extra["session"], r.opcode, r.iv, r.src)
            assert r.completion.status == abi.STATUS_OK
            assert r.dst == w.dst and r.digest == w.digest
        assert elapsed < BOUND_S, (f"{N} back-to-back requests took {elapsed:.2f} s: the accelerator "
                                   f"process slept between requests")
