"""`make formal` is part of `make test`: every SymbiYosys job of rtl/formal/ ends as expected
(the proofs PASS, every mutation check FAILs on the property that should catch its bug)."""
import json
import subprocess
import sys

import pytest

from sim.cocotb_run import ROOT

# ~9 min of solver time, one job at a time, on one worker; its own group, not the accelerator
# tests' (with them it made that serial group the longest path of `make test`)
pytestmark = pytest.mark.xdist_group("formal")


def test_formal_jobs_end_as_expected():
    p = subprocess.Popen([sys.executable, str(ROOT / "rtl" / "formal" / "run_formal.py")],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=ROOT)
    try:
        out, _ = p.communicate(timeout=1800)
    finally:
        if p.poll() is None:            # the runner kills its solvers on SIGTERM
            p.terminate()
            p.wait(timeout=60)
    print(out)
    assert p.returncode == 0, out[-6000:]
    rows = json.loads((ROOT / "build" / "formal" / "summary.json").read_text())
    assert {row["name"] for row in rows} >= {"dma_rd", "dma_wr", "csr", "dma_arb", "queue_engine", "qe_window",
                                            "qe_lanes", "qe_cqe"}
    assert all(row["ok"] for row in rows), rows
    # the mutation checks really fail (a checker that can never fail would pass them all)
    assert sum(row["expect"] == "FAIL" and row["result"] == "FAIL" for row in rows) >= 10
