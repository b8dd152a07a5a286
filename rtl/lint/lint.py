"""`make lint`: Verilator -Wall lint of every RTL top level (every FuseSoC core with a `lint`
target; file lists from the cores via rtl/filelists.py, the same the cores' `lint` targets use).

Waivers, if ever needed, go in rtl/lint/waivers.vlt, each with a comment saying why.
Exit status is non-zero on any warning.
"""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from rtl.filelists import rtl_sources, tops  # noqa: E402,F401


def lint(top: str) -> tuple[bool, str]:
    verilator = Path(sys.executable).parent / "verilator"
    waivers = ROOT / "rtl" / "lint" / "waivers.vlt"
    cmd = [str(verilator), "--lint-only", "-Wall", "--top-module", top]
    if waivers.exists():
        cmd.append(str(waivers))
    cmd += [str(p) for p in rtl_sources(top)]
    r = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    out = "\n".join(ln for ln in (r.stdout + r.stderr).splitlines() if not ln.startswith("- V"))
    return r.returncode == 0 and "%Warning" not in out and "%Error" not in out, out.strip()


def main() -> int:
    bad = 0
    for top in tops():
        ok, out = lint(top)
        print(f"lint {top:24s} {'clean' if ok else 'FAILED'}")
        if not ok:
            print(out)
            bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
