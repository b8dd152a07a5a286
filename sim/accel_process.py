"""Build and run the accelerator process (sim/harness/accel_main.cpp + the Verilator model of
rtl/top/vcrypto_top.sv) and hand the bridge what it shares with it.

    with AcceleratorProcess(mem_bytes=64 << 20) as accel:
        client = AccelClient(accel.transport())      # bridge/accel_client.py
        ...

The bridge side creates the POSIX shared-memory segment and the two semaphores (doorbell,
irq), starts the process, and removes all three when it stops it. If the bridge dies without
stopping it, the process notices within 100 ms, exits, and removes them itself.
"""
from __future__ import annotations

import fcntl
import mmap
import os
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import posix_ipc

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
from bridge import abi  # noqa: E402
from bridge.rtl_datapath import RtlDatapath  # noqa: E402
from sim.cocotb_run import rtl_sources  # noqa: E402

BUILD = ROOT / "build" / "accel"
BINARY = BUILD / "vcrypto_accel"
HARNESS = ROOT / "sim" / "harness" / "accel_main.cpp"


class AcceleratorError(RuntimeError):
    pass


def _verilator() -> str:
    exe = Path(sys.executable).parent / "verilator"
    return str(exe) if exe.exists() else "verilator"


def build(verbose: bool = False) -> Path:
    """Build the accelerator binary if any input is newer (file lock: safe in parallel)."""
    inputs = rtl_sources("vcrypto_top") + [HARNESS, ROOT / "firmware" / "include" / "vcrypto_abi.h",
                                           Path(__file__)]
    BUILD.mkdir(parents=True, exist_ok=True)
    with open(BUILD / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if BINARY.exists() and BINARY.stat().st_mtime > max(p.stat().st_mtime for p in inputs):
            return BINARY
        cmd = [_verilator(), "--cc", "--exe", "--build", "-j", "2", "-O3",
               "--x-assign", "fast", "--x-initial", "fast", "--trace-fst", "--noassert",
               "--top-module", "vcrypto_top", "-Mdir", str(BUILD / "obj"), "-o", str(BINARY),
               "-CFLAGS", f"-O2 -std=c++17 -I{ROOT / 'firmware' / 'include'}", "-LDFLAGS", "-lrt -pthread -llz4 -lz",
               "-MAKEFLAGS", "OPT_FAST=-O3 OPT_SLOW=-O1",
               *map(str, rtl_sources("vcrypto_top")), str(HARNESS)]
        r = subprocess.run(cmd, capture_output=not verbose, text=True)
        if r.returncode != 0:
            raise AcceleratorError("building the accelerator failed:\n" + (r.stdout or "")[-4000:]
                                   + (r.stderr or "")[-4000:])
    return BINARY


def bench_idle(cycles: int = 2_000_000) -> dict:
    """The model ticking idle in the compiled loop: the simulator's raw speed."""
    import json
    out = subprocess.run([str(build()), "--bench-idle", str(cycles)], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


@dataclass
class Transport:
    """bridge.accel_client.Transport over POSIX objects: the segment, and a semaphore each for
    the doorbell and the interrupt line."""
    mem: mmap.mmap
    doorbell: posix_ipc.Semaphore
    irq: posix_ipc.Semaphore
    size: int
    alive: "callable"

    def ring_doorbell(self) -> None:
        self.doorbell.release()

    def wait_irq(self, timeout: float) -> bool:
        try:
            self.irq.acquire(timeout)
        except (posix_ipc.BusyError, posix_ipc.SignalError):
            return False        # timed out, or a signal (SIGTERM) arrived: the caller decides
        return True


def _put(mem, name: str, value: int) -> None:
    off, n = abi.SHM_FIELDS[name]
    mem[off:off + n] = value.to_bytes(n, "little")


def _get(mem, name: str) -> int:
    off, n = abi.SHM_FIELDS[name]
    return int.from_bytes(mem[off:off + n], "little")


def posix_objects_left(names: dict[str, str]) -> list[str]:
    """Which of an accelerator's POSIX objects (its `names`: shm segment, doorbell and irq
    semaphores) still exist; [] once they are all removed."""
    left = []
    for kind, name in names.items():
        try:
            if kind == "shm":
                posix_ipc.SharedMemory(name).close_fd()
            else:
                posix_ipc.Semaphore(name).close()
            left.append(name)
        except posix_ipc.ExistentialError:
            pass
    return left


class AcceleratorProcess:
    def __init__(self, mem_bytes: int = 64 << 20, fst: str | None = None, fst_from: int = 0,
                 fst_cycles: int = 100_000, start_timeout: float = 20.0):
        self.mem_bytes = mem_bytes
        self.fst, self.fst_from, self.fst_cycles = fst, fst_from, fst_cycles
        self.start_timeout = start_timeout
        tag = f"vcrypto-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.names = {"shm": f"/{tag}", "doorbell": f"/{tag}-db", "irq": f"/{tag}-irq"}
        self.proc: subprocess.Popen | None = None
        self.shm = self.mem = self.doorbell = self.irq = None

    # -------------------------------------------------------------- lifecycle
    def start(self) -> "AcceleratorProcess":
        binary = build()
        try:
            self.shm = posix_ipc.SharedMemory(self.names["shm"], posix_ipc.O_CREX, size=self.mem_bytes)
            self.mem = mmap.mmap(self.shm.fd, self.mem_bytes)
            self.shm.close_fd()
            self.doorbell = posix_ipc.Semaphore(self.names["doorbell"], posix_ipc.O_CREX, initial_value=0)
            self.irq = posix_ipc.Semaphore(self.names["irq"], posix_ipc.O_CREX, initial_value=0)
            _put(self.mem, "magic", abi.SHM_MAGIC_VALUE)
            _put(self.mem, "version", abi.SHM_VERSION_VALUE)
            _put(self.mem, "size", self.mem_bytes)
            _put(self.mem, "client_pid", os.getpid())
            # VCRYPTO_ACCEL_WRAPPER runs the process under a tool, e.g. "valgrind --tool=callgrind"
            cmd = os.environ.get("VCRYPTO_ACCEL_WRAPPER", "").split() + [str(binary), "--shm", self.names["shm"], "--doorbell", self.names["doorbell"],
                   "--irq", self.names["irq"]]
            if self.fst:
                cmd += ["--fst", self.fst, "--fst-from", str(self.fst_from), "--fst-cycles", str(self.fst_cycles)]
            self.proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True)
            deadline = time.monotonic() + self.start_timeout * (10 if "VCRYPTO_ACCEL_WRAPPER" in os.environ else 1)
            while _get(self.mem, "state") != 1:
                if self.proc.poll() is not None:
                    raise AcceleratorError(f"accelerator process exited: {self.proc.stderr.read().strip()}")
                if time.monotonic() > deadline:
                    raise AcceleratorError("accelerator process did not start")
                time.sleep(0.005)
        except BaseException:
            self.stop()
            raise
        return self

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None and _get(self.mem, "state") == 1

    def exit_status(self) -> int | None:
        return self.proc.poll() if self.proc is not None else None

    def transport(self) -> Transport:
        return Transport(self.mem, self.doorbell, self.irq, self.mem_bytes, self.alive)

    def stats(self) -> dict[str, int]:
        return {k: _get(self.mem, k) for k in ("cycles", "busy_cycles", "busy_ns", "irq_count")}

    def stop(self, timeout: float = 5.0) -> None:
        """Ask the process to exit (kill it if it does not), then remove the shared objects."""
        if self.proc is not None:
            if self.proc.poll() is None:
                _put(self.mem, "stop", 1)
                self.doorbell.release()
                try:
                    self.proc.wait(timeout)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
            if self.proc.stderr:
                self.proc.stderr.close()
            self.proc = None
        if self.mem is not None:
            try:
                self.mem.close()
            except BufferError:      # a client still holds a view; the OS unmaps at exit
                pass
            self.mem = None
        for kind, cls in (("shm", posix_ipc.unlink_shared_memory), ("doorbell", posix_ipc.unlink_semaphore),
                          ("irq", posix_ipc.unlink_semaphore)):
            try:
                cls(self.names[kind])
            except posix_ipc.ExistentialError:
                pass
        for sem in (self.doorbell, self.irq):
            if sem is not None:
                sem.close()
        self.doorbell = self.irq = None

    def kill(self) -> None:
        """SIGKILL the process (dead, hung or stopped alike), then remove the shared objects."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.stop()

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None else None

    def __enter__(self) -> "AcceleratorProcess":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def rtl_datapath(mem_bytes: int = 256 << 20, hang_timeout: float = 5.0):
    """The `rtl` datapath wired to simulated accelerators: a new AcceleratorProcess with a
    `mem_bytes` segment at creation and after every fault."""
    return RtlDatapath(lambda: AcceleratorProcess(mem_bytes=mem_bytes).start(), hang_timeout=hang_timeout)
