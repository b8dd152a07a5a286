"""The C++ compiler of every Verilator model (the accelerator process, the cocotb testbenches):
the first clang of CLANGS installed with its llvm-profdata (`make setup` installs Debian's
clang-19 and llvm-19), else the system's c++ (GCC). VCRYPTO_ACCEL_CXX=g++ (or another C++
compiler) chooses.

Why clang: on this RTL its model of the accelerator runs 1.30x / 1.18x GCC 12's (4 KiB
AES-128-CBC / HMAC-SHA-256, each with its profile-guided optimisation), and it compiles the
4-lane top's cocotb model in 21 s instead of 136 s; why clang 19: its model runs 1.02-1.03x /
1.05x clang 14's, Debian 12's default clang (sim/README.md, "The build").
Verilator's makefiles take CXX/LINK on the make command line (or in MAKEFLAGS).
"""
from __future__ import annotations

import functools
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path


# best first: Debian 12 ships clang 19 beside its default clang 14
CLANGS = ("clang++-19", "clang++")


@dataclass(frozen=True)
class Compiler:
    cxx: str
    kind: str          # "clang" or "gcc" (what the profile flags are), "" if neither
    version: str       # first line of `--version`
    major: int         # major version (0 if unknown)
    profdata: str      # clang: the llvm-profdata of its version (merges its raw profiles)

    def make_args(self) -> list[str]:
        """Variables for Verilator's makefile: this compiler, and what its link needs."""
        args = [f"CXX={self.cxx}", f"LINK={self.cxx}"]
        if self.kind == "clang":
            # clang does not link libatomic by itself; Verilator's runtime uses 16-byte atomics
            args.append("USER_LDLIBS=-latomic")
        return args

    def pgo_capable(self) -> bool:
        if self.kind == "clang":     # llvm-profdata, and the profile runtime the instrumented link needs
            return shutil.which(self.profdata) is not None and _clang_profile_runtime(self.cxx)
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
            [self.profdata, "merge", "-o", str(obj / "vcrypto.profdata"), *map(str, raws)],
            capture_output=True, text=True).returncode == 0


def compiler() -> Compiler:
    want = os.environ.get("VCRYPTO_ACCEL_CXX")
    if want is None:
        want = next((cxx for cxx in CLANGS if shutil.which(cxx) and shutil.which(_profdata_for(cxx))), "c++")
    return _probe(want)


def _profdata_for(cxx: str) -> str:
    """The llvm-profdata of a clang's version: llvm-profdata-19 for clang++-19 (another
    version's cannot merge its raw profiles), llvm-profdata for an unversioned clang++."""
    suffix = Path(cxx).name.rsplit("-", 1)[-1] if "-" in Path(cxx).name else ""
    return f"llvm-profdata-{suffix}" if suffix.isdigit() else "llvm-profdata"


@functools.lru_cache(maxsize=None)
def _clang_profile_runtime(cxx: str) -> bool:
    """Whether clang's libclang_rt.profile is installed (Debian: libclang-rt-N-dev, which clang
    does not pull in without its recommends), in either layout of its resource directory
    (lib/<triple>/ or lib/linux/: clang 19 prints the first as its runtime directory while
    Debian installs the second)."""
    try:
        res = subprocess.run([cxx, "-print-resource-dir"], capture_output=True, text=True, timeout=30).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return False
    return bool(res) and any((Path(res) / "lib").glob("*/libclang_rt.profile*.a"))


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
    return Compiler(want, kind, first, major, _profdata_for(want))
