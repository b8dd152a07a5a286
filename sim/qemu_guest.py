"""Boot the Linux test guest (sim/guest) in QEMU against a backend and collect what it reports.

    run("rtl")       vcrypto serve --datapath rtl (the simulated accelerator) over vhost-user
    run("soft")      vcrypto serve --datapath soft over vhost-user
    run("builtin")   QEMU's own cryptodev-backend-builtin (for comparison)
    run("absent")    vhost-user with nobody listening (reconnect=1): the guest must report failure

The backend (`vcrypto serve`) and QEMU are started here and always stopped here, by PID, also
when something fails. The console log is kept (build/guest/logs/); random-mode results are
checked on the host against `cryptography` (sim/guest/check_results.py).
"""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GUEST = ROOT / "sim" / "guest"
OUT = ROOT / "build" / "guest"


class GuestError(RuntimeError):
    pass


@dataclass
class GuestRun:
    backend: str
    passed: bool = False
    result: str = ""
    selftest: str = "absent"
    vectors: str = ""
    random: str = ""
    deep: str = ""
    host_check: str = ""
    bench: dict[tuple[int, int], dict[str, float]] = field(default_factory=dict)   # (size, jobs) ->
    wall_s: float = 0.0
    log: str = ""
    backend_log: str = ""
    output: str = ""


def pinned_kernel() -> str:
    """The kernel release sim/guest/build.sh pins (its KPKG_PIN), e.g. 6.1.0-50-amd64."""
    return re.search(r"^KPKG_PIN=linux-image-(\S+)$", (GUEST / "build.sh").read_text(), re.M).group(1)


def build_image(verbose: bool = False) -> None:
    r = subprocess.run(["bash", str(GUEST / "build.sh")], capture_output=not verbose, text=True)
    if r.returncode != 0:
        raise GuestError("building the guest image failed:\n" + ((r.stdout or "") + (r.stderr or ""))[-3000:])


def _stop(proc: subprocess.Popen | None, grace: float = 10.0) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def start_backend(datapath: str, sock: str, log_path: str, fail_every: int = 0, tree: Path = ROOT,
                  serve_args: tuple[str, ...] = ()) -> subprocess.Popen:
    """`vcrypto serve` of this checkout, or of another tree of the project (the benchmarks'
    baseline, sim/bench_baseline.py, whose CLI was still bridge/cli.py); serve_args: more of its
    options (e.g. --no-native-lane)."""
    cli = "sim.cli" if (tree / "sim" / "cli.py").exists() else "bridge.cli"
    cmd = [sys.executable, "-m", cli, "serve", "--socket", sock, "--datapath", datapath, "-v", *serve_args]
    if fail_every:
        cmd += ["--fail-every", str(fail_every)]
    log = open(log_path, "w")
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=tree, start_new_session=True)
    log.close()
    deadline = time.monotonic() + 120            # the first RTL start may build the accelerator
    while not os.path.exists(sock):
        if proc.poll() is not None:
            raise GuestError(f"vcrypto serve exited: {Path(log_path).read_text()[-2000:]}")
        if time.monotonic() > deadline:
            _stop(proc)
            raise GuestError("vcrypto serve did not start listening")
        time.sleep(0.1)
    return proc


def run(backend: str = "rtl", mode: str = "all", seed: int = 1, count: int = 100, seconds: float = 3,
        sizes: tuple[int, ...] = (4096, 65536), jobs: tuple[int, ...] = (1,), timeout: int = 300, fail_every: int = 0,
        extra: list[str] | None = None, vectors0: bool = False, backend_tree: Path = ROOT,
        serve_args: tuple[str, ...] = ()) -> GuestRun:
    """vectors0: give the device no MSI-X vectors (INTx), as vhost-user always needs here (see
    sim/guest/README.md); for the builtin backend it makes the device configuration the same.
    backend_tree: whose `vcrypto serve` answers (rtl, soft)."""
    build_image()
    OUT.joinpath("logs").mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    run_ = GuestRun(backend)
    run_.log = str(OUT / "logs" / f"{backend}-{mode}-{stamp}.log")
    args = [f"mode={mode}", f"seed={seed}", f"count={count}", f"seconds={seconds:g}",
            f"size={','.join(map(str, sizes))}", f"jobs={','.join(map(str, jobs))}"] + (extra or [])
    tmp = tempfile.mkdtemp(prefix="vcrypto-")
    sock = os.path.join(tmp, "vhost.sock")
    backend_proc = None
    try:
        if backend in ("rtl", "soft"):
            run_.backend_log = str(OUT / "logs" / f"{backend}-serve-{stamp}.log")
            backend_proc = start_backend(backend, sock, run_.backend_log, fail_every, backend_tree, serve_args)
            qargs = ["--backend", f"vhost-user:{sock}"]
        elif backend == "absent":
            qargs = ["--backend", f"vhost-user:{sock}", "--reconnect"]
            args.append("wait=3")
        elif backend == "builtin":
            qargs = ["--backend", "builtin"] + (["--vectors0"] if vectors0 else [])
        else:
            raise GuestError(f"unknown backend {backend!r} (rtl, soft, builtin, absent)")
        t0 = time.monotonic()
        r = subprocess.run(["bash", str(GUEST / "run_qemu.sh"), *qargs, "--timeout", str(timeout),
                            "--log", run_.log, *args], capture_output=True, text=True, timeout=timeout + 30)
        run_.wall_s = time.monotonic() - t0
        run_.output = r.stdout + r.stderr
        if r.returncode == 124:
            raise GuestError(f"the guest did not finish within {timeout} s (log {run_.log})")
        run_.passed = r.returncode == 0
    finally:
        _stop(backend_proc)
        try:
            os.unlink(sock)
        except FileNotFoundError:
            pass
        os.rmdir(tmp)
    _parse(run_)
    return run_


def _parse(g: GuestRun) -> None:
    for line in g.output.splitlines():
        if m := re.search(r"VCRYPTO-GUEST-RESULT: (.*)", line):
            g.result = m.group(1)
        elif m := re.search(r"selftest of \S+: (\w+)", line):
            g.selftest = m.group(1)
        elif line.startswith("VECTORS"):
            g.vectors = line
        elif line.startswith("RANDOM-DONE"):
            g.random = line
        elif line.startswith("DEEP-DONE"):
            g.deep = line
        elif line.startswith("check_results:"):
            g.host_check = line
        elif line.startswith("BENCH"):
            f = dict(kv.split("=", 1) for kv in line.split()[1:] if "=" in kv)
            g.bench[(int(f["size"]), int(f.get("jobs", 1)))] = {"MB_per_s": float(f["MB/s"]),
                                                               "requests_per_s": float(f["req/s"])}


def backend_stats(g: GuestRun) -> dict:
    """What `vcrypto serve` said when it stopped: data requests served, simulated clock cycles
    (RTL datapath only), the backend process's CPU seconds while serving, the most requests
    the guest had outstanding on one data queue with that queue's size (equal: its ring was
    full), the guest's kicks and the interrupts sent (all queues, control queue included), and
    the requests the soft device answered in its native lane, and the kicks whose interrupt
    was held back (and how many of those holds caught more requests).
    {} if it said nothing."""
    text = Path(g.backend_log).read_text(errors="replace") if g.backend_log else ""
    m = re.search(r"stopped after (\d+) data requests(?:, (\d+) simulated clock cycles)?, backend CPU ([\d.]+) s"
                  r"(?:, data ring high-water (\d+) of (\d+))?(?:, guest kicks (\d+), interrupts (\d+))?"
                  r"(?:, native lane (\d+))?(?:, interrupt holds (\d+) \(caught (\d+)\))?",
                  text)      # the baseline's serve: no high-water, no kicks, no lane
    if not m:
        return {}
    st = {"requests": int(m.group(1)), "cycles": int(m.group(2)) if m.group(2) else None, "cpu_s": float(m.group(3))}
    if m.group(4):
        st.update(ring_high_water=int(m.group(4)), ring_size=int(m.group(5)))
    if m.group(6):
        st.update(guest_kicks=int(m.group(6)), interrupts=int(m.group(7)))
    if m.group(8):
        st.update(native_lane=int(m.group(8)))
    if m.group(9):
        st.update(interrupt_holds=int(m.group(9)), holds_caught=int(m.group(10)))
    return st


def summary(g: GuestRun) -> str:
    lines = [f"backend {g.backend}: {'PASS' if g.passed else 'FAIL'} ({g.wall_s:.1f} s wall)",
             f"  kernel self-test of virtio_crypto_aes_cbc: {g.selftest}"]
    if g.vectors:
        lines.append(f"  {g.vectors}")
    for done in (g.random, g.deep):
        if done:
            lines.append(f"  {done}")
    if g.host_check:
        lines.append(f"  {g.host_check}")
    for (size, jobs), b in sorted(g.bench.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        lines.append(f"  AF_ALG cbc(aes) {size:6d} B x {jobs} stream{'s' if jobs > 1 else ' '}: "
                     f"{b['MB_per_s']:8.2f} MB/s {b['requests_per_s']:9.1f} req/s")
    lines.append(f"  guest result: {g.result or '(none)'}")
    lines.append(f"  console log: {g.log}")
    return "\n".join(lines)
