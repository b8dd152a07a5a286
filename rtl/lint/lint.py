"""`make lint`: Verilator -Wall lint of every RTL top level (every FuseSoC core with a `lint`
target; file lists from the cores via rtl/filelists.py, the same the cores' `lint` targets use).

The simulation-only views (rtl/README.md, "Views") are linted too, with their defines
(SIM_VIEWS); the S-box table view has its own -Wall build in tests/test_sbox_views.py.

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


# (top, defines): the views only the accelerator process builds
SIM_VIEWS = tuple((top, ("VCRYPTO_CLOCK_GATE",)) for top in ("vcrypto_csr", "aes_engine", "sha256_engine",
                                                              "sha512_engine", "vcrypto_lane", "vcrypto_fifo",
                                                              "vcrypto_dma_arb", "vcrypto_top"))


def lint(top: str, defines: tuple[str, ...] = ()) -> tuple[bool, str]:
    verilator = Path(sys.executable).parent / "verilator"
    waivers = ROOT / "rtl" / "lint" / "waivers.vlt"
    cmd = [str(verilator), "--lint-only", "-Wall", "--top-module", top, *(f"+define+{d}" for d in defines)]
    if waivers.exists():
        cmd.append(str(waivers))
    cmd += [str(p) for p in rtl_sources(top)]
    r = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    out = "\n".join(ln for ln in (r.stdout + r.stderr).splitlines() if not ln.startswith("- V"))
    return r.returncode == 0 and "%Warning" not in out and "%Error" not in out, out.strip()


def main() -> int:
    bad = 0
    for top, defines in [(t, ()) for t in tops()] + list(SIM_VIEWS):
        ok, out = lint(top, defines)
        name = top + "".join(f" +{d}" for d in defines)
        print(f"lint {name:24s} {'clean' if ok else 'FAILED'}")
        if not ok:
            print(out)
            bad += 1
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
