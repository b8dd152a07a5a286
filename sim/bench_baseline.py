"""The baseline of issue #17's same-session ratios: main at BASE_COMMIT (0bce809), unpacked once
under build/bench/ from this repository's history. Its own code runs beside today's, interleaved,
on the same machine: its accelerator build (`bench_accel.py`), its in-process soft device
(`bench_device.py`) and its `serve` backend under the guest (`bench_qemu.py`)."""
from __future__ import annotations

import subprocess
import tarfile
from io import BytesIO
from pathlib import Path

from rtl.filelists import ROOT

BASE_COMMIT = "0bce809"
BENCH = ROOT / "build" / "bench"


def base_tree() -> Path:
    """main at BASE_COMMIT (rtl, sim, bridge, firmware), unpacked once under build/bench/."""
    src = BENCH / f"main-{BASE_COMMIT}" / "src"
    if not (src / "sim" / "accel_process.py").exists():
        blob = subprocess.run(["git", "-C", str(ROOT), "archive", BASE_COMMIT, "rtl", "sim", "bridge", "firmware"],
                              capture_output=True, check=True).stdout
        src.mkdir(parents=True, exist_ok=True)
        with tarfile.open(fileobj=BytesIO(blob)) as tar:
            tar.extractall(src)
    return src

