"""SHA-384/512 engine regression on both simulators (cocotb tests in tests/tb/sha512_engine_tb.py)."""
import pytest

from sim.cocotb_run import SIMULATORS, assert_all_passed, run_cocotb


@pytest.mark.parametrize("sim", SIMULATORS)
def test_sha512_engine(sim):
    assert_all_passed(run_cocotb("sha512_engine", "tb.sha512_engine_tb", sim))
