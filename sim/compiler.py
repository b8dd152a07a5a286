"""The C++ compiler of every Verilator model (the accelerator process, the cocotb testbenches):
clang++ when it is installed with llvm-profdata (`make setup` installs the Debian packages clang
and llvm), else the system's c++ (GCC). VCRYPTO_ACCEL_CXX=g++ (or another C++ compiler) chooses.

Why clang: on this RTL its model of the accelerator runs 1.30x / 1.18x GCC 12's (4 KiB
AES-128-CBC / HMAC-SHA-256, each with its profile-guided optimisation), and it compiles the
4-lane top's cocotb model in 21 s instead of 136 s (sim/README.md, "The build").
Verilator's makefiles take CXX/LINK on the make command line (or in MAKEFLAGS).
"""
from __future__ import annotations

import functools
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Compiler:
    cxx: str
    kind: str          # "clang" or "gcc" (what the profile flags are), "" if neither
    version: str       # first line of `--version`
    major: int         # major version (0 if unknown)

    def make_args(self) -> list[str]:
        """Variables for Verilator's makefile: this compiler, and what its link needs."""
        args = [f"CXX={self.cxx}", f"LINK={self.cxx}"]
        if self.kind == "clang":
            # clang does not link libatomic by itself; Verilator's runtime uses 16-byte atomics
            args.append("USER_LDLIBS=-latomic")
        return args

    def pgo_capable(self) -> bool:
        if self.kind == "clang":     # llvm-profdata, and the profile runtime the instrumented link needs
            return shutil.which("llvm-profdata") is not None and _clang_profile_runtime(self.cxx)
        return self.kind == "gcc" and self.major >= 10

    def pgo_flags(self, obj: Path) -> tuple[str, str, str]:
        """(compile flags to instrument, link flags to instrument, compile flags to use the profile)."""
        if self.kind == "clang":
            return (f"-fprofile-instr-generate={obj}/prof-%p.profraw", "-fprofile-instr-generate",
                    f"-fprofile-instr-use={obj}/vcrypto.profdata -Wno-profile-instr-unprofiled "
                    "-Wno-profile-instr-out-of-date")
        return ("-fprofile-generate -fprofile-update=single", "-fprofile-generate",
                "-fprofile-use -fprofile-partial-training -Wno-missing-profile -Wno-error=coverage-mismatch")

    def collect_profile(self, obj: Path) -> bool:
        """After the instrumented run: is there a profile to build with? (clang: merge the raw
        profiles into the one -fprofile-instr-use reads; GCC wrote its .gcda files itself)"""
        if self.kind != "clang":
            return any(obj.glob("*.gcda"))
        raws = sorted(obj.glob("prof-*.profraw"))
        return bool(raws) and subprocess.run(
            ["llvm-profdata", "merge", "-o", str(obj / "vcrypto.profdata"), *map(str, raws)],
            capture_output=True, text=True).returncode == 0


def compiler() -> Compiler:
    want = os.environ.get("VCRYPTO_ACCEL_CXX")
    if want is None:
        want = "clang++" if shutil.which("clang++") and shutil.which("llvm-profdata") else "c++"
    return _probe(want)


@functools.lru_cache(maxsize=None)
def _clang_profile_runtime(cxx: str) -> bool:
    """Whether clang's libclang_rt.profile is installed (Debian: libclang-rt-dev, which clang
    does not pull in without its recommends)."""
    try:
        rt = subprocess.run([cxx, "--print-runtime-dir"], capture_output=True, text=True, timeout=30).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return False
    return bool(rt) and any(Path(rt).glob("libclang_rt.profile*.a"))


@functools.lru_cache(maxsize=None)
def _probe(want: str) -> Compiler:
    try:
        r = subprocess.run([want, "--version"], capture_output=True, text=True, timeout=30)
        first = r.stdout.splitlines()[0] if r.returncode == 0 and r.stdout else ""
    except (OSError, subprocess.TimeoutExpired):
        first = ""
    kind = "clang" if "clang" in first.lower() else "gcc" if any(k in first for k in ("GCC", "g++", "Free Software")) else ""
    try:
        v = subprocess.run([want, "-dumpversion"], capture_output=True, text=True, timeout=30).stdout
        major = int(v.strip().split(".")[0])
    except (OSError, subprocess.TimeoutExpired, ValueError):
        major = 0
    return Compiler(want, kind, first, major)
