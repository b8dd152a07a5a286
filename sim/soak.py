"""`vcrypto soak`: many requests through the whole device, then a reconciliation.

A mixed random workload (every service, key size and direction; lengths log-uniform from 16 B
to --max-len) runs over several data queues while sessions are opened and closed throughout,
some of them closed with requests still in flight. Every request carries a serial number. At
the end the books must balance:

  * every request submitted completed exactly once (no loss, no duplicate, no unknown head);
  * every OK result equals the software reference (`cryptography`);
  * on a fault run (--kill-every), a request may fail with ERR only while a fault was handled;
  * after the last session is closed, the device, the datapath and the accelerator's segment
    hold no session and no allocation (no shared-memory growth), and no accelerator process or
    shared-memory object other than the live one exists.
"""
from __future__ import annotations

import json
import os
import random
import signal
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from bridge import virtio_crypto as vc
from bridge.device import VirtioCryptoDevice
from bridge.driver import VirtioCryptoDriver
from sim.datapaths import open_datapath
from sim.workload import DESTROY, expected_result, open_session, session_kinds, submit_request


@dataclass
class Books:
    submitted: int = 0
    completed: int = 0
    ok: int = 0
    err_in_fault: int = 0          # ERR completions of requests in flight when a fault hit
    mismatches: list[str] = field(default_factory=list)
    duplicates: int = 0
    unknown: int = 0
    bytes: int = 0
    sessions_opened: int = 0
    sessions_closed: int = 0
    closed_with_inflight: int = 0
    faults_injected: int = 0
    restarts: int = 0
    seconds: float = 0.0
    sessions_left: dict = field(default_factory=dict)
    segment: dict = field(default_factory=dict)
    shm_objects_before: int = 0
    shm_objects_live: int = 0      # at the end, before the device is closed: the live accelerator's 3
    shm_objects_after: int = 0

    @property
    def balanced(self) -> bool:
        return (self.completed == self.submitted == self.ok + self.err_in_fault and not self.mismatches
                and not self.duplicates and not self.unknown and not any(self.sessions_left.values())
                and self.segment.get("allocated_after", 0) == 0 and self.segment.get("guest_buffers_after", 0) == 0
                and self.restarts == self.faults_injected
                and self.shm_objects_live <= self.shm_objects_before + 3
                and self.shm_objects_after <= self.shm_objects_before)


def _shm_objects() -> int:
    """POSIX shared-memory segments and semaphores of this process's accelerators."""
    tag = f"vcrypto-{os.getpid()}-"
    return sum(1 for p in Path("/dev/shm").iterdir() if tag in p.name)


def run(datapath="soft", requests: int = 10_000, queues: int = 4, seed: int = 1, max_len: int = 4096,
        inflight: int = 16, live_sessions: int = 12, churn_every: int = 50, kill_every: int = 0,
        stall_timeout: float = 30.0, progress=sys.stderr) -> Books:
    """kill_every > 0 (rtl only): SIGKILL the accelerator after every that many completions."""
    books = Books(shm_objects_before=_shm_objects())
    if not isinstance(datapath, str):          # a datapath object (tests: fault-injecting wrappers)
        dp, datapath = datapath, datapath.name
    else:
        if kill_every and datapath != "rtl":
            raise ValueError("--kill-every needs the rtl datapath (it kills the accelerator process)")
        dp = open_datapath(datapath, mem_bytes=64 << 20)
    dev = VirtioCryptoDevice(dp, num_dataqueues=queues)
    rng = random.Random(seed)
    try:
        drv = VirtioCryptoDriver(dev, mem_bytes=max(32 << 20, queues * inflight * 3 * max_len + (8 << 20)), seed=seed,
                                 revision_1=True, stateless=True)    # a quarter of the requests stateless
        driver_baseline = sum(drv.heap.used.values())          # its rings
        kinds = session_kinds(drv)            # what the config masks offer
        live = []

        def open_one():
            live.append(open_session(drv, rng, rng.choice(kinds)))
            books.sessions_opened += 1

        def close_one(s):
            live.remove(s)
            if drv.destroy_session(DESTROY[s.op_type], s.sid) != vc.OK:
                books.mismatches.append(f"closing session {s.sid} ({s.kind}) failed")
            books.sessions_closed += 1
            if outstanding_per_session.get(s.sid):
                books.closed_with_inflight += 1

        for _ in range(live_sessions):
            open_one()
        outstanding: dict[int, object] = {}                  # serial -> token
        outstanding_per_session: dict[int, int] = {}
        answered = bytearray(requests + 1)                    # by serial: completions seen
        serial = 0
        t0 = last = time.monotonic()
        next_kill = kill_every
        next_churn = churn_every
        completed_before, stalled_since = 0, t0

        def post(q):
            nonlocal serial
            if books.submitted >= requests:
                return None
            s = rng.choice(live)
            t = submit_request(drv, s, q, rng, max_len)
            serial += 1
            t.extra["serial"] = serial
            # submitted between a kill and the restart that handles it: may fail too
            t.extra["in_fault"] = bool(kill_every) and dp.restarts < books.faults_injected
            outstanding[serial] = t
            outstanding_per_session[s.sid] = outstanding_per_session.get(s.sid, 0) + 1
            books.submitted += 1
            return t

        def finished(t) -> None:
            n = t.extra["serial"]
            if answered[n]:
                books.duplicates += 1
                return
            answered[n] = 1
            outstanding.pop(n, None)
            s = t.extra["sess"]
            outstanding_per_session[s.sid] -= 1
            books.completed += 1
            books.bytes += t.extra["n"]
            if t.status == vc.OK:
                want = expected_result(t)
                if t.extra["data"][: len(want)] != want:
                    books.mismatches.append(f"request {n} ({s.kind}, {t.extra['n']} B): wrong result")
                else:
                    books.ok += 1
            elif t.status == vc.ERR and t.extra["in_fault"]:
                books.err_in_fault += 1
            else:
                books.mismatches.append(f"request {n} ({s.kind}, {t.extra['n']} B): status {t.status}")

        def each_round() -> bool:
            nonlocal next_churn, next_kill, last, completed_before, stalled_since
            # churn: close a random session (requests may still be in flight on it), open another
            while books.submitted >= next_churn:
                next_churn += churn_every
                close_one(rng.choice(live))
                open_one()
            if kill_every and books.completed >= next_kill:
                next_kill += kill_every
                for t in outstanding.values():
                    t.extra["in_fault"] = True
                os.kill(dp.accel.pid, signal.SIGKILL)
                books.faults_injected += 1
            now = time.monotonic()
            if progress and now - last >= 2.0:
                last = now
                progress.write(f"  {now - t0:6.1f} s  {books.completed:9d}/{requests} requests  "
                               f"{books.sessions_opened} sessions opened  {len(books.mismatches)} problems\n")
                progress.flush()
            if books.completed != completed_before:
                completed_before, stalled_since = books.completed, now
            elif outstanding and now - stalled_since > stall_timeout:
                books.mismatches.append(f"{len(outstanding)} requests never completed "
                                        f"(nothing for {stall_timeout:g} s)")
                return True
            return False
        drv.keep_in_flight(range(queues), inflight, post, finished, lambda: books.submitted < requests, each_round,
                           poll_timeout=0.01 if datapath == "rtl" else 0)
        books.seconds = time.monotonic() - t0
        books.unknown = sum(len(dq.bad_used) for dq in drv.queues)         # heads nobody posted
        for s in list(live):
            close_one(s)
        dev.poll(0.01)
        books.sessions_left = {"device": len(dev.sessions), "datapath": len(dp.sessions)}
        books.shm_objects_live = _shm_objects()
        if datapath == "rtl":
            books.restarts = dp.restarts
            heap = dp.client.heap
            books.segment = {"bytes": dp.client.t.size, "allocated_after": sum(heap.used.values()),
                             "free_blocks_after": len(heap.free)}
        else:
            books.segment = {"allocated_after": 0}
        books.segment["guest_buffers_after"] = sum(drv.heap.used.values()) - driver_baseline
    finally:
        dev.close()
    books.shm_objects_after = _shm_objects()
    return books


def report(b: Books, datapath: str) -> str:
    lines = [
        f"soak on the {datapath} datapath: {b.submitted:,} requests in {b.seconds:.1f} s "
        f"({b.submitted / max(b.seconds, 1e-9):,.0f} req/s, {b.bytes / 1e6:,.1f} MB)",
        f"  completed exactly once   {b.completed:,} of {b.submitted:,} "
        f"(duplicates {b.duplicates}, unknown heads {b.unknown})",
        f"  results verified OK      {b.ok:,}",
        f"  ERR during faults        {b.err_in_fault:,} ({b.faults_injected} accelerator kills, "
        f"{b.restarts} restarts)",
        f"  sessions                 {b.sessions_opened} opened, {b.sessions_closed} closed "
        f"({b.closed_with_inflight} with requests in flight); left: {b.sessions_left}",
        f"  shared memory            {b.segment}; POSIX objects: {b.shm_objects_before} before, "
        f"{b.shm_objects_live} at the end, {b.shm_objects_after} after closing",
        f"  problems                 {len(b.mismatches)}" + (f", e.g. {b.mismatches[0]}" if b.mismatches else ""),
        "  reconciliation: " + ("BALANCED" if b.balanced else "NOT BALANCED"),
    ]
    return "\n".join(lines)


def as_json(b: Books, datapath: str) -> str:
    d = {k: v for k, v in vars(b).items() if k != "mismatches"}
    d.update(datapath=datapath, problems=b.mismatches[:20], balanced=b.balanced)
    return json.dumps(d, indent=1)
