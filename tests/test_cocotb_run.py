"""sim/cocotb_run.py: the cocotb runner wrapper's own behaviour (no simulator needed)."""
from __future__ import annotations

import shutil
import threading
import time

import cocotb_tools.runner

import sim.cocotb_run as cr


class _ProbeRunner:
    """Stands in for cocotb's runner: records overlapping builds, runs no simulator."""
    lock = threading.Lock()
    active = 0
    overlaps = 0

    def build(self, **kw):
        with self.lock:
            _ProbeRunner.active += 1
            if _ProbeRunner.active > 1:
                _ProbeRunner.overlaps += 1
        time.sleep(0.2)
        with self.lock:
            _ProbeRunner.active -= 1

    def test(self, **kw):
        pass


def test_regression_two_tests_of_one_top_never_build_it_at_once(monkeypatch):
    """Two test modules of one top (tests/test_aes_engine.py's two, on two pytest-xdist workers)
    share its build directory. Both ran the simulator's build there at once and one failed
    (make: rc 2, seen in `make coverage COVERAGE_TOPS=aes_engine JOBS=2`); run_cocotb now holds
    a lock on the build directory around the build."""
    monkeypatch.setattr(cocotb_tools.runner, "get_runner", lambda sim: _ProbeRunner())
    monkeypatch.setattr(cr, "rtl_sources", lambda top: [])
    threads = [threading.Thread(target=cr.run_cocotb, args=("lock_probe", f"tb.probe{i}", "icarus"))
               for i in range(3)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        shutil.rmtree(cr.ROOT / "build" / "sim" / "icarus" / "lock_probe", ignore_errors=True)
    assert _ProbeRunner.overlaps == 0, "builds of one top ran at the same time"
