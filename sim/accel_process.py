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
import shutil
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
from sim.compiler import Compiler, compiler  # noqa: E402

BUILD = ROOT / "build" / "accel"
BINARY = BUILD / "vcrypto_accel"
HARNESS = ROOT / "sim" / "harness" / "accel_main.cpp"
PUBLIC_VLT = ROOT / "sim" / "harness" / "accel_public.vlt"
SBOX_TABLE = ROOT / "rtl" / "aes" / "aes_sbox_table.sv"
SBOX_VIEWS = ("table", "tower")

# The model is compiled at -O3 (Verilator's fast path; its -CFLAGS land after OPT_FAST on the
# compiler line, so no -O may go there), the cold construction code at -O1 and Verilator's
# runtime at -O2. No -march=native: it measured no faster here, and a binary built with it
# dies with SIGILL wherever build/ is reused on an older CPU (a restored CI cache).
MAKE_OPT = ("OPT_FAST=-O3", "OPT_SLOW=-O1", "OPT_GLOBAL=-O2")


class AcceleratorError(RuntimeError):
    pass


def _verilator() -> str:
    exe = Path(sys.executable).parent / "verilator"
    return str(exe) if exe.exists() else "verilator"


def accel_sources(sbox: str = "table", sources: list[Path] | None = None) -> list[Path]:
    """The RTL of the accelerator process: vcrypto_top's file list (or `sources`), plus for the
    "table" view of the AES S-box rtl/aes/aes_sbox_table.sv (selected in aes_sbox.sv by
    +define+VCRYPTO_SBOX_TABLE). "tower" is the file list as synthesised."""
    if sbox not in SBOX_VIEWS:
        raise ValueError(f"sbox must be one of {SBOX_VIEWS}, not {sbox!r}")
    srcs = list(rtl_sources("vcrypto_top") if sources is None else sources)
    if sbox == "table":
        i = next((i for i, p in enumerate(srcs) if p.name == "aes_sbox.sv"), None)
        if i is None:
            raise AcceleratorError("no aes_sbox.sv in the accelerator's sources")
        srcs.insert(i, SBOX_TABLE)
    return srcs


def default_pgo() -> bool:
    """PGO unless VCRYPTO_ACCEL_PGO=0 or the compiler cannot (clang with llvm-profdata, GCC >= 10:
    partial training)."""
    return os.environ.get("VCRYPTO_ACCEL_PGO", "1") != "0" and compiler().pgo_capable()


# Crypto lanes the process's RTL is built with (the top's LANES parameter): VCRYPTO_ACCEL_LANES,
# `vcrypto serve/run --lanes N`, or this default (rtl/README.md: the co-simulation's wall-clock
# throughput measured for 1, 2 and 4 lanes).
DEFAULT_LANES = 1


def default_lanes() -> int:
    return int(os.environ.get("VCRYPTO_ACCEL_LANES", DEFAULT_LANES))


def default_clock_gate() -> bool:
    """The idle blocks' clocks gated (rtl/README.md, "Views", lists them) unless
    VCRYPTO_ACCEL_CLOCK_GATE=0."""
    return os.environ.get("VCRYPTO_ACCEL_CLOCK_GATE", "1") != "0"


def build_dir_for(sbox: str, trace: bool, pgo: bool, lanes: int = DEFAULT_LANES, clock_gate: bool = True) -> Path:
    """build/accel for the process as served (simulation views, PGO, default lanes); build/accel-<variant> else."""
    parts = (([] if sbox == "table" else [sbox]) + ([] if clock_gate else ["nogate"]) + (["fst"] if trace else [])
             + ([] if pgo or trace else ["nopgo"]) + ([] if lanes == DEFAULT_LANES else [f"lanes{lanes}"]))
    return ROOT / "build" / "-".join(["accel", *parts])


def _run(cmd: list[str], what: str, verbose: bool, **kw) -> None:
    r = subprocess.run(cmd, capture_output=not verbose, text=True, **kw)
    if r.returncode != 0:
        raise AcceleratorError(f"{what} failed:\n" + (r.stdout or "")[-4000:] + (r.stderr or "")[-4000:])


# What Verilator's generated Vvcrypto_top::eval_step() does around the model's evaluation, less
# its debug lines: the deleter of dynamic objects (a lock per call; this design has none), the
# first call's initialisation, and the end-of-eval message queue (threads and DPI; unused).
_EVAL_STEP = ("vlSymsp->__Vm_deleter.deleteAll();",
              "if (VL_UNLIKELY(!vlSymsp->__Vm_didInit)) {",
              "Vvcrypto_top___024root___eval_static(&(vlSymsp->TOP));",
              "Vvcrypto_top___024root___eval_initial(&(vlSymsp->TOP));",
              "Vvcrypto_top___024root___eval_settle(&(vlSymsp->TOP));",
              "vlSymsp->__Vm_didInit = true;",
              "}",
              "Vvcrypto_top___024root___eval(&(vlSymsp->TOP));",
              "Verilated::endOfEval(vlSymsp->__Vm_evalMsgQp);")


def direct_eval_ok(model_cpp: str) -> bool:
    """Whether the harness may call the model's evaluation directly after the first eval()
    (-DVCRYPTO_DIRECT_EVAL; sim/harness/accel_main.cpp, eval_model): only when the generated
    eval_step() in `model_cpp` (Vvcrypto_top.cpp's text) is exactly _EVAL_STEP, so another
    Verilator that adds work there gets the plain eval() instead. The housekeeping it skips
    cost 5-7 % of the accelerator process's clocks per second (two evaluations a clock)."""
    head = "void Vvcrypto_top::eval_step() {"
    start = model_cpp.find(head)
    if start < 0:
        return False
    end = model_cpp.find("\n}\n", start)
    body, skip = [], False
    for line in model_cpp[start + len(head):end].splitlines():
        line = line.strip()
        if line.startswith("#ifdef VL_DEBUG"):
            skip = True
        elif line.startswith("#endif") and skip:
            skip = False
        elif line and not skip and not line.startswith(("//", "VL_DEBUG_IF(")):
            body.append(line)
    return tuple(body) == _EVAL_STEP


def _make(obj: Path, cxx: Compiler, verbose: bool, cppflags: str = "", ldflags: str = "") -> None:
    _run(["make", "-C", str(obj), "-f", "Vvcrypto_top.mk", "-j", "2", *MAKE_OPT, *cxx.make_args(),
          f"USER_CPPFLAGS={cppflags}", f"USER_LDFLAGS={ldflags}"],
         "compiling the accelerator", verbose)


def _profile_workload(binary: Path) -> None:
    """What the instrumented build runs to collect its profile: 4 KiB and short requests of
    every operation the bridge sends (AES-CBC/CTR both ways and key sizes, SHA-256, HMAC,
    chained, AES-GCM) over several queues, with interrupts, reaping and doorbells."""
    import random
    from bridge.accel_abi import Context
    from bridge.accel_client import AccelClient, Request
    rng = random.Random(17)
    sessions = [
        (Context(cipher_alg=abi.CIPHER_ALG_AES_CBC, key=rng.randbytes(16)), abi.OPCODE_CIPHER),
        (Context(cipher_alg=abi.CIPHER_ALG_AES_CBC, key=rng.randbytes(32), decrypt=True), abi.OPCODE_CIPHER),
        (Context(cipher_alg=abi.CIPHER_ALG_AES_CTR, key=rng.randbytes(24)), abi.OPCODE_CIPHER),
        (Context(hash_alg=abi.HASH_ALG_SHA_256, digest_len=32), abi.OPCODE_HASH),
        (Context(hash_alg=abi.HASH_ALG_SHA_256, digest_len=32, hmac_key=rng.randbytes(32)), abi.OPCODE_MAC),
        (Context(cipher_alg=abi.CIPHER_ALG_AES_CBC, key=rng.randbytes(16), hash_alg=abi.HASH_ALG_SHA_256,
                 digest_len=32, chain_order=abi.CHAIN_ORDER_CIPHER_THEN_HASH, hmac_key=rng.randbytes(32)),
         abi.OPCODE_CHAIN),
        (Context(cipher_alg=abi.CIPHER_ALG_AES_GCM, key=rng.randbytes(16), digest_len=16), abi.OPCODE_AEAD),
    ]
    with AcceleratorProcess(mem_bytes=32 << 20, binary=binary) as accel:
        client = AccelClient(accel.transport())
        reqs = []
        for s, op in sessions:
            ctx = client.create_context(s)
            for n in (4096,) * 12 + (64, 256, 1024):
                reqs.append(Request(op, ctx, rng.randbytes(n), iv=rng.randbytes(16), digest_len=s.digest_len,
                                    aad=rng.randbytes(16) if op == abi.OPCODE_AEAD else b""))
        rng.shuffle(reqs)
        client.run(reqs, timeout=300)


def build(verbose: bool = False, *, sbox: str | None = None, trace: bool = False, pgo: bool | None = None,
          sources: list[Path] | None = None, build_dir: Path | None = None, lanes: int | None = None,
          lanes_param: bool = True, clock_gate: bool | None = None) -> Path:
    """Build the accelerator binary if an input is newer or the configuration changed (file
    lock: safe in parallel) and return its path.

    sbox: "table" (default; VCRYPTO_ACCEL_SBOX) or "tower" (the synthesised S-box lane);
    clock_gate: the clocks of idle blocks gated (+define+VCRYPTO_CLOCK_GATE; rtl/README.md,
    "Views", lists the blocks; default on unless VCRYPTO_ACCEL_CLOCK_GATE=0); off, they are
    clocked as synthesised;
    trace: FST waveform support (a separate, slower build, used for fst=);
    pgo: profile-guided optimisation (default: on with clang and llvm-profdata or GCC >= 10 unless
    VCRYPTO_ACCEL_PGO=0; if collecting the profile fails, the build goes on without it and says
    so); the compiler is compiler()'s (clang++ when installed, VCRYPTO_ACCEL_CXX chooses);
    sources/build_dir: another RTL file list (the benchmark builds main's RTL) and where to build;
    lanes: the top's LANES (default: VCRYPTO_ACCEL_LANES, else DEFAULT_LANES);
    lanes_param=False: the top has no LANES parameter (the RTL of main at 0bce809, which the
    benchmark builds): none is passed, and the build records lanes as None.
    """
    import json
    sbox = sbox or os.environ.get("VCRYPTO_ACCEL_SBOX", "table")
    lanes = (lanes or default_lanes()) if lanes_param else None
    clock_gate = default_clock_gate() if clock_gate is None else clock_gate
    if pgo is None:
        pgo = not trace and default_pgo()
    srcs = accel_sources(sbox, sources)
    out = Path(build_dir) if build_dir is not None else build_dir_for(sbox, trace, pgo, lanes, clock_gate)
    binary, obj, info_file = out / "vcrypto_accel", out / "obj", out / "build.json"
    cxx = compiler()
    pgo_gen, pgo_gen_link, pgo_use = cxx.pgo_flags(obj)
    config = {"sbox": sbox, "clock_gate": clock_gate, "trace": trace, "pgo": pgo, "lanes": lanes,
              "sources": [str(p) for p in srcs],
              "compiler": cxx.version, "make": [*MAKE_OPT, *cxx.make_args()],
              "pgo_flags": [pgo_gen, pgo_use] if pgo else []}
    inputs = srcs + [HARNESS, PUBLIC_VLT, ROOT / "firmware" / "include" / "vcrypto_abi.h", Path(__file__),
                     ROOT / "sim" / "compiler.py"]
    out.mkdir(parents=True, exist_ok=True)
    with open(out / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            info = json.loads(info_file.read_text())
        except (OSError, ValueError):
            info = {}
        if (binary.exists() and info.get("config") == config
                and binary.stat().st_mtime > max(p.stat().st_mtime for p in inputs)):
            return binary
        t0 = time.monotonic()
        binary.unlink(missing_ok=True)
        info_file.unlink(missing_ok=True)
        if obj.exists():
            shutil.rmtree(obj)
        _run([_verilator(), "--cc", "--exe", "-O3", "--x-assign", "fast", "--x-initial", "fast", "--noassert",
              *(["--trace-fst"] if trace else []), *(["+define+VCRYPTO_SBOX_TABLE"] if sbox == "table" else []),
              *(["+define+VCRYPTO_CLOCK_GATE"] if clock_gate else []),
              "--top-module", "vcrypto_top", *([f"-GLANES={lanes}"] if lanes_param else []),
              "-Mdir", str(obj), "-o", str(binary),
              "-CFLAGS", f"-std=c++17 -I{ROOT / 'firmware' / 'include'}", "-LDFLAGS", "-lrt -pthread -llz4 -lz",
              str(PUBLIC_VLT), *map(str, srcs), str(HARNESS)], "verilating the accelerator", verbose)
        direct = not trace and direct_eval_ok((obj / "Vvcrypto_top.cpp").read_text())
        defines = "-DVCRYPTO_DIRECT_EVAL" if direct else ""
        profiled, note = False, ""
        if pgo:
            _make(obj, cxx, verbose, f"{pgo_gen} {defines}", pgo_gen_link)
            gen = out / "vcrypto_accel-instrumented"
            binary.replace(gen)
            try:
                _profile_workload(gen)
                profiled = cxx.collect_profile(obj)
                note = "" if profiled else "the instrumented run wrote no profile"
            except Exception as e:                      # noqa: BLE001 -- any failure: build without
                note = f"collecting the profile failed: {type(e).__name__}: {e}"
            gen.unlink(missing_ok=True)
            for pat in ("*.o", "*.gch", "*.a"):
                for f in obj.glob(pat):
                    f.unlink()
            if note:
                print(f"sim/accel_process.py: {note}; building {out.name} without profile-guided optimisation",
                      file=sys.stderr)
        _make(obj, cxx, verbose, f"{pgo_use if profiled else ''} {defines}")
        info_file.write_text(json.dumps({"config": config, "profile_used": profiled, "direct_eval": direct, "note": note,
                                         "build_seconds": round(time.monotonic() - t0, 1)}, indent=1) + "\n")
    return binary


def build_info(binary: Path) -> dict:
    """What build() recorded next to a binary: configuration, whether the profile was used."""
    import json
    try:
        return json.loads((Path(binary).parent / "build.json").read_text())
    except (OSError, ValueError):
        return {}


def bench_idle(cycles: int = 2_000_000, lanes: int | None = None) -> dict:
    """The model ticking idle in the compiled loop: the simulator's raw speed."""
    import json
    out = subprocess.run([str(build(lanes=lanes)), "--bench-idle", str(cycles)], capture_output=True, text=True,
                         check=True)
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
                 fst_cycles: int = 100_000, start_timeout: float = 20.0, binary: str | Path | None = None,
                 stats: str | Path | None = None, lanes: int | None = None):
        """fst: dump clocks [fst_from, fst_from + fst_cycles) to this FST file (the waveform build);
        binary: run this accelerator binary instead of build()'s (the benchmark's variants);
        stats: the process writes its counters there as JSON when it exits (`exit_stats()`);
        lanes: the RTL's crypto lanes (default_lanes())."""
        self.mem_bytes = mem_bytes
        self.lanes = lanes
        self.fst, self.fst_from, self.fst_cycles = fst, fst_from, fst_cycles
        self.binary, self.stats_file = binary, stats
        self.start_timeout = start_timeout
        tag = f"vcrypto-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.names = {"shm": f"/{tag}", "doorbell": f"/{tag}-db", "irq": f"/{tag}-irq"}
        self.proc: subprocess.Popen | None = None
        self.shm = self.mem = self.doorbell = self.irq = None

    # -------------------------------------------------------------- lifecycle
    def start(self) -> "AcceleratorProcess":
        binary = Path(self.binary) if self.binary is not None else build(trace=bool(self.fst), lanes=self.lanes)
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
            if self.stats_file is not None:
                cmd += ["--stats", str(self.stats_file)]
            self.proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True)
            deadline = time.monotonic() + self.start_timeout * (10 if "VCRYPTO_ACCEL_WRAPPER" in os.environ else 1)
            while _get(self.mem, "state") != abi.PROCESS_STATE_RUNNING:
                if self.proc.poll() is not None or _get(self.mem, "state") == abi.PROCESS_STATE_FAILED:
                    raise AcceleratorError(f"accelerator process exited: {self.proc.stderr.read().strip()}")
                if time.monotonic() > deadline:
                    raise AcceleratorError("accelerator process did not start")
                time.sleep(0.005)
        except BaseException:
            self.stop()
            raise
        return self

    def alive(self) -> bool:
        return (self.proc is not None and self.proc.poll() is None
                and _get(self.mem, "state") == abi.PROCESS_STATE_RUNNING)

    def exit_status(self) -> int | None:
        return self.proc.poll() if self.proc is not None else None

    def transport(self) -> Transport:
        return Transport(self.mem, self.doorbell, self.irq, self.mem_bytes, self.alive)

    def stats(self) -> dict[str, int]:
        return {k: _get(self.mem, k) for k in ("cycles", "busy_cycles", "busy_ns", "irq_count")}

    def exit_stats(self) -> dict:
        """The counters the process wrote at exit (needs stats= and a stopped process): clocks,
        sleeps, wake-ups, 100 ms timeouts, and `doorbell_to_irq` {clocks: count}."""
        import json
        return json.loads(Path(self.stats_file).read_text())

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


def rtl_datapath(mem_bytes: int = 256 << 20, hang_timeout: float = 5.0, lanes: int | None = None):
    """The `rtl` datapath wired to simulated accelerators: a new AcceleratorProcess with a
    `mem_bytes` segment (and `lanes` crypto lanes) at creation and after every fault."""
    return RtlDatapath(lambda: AcceleratorProcess(mem_bytes=mem_bytes, lanes=lanes).start(), hang_timeout=hang_timeout)
