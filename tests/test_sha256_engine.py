"""SHA-224/256 engine regression on both simulators (cocotb tests in tests/tb/sha256_engine_tb.py)."""
import pytest

from sim.cocotb_run import SIMULATORS, assert_all_passed, run_cocotb


@pytest.mark.parametrize("sim", SIMULATORS)
def test_sha256_engine(sim):
    assert_all_passed(run_cocotb("sha256_engine", "tb.sha256_engine_tb", sim))
