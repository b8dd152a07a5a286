"""The one place a datapath is chosen by name (`--datapath soft|rtl`): every entry point
(CLI, workload, soak, benches) asks here, and only here does the soft/rtl choice meet the
simulator wiring."""
from __future__ import annotations

from bridge.datapath import Datapath, FailingDatapath, SoftDatapath

NAMES = ("soft", "rtl")


def open_datapath(name: str, *, mem_bytes: int = 256 << 20, hang_timeout: float = 5.0,
                  fail_every: int = 0) -> Datapath:
    """A new datapath: `soft` (`cryptography` in process) or `rtl` (a simulated accelerator
    process with a `mem_bytes` shared segment, restarted after a fault or `hang_timeout` s
    without progress). fail_every > 0 answers every that-many-th request with ERR (tests)."""
    if name == "soft":
        dp: Datapath = SoftDatapath()
    elif name == "rtl":
        from sim.accel_process import rtl_datapath          # builds the simulator on first use
        dp = rtl_datapath(mem_bytes=mem_bytes, hang_timeout=hang_timeout)
    else:
        raise ValueError(f"unknown datapath {name!r} ({' or '.join(NAMES)})")
    return FailingDatapath(dp, fail_every) if fail_every else dp
