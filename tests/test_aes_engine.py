"""AES engine regression on both simulators (cocotb tests in tests/tb/aes_engine_tb.py: ECB, CBC,
CTR, key hygiene; tests/tb/aes_xts_tb.py: XTS with ciphertext stealing)."""
import pytest

from sim.cocotb_run import SIMULATORS, assert_all_passed, run_cocotb


@pytest.mark.parametrize("sim", SIMULATORS)
def test_aes_engine(sim):
    assert_all_passed(run_cocotb("aes_engine", "tb.aes_engine_tb", sim))


@pytest.mark.parametrize("sim", SIMULATORS)
def test_aes_engine_xts(sim):
    assert_all_passed(run_cocotb("aes_engine", "tb.aes_xts_tb", sim))
