"""GHASH unit regression on both simulators (cocotb tests in tests/tb/ghash_tb.py), at the
default DIGIT (16 bits a clock) and at 8 and 32 (Verilator)."""
import pytest

from sim.cocotb_run import SIMULATORS, assert_all_passed, run_cocotb


@pytest.mark.parametrize("sim", SIMULATORS)
def test_ghash(sim):
    assert_all_passed(run_cocotb("ghash", "tb.ghash_tb", sim))


@pytest.mark.parametrize("digit", [8, 32])
def test_ghash_other_digit_widths(digit):
    assert_all_passed(run_cocotb("ghash", "tb.ghash_tb", "verilator", parameters={"DIGIT": digit}))
